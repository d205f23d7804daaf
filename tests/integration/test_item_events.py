"""An on-demand item's analysis as it is computed, GET /events/items/{id}?processors=, against the
real binary: Python's websockets and curl for Server-Sent Events. A generated item with clicks at
irregular, known frames: every onset event within 12 ms of its click, none missed or doubled;
framewise spectrogram values equal to the aggregate of the rows the same run stores (fetched from
the results route), each level value equal to the level of its block computed here from the file,
the peak equal to sox's; progress never decreasing and ending at 1; `end` last, naming the stored
results; two subscribers sharing one run; the last subscriber leaving cancels the run; SSE; bad
requests and the caps. Every message is validated against docs/events.schema.json."""
import json
import math
import os
import re
import struct
import subprocess
import threading
import unittest
import urllib.parse
import wave

from events_support import VALIDATOR, FeedSubscriber
from live_support import wait_until
from server_support import Server, ServedMedia, curl


RATE = 44100
TOLERANCE = round(0.012 * RATE)
CLICKS = [0.37, 0.91, 1.48, 2.02, 2.83, 3.29, 4.11, 4.56, 5.44, 6.07, 6.93, 7.38]  # seconds
CLICKS_FRAMES = round(8.2 * RATE)
LONG_SECONDS = 240
# aubio's onset detector finds every one of these 10 ms clicks with a 128-frame hop (test_live_events.py).
PROCESSORS = "aubio_temporal:onset_hop_size=128,spectrogram_analyzer,level"
FEED_RATE = 50


def click_samples():
    """A 1 kHz burst decaying linearly over 10 ms, amplitude 0.9."""
    n = round(RATE * 0.010)
    return [0.9 * math.cos(2 * math.pi * 1000 * k / RATE) * (1 - k / n) for k in range(n)]


def write_wav(path, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", max(-32768, min(32767, round(v * 32767)))) for v in samples))


def read_wav(path):
    """The file's samples as the decoder gives them (int16 / 32768)."""
    with wave.open(path, "rb") as w:
        raw = w.readframes(w.getnframes())
    return [v / 32768 for v in struct.unpack(f"<{len(raw) // 2}h", raw)]


def path_for(item, processors=PROCESSORS, **query):
    q = {"processors": processors, **query}
    return f"/events/items/{item}?" + urllib.parse.urlencode(q)


def item_feed(port, path, **kw):
    """An item feed's subscriber: after its time it still waits for the server's close (the feed
    closes after its `end` message)."""
    return FeedSubscriber(port, path, until_closed=True, **kw)


def sse_read(url, seconds=60):
    """curl's view of an SSE feed until the server ends it: [(id, message)]."""
    out = subprocess.run(["curl", "-s", "-N", "-m", str(seconds), "-H", "Accept: text/event-stream", url],
                         capture_output=True, text=True, timeout=seconds + 10).stdout
    events = []
    for block in out.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and not line.startswith(":"))
        if "data" in fields:
            events.append((int(fields["id"]) if "id" in fields else None, json.loads(fields["data"])))
    return events


def sox_stats(path):
    out = subprocess.run(["sox", path, "-n", "stats"], capture_output=True, text=True, timeout=30).stderr
    stats = {}
    for line in out.splitlines():
        parts = line.rsplit(None, 1)
        if len(parts) == 2:
            stats[parts[0].strip()] = parts[1]
    return stats


def db(x):
    """dBFS as the level analyzer gives it (floored at -200)."""
    return max(-200.0, 20 * math.log10(x)) if x > 0 else -200.0


