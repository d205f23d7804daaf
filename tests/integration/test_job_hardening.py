"""Jobs that must not lie or fall over (issue 10, defects 5, 6, 8, 9): what the parameter validator
accepts encodes (MP3 at 32-56 kbit/s, decoded by ffmpeg to the item's length) and what cannot work
is a 400 naming the parameter, never a 500; a source rewritten or truncated under its encode ends
the client's transfer as failed and leaves nothing in the cache; a cache folder deleted while the
server runs comes back by itself with /api/status counting what is on disk; a cache that cannot be
written serves uncached, and a 500 never names a path of the server."""
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import time
import unittest

from server_support import Server, ServedMedia
from server_support import curl, wait_cached
from support import TempDir, ffmpeg_pcm, sample

LONG_SECONDS, LONG_RATE = 300, 48000
OTHER_SECONDS = 25


def sox_sine(path, seconds, rate, freq):
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", "2", "-b", "16", path, "synth", str(seconds), "sine",
                    str(freq), "vol", "0.5"], check=True)


def cache_entries(cache_dir):
    """Final entries under the cache folder: name -> size."""
    found = {}
    if not os.path.isdir(cache_dir):
        return found
    for name in os.listdir(cache_dir):
        sub = os.path.join(cache_dir, name)
        if not name.startswith(".") and os.path.isdir(sub):
            for f in os.listdir(sub):
                found[f] = os.path.getsize(os.path.join(sub, f))
    return found


def decoded_seconds(data, suffix, tmp):
    path = os.path.join(tmp, "out" + suffix)
    with open(path, "wb") as f:
        f.write(data)
    pcm, channels = ffmpeg_pcm(path)  # float32 interleaved, at the item's 44.1 kHz
    return len(pcm) / channels / 44100


class ParametersThatPassWork(ServedMedia):
    @staticmethod
    def make_media(folder):
        shutil.copy(sample("sweep.wav"), os.path.join(folder, "sweep.wav"))
        shutil.copy(sample("sweep_mono.wav"), os.path.join(folder, "sweep_mono.wav"))

    def test_mp3_at_32_to_56_kbps_is_200_and_decodes_to_the_items_length(self):
        item = self.server.get("/api/items/sweep")[2]
        with TempDir() as tmp:
            for bitrate in (32, 40, 48, 56):
                path = f"/media/sweep.mp3?bitrate={bitrate}"
                status, headers, body = curl(self.url(path))
                self.assertEqual(status, 200, f"bitrate={bitrate}: {body[:300]!r}")
                self.assertEqual(headers.get("transfer-encoding"), "chunked")
                self.assertGreater(len(body), bitrate * 1000 / 8 * item["duration"] * 0.95)
                # The streamed copy has the provisional tag frame (no counts yet): the encoder's
                # delay and padding are heard, at most two frames.
                streamed = decoded_seconds(body, ".mp3", tmp)
                self.assertGreaterEqual(streamed, item["duration"], msg=f"bitrate={bitrate}")
                self.assertLessEqual(streamed, item["duration"] + 2 * 1152 / 44100, msg=f"bitrate={bitrate}")
                # The finished file (the cache's) has the LAME tag: ffmpeg trims exactly.
                final = wait_cached(self.url(path))
                self.assertEqual(len(final), len(body))
                self.assertAlmostEqual(decoded_seconds(final, ".mp3", tmp), item["duration"], delta=1 / 44100,
                                       msg=f"bitrate={bitrate}")

    def test_a_bitrate_mpeg_cannot_code_at_the_items_rate_is_a_400_naming_bitrate(self):
        for query in ("bitrate=8", "bitrate=16", "bitrate=24"):
            status, _, body = curl(self.url(f"/media/sweep.mp3?{query}"))
            self.assertEqual(status, 400, f"{query}: {body[:300]!r}")
            error = json.loads(body)["error"]
            self.assertIn("bitrate", error)
            self.assertIn("44100 Hz", error)

    def test_waveform_at_the_items_rate_in_pixels_per_second_is_never_a_500(self):
        for pps in (44100, 22050, 22051, 2147483647):
            status, _, body = curl(self.url(f"/api/items/sweep/waveform.json?pixels_per_second={pps}"))
            self.assertIn(status, (200, 400), f"pixels_per_second={pps}: {body[:300]!r}")
            if status == 400:
                self.assertIn("pixels_per_second", json.loads(body)["error"])
            else:
                self.assertGreaterEqual(json.loads(body)["samples_per_pixel"], 2)
        # The largest that works is 200, with the scale asked for.
        status, _, body = curl(self.url("/api/items/sweep/waveform.json?pixels_per_second=22050"))
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["samples_per_pixel"], 2)


