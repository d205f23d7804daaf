// The item page (#/items/{id}): the waveform (an overview of the whole item and a zoomed window
// that follows the playhead, both from the server's waveform.dat at the scale each needs), the
// renders, playback with a cursor and click-to-seek, and the analysis: run through the items feed
// (/events/items/{id}, progress and values as computed), then its stored results as a table with
// downloads in every result format. window.dashboard.state exposes what is drawn, for tests.
import { fetch_json, format_duration, h, path_of } from "./dom.js";
import { Waveform, parse_dat } from "./components/waveform.js";
import { RESULT_FORMATS, ResultsTable } from "./components/results.js";

const DEFAULT_PROCESSORS = "level,aubio_temporal,aubio_pitch";
const PLAY = [["opus", 'audio/ogg; codecs="opus"'], ["mp3", "audio/mpeg"], ["ogg", 'audio/ogg; codecs="vorbis"'],
  ["flac", "audio/flac"], ["wav", "audio/wav"]];
const RENDERS = ["waveform_simple", "waveform_centroid", "spectrogram_log", "spectrogram_lin"];

// The format this browser plays best: the first "probably", else the first "maybe".
export function best_format(audio) {
  for (const level of ["probably", "maybe"])
    for (const [ext, type] of PLAY) if (audio.canPlayType(type) === level) return ext;
  return "wav";
}

async function fetch_dat(url, signal) {
  const res = await fetch(url, { signal });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return parse_dat(await res.arrayBuffer());
}

