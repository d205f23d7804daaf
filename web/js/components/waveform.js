// A waveform drawn from BBC audiowaveform's binary data (/api/items/{id}/waveform.dat,
// docs/waveform_data.md): parse_dat() reads the file, to_columns() folds its pixels into one
// min/max per canvas column, and Waveform draws them with a playhead cursor and click-to-seek.
import { css_var, fit_canvas } from "../dom.js";

// The .dat layout: little-endian header (version, flags, rate, samples per pixel, length[,
// channels]), then per pixel, per channel, min then max as int8 or int16.
export function parse_dat(buffer) {
  const v = new DataView(buffer);
  const version = v.getInt32(0, true);
  if (version !== 1 && version !== 2) throw new Error(`waveform.dat: version ${version}, expected 1 or 2`);
  const bits = v.getUint32(4, true) & 1 ? 8 : 16;
  const channels = version === 2 ? v.getInt32(20, true) : 1;
  const offset = version === 2 ? 24 : 20;
  const length = v.getUint32(16, true);
  const count = length * channels * 2;
  if (buffer.byteLength !== offset + count * (bits / 8))
    throw new Error(`waveform.dat: ${buffer.byteLength} bytes, expected ${offset + count * (bits / 8)}`);
  const data = bits === 8 ? new Int8Array(buffer, offset, count) : new Int16Array(buffer.slice(offset));
  return { version, bits, rate: v.getInt32(8, true), zoom: v.getInt32(12, true), length, channels, data };
}

// One [min, max] per column of `width` columns for channel `channel`: column c holds the data's
// pixels i with floor(i * width / length) === c (several when the data is finer than the canvas),
// or the one pixel floor(c * length / width) under it (when it is coarser).
export function to_columns(wf, width, channel = 0) {
  const min = new Int16Array(width), max = new Int16Array(width);
  const { length, channels, data } = wf;
  const at = (i, k) => data[(i * channels + channel) * 2 + k];
  if (!length) return { min, max };
  if (length >= width) {
    min.fill(32767);
    max.fill(-32768);
    for (let i = 0; i < length; ++i) {
      const c = Math.floor((i * width) / length);
      if (at(i, 0) < min[c]) min[c] = at(i, 0);
      if (at(i, 1) > max[c]) max[c] = at(i, 1);
    }
  } else {
    for (let c = 0; c < width; ++c) {
      const i = Math.floor((c * length) / width);
      min[c] = at(i, 0);
      max[c] = at(i, 1);
    }
  }
  return { min, max };
}

export class Waveform {
  // `on_seek(seconds)` is called for a click at that time.
  constructor(canvas, { on_seek } = {}) {
    this.canvas = canvas;
    this.wf = null;       // the data drawn (parse_dat's)
    this.columns = null;  // {min, max} in the data's units, one per column
    this.full = 32768;    // the data's full scale (128 for 8-bit)
    this.from = 0;        // seconds at the left edge
    this.span = 1;        // seconds across
    this.cursor = null;
    this.drawn_cursor = undefined;
    canvas.addEventListener("click", (e) => {
      const r = canvas.getBoundingClientRect();
      on_seek?.(this.from + ((e.clientX - r.left) / r.width) * this.span);
    });
  }

  width() {
    return Math.max(1, Math.floor(this.canvas.clientWidth));
  }

  // Data covering [from, from + span] seconds, folded to this canvas's columns.
  set(wf, from, span) {
    this.wf = wf;
    this.columns = to_columns(wf, this.width());
    this.full = wf.bits === 8 ? 128 : 32768;
    this.from = from;
    this.span = span;
    this.draw(this.cursor, true);
  }

  // Redraws when the cursor moved by a pixel or more (or `force`).
  draw(cursor, force = false) {
    this.cursor = cursor;
    const w = this.width();
    // The canvas was resized (a rotated phone, a wider window): the same data, folded again.
    if (this.wf && this.columns.min.length !== w) {
      this.columns = to_columns(this.wf, w);
      force = true;
    }
    const x = cursor === null ? null : Math.round(((cursor - this.from) / this.span) * w);
    if (!force && x === this.drawn_cursor) return;
    this.drawn_cursor = x;
    const { ctx, width, height } = fit_canvas(this.canvas);
    ctx.clearRect(0, 0, width, height);
    if (this.columns) {
      const { min, max } = this.columns;
      const mid = height / 2, scale = height / 2 / this.full;
      ctx.fillStyle = css_var("--accent");
      for (let c = 0; c < min.length; ++c) {
        const top = mid - max[c] * scale, bottom = mid - min[c] * scale;
        ctx.fillRect(c, top, 1, Math.max(1, bottom - top));
      }
    }
    if (x !== null && x >= 0 && x <= w) {
      ctx.fillStyle = css_var("--bad");
      ctx.fillRect(x - 1, 0, 2, height);
    }
  }
}
