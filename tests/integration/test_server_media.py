"""On-demand transcodes, /media/{id}.{ext}: what curl, ffmpeg and GStreamer's souphttpsrc receive
decodes to the source (bit-exact for WAV and FLAC, the same level for the lossy codecs), with the
codec's Content-Type, chunked; segments, presets and encoder parameters; bad requests as JSON;
a client that leaves, two clients sharing one encode, the transcode cap, CORS, and SIGTERM during
transcodes. Without the disk cache (test_server_cache.py tests it)."""
import array
import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import unittest

from live_support import wait_until
from server_support import ServedMedia, Server, parse_response
from support import TempDir, ffmpeg_pcm, ffprobe, levels_of, run, sample

CONTENT_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "opus": "audio/ogg", "mp3": "audio/mpeg"}
CODECS = {"wav": "pcm_s16le", "flac": "flac", "ogg": "vorbis", "opus": "opus", "mp3": "mp3"}
LONG_SECONDS, MEDIUM_SECONDS, RATE = 600, 180, 22050


def make_media(root):
    """sweep.wav and sweep.flac from the samples, and two long mono sines made by sox."""
    for name in ("sweep.wav", "sweep.flac", "C4_scale.wav"):
        shutil.copy(sample(name), os.path.join(root, name))
    for name, seconds in (("long.wav", LONG_SECONDS), ("medium.wav", MEDIUM_SECONDS)):
        subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", os.path.join(root, name),
                        "synth", str(seconds), "sine", "440", "vol", "0.5"], check=True)


