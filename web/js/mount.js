// The mount page (#/live/{mount}): the player, and what the mount's analyzers hear drawn when it is
// heard: each analysis message waits in a queue keyed by stream frame until the player reaches it
// (stream time = start_frame / rate + (currentTime - origin)). Panels follow the hello's analyzers:
// level meters, EBU R128 loudness, onsets/beats/tempo and pitch on a timeline, the spectrogram.
// window.dashboard.state exposes what is shown, for tests.
import { Feed } from "./feed.js";
import { HeardQueue } from "./heard.js";
import { LivePlayer, choose_output, new_sid } from "./player.js";
import { h, throttled_text } from "./dom.js";
import { Meters, channel_names } from "./components/meters.js";
import { Loudness } from "./components/loudness.js";
import { Timeline, TIMELINE_PAST } from "./components/timeline.js";
import { Spectrogram } from "./components/spectrogram.js";

const RATE = 20;  // framewise messages a second per result (the feed's default)

function panel(title, id, { wide = false, short = false, label } = {}) {
  const canvas = h("canvas", { role: "img", "aria-label": label || title, class: short ? "short" : null });
  const readout = h("p", { class: "readout", "aria-live": "off", id: `${id}-readout` });
  const section = h("section", { class: `panel${wide ? " wide" : ""}`, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title`, text: title }), canvas, readout);
  return { section, canvas, readout };
}

export function render(view, mount) {
  const sid = new_sid();
  const title = h("h1", { text: mount });
  const now_title = h("p", { class: "status-line", "aria-live": "polite" });
  const audio = h("audio", { controls: true, preload: "auto", "aria-label": `Live audio of ${mount}` });
  const status = h("p", { class: "status-line muted", role: "status", text: "Connecting to the events feed…" });
  const sync = h("div", { class: "sync", "aria-label": "Synchronization", title: "Event time minus audio time" });
  const panels = h("div", { class: "panels" });
  view.append(h("p", {}, h("a", { href: "#/", text: "← All mounts" })), title, now_title,
    h("div", { class: "mount-head" }, audio), status, panels, sync);

  const state = {
    mount, sid, rate: null, output: null, feed: "connecting", player: "idle", now: null, hellos: 0,
    level: null, loudness: null, tempo: null, pitch: null, hits: [], columns: 0, lead: null, title: "",
    feed_connects: 0, player_loads: 0,
  };
  window.dashboard.page = "mount";
  window.dashboard.state = state;

  const queue = new HeardQueue(8192);
  const columns = new HeardQueue(512);
  let player = null, feed = null, ui = null, last_hello_frame = -1, newest = -1, stopped = false;
  const marks = [], pitch = [];  // heard, for the timeline (pruned to its window)

  const show_status = () => {
    status.textContent = `Feed: ${state.feed}. Player: ${state.player}${state.output ? ` (${state.output.format})` : ""}.`;
  };

  function build(hello) {
    const results = new Set(hello.analyzers.flatMap((a) => a.results.map((r) => r.id)));
    const spectrum = hello.analyzers.flatMap((a) => a.results).find((r) => r.columns);
    ui = {};
    // The level analyzer's per-channel results: one meter per channel (the hello says how many).
    const channel_peak = hello.analyzers.flatMap((a) => a.results).find((r) => r.id === "level.channel_max");
    if (channel_peak && results.has("level.channel_rms")) {
      const channels = channel_peak.values?.count ?? hello.channels;
      const names = channel_names(channels).filter((x) => x);
      const p = panel("Level (dBFS)", "level", { short: true,
        label: `Peak and RMS level meters${names.length ? `, one per channel: ${names.join(", ")}` : ""}` });
      ui.meters = new Meters(p.canvas, p.readout, channels);
      panels.append(p.section);
    }
    if (results.has("loudness_itu.block_loudness")) {
      const p = panel("Loudness (EBU R128, LU)", "loudness", { short: true, label: "Momentary and short-term loudness" });
      ui.loudness = new Loudness(p.canvas, p.readout);
      panels.append(p.section);
      const chart = h("div", { class: "chart" });
      panels.append(h("section", { class: "panel wide", "aria-labelledby": "history-title" },
        h("h2", { id: "history-title", text: "Loudness, the last minute" }), chart));
      // uPlot (the chart's library) is loaded and the chart made in tasks of their own, after the
      // panels are shown: compiling it and building the chart in the hello's task made it a long
      // task (bench/dashboard.py). The first values heard before it exists are not charted.
      const panel_ui = ui;
      import("./components/history.js").then(({ LoudnessHistory }) => setTimeout(() => {
        if (!stopped && ui === panel_ui) ui.history = new LoudnessHistory(chart);
      }, 0));
    }
    if (results.has("aubio_temporal.onset") || results.has("aubio_pitch.pitch")) {
      const p = panel("Onsets, beats and pitch", "timeline", { wide: true, label: "Timeline of onsets, beats and pitch around the playhead" });
      ui.timeline = new Timeline(p.canvas);
      ui.timeline_readout = p.readout;
      panels.append(p.section);
    }
    if (spectrum) {
      const p = panel("Spectrogram", "spectrogram", { wide: true, label: "Scrolling spectrogram" });
      ui.spectrogram = new Spectrogram(p.canvas, spectrum.columns);
      panels.append(p.section);
    }
    if (!panels.childElementCount) panels.append(h("p", { class: "muted", text: "This mount runs no analyzer." }));
  }

  function on_message(m) {
    if (m.type === "hello") {
      state.rate = m.samplerate;
      state.hellos += 1;
      state.feed_connects = feed.connects;
      // Stream time went back: the mount (or the server) restarted; what waits is from another stream.
      if (m.frame < last_hello_frame) { queue.clear(); columns.clear(); marks.length = 0; pitch.length = 0; }
      last_hello_frame = m.frame;
      if (!ui) build(m);
      if (!player) {
        const output = choose_output(m.outputs, audio);
        if (!output) { state.player = "no output this browser plays"; show_status(); return; }
        state.output = output;
        player = new LivePlayer(audio, output, { sid, on_state: (s) => { state.player = s; state.player_loads = player?.loads ?? 0; show_status(); } });
      }
      const s = m.subscription;
      if (s) player.started_at(s.sid, s.output, s.start_frame);
    } else if (m.type === "start_frame" || m.type === "subscribed") {
      player?.started_at(m.sid, m.output, m.start_frame);
    } else if (m.type === "analysis") {
      newest = Math.max(newest, m.frame);
      // A loudness value measures the window before it: shown when the window's end is heard.
      const at = m.result.startsWith("loudness_itu.") ? m.frame + Math.round(m.duration * state.rate) : m.frame;
      queue.push(at, m);
    } else if (m.type === "news") {
      if (m.news === "title") queue.push(m.frame ?? 0, m);
      else if (m.news === "closing") state.feed = `closing (${m.reason})`;
    }
  }

  function heard(m, now_frame) {
    const rate = state.rate;
    if (m.type === "news") {
      state.title = m.title;
      now_title.textContent = m.title ? `Now: ${m.title}` : "";
      return;
    }
    const t = m.frame / rate;
    switch (m.result) {
      // Per channel: an array, or a number for a single channel. An interval's value is its
      // peak (aggregate "max") and its power-mean RMS (aggregate "power_mean").
      case "level.channel_max":
        state.level = { ...(state.level || {}), frame: m.frame, peak: [m.value].flat() };
        break;
      case "level.channel_rms":
        state.level = { ...(state.level || {}), rms_frame: m.frame, rms: [m.value].flat() };
        break;
      case "loudness_itu.block_loudness":
        ui.loudness?.set_momentary(m.value);
        state.loudness = { ...(state.loudness || {}), momentary: m.value, frame: m.frame };
        ui.history?.add(now_frame / rate, m.value, state.loudness.short_term ?? null);
        break;
      case "loudness_itu.short_term":
        ui.loudness?.set_short_term(m.value);
        state.loudness = { ...(state.loudness || {}), short_term: m.value };
        break;
      case "aubio_temporal.onset":
      case "aubio_temporal.beat": {
        const kind = m.result.endsWith("onset") ? "onset" : "beat";
        state.hits.push({ kind, frame: m.frame, now: now_frame, late_ms: (now_frame - m.frame) / rate * 1000 });
        marks.push({ t, kind });
        if (state.hits.length > 400) state.hits.splice(0, state.hits.length - 400);
        break;
      }
      case "aubio_temporal.bpm":
        state.tempo = m.value;
        break;
      case "aubio_pitch.pitch":
        state.pitch = { frame: m.frame, hz: m.value };
        pitch.push({ t, hz: m.value });
        break;
    }
  }

  function tick() {
    raf = requestAnimationFrame(tick);
    const rate = state.rate;
    const now_frame = player && rate ? player.stream_frame(rate) : null;
    state.now = now_frame;
    if (now_frame === null || !ui) return;
    for (const { item } of queue.take_until(now_frame)) heard(item, now_frame);
    for (const { item } of columns.take_until(now_frame)) { ui.spectrogram?.add(item.bins); state.columns += 1; }
    const now = now_frame / rate;
    if (ui.meters && state.level?.peak && state.level.rms) {
      ui.meters.set(state.level.peak, state.level.rms, now);
      ui.meters.draw(now);
    }
    ui.loudness?.draw();
    if (ui.timeline) {
      const ahead = queue.peek_until(now_frame + rate).filter((e) => e.item.result === "aubio_temporal.onset" || e.item.result === "aubio_temporal.beat");
      while (marks.length && marks[0].t < now - TIMELINE_PAST) marks.shift();
      while (pitch.length && pitch[0].t < now - TIMELINE_PAST) pitch.shift();
      const all = marks.concat(ahead.map((e) => ({ t: e.frame / rate, kind: e.item.result.endsWith("onset") ? "onset" : "beat" })));
      ui.timeline.draw(now, all, pitch);
      const hz = state.pitch?.hz;
      throttled_text(ui.timeline_readout, `tempo ${state.tempo ? state.tempo.toFixed(1) : "–"} BPM` +
        (state.pitch ? `, pitch ${hz > 0 ? `${hz.toFixed(1)} Hz` : "–"}` : ""));
    }
    state.lead = newest >= 0 ? (newest - now_frame) / rate : null;
    const recent = state.hits.slice(-20).map((x) => x.late_ms).sort((a, b) => a - b);
    const drawn = recent.length ? `${recent[recent.length >> 1].toFixed(0)} ms late` : "–";
    const text = `events lead ${state.lead === null ? "–" : state.lead.toFixed(2)} s · markers ${drawn}`;
    throttled_text(sync, text, 500);
  }

  feed = new Feed(mount, {
    query: `sid=${sid}&rate=${RATE}&spectrogram=u8`,
    on_message,
    on_column: (c) => { newest = Math.max(newest, c.frame); columns.push(c.frame, c); },
    on_state: (s) => { state.feed = s; show_status(); },
  });
  let raf = requestAnimationFrame(tick);

  return () => {
    stopped = true;
    cancelAnimationFrame(raf);
    feed.close();
    player?.close();
    ui?.history?.destroy();
  };
}
