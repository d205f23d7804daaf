// The dashboard's router: the URL's hash picks a page module (#/ home, #/live/{mount} a mount,
// #/items/{id} a library item, #/admin the admin page);
// each page's render(view, params) returns a function that stops it (sockets, players, frames).
// Each page's module is imported when first shown: a page parses only its own code (and the mount
// page alone loads uPlot).
const routes = [
  [/^#?\/?$/, () => import("./home.js")],
  [/^#\/live\/([A-Za-z0-9._-]+)$/, () => import("./mount.js")],
  [/^#\/items\/(.+)$/, () => import("./item.js")],
  [/^#\/admin$/, () => import("./admin.js")],
];

// What a test (or a curious user in the console) reads: each page keeps its state here.
window.dashboard = { page: null, state: null };

let stop = null;
let first = true;
let shown = 0;  // the latest route(): a slower import of an earlier page must not render over it

async function route() {
  if (stop) stop();
  stop = null;
  const view = document.getElementById("view");
  const mine = ++shown;
  for (const [pattern, load] of routes) {
    const m = location.hash.match(pattern);
    if (m) {
      const page = await load();
      if (mine !== shown) return;
      view.replaceChildren();
      stop = page.render(view, ...m.slice(1).map(decodeURIComponent));
      // A page changed in place: focus its content (a screen reader reads it); not at first load,
      // where Tab starts at the top as on any page.
      if (!first) view.focus({ preventScroll: true });
      first = false;
      return;
    }
  }
  view.replaceChildren();
  const p = document.createElement("p");
  p.textContent = `No page ${location.hash}. `;
  const a = document.createElement("a");
  a.href = "#/";
  a.textContent = "Home";
  p.append(a);
  view.append(p);
}

window.addEventListener("hashchange", route);
route();
