"""The live events feed, GET /events/{mount}, against the real binary: Python's websockets and raw
sockets for the WebSocket side, curl for Server-Sent Events. Two mounts with clicks at known stream
frames (a 120 BPM click signal, and a generated file with clicks at irregular times, looped): every
onset event within 12 ms of its click, none missed, none doubled; every message received checked
against docs/events.schema.json; an SSE reconnect with Last-Event-ID that misses nothing; bad
client messages answered with errors naming the problem; 1009 for a message over 64 KiB; a
subscriber that stops reading closed with 1008 (and counted) while another keeps receiving; the
per-mount subscriber cap (503); subscribers in /api/status and /metrics."""
import asyncio
import json
import math
import os
import socket
import struct
import subprocess
import threading
import time
import unittest
import wave

import websockets

from events_support import VALIDATOR, FeedSubscriber
from live_support import SOURCE_PASSWORD, Station, ffmpeg_source, sine_input, wait_until
from support import TempDir, stop_process


RATE = 44100
BEAT = 22050  # clicks:120 at 44.1 kHz: the signal clicks at every multiple of this stream frame
TOLERANCE = round(0.012 * RATE)
WINDOW = 60.0  # seconds the two reference subscribers listen (the other tests run meanwhile)
# aubio's onset detector with its default 256-frame hop misses most of these 10 ms clicks (found
# while writing this test: about one in three detected, offline too); a 128-frame hop finds them all.
ANALYSIS = '[analysis]\nprocessors = ["aubio_temporal:onset_hop_size=128", "level"]\n'

# The looped file: clicks at irregular times (seconds), LOOP_SECONDS long.
LOOP_CLICKS = [0.31, 0.83, 1.52, 1.94, 2.71, 3.18, 4.05, 4.47, 5.36]
LOOP_FRAMES = round(5.9 * RATE)


def click_samples():
    """The signal input's click: a 1 kHz burst decaying linearly over 10 ms, amplitude 0.9."""
    n = round(RATE * 0.010)
    return [0.9 * math.cos(2 * math.pi * 1000 * k / RATE) * (1 - k / n) for k in range(n)]


def write_clicks_wav(path):
    samples = [0.0] * LOOP_FRAMES
    click = click_samples()
    for t in LOOP_CLICKS:
        start = round(t * RATE)
        samples[start:start + len(click)] = click
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", round(v * 32767)) for v in samples))


def mount(input_table, tail="", analysis=ANALYSIS):
    return (f'samplerate = {RATE}\nchannels = 1\n{input_table}[[outputs]]\nformat = "mp3"\npreset = "mp3-128k"\n'
            f'{analysis}{tail}')


def ws_handshake(port, path, rcvbuf=None):
    """A WebSocket client on a raw socket: sends the upgrade, reads the answer's head; (socket,
    status code, leftover bytes)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: no autotuning
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(1)  # byte by byte: nothing past the head is taken from the kernel
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n", 1)[0].decode()
    return s, int(head.split()[1]), b""


def read_frames(data):
    """Unmasked server frames in `data`: [(opcode, payload)]; stops at an incomplete one."""
    frames, i = [], 0
    while i + 2 <= len(data):
        opcode, n = data[i] & 0x0F, data[i + 1] & 0x7F
        j = i + 2
        if n == 126:
            n, j = struct.unpack(">H", data[j:j + 2])[0], j + 2
        elif n == 127:
            n, j = struct.unpack(">Q", data[j:j + 8])[0], j + 8
        if j + n > len(data):
            break
        frames.append((opcode, data[j:j + n]))
        i = j + n
    return frames


def sse_read(url, seconds, headers=()):
    """curl's view of an SSE feed for `seconds`: [(id or None, message)] in order."""
    args = ["curl", "-s", "-N", "-m", str(seconds), "-H", "Accept: text/event-stream"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 10).stdout
    events = []
    for block in out.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and not line.startswith(":"))
        if "data" in fields:
            events.append((int(fields["id"]) if "id" in fields else None, json.loads(fields["data"])))
    return events


