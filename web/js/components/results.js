// The analysis results table of the item page: one row per result (id, name, unit, time mode, a
// summary of its values) from the results route's JSON (docs/result_formats.md), and while a run
// goes, the rows the items feed's hello announced with the count of values received so far.
import { h } from "../dom.js";

export const RESULT_FORMATS = ["json", "csv", "jams", "vtt", "audacity", "hdf5"];

const num = (x) => (Math.abs(x) >= 1000 || Number.isInteger(x) ? x.toFixed(0) : x.toPrecision(4));

// A few words on a result's values: a global value, or how many values/events/segments and their range.
export function summary(r) {
  const d = r.data_object || {};
  const values = d.value?.numpyArray || [];
  const labels = d.label?.numpyArray || [];
  const n = r.time_mode === "global" ? values.length : Math.max(values.length, labels.length, d.time?.numpyArray?.length || 0);
  if (r.time_mode === "global") return values.length === 1 ? num(values[0]) : `${values.length} values`;
  const flat = values.flat ? values.flat(2) : values;
  let text = `${n} ${r.time_mode === "event" ? "events" : r.time_mode === "segment" ? "segments" : "values"}`;
  if (flat.length && typeof flat[0] === "number") {
    let lo = Infinity, hi = -Infinity, sum = 0;
    for (const v of flat) { if (v < lo) lo = v; if (v > hi) hi = v; sum += v; }
    text += `, ${num(lo)} to ${num(hi)}, mean ${num(sum / flat.length)}`;
  } else if (labels.length) {
    const names = r.label_metadata?.label || d.label_metadata?.label || {};
    text += `: ${[...new Set(labels)].map((l) => names[l] ?? l).join(", ")}`;
  }
  return text;
}

export class ResultsTable {
  constructor() {
    this.body = h("tbody");
    this.rows = new Map();  // result id -> {tr, cells, count}
    this.element = h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "muted", text: "One row per result of the analysis" }),
      h("thead", {}, h("tr", {}, ...["Result", "Name", "Unit", "Time mode", "Values"].map((t) => h("th", { scope: "col", text: t })))),
      this.body));
  }

  row(id) {
    let r = this.rows.get(id);
    if (!r) {
      const cells = [h("td", { text: id }), h("td"), h("td"), h("td"), h("td", { class: "muted", text: "computing…" })];
      r = { tr: h("tr", {}, ...cells), cells, count: 0 };
      this.rows.set(id, r);
      this.body.append(r.tr);
    }
    return r;
  }

  // While the run goes: one more value of `id` received.
  count(id) {
    const r = this.row(id);
    r.count += 1;
    r.cells[4].textContent = `computing… ${r.count} received`;
  }

  // The stored results: every row filled; what the page shows, for tests.
  fill(results) {
    return results.map((res) => {
      const meta = res.id_metadata || {};
      const r = this.row(meta.id);
      const shown = { id: meta.id, name: meta.name || "", unit: meta.unit || "", time_mode: res.time_mode, summary: summary(res) };
      [shown.id, shown.name, shown.unit, shown.time_mode, shown.summary].forEach((t, i) => { r.cells[i].textContent = t; });
      r.cells[4].className = "";
      return shown;
    });
  }
}
