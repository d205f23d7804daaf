"""The disk cache behind /media/{id}.{ext}: a finished encoding is served again from disk with
Content-Length, a strong ETag and byte ranges (206, 416, 304, If-Range) — checked with curl, and
with ffmpeg seeking into the URL; the cached file is the finished one (FLAC's MD5 and MP3's
Xing/LAME frame patched in, checked against the decoded PCM); a client that leaves does not stop
an encode the cache wants; entries survive a restart, half-written files never appear under a
final name (a killed server leaves none), and the size cap evicts the least recently used."""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

from server_support import Server, ServedMedia
from server_support import curl as curl_url
from support import TempDir, ffmpeg_pcm, sample

LONG_SECONDS, RATE = 300, 22050


def make_media(root):
    for name in ("sweep.wav", "C4_scale.wav"):
        shutil.copy(sample(name), os.path.join(root, name))
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", os.path.join(root, "long.wav"),
                    "synth", str(LONG_SECONDS), "sine", "440", "vol", "0.5"], check=True)


def curl(*args):
    """curl with the URL last, as on the command line."""
    return curl_url(args[-1], *args[:-1])


def entries(cache_dir):
    """Final cache entries (name -> size) and temporary files under the cache folder."""
    final, temp = {}, []
    if not os.path.isdir(cache_dir):
        return final, temp
    for name in os.listdir(cache_dir):
        path = os.path.join(cache_dir, name)
        if name.startswith(".tmp-"):
            temp.append(name)
        elif os.path.isdir(path):
            for f in os.listdir(path):
                final[f] = os.path.getsize(os.path.join(path, f))
    return final, temp