export function render(view, id) {
  const base = `/api/items/${path_of(id)}`;
  const audio = h("audio", { controls: true, preload: "auto", "aria-label": `Audio of ${id}` });
  const overview_canvas = h("canvas", { class: "wave", role: "img", "aria-label": `Waveform of ${id}; click to seek` });
  const zoom_canvas = h("canvas", { class: "wave", role: "img", "aria-label": "Zoomed waveform around the playhead; click to seek" });
  const zoom_in = h("button", { type: "button", text: "Zoom in" });
  const zoom_out = h("button", { type: "button", text: "Zoom out" });
  const zoom_label = h("span", { class: "muted", "aria-live": "polite" });
  const info = h("p", { class: "muted" });
  const processors = h("input", { id: "item-processors", type: "text", value: DEFAULT_PROCESSORS, autocomplete: "off" });
  const analyse = h("button", { type: "submit", text: "Analyse" });
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Analysis progress" });
  const run_state = h("p", { class: "muted", role: "status" });
  const downloads = h("p", { class: "formats" });
  const table = new ResultsTable();
  const renders = h("div", { class: "renders" });
  view.append(h("p", {}, h("a", { href: "#/", text: "← Library" })), h("h1", { text: id }), info,
    h("div", { class: "mount-head" }, audio),
    h("section", { class: "panel", "aria-labelledby": "wave-title" }, h("h2", { id: "wave-title", text: "Waveform" }),
      overview_canvas, h("div", { class: "toolbar" }, zoom_out, zoom_in, zoom_label), zoom_canvas),
    h("section", { "aria-labelledby": "analysis-title" }, h("h2", { id: "analysis-title", text: "Analysis" }),
      h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); run(); } },
        h("label", { for: "item-processors", text: "Analyzers (processor specs, comma-separated)" }), processors, analyse),
      progress, run_state, downloads, table.element),
    h("section", { "aria-labelledby": "renders-title" }, h("h2", { id: "renders-title", text: "Renders" }), renders));

  const state = { id, item: null, format: null, overview: null, zoom: null, time: 0, cursor_x: null,
    feed: "idle", progress: 0, received: 0, end: null, results: [], downloads: [], error: null };
  window.dashboard.page = "item";
  window.dashboard.state = state;
  const ctl = new AbortController();
  const seek = (t) => { if (isFinite(t)) audio.currentTime = Math.max(0, t); };
  const overview = new Waveform(overview_canvas, { on_seek: seek });
  const zoomed = new Waveform(zoom_canvas, { on_seek: seek });
  let ws = null, raf = 0, span = 4, zoom_ctl = null;

  // The zoomed window: `span` seconds from a little before the playhead, fetched at the scale
  // that gives about one data pixel per canvas column (the server cuts and scales it).
  async function load_zoom(t) {
    const item = state.item;
    if (!item) return;
    span = Math.min(span, item.duration);
    const from = Math.max(0, Math.min(t - span * 0.1, item.duration - span));
    zoom_ctl?.abort();
    zoom_ctl = new AbortController();
    const samples = Math.max(2, Math.floor((span * item.samplerate) / zoomed.width()));
    const url = `${base}/waveform.dat?zoom=${samples}&start=${from.toFixed(3)}&end=${(from + span).toFixed(3)}`;
    state.zoom = { from, span, zoom: samples, loading: true };
    try {
      const wf = await fetch_dat(url, zoom_ctl.signal);
      zoomed.set(wf, from, (wf.length * wf.zoom) / wf.rate);
      state.zoom = { from, span, zoom: wf.zoom, length: wf.length, loading: false };
      zoom_label.textContent = `${span.toFixed(span < 1 ? 2 : 1)} s shown`;
    } catch (e) {
      if (e.name === "AbortError") return;
      // Not loading any more: playback leaving this window asks again (not every frame: the
      // window was asked around the playhead).
      state.zoom = { from, span, zoom: samples, loading: false, error: e.message };
      zoom_label.textContent = `Could not read the zoomed waveform (${e.message}).`;
    }
  }
  zoom_in.addEventListener("click", () => { span = Math.max(0.05, span / 2); load_zoom(audio.currentTime); });
  zoom_out.addEventListener("click", () => { span *= 2; load_zoom(audio.currentTime); });

  async function load_item() {
    try {
      const item = await fetch_json(base, { signal: ctl.signal });
      state.item = item;
      info.textContent = `${format_duration(item.duration)} · ${item.samplerate} Hz · ${item.channels} channel${item.channels === 1 ? "" : "s"} · ${item.file}`;
      state.format = best_format(audio);
      audio.src = `/media/${path_of(id)}.${state.format}`;
      // The overview: one data pixel per canvas column, the whole item.
      const width = overview.width();
      const samples = Math.max(2, Math.ceil((item.duration * item.samplerate) / width));
      const wf = await fetch_dat(`${base}/waveform.dat?zoom=${samples}`, ctl.signal);
      overview.set(wf, 0, (wf.length * wf.zoom) / wf.rate);
      state.overview = { zoom: wf.zoom, length: wf.length, bits: wf.bits, width,
        columns: Array.from(overview.columns.min, (lo, c) => [lo, overview.columns.max[c]]) };
      load_zoom(0);
      for (const g of RENDERS)
        renders.append(h("figure", {}, h("img", { src: `${base}/graphs/${g}.png?width=640&height=160`, loading: "lazy",
          width: 640, height: 160, alt: `${g.replace(/_/g, " ")} of ${id}` }), h("figcaption", { text: g })));
    } catch (e) {
      if (!ctl.signal.aborted) { state.error = e.message; info.textContent = `Could not read the item (${e.message}).`; }
    }
  }

  // One run of the analysis through the items feed; the table fills from the stored results.
  function run() {
    ws?.close(1000);
    const spec = processors.value.trim();
    const q = `processors=${encodeURIComponent(spec)}&rate=5`;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/events/items/${path_of(id)}?${q}`);
    ws = socket;
    Object.assign(state, { feed: "connecting", progress: 0, received: 0, end: null, results: [], downloads: [] });
    table.rows.clear();
    table.body.replaceChildren();
    downloads.replaceChildren();
    progress.value = 0;
    run_state.textContent = "Starting the analysis…";
    socket.onmessage = async (e) => {
      if (ws !== socket || typeof e.data !== "string") return;  // a replaced run's last messages
      const m = JSON.parse(e.data);
      if (m.type === "hello") {
        state.feed = "running";
        for (const a of m.analyzers) for (const r of a.results) table.row(r.id);
      } else if (m.type === "progress" && m.fraction !== null) {
        state.progress = m.fraction;
        progress.value = m.fraction;
        run_state.textContent = `Analysed ${format_duration(m.t)} of ${format_duration(state.item?.duration)} (${Math.round(m.fraction * 100)} %)`;
      } else if (m.type === "analysis") {
        state.received += 1;
        table.count(m.result);
      } else if (m.type === "end") {
        state.end = m;
        state.feed = m.outcome;
        if (m.outcome !== "complete") { run_state.textContent = `Analysis ${m.outcome}: ${m.error || ""}`; return; }
        run_state.textContent = "Analysis complete.";
        let stored;
        try {
          stored = await fetch_json(m.url, { signal: ctl.signal, timeout: 60000 });
        } catch (err) {
          if (ws === socket && !ctl.signal.aborted) run_state.textContent = `Could not read the results (${err.message}).`;
          return;
        }
        if (ws !== socket) return;  // a newer run started meanwhile: its table, not this one's
        state.results = table.fill(stored);
        state.downloads = RESULT_FORMATS.map((f) => `${base}/results?${q.replace("&rate=5", "")}&format=${f}`);
        downloads.replaceChildren("Download: ", ...state.downloads.map((url, i) =>
          h("a", { href: url, download: "", text: RESULT_FORMATS[i], "aria-label": `Results as ${RESULT_FORMATS[i]}` })));
      }
    };
    socket.onclose = (e) => {
      if (ws === socket && !state.end) { state.feed = `closed (${e.code})`; run_state.textContent = `The feed closed (${e.code}${e.reason ? `: ${e.reason}` : ""}).`; }
    };
  }

  function tick() {
    raf = requestAnimationFrame(tick);
    const t = audio.currentTime;
    state.time = t;
    overview.draw(t);
    zoomed.draw(t);
    state.cursor_x = overview.drawn_cursor;
    const z = state.zoom;
    if (z && !z.loading && !audio.paused && (t < z.from || t > z.from + z.span)) load_zoom(t);
  }

  load_item().then(() => { if (!ctl.signal.aborted) run(); });
  raf = requestAnimationFrame(tick);
  return () => {
    ctl.abort();
    zoom_ctl?.abort();
    cancelAnimationFrame(raf);
    ws?.close(1000);
    audio.removeAttribute("src");
    audio.load();
  };
}
