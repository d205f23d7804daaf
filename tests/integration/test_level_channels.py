"""Per-channel levels end to end, against sox: a stereo file made here with sox (left a 440 Hz
sine at -6 dBFS, right white noise at -20 dBFS peak), looped by a live mount. The feed's
level.channel_max / level.channel_rms messages over whole loops of the file, and `timeside run`'s
per-channel results, equal `sox FILE -n stats` per-channel columns (Pk lev dB, RMS lev dB of Ch1,
Ch2); the hello says there are two values, one per channel; every message fits the schema, over
WebSocket and over SSE."""
import asyncio
import json
import math
import os
import subprocess
import threading
import time
import unittest

import jsonschema
import websockets

from live_support import Station, file_mount
from support import ROOT, TempDir, run, sox_stats_columns

SCHEMA = json.load(open(os.path.join(ROOT, "docs", "events.schema.json")))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

RATE = 44100
# 172 blocks of 1024 frames (just under 4 s): at 50 messages a second each message holds one block
# (an interval, 882 frames, is shorter than a block), so a run of whole loops is a run of messages.
LOOP_FRAMES = 172 * 1024
# sox prints levels to 0.01 dB; both read the same 16-bit samples, and a run of messages covering
# k whole loops holds every sample of the file exactly k times, so nothing else differs (the sums'
# order: far under 0.001 dB).
TOLERANCE_DB = 0.01
SECONDS = 12.0  # listened: two whole loops fit whatever the phase


def make_stereo(path):
    # The rate and channels given to the null input: sox's synth then runs at 44.1 kHz (with them
    # on the output only, it synthesizes at 48 kHz and resamples: another length, overshoots).
    subprocess.run(["sox", "-R", "-r", str(RATE), "-c", "2", "-n", "-b", "16", path,
                    "synth", f"{LOOP_FRAMES}s", "sine", "440", "whitenoise", "remix", "1v0.5", "2v0.1"],
                   check=True, capture_output=True, timeout=30)


def power_mean_db(values_and_frames):
    total = sum(n for _, n in values_and_frames)
    return 10 * math.log10(sum(n * 10 ** (v / 10) for v, n in values_and_frames) / total)


class Collector:
    """A WebSocket subscriber on its own thread for `seconds`: every message, and schema errors."""

    def __init__(self, url, seconds):
        self.messages, self.schema_errors, self.error = [], [], None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run(url, seconds)), daemon=True)
        self.thread.start()

    async def _run(self, url, seconds):
        try:
            async with websockets.connect(url, max_size=2 ** 22) as ws:
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        text = await asyncio.wait_for(ws.recv(), left)
                    except asyncio.TimeoutError:
                        break
                    m = json.loads(text)
                    self.schema_errors += [f"{e.message} in {text[:200]}" for e in VALIDATOR.iter_errors(m)]
                    self.messages.append(m)
        except Exception as e:  # noqa: BLE001 - reported by the tests
            self.error = repr(e)

    def join(self, seconds):
        self.thread.join(seconds + 30)
        return self


