"""Live listeners as Icecast's players meet them: the listener head, a burst then real time, one
continuous stream per output (one Ogg logical stream, MP3 frames back to back), ICY titles after
exactly every icy-metaint audio bytes in every format, CORS for browser players, the listener cap,
a stalled listener dropped without slowing the others, and SIGTERM closing live listeners at once.
Every capture is decoded by ffmpeg and checked against the looped file's own level (sox)."""
import json
import os
import subprocess
import tempfile
import time
import unittest

from live_support import (Listener, Station, check_mp3_back_to_back, check_one_ogg_stream, decode, file_mount, rms_db,
                          tone_frequency, wait_until, window_levels)
from support import ROOT, sample, sox_stats, stop_process

SINE = sample("sine440Hz_mono.wav")

TONE = file_mount(SINE, head='''name = "Test tone"
description = "A looped 440 Hz sine"
genre = "Test"
url = "http://127.0.0.1/tone"''', tail='''[listeners]
burst = 2
queue = 3
max = 20
''')

# The defaults of [listeners]: a 2 s burst that also holds burst_bytes (64 KiB), within half the
# 10 s queue.
BROWSER = file_mount(SINE, formats=("mp3",))

FORMATS = ("mp3", "ogg", "opus", "flac")
MP3_RATE = 16000  # bytes per second of the 128 kbit/s CBR output


