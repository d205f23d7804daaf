"""The dashboard (issue 13) in headless Chromium (Debian's, driven by tests/web/devtools.py): the home
and mount pages load without a console error or a failed request; the mount page plays the shipped
`scale` mount (streams/scale.toml) and its level meters show, for the stream frame being heard, the
values a parallel Python subscriber received for that interval; onset markers of a clicks mount
cross the playhead within 40 ms of the file's clicks; the page plays again with its feed after the
server is restarted under it; every control is reachable by Tab and named in the accessibility
tree. The item page draws the min/max of /waveform.json per pixel column, fills its results table
from the items feed with working downloads in every format, and moves its cursor with playback;
the admin page refuses a wrong password, sets a title, lists listeners and reloads the stream
definitions. Screenshots of each page at 1280x800 and 360x740 go to tests/out/ (artifacts)."""
import asyncio
import base64
import json
import os
import sys
import math
import threading
import time
import unittest
import urllib.request

import websockets

from live_support import ADMIN_PASSWORD, Listener, Station, file_mount, wait_until
from server_support import Server
from support import ROOT, SAMPLES, TempDir
from test_admin_routes import TONE
from test_live_sync_browser import CLICKS, LOOP, RATE, from_true_click, write_clicks_wav

sys.path.insert(0, os.path.join(ROOT, "tests", "web"))
from devtools import Chromium, connect  # noqa: E402

OUT = os.path.join(ROOT, "tests", "out")
SIZES = [(1280, 800), (360, 740)]
MARKER_MS = 40.0
# Each result format's media type (src/results/formats.cpp, docs/result_formats.md).
RESULT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "jams": "application/json",
                "vtt": "text/vtt; charset=utf-8", "audacity": "text/plain; charset=utf-8", "hdf5": "application/x-hdf5"}


