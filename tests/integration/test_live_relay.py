"""Relays with Icecast, both ways, against Debian's icecast2 started by the test on a free loopback
port. Out: our MP3 and Ogg outputs pushed into icecast2 (`push = [...]`), a listener of icecast2
decodes them at the source file's level with no gap, the title set on our mount shows in
icecast2's /status-json.xsl; icecast2 killed and restarted, the push is back within 5 s; a wrong
password reads "bad credentials" with the back-off visible while our own listener hears real
time; a server that refuses PUT (a Python one here, recording what it gets) is fed by SOURCE; a
bad push URL stops the server naming file, line and key. In: an `http` input pulling icecast2's
mount carries its ICY titles, plays the fallback while icecast2 is down and the relay again
after."""
import base64
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest
import urllib.request
from urllib.parse import quote

from icecast_peer import Icecast2
from live_support import (Listener, Station, check_mp3_back_to_back, check_one_ogg_stream, decode, rms_db,
                          tone_frequency, wait_until, window_levels)
from server_support import run_serve
from support import TempDir, sample, sox_stats, stop_process

SINE = sample("sine440Hz_mono.wav")


class RestartableIcecast2(Icecast2):
    def kill(self):
        """SIGKILL: the server vanishes without a goodbye, as a crash does."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()

    def restart(self):
        """A new icecast2 on the same port and configuration, once its log says it serves."""
        if self.proc.poll() is None:
            self.kill()
        open(os.path.join(self.dir, "error.log"), "w").close()
        deadline = time.monotonic() + 10
        while True:  # the port may linger a moment after the kill
            self.proc = subprocess.Popen(["icecast2", "-c", self.config], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wait_until("icecast2 to start or exit", lambda: self.proc.poll() is not None or
                                 "server started" in self.error_log(), 10)
            if self.proc.poll() is None:
                return
            if time.monotonic() > deadline:
                raise AssertionError("icecast2 did not restart: " + self.error_log())
            time.sleep(0.2)

    def status_json(self):
        with urllib.request.urlopen(self.url("/status-json.xsl"), timeout=5) as r:
            return json.loads(r.read().decode("utf-8", "replace"))

    def source(self, mount):
        """icecast2's status entry of `mount`, or None (one source is an object there, several a list).
        None too when icecast2's stylesheet gives text that is not JSON (seen while a source connects)."""
        try:
            sources = self.status_json().get("icestats", {}).get("source", [])
        except json.JSONDecodeError:
            return None
        if isinstance(sources, dict):
            sources = [sources]
        for s in sources:
            if s.get("listenurl", "").endswith(mount):
                return s
        return None

    def admin_title(self, mount, song):
        req = urllib.request.Request(self.url(f"/admin/metadata?mount={mount}&mode=updinfo&song={quote(song)}"))
        req.add_header("Authorization", "Basic " + base64.b64encode(f"admin:{self.admin_password}".encode()).decode())
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status


def pushes(station, mount):
    """{pushed URL: its status} of every output of `mount`."""
    m = station.mount_status(mount)
    return {p["url"]: p for o in (m or {}).get("outputs", []) for p in o.get("push", [])}


def relay_mount(pushes_by_format, head='name = "Relay tone"\ndescription = "A looped 440 Hz sine"\ngenre = "test"'):
    outputs = ""
    presets = {"mp3": "mp3-128k", "ogg": "vorbis-q5"}
    for fmt, urls in pushes_by_format.items():
        quoted = ", ".join(f'"{u}"' for u in urls)
        outputs += f'[[outputs]]\nformat = "{fmt}"\npreset = "{presets[fmt]}"\npush = [{quoted}]\n'
    return f'{head}\n[input]\nkind = "file"\nuri = "{SINE}"\nloop = true\n{outputs}'