class LiveListeners(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.station = Station({"tone": TONE, "browser": BROWSER})
        cls.station.wait_mount("tone")
        cls.level = sox_stats(SINE)["RMS lev dB"]

    @classmethod
    def tearDownClass(cls):
        cls.station.__exit__(None, None, None)

    def listen(self, ext, **kw):
        l = Listener(self.station.port, f"/live/tone.{ext}", **kw)
        self.addCleanup(l.close)
        return l

    def check_tone(self, data, fmt, min_seconds):
        samples, errors = decode(data, fmt)
        self.assertEqual(errors.strip(), "", f"ffmpeg could not decode the {fmt} capture cleanly")
        self.assertGreater(len(samples), min_seconds * 44100, f"{fmt}: too little audio decoded")
        body = samples[44100 // 2:]  # the first half second may hold the codec's start-up
        self.assertAlmostEqual(tone_frequency(body), 440.0, delta=2.0)
        self.assertAlmostEqual(rms_db(body), self.level, delta=0.5)
        levels = window_levels(body)
        self.assertLess(max(levels) - min(levels), 1.0, f"{fmt}: the level jumps (a gap or a glitch)")
        return samples

    def test_the_listener_head_is_icecasts(self):
        l = self.listen("mp3")
        self.assertEqual(l.status(), 200)
        h = l.headers
        self.assertEqual(h["content-type"], "audio/mpeg")
        self.assertEqual(h["icy-name"], "Test tone")
        self.assertEqual(h["icy-description"], "A looped 440 Hz sine")
        self.assertEqual(h["icy-genre"], "Test")
        self.assertEqual(h["icy-url"], "http://127.0.0.1/tone")
        self.assertEqual(h["icy-br"], "128")
        self.assertEqual(h["icy-pub"], "0")
        self.assertEqual(h["cache-control"], "no-cache, no-store")
        self.assertEqual(h["pragma"], "no-cache")
        self.assertNotIn("content-length", h)
        self.assertNotIn("transfer-encoding", h)  # the body is the stream itself
        self.assertEqual(h["access-control-allow-origin"], "*")
        exposed = {x.strip().lower() for x in h["access-control-expose-headers"].split(",")}
        self.assertTrue({"icy-name", "icy-description", "icy-genre", "icy-url", "icy-br", "icy-pub"} <= exposed)

    def test_an_http10_client_gets_an_http10_answer_and_the_stream(self):
        l = self.listen("ogg", http10=True)
        self.assertEqual(l.status(), 200)
        self.assertTrue(l.status_line.startswith("HTTP/1.0 200"), l.status_line)
        l.wait_seconds("ogg", 1)
        check_one_ogg_stream(self, l.snapshot())

    def test_each_format_decodes_to_the_files_tone_with_no_gap(self):
        listeners = {ext: self.listen(ext) for ext in FORMATS}
        for ext, l in listeners.items():
            l.wait_seconds(ext, 5)
        for ext, l in listeners.items():
            with self.subTest(format=ext):
                self.check_tone(l.snapshot(), ext, 4)

    def test_a_burst_at_once_then_real_time(self):
        self.station.wait_mount("tone", lambda m: m["stream_seconds"] >= 3)  # 2 s of burst to give
        l = self.listen("mp3")
        self.assertEqual(l.status(), 200)
        started = time.monotonic()
        # 2 s of burst arrive at once: far sooner than the 2 s they hold.
        l.wait_audio(int(MP3_RATE * 1.8), timeout=1.0)
        after_burst = l.audio_bytes()
        t0 = time.monotonic()
        wait_until("4 s more of audio", lambda: l.audio_bytes() >= after_burst + 4 * MP3_RATE, 8)
        rate = (l.audio_bytes() - after_burst) / (time.monotonic() - t0)
        self.assertAlmostEqual(rate / MP3_RATE, 1.0, delta=0.15, msg=f"{rate:.0f} B/s after the burst")
        self.assertLess(t0 - started, 1.0)

    def test_the_default_burst_holds_a_browsers_block(self):
        # Chromium starts (and goes on) only with a whole 32 KiB block in hand: 2 s of this MP3 is
        # 32,000 bytes, so the default burst holds 64 KiB (4.1 s) instead, then real time.
        self.station.wait_mount("browser", lambda m: m["stream_seconds"] >= 5)
        l = Listener(self.station.port, "/live/browser.mp3")
        self.addCleanup(l.close)
        self.assertEqual(l.status(), 200)
        started = time.monotonic()
        l.wait_audio(65536, timeout=1.0)
        self.assertLess(time.monotonic() - started, 1.0)
        burst = l.audio_bytes()
        self.assertLess(burst, 5 * MP3_RATE + 2048, "the burst reaches back at most half the queue")
        t0 = time.monotonic()
        wait_until("3 s more of audio", lambda: l.audio_bytes() >= burst + 3 * MP3_RATE, 8)
        rate = (l.audio_bytes() - burst) / (time.monotonic() - t0)
        self.assertAlmostEqual(rate / MP3_RATE, 1.0, delta=0.15, msg=f"{rate:.0f} B/s after the burst")
        samples, errors = decode(l.snapshot(), "mp3")
        self.assertEqual(errors.strip(), "")
        self.assertAlmostEqual(rms_db(samples[44100 // 2:]), self.level, delta=0.5)

    def test_ogg_is_one_logical_stream_and_mp3_frames_come_back_to_back(self):
        ogg, mp3 = self.listen("ogg"), self.listen("mp3")
        ogg.wait_seconds("ogg", 3)
        mp3.wait_audio(MP3_RATE * 3)
        pages = check_one_ogg_stream(self, ogg.snapshot())
        self.assertEqual(pages[0][0], 0)
        check_mp3_back_to_back(self, mp3.snapshot())

    def test_titles_arrive_in_icy_blocks_at_the_exact_interval_in_every_format(self):
        listeners = {ext: self.listen(ext, metadata=True) for ext in FORMATS}
        for l in listeners.values():
            self.assertEqual(l.status(), 200)
            self.assertEqual(l.metaint, 16000)
        self.assertEqual(self.station.set_title("tone", "Test Artist - Title é"), 200)
        for ext, l in listeners.items():
            with self.subTest(format=ext):
                wait_until(f"{ext}: the title in an ICY block",
                           lambda: any("Title é" in t for _, t in l.titles), 15)
                text = next(t for _, t in l.titles if "Title é" in t)
                self.assertEqual(text, "StreamTitle='Test Artist - Title é';")
                self.assertEqual(l.blocks, [16000 * (i + 1) for i in range(len(l.blocks))])
                samples, errors = decode(l.snapshot(), ext)
                self.assertEqual(errors.strip(), "", f"{ext}: the audio between ICY blocks does not decode")

    def test_icecast_metadata_js_reads_our_titles_in_mp3_and_opus(self):
        """The npm reader browser players use, on our ICY blocks (Icecast gives Opus none)."""
        script = os.path.join(ROOT, "tests", "web", "icy_titles_check.mjs")
        for ext in ("mp3", "opus"):
            with self.subTest(format=ext):
                title = f"Reader check - {ext}"
                node = subprocess.Popen(["node", script, self.station.url(f"/live/tone.{ext}"), "20", title],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    # The reader is connected once the server counts it; then the title changes.
                    wait_until("the reader connected", lambda: any(
                        o["url"].endswith(ext) and o["listeners"] > 0
                        for o in self.station.mount_status("tone")["outputs"]))
                    self.assertEqual(self.station.set_title("tone", title), 200)
                    out, err = node.communicate(timeout=30)
                finally:
                    stop_process(node)
                result = json.loads(out.strip().splitlines()[-1])
                self.assertEqual(result["status"], 200, err)
                self.assertEqual(result["metaint"], 16000)
                self.assertIn(title, result["titles"])
                self.assertGreater(result["audioBytes"], 16000)

    def test_status_json_xsl_reads_as_icecast2s_for_the_running_mount(self):
        """Our /status-json.xsl over the running mount, against what Debian's icecast2 writes
        (tests/unit/live/data/icecast2_status.json, captured and checked by test_icecast_status)."""
        with open(os.path.join(ROOT, "tests", "unit", "live", "data", "icecast2_status.json")) as f:
            reference = json.load(f)["several"]["icestats"]
        ref_sources = reference["source"]
        known = set().union(*(s.keys() for s in ref_sources))
        always = set.intersection(*(set(s.keys()) for s in ref_sources))
        listener = self.listen("opus")
        wait_until("the opus listener counted", lambda: any(
            o["url"].endswith(".opus") and o["listeners"] > 0 for o in self.station.mount_status("tone")["outputs"]))
        self.assertEqual(self.station.set_title("tone", "Status - Check"), 200)
        status, headers, body = self.station.server.request("GET", "/status-json.xsl")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        doc = json.loads(body)["icestats"]
        self.assertEqual(list(doc.keys()), list(reference.keys()))  # icecast's keys, in its order
        base = f"http://127.0.0.1:{self.station.port}/live/"
        self.assertEqual([s["listenurl"] for s in doc["source"]],
                         sorted([base + "browser.mp3"] + [f"{base}tone.{ext}" for ext in FORMATS]))
        sources = [s for s in doc["source"] if s["listenurl"].startswith(base + "tone.")]
        for src in sources:
            with self.subTest(source=src["listenurl"]):
                self.assertLessEqual(set(src.keys()), known, "a key icecast2 does not write")
                self.assertLessEqual(always, set(src.keys()), "a key icecast2 always writes is missing")
                self.assertEqual(list(src.keys())[-1], "dummy")
                self.assertEqual(src["server_name"], "Test tone")
                self.assertEqual(src["title"], "Status - Check")
                if src["listenurl"].endswith(".opus"):
                    self.assertGreaterEqual(src["listeners"], 1)
                    self.assertGreaterEqual(src["listener_peak"], src["listeners"])
        listener.close()

    def test_admin_metadata_needs_the_admin_credentials(self):
        url = self.station.url("/admin/metadata?mount=/live/tone&mode=updinfo&song=x")
        for args in ([], ["-u", "admin:wrong"], ["-u", "source:admin-test-secret"]):
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *args, url],
                               capture_output=True, text=True, timeout=10)
            self.assertEqual(r.stdout, "401", args)
        self.assertEqual(self.station.set_title("nothing", "x"), 404)

    def test_browsers_may_ask_for_icy_metadata(self):
        status, headers, _ = self.station.server.request(
            "OPTIONS", "/live/tone.mp3",
            {"Origin": "http://example.org", "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "icy-metadata"})
        self.assertEqual(status, 204)
        allowed = {x.strip().lower() for x in headers["access-control-allow-headers"].split(",")}
        self.assertIn("icy-metadata", allowed)

    def test_a_stalled_listener_is_dropped_while_another_keeps_real_time(self):
        before = self.station.mount_status("tone")["slow_listeners"]
        stalled, steady = self.listen("mp3"), self.listen("mp3")
        stalled.paused.set()
        stalled.status()
        steady.wait_audio(MP3_RATE * 2)
        t0, b0 = time.monotonic(), steady.audio_bytes()
        # queue = 3 s: the stalled one goes once 3 s of audio (plus what the kernel holds) is unsent.
        wait_until("the stalled listener dropped", lambda: self.station.mount_status("tone")["slow_listeners"] > before, 12)
        rate = (steady.audio_bytes() - b0) / (time.monotonic() - t0)
        self.assertGreater(rate, MP3_RATE * 0.9, "the steady listener slowed down")
        self.assertFalse(steady.closed)
        stalled.paused.clear()
        stalled.wait_closed()

    def test_real_clients_play_at_once(self):
        """ffmpeg, GStreamer's souphttpsrc, mpv and curl on the mount together, each decoded."""
        url = self.station.url("/live/tone")
        with tempfile.TemporaryDirectory() as tmp:
            out = {name: os.path.join(tmp, name) for name in ("ffmpeg.wav", "gst.wav", "mpv.wav", "curl.ogg")}
            procs = [
                subprocess.Popen(["ffmpeg", "-v", "error", "-i", url + ".mp3", "-t", "4", out["ffmpeg.wav"]],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
                subprocess.Popen(["gst-launch-1.0", "-q", "souphttpsrc", f"location={url}.ogg", "num-buffers=60", "!",
                                  "decodebin", "!", "audioconvert", "!", "wavenc", "!", "filesink",
                                  f"location={out['gst.wav']}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
                subprocess.Popen(["mpv", "--no-config", "--really-quiet", "--no-video", "--ao=pcm",
                                  f"--ao-pcm-file={out['mpv.wav']}", "--length=4", url + ".opus"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
                subprocess.Popen(["curl", "-s", "--max-time", "4", "-o", out["curl.ogg"], url + ".ogg"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
            ]
            try:
                for p in procs:
                    p.wait(timeout=30)
            finally:
                for p in procs:
                    stop_process(p)
            for name, path in out.items():
                with self.subTest(client=name):
                    self.assertTrue(os.path.exists(path) and os.path.getsize(path) > 1000, f"{name} got nothing")
                    samples, errors = decode(open(path, "rb").read(), "ogg" if name == "curl.ogg" else "wav")
                    self.assertGreater(len(samples), 44100 * 2.5, f"{name}: too little audio")
                    body = samples[44100 // 2:]
                    self.assertAlmostEqual(tone_frequency(body), 440.0, delta=2.0)
                    self.assertAlmostEqual(rms_db(body), self.level, delta=0.7)


class LiveListenerLimits(unittest.TestCase):
    def test_the_mounts_cap_answers_503_and_sigterm_closes_listeners_at_once(self):
        capped = TONE.replace("max = 20", "max = 2")
        with Station({"capped": capped}) as station:
            station.wait_mount("capped")
            first = [Listener(station.port, "/live/capped.mp3") for _ in range(2)]
            try:
                for l in first:
                    self.assertEqual(l.status(), 200)
                third = Listener(station.port, "/live/capped.ogg")
                self.assertEqual(third.status(), 503)
                third.wait_closed()
                third.close()
                took = station.server.stop(within=3.0)
                self.assertLess(took, 2.0, "SIGTERM waited on live listeners")
                for l in first:
                    l.wait_closed(5)
            finally:
                for l in first:
                    l.close()


if __name__ == "__main__":
    unittest.main()
