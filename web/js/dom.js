// Small DOM helpers shared by the pages: h() builds an element with attributes and children,
// fetch_json() reads an API path with a deadline and a message naming it when it fails.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...children.filter((c) => c !== null && c !== undefined));
  return el;
}

export async function fetch_json(path, { timeout = 10000, signal } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  signal?.addEventListener("abort", () => ctl.abort());
  try {
    const res = await fetch(path, { signal: ctl.signal, cache: "no-store" });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return await res.json();
  } finally {
    clearTimeout(timer);
  }
}

// Ids may hold slashes (albums/x/track01): each segment is encoded, the slashes kept.
export const path_of = (id) => id.split("/").map(encodeURIComponent).join("/");

export function format_duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

// A canvas sized to its CSS box at the device's pixel ratio; its 2D context scaled to CSS pixels.
export function fit_canvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const hgt = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== w || canvas.height !== hgt) {
    canvas.width = w;
    canvas.height = hgt;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width: canvas.clientWidth, height: canvas.clientHeight };
}

// A CSS variable's value (the theme's colours for canvases), read once per theme: canvases draw
// every frame, and a style read per colour per frame is main-thread time for nothing.
const colours = new Map();
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => colours.clear());
export function css_var(name) {
  let v = colours.get(name);
  if (v === undefined) {
    v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    colours.set(name, v);
  }
  return v;
}

// Sets an element's text at most every `ms` (a readout of values drawn 60 times a second: each
// text change costs a layout, and nobody reads faster).
export function throttled_text(el, text, ms = 250) {
  const now = performance.now();
  if (el.textContent === text || now - (el._shown_at || 0) < ms) return;
  el._shown_at = now;
  el.textContent = text;
}
