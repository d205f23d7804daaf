// The admin page (#/admin): asks for the admin credentials ([live] admin_user / admin_password),
// kept in this module's memory only (never in storage: a reload asks again) and sent as a Basic
// Authorization header on each fetch. Per mount: set the title (/admin/metadata, Icecast's), the
// source and the listeners (/admin/api/mounts, polled every 2 s); and a reload of
// the stream definitions (POST /admin/api/reload) with each file's result.
import { format_duration, h } from "./dom.js";

const POLL_MS = 2000;
let credentials = null;  // "Basic …", for this page's life

async function admin_fetch(path, { method = "GET", signal } = {}) {
  // credentials "omit": the browser's own credentials stay out, and a 401 comes back to the page
  // (with "same-origin", Chromium holds it for its login dialog, which never answers the page).
  const res = await fetch(path, { method, signal, cache: "no-store", credentials: "omit", headers: { Authorization: credentials } });
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try { message = JSON.parse(text).error; } catch { /* a text answer (/admin/metadata) */ }
    const e = new Error(`${message} (HTTP ${res.status})`);
    e.status = res.status;
    throw e;
  }
  return text;
}

function source_text(s) {
  if (!s) return "–";
  const parts = [s.connected ? "connected" : "not connected", `input ${s.input || "–"}`];
  if (s.since) parts.push(`since ${s.since}`);
  if (s.client) parts.push(`from ${s.client.peer}`, s.client.content_type || "", s.client.user_agent ? `(${s.client.user_agent})` : "",
    `${s.client.bytes} bytes received`);
  if (s.last_error) parts.push(`last error: ${s.last_error}`);
  return parts.filter(Boolean).join(", ");
}

function mount_panel(m, on_title) {
  const input = h("input", { type: "text", id: `title-${m.id}`, value: m.title || "", autocomplete: "off" });
  const result = h("span", { class: "muted", role: "status" });
  const rows = h("tbody");
  const panel = h("section", { class: "panel wide", "aria-labelledby": `admin-${m.id}` },
    h("h2", { id: `admin-${m.id}`, text: `${m.name || m.id} (${m.id})` }),
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); on_title(m.id, input.value, result); } },
      h("label", { for: `title-${m.id}`, text: `Title of ${m.id}` }), input, h("button", { type: "submit", text: "Set title" }), result),
    h("p", { class: "source" }),
    h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "muted" }),
      h("thead", {}, h("tr", {}, ...["Peer", "User agent", "Output", "Connected for", "Bytes sent"].map((t) => h("th", { scope: "col", text: t })))),
      rows)));
  return { panel, rows, source: panel.querySelector(".source"), caption: panel.querySelector("caption") };
}

