// A scrolling timeline around the playhead: 4 s heard to its left, 1 s to come on its right.
// Onset and beat markers move towards the playhead and cross it when their audio is heard; the
// pitch trace (log frequency, 55 Hz to 1.76 kHz) is drawn along the same time axis.
import { css_var, fit_canvas } from "../dom.js";

const PAST = 4, FUTURE = 1;
const F_LOW = 55, F_HIGH = 1760;

export class Timeline {
  constructor(canvas) {
    this.canvas = canvas;
  }

  // now: stream seconds heard; marks: [{t, kind: "onset"|"beat"}]; pitch: [{t, hz}] (both any order).
  draw(now, marks, pitch) {
    const { ctx, width, height } = fit_canvas(this.canvas);
    ctx.clearRect(0, 0, width, height);
    const play_x = width * PAST / (PAST + FUTURE);
    const x_of = (t) => play_x + (t - now) * width / (PAST + FUTURE);
    ctx.fillStyle = css_var("--grid");
    for (let s = Math.ceil(now - PAST); s <= now + FUTURE; ++s) ctx.fillRect(x_of(s), 0, 1, height);
    if (pitch && pitch.length) {
      const y_of = (hz) => height - (Math.log2(hz / F_LOW) / Math.log2(F_HIGH / F_LOW)) * height;
      ctx.strokeStyle = css_var("--pitch");
      ctx.lineWidth = 2;
      ctx.beginPath();
      let pen = false, last_t = -Infinity;
      for (const p of pitch) {
        const x = x_of(p.t);
        // a gap (unvoiced, or a hole in the feed) lifts the pen
        if (!(p.hz >= F_LOW && p.hz <= F_HIGH) || x < 0 || p.t - last_t > 0.2) pen = false;
        last_t = p.t;
        if (!(p.hz >= F_LOW && p.hz <= F_HIGH) || x < 0) continue;
        if (pen) ctx.lineTo(x, y_of(p.hz)); else ctx.moveTo(x, y_of(p.hz));
        pen = true;
      }
      ctx.stroke();
    }
    const colours = { onset: css_var("--onset"), beat: css_var("--beat") };
    for (const m of marks) {
      const x = x_of(m.t);
      if (x < 0 || x > width) continue;
      ctx.fillStyle = colours[m.kind];
      if (m.kind === "onset") ctx.fillRect(x - 1, 0, 2, height * 0.6);
      else ctx.fillRect(x - 1, height * 0.4, 3, height * 0.6);
    }
    ctx.fillStyle = css_var("--fg");
    ctx.fillRect(play_x - 1, 0, 2, height);
  }
}

export const TIMELINE_PAST = PAST;
