// Level meters on a dBFS scale (-60 to 0): one bar per channel (the `level` analyzer's
// level.channel_max / level.channel_rms), RMS solid, peak lighter behind it, and a peak hold that
// stays 1.5 s then falls 20 dB/s. Drawn on a canvas, each bar with its channel's name (L/R, or
// 1..n); the numbers are also written as text for screen readers, by the same names.
import { css_var, fit_canvas, throttled_text } from "../dom.js";

const FLOOR = -60;
const HOLD_S = 1.5;
const FALL_DB_S = 20;

// What a channel is called: L and R for a stereo pair, else its number from 1; one channel, no name.
export function channel_names(channels) {
  if (channels === 2) return ["L", "R"];
  if (channels <= 1) return [""];
  return Array.from({ length: channels }, (_, c) => String(c + 1));
}

export class Meters {
  constructor(canvas, readout, channels = 1) {
    this.canvas = canvas;
    this.readout = readout;
    this.names = channel_names(channels);
    this.bars = [];  // per channel {peak, rms, hold, hold_t}
  }

  // `peaks` and `rms` in dBFS, arrays (one per channel); t in seconds (stream time).
  set(peaks, rms, t) {
    for (let c = 0; c < peaks.length; ++c) {
      const b = this.bars[c] || (this.bars[c] = { peak: FLOOR, rms: FLOOR, hold: FLOOR, hold_t: t });
      b.peak = peaks[c] ?? FLOOR;
      b.rms = rms[c] ?? FLOOR;
      const fallen = b.hold - Math.max(0, t - b.hold_t - HOLD_S) * FALL_DB_S;
      if (b.peak >= fallen) { b.hold = b.peak; b.hold_t = t; }
    }
    this.t = t;
  }

  name(c) { return this.names[c] ?? String(c + 1); }

  hold_at(c, t) {
    const b = this.bars[c];
    return Math.max(b.peak, b.hold - Math.max(0, t - b.hold_t - HOLD_S) * FALL_DB_S);
  }

  draw(t) {
    const { ctx, width, height } = fit_canvas(this.canvas);
    ctx.clearRect(0, 0, width, height);
    const n = Math.max(1, this.bars.length);
    const named = n > 1;
    const gutter = named ? 14 : 0;  // the channels' names, left of their bars
    const x_of = (db) => gutter + (Math.max(FLOOR, Math.min(0, db)) - FLOOR) / -FLOOR * (width - gutter);
    const scale_h = 16;
    const bar_h = Math.max(6, (height - scale_h) / n - 4);
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = css_var("--muted");
    ctx.strokeStyle = css_var("--grid");
    for (let db = FLOOR; db <= 0; db += 10) {
      const x = Math.min(width - 1, x_of(db));
      ctx.fillRect(x, height - scale_h, 1, 4);
      ctx.textAlign = db === 0 ? "right" : db === FLOOR ? "left" : "center";
      ctx.fillText(String(db), x, height - 2);
    }
    const [peak_c, rms_c, hold_c] = [css_var("--meter-peak"), css_var("--meter-rms"), css_var("--meter-hold")];
    const muted = css_var("--muted");
    this.bars.forEach((b, c) => {
      const y = c * (bar_h + 4);
      if (named) {
        ctx.fillStyle = muted;
        ctx.textAlign = "left";
        ctx.fillText(this.name(c), 0, y + Math.min(bar_h, 11));
      }
      ctx.fillStyle = peak_c;
      ctx.fillRect(gutter, y, x_of(b.peak) - gutter, bar_h);
      ctx.fillStyle = rms_c;
      ctx.fillRect(gutter, y, x_of(b.rms) - gutter, bar_h);
      ctx.fillStyle = hold_c;
      ctx.fillRect(Math.max(gutter, x_of(this.hold_at(c, t)) - 2), y, 3, bar_h);
    });
    if (this.readout && this.bars.length) {
      const b = this.bars;
      const f = (v) => (v <= FLOOR ? "−∞" : v.toFixed(1));
      throttled_text(this.readout, b.map((x, c) =>
        `${b.length > 1 ? `${this.name(c)}: ` : ""}peak ${f(x.peak)} dBFS, RMS ${f(x.rms)} dBFS, hold ${f(this.hold_at(c, t))}`).join("; "));
    }
  }
}
