"""A browser tunes in: headless Chromium (tests/web/devtools.py) plays a live mount's MP3, Ogg
Vorbis and Ogg Opus outputs in <audio> elements at once, from a page of another origin. Each must
start, then play in real time (its clock advancing with the wall clock, no error), while the
server counts the three listeners."""
import asyncio
import os
import sys
import unittest

from live_support import Station, file_mount, wait_until
from support import ROOT, sample

sys.path.insert(0, os.path.join(ROOT, "tests", "web"))
from devtools import Chromium, connect  # noqa: E402

FORMATS = ("mp3", "ogg", "opus")
LISTEN = 4.0  # seconds of playing measured per element

PAGE = """<!doctype html><meta charset="utf-8"><title>TimeSide live in a browser</title>
{audios}
<script>
// Per element: once it plays, how far its clock moved in LISTEN s of wall time, and how often
// it had to wait for data; or its error. 25 s at most.
window.live = Promise.all([...document.querySelectorAll('audio')].map(a => new Promise(resolve => {{
  let waits = 0, started = null;
  a.addEventListener('waiting', () => waits++);
  a.addEventListener('error', () => resolve({{id: a.id, error: a.error ? `${{a.error.code}} ${{a.error.message}}` : '?'}}));
  a.addEventListener('playing', () => {{
    if (started !== null) return;
    started = performance.now();
    const t0 = a.currentTime;
    setTimeout(() => resolve({{id: a.id, played: a.currentTime - t0, wall: (performance.now() - started) / 1000,
                               waits, paused: a.paused, endless: !isFinite(a.duration)}}), {listen_ms});
  }});
  setTimeout(() => resolve({{id: a.id, timeout: true, readyState: a.readyState}}), 25000);
  a.play().catch(e => resolve({{id: a.id, error: `play(): ${{e}}`}}));
}})));
</script>
"""

TONE = file_mount(sample("sine440Hz_mono.wav"), FORMATS, head='name = "Browser tone"')


class LiveBrowserTest(unittest.TestCase):
    def test_chromium_plays_every_output_in_real_time(self):
        with Station({"tone": TONE}) as station:
            station.wait_mount("tone", lambda m: m["stream_seconds"] >= 2)
            browser = Chromium()
            self.addCleanup(browser.close)
            page_file = os.path.join(station.root, "live.html")
            audios = [f'<audio id="{ext}" src="{station.url(f"/live/tone.{ext}")}" preload="none"></audio>'
                      for ext in FORMATS]
            with open(page_file, "w") as f:
                f.write(PAGE.format(audios="\n".join(audios), listen_ms=int(LISTEN * 1000)))

            async def go():
                async with connect(browser) as page:
                    await page.call("Page.enable")
                    await page.navigate("file://" + page_file)
                    # While they play, the server has the three of them.
                    seen = await asyncio.to_thread(wait_until, "three browser listeners",
                                                   lambda: station.mount_status("tone")["listeners"] >= 3, 20)
                    return seen, await page.evaluate("window.live", timeout=40)

            _, results = asyncio.run(go())
            for r in results:
                with self.subTest(format=r["id"]):
                    self.assertNotIn("error", r, r)
                    self.assertNotIn("timeout", r, r)
                    self.assertFalse(r["paused"], r)
                    # A live stream has no duration (no Content-Length): the element knows it is endless.
                    self.assertTrue(r["endless"], r)
                    self.assertAlmostEqual(r["played"] / r["wall"], 1.0, delta=0.2, msg=str(r))


if __name__ == "__main__":
    unittest.main()
