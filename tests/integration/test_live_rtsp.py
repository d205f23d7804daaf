"""RTSP (rtsp://HOST:PORT/live/{id}): ffmpeg and gst-launch's rtspsrc, over TCP-interleaved and UDP
transports, each decode 10 s of a sine mount to PCM: as long as the time it ran, at the sine's known
level, at its frequency, without a gap (the spacing of its zero crossings never jumps). Two clients
share one media; a mount removed by a reload takes its path (404) and its clients with it; a mount
with an [rtsp] password answers 401 without it; the server stops cleanly under connected clients."""
import array
import base64
import math
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from live_support import Station, rms_db, tone_frequency, wait_until
from support import free_port, stop_process

RATE = 48000
FREQ = 440
# signal_input's sine: peak 0.5, so an RMS of 0.5/sqrt(2): -9.03 dBFS.
SINE_DB = 20 * math.log10(0.5 / math.sqrt(2))
PASSWORD = "rtsp-test-secret"


def sine_mount(extra=""):
    return f'''name = "RTSP tone"
samplerate = {RATE}
channels = 2

[input]
kind = "signal"
signal = "sine:{FREQ}"

[[outputs]]
format = "mp3"
preset = "mp3-128k"
{extra}'''


def ffmpeg_args(url, transport, seconds=None):
    """ffmpeg reading `url` to mono float32 at RATE on stdout."""
    args = ["ffmpeg", "-v", "error", "-nostdin", "-rtsp_transport", transport, "-i", url]
    if seconds:
        args += ["-t", str(seconds)]
    return args + ["-af", "pan=mono|c0=c0", "-ar", str(RATE), "-f", "f32le", "pipe:1"]