export function render(view) {
  const user = h("input", { id: "admin-user", type: "text", value: "admin", autocomplete: "username" });
  const password = h("input", { id: "admin-password", type: "password", autocomplete: "current-password" });
  const login_state = h("p", { class: "muted", role: "alert" });
  const login = h("form", { class: "login" },
    h("label", { for: "admin-user", text: "Admin user" }), user,
    h("label", { for: "admin-password", text: "Admin password" }), password,
    h("button", { type: "submit", text: "Sign in" }), login_state);
  const reload = h("button", { type: "button", text: "Reload stream definitions" });
  const reload_state = h("p", { class: "muted", role: "status" });
  const reload_rows = h("tbody");
  const mounts = h("div", { class: "panels" });
  const signed_in = h("div", { hidden: true },
    h("section", { "aria-labelledby": "reload-title" }, h("h2", { id: "reload-title", text: "Stream definitions" }), reload, reload_state,
      h("div", { class: "table-wrap" }, h("table", {}, h("caption", { class: "muted", text: "Each definition file's result at the last reload" }),
        h("thead", {}, h("tr", {}, ...["File", "Mount", "Result", "Message"].map((t) => h("th", { scope: "col", text: t })))), reload_rows))),
    h("h2", { text: "Mounts" }), mounts);
  view.append(h("p", {}, h("a", { href: "#/", text: "← Home" })), h("h1", { text: "Admin" }), login, signed_in);

  const state = { signed_in: false, error: null, mounts: {}, reload: null, titles: {}, polls: 0 };
  window.dashboard.page = "admin";
  window.dashboard.state = state;
  const ctl = new AbortController();
  const panels = new Map();
  let timer = null;

  async function set_title(id, title, result) {
    result.textContent = "Setting…";
    try {
      await admin_fetch(`/admin/metadata?mode=updinfo&mount=${encodeURIComponent(`/live/${id}`)}&song=${encodeURIComponent(title)}`, { signal: ctl.signal });
      state.titles[id] = title;
      result.textContent = `Title set: ${title}`;
    } catch (e) {
      result.textContent = `Could not set the title: ${e.message}`;
    }
  }

  // Every mount's source and listeners (GET /admin/api/mounts); throws a refusal (wrong credentials).
  async function poll() {
    timer = null;
    const { mounts: list } = JSON.parse(await admin_fetch("/admin/api/mounts", { signal: ctl.signal }));
    state.mounts = {};
    for (const d of list) {
      state.mounts[d.id] = d;
      let p = panels.get(d.id);
      if (!p) { p = mount_panel(d, set_title); panels.set(d.id, p); mounts.append(p.panel); }
      p.source.textContent = `Source: ${source_text(d.source)}. Title: ${d.title || "–"}.`;
      p.caption.textContent = `${d.count} listener${d.count === 1 ? "" : "s"}`;
      p.rows.replaceChildren(...d.listeners.map((l) => h("tr", {},
        h("td", { text: l.peer }), h("td", { text: l.user_agent || "–" }), h("td", { text: l.output }),
        h("td", { class: "num", text: format_duration(l.connected_seconds) }), h("td", { class: "num", text: String(l.bytes_sent) }))));
    }
    for (const [id, p] of panels) if (!state.mounts[id]) { p.panel.remove(); panels.delete(id); }
    if (!list.length) mounts.replaceChildren(h("p", { class: "muted", text: "No live mount." }));
    else mounts.querySelector(":scope > p")?.remove();
    state.polls += 1;
  }

  function schedule() {
    if (!ctl.signal.aborted) timer = setTimeout(() => poll().then(schedule, (e) => {
      if (ctl.signal.aborted) return;
      if (e.status === 401) { sign_out(e.message); return; }
      reload_state.textContent = `Could not read the mounts (${e.message}); trying again.`;
      schedule();
    }), POLL_MS);
  }

  function sign_out(message) {
    credentials = null;
    state.signed_in = false;
    state.error = message;
    signed_in.hidden = true;
    login.hidden = false;
    login_state.textContent = `Refused: ${message}`;
  }

  async function sign_in() {
    credentials = `Basic ${btoa(`${user.value}:${password.value}`)}`;
    password.value = "";
    login_state.textContent = "Checking…";
    try {
      await poll();
      state.signed_in = true;
      state.error = null;
      login.hidden = true;
      signed_in.hidden = false;
      login_state.textContent = "";
      schedule();
    } catch (e) {
      if (!ctl.signal.aborted) sign_out(e.message);
    }
  }

  login.addEventListener("submit", (e) => { e.preventDefault(); sign_in(); });
  reload.addEventListener("click", async () => {
    reload_state.textContent = "Reloading…";
    try {
      const r = JSON.parse(await admin_fetch("/admin/api/reload", { method: "POST", signal: ctl.signal }));
      state.reload = r;
      reload_rows.replaceChildren(...r.files.map((f) => h("tr", { class: f.result === "error" ? "bad" : null },
        h("td", { text: f.file }), h("td", { text: f.id }), h("td", { text: f.change ? `${f.result} (${f.change})` : f.result }),
        h("td", { text: f.error ? `${f.error} (running: ${f.running})` : "" }))));
      reload_state.textContent = `Reloaded ${r.folder}: ${r.added.length} added, ${r.changed.length} changed, ${r.removed.length} removed, ${r.invalid.length} with errors, ${r.unchanged} unchanged.`;
    } catch (e) {
      if (e.status === 401) sign_out(e.message);
      else reload_state.textContent = `Reload failed: ${e.message}`;
    }
  });
  if (credentials) sign_in();  // signed in earlier in this page's life

  return () => { ctl.abort(); clearTimeout(timer); };
}
