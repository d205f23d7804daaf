// The home page (#/): the live mounts from /api/status (running or not, source, title, listeners),
// polled every 2 s while the page is visible, and the media library from /api/items (read again when
// the status counts another number of items) with a search
// over ids, file names and tags, each item's duration and the formats it is served in.
import { fetch_json, format_duration, h, path_of } from "./dom.js";

const POLL_MS = 2000;
const FORMATS = ["mp3", "ogg", "opus", "flac", "wav"];

function source_text(m) {
  const s = m.source || {};
  if (m.fallback_active) return "fallback playing";
  if (s.connected) return s.client?.peer ? `source connected (${s.client.peer})` : `source: ${s.input || "connected"}`;
  return s.input ? `input: ${s.input}` : "no source";
}

function mount_card(m) {
  return h("li", { class: "card" },
    h("h3", {}, h("a", { href: `#/live/${encodeURIComponent(m.id)}`, text: m.name || m.id })),
    h("p", {},
      h("span", { class: `state ${m.state === "running" ? "running" : "failed"}`, text: m.state === "running" ? "playing" : "stopped" }),
      " ", h("span", { class: "muted", text: `${m.listeners} listener${m.listeners === 1 ? "" : "s"}` })),
    h("p", { text: m.title ? `Now: ${m.title}` : "No title" }),
    h("p", { class: "muted", text: m.state === "running" ? source_text(m) : (m.failure || "not running") }));
}

export function render(view) {
  const mounts = h("ul", { class: "cards", "aria-live": "polite", "aria-busy": "true" });
  const mounts_state = h("p", { class: "muted", role: "status", text: "Reading /api/status…" });
  const search = h("input", { type: "search", id: "library-search", placeholder: "sweep, C4…", autocomplete: "off" });
  const rows = h("tbody");
  const library_state = h("p", { class: "muted", role: "status", text: "Reading /api/items…" });
  view.append(
    h("h1", { text: "TimeSide" }),
    h("section", { "aria-labelledby": "mounts-title" }, h("h2", { id: "mounts-title", text: "Live mounts" }), mounts_state, mounts),
    h("section", { "aria-labelledby": "library-title" },
      h("h2", { id: "library-title", text: "Library" }),
      h("label", { for: "library-search", text: "Search the library" }), search, library_state,
      h("div", { class: "table-wrap" }, h("table", {},
        h("caption", { class: "muted", text: "Media items, with their duration and the formats they are served in" }),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Item" }), h("th", { scope: "col", text: "Duration" }),
          h("th", { scope: "col", text: "Formats" }))),
        rows))));

  const state = { mounts: [], items: [], shown: 0, polls: 0 };
  window.dashboard.page = "home";
  window.dashboard.state = state;
  const ctl = new AbortController();
  let timer = null;

  async function poll() {
    timer = null;
    if (document.visibilityState === "visible") {
      try {
        const status = await fetch_json("/api/status", { signal: ctl.signal });
        state.mounts = status.live?.mounts || [];
        state.polls += 1;
        if (status.library && status.library.items !== state.items.length) load_items();
        mounts.replaceChildren(...state.mounts.map(mount_card));
        mounts.setAttribute("aria-busy", "false");
        mounts_state.textContent = state.mounts.length ? "" : "No live mount.";
      } catch (e) {
        if (ctl.signal.aborted) return;
        mounts_state.textContent = `Could not read the status (${e.message}); trying again.`;
      }
    }
    if (!ctl.signal.aborted) timer = setTimeout(poll, POLL_MS);
  }

  function show_items() {
    const q = search.value.trim().toLowerCase();
    const match = (it) => !q || [it.id, it.file, ...Object.values(it.tags || {})].some((v) => String(v).toLowerCase().includes(q));
    const shown = state.items.filter(match);
    state.shown = shown.length;
    rows.replaceChildren(...shown.map((it) => h("tr", {},
      h("td", {}, h("a", { href: `#/items/${path_of(it.id)}`, text: it.id })),
      h("td", { class: "num", text: format_duration(it.duration) }),
      h("td", { class: "formats" }, ...FORMATS.map((f) =>
        h("a", { href: `/media/${path_of(it.id)}.${f}`, text: f, "aria-label": `${it.id} as ${f}` }))))));
    library_state.textContent = `${shown.length} of ${state.items.length} items`;
  }

  // The library, read again when the status counts another number of items than the page shows
  // (the first scan was still running at the first read; a rescan found new files).
  let loading = false;
  function load_items() {
    if (loading) return;
    loading = true;
    fetch_json("/api/items", { signal: ctl.signal }).then(({ items }) => {
      state.items = items;
      show_items();
    }).catch((e) => { if (!ctl.signal.aborted) library_state.textContent = `Could not read the library (${e.message}).`; })
      .finally(() => { loading = false; });
  }
  load_items();
  search.addEventListener("input", show_items);
  poll();

  return () => { ctl.abort(); clearTimeout(timer); };
}