class ItemEvents(ServedMedia):
    CONFIG = "[live]\nmax_subscribers = 6\n"

    @staticmethod
    def make_media(folder):
        samples = [0.0] * CLICKS_FRAMES
        click = click_samples()
        for t in CLICKS:
            start = round(t * RATE)
            samples[start:start + len(click)] = click
        write_wav(os.path.join(folder, "clicks.wav"), samples)
        # Long enough that a run is still going when a subscriber leaves: sox's pink noise.
        subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", os.path.join(folder, "long.wav"),
                        "synth", str(LONG_SECONDS), "pinknoise", "vol", "0.3"], check=True, timeout=60)

    def feed(self, item="clicks", processors=PROCESSORS, **query):
        sub = item_feed(self.server.port, path_for(item, processors, rate=FEED_RATE, **query)).join()
        self.assertIsNone(sub.error)
        self.assertEqual(sub.schema_errors, [])
        return sub

    def stored(self, url):
        status, _, body = curl(f"http://127.0.0.1:{self.server.port}{url}")
        self.assertEqual(status, 200, body[:300])
        return {r["id_metadata"]["id"]: r for r in json.loads(body)}

    def test_onsets_at_the_clicks_framewise_equal_to_the_stored_results_progress_and_end(self):
        sub = self.feed()
        msgs = sub.messages
        self.assertEqual(sub.close_code, 1000)
        hello = msgs[0]
        self.assertEqual(hello["type"], "hello")
        self.assertEqual((hello["item"], hello["samplerate"], hello["channels"]), ("clicks", RATE, 1))
        self.assertAlmostEqual(hello["duration"], CLICKS_FRAMES / RATE, places=3)
        ids = {r["id"] for a in hello["analyzers"] for r in a["results"]}
        self.assertTrue({"aubio_temporal.onset", "spectrogram_analyzer", "level.max", "level.rms"} <= ids, ids)
        self.assertEqual(msgs[-1]["type"], "end")
        self.assertEqual([m["type"] for m in msgs].count("end"), 1)
        end = msgs[-1]
        self.assertEqual(end["outcome"], "complete")
        self.assertEqual(end["frame"], CLICKS_FRAMES)
        seqs = [m["seq"] for m in msgs[1:]]
        self.assertEqual(seqs, sorted(seqs))
        self.assertEqual(len(seqs), len(set(seqs)))

        # Onsets: each click exactly one onset within 12 ms.
        onsets = [m["frame"] for m in sub.of("analysis", "aubio_temporal.onset")]
        for m in sub.of("analysis", "aubio_temporal.onset"):
            self.assertAlmostEqual(m["t"], m["frame"] / RATE, places=9)
        for t in CLICKS:
            near = [f for f in onsets if abs(f - round(t * RATE)) <= TOLERANCE]
            self.assertEqual(len(near), 1, f"click at {t} s: onsets {near} (all: {onsets})")
        self.assertEqual(len(onsets), len(CLICKS), onsets)

        # Progress: frames and fraction never decrease, the last says 1 before the end.
        progress = sub.of("progress")
        self.assertGreater(len(progress), 0)
        frames = [p["frame"] for p in progress]
        self.assertEqual(frames, sorted(frames))
        fractions = [p["fraction"] for p in progress]
        self.assertEqual(fractions, sorted(fractions))
        self.assertEqual(progress[-1]["fraction"], 1)
        self.assertEqual(progress[-1]["frame"], CLICKS_FRAMES)
        # After it only the intervals still open when the decode ended, then the end.
        after = msgs[msgs.index(progress[-1]) + 1:-1]
        self.assertTrue(all(m["type"] == "analysis" and "count" in m for m in after), after)

        # The stored results of the same run: the end names them.
        self.assertEqual(end["url"], "/api/items/clicks/results?" + urllib.parse.urlencode(
            {"processors": PROCESSORS}).replace("+", "%20") + "&format=json")
        stored = self.stored(end["url"])
        self.assertEqual(set(end["results"]), set(stored))
        stored_onsets = [round(t * RATE) for t in stored["aubio_temporal.onset"]["data_object"]["time"]["numpyArray"]]
        self.assertEqual(stored_onsets, sorted(onsets))

        # Spectrogram: every interval of FEED_RATE carries the mean, min and max of the stored rows in it.
        spec = stored["spectrogram_analyzer"]
        step = spec["data_object"]["frame_metadata"]["stepsize"]
        block = spec["data_object"]["frame_metadata"]["blocksize"]
        rows = spec["data_object"]["value"]["numpyArray"]
        interval = round(RATE / FEED_RATE)
        expected = {}
        for i, row in enumerate(rows):
            expected.setdefault(i * step // interval, []).append((i * step, row))
        got = {m["frame"] // interval: m for m in sub.of("analysis", "spectrogram_analyzer")}
        self.assertEqual(sorted(got), sorted(expected))
        for k, group in expected.items():
            m = got[k]
            self.assertEqual(m["count"], len(group))
            self.assertEqual(m["frame"], group[0][0])
            self.assertEqual(round(m["duration"] * RATE), group[-1][0] + block - group[0][0])
            for b in range(0, len(group[0][1]), 37):  # every 37th bin of every interval
                vals = [r[b] for _, r in group]
                self.assertAlmostEqual(m["value"][b], sum(vals) / len(vals), delta=1e-9 * max(1, abs(m["value"][b])))
                self.assertEqual(m["min"][b], min(vals))
                self.assertEqual(m["max"][b], max(vals))

        # Level: each block's value, computed here from the file's samples; the peak is sox's.
        samples = read_wav(os.path.join(self.media, "clicks.wav"))
        level = sub.of("analysis", "level.rms")
        self.assertEqual([m["frame"] for m in level], [m["frame"] for m in sub.of("analysis", "level.max")])
        covered = 0
        for m in level:
            self.assertEqual(m["count"], 1)  # a block is longer than an interval at 50 per second
            start, n = m["frame"], round(m["duration"] * RATE)
            self.assertEqual(start, covered)
            covered += n
            x = samples[start:start + n]
            self.assertAlmostEqual(m["value"], db(math.sqrt(sum(v * v for v in x) / n)), delta=1e-6)
        self.assertEqual(covered, CLICKS_FRAMES)
        peak = max(m["max"] for m in sub.of("analysis", "level.max"))
        self.assertAlmostEqual(peak, stored["level.max"]["data_object"]["value"]["numpyArray"][0], places=9)
        self.assertAlmostEqual(peak, float(sox_stats(os.path.join(self.media, "clicks.wav"))["Pk lev dB"]), delta=0.01)

    def test_two_subscribers_share_one_run_and_see_the_same_messages(self):
        path = path_for("long", "level,aubio_temporal", rate=5)
        done_before = len(re.findall(r"analysis output=long\.results\.json outcome=done", self.server.log()))
        a = item_feed(self.server.port, path)
        b = item_feed(self.server.port, path)
        a.join(), b.join()
        for s in (a, b):
            self.assertIsNone(s.error)
            self.assertEqual(s.schema_errors, [])
            self.assertEqual(s.close_code, 1000)
            self.assertEqual(s.messages[-1]["type"], "end")
            self.assertEqual(s.messages[-1]["outcome"], "complete")
        # One run: the same numbered messages from its start, whoever joined first.
        self.assertEqual(a.messages[1:], b.messages[1:])
        self.assertEqual(a.messages[0]["seq"], b.messages[0]["seq"])
        self.assertGreater(len(a.of("analysis", "level.rms")), LONG_SECONDS * 5 * 0.9)
        self.assertEqual(len(re.findall(r"analysis output=long\.results\.json outcome=done", self.server.log())),
                         done_before + 1)

    def test_a_feed_beside_a_plain_results_request_gets_a_run_of_its_own(self):
        # A results request computing the same key has no event sinks to follow: the feed runs its
        # own analysis beside it (no longer a 503), and both store the same results.
        processors = "level,aubio_pitch"
        pattern = r"analysis output=long\.results\.json outcome=done"
        done_before = len(re.findall(pattern, self.server.log()))
        url = self.server_url("/api/items/long/results?" + urllib.parse.urlencode({"processors": processors}))
        plain = {}
        reader = threading.Thread(target=lambda: plain.update(zip(("status", "headers", "body"), curl(url, "-m", "120"))))
        reader.start()
        wait_until("the plain results job running", lambda: json.loads(curl(self.server_url("/api/status"))[2])
                   ["transcodes"]["active"] >= 1, 20)
        sub = item_feed(self.server.port, path_for("long", processors, rate=5))
        wait_until("the feed's run beside the plain job", lambda: json.loads(curl(self.server_url("/api/status"))[2])
                   ["transcodes"]["active"] >= 2 or sub.error, 20)
        sub.join()
        reader.join(130)
        self.assertIsNone(sub.error)
        self.assertEqual(sub.schema_errors, [])
        self.assertEqual(sub.close_code, 1000)
        self.assertEqual(sub.messages[0]["type"], "hello")
        self.assertEqual(sub.messages[-1]["type"], "end")
        self.assertEqual(sub.messages[-1]["outcome"], "complete")
        self.assertEqual(min(m["frame"] for m in sub.of("analysis")), 0)  # from the item's start
        self.assertGreater(len(sub.of("analysis", "level.rms")), LONG_SECONDS * 5 * 0.9)
        self.assertEqual(plain.get("status"), 200, plain.get("body", "")[:300])
        # Two runs, both done; the stored results answer the end's URL with the plain request's results.
        wait_until("both runs done in the log",
                   lambda: len(re.findall(pattern, self.server.log())) >= done_before + 2, 20)
        self.assertEqual(len(re.findall(pattern, self.server.log())), done_before + 2)
        stored = self.stored(sub.messages[-1]["url"])
        self.assertEqual(set(stored), {r["id_metadata"]["id"] for r in json.loads(plain["body"])})
        self.assertEqual(stored["level.rms"]["data_object"]["value"]["numpyArray"],
                         {r["id_metadata"]["id"]: r for r in json.loads(plain["body"])}["level.rms"]
                         ["data_object"]["value"]["numpyArray"])

    def test_the_last_subscriber_leaving_cancels_the_run(self):
        processors = "aubio_pitch,aubio_mfcc"
        pattern = r"analysis output=long\.results\.json outcome=cancelled"

        def cancelled_runs_reach(n):
            wait_until(f"{n} cancelled runs in the log", lambda: len(re.findall(pattern, self.server.log())) >= n, 20)
            return len(re.findall(pattern, self.server.log()))

        before = len(re.findall(pattern, self.server.log()))  # other tests' runs of the same item
        sub = item_feed(self.server.port, path_for("long", processors),
                         leave_after=lambda m: m["type"] == "progress").join()
        self.assertIsNone(sub.error)
        self.assertEqual(sub.close_code, "left")
        self.assertLess(sub.messages[-1]["fraction"], 0.5)
        self.assertEqual(cancelled_runs_reach(before + 1), before + 1)
        # The run is gone: the next subscriber starts another from the item's start (and, leaving
        # at once, cancels that one too).
        again = item_feed(self.server.port, path_for("long", processors),
                           leave_after=lambda m: m["type"] == "progress").join()
        self.assertEqual(again.messages[0]["type"], "hello")
        self.assertGreater(again.messages[0]["seq"], sub.messages[-1]["seq"])  # a new run's numbers
        self.assertEqual(min(m["frame"] for m in again.of("analysis")), 0)  # from the item's start
        self.assertEqual(cancelled_runs_reach(before + 2), before + 2)

    def server_url(self, path):
        return f"http://127.0.0.1:{self.server.port}{path}"

    def test_sse_carries_the_same_feed_and_ends(self):
        events = sse_read(self.server_url(path_for("clicks", "aubio_temporal:onset_hop_size=128")))
        msgs = [m for _, m in events]
        for m in msgs:
            self.assertEqual([e.message for e in VALIDATOR.iter_errors(m)], [])
        self.assertEqual(msgs[0]["type"], "hello")
        self.assertEqual(msgs[-1]["type"], "end")
        self.assertEqual(msgs[-1]["outcome"], "complete")
        ids = [i for i, _ in events]
        self.assertEqual(ids[1:], [m["seq"] for m in msgs[1:]])
        onsets = [m["frame"] for m in msgs if m.get("result") == "aubio_temporal.onset"]
        self.assertEqual(len(onsets), len(CLICKS))
        for t, f in zip(CLICKS, onsets):
            self.assertLessEqual(abs(f - round(t * RATE)), TOLERANCE)

    def test_bad_requests(self):
        def status_of(path, *headers):
            args = []
            for h in headers:
                args += ["-H", h]
            status, hdrs, body = curl(self.server_url(path), *args, "-m", "10")
            return status, hdrs, json.loads(body)["error"] if body else ""

        sse = "Accept: text/event-stream"
        self.assertEqual(status_of(path_for("nothing-here"), sse)[0], 404)
        s, _, err = status_of("/events/items/clicks", sse)
        self.assertEqual(s, 400)
        self.assertIn("processors: required", err)
        s, _, err = status_of(path_for("clicks", "level,no_such_thing"), sse)
        self.assertEqual(s, 400)
        self.assertIn("no_such_thing", err)
        s, _, err = status_of(path_for("clicks", "vorbis_encoder"), sse)
        self.assertEqual(s, 400)
        self.assertIn("not an analyzer", err)
        s, _, err = status_of(path_for("clicks", "level", analyzers="pitch"), sse)
        self.assertEqual(s, 400)
        self.assertIn("'pitch'", err)
        s, _, err = status_of(path_for("clicks", "level", sid="abc"), sse)
        self.assertEqual(s, 400)
        self.assertIn("sid", err)
        s, _, err = status_of(path_for("clicks", "level", format="csv"), sse)
        self.assertEqual(s, 400)
        self.assertIn("format: unknown parameter", err)
        s, _, err = status_of(path_for("clicks", "level", rate=0), sse)
        self.assertEqual(s, 400)
        self.assertIn("rate", err)
        s, hdrs, err = status_of(path_for("clicks", "level"))
        self.assertEqual(s, 426)
        self.assertEqual(hdrs.get("upgrade"), "websocket")

    def test_subscriber_cap_answers_503_with_retry_after(self):
        # Six subscribers fill [live] max_subscribers = 6; they read nothing until the seventh is refused.
        path = path_for("long", "aubio_pitch")
        done = threading.Event()
        holders = [item_feed(self.server.port, path, leave_after=lambda m: done.is_set()) for _ in range(6)]
        wait_until("six subscribers served", lambda: all(h.messages for h in holders), 20)
        self.assertTrue(all(h.messages for h in holders))
        status, headers, body = curl(self.server_url(path), "-H", "Accept: text/event-stream", "-m", "10")
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("retry-after"), "10")
        self.assertIn("max_subscribers", json.loads(body)["error"])
        done.set()
        for h in holders:
            h.join()
            self.assertEqual(h.schema_errors, [])
        # Places are given back (as their sessions end): a subscriber is taken again.
        def taken_again():
            s = item_feed(self.server.port, path_for("clicks", "level")).join()
            return None if s.error and "503" in s.error else s
        s = wait_until("a place given back", taken_again, 10, interval=0.05)
        self.assertIsNone(s.error)
        self.assertEqual(s.close_code, 1000)

    def test_job_cap_answers_429_with_retry_after(self):
        # A server running one job at a time: a feed's run holds it, another item's feed is told to come back.
        server = Server(media=(self.media,), config="[media]\nmax_transcodes = 1\n")
        try:
            server.wait_scanned()
            done = threading.Event()
            holder = item_feed(server.port, path_for("long", "aubio_pitch"), leave_after=lambda m: done.is_set())
            wait_until("the holder's run in progress", lambda: holder.of("progress"), 20)
            self.assertTrue(holder.of("progress"))
            status, headers, body = curl(f"http://127.0.0.1:{server.port}{path_for('clicks', 'level')}",
                                         "-H", "Accept: text/event-stream", "-m", "10")
            self.assertEqual(status, 429)
            self.assertEqual(headers.get("retry-after"), "2")
            self.assertIn("maximum of 1 jobs", json.loads(body)["error"])
            done.set()
            holder.join()
            self.assertEqual(holder.close_code, "left")
        finally:
            server.stop_and_cleanup()


if __name__ == "__main__":
    unittest.main()
