// The dashboard's router: the URL's hash picks a page module (#/ home, #/live/{mount} a mount);
// each page's render(view, params) returns a function that stops it (sockets, players, frames).
// Pages to come (#/items/{id}, #/admin) add one line to `routes`.
import * as home from "./home.js";
import * as mount from "./mount.js";

const routes = [
  [/^#?\/?$/, home.render],
  [/^#\/live\/([A-Za-z0-9._-]+)$/, mount.render],
];

// What a test (or a curious user in the console) reads: each page keeps its state here.
window.dashboard = { page: null, state: null };

let stop = null;
let first = true;

function route() {
  if (stop) stop();
  stop = null;
  const view = document.getElementById("view");
  view.replaceChildren();
  for (const [pattern, render] of routes) {
    const m = location.hash.match(pattern);
    if (m) {
      stop = render(view, ...m.slice(1).map(decodeURIComponent));
      // A page changed in place: focus its content (a screen reader reads it); not at first load,
      // where Tab starts at the top as on any page.
      if (!first) view.focus({ preventScroll: true });
      first = false;
      return;
    }
  }
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
