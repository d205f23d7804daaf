"""HLS (issue 14, item 3): a mount's /live/{id}/index.m3u8 and its MPEG-audio packed segments, cut
from the mount's MP3 output. Real clients on loopback: ffmpeg's HLS demuxer plays 20 s of a mount
(its decoded length and level against sox's reading of the looped file), hls.js in headless
Chromium plays a mount for 10 s and turns the segments' ID3 tags into cues (each event's frame
against the stream frame the segment's name gives the cue's time), and Debian's nginx, configured
here as a caching reverse proxy, fans 100 clients out with exactly one origin request per segment
(counted by the server's own /api/status). Plus the cache headers, ETags, 304s and the 404s."""
import asyncio
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest

from nginx_peer import NginxCache
from live_support import Station, decode, file_mount, rms_db, tone_frequency, wait_until, window_levels
from support import ROOT, sample, sox_stats

sys.path.insert(0, os.path.join(ROOT, "tests", "web"))
from devtools import Chromium, WebFolder, connect  # noqa: E402

SINE = sample("sine440Hz_mono.wav")
RATE = 44100
SEGMENT = 2.0
SEGMENT_NAME = re.compile(r"seg-(\d+)-(-?\d+)\.mp3$")
CLICKS = '''name = "Clicks"
[input]
kind = "signal"
signal = "clicks:120"
[[outputs]]
format = "mp3"
preset = "mp3-128k"
[analysis]
processors = ["aubio_temporal"]
'''
LAZY_HLS = "[hls]\nsegment_seconds = 1\nwindow = 3\n"
LAZY_IDLE = 3 * 3 * 1.0  # three windows of segments without an HLS request (docs/live.md)
DEFINITIONS = {
    "tone": file_mount(SINE, formats=("mp3", "opus")),
    "cached": file_mount(SINE, formats=("mp3",), tail="[hls]\nsegment_seconds = 2\nwindow = 6\n"),
    "clicks": CLICKS,
    "opusonly": file_mount(SINE, formats=("opus",)),  # HLS from an MP3 lane of its own
    # HLS from an MP3 encode on demand, with 1 s segments and a window of 3: idle after 9 s.
    "lazy": file_mount(SINE, formats=("opus",), tail=LAZY_HLS),
    "lazyjs": file_mount(SINE, formats=("opus",), tail=LAZY_HLS),
    "hires": file_mount(SINE, formats=("flac",), head='name = "Hi-res"\nsamplerate = 96000'),
    "off": file_mount(SINE, formats=("mp3",), tail="[hls]\nenabled = false\n"),
}
WEB = os.path.join(ROOT, "tests", "web")
HLSJS = os.path.join(WEB, "node_modules", "hls.js", "dist", "hls.min.js")


def parse_playlist(text):
    """(tags {name: value}, segments [{name, duration, date}]) of a media playlist."""
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U", lines[:1]
    tags, segments, pending = {}, [], {}
    for line in lines[1:]:
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pending["date"] = line.split(":", 1)[1]
        elif line.startswith("#EXTINF:"):
            pending["duration"] = float(line.split(":", 1)[1].rstrip(","))
        elif line.startswith("#"):
            name, _, value = line[1:].partition(":")
            tags[name] = value
        elif line:
            segments.append(dict(pending, name=line))
            pending = {}
    return tags, segments


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()



def id3_timestamp(data):
    """The PRIV com.apple.streaming.transportStreamTimestamp of a segment's leading ID3 tag."""
    assert data[:3] == b"ID3", data[:10]
    owner = b"com.apple.streaming.transportStreamTimestamp\0"
    at = data.index(owner, 10) + len(owner)
    return int.from_bytes(data[at:at + 8], "big")


