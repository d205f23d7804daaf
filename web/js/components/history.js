// Loudness over the last 60 s heard (momentary and short-term, LUFS), a uPlot chart: the one time
// series here where a library earns its place (axes, ticks, a legend with the values under the
// cursor). Points are added as their audio is heard; the chart is redrawn at most 4 times a second.
import uPlot from "uplot";
import { css_var } from "../dom.js";

const SPAN = 60;
const HEIGHT = 170;

export class LoudnessHistory {
  constructor(el) {
    this.el = el;
    this.data = [[], [], []];
    this.drawn_at = 0;
    const axis = { stroke: css_var("--muted"), grid: { stroke: css_var("--grid") }, ticks: { stroke: css_var("--grid") } };
    this.plot = new uPlot({
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      scales: {
        x: { time: false },
        y: { range: (u, min, max) => [Math.min(min ?? -41, -41), Math.max(max ?? -14, -14)] },
      },
      series: [
        { label: "stream time (s)", value: (u, v) => (v === null ? "–" : v.toFixed(1)) },
        { label: "momentary (LUFS)", stroke: css_var("--meter-rms"), width: 1.5, points: { show: false }, value: (u, v) => (v === null ? "–" : v.toFixed(1)) },
        { label: "short-term (LUFS)", stroke: css_var("--accent"), width: 2, points: { show: false }, value: (u, v) => (v === null ? "–" : v.toFixed(1)) },
      ],
      axes: [{ ...axis, label: "stream time (s)" }, { ...axis, label: "LUFS" }],
      cursor: { drag: { x: false, y: false } },
    }, this.data, el);
    this.resize = new ResizeObserver(() => this.plot.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    this.resize.observe(el);
  }

  // A heard momentary value at stream time t, with the short-term value heard last.
  add(t, momentary, short_term) {
    const [x, m, s] = this.data;
    x.push(t);
    m.push(momentary > -70 ? momentary : null);
    s.push(short_term > -70 ? short_term : null);
    let old = 0;
    while (old < x.length && x[old] < t - SPAN) old += 1;
    if (old) for (const a of this.data) a.splice(0, old);
    const now = performance.now();
    if (now - this.drawn_at >= 250) {
      this.drawn_at = now;
      this.plot.setData(this.data);
    }
  }

  destroy() {
    this.resize.disconnect();
    this.plot.destroy();
  }
}