def pcm16(path):
    """The samples of a 16-bit WAV as read by ffmpeg, scaled to [-1, 1)."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-"], capture_output=True,
                         check=True).stdout
    a = array.array("h")
    a.frombytes(raw)
    return a


class MediaTest(ServedMedia):
    # No disk cache here: every request is a fresh encode, streamed (test_server_cache.py has it).
    CONFIG = "[media]\nmax_transcodes = 4\n[cache]\nmax_size = 0\n"
    make_media = staticmethod(make_media)

    def fetch(self, path, name):
        """GET through http.client (which undoes the chunking) into a file; returns (response, path)."""
        conn = self.server.connection(timeout=60)
        try:
            conn.request("GET", path)
            res = conn.getresponse()
            out = os.path.join(self.root, name)
            with open(out, "wb") as f:
                f.write(res.read())
            return res, out
        finally:
            conn.close()

    def wait_active(self, count, timeout=3.0):
        wait_transcodes_active(self.server, count, timeout)

    def test_every_format_decodes_to_the_source_with_its_content_type(self):
        # C4_scale: tones well inside every codec's band, so the lossy ones keep its level.
        ref, _ = ffmpeg_pcm(sample("C4_scale.wav"))
        ref_peak, ref_rms = levels_of(ref)
        for ext in ("wav", "flac", "ogg", "opus", "mp3"):
            with self.subTest(ext):
                res, path = self.fetch(f"/media/C4_scale.{ext}", f"C4_scale.{ext}")
                self.assertEqual(res.status, 200)
                self.assertEqual(res.getheader("Content-Type"), CONTENT_TYPES[ext])
                self.assertEqual(res.getheader("Transfer-Encoding"), "chunked")
                self.assertEqual(res.getheader("Access-Control-Allow-Origin"), "*")
                stream = ffprobe(path)["streams"][0]
                self.assertEqual(stream["codec_name"], CODECS[ext])
                self.assertEqual(int(stream["channels"]), 1)
                pcm, ch = ffmpeg_pcm(path, ["-ar", "44100"])
                self.assertAlmostEqual(len(pcm) / ch / 44100, 9.4, delta=0.06)
                if ext in ("wav", "flac"):
                    self.assertEqual(pcm16(path), pcm16(sample("C4_scale.wav")))
                else:
                    peak, rms = levels_of(pcm)
                    self.assertAlmostEqual(rms, ref_rms, delta=0.5)
                    self.assertAlmostEqual(peak, ref_peak, delta=1.0)

    def test_ffmpeg_and_gstreamer_decode_the_url(self):
        url = self.url("/media/sweep.ogg")
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", url, "-f", "f32le", "-"], capture_output=True,
                             timeout=60).stdout
        self.assertAlmostEqual(len(raw) / 4 / 2 / 44100, 8.0, delta=0.01)
        with TempDir() as d:
            out = os.path.join(d, "gst.raw")
            r = subprocess.run(["gst-launch-1.0", "-q", "souphttpsrc", f"location={self.url('/media/sweep.opus')}",
                                "!", "decodebin", "!", "audioconvert", "!", "audio/x-raw,format=F32LE,channels=2",
                                "!", "filesink", f"location={out}"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertAlmostEqual(os.path.getsize(out) / 4 / 2 / 48000, 8.0, delta=0.03)

    def test_curl_sees_a_chunked_transfer_from_the_first_bytes(self):
        out = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", "-w", "%{time_starttransfer} %{size_download}",
                              self.url("/media/C4_scale.flac")], capture_output=True, text=True, timeout=30).stdout
        self.assertRegex(out, r"(?im)^transfer-encoding: chunked")
        self.assertNotRegex(out, r"(?im)^content-length:")
        ttfb, size = out.strip().rsplit("\n", 1)[-1].split()
        self.assertGreater(int(size), 10000)
        self.assertLess(float(ttfb), 0.5)

    def test_http_1_0_clients_get_the_body_up_to_the_close(self):
        raw = self.server.raw(b"GET /media/C4_scale.wav HTTP/1.0\r\n\r\n", read_timeout=30)
        status, headers, body = parse_response(raw)
        self.assertEqual(status, 200)
        self.assertNotIn("transfer-encoding", headers)
        self.assertEqual(headers["connection"], "close")
        path = os.path.join(self.root, "http10.wav")
        with open(path, "wb") as f:
            f.write(body)
        self.assertEqual(pcm16(path), pcm16(sample("C4_scale.wav")))

    def test_a_segment_is_cut_to_the_frame(self):
        _, path = self.fetch("/media/sweep.wav?start=2&duration=1.5", "segment.wav")
        whole = pcm16(sample("sweep.wav"))
        self.assertEqual(pcm16(path), whole[2 * 44100 * 2:int(3.5 * 44100) * 2])

    def test_presets_and_parameters_encode_as_timeside_run_does(self):
        # The same preset (and a parameter over it) through `timeside run`: the same decoded audio
        # (the bytes differ only by the Ogg stream's random serial number).
        for query, spec, ext in (("preset=opus-64k", "opus-64k", "opus"),
                                 ("preset=opus-64k&bitrate=128", "opus-64k:bitrate=128", "opus"),
                                 ("preset=vorbis-q5", "vorbis-q5", "ogg"),
                                 ("quality=0.9", "vorbis_encoder:quality=0.9", "ogg")):
            with self.subTest(query), TempDir() as out:
                res, path = self.fetch(f"/media/C4_scale.{ext}?{query}", f"preset.{ext}")
                self.assertEqual(res.status, 200)
                r = run("run", sample("C4_scale.wav"), spec, "-o", out)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(ffmpeg_pcm(path)[0], ffmpeg_pcm(os.path.join(out, f"C4_scale.{ext}"))[0])
        res, path = self.fetch("/media/sweep.wav?preset=wav-16&format=s24", "24.wav")
        self.assertEqual(res.status, 200)
        self.assertEqual(ffprobe(path)["streams"][0]["codec_name"], "pcm_s24le")

    def test_head_answers_without_transcoding(self):
        self.wait_active(0)  # the jobs of the tests before have given their slots back
        status, headers, body = self.server.request("HEAD", "/media/long.mp3")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers["content-type"], "audio/mpeg")
        self.assertEqual(self.server.get("/api/status")[2]["transcodes"]["active"], 0)

    def test_bad_requests_are_json_naming_the_parameter(self):
        self.wait_active(0)  # the jobs of the tests before have given their slots back
        cases = {"/media/sweep.ogg?quality=70": (400, "quality"),
                 "/media/sweep.ogg?preset=nope": (400, "preset"),
                 "/media/sweep.ogg?preset=opus-96k": (400, "preset"),
                 "/media/sweep.ogg?start=-1": (400, "start"),
                 "/media/sweep.ogg?start=abc": (400, "start"),
                 "/media/sweep.ogg?start=9": (400, "start"),
                 "/media/sweep.ogg?duration=x": (400, "duration"),
                 "/media/sweep.ogg?colour=red": (400, "colour"),
                 "/media/nope.ogg": (404, "nope"),
                 "/media/sweep.aac": (404, ".aac"),
                 "/media/sweep": (404, "/media/sweep"),
                 "/media/../../etc/passwd.ogg": (400, ".."),
                 "/media/..%2f..%2fetc%2fpasswd.ogg": (400, "encoded")}
        for target, (code, word) in cases.items():
            with self.subTest(target):
                status, headers, body = self.server.request("GET", target)
                self.assertEqual(status, code, body)
                doc = json.loads(body)
                self.assertEqual(doc["status"], code)
                self.assertIn(word, doc["error"])
        self.assertEqual(self.server.get("/api/status")[2]["transcodes"]["active"], 0)

    def test_cors_preflight(self):
        status, headers, _ = self.server.request("OPTIONS", "/media/sweep.ogg",
                                                 {"Origin": "http://example.org", "Access-Control-Request-Method": "GET",
                                                  "Access-Control-Request-Headers": "range"})
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], "*")
        self.assertIn("GET", headers["access-control-allow-methods"])
        self.assertIn("Range", headers["access-control-allow-headers"])

    def test_parallel_clients_each_get_a_whole_encode(self):
        results = {}

        def get(ext):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
            conn.request("GET", f"/media/C4_scale.{ext}")
            res = conn.getresponse()
            results[ext] = (res.status, res.read())
            conn.close()

        threads = [threading.Thread(target=get, args=(ext,)) for ext in ("wav", "flac", "ogg", "mp3")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for ext, (status, body) in results.items():
            with self.subTest(ext):
                self.assertEqual(status, 200)
                path = os.path.join(self.root, f"parallel.{ext}")
                with open(path, "wb") as f:
                    f.write(body)
                pcm, ch = ffmpeg_pcm(path)
                self.assertAlmostEqual(len(pcm) / ch / 44100, 9.4, delta=0.06)
        self.assertEqual(len(results), 4)

    def test_a_client_that_leaves_stops_its_encode(self):
        # Opus out of a 10-minute source takes seconds; nobody else wants it (no cache).
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET /media/long.opus?bitrate=48 HTTP/1.1\r\nHost: x\r\n\r\n")
            got = s.recv(65536)
            self.assertIn(b"200 OK", got)
            self.wait_active(1)
        # Closed: the encode stops long before its natural end.
        self.wait_active(0, timeout=2.0)
        self.server.wait_for_log(r'target="/media/long\.opus\?bitrate=48" status=200 .* outcome=client_gone')
        self.server.wait_for_log(r"transcode output=long\.opus outcome=cancelled")

    def test_two_clients_of_one_uncached_encoding_share_one_encode(self):
        bodies = []
        before = self.server.log().count("transcode output=medium.opus ")

        def get():
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
            conn.request("GET", "/media/medium.opus?bitrate=40")
            res = conn.getresponse()
            bodies.append((res.status, res.getheader("Transfer-Encoding"), res.read()))
            conn.close()

        first = threading.Thread(target=get)
        first.start()
        self.wait_active(1)
        second = threading.Thread(target=get)  # joins while the first is being encoded
        second.start()
        first.join(60)
        second.join(60)
        self.assertEqual(len(bodies), 2)
        self.assertEqual([b[:2] for b in bodies], [(200, "chunked")] * 2)
        self.assertEqual(bodies[0][2], bodies[1][2])  # the same bytes: one encode (a second would differ in serial)
        self.server.wait_for_log(r"transcode output=medium\.opus outcome=done")
        self.assertEqual(self.server.log().count("transcode output=medium.opus ") - before, 1)
        path = os.path.join(self.root, "shared.opus")
        with open(path, "wb") as f:
            f.write(bodies[0][2])
        pcm, ch = ffmpeg_pcm(path, ["-ar", str(RATE)])
        self.assertAlmostEqual(len(pcm) / ch / RATE, MEDIUM_SECONDS, delta=0.05)

    def test_transcodes_beyond_the_cap_get_429(self):
        held = []
        try:
            # Four different encodings (four bitrates): four jobs, the cap.
            for rate in (32, 40, 48, 56):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                s.sendall(f"GET /media/long.opus?bitrate={rate} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                self.assertIn(b"200 OK", s.recv(4096))
                held.append(s)
            status, headers, body = self.server.request("GET", "/media/sweep.ogg")
            self.assertEqual(status, 429)
            self.assertEqual(headers["retry-after"], "1")
            self.assertIn("max_transcodes = 4", json.loads(body)["error"])
        finally:
            for s in held:
                s.close()
        self.wait_active(0)
        self.assertEqual(self.server.request("GET", "/media/sweep.ogg")[0], 200)


def wait_transcodes_active(server, count, timeout=3.0):
    """Until `count` transcodes are active (a job gives its slot back just after its reply,
    finished or failed); AssertionError after `timeout`."""
    wait_until(f"{count} transcodes active", lambda: server.get("/api/status")[2]["transcodes"]["active"] == count,
               timeout)


class BrokenSourceTest(unittest.TestCase):
    def test_a_source_broken_since_the_scan_is_a_500_naming_it_without_the_servers_path(self):
        with TempDir() as media:
            path = os.path.join(media, "x.wav")
            shutil.copy(sample("sweep.wav"), path)
            server = Server(media=(media,), config="[media]\nrescan_interval = 3600\n")
            try:
                server.wait_scanned()
                with open(path, "wb") as f:
                    f.write(os.urandom(100))
                for target in ("/media/x.ogg", "/api/items/x/results?processors=level",
                               "/api/items/x/graphs/waveform_simple.png"):
                    with self.subTest(target):
                        status, _, body = server.request("GET", target)
                        self.assertEqual(status, 500)
                        error = json.loads(body)["error"]
                        self.assertIn("x.wav", error)
                        self.assertNotIn(media, error)
                wait_transcodes_active(server, 0)  # a failed transcode gives its slot back
            finally:
                server.stop_and_cleanup()


class MediaDrainTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.media = self.tmp.__enter__()
        make_media(self.media)

    def tearDown(self):
        self.tmp.__exit__(None, None, None)

    def test_sigterm_lets_a_transcode_finish_and_cuts_one_that_cannot(self):
        server = Server(media=(self.media,), config="[server]\ndrain_timeout = 3\n[cache]\nmax_size = 0\n")
        try:
            server.wait_scanned()
            # A client that will read everything once SIGTERM has been sent, and one that never reads.
            finishing = server.connection(timeout=30)
            finishing.request("GET", "/media/medium.wav")
            res = finishing.getresponse()
            first = res.read(4096)
            stuck = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            stuck.sendall(b"GET /media/long.wav HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"200 OK", stuck.recv(4096))
            body = {}
            reader = threading.Thread(target=lambda: body.setdefault("rest", res.read()))
            stopper = threading.Thread(target=lambda: body.setdefault("took", server.stop()))
            stopper.start()
            server.wait_for_log(r"action=drain")  # the drain has begun: only then read on
            reader.start()
            reader.join(10)
            stopper.join(10)
            self.assertLess(body["took"], 5.0)
            whole = first + body["rest"]
            self.assertEqual(len(whole), 44 + MEDIUM_SECONDS * RATE * 2)
            # The stuck one was closed at the drain deadline, before its end.
            stuck.settimeout(5)
            total = 0
            try:
                while True:
                    data = stuck.recv(1 << 20)
                    if not data:
                        break
                    total += len(data)
            except ConnectionResetError:
                pass
            self.assertLess(total, 44 + LONG_SECONDS * RATE * 2)
            log = server.log()
            # Finished after the signal: it was in flight when the drain began.
            self.assertRegex(log, r"action=drain[^\n]*\n(.*\n)*.*target=/media/medium\.wav status=200 bytes=\d+ ")
            self.assertNotRegex(log, r"target=/media/medium\.wav status=200 .* outcome=")
            self.assertIn("drain_timeout closing=1", log)
            stuck.close()
            finishing.close()
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