class HlsClient(threading.Thread):
    """A player's requests: the playlist every second, and each segment once, from the live edge
    (the last three listed at first, as players start), for `seconds`."""

    def __init__(self, port, mount, seconds):
        super().__init__(daemon=True)
        self.port, self.mount, self.seconds = port, mount, seconds
        self.got = {}  # segment name -> (status, sha1, X-Cache-Status)
        self.playlists = 0
        self.error = None

    def run(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
            deadline = time.monotonic() + self.seconds
            while time.monotonic() < deadline:
                conn.request("GET", f"/live/{self.mount}/index.m3u8")
                r = conn.getresponse()
                text = r.read().decode()
                if r.status != 200:
                    raise AssertionError(f"playlist: {r.status}")
                self.playlists += 1
                names = [s["name"] for s in parse_playlist(text)[1]]
                for name in (names if self.got else names[-3:]):
                    if name in self.got:
                        continue
                    conn.request("GET", f"/live/{self.mount}/{name}")
                    r = conn.getresponse()
                    body = r.read()
                    self.got[name] = (r.status, hashlib.sha1(body).hexdigest(), r.getheader("X-Cache-Status"))
                time.sleep(1.0)  # a player's playlist reload interval, within the loop's deadline
            conn.close()
        except Exception as e:  # reported by the test
            self.error = repr(e)



class LiveHls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.station = Station(DEFINITIONS)
        for mount in DEFINITIONS:
            cls.station.wait_mount(mount)
        cls.level = sox_stats(SINE)["RMS lev dB"]

    @classmethod
    def tearDownClass(cls):
        cls.station.__exit__(None, None, None)

    def playlist(self, mount):
        status, headers, body = get(self.station.port, f"/live/{mount}/index.m3u8")
        self.assertEqual(status, 200, body)
        return headers, body.decode()

    def wait_segments(self, mount, n):
        return wait_until(f"{n} segments in {mount}'s playlist",
                          lambda: (lambda p: p if len(p[1]) >= n else None)(parse_playlist(self.playlist(mount)[1])),
                          timeout=n * SEGMENT + 10)

    def test_playlist_and_segments_are_cacheable(self):
        headers, _ = self.playlist("tone")
        self.assertEqual(headers["content-type"], "application/vnd.apple.mpegurl")
        self.assertEqual(headers["cache-control"], "public, max-age=1")  # half a 2 s segment
        tags, segments = self.wait_segments("tone", 3)
        self.assertEqual(tags["EXT-X-VERSION"], "3")
        self.assertEqual(tags["EXT-X-TARGETDURATION"], "2")
        first_sequence = int(tags["EXT-X-MEDIA-SEQUENCE"])
        frames = []
        for k, s in enumerate(segments):
            m = SEGMENT_NAME.fullmatch(s["name"])
            self.assertIsNotNone(m, s["name"])
            self.assertEqual(int(m.group(1)), first_sequence + k)
            frames.append(int(m.group(2)))
            # 77 MP3 frames of 1152 samples: the first boundary at or past 2 s
            self.assertAlmostEqual(s["duration"], 77 * 1152 / RATE, places=4)
            self.assertRegex(s["date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        # Consecutive segments: each starts where the previous one ended, in stream frames.
        for a, b in zip(frames, frames[1:]):
            self.assertEqual(b - a, 77 * 1152)
        name = segments[-1]["name"]
        status, h, body = get(self.station.port, f"/live/tone/{name}")
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "audio/mpeg")
        self.assertEqual(h["cache-control"], "public, max-age=86400, immutable")
        self.assertRegex(h["etag"], r'^"[0-9a-f]{16}"$')
        self.assertEqual(int(h["content-length"]), len(body))
        # The ID3 timestamp: the 90 kHz clock of the segment's first MP3 frame, which a decoder
        # starting there gives at stream frame first_frame (LAME's 1105 samples of delay counted).
        first_frame = int(SEGMENT_NAME.fullmatch(name).group(2))
        self.assertEqual(id3_timestamp(body), round((first_frame + 1105) * 90000 / RATE))
        status, h2, body2 = get(self.station.port, f"/live/tone/{name}", {"If-None-Match": h["etag"]})
        self.assertEqual(status, 304)
        self.assertEqual(body2, b"")
        # The same bytes again: immutable.
        self.assertEqual(get(self.station.port, f"/live/tone/{name}")[2], body)

    def test_unknown_mounts_segments_and_names_are_404s_that_say_why(self):
        status, _, body = get(self.station.port, "/live/nosuch/index.m3u8")
        self.assertEqual(status, 404)
        self.assertIn("no such mount: 'nosuch'", json.loads(body)["error"])
        status, _, body = get(self.station.port, "/live/hires/index.m3u8")
        self.assertEqual(status, 404)
        self.assertIn("mount 'hires' has no HLS: its segments are MP3, which cannot code its rate of 96000 Hz",
                      json.loads(body)["error"])
        status, _, body = get(self.station.port, "/live/off/index.m3u8")
        self.assertEqual(status, 404)
        self.assertIn("[hls] enabled = false", json.loads(body)["error"])
        status, _, body = get(self.station.port, "/live/tone/seg-1-2.mp3")
        self.assertEqual(status, 404)
        self.assertIn("no HLS segment /live/tone/seg-1-2.mp3", json.loads(body)["error"])
        # Names that are no segment of ours: 404; a NUL byte is a bad request before any route.
        for bad, code in (("seg-x-1.mp3", 404), ("index.m3u", 404), ("seg-1-2.ts", 404), ("%00", 400),
                          ("seg-99999999999999999999999-1.mp3", 404)):
            status, _, _ = get(self.station.port, f"/live/tone/{bad}")
            self.assertEqual(status, code, bad)
        self.assertEqual(self.playlist("tone")[1].splitlines()[0], "#EXTM3U")  # and it still serves

    def test_a_mount_without_mp3_output_gets_hls_from_a_lane_of_its_own(self):
        _, segments = self.wait_segments("opusonly", 2)
        status, h, body = get(self.station.port, f"/live/opusonly/{segments[-1]['name']}")
        self.assertEqual(status, 200)
        self.assertEqual(body[:3], b"ID3")
        samples, errors = decode(body, "mp3")
        self.assertEqual(errors.strip(), "")
        self.assertAlmostEqual(len(samples) / RATE, segments[-1]["duration"], delta=0.03)
        self.assertAlmostEqual(rms_db(samples[RATE // 4:]), self.level, delta=0.5)
        # Its listeners still have only their Opus output.
        self.assertEqual([o["format"] for o in self.station.mount_status("opusonly")["outputs"]], ["opus"])

    def test_an_on_demand_lane_starts_with_the_first_request_and_stops_when_idle(self):
        hls = self.station.mount_status("lazy")["hls"]
        self.assertEqual((hls["lane"], hls["lane_running"], hls["lane_starts"], hls["segments"]),
                         ("on_demand", False, 0, 0), "the MP3 encode ran before anyone asked for HLS")
        self.assertEqual(hls["lane_idle_seconds"], LAZY_IDLE)
        self.assertIn('timeside_live_hls_lane_running{mount="lazy"} 0', get(self.station.port, "/metrics")[2].decode())
        stream_seconds = self.station.mount_status("lazy")["stream_seconds"]
        # ffmpeg's first request starts the encode and waits (on the server) for three segments.
        started = time.monotonic()
        r = subprocess.run(["ffmpeg", "-v", "error", "-i", self.station.url("/live/lazy/index.m3u8"), "-t", "10",
                            "-af", "pan=mono|c0=c0", "-ar", str(RATE), "-f", "f32le", "pipe:1"],
                           capture_output=True, timeout=60)
        last_request = time.monotonic()
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        import array
        samples = array.array("f")
        samples.frombytes(r.stdout[:len(r.stdout) // 4 * 4])
        print(f"\nffmpeg from a stopped lane: {len(samples) / RATE:.3f} s decoded in {last_request - started:.1f} s")
        self.assertAlmostEqual(len(samples) / RATE, 10.0, delta=0.15)
        body = samples[RATE // 2:]
        self.assertAlmostEqual(tone_frequency(body), 440.0, delta=2.0)
        self.assertAlmostEqual(rms_db(body), self.level, delta=0.5)
        levels = window_levels(body)
        self.assertLess(max(levels) - min(levels), 1.0, "the level jumps: a gap or a glitch between segments")
        hls = self.station.mount_status("lazy")["hls"]
        self.assertEqual((hls["lane_running"], hls["lane_starts"]), (True, 1))
        self.assertIn('timeside_live_hls_lane_running{mount="lazy"} 1', get(self.station.port, "/metrics")[2].decode())
        _, segments = parse_playlist(self.playlist("lazy")[1])
        last_request = time.monotonic()
        # The segments' names still give stream frames: the first one made starts where the stream
        # was when the encode started (LAME's 1105 samples of delay before it), the next follow on.
        frames = [int(SEGMENT_NAME.fullmatch(x["name"]).group(2)) for x in segments]
        for a, b in zip(frames, frames[1:]):
            self.assertEqual(b - a, 39 * 1152)  # 1 s segments: 39 MP3 frames
        first_made = hls["sequence"] - hls["segments"] + 1
        name = segments[0]["name"]
        status, _, data = get(self.station.port, f"/live/lazy/{name}")
        self.assertEqual(status, 200)
        first_frame = int(SEGMENT_NAME.fullmatch(name).group(2))
        self.assertEqual(id3_timestamp(data), round((first_frame + 1105) * 90000 / RATE))
        seq0 = int(SEGMENT_NAME.fullmatch(name).group(1))
        start_frame = first_frame - (seq0 - first_made) * 39 * 1152 + 1105
        self.assertGreaterEqual(start_frame, stream_seconds * RATE)
        # ffmpeg asked within a second of that status read; the encode began at the next block.
        self.assertLess(start_frame, (stream_seconds + 3) * RATE)
        # Idle: stopped once three windows passed without a request, not before.
        wait_until("the lane stopped", lambda: not self.station.mount_status("lazy")["hls"]["lane_running"],
                   timeout=LAZY_IDLE + 5, interval=0.1)
        idle = time.monotonic() - last_request
        print(f"lane stopped {idle:.2f} s after the last request (idle time {LAZY_IDLE} s)")
        self.assertGreater(idle, LAZY_IDLE - 0.2)
        stopped = self.station.mount_status("lazy")["hls"]
        self.assertIn('timeside_live_hls_lane_running{mount="lazy"} 0', get(self.station.port, "/metrics")[2].decode())
        # A request starts it again (this one waits for three segments, where players start):
        # numbers go on past every one used before.
        _, again = parse_playlist(self.playlist("lazy")[1])
        self.assertEqual(len(again), 3)
        self.assertGreater(int(SEGMENT_NAME.fullmatch(again[0]["name"]).group(1)), stopped["sequence"])
        self.assertEqual(self.station.mount_status("lazy")["hls"]["lane_starts"], 2)

    def test_ffmpeg_plays_20_seconds_at_the_files_level(self):
        self.wait_segments("tone", 3)
        started = time.monotonic()
        r = subprocess.run(["ffmpeg", "-v", "error", "-i", self.station.url("/live/tone/index.m3u8"), "-t", "20",
                            "-af", "pan=mono|c0=c0", "-ar", str(RATE), "-f", "f32le", "pipe:1"],
                           capture_output=True, timeout=90)
        took = time.monotonic() - started
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        import array
        samples = array.array("f")
        samples.frombytes(r.stdout[:len(r.stdout) // 4 * 4])
        seconds = len(samples) / RATE
        print(f"\nffmpeg: {seconds:.3f} s decoded in {took:.1f} s; stderr: {r.stderr.decode(errors='replace')!r}")
        # ffmpeg 5.1's HLS demuxer stamps a frame one frame (1152 samples) ahead at some segment
        # boundaries (its "non monotonically increasing dts" warnings: 267265 >= 266112, the 4th
        # segment's start), and -t counts that time: 19.922 s measured, 3 frames short. No audio
        # is lost: the same segments as a finished playlist decode to 7 x 2.01143 s exactly, with
        # the same warnings at the same boundaries.
        self.assertAlmostEqual(seconds, 20.0, delta=0.15)
        # Live: ffmpeg starts three segments from the end (6 s), then waits for each new one.
        self.assertGreater(took, 20 - 3 * SEGMENT - 2)
        body = samples[RATE // 2:]
        self.assertAlmostEqual(tone_frequency(body), 440.0, delta=2.0)
        self.assertAlmostEqual(rms_db(body), self.level, delta=0.5)
        levels = window_levels(body)
        self.assertLess(max(levels) - min(levels), 1.0, "the level jumps: a gap or a glitch between segments")

    def test_100_clients_through_nginx_cause_one_origin_request_per_segment(self):
        self.wait_segments("cached", 3)
        nginx = NginxCache(self.station.port)
        self.addCleanup(nginx.__exit__, None, None, None)
        before = self.station.mount_status("cached")["hls"]
        seconds = 12
        clients = [HlsClient(nginx.port, "cached", seconds) for _ in range(100)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(seconds + 30)
            self.assertFalse(c.is_alive(), "a client did not finish")
            self.assertIsNone(c.error)
        after = self.station.mount_status("cached")["hls"]
        fetched = {}
        for c in clients:
            for name, (status, sha1, cache) in c.got.items():
                self.assertEqual(status, 200, name)
                fetched.setdefault(name, set()).add(sha1)
        for name, hashes in fetched.items():
            self.assertEqual(len(hashes), 1, f"{name}: clients got different bytes")
        origin_segments = after["segment_requests"] - before["segment_requests"]
        origin_playlists = after["playlist_requests"] - before["playlist_requests"]
        client_requests = sum(len(c.got) for c in clients)
        playlists = sum(c.playlists for c in clients)
        print(f"\nnginx: {len(fetched)} segments, {client_requests} segment requests from 100 clients, "
              f"{origin_segments} at the origin; {playlists} playlist requests, {origin_playlists} at the origin")
        self.assertGreaterEqual(len(fetched), seconds / SEGMENT)
        self.assertGreaterEqual(client_requests, 100 * len(fetched) * 0.8)
        passes = {uri: p for uri, p in nginx.origin_passes().items() if "/seg-" in uri}
        self.assertEqual(origin_segments, len(fetched), f"what nginx passed to us: {passes}")  # one per segment
        # The playlist lives 1 s in the cache: about one origin request a second, not 100.
        self.assertLessEqual(origin_playlists, seconds + 4)

    def test_hlsjs_plays_in_chromium_and_the_events_arrive_as_cues(self):
        self.assertTrue(os.path.exists(HLSJS), "hls.js is not in tests/web/node_modules: run `make web-deps`")
        self.assertEqual(self.station.set_title("clicks", "Metronome - 120"), 200)
        self.wait_segments("clicks", 3)
        web = WebFolder()
        self.addCleanup(web.close)
        browser = Chromium()
        self.addCleanup(browser.close)
        options = {"url": self.station.url("/live/clicks/index.m3u8"), "seconds": 10.5, "timeout": 60}

        async def play():
            async with connect(browser) as page:
                await page.call("Page.enable")
                await page.navigate(web.url + "/hls_play.html")
                return await page.evaluate(f"playHls({json.dumps(options)})", timeout=90)

        seen = asyncio.run(play())
        self.assertTrue(seen["supported"], "hls.js: MSE not supported")
        self.assertEqual([e for e in seen["errors"] if e.get("fatal")], [])
        playing = [r for r in seen["clock"] if r["current"] > 0]
        self.assertTrue(playing, f"never played: {seen['errors']}")
        wall = playing[-1]["wall"] - playing[0]["wall"]
        media = playing[-1]["current"] - playing[0]["current"]
        print(f"\nhls.js {seen['version']}: {media:.2f} s played in {wall:.2f} s; {len(seen['frags'])} fragments, "
              f"{len(seen['cues'])} cues")
        self.assertGreaterEqual(wall, 10)
        # The server kept hls.js fed: its buffer never ran dry (a stall would be reported as a
        # bufferStalledError). The element's own clock may lag a little on a loaded machine (the
        # browser's audio renderer waits for a CPU), hence the 10 %.
        self.assertEqual([e for e in seen["errors"] if e.get("details") == "bufferStalledError"], [])
        self.assertAlmostEqual(media / wall, 1.0, delta=0.10)
        frags = []
        for f in seen["frags"]:
            m = SEGMENT_NAME.search(f["url"])
            self.assertIsNotNone(m, f["url"])
            frags.append((f["start"], f["duration"], int(m.group(2))))
        events = [c for c in seen["cues"] if c["key"] == "TXXX" and c["info"] == "timeside.event"]
        titles = [c for c in seen["cues"] if c["key"] == "TIT2"]
        self.assertTrue(titles, seen["cues"][:5])
        self.assertEqual({c["data"] for c in titles}, {"Metronome - 120"})
        # 120 BPM: the clicks' onsets and beats, as many as the feed has (aubio_temporal finds
        # about one onset a second in this signal); its onset_rate and beat_confidence ride along.
        ids = [json.loads(c["data"])["id"] for c in events]
        timed = [c for c in events if json.loads(c["data"])["id"] in ("aubio_temporal.onset", "aubio_temporal.beat")]
        self.assertGreaterEqual(len(timed), 8, ids)
        errors = []
        for c in events:
            e = json.loads(c["data"])
            self.assertTrue(e["id"].startswith("aubio_temporal."), e)
            self.assertEqual(e["rate"], RATE)
        for c in timed:
            e = json.loads(c["data"])
            # A cue sits at the start of the segment whose ID3 tag carried it (hls.js puts it one
            # MP3 frame, 26 ms, early); that segment's name gives its first stream frame.
            holder = [f for f in frags if abs(c["start"] - f[0]) < 0.1]
            self.assertTrue(holder, f"no fragment starts at the cue's {c['start']}: {frags}")
            start, duration, first_frame = holder[-1]
            errors.append((e["frame"] - first_frame) / RATE)
            # The event plays within that segment (>= 0, < its length), or, when the analysis came
            # after that segment was published, it rides in the next one (< 0, > -one segment).
            self.assertGreater(errors[-1], -duration - 0.05, e)
            self.assertLess(errors[-1], duration, e)
        print(f"onset and beat frames - their segment's first frame: {min(errors):.3f} s to {max(errors):.3f} s, "
              f"{sum(1 for x in errors if x < 0)} of {len(errors)} in the next segment")

    def test_hlsjs_starts_an_on_demand_lane_and_plays(self):
        self.assertTrue(os.path.exists(HLSJS), "hls.js is not in tests/web/node_modules: run `make web-deps`")
        self.assertFalse(self.station.mount_status("lazyjs")["hls"]["lane_running"])
        web = WebFolder()
        self.addCleanup(web.close)
        browser = Chromium()
        self.addCleanup(browser.close)
        options = {"url": self.station.url("/live/lazyjs/index.m3u8"), "seconds": 10.5, "timeout": 60}

        async def play():
            async with connect(browser) as page:
                await page.call("Page.enable")
                await page.navigate(web.url + "/hls_play.html")
                return await page.evaluate(f"playHls({json.dumps(options)})", timeout=90)

        seen = asyncio.run(play())
        self.assertEqual([e for e in seen["errors"] if e.get("fatal")], [])
        playing = [r for r in seen["clock"] if r["current"] > 0]
        self.assertTrue(playing, f"never played: {seen['errors']}")
        wall = playing[-1]["wall"] - playing[0]["wall"]
        media = playing[-1]["current"] - playing[0]["current"]
        print(f"\nhls.js from a stopped lane: {media:.2f} s played in {wall:.2f} s; first sound at "
              f"{playing[0]['wall']:.2f} s; errors {seen['errors']}")
        self.assertGreaterEqual(wall, 10)
        # The first playlist came with three segments listed, so hls.js starts where it always
        # does (three from the edge) and its buffer never runs dry.
        self.assertEqual([e for e in seen["errors"] if e.get("details") == "bufferStalledError"], [])
        self.assertAlmostEqual(media / wall, 1.0, delta=0.10)
        hls = self.station.mount_status("lazyjs")["hls"]
        self.assertEqual((hls["lane_running"], hls["lane_starts"]), (True, 1))


if __name__ == "__main__":
    unittest.main()