class LevelChannels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        root = cls.tmp.__enter__()
        cls.wav = os.path.join(root, "stereo.wav")
        make_stereo(cls.wav)
        columns = sox_stats_columns(cls.wav)
        # sox's columns: Overall, Ch1, Ch2.
        cls.peaks, cls.rms = columns["Pk lev dB"], columns["RMS lev dB"]
        assert len(cls.peaks) == 3 and cls.peaks[1] - cls.peaks[2] > 10, columns  # two channels, levels apart
        definition = file_mount(cls.wav, formats=("mp3",), head=f'name = "Stereo"\nsamplerate = {RATE}\nchannels = 2',
                                tail='[analysis]\nprocessors = ["level"]\n')
        cls.station = Station({"stereo": definition})
        cls.station.wait_mount("stereo")
        query = "analyzers=level.channel_max,level.channel_rms&rate=50"
        cls.ws = Collector(cls.station.url(f"/events/stereo?{query}").replace("http://", "ws://"), SECONDS)

    @classmethod
    def tearDownClass(cls):
        cls.station.__exit__(None, None, None)
        cls.tmp.__exit__(None, None, None)

    def test_hello_says_two_values_one_per_channel(self):
        c = self.ws.join(SECONDS)
        self.assertIsNone(c.error)
        self.assertEqual(c.schema_errors, [])
        hello = c.messages[0]
        self.assertEqual((hello["type"], hello["channels"]), ("hello", 2))
        results = {r["id"]: r for a in hello["analyzers"] for r in a["results"]}
        self.assertEqual(results["level.channel_max"]["values"], {"count": 2, "per": "channel"})
        self.assertEqual(results["level.channel_rms"]["values"], {"count": 2, "per": "channel"})
        self.assertEqual((results["level.channel_max"]["aggregate"], results["level.channel_rms"]["aggregate"]),
                         ("max", "power_mean"))
        self.assertEqual((results["level.max"]["aggregate"], results["level.rms"]["aggregate"]), ("max", "power_mean"))
        self.assertNotIn("values", results["level.max"])

    def test_live_per_channel_levels_over_whole_loops_are_sox_columns(self):
        c = self.ws.join(SECONDS)
        self.assertIsNone(c.error)
        self.assertEqual(self.station.mount_status("stereo")["skipped_analysis_blocks"], 0,
                         "the analysis lane skipped blocks (an overloaded machine): rows are missing")
        by = {"level.channel_max": [], "level.channel_rms": []}
        for m in c.messages:
            if m["type"] == "analysis":
                by[m["result"]].append(m)
        peaks, rms = by["level.channel_max"], by["level.channel_rms"]
        # The subscriber's window may end between an interval's two messages: at most one unmatched.
        self.assertLessEqual(abs(len(peaks) - len(rms)), 1)
        common = min(len(peaks), len(rms))
        peaks, rms = peaks[:common], rms[:common]
        self.assertEqual([m["frame"] for m in peaks], [m["frame"] for m in rms])
        # The messages follow each other without a gap; take the first run of them covering exactly
        # two loops of the file.
        span, run_ = 0, []
        for a, b in zip(peaks, peaks[1:] + [None]):
            n = round(a["duration"] * RATE)
            self.assertEqual(a["count"], 1)
            if b is not None:
                self.assertEqual(a["frame"] + n, b["frame"])
            run_.append(n)
            span += n
            if span >= 2 * LOOP_FRAMES:
                break
        self.assertEqual(span, 2 * LOOP_FRAMES, "no run of messages covering two loops exactly")
        k = len(run_)
        for ch in (0, 1):
            with self.subTest(channel=ch + 1):
                self.assertTrue(all(len(m["value"]) == 2 for m in peaks[:k] + rms[:k]))
                peak = max(m["value"][ch] for m in peaks[:k])
                level = power_mean_db([(m["value"][ch], n) for m, n in zip(rms[:k], run_)])
                self.assertAlmostEqual(peak, self.peaks[ch + 1], delta=TOLERANCE_DB)
                self.assertAlmostEqual(level, self.rms[ch + 1], delta=TOLERANCE_DB)
                # Each message's value for a peak is its max; min <= value <= max for the RMS.
                self.assertTrue(all(m["value"][ch] == m["max"][ch] for m in peaks[:k]))
                self.assertTrue(all(m["min"][ch] <= m["value"][ch] <= m["max"][ch] for m in rms[:k]))

    def test_sse_carries_the_per_channel_values_too(self):
        r = subprocess.run(["curl", "-s", "-N", "--max-time", "3", "-H", "Accept: text/event-stream",
                            self.station.url("/events/stereo?analyzers=level.channel_max&rate=5")],
                           capture_output=True, text=True, timeout=20)
        messages = [json.loads(line[len("data: "):]) for line in r.stdout.splitlines() if line.startswith("data: ")]
        self.assertEqual([e.message for m in messages for e in VALIDATOR.iter_errors(m)], [])
        analysis = [m for m in messages if m["type"] == "analysis"]
        self.assertGreaterEqual(len(analysis), 5)  # 5 a second, for about 3 s
        for m in analysis:
            self.assertEqual(m["result"], "level.channel_max")
            self.assertEqual(len(m["value"]), 2)
            # Left, the -6 dBFS sine, peaks in every interval; right, the noise, stays under -20.
            self.assertAlmostEqual(m["value"][0], self.peaks[1], delta=0.1)
            self.assertLessEqual(m["value"][1], self.peaks[2] + TOLERANCE_DB)

    def test_timeside_run_per_channel_results_are_sox_columns(self):
        with TempDir() as out:
            r = run("run", self.wav, "level", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(out, "stereo.results.json")) as f:
                results = {x["id_metadata"]["id"]: x for x in json.load(f)}
        value = lambda rid: results[rid]["data_object"]["value"]["numpyArray"]  # noqa: E731
        self.assertEqual(len(value("level.channel_max")), 2)
        self.assertEqual(len(value("level.channel_rms")), 2)
        for ch in (0, 1):
            self.assertAlmostEqual(value("level.channel_max")[ch], self.peaks[ch + 1], delta=TOLERANCE_DB)
            self.assertAlmostEqual(value("level.channel_rms")[ch], self.rms[ch + 1], delta=TOLERANCE_DB)
        # TimeSide's two are still one value over all channels: sox's Overall column.
        self.assertEqual(len(value("level.max")), 1)
        self.assertAlmostEqual(value("level.max")[0], self.peaks[0], delta=TOLERANCE_DB)
        self.assertAlmostEqual(value("level.rms")[0], self.rms[0], delta=TOLERANCE_DB)
        self.assertEqual(results["level.channel_rms"]["audio_metadata"]["channels"], 2)


if __name__ == "__main__":
    unittest.main()
