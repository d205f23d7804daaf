"""A real browser plays what the server streams: headless Chromium (tests/web/devtools.py) loads a
local page with <audio> elements on /media/sweep.{ogg,opus,mp3} of the real server and plays them
to the end, then decodes the same URLs with Web Audio and compares them with the source WAV."""
import asyncio
import math
import os
import sys
import tempfile
import unittest

from server_support import Server
from support import ROOT, SAMPLES, TempDir, ffmpeg_pcm, sample

sys.path.insert(0, os.path.join(ROOT, "tests", "web"))
from devtools import Chromium, connect  # noqa: E402

FORMATS = ("ogg", "opus", "mp3")
# Played at 4x so that a round of three formats takes ~2 s, not 8 (Chromium keeps the pitch and
# the media clock; the element still has to download, demux and decode every packet to get there).
RATE = 4

PAGE = """<!doctype html><meta charset="utf-8"><title>TimeSide in a browser</title>
{audios}
<script>
// Every element's outcome: ended (with its duration and clock) or its error; 20 s at most.
window.played = Promise.all([...document.querySelectorAll('audio')].map(a => new Promise(resolve => {{
  const started = performance.now();
  const state = () => ({{id: a.id, duration: a.duration, currentTime: a.currentTime,
                        wall: (performance.now() - started) / 1000}});
  a.addEventListener('error', () => resolve({{...state(), error: a.error ? `${{a.error.code}} ${{a.error.message}}` : '?'}}));
  a.addEventListener('ended', () => resolve({{...state(), ended: true}}));
  setTimeout(() => resolve({{...state(), timeout: true, readyState: a.readyState}}), 20000);
  if (a.error) resolve({{...state(), error: `${{a.error.code}} ${{a.error.message}}`}});
  a.defaultPlaybackRate = a.playbackRate = {rate};
  a.play().catch(e => resolve({{...state(), error: `play(): ${{e}}`}}));
}})));

// fetch + decodeAudioData at the item's rate; RMS in dBFS of each second over all channels.
async function decode(url, rate) {{
  const res = await fetch(url, {{cache: 'no-store'}});
  const bytes = await res.arrayBuffer();
  const size = bytes.byteLength;
  const buffer = await new OfflineAudioContext(1, 1, rate).decodeAudioData(bytes);
  const rms = [];
  for (let s = 0; s < buffer.length; s += rate) {{
    const end = Math.min(s + rate, buffer.length);
    let sum = 0;
    for (let c = 0; c < buffer.numberOfChannels; c++) {{
      const d = buffer.getChannelData(c);
      for (let i = s; i < end; i++) sum += d[i] * d[i];
    }}
    rms.push(10 * Math.log10(sum / ((end - s) * buffer.numberOfChannels) + 1e-30));
  }}
  return {{status: res.status, size, sampleRate: buffer.sampleRate, channels: buffer.numberOfChannels,
          length: buffer.length, rms}};
}}
</script>
"""


def start_server(cache_dir):
    """The server on samples/ with a cache of its own, so that the first request is a fresh encode.
    Before the disk cache exists the server refuses a [cache] table; it then runs without one."""
    try:
        return Server(media=(SAMPLES,), config=f'[cache]\ndir = "{cache_dir}"\n')
    except AssertionError as e:
        if "unknown table 'cache'" not in str(e):
            raise
    return Server(media=(SAMPLES,))


def source_rms_per_second(path):
    """RMS in dBFS of each whole second of the source, decoded by ffmpeg (the independent reference)."""
    pcm, channels = ffmpeg_pcm(path)
    rate = 44100
    step = rate * channels
    return [10 * math.log10(sum(x * x for x in pcm[s:s + step]) / step)
            for s in range(0, len(pcm) - step + 1, step)]


class BrowserPlaysMediaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.root = cls.tmp.__enter__()
        cls.browser = None
        try:
            cls.browser = Chromium()
        except BaseException:
            cls.tmp.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.browser:
            cls.browser.close()
        cls.tmp.__exit__(None, None, None)

    def setUp(self):
        self.server = start_server(tempfile.mkdtemp(prefix="cache-", dir=self.root))
        self.addCleanup(self.server.stop_and_cleanup)
        self.server.wait_scanned()
        status, _, self.item = self.server.get("/api/items/sweep")
        self.assertEqual(status, 200)
        base = f"http://127.0.0.1:{self.server.port}/media/sweep"
        self.urls = {ext: f"{base}.{ext}" for ext in FORMATS}

    def write_page(self, with_audio):
        """The page as a local file (a data: URL may not fetch from loopback); with or without the
        <audio> elements, which start loading as soon as the page does."""
        self.page = os.path.join(self.root, f"page-{self.server.port}.html")
        audios = [f'<audio id="{ext}" src="{url}" preload="auto"></audio>' for ext, url in self.urls.items()]
        with open(self.page, "w") as f:
            f.write(PAGE.format(rate=RATE, audios="\n".join(audios if with_audio else [])))

    def in_browser(self, rounds, script):
        """Loads the page `rounds` times (Chromium's own cache off, so every round asks the server)
        and evaluates `script` in each; returns [(round's value, /media responses)]."""
        async def go():
            out = []
            async with connect(self.browser) as page:
                for method in ("Page.enable", "Network.enable"):
                    await page.call(method)
                await page.call("Network.setCacheDisabled", {"cacheDisabled": True})
                for _ in range(rounds):
                    page.events.clear()
                    await page.navigate("file://" + self.page)
                    value = await page.evaluate(script, timeout=40)
                    responses = [e["params"]["response"] for e in page.events
                                 if e["method"] == "Network.responseReceived" and "/media/" in e["params"]["response"]["url"]]
                    out.append((value, responses))
            return out
        return asyncio.run(go())

    def check_responses(self, responses, label):
        # Chromium asks for media with Range: a 200 (streamed) or a 206 (from the cache) are both fine.
        self.assertTrue(responses, f"{label}: the browser made no /media request")
        for r in responses:
            self.assertIn(r["status"], (200, 206), f"{label}: {r['url']} answered {r['status']}")

    def test_audio_elements_play_ogg_opus_and_mp3_to_the_end_twice(self):
        duration = self.item["duration"]
        self.write_page(with_audio=True)
        for n, (results, responses) in enumerate(self.in_browser(2, "window.played"), 1):
            label = f"play {n}" + (" (fresh encode)" if n == 1 else " (same URLs again)")
            self.check_responses(responses, label)
            for r in results:
                with self.subTest(play=n, format=r["id"]):
                    self.assertNotIn("error", r, f"{label}: {r}")
                    self.assertTrue(r.get("ended"), f"{label}: did not reach 'ended': {r}")
                    self.assertAlmostEqual(r["duration"], duration, delta=0.1, msg=label)
                    self.assertAlmostEqual(r["currentTime"], duration, delta=0.1, msg=label)
                    # It played through on its clock, not jumped to the end: at least 80 % of the
                    # time the sweep takes at RATE.
                    self.assertGreater(r["wall"], 0.8 * duration / RATE, f"{label}: {r}")

    def test_web_audio_decodes_each_format_to_the_sources_length_channels_and_level(self):
        reference = source_rms_per_second(sample("sweep.wav"))
        rate, channels, duration = self.item["samplerate"], self.item["channels"], self.item["duration"]
        self.assertEqual(len(reference), int(duration))
        self.write_page(with_audio=False)
        script = ("Promise.all([" + ", ".join(f"decode({self.urls[ext]!r}, {rate})" for ext in FORMATS) + "])")
        for n, (results, responses) in enumerate(self.in_browser(2, script), 1):
            self.check_responses(responses, f"decode {n}")
            for ext, r in zip(FORMATS, results):
                with self.subTest(decode=n, format=ext):
                    self.assertEqual(r["status"], 200)
                    self.assertGreater(r["size"], 0)
                    self.assertEqual(r["sampleRate"], rate)
                    self.assertEqual(r["channels"], channels)
                    # MP3's encoder delay and padding (~0.05 s) are not all trimmed by Chromium.
                    self.assertAlmostEqual(r["length"] / rate, duration, delta=0.1)
                    # Every second sounds as loud as the source's (a full-scale sweep at -3 dBFS):
                    # no silence, no dropout, no gain error. The last second is where the sweep
                    # climbs above the lossy codecs' low-pass, so it may lose up to 3 dB there.
                    for second, (got, want) in enumerate(zip(r["rms"], reference)):
                        tolerance = 3.0 if second == len(reference) - 1 else 1.5
                        self.assertAlmostEqual(got, want, delta=tolerance, msg=f"second {second}: {r['rms']}")


if __name__ == "__main__":
    unittest.main()
