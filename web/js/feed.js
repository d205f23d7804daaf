// A mount's events feed (/events/{mount}, docs/events.md) over a WebSocket that reconnects by
// itself: after a network error, a close (1001 shutdown, 1012 restarted) or a server restart, it
// tries again after 0.5 s, doubling to 5 s, and the new hello starts from now (catch up, no replay).
// Every message goes to on_message (JSON) or on_column (a binary spectrum column, decoded).
export class Feed {
  constructor(mount, { query = "", on_message, on_column, on_state } = {}) {
    this.mount = mount;
    this.query = query;
    this.on_message = on_message || (() => {});
    this.on_column = on_column || (() => {});
    this.on_state = on_state || (() => {});
    this.delay = 500;
    this.closed = false;
    this.connects = 0;
    this.ws = null;
    this.timer = null;
    this.open();
  }

  open() {
    if (this.closed) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const q = this.query ? `?${this.query}` : "";
    const ws = new WebSocket(`${scheme}://${location.host}/events/${encodeURIComponent(this.mount)}${q}`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.on_state("connecting");
    ws.onmessage = (e) => {
      if (typeof e.data === "string") {
        const m = JSON.parse(e.data);
        if (m.type === "hello") {
          this.delay = 500;
          this.connects += 1;
          this.on_state("open");
        }
        this.on_message(m);
      } else {
        this.on_column(decode_column(e.data));
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.closed) return;
      this.on_state("reconnecting");
      this.timer = setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(5000, this.delay * 2);
    };
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }
}

// docs/events.md, "Binary columns": little-endian header, then one byte per bin.
export function decode_column(buffer) {
  const v = new DataView(buffer);
  const bins = v.getUint16(2, true);
  const id_length = v.getUint8(32);
  return {
    count: v.getUint32(4, true),
    frame: Number(v.getBigInt64(16, true)),
    duration: v.getUint32(24, true),
    samplerate: v.getUint32(28, true),
    result: new TextDecoder().decode(new Uint8Array(buffer, 33, id_length)),
    bins: new Uint8Array(buffer, 33 + id_length, bins),
  };
}