def expected_columns(data, width):
    """The min/max per canvas column of a one-channel waveform.json's data: column c holds the
    pixels i with floor(i * width / length) == c (written here from the format's definition, not
    from the page's code)."""
    pixels = [(data[2 * i], data[2 * i + 1]) for i in range(len(data) // 2)]
    if len(pixels) < width:
        return [list(pixels[c * len(pixels) // width]) for c in range(width)]
    cols = [[32767, -32768] for _ in range(width)]
    for i, (lo, hi) in enumerate(pixels):
        c = i * width // len(pixels)
        cols[c] = [min(cols[c][0], lo), max(cols[c][1], hi)]
    return cols


async def type_into(page, selector, text):
    await page.evaluate(f"(e => {{ e.focus(); e.value = {json.dumps(text)}; }})(document.querySelector({json.dumps(selector)}))")


async def submit(page, selector):
    await page.evaluate(f"document.querySelector({json.dumps(selector)}).requestSubmit()")


def scale_definition():
    """The shipped mount's definition, its sample file given by absolute path (the tests' cwd differs)."""
    with open(os.path.join(ROOT, "streams", "scale.toml")) as f:
        text = f.read()
    return text.replace('"samples/C4_scale.wav"', json.dumps(os.path.join(SAMPLES, "C4_scale.wav")))


def clicks_definition(wav):
    return file_mount(wav, formats=("mp3", "opus"), head=f'name = "Clicks"\nsamplerate = {RATE}\nchannels = 1',
                      tail='[analysis]\nprocessors = ["level", "aubio_temporal:onset_hop_size=128"]\n'
                           '[listeners]\nburst = 8\n')


async def wait_js(page, expression, what, timeout=30.0):
    """Evaluates `expression` every 0.1 s until it is truthy; its value. AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await page.evaluate(expression)
        if value:
            return value
        if time.monotonic() >= deadline:
            state = await page.evaluate("JSON.stringify(window.dashboard.state, (k, v) => k === 'hits' || k === 'items' ? undefined : v)")
            raise AssertionError(f"{what}: not within {timeout} s (last: {value!r}); page state: {state}")
        await asyncio.sleep(0.1)


async def goto(page, url):
    """A fresh load of url (two pages differing by their hash only would not reload)."""
    await page.navigate("about:blank")
    await page.navigate(url)


async def open_page(browser):
    session = connect(browser)
    page = await session.__aenter__()
    for domain in ("Page", "Runtime", "Log", "Network"):
        await page.call(f"{domain}.enable")
    return session, page


def problems(events):
    """Console errors, exceptions and failed requests among the DevTools events received."""
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            out.append(f"exception: {p['exceptionDetails'].get('exception', {}).get('description') or p['exceptionDetails']['text']}")
        elif m == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            out.append(f"console.error: {[a.get('value', a.get('description')) for a in p['args']]}")
        elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
            out.append(f"log: {p['entry']['text']} {p['entry'].get('url', '')}")
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"request failed: {p['errorText']} ({p['requestId']})")
        elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
            out.append(f"HTTP {p['response']['status']}: {p['response']['url']}")
    return out


async def screenshot(page, name):
    os.makedirs(OUT, exist_ok=True)
    for width, height in SIZES:
        await page.call("Emulation.setDeviceMetricsOverride",
                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
        await asyncio.sleep(0.5)  # a few frames drawn at the new size
        shot = await page.call("Page.captureScreenshot", {"format": "png"})
        path = os.path.join(OUT, f"dashboard-{name}-{width}x{height}.png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        assert os.path.getsize(path) > 1000, path
    await page.call("Emulation.clearDeviceMetricsOverride")


class Subscriber:
    """A parallel feed subscriber (Python's websockets) on a thread: every per-channel level message,
    by result and frame."""

    def __init__(self, url):
        self.levels = {}
        self.stop = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run(url)), daemon=True)
        self.thread.start()

    async def run(self, url):
        try:
            async with websockets.connect(url, max_size=None) as ws:
                while not self.stop.is_set():
                    try:
                        m = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                    except asyncio.TimeoutError:
                        continue
                    if m.get("type") == "analysis" and m["result"] in ("level.channel_max", "level.channel_rms"):
                        self.levels[(m["result"], m["frame"])] = m
        except Exception as e:  # reported by the test
            self.error = e

    def close(self):
        self.stop.set()
        self.thread.join(5)


class Dashboard(unittest.TestCase):
    def setUp(self):
        self.browser = Chromium()
        self.addCleanup(self.browser.close)

    def test_the_page_loads_the_pinned_library_versions(self):
        with open(os.path.join(ROOT, "web", "package.json")) as f:
            pinned = json.load(f)["dependencies"]
        with open(os.path.join(ROOT, "web", "index.html")) as f:
            page = f.read()
        for name, version in pinned.items():
            with self.subTest(name):
                self.assertIn(f"/lib/{name}@{version}/", page)
                self.assertTrue(os.path.isdir(os.path.join(ROOT, "web", "lib", f"{name}@{version}")),
                                f"web/lib/{name}@{version}: run `make web-libs`")

    def test_pages_load_without_errors_and_are_shot_at_two_sizes(self):
        with Station({"scale": scale_definition()}) as station:
            station.wait_mount("scale")

            async def run():
                session, page = await open_page(self.browser)
                try:
                    await goto(page, station.url("/#/"))
                    # The home page: the mount, playing, and the library's items.
                    state = await wait_js(page, "(s => s && s.polls > 0 && s.items.length > 0 && s)(window.dashboard.state)",
                                          "home page filled")
                    self.assertEqual([m["id"] for m in state["mounts"]], ["scale"])
                    cards = await page.evaluate("[...document.querySelectorAll('.cards .card')].map(c => c.innerText)")
                    self.assertEqual(len(cards), 1)
                    self.assertIn("playing", cards[0])
                    self.assertIn("C4 scale, looped", cards[0])
                    items = station.server.get("/api/items")[2]
                    self.assertEqual(state["shown"], len(items["items"]))
                    # The search narrows the table to matching ids.
                    await page.evaluate("(i => { i.value = 'sweep'; i.dispatchEvent(new Event('input')); })(document.getElementById('library-search'))")
                    shown = await page.evaluate("[...document.querySelectorAll('tbody tr td:first-child')].map(td => td.textContent)")
                    self.assertTrue(shown and all("sweep" in s for s in shown), shown)
                    self.assertEqual(sorted(shown), sorted(i["id"] for i in items["items"] if "sweep" in i["id"]))
                    # Live: a new title shows on the mount's card by the status polling (every 2 s).
                    self.assertEqual(station.set_title("scale", "Artist - Home"), 200)
                    await wait_js(page, "[...document.querySelectorAll('.cards .card')].some(c => c.innerText.includes('Now: Artist - Home'))",
                                  "the new title on the home page", timeout=6)
                    await screenshot(page, "home")
                    # The mount page: playing, with meters, loudness, timeline and spectrogram drawn.
                    await goto(page, station.url("/#/live/scale"))
                    await wait_js(page, "(s => s && s.now !== null && s.level && s.columns > 5 && s.loudness && s.pitch)(window.dashboard.state)",
                                  "mount page playing with every panel", timeout=40)
                    # A title news is shown when the stream reaches its frame.
                    self.assertEqual(station.set_title("scale", "Artist - Mount"), 200)
                    await wait_js(page, "window.dashboard.state.title === 'Artist - Mount' && document.body.innerText.includes('Now: Artist - Mount')",
                                  "the new title on the mount page", timeout=15)
                    panels = await page.evaluate("[...document.querySelectorAll('.panel h2')].map(h => h.textContent)")
                    self.assertEqual(panels, ["Level (dBFS)", "Loudness (EBU R128, LU)", "Loudness, the last minute",
                                             "Onsets, beats and pitch", "Spectrogram"])
                    # The uPlot chart drew the loudness heard (its series hold points).
                    points = await page.evaluate("document.querySelectorAll('.chart canvas').length")
                    self.assertEqual(points, 1)
                    await screenshot(page, "mount")
                    return problems(page.events)
                finally:
                    await session.__aexit__(None, None, None)

            found = asyncio.run(run())
        self.assertEqual(found, [])

    def test_mount_page_plays_the_shipped_mount_with_the_feeds_levels(self):
        with Station({"scale": scale_definition()}) as station:
            station.wait_mount("scale")
            ws_url = station.url("/events/scale?rate=20&analyzers=level").replace("http://", "ws://")
            subscriber = Subscriber(ws_url)
            self.addCleanup(subscriber.close)

            async def run():
                session, page = await open_page(self.browser)
                try:
                    await goto(page, station.url("/#/live/scale"))
                    await wait_js(page, "(s => s && s.now !== null && s.level && s.level.rms_frame === s.level.frame)(window.dashboard.state)",
                                  "mount page playing with level values", timeout=40)
                    t0 = await page.evaluate("document.querySelector('audio').currentTime")
                    w0 = time.monotonic()
                    samples = []
                    for _ in range(60):  # 6 s
                        samples.append(await page.evaluate(
                            "(s => ({now: s.now, rate: s.rate, level: s.level, output: s.output.format}))(window.dashboard.state)"))
                        await asyncio.sleep(0.1)
                    t1 = await page.evaluate("document.querySelector('audio').currentTime")
                    # What a screen reader gets: the canvas' label and the readout, by channel name.
                    labels = await page.evaluate(
                        "[document.querySelector('#level-title').parentElement.querySelector('canvas').getAttribute('aria-label'),"
                        " document.getElementById('level-readout').textContent]")
                    return samples, (t1 - t0) / (time.monotonic() - w0), labels
                finally:
                    await session.__aexit__(None, None, None)

            samples, speed, labels = asyncio.run(run())
            subscriber.close()
        self.assertIsNone(subscriber.error)
        # The element's clock advances in real time.
        self.assertAlmostEqual(speed, 1.0, delta=0.1)
        self.assertEqual(samples[0]["output"], "opus")  # Chromium plays Ogg Opus: the first choice
        rate = samples[0]["rate"]
        checked = 0
        # The shipped mount is stereo: two meters, named for screen readers.
        self.assertIn("one per channel: L, R", labels[0])
        self.assertRegex(labels[1], r"^L: peak \S+ dBFS, RMS \S+ dBFS, hold \S+; R: peak \S+ dBFS, RMS \S+ dBFS, hold \S+$")
        for s in samples:
            level = s["level"]
            peak = subscriber.levels.get(("level.channel_max", level["frame"]))
            rms = subscriber.levels.get(("level.channel_rms", level["frame"]))
            if peak is None or rms is None:
                continue  # before the subscriber's first message
            # The interval shown is the one being heard: it holds the playhead's frame (intervals
            # are contiguous: frame to frame + duration), with the values the feed sent for it.
            end = peak["frame"] + round(peak["duration"] * rate)
            self.assertTrue(peak["frame"] <= s["now"] < end, f"page shows [{peak['frame']}, {end}), hears {s['now']}")
            # One value per channel (two meters), each the feed's for that channel: the interval's
            # peak (its aggregate is the max) and its power-mean RMS.
            self.assertEqual((len(level["peak"]), len(level["rms"])), (2, 2))
            self.assertEqual((level["peak"], level["rms"]), (peak["value"], rms["value"]), f"frame {level['frame']}")
            self.assertEqual(peak["value"], peak["max"])
            checked += 1
        self.assertGreaterEqual(checked, 50)

    def test_onset_markers_cross_the_playhead_with_their_clicks(self):
        with TempDir() as root:
            wav = os.path.join(root, "clicks.wav")
            write_clicks_wav(wav)
            with Station({"clicks": clicks_definition(wav)}) as station:
                station.wait_mount("clicks")

                async def run():
                    session, page = await open_page(self.browser)
                    try:
                        await goto(page, station.url("/#/live/clicks"))
                        state = await wait_js(page, "(s => s && s.hits.filter(h => h.kind === 'onset').length >= 20 && s)(window.dashboard.state)",
                                              "20 onset markers at the playhead", timeout=60)
                        readout = await page.evaluate("document.getElementById('level-readout').textContent")
                        return state, readout
                    finally:
                        await session.__aexit__(None, None, None)

                state, readout = asyncio.run(run())
        # A mono mount: one meter, its value a single channel's, no channel name.
        self.assertEqual((len(state["level"]["peak"]), len(state["level"]["rms"])), (1, 1))
        self.assertRegex(readout, r"^peak \S+ dBFS, RMS \S+ dBFS, hold \S+$")
        rate = state["rate"]
        onsets = [h for h in state["hits"] if h["kind"] == "onset"]
        # Each marker reached the playhead (the frame heard when drawn) within 40 ms of its click in
        # the file (looped from stream frame 0), and one marker per click: none missed.
        errors = [from_true_click(h["now"] / rate) * 1000 for h in onsets]
        late = [h["late_ms"] for h in onsets]
        summary = f"marker - click (ms): {[round(e, 1) for e in errors]}; drawn after its event (ms): {[round(x, 1) for x in late]}"
        print("\n" + summary)
        self.assertLessEqual(max(abs(e) for e in errors), MARKER_MS, summary)
        first, last = onsets[0]["frame"] / rate, onsets[-1]["frame"] / rate
        expected = sum(1 for k in range(int(first // LOOP) - 1, int(last // LOOP) + 2) for c in CLICKS
                       if first - 0.05 <= c + k * LOOP <= last + 0.05)
        self.assertEqual(len(onsets), expected, summary)

    def test_the_page_recovers_after_a_server_restart(self):
        with Station({"scale": scale_definition()}) as station:
            station.wait_mount("scale")

            async def run():
                session, page = await open_page(self.browser)
                try:
                    await goto(page, station.url("/#/live/scale"))
                    before = await wait_js(page, "(s => s && s.now !== null && s.now > 8 * s.rate && s)(window.dashboard.state)",
                                           "playing before the restart", timeout=40)
                    station.server.stop()
                    old = station.server
                    station.server = Server(config=f'[live]\nadmin_password = "{ADMIN_PASSWORD}"\n',
                                            extra=["--streams", station.streams], port=station.port)
                    old.cleanup()
                    started = time.monotonic()
                    # A new stream (its time from 0 again), heard by a reloaded player, with a new feed.
                    after = await wait_js(page, "(s => s.feed_connects >= 2 && s.player_loads >= 2 && s.player === 'playing' "
                                                "&& s.now !== null && s)(window.dashboard.state)",
                                          "player and feed back after the restart", timeout=30)
                    recovered = time.monotonic() - started
                    # The page maps its player onto the new stream (its time restarted at 0), not the old one.
                    new_stream = station.mount_status("scale")["stream_seconds"]
                    self.assertLess(after["now"] / after["rate"], new_stream + 0.1, (before["now"], after["now"]))
                    t0 = after["now"]
                    await asyncio.sleep(1.0)
                    t1 = await page.evaluate("window.dashboard.state.now")
                    return before, after, recovered, (t1 - t0) / after["rate"]
                finally:
                    await session.__aexit__(None, None, None)

            before, after, recovered, advanced = asyncio.run(run())
        print(f"\nrecovered in {recovered:.1f} s (player loads {after['player_loads']}, feed connects {after['feed_connects']})")
        self.assertLess(recovered, 20)
        self.assertGreater(advanced, 0.5)

    def test_item_page_waveform_results_and_playback(self):
        with Station({}) as station:
            station.server.wait_scanned()

            async def run():
                session, page = await open_page(self.browser)
                try:
                    await goto(page, station.url("/#/"))
                    await wait_js(page, "(s => s && s.items.length > 0)(window.dashboard.state)", "home page filled")
                    # Home's library links to the item page.
                    href = await page.evaluate("[...document.querySelectorAll('tbody a')].find(a => a.textContent === 'C4_scale').getAttribute('href')")
                    self.assertEqual(href, "#/items/C4_scale")
                    await goto(page, station.url("/#/items/C4_scale"))
                    await wait_js(page, "window.dashboard.page === 'item'", "the item page", timeout=10)
                    progress = []
                    deadline = time.monotonic() + 60
                    while True:  # the feed's progress as the page shows it, until the table fills
                        s = await page.evaluate("(s => ({p: s.progress, bar: document.querySelector('progress').value, "
                                                "rows: document.querySelectorAll('table tbody tr').length, done: s.results.length}))(window.dashboard.state)")
                        progress.append(s)
                        if s["done"] or time.monotonic() > deadline:
                            break
                        await asyncio.sleep(0.05)
                    state = await wait_js(page, "(s => s.results.length && s.overview && s.zoom && !s.zoom.loading && s)(window.dashboard.state)",
                                          "item page drawn and analysed", timeout=30)
                    cells = await page.evaluate("[...document.querySelectorAll('table tbody tr')].map(tr => [...tr.cells].map(c => c.textContent))")
                    links = await page.evaluate("[...document.querySelectorAll('.formats a')].map(a => [a.textContent, a.getAttribute('href')])")
                    # Playback moves the cursor; a click on the overview seeks.
                    await page.evaluate("document.querySelector('audio').play()")
                    played = await wait_js(page, "(s => s.time > 1.0 && s.cursor_x > 0 && s)(window.dashboard.state)",
                                           "playback moving the cursor", timeout=20)
                    await page.evaluate("(c => { const r = c.getBoundingClientRect(); c.dispatchEvent(new MouseEvent('click', "
                                        "{clientX: r.left + r.width * 0.75, clientY: r.top + 5, bubbles: true})); })(document.querySelector('canvas.wave'))")
                    seeked = await wait_js(page, "(s => s.time > 0.74 * s.item.duration && s)(window.dashboard.state)", "seek to 75 %", timeout=10)
                    await screenshot(page, "item")
                    return state, progress, cells, links, played, seeked, problems(page.events)
                finally:
                    await session.__aexit__(None, None, None)

            state, progress, cells, links, played, seeked, found = asyncio.run(run())
            # The overview's columns are /waveform.json's min/max at the page's zoom, one per column.
            ov = state["overview"]
            status, _, wf = station.server.get(f"/api/items/C4_scale/waveform.json?zoom={ov['zoom']}")
            self.assertEqual(status, 200)
            frames = round(state["item"]["duration"] * state["item"]["samplerate"])
            self.assertEqual(wf["length"], math.ceil(frames / ov["zoom"]))
            self.assertGreaterEqual(ov["width"], 300)
            self.assertEqual(ov["columns"], expected_columns(wf["data"], ov["width"]))
            self.assertGreater(max(hi for _, hi in ov["columns"]), 10000)  # the scale is loud: not a flat line
            # The results: every one the run computed, one row each, as the stored JSON has them.
            end = state["end"]
            self.assertEqual(end["outcome"], "complete")
            status, _, stored = station.server.get(end["url"])
            by_id = {r["id_metadata"]["id"]: r for r in stored}
            self.assertEqual(sorted(by_id), sorted(end["results"]))
            self.assertEqual(sorted(c[0] for c in cells), sorted(end["results"]))
            for row in cells:
                meta = by_id[row[0]]
                self.assertEqual(row[1:4], [meta["id_metadata"]["name"], meta["id_metadata"]["unit"], meta["time_mode"]], row)
            onsets = next(c for c in cells if c[0] == "aubio_temporal.onset")
            self.assertTrue(onsets[4].startswith(f"{len(by_id['aubio_temporal.onset']['data_object']['time']['numpyArray'])} events"), onsets)
            rms = next(c for c in cells if c[0] == "level.rms")
            self.assertAlmostEqual(float(rms[4]), by_id["level.rms"]["data_object"]["value"]["numpyArray"][0], places=2)
            # The feed's progress reached 100 % on the page's bar, values arrived while it ran.
            self.assertEqual((progress[-1]["p"], progress[-1]["bar"]), (1, 1))
            self.assertGreater(state["received"], 0)
            # A download in every result format: 200 and the format's media type.
            self.assertEqual([name for name, _ in links], list(RESULT_TYPES))
            for name, href in links:
                with urllib.request.urlopen(station.url(href), timeout=60) as r:
                    self.assertEqual((r.status, r.headers["Content-Type"]), (200, RESULT_TYPES[name]), href)
                    self.assertGreater(len(r.read()), 20, href)
            # The cursor is where the element's time is, on the overview's columns.
            self.assertAlmostEqual(played["cursor_x"], played["time"] / (wf["length"] * ov["zoom"] / 44100) * ov["width"], delta=3)
            self.assertEqual(state["format"], "opus")
        self.assertEqual(found, [])

    def test_admin_page_signs_in_sets_a_title_lists_listeners_and_reloads(self):
        with TempDir() as cwd:
            # No streams/ folder at start: no mount and no watch of the folder, so that the page's
            # reload is what reads the file the test writes.
            server = Server(config=f'[live]\nadmin_password = "{ADMIN_PASSWORD}"\n', preexec_fn=lambda: os.chdir(cwd))
            self.addCleanup(server.stop_and_cleanup)
            url = lambda path: f"http://127.0.0.1:{server.port}{path}"

            async def run():
                session, page = await open_page(self.browser)
                try:
                    await goto(page, url("/#/admin"))
                    await wait_js(page, "window.dashboard.page === 'admin'", "the admin page", timeout=10)
                    await type_into(page, "#admin-password", "not-the-password")
                    await submit(page, "form.login")
                    await wait_js(page, "window.dashboard.state.error", "the refusal", timeout=10)
                    refused = await page.evaluate("document.querySelector('form.login [role=alert]').textContent")
                    refusals = problems(page.events)
                    page.events.clear()
                    await type_into(page, "#admin-password", ADMIN_PASSWORD)
                    await submit(page, "form.login")
                    await wait_js(page, "window.dashboard.state.signed_in", "signed in", timeout=10)
                    await screenshot(page, "admin-signed-in")
                    # A new definition file, read by the page's reload.
                    os.makedirs(os.path.join(cwd, "streams"))
                    with open(os.path.join(cwd, "streams", "tone.toml"), "w") as f:
                        f.write(TONE)
                    await page.evaluate("[...document.querySelectorAll('button')].find(b => b.textContent === 'Reload stream definitions').click()")
                    reload = await wait_js(page, "window.dashboard.state.reload", "the reload's report", timeout=20)
                    reload_rows = await page.evaluate("[...document.querySelectorAll('section[aria-labelledby=reload-title] tbody tr')].map(tr => [...tr.cells].map(c => c.textContent))")
                    # A listener (the test's, with its user agent) shows in the mount's table.
                    listener = Listener(server.port, "/live/tone.mp3", metadata=True)
                    self.addCleanup(listener.close)
                    listener.wait_audio(16000)
                    await wait_js(page, "document.querySelector('section[aria-labelledby=admin-tone] tbody')?.innerText.includes('timeside-test')",
                                  "the listener in the page", timeout=10)
                    listed = await page.evaluate("window.dashboard.state.mounts.tone")
                    # The title, set from the page.
                    await type_into(page, "#title-tone", "Artist - Admin")
                    await submit(page, "section[aria-labelledby=admin-tone] form")
                    await wait_js(page, "window.dashboard.state.titles.tone === 'Artist - Admin'", "the title set", timeout=10)
                    await screenshot(page, "admin")
                    return refused, refusals, reload, reload_rows, listener, listed, problems(page.events)
                finally:
                    await session.__aexit__(None, None, None)

            refused, refusals, reload, reload_rows, listener, listed, found = asyncio.run(run())
            self.assertIn("Refused: wrong admin credentials (HTTP 401)", refused)
            # The wrong password's request was refused (and nothing else failed).
            self.assertTrue(refusals and all("401" in p and p.endswith("/admin/api/mounts") for p in refusals), refusals)
            self.assertEqual(reload["files"], [{"id": "tone", "file": "tone.toml", "result": "loaded", "change": "added"}])
            self.assertEqual(reload_rows, [["tone.toml", "tone", "loaded (added)", ""]])
            self.assertEqual(listed["count"], 1)
            self.assertEqual((listed["listeners"][0]["user_agent"], listed["listeners"][0]["format"]), ("timeside-test", "mp3"))
            self.assertIn("file", listed["source"]["input"])
            # The title reached the status and the listener's ICY metadata.
            wait_until("the title in /api/status", lambda: next(m for m in server.get("/api/status")[2]["live"]["mounts"]
                                                                if m["id"] == "tone")["title"] == "Artist - Admin")
            wait_until("the title in the listener's ICY metadata",
                       lambda: any("StreamTitle='Artist - Admin';" in t for _, t in listener.titles), timeout=15)
            self.assertEqual(found, [])

    def test_controls_are_reached_by_tab_and_named(self):
        with Station({"scale": scale_definition()}) as station:
            station.wait_mount("scale")

            async def tab_order(page, count):
                names = []
                for _ in range(count):
                    for kind in ("keyDown", "keyUp"):
                        await page.call("Input.dispatchKeyEvent", {"type": kind, "key": "Tab", "code": "Tab",
                                                                   "windowsVirtualKeyCode": 9})
                    names.append(await page.evaluate(
                        "(e => e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent) || e.textContent.trim() || e.tagName)(document.activeElement)"))
                return names

            async def unnamed_controls(page):
                tree = await page.call("Accessibility.getFullAXTree")
                out = []
                for n in tree["nodes"]:
                    role = n.get("role", {}).get("value")
                    if n.get("ignored") or role not in ("button", "link", "textbox", "searchbox", "slider", "image", "img", "combobox"):
                        continue
                    if not n.get("name", {}).get("value", "").strip():
                        out.append(role)
                return out

            async def run():
                session, page = await open_page(self.browser)
                try:
                    await page.call("Accessibility.enable")
                    await goto(page, station.url("/#/"))
                    await wait_js(page, "(s => s && s.polls > 0 && s.items.length > 0)(window.dashboard.state)", "home page filled")
                    home = await tab_order(page, 7)
                    home_unnamed = await unnamed_controls(page)
                    await goto(page, station.url("/#/live/scale"))
                    await wait_js(page, "(s => s && s.now !== null && s.columns > 0)(window.dashboard.state)", "mount page playing", timeout=40)
                    mount = await tab_order(page, 7)
                    mount_unnamed = await unnamed_controls(page)
                    roles = await page.evaluate("[...document.querySelectorAll('.panel > canvas')].map(c => c.getAttribute('role') + ':' + c.getAttribute('aria-label'))")
                    # The item and admin pages: every control named too.
                    await goto(page, station.url("/#/items/C4_scale"))
                    await wait_js(page, "window.dashboard.page === 'item' && window.dashboard.state.results.length > 0", "item page analysed", timeout=40)
                    await wait_js(page, "(s => s && s.results.length > 0)(window.dashboard.state)", "item page analysed", timeout=40)
                    item = await tab_order(page, 14)
                    item_unnamed = await unnamed_controls(page)
                    await goto(page, station.url("/#/admin"))
                    await wait_js(page, "window.dashboard.page === 'admin'", "the admin page", timeout=10)
                    await type_into(page, "#admin-password", ADMIN_PASSWORD)
                    await submit(page, "form.login")
                    await wait_js(page, "window.dashboard.state.polls > 0", "admin page signed in", timeout=10)
                    admin_unnamed = await unnamed_controls(page)
                    return home, home_unnamed, mount, mount_unnamed, roles, item, item_unnamed + admin_unnamed
                finally:
                    await session.__aexit__(None, None, None)

            home, home_unnamed, mount, mount_unnamed, roles, item, others_unnamed = asyncio.run(run())
        self.assertEqual(home[:7], ["Skip to content", "TimeSide", "Status", "Metrics", "Admin", "C4 scale, looped", "Search the library"])
        self.assertEqual(mount[:6], ["Skip to content", "TimeSide", "Status", "Metrics", "Admin", "← All mounts"])
        self.assertEqual(mount[6], "Live audio of scale")
        self.assertEqual(home_unnamed, [])
        self.assertEqual(mount_unnamed, [])
        self.assertEqual(others_unnamed, [])
        self.assertEqual(item[5:7], ["← Library", "Audio of C4_scale"], item)
        self.assertIn("Zoom out", item)
        self.assertEqual(item[item.index("Zoom out") + 1], "Zoom in", item)
        self.assertEqual(len(roles), 4)
        self.assertTrue(all(r.startswith("img:") and len(r) > 5 for r in roles), roles)


if __name__ == "__main__":
    unittest.main()
