// A live mount's <audio> player with a listener token (sid), so the events feed can say which
// stream frame it starts at: stream time = start_frame / rate + (currentTime - origin), origin the
// element's currentTime at `canplay`, read before play() (docs/events.md, Synchronization).
// It picks the output the browser plays best (Opus, then MP3: Chromium starts a quiet Vorbis
// stream late), and reloads by itself after an error, an end or a stall (a server restart).
const PREFERENCE = ["opus", "mp3", "ogg", "flac"];
const TYPES = { opus: 'audio/ogg; codecs="opus"', mp3: "audio/mpeg", ogg: 'audio/ogg; codecs="vorbis"', flac: "audio/flac" };

export function choose_output(outputs, audio) {
  for (const format of PREFERENCE) {
    const out = outputs.find((o) => o.format === format);
    if (out && audio.canPlayType(TYPES[format] || out.content_type)) return out;
  }
  return null;
}

export function new_sid() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return Array.from(bytes, (b) => b.toString(36).padStart(2, "0")).join("").slice(0, 16);
}

export class LivePlayer {
  constructor(audio, output, { sid = new_sid(), on_state } = {}) {
    this.audio = audio;
    this.output = output;
    this.sid = sid;
    this.on_state = on_state || (() => {});
    this.start_frame = null;  // from the feed, for this sid and output
    this.origin = null;
    this.loads = 0;
    this.retry = 1000;
    this.timer = null;
    this.last_time = -1;
    this.still_since = performance.now();
    this.closed = false;
    const a = audio;
    this.listeners = {
      canplay: () => {
        if (this.origin !== null) return;
        this.origin = a.currentTime;
        a.play().catch(() => this.on_state("press play"));
      },
      playing: () => { this.retry = 1000; this.on_state("playing"); },
      error: () => this.reload("error"),
      ended: () => this.reload("ended"),
    };
    for (const [k, f] of Object.entries(this.listeners)) a.addEventListener(k, f);
    // A stall the element does not report (a server gone quiet): no progress for 6 s while playing.
    this.watchdog = setInterval(() => this.check(), 1000);
    this.load();
  }

  load() {
    this.origin = null;
    this.start_frame = null;
    this.loads += 1;
    this.last_time = -1;
    this.still_since = performance.now();
    this.audio.src = `${this.output.url}?sid=${this.sid}`;
    this.audio.load();
    this.on_state("loading");
  }

  reload(why) {
    if (this.closed || this.timer) return;
    this.on_state(`reconnecting (${why})`);
    this.timer = setTimeout(() => { this.timer = null; this.load(); }, this.retry);
    this.retry = Math.min(5000, this.retry * 2);
  }

  check() {
    const a = this.audio;
    if (a.currentTime !== this.last_time) {
      this.last_time = a.currentTime;
      this.still_since = performance.now();
    } else if (!a.paused && performance.now() - this.still_since > 6000) {
      this.reload("stalled");
    }
  }

  // A start_frame the feed gave (hello's subscription, subscribed, or a start_frame message).
  started_at(sid, output, frame) {
    if (sid === this.sid && output === this.output.url && frame !== null && frame !== undefined) this.start_frame = frame;
  }

  // The stream frame being heard, or null before the mapping is known.
  stream_frame(rate) {
    if (this.start_frame === null || this.origin === null) return null;
    return this.start_frame + (this.audio.currentTime - this.origin) * rate;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    for (const [k, f] of Object.entries(this.listeners)) this.audio.removeEventListener(k, f);
    this.audio.removeAttribute("src");
    this.audio.load();
  }
}