class SourceOnlyServer:
    """An Icecast 2.3-like server: PUT gets 405, SOURCE gets 200 and its body is kept. Records
    every request head."""

    def __init__(self, stall_after=None):
        self.stall_after = stall_after  # stop reading a source after this many bytes (a stuck server)
        self.sock = socket.socket()
        if stall_after is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small from the handshake on
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.heads, self.body, self.lock = [], bytearray(), threading.Lock()
        self.arrivals = []  # (monotonic time, body bytes so far)
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            conn.settimeout(10)
            buf = b""
            try:
                while b"\r\n\r\n" not in buf and len(buf) < 65536:
                    data = conn.recv(4096)
                    if not data:
                        return
                    buf += data
                head, _, rest = buf.partition(b"\r\n\r\n")
                text = head.decode("latin-1")
                with self.lock:
                    self.heads.append(text)
                if not text.startswith("SOURCE "):
                    conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nAllow: SOURCE\r\nContent-Length: 0\r\n\r\n")
                    return
                conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
                with self.lock:
                    self.body += rest
                    self.arrivals.append((time.monotonic(), len(self.body)))
                while not self.closed:
                    if self.stall_after is not None and len(self.body) >= self.stall_after:
                        while not self.closed:  # holds the connection, reads nothing
                            time.sleep(0.05)
                        return
                    data = conn.recv(65536)
                    if not data:
                        return
                    with self.lock:
                        self.body += data
                        self.arrivals.append((time.monotonic(), len(self.body)))
            except OSError:
                return

    def close(self):
        self.closed = True
        self.sock.close()