def metric(text, name, mount):
    for line in text.splitlines():
        if line.startswith(f'{name}{{mount="{mount}"}} '):
            return float(line.split()[-1])
    return None


class LiveEvents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        root = cls.tmp.__enter__()
        cls.wav = os.path.join(root, "irregular_clicks.wav")
        write_clicks_wav(cls.wav)
        cls.station = Station({
            "clicks": mount('[input]\nkind = "signal"\nsignal = "clicks:120"\n', "[events]\nqueue = 3\n"),
            "looped": mount(f'[input]\nkind = "file"\nuri = "{cls.wav}"\nloop = true\n'),
            "capped": mount('[input]\nkind = "signal"\nsignal = "silence"\n', "[events]\nmax_subscribers = 2\n"),
            "reloaded": mount('[input]\nkind = "signal"\nsignal = "silence"\n'),
            "pinged": mount('[input]\nkind = "signal"\nsignal = "silence"\n', "[events]\nping = 1\n", analysis=""),
            "studio": mount(f'[input]\nkind = "icecast"\npassword = "{SOURCE_PASSWORD}"\n', analysis=""),
            "spectrum": mount('[input]\nkind = "signal"\nsignal = "sine:440"\n',
                              analysis='[analysis]\nprocessors = ["spectrogram_analyzer"]\n'),
        })
        for m in ("clicks", "looped", "capped", "reloaded", "spectrum", "studio", "pinged"):
            cls.station.wait_mount(m)
        cls.looped_filled_before = cls.station.mount_status("looped")["filled_frames"]
        cls.clicks_ws = FeedSubscriber(cls.station.port, "/events/clicks", WINDOW)
        cls.looped_ws = FeedSubscriber(cls.station.port, "/events/looped?analyzers=aubio_temporal.onset,level.rms", WINDOW)

    @classmethod
    def tearDownClass(cls):
        cls.station.__exit__(None, None, None)
        cls.tmp.__exit__(None, None, None)

    def metrics(self):
        return subprocess.run(["curl", "-s", self.station.url("/metrics")], capture_output=True, text=True,
                              timeout=10).stdout

    def raw_subscriber(self, path, rcvbuf=None):
        s, code, _ = ws_handshake(self.station.port, path, rcvbuf)
        self.addCleanup(s.close)
        return s, code

    # Checks onsets against the true click frames: every click in the span has exactly one onset
    # within TOLERANCE, and every onset in the span is one of those.
    def check_onsets(self, collector, clicks_in, what):
        msgs = [m for _, m in collector.stamped]
        self.assertEqual(msgs[0]["type"], "hello")
        onsets = [m["frame"] for m in msgs if m["type"] == "analysis" and m["result"] == "aubio_temporal.onset"]
        analysed = max(m["frame"] for m in msgs if m["type"] == "analysis")
        lo, hi = msgs[0]["frame"] + RATE, analysed - RATE  # safely inside what the subscriber saw
        self.assertGreater(hi - lo, (WINDOW - 5) * RATE, f"{what}: the analysis did not cover the window")
        expected = clicks_in(lo, hi)
        in_span = [f for f in onsets if lo - TOLERANCE <= f <= hi + TOLERANCE]
        errors = []
        for c in expected:
            near = [f for f in in_span if abs(f - c) <= TOLERANCE]
            self.assertEqual(len(near), 1, f"{what}: click at frame {c} ({c / RATE:.3f} s): onsets {near}")
            errors.append((near[0] - c) / RATE)
        stray = [f for f in in_span if all(abs(f - c) > TOLERANCE for c in expected)
                 and lo + TOLERANCE <= f <= hi - TOLERANCE]
        self.assertEqual(stray, [], f"{what}: onsets where no click is")
        self.assertEqual(len(onsets), len(set(onsets)), f"{what}: an onset sent twice")
        print(f"\n{what}: {len(expected)} clicks, onset error mean {1000 * sum(errors) / len(errors):+.2f} ms, "
              f"max |{1000 * max(map(abs, errors)):.2f}| ms")

    def test_a_message_over_64_kib_closes_with_1009(self):
        async def run():
            async with websockets.connect(f"ws://127.0.0.1:{self.station.port}/events/capped") as ws:
                hello = json.loads(await ws.recv())
                self.assertEqual(hello["type"], "hello")
                await ws.send(json.dumps({"type": "ping", "id": "x" * (70 * 1024)}))
                with self.assertRaises(websockets.ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(ws.recv(), 10)
                return closed.exception.code
        self.assertEqual(asyncio.run(run()), 1009)

    def test_bad_messages_get_an_error_naming_the_problem_and_the_connection_stays(self):
        sent = [("not json", "bad_json", None),
                ('["subscribe"]', "bad_json", None),
                ('{"type": "unsubscribe"}', "unknown_type", "type"),
                ('{"rate": 5}', "bad_field", "type"),
                ('{"type": "subscribe", "rate": 0}', "bad_field", "rate"),
                ('{"type": "subscribe", "rate": "fast"}', "bad_field", "rate"),
                ('{"type": "subscribe", "analyzers": ["level", "no_such"]}', "bad_field", "analyzers[1]"),
                ('{"type": "subscribe", "colour": "red"}', "bad_field", "colour"),
                ('{"type": "ping", "idd": 1}', "bad_field", "idd")]

        async def run():
            async with websockets.connect(f"ws://127.0.0.1:{self.station.port}/events/clicks?analyzers=level") as ws:
                replies = []
                for text, _, _ in sent + [('{"type": "ping", "id": 42}', None, None)]:
                    await ws.send(text)
                    while True:
                        m = json.loads(await asyncio.wait_for(ws.recv(), 10))
                        self.assertEqual(list(VALIDATOR.iter_errors(m)), [], m)
                        if m["type"] in ("error", "pong"):
                            replies.append(m)
                            break
                # the subscription in force is untouched: still only level's values
                await ws.send('{"type": "subscribe", "analyzers": ["aubio_temporal.onset"], "rate": 5}')
                while (m := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] != "subscribed":
                    self.assertTrue(m["type"] != "analysis" or m["result"].startswith("level."), m)
                return replies, m
        replies, subscribed = asyncio.run(run())
        for (text, code, field), reply in zip(sent, replies):
            self.assertEqual(reply["type"], "error", text)
            self.assertEqual(reply["error"], code, text)
            self.assertEqual(reply.get("field"), field, text)
        self.assertIn("no_such", replies[6]["message"])
        self.assertEqual(replies[-1]["type"], "pong")
        self.assertEqual(replies[-1]["id"], 42)
        self.assertEqual((subscribed["analyzers"], subscribed["rate"], subscribed["reason"]),
                         (["aubio_temporal.onset"], 5, "asked"))

    def test_cap_404_and_426(self):
        wait_until("no subscriber left on capped", lambda: self.station.mount_status("capped")["events"]["subscribers"] == 0)
        a, code_a = self.raw_subscriber("/events/capped")
        b, code_b = self.raw_subscriber("/events/capped")
        self.assertEqual((code_a, code_b), (101, 101))
        r = subprocess.run(["curl", "-s", "-i", "-m", "5", "-H", "Accept: text/event-stream",
                            self.station.url("/events/capped")], capture_output=True, text=True, timeout=10).stdout
        head, body = r.split("\n\n", 1)  # (text mode turned CRLF into LF)
        self.assertTrue(head.startswith("HTTP/1.1 503"), head)
        self.assertIn("retry-after: 10", head.lower())
        self.assertEqual(json.loads(body)["status"], 503)
        self.assertIn("max_subscribers", json.loads(body)["error"])
        a.close()
        wait_until("the freed place", lambda: self.station.mount_status("capped")["events"]["subscribers"] == 1)
        _, code_c = self.raw_subscriber("/events/capped")
        self.assertEqual(code_c, 101)
        self.assertEqual(self.station.mount_status("capped")["events"]["refused"], 1)
        status, _, body = self.station.server.get("/events/nowhere")
        self.assertEqual(status, 404)
        self.assertIn("'nowhere'", body["error"])
        status, headers, body = self.station.server.get("/events/capped")
        self.assertEqual(status, 426)

    def test_news_of_titles_listeners_sources_and_fallback(self):
        news, stop, greeted = [], threading.Event(), threading.Event()

        async def subscribe():
            async with websockets.connect(f"ws://127.0.0.1:{self.station.port}/events/studio") as ws:
                while not stop.is_set():
                    try:
                        m = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                    except asyncio.TimeoutError:
                        continue
                    self.assertEqual(list(VALIDATOR.iter_errors(m)), [], m)
                    if m["type"] == "hello":
                        greeted.set()
                    if m["type"] == "news":
                        news.append(m)
        thread = threading.Thread(target=lambda: asyncio.run(subscribe()), daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(stop.set)

        def seen(kind, **fields):
            return wait_until(f"news {kind} {fields}", lambda: next(
                (m for m in list(news) if m["news"] == kind and all(m.get(k) == v for k, v in fields.items())), None),
                timeout=15)
        self.assertTrue(greeted.wait(10), "no hello within 10 s")  # subscribed before the title changes
        self.assertEqual(self.station.set_title("studio", "Artist - Song"), 200)
        title = seen("title", title="Artist - Song")
        listener = socket.create_connection(("127.0.0.1", self.station.port), timeout=10)
        self.addCleanup(listener.close)
        listener.sendall(b"GET /live/studio.mp3 HTTP/1.1\r\nHost: x\r\n\r\n")
        seen("listeners", listeners=1)
        source = ffmpeg_source(self.station.port, "studio", sine_input(440, 2), fmt="mp3")
        self.addCleanup(stop_process, source)
        connected = seen("source_connected")
        ended = seen("fallback_ended")
        lost = seen("source_lost")
        started = seen("fallback_started")
        self.assertEqual(connected["source"], "source on /live/studio (audio/mpeg)")
        self.assertEqual(lost["error"], "")  # it ended its stream: no error
        # In stream order: the source's audio replaces the fallback, plays about its 2 s, then the fallback again.
        self.assertLessEqual(title["frame"], connected["frame"])
        self.assertLessEqual(connected["frame"], ended["frame"])
        self.assertLess(ended["frame"], started["frame"])
        self.assertAlmostEqual((started["frame"] - ended["frame"]) / RATE, 2.0, delta=0.5)
        self.assertLess(ended["frame"], lost["frame"])
        self.assertLessEqual(lost["frame"], started["frame"] + 1024)  # gone once its last audio played

    def test_pings_keep_a_live_peer_and_drop_a_dead_one(self):
        # `[events] ping = 1`: a ping after 1 s without a word from the peer, dropped after 2 s.
        dead, code = self.raw_subscriber("/events/pinged")  # a raw socket: it never answers a ping
        self.assertEqual(code, 101)
        started, data, frames, pinged_at = time.monotonic(), b"", [], None
        dead.settimeout(0.2)
        while time.monotonic() - started < 6:
            try:
                chunk = dead.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            data += chunk
            frames = read_frames(data)
            if pinged_at is None and 9 in [op for op, _ in frames]:
                pinged_at = time.monotonic() - started
        gone = time.monotonic() - started
        self.assertIsNotNone(pinged_at, "no ping came")
        self.assertGreaterEqual(pinged_at, 0.9)
        self.assertLess(gone, 4, "the peer that never answered was not dropped")
        self.assertGreaterEqual(gone, 1.9)

        async def alive():  # websockets answers pings itself
            async with websockets.connect(f"ws://127.0.0.1:{self.station.port}/events/pinged") as ws:
                await ws.recv()  # hello
                await asyncio.sleep(3.5)
                await ws.send('{"type": "ping", "id": 1}')
                return json.loads(await asyncio.wait_for(ws.recv(), 5))
        self.assertEqual(asyncio.run(alive())["type"], "pong")

    def test_reload_closes_subscribers_with_news_and_1012_and_removal_with_1001(self):
        async def until_closed(ws):
            seen = []
            with self.assertRaises(websockets.ConnectionClosed) as closed:
                while True:
                    seen.append(json.loads(await asyncio.wait_for(ws.recv(), 15)))
            self.assertEqual(list(VALIDATOR.iter_errors(seen[-1])), [])
            return seen[-1], closed.exception.code

        async def run():
            url = f"ws://127.0.0.1:{self.station.port}/events/reloaded"
            async with websockets.connect(url) as ws:
                before = json.loads(await ws.recv())
                self.station.write("reloaded", mount('[input]\nkind = "signal"\nsignal = "sine:440"\n'))
                restarted = await until_closed(ws)
            async with websockets.connect(url) as ws:
                after = json.loads(await ws.recv())
                self.station.remove("reloaded")
                stopped = await until_closed(ws)
            return before, restarted, after, stopped
        before, (news, code), after, (news2, code2) = asyncio.run(run())
        self.assertEqual((news["type"], news["news"], news["reason"], code), ("news", "closing", "restarted", 1012))
        self.assertEqual(after["type"], "hello")
        self.assertGreater(after["seq"], news["seq"], "the new mount's feed numbers go on past the old one's")
        self.assertLess(after["frame"], min(before["frame"], 2 * RATE))  # a new stream time: it started again
        self.assertEqual((news2["news"], news2["reason"], code2), ("closing", "stopped", 1001))
        status, _, _ = self.station.server.get("/events/reloaded")
        self.assertEqual(status, 404)

    def test_sse_reconnect_with_last_event_id_misses_nothing(self):
        url = self.station.url("/events/clicks")
        first = sse_read(url, 3)
        self.assertEqual(first[0][1]["type"], "hello")
        last_id = first[-1][0]
        # Away for 2 s of stream time, as the reference subscriber sees it: what the resume must replay.
        left_at = max(m["frame"] for _, m in first if "frame" in m)
        wait_until("2 s of the feed published while the client is away", lambda: any(
            m.get("type") == "analysis" and m["frame"] > left_at + 2 * RATE for _, m in list(self.clicks_ws.stamped)),
            timeout=10, interval=0.05)
        second = sse_read(url, 3, [f"Last-Event-ID: {last_id}"])
        hello = second[0][1]
        self.assertEqual(hello["resume"], {"last_event_id": last_id, "complete": True})
        for _, m in first + second:
            self.assertEqual(list(VALIDATOR.iter_errors(m)), [], m)
        got = {i for i, m in first + second if m["type"] != "hello"}
        self.assertTrue(all(i == m.get("seq") for i, m in first + second if m["type"] != "hello"))
        # The reference subscriber (all analyzers, the same default rate) saw every message of the
        # feed between the first hello and the end of the second session: so must these two.
        self.clicks_ws.thread.join(0)
        ref = {m["seq"] for _, m in list(self.clicks_ws.stamped) if "seq" in m and m["type"] != "hello"
               and first[0][1]["seq"] < m["seq"] <= max(got)}
        self.assertGreater(len(ref), 3 * 40, "the reference saw too little of the feed")
        self.assertEqual(sorted(ref - got), [], "messages the reconnect missed")
        self.assertEqual(hello["seq"], last_id, "the resumed feed goes on after the last id")
        away = [m for _, m in second if m["type"] == "analysis" and m["frame"] < hello["frame"] - RATE // 2]
        self.assertGreater(len(away), 40, "the resume did not replay what was published while away")

    def test_stalled_subscriber_is_closed_with_1008_while_another_keeps_receiving(self):
        before = metric(self.metrics(), "timeside_events_slow_closes_total", "clicks") or 0
        s, code = self.raw_subscriber("/events/clicks?rate=50", rcvbuf=4096)
        self.assertEqual(code, 101)
        # It reads nothing from here on: the server's queue for it grows until it is closed.
        wait_until("the stalled subscriber closed for slowness",
                   lambda: (metric(self.metrics(), "timeside_events_slow_closes_total", "clicks") or 0) > before,
                   timeout=30, interval=0.05)
        closed_at = time.monotonic()
        data, deadline = b"", time.monotonic() + 10
        s.settimeout(1)
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            data += chunk
        frames = read_frames(data)
        self.assertGreater(len(frames), 50, "it had received the feed before it stalled")
        self.assertEqual(frames[-1][0], 8, "the last frame is a close frame")
        self.assertEqual(struct.unpack(">H", frames[-1][1][:2])[0], 1008)
        status = self.station.mount_status("clicks")["events"]
        self.assertGreater(status["dropped"], 0, "it was decimated harder before it was closed")
        # The reference subscriber on the same mount never stopped.
        wait_until("the reference going on", lambda: any(t > closed_at + 1 for t, _ in list(self.clicks_ws.stamped)),
                   timeout=5)
        self.assertIsNone(self.clicks_ws.close_code)

    def test_spectrogram_as_binary_8_bit_columns(self):
        async def run():
            url = f"ws://127.0.0.1:{self.station.port}/events/spectrum?analyzers=spectrogram_analyzer&rate=5&spectrogram=u8"
            async with websockets.connect(url) as ws:
                hello = json.loads(await ws.recv())
                columns, texts = [], []
                while len(columns) < 8:
                    m = await asyncio.wait_for(ws.recv(), 10)
                    (columns if isinstance(m, bytes) else texts).append(m)
                return hello, columns, texts
        hello, columns, texts = asyncio.run(run())
        self.assertEqual(list(VALIDATOR.iter_errors(hello)), [])
        self.assertEqual(hello["subscription"]["spectrogram"], "u8")
        info = hello["analyzers"][0]["results"][0]["columns"]
        self.assertEqual((info["bins"], info["bin_hz"], info["min_db"], info["max_db"]), (1025, RATE / 2048, -120, 0))
        self.assertEqual(texts, [], "the spectrum came as JSON too")
        previous_end = None
        for i, c in enumerate(columns):
            version, kind, bins, count, seq, frame, duration, rate, id_length = struct.unpack_from("<BBHIQqIIB", c)
            self.assertEqual((version, kind, bins, rate), (1, 1, 1025, RATE))
            self.assertEqual(c[33:33 + id_length], b"spectrogram_analyzer")
            q = c[33 + id_length:]
            self.assertEqual(len(q), bins)
            peak = max(range(bins), key=lambda k: q[k])
            self.assertLessEqual(abs(peak * info["bin_hz"] - 440), info["bin_hz"])  # the sine's bin
            # 0.5 (-6.02 dB), less the Hann window's loss between bins (440 Hz is 0.43 bin off one)
            expected = 255 * (120 - 6.02) / 120
            self.assertTrue(expected - 5 <= q[peak] <= expected + 1, q[peak])
            self.assertLess(max(q[:10]), q[peak] - 100)  # far from 440 Hz: far below
            # windows of 2048 every 1024 frames, rate 5: about 8820 frames an interval, no gaps
            if i == 0:  # its rate began mid-interval: a partial one
                previous_start, previous_end, previous_count = frame, frame + duration, count
                continue
            self.assertIn(count, range(8, 10))
            if previous_end is not None:
                self.assertLessEqual(frame, previous_end)  # windows overlap: the next starts before the end
                self.assertEqual(frame - previous_start, previous_count * 1024)
            previous_start, previous_end, previous_count = frame, frame + duration, count

    def test_status_and_metrics_count_subscribers(self):
        self.raw_subscriber("/events/capped")
        wait_until("the subscriber counted", lambda: self.station.mount_status("capped")["events"]["subscribers"] >= 1)
        live = self.station.status()["live"]
        self.assertGreaterEqual(live["subscribers"], 1)
        self.assertEqual(live["max_subscribers"], 10000)
        m = self.metrics()
        self.assertGreaterEqual(metric(m, "timeside_events_subscribers", "clicks"), 1)
        self.assertGreater(metric(m, "timeside_events_messages_total", "clicks"), 0)
        delivered = metric(m, "timeside_events_delivered_total", "clicks")
        self.assertGreater(delivered, 0)
        self.assertEqual(metric(m, "timeside_events_delivery_seconds_count", "clicks"), delivered)
        fast = [l for l in m.splitlines() if l.startswith('timeside_events_delivery_seconds_bucket{mount="clicks",le="0.05"}')]
        self.assertGreater(float(fast[0].split()[-1]), 0.9 * delivered, "delivery within 50 ms for most messages")

    def test_window_clicks_signal_onsets_are_its_clicks(self):
        c = self.clicks_ws.join()
        self.assertIsNone(c.error)
        self.assertEqual(self.station.mount_status("clicks")["filled_frames"], 0)
        self.check_onsets(c, lambda lo, hi: [k * BEAT for k in range(math.ceil(lo / BEAT), hi // BEAT + 1)],
                          "clicks:120")

    def test_window_looped_file_onsets_are_its_clicks(self):
        c = self.looped_ws.join()
        self.assertIsNone(c.error)
        st = self.station.mount_status("looped")
        # The file started once the fallback had filled the start (if it did); nothing filled since.
        self.assertEqual(st["filled_frames"], self.looped_filled_before, "the looped file had a gap")
        start = self.looped_filled_before
        clicks = [round(t * RATE) for t in LOOP_CLICKS]

        def expected(lo, hi):
            loops = range((lo - start) // LOOP_FRAMES, (hi - start) // LOOP_FRAMES + 1)
            return [f for k in loops for f in (start + k * LOOP_FRAMES + c for c in clicks) if lo <= f <= hi]
        self.check_onsets(c, expected, "looped file")

    def test_window_messages_fit_the_schema_and_framewise_values_are_decimated(self):
        for c in (self.clicks_ws.join(), self.looped_ws.join()):
            self.assertEqual(c.schema_errors, [])
        msgs = [m for _, m in self.clicks_ws.stamped]
        hello = msgs[0]
        self.assertEqual((hello["mount"], hello["samplerate"], hello["channels"]), ("clicks", RATE, 1))
        results = {r["id"]: r for a in hello["analyzers"] for r in a["results"]}
        self.assertEqual((results["aubio_temporal.onset"]["time_mode"], results["aubio_temporal.onset"]["decimated"]),
                         ("event", False))
        self.assertTrue(results["level.rms"]["decimated"])
        self.assertEqual(hello["outputs"], [{"url": "/live/clicks.mp3", "format": "mp3", "content_type": "audio/mpeg"}])
        rms = [m for m in msgs if m["type"] == "analysis" and m["result"] == "level.rms"]
        span = (rms[-1]["frame"] - rms[0]["frame"]) / RATE
        self.assertLessEqual(len(rms) - 1, 20 * span + 1, "more than 20 messages a second")
        self.assertGreaterEqual(len(rms) - 1, 20 * span - 1)
        # Each message carries every row of its interval: the intervals follow each other without
        # a gap, and their rows (one per 1024-frame block) add up to the blocks in between.
        for a, b in zip(rms, rms[1:]):
            self.assertEqual(a["frame"] + round(a["duration"] * RATE), b["frame"])
            self.assertLessEqual(a["min"], a["value"])
            self.assertLessEqual(a["value"], a["max"])
        self.assertEqual(self.station.mount_status("clicks")["skipped_analysis_blocks"], 0,
                         "the analysis lane skipped blocks (an overloaded machine): rows are missing")
        self.assertEqual(sum(m["count"] for m in rms[:-1]), (rms[-1]["frame"] - rms[0]["frame"]) // 1024)
        # A click shows in the max of the interval where it starts; an interval none of it reaches is silence.
        click = round(0.010 * RATE)
        peaks = [m for m in msgs if m["type"] == "analysis" and m["result"] == "level.max"]
        for m in peaks[:-1]:
            end = m["frame"] + round(m["duration"] * RATE)
            beats = [k * BEAT for k in (m["frame"] // BEAT, m["frame"] // BEAT + 1)]
            if any(m["frame"] <= b < end for b in beats):
                self.assertGreater(m["max"], -3, m)
            elif not any(m["frame"] - click < b < end for b in beats):
                self.assertEqual(m["max"], -200, m)


if __name__ == "__main__":
    unittest.main()