class SourceChangedUnderItsJob(unittest.TestCase):
    """A 300 s WAV encoded to FLAC, rewritten (or truncated) in place while it encodes."""

    def setUp(self):
        self.tmp = TempDir()
        self.root = self.tmp.__enter__()
        self.media = os.path.join(self.root, "media")
        os.makedirs(self.media)
        self.item = os.path.join(self.media, "long.wav")
        sox_sine(self.item, LONG_SECONDS, LONG_RATE, 440)
        self.other = os.path.join(self.root, "other.wav")
        sox_sine(self.other, OTHER_SECONDS, LONG_RATE, 880)
        self.server = Server(media=(self.media,), config="[media]\nrescan_interval = 0.2\n")
        self.server.wait_scanned()

    def tearDown(self):
        self.server.stop_and_cleanup()
        self.tmp.__exit__(None, None, None)

    def change_mid_encode(self, change):
        """Starts /media/long.flac, applies `change` once the client holds bytes, reads the rest:
        the transfer must end without its last chunk."""
        conn = self.server.connection(timeout=60)
        conn.request("GET", "/media/long.flac")
        res = conn.getresponse()
        self.assertEqual(res.status, 200)
        self.assertEqual(res.getheader("transfer-encoding"), "chunked")
        first = res.read1(65536)  # the condition: the client has received bytes of the encode
        self.assertGreater(len(first), 0)
        change()
        with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
            while res.read1(1 << 20):
                pass
            res.read()  # a complete chunked body ends here without raising
        conn.close()

    def wait_sha1(self, path, timeout=10):
        with open(path, "rb") as f:
            want = hashlib.sha1(f.read()).hexdigest()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, body = self.server.get("/api/items/long")
            if status == 200 and body["sha1"] == want:
                return
            time.sleep(0.05)
        self.fail("the library did not rescan the rewritten item")

    def test_a_source_rewritten_mid_encode_fails_the_transfer_and_is_not_cached(self):
        self.change_mid_encode(lambda: shutil.copyfile(self.other, self.item))  # cp: same inode
        self.server.wait_for_log(r"transcode output=long\.flac outcome=failed")
        self.assertRegex(self.server.log(), r"long\.wav.*changed")
        self.assertEqual(cache_entries(self.server.cache_dir), {})
        # Once the library has the new content, a new request serves it, and caches it.
        self.wait_sha1(self.item)
        status, headers, body = curl(f"http://127.0.0.1:{self.server.port}/media/long.flac")
        self.assertEqual(status, 200)
        with TempDir() as tmp:
            path = os.path.join(tmp, "new.flac")
            with open(path, "wb") as f:
                f.write(body)
            pcm, channels = ffmpeg_pcm(path, ("-ar", str(LONG_RATE)))
            self.assertAlmostEqual(len(pcm) / channels / LONG_RATE, OTHER_SECONDS, delta=0.01)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(cache_entries(self.server.cache_dir)) != 1:
            time.sleep(0.05)
        self.assertEqual(len(cache_entries(self.server.cache_dir)), 1)

    def test_a_source_truncated_mid_encode_fails_the_transfer_and_is_not_cached(self):
        def truncate():
            with open(self.item, "wb"):
                pass
        self.change_mid_encode(truncate)
        self.server.wait_for_log(r"transcode output=long\.flac outcome=failed")
        self.assertEqual(cache_entries(self.server.cache_dir), {})


class CacheFolderTroubles(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.root = self.tmp.__enter__()
        self.media = os.path.join(self.root, "media")
        os.makedirs(self.media)
        shutil.copy(sample("sweep.wav"), os.path.join(self.media, "sweep.wav"))

    def tearDown(self):
        self.server.stop_and_cleanup()
        self.tmp.__exit__(None, None, None)

    def start(self, extra_env=None):
        saved = dict(os.environ)
        os.environ.update(extra_env or {})
        try:
            self.server = Server(media=(self.media,))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.server.wait_scanned()

    def url(self, path):
        return f"http://127.0.0.1:{self.server.port}{path}"

    def assert_status_counts_what_is_on_disk(self):
        on_disk = cache_entries(self.server.cache_dir)
        cache = self.server.get("/api/status")[2]["cache"]
        self.assertEqual(cache["entries"], len(on_disk))
        self.assertEqual(cache["bytes"], sum(on_disk.values()))

    def test_a_cache_folder_deleted_while_running_comes_back_by_itself(self):
        self.start()
        wait_cached(self.url("/media/sweep.ogg"))
        self.assertEqual(len(cache_entries(self.server.cache_dir)), 1)
        shutil.rmtree(self.server.cache_dir)
        # The next uncached request is served, then cached; the counts are what the disk holds.
        status, headers, body = curl(self.url("/media/sweep.flac"))
        self.assertEqual(status, 200, body[:300])
        wait_cached(self.url("/media/sweep.flac"))
        self.assert_status_counts_what_is_on_disk()
        self.assertEqual(len(cache_entries(self.server.cache_dir)), 1)
        # The entry that went with the folder is produced again, not a 500.
        wait_cached(self.url("/media/sweep.ogg"))
        self.assert_status_counts_what_is_on_disk()

    def test_a_cache_that_cannot_be_written_serves_uncached(self):
        self.start()
        shutil.rmtree(self.server.cache_dir)
        with open(self.server.cache_dir, "w") as f:  # a file where the folder was: root cannot write there
            f.write("not a folder\n")
        for _ in range(2):
            status, headers, body = curl(self.url("/media/sweep.flac"))
            self.assertEqual(status, 200, body[:300])
            self.assertNotIn("content-length", headers)
            self.assertGreater(len(body), 100000)
        self.assertRegex(self.server.log(), r"cache.*" + re.escape(self.server.cache_dir))

    def test_a_500_names_no_path_of_the_server(self):
        hidden = os.path.join(self.root, "private-tmp")
        self.start({"TMPDIR": hidden})  # no such folder: the uncached fallback fails as well
        shutil.rmtree(self.server.cache_dir)
        with open(self.server.cache_dir, "w") as f:
            f.write("not a folder\n")
        for path in ("/media/sweep.flac", "/api/items/sweep/waveform.json", "/api/items/sweep/results?processors=level"):
            status, _, body = curl(self.url(path))
            self.assertEqual(status, 500, body[:300])
            error = json.loads(body)["error"]
            self.assertNotIn("/", error)
            self.assertNotIn("private-tmp", error)
            self.assertIn("cannot create", error)
        # The log keeps the detail.
        self.assertIn(hidden, self.server.log())


if __name__ == "__main__":
    unittest.main()
