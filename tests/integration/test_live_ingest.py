"""Icecast source clients pushing to an ingest mount, as stations run them: ffmpeg's icecast://
(PUT, and SOURCE with -legacy_icecast), ezstream and GStreamer's shout2send (libshout); the
refusals a source meets (401, 409, 400, 415, 404) with a cause in the body; a source that leaves
and comes back under listeners that stay on one continuous stream; garbage as a source; and the
fallback heard in between. Listeners decode what they got with ffmpeg; the tones' frequencies and
levels are checked, not just the bytes."""
import os
import socket
import subprocess
import tempfile
import unittest

from live_support import (SOURCE_PASSWORD, Listener, Station, check_one_ogg_stream, decode, ffmpeg_source, rms_db,
                          sine_input, tone_frequency, wait_until)
from support import stop_process

STUDIO = f'''
name = "Studio"
description = "Live from the studio"
source_timeout = 5

[input]
kind = "icecast"
password = "{SOURCE_PASSWORD}"

[[outputs]]
format = "ogg"
preset = "vorbis-q5"

[[outputs]]
format = "mp3"
preset = "mp3-128k"

[fallback]
kind = "silence"

[listeners]
burst = 0
queue = 10
'''

SINE_RMS = -9.03  # a sine of peak 0.5


def raw_request(port, head, body=b"", read_timeout=5):
    """Sends a request head (and body) on a raw socket; the status line and what followed."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        s.sendall(head.encode() + body)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        return int(lines[0].split()[1]) if lines[0] else None, lines, rest


def basic(user, password):
    import base64
    return base64.b64encode(f"{user}:{password}".encode()).decode()


class LiveIngest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.station = Station({"studio": STUDIO})
        cls.station.wait_mount("studio")

    @classmethod
    def tearDownClass(cls):
        cls.station.__exit__(None, None, None)

    def source(self, *args, **kw):
        p = ffmpeg_source(self.station.port, "studio", *args, **kw)
        self.addCleanup(stop_process, p)
        return p

    def wait_source(self, connected=True, timeout=10):
        return self.station.wait_mount("studio", lambda m: m["source"]["connected"] == connected, timeout)

    def listen(self, ext):
        l = Listener(self.station.port, f"/live/studio.{ext}")
        self.addCleanup(l.close)
        self.assertEqual(l.status(), 200)
        return l

    def settle(self, listener, fmt, seconds=1.5):
        """Waits until the listener has `seconds` more decoded audio than now: what the source sent
        last (played out after it left) has reached it, with some of the fallback after it."""
        have, _ = decode(listener.snapshot(), fmt)
        listener.wait_seconds(fmt, len(have) / 44100 + seconds)

    def segments(self, samples, rate=44100, seconds=0.25):
        """(frequency, level) of consecutive windows."""
        n = int(rate * seconds)
        return [(tone_frequency(samples[i:i + n]), rms_db(samples[i:i + n])) for i in range(0, len(samples) - n + 1, n)]

    def test_an_ffmpeg_put_source_is_heard_by_the_listeners(self):
        listener = self.listen("mp3")
        src = self.source(sine_input(880, 4), fmt="ogg")
        self.wait_source(True)
        # Its first audio replaces the fallback as soon as it decodes.
        self.station.wait_mount("studio", lambda m: m["source"]["connected"] and not m["fallback_active"], 5)
        src.wait(timeout=20)
        self.wait_source(False)
        self.settle(listener, "mp3")
        samples, errors = decode(listener.snapshot(), "mp3")
        self.assertEqual(errors.strip(), "")
        heard = [s for s in self.segments(samples) if abs(s[0] - 880) < 5]
        self.assertGreater(len(heard) * 0.25, 3.0, "less than 3 s of the source's 880 Hz tone")
        for _, level in heard[1:-1]:
            self.assertAlmostEqual(level, SINE_RMS, delta=0.7)

    def test_a_legacy_source_request_works_too(self):
        listener = self.listen("ogg")
        src = self.source(sine_input(660, 3), fmt="mp3", legacy=True)
        self.wait_source(True)
        src.wait(timeout=20)
        self.wait_source(False)
        self.settle(listener, "ogg")
        samples, errors = decode(listener.snapshot(), "ogg")
        self.assertEqual(errors.strip(), "")
        heard = [s for s in self.segments(samples) if abs(s[0] - 660) < 5]
        self.assertGreater(len(heard) * 0.25, 2.0)

    def test_refusals_name_their_cause(self):
        port, auth = self.station.port, basic("source", SOURCE_PASSWORD)
        cases = [
            ("wrong password", f"PUT /live/studio HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {basic('source', 'nope')}\r\n"
                               "Content-Type: audio/mpeg\r\n\r\n", 401, "credentials"),
            ("no credentials", "PUT /live/studio HTTP/1.1\r\nHost: x\r\nContent-Type: audio/mpeg\r\nContent-Length: 1\r\n\r\n", 401, "credentials"),
            ("no type on PUT", f"PUT /live/studio HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n\r\n", 400, "Content-Type"),
            ("a type not accepted", f"PUT /live/studio HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                                    "Content-Type: text/plain\r\n\r\n", 415, "text/plain"),
            ("no such mount", f"PUT /live/nothing HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
                              "Content-Type: audio/mpeg\r\n\r\n", 404, "nothing"),
        ]
        for name, head, code, cause in cases:
            with self.subTest(case=name):
                status, lines, body = raw_request(port, head)
                self.assertEqual(status, code, lines)
                self.assertIn(cause.lower(), body.decode(errors="replace").lower())
                if code == 401:
                    self.assertTrue(any(l.lower().startswith("www-authenticate: basic") for l in lines), lines)
        self.assertEqual(self.station.server.get("/api/status")[0], 200)

    def test_a_second_source_gets_409_while_the_first_plays_on(self):
        listener = self.listen("ogg")
        first = self.source(sine_input(440, 5), fmt="ogg")
        self.wait_source(True)
        status, lines, body = raw_request(self.station.port, f"PUT /live/studio HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
                                          f"{basic('source', SOURCE_PASSWORD)}\r\nContent-Type: audio/ogg\r\n\r\n")
        self.assertEqual(status, 409, lines)
        self.assertIn("already", body.decode().lower())
        first.wait(timeout=20)
        self.wait_source(False)
        self.settle(listener, "ogg")
        samples, errors = decode(listener.snapshot(), "ogg")
        heard = [s for s in self.segments(samples) if abs(s[0] - 440) < 5]
        self.assertGreater(len(heard) * 0.25, 3.5, "the first source was disturbed")

    def test_a_source_that_leaves_and_returns_keeps_one_stream_for_its_listeners(self):
        listener = self.listen("ogg")
        self.source(sine_input(440, 2), fmt="ogg").wait(timeout=20)
        self.wait_source(False)
        # Its last audio plays out, then the fallback (silence) while nobody pushes: 1.5 s of it.
        self.station.wait_mount("studio", lambda m: m["fallback_active"], 10)
        self.settle(listener, "ogg")
        self.source(sine_input(880, 2), fmt="mp3").wait(timeout=20)
        self.wait_source(False)
        self.settle(listener, "ogg")
        self.assertFalse(listener.closed)
        data = listener.snapshot()
        check_one_ogg_stream(self, data)
        samples, errors = decode(data, "ogg")
        self.assertEqual(errors.strip(), "", "the listener's decoder saw an error")
        segs = self.segments(samples)
        kinds = []
        for freq, level in segs:
            kind = "440" if abs(freq - 440) < 5 and level > -12 else "880" if abs(freq - 880) < 5 and level > -12 \
                else "silence" if level < -60 else "?"
            if not kinds or kinds[-1] != kind:
                kinds.append(kind)
        core = [k for k in kinds if k != "?"]
        self.assertIn("440", core)
        self.assertIn("880", core)
        self.assertLess(core.index("440"), core.index("880"))
        self.assertIn("silence", core[core.index("440"):core.index("880")])
        self.assertEqual(self.station.mount_status("studio")["state"], "running")

    def test_garbage_from_a_source_never_takes_the_mount_down(self):
        listener = self.listen("mp3")
        with socket.create_connection(("127.0.0.1", self.station.port), timeout=5) as s:
            s.sendall(f"PUT /live/studio HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {basic('source', SOURCE_PASSWORD)}\r\n"
                      "Content-Type: audio/mpeg\r\nExpect: 100-continue\r\n\r\n".encode())
            reply = s.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 100") or reply.startswith(b"HTTP/1.1 200"), reply)
            garbage = os.urandom(1 << 20)
            try:
                for i in range(0, len(garbage), 16384):
                    s.sendall(garbage[i:i + 16384])
            except OSError:
                pass  # the server may cut a source that does not decode
        m = wait_until("the mount back on its fallback", lambda: (lambda m: m if not m["source"]["connected"] else None)(
            self.station.mount_status("studio")), 10)
        self.assertEqual(m["state"], "running")
        # What decoded of it before the connection closed plays out first, then the fallback.
        self.station.wait_mount("studio", lambda m: m["fallback_active"], 10)
        self.settle(listener, "mp3", seconds=2)
        self.assertFalse(listener.closed)
        samples, errors = decode(listener.snapshot(), "mp3")
        self.assertEqual(errors.strip(), "")
        self.assertLess(rms_db(samples[-44100:]), -60, "the fallback's silence is not what is heard")

    def test_libshout_sources_ezstream_and_shout2send(self):
        with tempfile.TemporaryDirectory() as tmp:
            ogg = os.path.join(tmp, "tone.ogg")
            subprocess.run(["ffmpeg", "-v", "error", *sine_input(550, 3), "-c:a", "libvorbis", ogg], check=True)
            config = os.path.join(tmp, "ezstream.xml")
            with open(config, "w") as f:
                f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<ezstream>
  <servers><server><protocol>HTTP</protocol><hostname>127.0.0.1</hostname><port>{self.station.port}</port>
    <password>{SOURCE_PASSWORD}</password></server></servers>
  <streams><stream><mountpoint>/live/studio</mountpoint><format>Ogg</format></stream></streams>
  <intakes><intake><type>file</type><filename>{ogg}</filename><stream_once>Yes</stream_once></intake></intakes>
</ezstream>
""")
            os.chmod(config, 0o600)
            for name, cmd in [
                ("ezstream", ["ezstream", "-c", config]),
                ("shout2send", ["gst-launch-1.0", "-q", "filesrc", f"location={ogg}", "!", "oggdemux", "!", "vorbisparse",
                                "!", "oggmux", "!", "shout2send", "ip=127.0.0.1", f"port={self.station.port}",
                                "mount=/live/studio", f"password={SOURCE_PASSWORD}", "sync=true"]),
            ]:
                with self.subTest(client=name):
                    listener = self.listen("ogg")
                    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                    try:
                        self.wait_source(True, timeout=15)
                        p.wait(timeout=30)
                    finally:
                        stop_process(p)
                    self.wait_source(False)
                    self.settle(listener, "ogg")
                    samples, errors = decode(listener.snapshot(), "ogg")
                    heard = [s for s in self.segments(samples) if abs(s[0] - 550) < 5]
                    self.assertGreater(len(heard) * 0.25, 2.0, f"{name}: the source was not heard")
                    for _, level in heard[1:-1]:
                        self.assertAlmostEqual(level, SINE_RMS, delta=0.7)
                    listener.close()


if __name__ == "__main__":
    unittest.main()