class LiveRelay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.level = sox_stats(SINE)["RMS lev dB"]

    def icecast(self):
        ice = RestartableIcecast2()
        self.addCleanup(ice.close)
        return ice

    def station(self, definitions):
        st = Station(definitions)
        self.addCleanup(st.__exit__, None, None, None)
        return st

    def check_tone(self, data, fmt, min_seconds):
        samples, errors = decode(data, fmt)
        lines = [l for l in errors.strip().splitlines() if l]
        # A listener joining icecast2's MP3 mid-stream gets a first frame whose bit reservoir points
        # into frames it never had: ffmpeg says so once, for that frame. Anything else is a fault.
        if fmt == "mp3" and len(lines) == 1 and "invalid new backstep" in lines[0]:
            lines = []
        self.assertEqual(lines, [], f"ffmpeg could not decode the {fmt} capture cleanly")
        self.assertGreater(len(samples), min_seconds * 44100, f"{fmt}: too little audio from icecast2")
        body = samples[44100 // 2:]
        self.assertAlmostEqual(tone_frequency(body), 440.0, delta=2.0)
        self.assertAlmostEqual(rms_db(body), self.level, delta=0.5)
        levels = window_levels(body)
        self.assertLess(max(levels) - min(levels), 1.0, f"{fmt}: the level jumps (a gap or a glitch)")

    def test_mp3_and_ogg_pushed_into_icecast2_play_there_with_the_title(self):
        ice = self.icecast()
        mp3_url, ogg_url = ice.source_url("/relay.mp3"), ice.source_url("/relay.ogg")
        st = self.station({"tone": relay_mount({"mp3": [mp3_url], "ogg": [ogg_url]})})
        st.wait_mount("tone")
        shown = f"icecast://source:***@127.0.0.1:{ice.port}"
        got = wait_until("both pushes connected", lambda: (lambda p: p if len(p) == 2 and all(
            x["state"] == "connected" for x in p.values()) else None)(pushes(st, "tone")), 10)
        self.assertEqual(set(got), {shown + "/relay.mp3", shown + "/relay.ogg"})
        self.assertEqual({p["method"] for p in got.values()}, {"PUT"})
        # icecast2 took the ice-* headers from the definition.
        src = wait_until("icecast2 lists /relay.mp3", lambda: ice.source("/relay.mp3"), 5)
        self.assertEqual(src["server_name"], "Relay tone")
        self.assertEqual(src["server_description"], "A looped 440 Hz sine")
        self.assertEqual(src["genre"], "test")
        self.assertEqual(src["server_type"], "audio/mpeg")
        self.assertEqual(src["audio_info"], "bitrate=128;samplerate=44100;channels=2")
        ours = json.loads(urllib.request.urlopen(st.url("/status-json.xsl"), timeout=5).read())["icestats"]["source"]
        ours_mp3 = next(x for x in ours if x["listenurl"].endswith("/live/tone.mp3"))
        self.assertEqual(src["audio_info"], ours_mp3["audio_info"])  # icecast2 shows what we show
        self.assertEqual(ice.source("/relay.ogg")["server_type"], "audio/ogg")

        listeners = {fmt: Listener(ice.port, f"/relay.{fmt}") for fmt in ("mp3", "ogg")}
        for l in listeners.values():
            self.addCleanup(l.close)
            self.assertEqual(l.status(), 200)
        for fmt, l in listeners.items():
            l.wait_seconds(fmt, 5, timeout=20)
        self.check_tone(listeners["mp3"].snapshot(), "mp3", 5)
        check_mp3_back_to_back(self, listeners["mp3"].snapshot())
        self.check_tone(listeners["ogg"].snapshot(), "ogg", 5)
        check_one_ogg_stream(self, listeners["ogg"].snapshot())

        # The title set on our mount reaches icecast2's MP3 mount through its /admin/metadata.
        self.assertEqual(st.set_title("tone", "Relay Artist - Song 1"), 200)
        wait_until("the title in icecast2's status", lambda: (ice.source("/relay.mp3") or {}).get("title") ==
                   "Relay Artist - Song 1", 5)
        p = wait_until("the title counted", lambda: (lambda x: x if x["titles_sent"] >= 1 else None)(
            pushes(st, "tone")[shown + "/relay.mp3"]), 5)
        self.assertEqual(p["title_error"], "")
        self.assertGreater(p["bytes_sent"], 5 * 16000)  # 128 kbit/s for more than 5 s
        # Status, streams listing and metrics show the URL without its password.
        for path in ("/api/status", "/api/streams", "/metrics"):
            body = urllib.request.urlopen(st.url(path), timeout=5).read().decode()
            self.assertNotIn(ice.source_password, body, path)
        metrics = urllib.request.urlopen(st.url("/metrics"), timeout=5).read().decode()
        self.assertIn(f'timeside_live_push_connected{{mount="tone",output="mp3",push="{shown}/relay.mp3"}} 1', metrics)

    def test_a_restarted_icecast2_is_fed_again_within_5_s_and_our_listener_never_notices(self):
        ice = self.icecast()
        st = self.station({"tone": relay_mount({"mp3": [ice.source_url("/relay.mp3")]})})
        st.wait_mount("tone")
        url = f"icecast://source:***@127.0.0.1:{ice.port}/relay.mp3"
        wait_until("the push connected", lambda: pushes(st, "tone").get(url, {}).get("state") == "connected", 10)
        ours = Listener(st.port, "/live/tone.mp3")
        self.addCleanup(ours.close)
        self.assertEqual(ours.status(), 200)
        ice.kill()
        p = wait_until("the push to notice", lambda: (lambda x: x if x.get("state") != "connected" else None)(
            pushes(st, "tone").get(url, {})), 5)
        self.assertGreaterEqual(p["reconnects"], 1)
        self.assertNotEqual(p["last_error"], "")
        ice.restart()
        back = time.monotonic()
        wait_until("the push back within 5 s", lambda: pushes(st, "tone")[url]["state"] == "connected", 5)
        took = time.monotonic() - back
        wait_until("icecast2 lists the mount again", lambda: ice.source("/relay.mp3"), 5)
        l = Listener(ice.port, "/relay.mp3")
        self.addCleanup(l.close)
        self.assertEqual(l.status(), 200)
        l.wait_seconds("mp3", 3, timeout=15)
        self.check_tone(l.snapshot(), "mp3", 3)
        # Ours kept playing throughout: no close, no gap in its tone.
        self.assertFalse(ours.closed, ours.error)
        self.check_tone(ours.snapshot(), "mp3", 3)
        print(f"\n  push back {took:.2f} s after icecast2 restarted", end="")

    def test_a_changed_definition_restarts_its_push_and_an_unchanged_one_keeps_it(self):
        ice = self.icecast()
        st = self.station({"tone": relay_mount({"mp3": [ice.source_url("/relay.mp3")]}),
                           "other": relay_mount({"mp3": [ice.source_url("/other.mp3")]}, head='name = "Other"')})
        url = f"icecast://source:***@127.0.0.1:{ice.port}/relay.mp3"
        other = f"icecast://source:***@127.0.0.1:{ice.port}/other.mp3"
        wait_until("both pushes connected", lambda: pushes(st, "tone").get(url, {}).get("state") == "connected" and
                   pushes(st, "other").get(other, {}).get("state") == "connected", 10)
        kept_since = pushes(st, "other")[other]["since"]
        st.write("tone", relay_mount({"mp3": [ice.source_url("/relay.mp3")]}, head='name = "Renamed tone"'))
        wait_until("icecast2 shows the new name", lambda: (ice.source("/relay.mp3") or {}).get("server_name") ==
                   "Renamed tone", 10)
        wait_until("the new push connected", lambda: pushes(st, "tone").get(url, {}).get("state") == "connected", 5)
        self.assertEqual(pushes(st, "other")[other]["since"], kept_since)
        self.assertEqual(pushes(st, "other")[other]["reconnects"], 0)

    def test_a_wrong_password_reads_bad_credentials_and_backs_off_while_our_listener_plays_in_real_time(self):
        ice = self.icecast()
        bad = f"icecast://source:not-the-password@127.0.0.1:{ice.port}/relay.mp3"
        st = self.station({"tone": relay_mount({"mp3": [bad]})})
        st.wait_mount("tone")
        ours = Listener(st.port, "/live/tone.mp3")
        self.addCleanup(ours.close)
        self.assertEqual(ours.status(), 200)
        ours.wait_seconds("mp3", 2.5)  # the burst (2 s) is in
        t0, have = time.monotonic(), len(decode(ours.snapshot(), "mp3")[0])
        url = f"icecast://source:***@127.0.0.1:{ice.port}/relay.mp3"
        p = wait_until("refused", lambda: (lambda x: x if x.get("last_error") else None)(pushes(st, "tone").get(url, {})), 5)
        self.assertEqual(p["last_error"], "bad credentials (401)")
        # Back-off: 1 s, 2 s, 4 s (each up to a quarter less), read from the log's push_failed lines:
        # each announced delay, and the time to the next attempt's failure at least that delay.
        self.assertIn(pushes(st, "tone")[url]["state"], ("backing_off", "connecting"))
        wait_until("the third retry", lambda: pushes(st, "tone")[url]["reconnects"] >= 3, 10)
        failed = [(datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").timestamp(), int(m.group(2)))
                  for m in re.finditer(r"^(\S+) warn push_failed mount=/live/tone\.mp3 .*retry_ms=(\d+)$", st.server.log(), re.M)]
        self.assertGreaterEqual(len(failed), 3, st.server.log()[-3000:])
        for n, (at, delay) in enumerate(failed[:3]):
            base = 1000 * 2 ** n
            self.assertTrue(0.75 * base <= delay <= base, f"retry {n + 1}: {delay} ms announced, {base} ms base")
            if n + 1 < len(failed):
                self.assertGreaterEqual(failed[n + 1][0] - at, delay / 1000 - 0.002, f"retry {n + 1} came early")
        self.assertIsNone(ice.source("/relay.mp3"))
        self.assertNotIn("not-the-password", json.dumps(st.status()))
        # Our listener had real time throughout.
        elapsed = time.monotonic() - t0
        ours.wait_seconds("mp3", (have / 44100) + elapsed - 1.0, timeout=5)
        self.assertFalse(ours.closed, ours.error)
        self.check_tone(ours.snapshot(), "mp3", elapsed)

    def test_a_server_refusing_put_is_fed_by_source(self):
        server = SourceOnlyServer()
        self.addCleanup(server.close)
        st = self.station({"tone": relay_mount({"mp3": [f"icecast://source:pw23@127.0.0.1:{server.port}/old.mp3"]})})
        st.wait_mount("tone")
        url = f"icecast://source:***@127.0.0.1:{server.port}/old.mp3"
        p = wait_until("connected by SOURCE", lambda: (lambda x: x if x.get("state") == "connected" else None)(
            pushes(st, "tone").get(url, {})), 10)
        self.assertEqual(p["method"], "SOURCE")
        wait_until("3 s of MP3 at the old server", lambda: len(server.body) >= 3 * 16000, 10)
        with server.lock:
            heads, body = list(server.heads), bytes(server.body)
        self.assertTrue(heads[0].startswith("PUT /old.mp3 HTTP/1.1\r\n"), heads[0])
        self.assertIn("\r\nExpect: 100-continue", heads[0])
        self.assertTrue(heads[1].startswith("SOURCE /old.mp3 HTTP/1.0\r\n"), heads[1])
        auth = "Basic " + base64.b64encode(b"source:pw23").decode()
        self.assertIn(f"\r\nAuthorization: {auth}", heads[1])
        self.assertIn("\r\nContent-Type: audio/mpeg", heads[1])
        self.assertIn("\r\nice-name: Relay tone", heads[1])
        self.assertIn("\r\nice-audio-info: bitrate=128;samplerate=44100;channels=2", heads[1])
        self.assertEqual(len(heads), 2)
        # No burst: the relay starts at the live edge (Icecast bursts to its own listeners), so the
        # first half second brings about half a second of 128 kbit/s, not the 2 s burst (32,000 bytes).
        with server.lock:
            arrivals = list(server.arrivals)
        first = arrivals[0][0]
        early = max(n for t, n in arrivals if t <= first + 0.5)
        self.assertLess(early, 20000, "the push began with a burst")
        check_mp3_back_to_back(self, body[:len(body) - 1000])
        self.check_tone(body, "mp3", 2.5)

    def test_a_server_that_stops_reading_is_dropped_and_retried_while_our_listener_plays_on(self):
        server = SourceOnlyServer(stall_after=64 * 1024)
        self.addCleanup(server.close)
        text = relay_mount({"mp3": [f"icecast://source:pw@127.0.0.1:{server.port}/stall.mp3"]}) + \
            "[listeners]\nburst = 1\nqueue = 3\n"
        st = self.station({"tone": text})
        st.wait_mount("tone")
        url = f"icecast://source:***@127.0.0.1:{server.port}/stall.mp3"
        ours = Listener(st.port, "/live/tone.mp3")
        self.addCleanup(ours.close)
        self.assertEqual(ours.status(), 200)
        ours.wait_seconds("mp3", 1.5)
        t0, have = time.monotonic(), len(decode(ours.snapshot(), "mp3")[0])
        p = wait_until("the stalled push dropped", lambda: (lambda x: x if x.get("dropped_behind", 0) >= 1 else None)(
            pushes(st, "tone").get(url, {})), 20)
        self.assertIn("behind", p["last_error"])
        self.assertGreaterEqual(p["reconnects"], 1)
        elapsed = time.monotonic() - t0
        ours.wait_seconds("mp3", (have / 44100) + elapsed - 1.0, timeout=5)
        self.assertFalse(ours.closed, ours.error)
        self.check_tone(ours.snapshot(), "mp3", elapsed)
        self.assertEqual(st.mount_status("tone")["outputs"][0]["slow_listeners"], 0)
        print(f"\n  stalled push dropped {elapsed:.1f} s after our listener's check started", end="")

    def test_a_bad_push_url_stops_the_server_naming_file_line_and_key(self):
        with TempDir() as tmp:
            with open(os.path.join(tmp, "bad.toml"), "w") as f:
                f.write('[input]\nkind = "signal"\n[[outputs]]\nformat = "mp3"\n'
                        'push = ["icecast://source:hush-7@127.0.0.1:70000/m.mp3"]\n')
            r = run_serve("--streams", tmp, "--listen", "127.0.0.1:0")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("bad.toml:5: key 'outputs[0].push[0]': port '70000': expected a number from 1 to 65535", r.stderr)
            self.assertNotIn("hush-7", r.stderr)

    def test_an_http_input_relays_icecast2_with_its_titles_and_recovers_when_icecast2_restarts(self):
        ice = self.icecast()

        def upstream(freq):
            p = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-re", "-f", "lavfi", "-i",
                                  f"aevalsrc=0.5*sin(2*PI*{freq}*t):s=44100:d=60", "-c:a", "libmp3lame", "-b:a", "128k",
                                  "-content_type", "audio/mpeg", "-f", "mp3", ice.source_url("/up.mp3")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.addCleanup(stop_process, p)
            wait_until("the upstream on icecast2", lambda: ice.source("/up.mp3"), 15)
            return p

        upstream(660)
        st = self.station({"relay": f'name = "Relay in"\n[input]\nkind = "http"\nuri = "{ice.url("/up.mp3")}"\n'
                                    '[[outputs]]\nformat = "mp3"\npreset = "mp3-128k"\n[listeners]\nburst = 0\n'})
        st.wait_mount("relay", lambda m: m["state"] == "running" and not m["fallback_active"], 20)
        ours = Listener(st.port, "/live/relay.mp3", metadata=True)
        self.addCleanup(ours.close)
        self.assertEqual(ours.status(), 200)
        self.assertEqual(ice.admin_title("/up.mp3", "Upstream - Before"), 200)
        wait_until("the upstream's title in our ICY blocks", lambda: any("Upstream - Before" in t for _, t in ours.titles), 20)
        ours.wait_seconds("mp3", 2)
        ice.kill()  # the upstream's ffmpeg loses its server too
        st.wait_mount("relay", lambda m: m["fallback_active"], 15)
        ice.restart()
        upstream(990)
        self.assertEqual(ice.admin_title("/up.mp3", "Upstream - After"), 200)
        st.wait_mount("relay", lambda m: not m["fallback_active"], 30)
        wait_until("the new title in our ICY blocks", lambda: any("Upstream - After" in t for _, t in ours.titles), 20)
        have, _ = decode(ours.snapshot(), "mp3")
        ours.wait_seconds("mp3", len(have) / 44100 + 3)
        self.assertFalse(ours.closed, ours.error)
        samples, errors = decode(ours.snapshot(), "mp3")
        self.assertEqual(errors.strip(), "")
        n = 11025
        windows = [samples[i:i + n] for i in range(0, len(samples) - n + 1, n)]
        freqs = [round(tone_frequency(w)) if rms_db(w) > -15 else 0 for w in windows]
        self.assertTrue(any(abs(f - 660) < 5 for f in freqs), "the upstream was not heard before the restart")
        first_990 = next((i for i, f in enumerate(freqs) if abs(f - 990) < 5), None)
        self.assertIsNotNone(first_990, "the upstream was not heard after icecast2 came back")
        last_660 = max(i for i, f in enumerate(freqs) if abs(f - 660) < 5)
        # Between the two: the fallback (silence), while icecast2 was away.
        self.assertTrue(any(rms_db(w) < -60 for w in windows[last_660 + 1:first_990]), "no fallback between the two")


if __name__ == "__main__":
    unittest.main()
