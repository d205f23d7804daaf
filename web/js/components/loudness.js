// EBU R128 loudness: momentary and short-term as bars on the EBU +9 scale (-18 to +9 LU around
// the -23 LUFS target, i.e. -41 to -14 LUFS), and the integrated loudness of what was heard,
// gated as BS.1770-4 does (absolute -70 LUFS, relative -10 LU) over the momentary blocks received.
import { css_var, fit_canvas, throttled_text } from "../dom.js";

const LOW = -41, HIGH = -14, TARGET = -23;

export class Loudness {
  constructor(canvas, readout) {
    this.canvas = canvas;
    this.readout = readout;
    this.momentary = null;
    this.short_term = null;
    this.blocks = [];  // heard momentary blocks' energies (above the absolute gate), bounded
  }

  set_momentary(lufs) {
    this.momentary = lufs;
    if (lufs !== null && lufs > -70) {
      this.blocks.push(10 ** ((lufs + 0.691) / 10));
      this.dirty = true;
      if (this.blocks.length > 36000) this.blocks.shift();  // an hour of 100 ms blocks
    }
  }

  set_short_term(lufs) {
    this.short_term = lufs;
  }

  // Recomputed at most once a second (an hour of blocks is 36,000 of them), not per frame.
  integrated() {
    const now = performance.now();
    if (this.cached === undefined || (this.dirty && now - this.computed_at > 1000)) {
      this.cached = this.compute_integrated();
      this.computed_at = now;
      this.dirty = false;
    }
    return this.cached;
  }

  compute_integrated() {
    if (!this.blocks.length) return null;
    const lufs = (e) => -0.691 + 10 * Math.log10(e);
    const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
    const gate = lufs(mean(this.blocks)) - 10;
    const kept = this.blocks.filter((e) => lufs(e) > gate);
    return kept.length ? lufs(mean(kept)) : null;
  }

  draw() {
    const { ctx, width, height } = fit_canvas(this.canvas);
    ctx.clearRect(0, 0, width, height);
    const x_of = (v) => (Math.max(LOW, Math.min(HIGH, v)) - LOW) / (HIGH - LOW) * width;
    const scale_h = 16;
    const bar_h = (height - scale_h) / 2 - 4;
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = css_var("--muted");
    for (let lu = -18; lu <= 9; lu += 3) {
      const x = Math.min(width - 1, x_of(TARGET + lu));
      ctx.fillRect(x, height - scale_h, 1, 4);
      ctx.textAlign = lu === -18 ? "left" : lu === 9 ? "right" : "center";
      ctx.fillText(lu > 0 ? `+${lu}` : String(lu), x, height - 2);
    }
    const bar = (v, y, colour) => {
      if (v === null) return;
      ctx.fillStyle = colour;
      ctx.fillRect(0, y, x_of(v), bar_h);
    };
    bar(this.momentary, 0, css_var("--meter-rms"));
    bar(this.short_term, bar_h + 4, css_var("--accent"));
    const integrated = this.integrated();
    ctx.fillStyle = css_var("--meter-hold");
    if (integrated !== null) ctx.fillRect(x_of(integrated) - 1, 0, 3, 2 * bar_h + 4);
    ctx.fillStyle = css_var("--fg");
    ctx.fillRect(x_of(TARGET), 0, 1, 2 * bar_h + 4);
    const f = (v) => (v === null || v <= -70 ? "–" : `${v.toFixed(1)} LUFS`);
    if (this.readout)
      throttled_text(this.readout, `momentary ${f(this.momentary)}, short-term ${f(this.short_term)}, integrated ${f(integrated)}`);
  }
}