def samples_of(data):
    s = array.array("f")
    s.frombytes(data[:len(data) // 4 * 4])
    return s


def gst_pipeline(url, protocols, path):
    """gst-launch-1.0's rtspsrc (a 300 ms jitter buffer, as players keep: with none, a packet a
    loaded machine delivers late is concealed by the decoder, a phase jump in the sine) decoding to mono float32 at RATE in `path`,
    unbuffered (the file's first byte is the first decoded audio); -e: SIGINT ends it with an EOS,
    the file complete."""
    return ["gst-launch-1.0", "-q", "-e", "rtspsrc", f"location={url}", f"protocols={protocols}", "latency=300", "!",
            "rtpopusdepay", "!", "opusdec", "!", "audioconvert", "!", "audioresample", "!",
            f"audio/x-raw,format=F32LE,rate={RATE},channels=1", "!", "filesink", "buffer-mode=unbuffered",
            f"location={path}"]


def crossing_jumps(samples):
    """Upward zero crossings whose distance from the previous one is off the sine's period by more
    than 3 samples: each is a gap or a repeat in the stream."""
    period = RATE / FREQ
    crossings = [i for i in range(1, len(samples)) if samples[i - 1] < 0 <= samples[i]]
    return [(b, b - a) for a, b in zip(crossings, crossings[1:]) if abs((b - a) - period) > 3]


def rtsp_request(port, method, path, headers=()):
    """One RTSP request on a raw socket: the status code of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        lines = [f"{method} rtsp://127.0.0.1:{port}{path} RTSP/1.0", "CSeq: 1", *headers, "", ""]
        s.sendall("\r\n".join(lines).encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1])


class RtspTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rtsp_port = free_port()
        cls.station = Station({"tone": sine_mount(),
                               "private": sine_mount(f'[rtsp]\npassword = "{PASSWORD}"\n'),
                               "gone": sine_mount()},
                              config=f'[rtsp]\nlisten = "127.0.0.1:{cls.rtsp_port}"\n')
        for m in ("tone", "private", "gone"):
            cls.station.wait_mount(m)
        cls.station.server.wait_for_log(r"\brtsp_serving url=rtsp://127\.0\.0\.1:%d/" % cls.rtsp_port)

    @classmethod
    def tearDownClass(cls):
        cls.station.__exit__(None, None, None)

    def url(self, mount):
        return f"rtsp://127.0.0.1:{self.rtsp_port}/live/{mount}"

    def rtsp_status(self, mount):
        return (self.station.mount_status(mount) or {}).get("rtsp")

    def media_losses(self):
        """The tone mount's media counters of lost audio (dropped_frames) and re-anchored
        timestamps (resyncs), summed over its media so far."""
        st = self.rtsp_status("tone")
        return {k: st[k] for k in ("dropped_frames", "resyncs")}

    def check_tone(self, samples, seconds, what, before):
        """`seconds` of the sine: its level, its frequency, no gap; the first and last 100 ms (the
        decoder's start, the cut) left out. `before`: media_losses() when the client started; the
        server must have lost no audio since (a gap it reports names its cause)."""
        after = self.media_losses()
        losses = {k: after[k] - before[k] for k in after}
        what = f"{what} (server: {losses})"
        self.assertEqual(losses["dropped_frames"], 0, f"{what}: the media lost audio")
        body = samples[RATE // 10:len(samples) - RATE // 10]
        self.assertAlmostEqual(rms_db(body), SINE_DB, delta=0.5, msg=f"{what}: level")
        self.assertAlmostEqual(tone_frequency(body, RATE), FREQ, delta=0.5, msg=f"{what}: frequency")
        jumps = crossing_jumps(body)
        self.assertEqual(jumps, [], f"{what}: gaps (position, spacing) in the sine")
        # The same in 20 ms windows: no dropout shows as a quieter window.
        n = RATE // 50
        quiet = [i for i in range(0, len(body) - n, n) if rms_db(body[i:i + n]) < SINE_DB - 1.0]
        self.assertEqual(quiet, [], f"{what}: 20 ms windows more than 1 dB below the sine")
        self.assertAlmostEqual(len(samples) / RATE, seconds, delta=0.6, msg=f"{what}: decoded length")

    def decode_ffmpeg(self, transport):
        before = self.media_losses()
        start = time.monotonic()
        r = subprocess.run(ffmpeg_args(self.url("tone"), transport, 10), capture_output=True, timeout=40)
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        # A live stream arrives in real time: 10 s of it take 10 s to come.
        self.assertGreaterEqual(elapsed, 9.5)
        self.check_tone(samples_of(r.stdout), 10, f"ffmpeg over {transport}", before)

    def test_ffmpeg_decodes_10_s_over_tcp(self):
        self.decode_ffmpeg("tcp")

    def test_ffmpeg_decodes_10_s_over_udp(self):
        self.decode_ffmpeg("udp")

    def decode_gst(self, protocols):
        before = self.media_losses()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "out.f32")
            proc = subprocess.Popen(gst_pipeline(self.url("tone"), protocols, path), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            try:
                # From the first decoded byte, 10 s of wall time, then an EOS (SIGINT with -e).
                wait_until("rtspsrc's first audio", lambda: os.path.exists(path) and os.path.getsize(path) > 0, 15)
                first = time.monotonic()
                time.sleep(10)  # the duration under test, not a wait for a condition
                proc.send_signal(signal.SIGINT)
                proc.wait(15)
                ran = time.monotonic() - first
                err = proc.stderr.read().decode(errors="replace")
            finally:
                stop_process(proc)
            self.assertEqual(proc.returncode, 0, err)
            with open(path, "rb") as f:
                samples = samples_of(f.read())
        self.check_tone(samples, ran, f"rtspsrc over {protocols}", before)

    def test_rtspsrc_decodes_10_s_over_tcp(self):
        self.decode_gst("tcp")

    def test_rtspsrc_decodes_10_s_over_udp(self):
        self.decode_gst("udp")

    def test_two_clients_share_one_media(self):
        procs = [subprocess.Popen(ffmpeg_args(self.url("tone"), t, 6), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for t in ("tcp", "udp")]
        try:
            st = wait_until("two RTSP clients on tone",
                            lambda: (lambda r: r if r and r["clients"] == 2 else None)(self.rtsp_status("tone")), 10)
            self.assertEqual(st["medias"], 1, st)
            self.assertEqual(st["url"], self.url("tone"))
            metrics = self.station.server.request("GET", "/metrics")[2].decode()
            self.assertIn('timeside_rtsp_clients{mount="tone"} 2', metrics)
            self.assertIn('timeside_rtsp_medias{mount="tone"} 1', metrics)
            outs = [p.communicate(timeout=30) for p in procs]
        finally:
            for p in procs:
                stop_process(p)
        for (out, err), p in zip(outs, procs):
            self.assertEqual(p.returncode, 0, err.decode(errors="replace"))
            samples = samples_of(out)
            self.assertAlmostEqual(len(samples) / RATE, 6, delta=0.6)
            self.assertAlmostEqual(rms_db(samples[RATE // 10:]), SINE_DB, delta=0.5)
        # Both gone (TEARDOWN): the media goes with its last client, its encode with it.
        st = wait_until("the media gone with its last client",
                        lambda: (lambda r: r if r and r["clients"] == 0 and r["medias"] == 0 else None)(
                            self.rtsp_status("tone")), 15)
        self.assertGreaterEqual(st["media_starts"], 1)

    def test_unknown_path_is_404(self):
        self.assertEqual(rtsp_request(self.rtsp_port, "DESCRIBE", "/live/nope"), 404)
        self.assertEqual(rtsp_request(self.rtsp_port, "DESCRIBE", "/live/tone"), 200)

    def test_password_mount_refuses_without_credentials(self):
        self.assertEqual(rtsp_request(self.rtsp_port, "DESCRIBE", "/live/private"), 401)
        wrong = base64.b64encode(b"listener:wrong").decode()
        self.assertEqual(rtsp_request(self.rtsp_port, "DESCRIBE", "/live/private", [f"Authorization: Basic {wrong}"]),
                         401)
        right = base64.b64encode(f"listener:{PASSWORD}".encode()).decode()
        self.assertEqual(rtsp_request(self.rtsp_port, "DESCRIBE", "/live/private", [f"Authorization: Basic {right}"]), 200)
        self.assertEqual(self.rtsp_status("private")["auth"], "basic")
        url = f"rtsp://listener:{PASSWORD}@127.0.0.1:{self.rtsp_port}/live/private"
        r = subprocess.run(ffmpeg_args(url, "tcp", 3), capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertAlmostEqual(rms_db(samples_of(r.stdout)[RATE // 10:]), SINE_DB, delta=0.5)
        r = subprocess.run(ffmpeg_args(self.url("private"), "tcp", 3), capture_output=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("401", r.stderr.decode(errors="replace"))

    def test_removed_mount_loses_its_path_and_clients(self):
        proc = subprocess.Popen(ffmpeg_args(self.url("gone"), "tcp"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_until("a client on gone", lambda: (self.rtsp_status("gone") or {}).get("clients") == 1, 10)
            self.station.remove("gone")
            self.station.server.proc.send_signal(signal.SIGHUP)
            proc.communicate(timeout=5)  # the client ends (EOS or closed) within 5 s
        finally:
            stop_process(proc)
        self.assertEqual(rtsp_request(self.rtsp_port, "DESCRIBE", "/live/gone"), 404)
        self.assertIsNone(self.station.mount_status("gone"))


class RtspShutdownTest(unittest.TestCase):
    def test_server_stops_cleanly_with_clients_connected(self):
        port = free_port()
        with Station({"tone": sine_mount()}, config=f'[rtsp]\nlisten = "127.0.0.1:{port}"\n') as station:
            station.wait_mount("tone")
            url = f"rtsp://127.0.0.1:{port}/live/tone"
            procs = [subprocess.Popen(ffmpeg_args(url, t), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for t in ("tcp", "udp")]
            try:
                wait_until("two RTSP clients",
                           lambda: ((station.mount_status("tone") or {}).get("rtsp") or {}).get("clients") == 2, 10)
                station.server.stop()  # SIGTERM: exit status 0 within 5 s
                self.assertEqual(station.server.proc.returncode, 0)
                self.assertIn("rtsp_mount_added", station.server.log())
            finally:
                for p in procs:
                    stop_process(p)

    def test_busy_configured_address_stops_the_server(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            from server_support import run_serve
            with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as cfg:
                cfg.write(f'[rtsp]\nlisten = "127.0.0.1:{port}"\n')
            try:
                r = run_serve("--listen", f"127.0.0.1:{free_port()}", "--config", cfg.name)
            finally:
                os.unlink(cfg.name)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"RTSP: cannot listen on 127.0.0.1:{port} ([rtsp] listen)", r.stderr)


if __name__ == "__main__":
    unittest.main()