class CacheTest(ServedMedia):
    make_media = staticmethod(make_media)

    def cached(self, path, timeout=30):
        """Requests `path` until the answer comes from the cache (a Content-Length); returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, headers, body = curl(self.url(path))
            if "content-length" in headers:
                return status, headers, body
            time.sleep(0.05)
        self.fail(f"{path} never came from the cache")

    def test_the_second_request_comes_from_the_cache_with_length_etag_and_ranges(self):
        status, headers, first = curl(self.url("/media/sweep.ogg"))
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("transfer-encoding"), "chunked")
        self.assertNotIn("etag", headers)
        status, headers, again = self.cached("/media/sweep.ogg")
        self.assertEqual(status, 200)
        self.assertEqual(int(headers["content-length"]), len(again))
        self.assertEqual(headers["accept-ranges"], "bytes")
        self.assertEqual(headers["content-type"], "audio/ogg")
        self.assertRegex(headers["etag"], r'^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$')
        self.assertEqual(again, first)  # the bytes the first client got, kept
        etag = headers["etag"]
        # A slice: 206, exactly those bytes.
        status, h, part = curl("-r", "1000-1999", self.url("/media/sweep.ogg"))
        self.assertEqual(status, 206)
        self.assertEqual(h["content-range"], f"bytes 1000-1999/{len(first)}")
        self.assertEqual(part, first[1000:2000])
        status, h, tail = curl("-H", "Range: bytes=-100", self.url("/media/sweep.ogg"))
        self.assertEqual((status, tail), (206, first[-100:]))
        # Past the end: 416 naming the size.
        status, h, body = curl("-H", f"Range: bytes={len(first)}-", self.url("/media/sweep.ogg"))
        self.assertEqual(status, 416)
        self.assertEqual(h["content-range"], f"bytes */{len(first)}")
        self.assertEqual(json.loads(body)["status"], 416)
        # Revalidation: 304 with the same tag, no body; another tag gets the file.
        status, h, body = curl("-H", f"If-None-Match: {etag}", self.url("/media/sweep.ogg"))
        self.assertEqual((status, h["etag"], body), (304, etag, b""))
        self.assertEqual(curl("-H", 'If-None-Match: "other"', self.url("/media/sweep.ogg"))[0], 200)
        # If-Range with a stale tag: the whole file rather than a slice of something else.
        status, _, body = curl("-r", "0-9", "-H", 'If-Range: "stale"', self.url("/media/sweep.ogg"))
        self.assertEqual((status, body), (200, first))
        # HEAD: the same headers, no body, nothing encoded.
        status, h, body = curl("-I", "-o", "/dev/null", self.url("/media/sweep.ogg"))
        self.assertEqual((status, h["content-length"], h["etag"], body), (200, str(len(first)), etag, b""))

    def test_ffmpeg_seeks_into_a_cached_file_with_ranges(self):
        self.cached("/media/long.flac")
        before = self.server.log().count("status=206")
        # -ss before -i: ffmpeg seeks in the input, which over HTTP is a Range request.
        raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", "200", "-i", self.url("/media/long.flac"),
                              "-f", "s16le", "-"], capture_output=True, timeout=60).stdout
        self.assertAlmostEqual(len(raw) / 2 / RATE, LONG_SECONDS - 200, delta=0.1)
        self.assertGreater(self.server.log().count("status=206"), before)

    def test_the_cache_holds_finished_files_flac_md5_and_mp3_xing(self):
        status, _, streamed = curl(self.url("/media/C4_scale.flac"))
        self.assertEqual(status, 200)
        _, _, flac = self.cached("/media/C4_scale.flac")
        # STREAMINFO (the first metadata block): its MD5 is that of the decoded samples (16-bit LE),
        # which libFLAC can write only once it has seen them all.
        self.assertEqual(flac[:4], b"fLaC")
        md5 = flac[8 + 18:8 + 34]
        pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", sample("C4_scale.wav"), "-f", "s16le", "-"],
                             capture_output=True, check=True).stdout
        self.assertEqual(md5.hex(), hashlib.md5(pcm).hexdigest())
        # MP3: the cached file carries the Info frame with the real frame count (and the encoder
        # delay and padding, so decoders trim it to the exact length); the first, streamed copy
        # could not have it.
        _, _, live = curl(self.url("/media/C4_scale.mp3"))
        _, _, mp3 = self.cached("/media/C4_scale.mp3")
        self.assertEqual(len(mp3), len(live))
        live_at = live.find(b"Info")  # the provisional tag frame: no counts in its flags yet
        self.assertGreater(live_at, 0)
        self.assertEqual(int.from_bytes(live[live_at + 4:live_at + 8], "big"), 0)
        at = mp3.find(b"Info")
        self.assertGreater(at, 0)
        flags = int.from_bytes(mp3[at + 4:at + 8], "big")
        self.assertTrue(flags & 1)
        frames = int.from_bytes(mp3[at + 8:at + 12], "big")
        self.assertAlmostEqual(frames * 1152 / 44100, 9.4, delta=0.1)
        decoded = {}
        for name, data in (("live", live), ("cached", mp3)):
            path = os.path.join(self.root, f"{name}.mp3")
            with open(path, "wb") as f:
                f.write(data)
            pcm, ch = ffmpeg_pcm(path)
            decoded[name] = len(pcm) / ch / 44100
        self.assertAlmostEqual(decoded["cached"], 9.4, delta=0.002)  # gapless: exactly the source
        self.assertGreater(decoded["live"], decoded["cached"] + 0.02)

    def test_a_client_that_leaves_does_not_stop_an_encode_the_cache_wants(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET /media/long.opus HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"200 OK", s.recv(4096))
        self.server.wait_for_log(r"transcode output=long\.opus outcome=done", timeout=60)
        status, headers, body = curl(self.url("/media/long.opus"))
        self.assertEqual(int(headers["content-length"]), len(body))
        path = os.path.join(self.root, "left.opus")
        with open(path, "wb") as f:
            f.write(body)
        pcm, ch = ffmpeg_pcm(path, ["-ar", str(RATE)])
        self.assertAlmostEqual(len(pcm) / ch / RATE, LONG_SECONDS, delta=0.05)

    def test_settings_are_part_of_the_key_and_defaults_share_it(self):
        _, _, default = self.cached("/media/sweep.mp3")
        # Naming the default explicitly is the same encoding: the cached one at once.
        status, headers, same = curl(self.url("/media/sweep.mp3?bitrate=128"))
        self.assertIn("content-length", headers)
        self.assertEqual(same, default)
        # Another bitrate is another entry.
        status, headers, _ = curl(self.url("/media/sweep.mp3?bitrate=64"))
        self.assertEqual(headers.get("transfer-encoding"), "chunked")


class CacheLifeTest(unittest.TestCase):
    """Restarts, kills and the size cap: each test its own server and cache folder."""

    def setUp(self):
        self.tmp = TempDir()
        self.root = self.tmp.__enter__()
        self.media = os.path.join(self.root, "media")
        os.makedirs(self.media)
        make_media(self.media)
        self.cache = os.path.join(self.root, "cache")

    def tearDown(self):
        self.tmp.__exit__(None, None, None)

    def serve(self, extra=""):
        server = Server(media=(self.media,), config=f'[cache]\ndir = "{self.cache}"\n{extra}')
        server.wait_scanned()
        return server

    def test_entries_survive_a_restart(self):
        server = self.serve()
        try:
            curl(f"http://127.0.0.1:{server.port}/media/sweep.flac")
            server.wait_for_log(r"transcode output=sweep\.flac outcome=done")
            body = curl(f"http://127.0.0.1:{server.port}/media/sweep.flac")[2]  # the cached copy
        finally:
            server.stop_and_cleanup()
        server = self.serve()
        try:
            status, headers, again = curl(f"http://127.0.0.1:{server.port}/media/sweep.flac")
            self.assertEqual(int(headers["content-length"]), len(body))
            self.assertEqual(again, body)
            self.assertNotIn("transcode output=sweep.flac", server.log())
        finally:
            server.stop_and_cleanup()

    def test_a_killed_encode_leaves_nothing_under_a_final_name(self):
        server = self.serve()
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            s.sendall(b"GET /media/long.opus HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"200 OK", s.recv(4096))
            final, temp = entries(self.cache)
            self.assertEqual(final, {})  # while it encodes: a temporary file only
            self.assertEqual(len(temp), 1)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            s.close()
        finally:
            server.cleanup()
        server = self.serve()  # the next start removes what the killed one left
        try:
            self.assertEqual(entries(self.cache), ({}, []))
            status, headers, _ = curl(f"http://127.0.0.1:{server.port}/media/long.opus")
            self.assertEqual((status, headers.get("transfer-encoding")), (200, "chunked"))
        finally:
            server.stop_and_cleanup()

    def test_the_size_cap_evicts_the_least_recently_used(self):
        # Each 60 s WAV segment of long.wav is 2.65 MB; the cap holds two of them.
        server = self.serve("max_size = 6000000\n")
        try:
            base = f"http://127.0.0.1:{server.port}/media/long.wav?duration=60&start="
            sizes = []
            for start in (0, 60, 120):
                body = curl(base + str(start))[2]
                sizes.append(len(body))
                self.assertEqual(len(body), 44 + 60 * RATE * 2)
                server.wait_for_log(rf'long\.wav\?duration=60&start={start}" status=200')
                if start == 60:
                    # Committed before its last byte went out (the log line): both are cached now.
                    self.assertEqual(len(entries(self.cache)[0]), 2)
                    self.assertIn("content-length", curl(base + "0")[1])  # 0 is now the most recent
            final, temp = entries(self.cache)
            self.assertEqual(len(final), 2)
            self.assertLessEqual(sum(final.values()), 6000000)
            self.assertIn("content-length", curl(base + "0")[1])            # kept: used recently
            self.assertEqual(curl(base + "60")[1].get("transfer-encoding"), "chunked")  # evicted
        finally:
            server.stop_and_cleanup()


if __name__ == "__main__":
    unittest.main()
