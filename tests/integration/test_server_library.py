"""The media library over HTTP: every sample listed with the id DESIGN.md gives it, and with the
rate and channels ffprobe reads, the length ffmpeg decodes and the sha1 Python computes; items in nested folders;
files appearing and disappearing without a restart; symlinks out of the folder never listed; the
processor catalog equal to `timeside list --json` and the presets to their TOML files."""
import glob
import json
import os
import shutil
import time
import tomllib
import unittest

from server_support import PRESETS, Server
from support import SAMPLE_FILES, TempDir, ffmpeg_pcm, ffprobe, run, sample, sha1_of

EXPECTED_IDS = {"sweep.wav": "sweep", "sweep.flac": "sweep-flac", "sweep.ogg": "sweep-ogg",
                "sweep.mp3": "sweep-mp3", "sweep_mono.wav": "sweep_mono", "sweep_32000.wav": "sweep_32000",
                "C4_scale.wav": "C4_scale", "sine440Hz_mono.wav": "sine440Hz_mono",
                "white_noise.wav": "white_noise"}


class LibraryListingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.server.wait_scanned()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_and_cleanup()

    def test_every_sample_is_listed_with_its_id(self):
        status, _, listing = self.server.get("/api/items")
        self.assertEqual(status, 200)
        by_file = {item["file"]: item for item in listing["items"]}
        self.assertEqual(set(by_file), set(SAMPLE_FILES))
        self.assertEqual(listing["count"], len(SAMPLE_FILES))
        for name in SAMPLE_FILES:
            self.assertEqual(by_file[name]["id"], EXPECTED_IDS[name])

    def test_items_carry_ffprobes_format_and_pythons_sha1(self):
        _, _, listing = self.server.get("/api/items")
        for item in listing["items"]:
            with self.subTest(item["file"]):
                path = sample(item["file"])
                stream = ffprobe(path)["streams"][0]
                self.assertEqual(item["samplerate"], int(stream["sample_rate"]))
                self.assertEqual(item["channels"], int(stream["channels"]))
                # The decoded length (ffmpeg honours the encoders' delay and padding; ffprobe's
                # container duration of the MP3 does not).
                pcm, channels = ffmpeg_pcm(path)
                self.assertAlmostEqual(item["duration"], len(pcm) / channels / int(stream["sample_rate"]), delta=0.002)
                self.assertEqual(item["sha1"], sha1_of(path))
                self.assertEqual(item["size"], os.path.getsize(path))
                self.assertTrue(item["mime"].startswith("audio/") or item["mime"].startswith("application/ogg"))

    def test_an_item_alone_equals_its_listing_entry_and_timeside_info(self):
        _, _, listing = self.server.get("/api/items")
        for item in listing["items"]:
            status, _, alone = self.server.get("/api/items/" + item["id"])
            self.assertEqual(status, 200)
            self.assertEqual(alone, item)
        info = json.loads(run("info", sample("sweep.mp3")).stdout)
        _, _, mp3 = self.server.get("/api/items/sweep-mp3")
        for key in ("duration", "samplerate", "channels", "mime", "sha1"):
            self.assertEqual(mp3[key], info[key], key)

    def test_processors_are_what_timeside_list_json_prints(self):
        status, headers, catalog = self.server.get("/api/processors")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        listed = json.loads(run("list", "--json", "--presets", PRESETS).stdout)
        self.assertEqual(catalog, [p for p in listed if p["kind"] != "preset"])
        ids = {p["id"] for p in catalog}
        self.assertTrue({"vorbis_encoder", "opus_encoder", "waveform_simple", "level"} <= ids)

    def test_presets_are_their_toml_files(self):
        status, _, presets = self.server.get("/api/presets")
        self.assertEqual(status, 200)
        files = sorted(glob.glob(os.path.join(PRESETS, "*.toml")))
        self.assertEqual([p["id"] for p in presets], [os.path.basename(f)[:-5] for f in files])
        for p, f in zip(presets, files):
            with open(f, "rb") as fh:
                doc = tomllib.load(fh)
            self.assertEqual(p["processor"], doc["processor"])
            self.assertEqual(p["description"], doc.get("description", ""))
            self.assertEqual(p["parameters"], doc.get("parameters", {}))

    def test_status_counts_the_items(self):
        _, _, status = self.server.get("/api/status")
        self.assertEqual(status["library"]["items"], len(SAMPLE_FILES))
        self.assertTrue(status["library"]["scanned"])
        self.assertGreater(status["uptime"], 0)


class LibraryFolderTest(unittest.TestCase):
    """A folder of our own, rescanned every 0.2 s."""

    def setUp(self):
        self.tmp = TempDir()
        self.root = self.tmp.__enter__()
        self.media = os.path.join(self.root, "media")
        self.outside = os.path.join(self.root, "outside")
        os.makedirs(os.path.join(self.media, "albums", "x"))
        os.makedirs(self.outside)
        shutil.copy(sample("sweep.flac"), os.path.join(self.media, "albums", "x", "track01.flac"))
        shutil.copy(sample("sweep_mono.wav"), os.path.join(self.media, "a.wav"))
        shutil.copy(sample("sweep.mp3"), os.path.join(self.media, "a.mp3"))
        shutil.copy(sample("C4_scale.wav"), os.path.join(self.outside, "secret.wav"))
        os.symlink(os.path.join(self.outside, "secret.wav"), os.path.join(self.media, "leak.wav"))
        os.symlink(self.outside, os.path.join(self.media, "linked"))
        os.symlink("a.wav", os.path.join(self.media, "alias.wav"))
        with open(os.path.join(self.media, "notes.txt"), "w") as f:
            f.write("not audio\n" * 50)
        self.server = Server(media=(self.media,), config="[media]\nrescan_interval = 0.2\n")
        self.server.wait_scanned()

    def tearDown(self):
        self.server.stop_and_cleanup()
        self.tmp.__exit__(None, None, None)

    def ids(self):
        return {item["id"]: item for item in self.server.get("/api/items")[2]["items"]}

    def wait_ids(self, predicate, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ids = self.ids()
            if predicate(ids):
                return ids
            time.sleep(0.05)
        self.fail(f"the library did not change as expected; it lists {sorted(self.ids())}")

    def test_nested_items_ids_and_refusals(self):
        ids = self.ids()
        self.assertEqual(set(ids), {"albums/x/track01", "a", "a-mp3", "alias"})
        self.assertEqual(ids["albums/x/track01"]["sha1"], sha1_of(sample("sweep.flac")))
        self.assertEqual(ids["alias"]["sha1"], sha1_of(sample("sweep_mono.wav")))
        status, _, nested = self.server.get("/api/items/albums/x/track01")
        self.assertEqual((status, nested["file"]), (200, "albums/x/track01.flac"))
        # Neither the symlink out nor the linked folder: 404, and no trace of the secret anywhere.
        for target in ("/api/items/leak", "/api/items/linked/secret"):
            self.assertEqual(self.server.request("GET", target)[0], 404)
        listing = self.server.request("GET", "/api/items")[2]
        self.assertNotIn(sha1_of(os.path.join(self.outside, "secret.wav")).encode(), listing)
        self.assertRegex(self.server.log(), r"warn library_refused file=\S*leak\.wav: resolves outside")
        self.assertRegex(self.server.log(), r"info library_skip file=notes\.txt")

    def test_new_changed_and_removed_files_without_a_restart(self):
        # Written under a hidden name, then renamed: the scan never sees half a file.
        os.makedirs(os.path.join(self.media, "new"))
        tmp = os.path.join(self.media, "new", ".incoming.wav")
        shutil.copy(sample("white_noise.wav"), tmp)
        os.rename(tmp, os.path.join(self.media, "new", "noise.wav"))
        ids = self.wait_ids(lambda ids: "new/noise" in ids)
        self.assertEqual(ids["new/noise"]["sha1"], sha1_of(sample("white_noise.wav")))
        # Once a.wav is gone, a.mp3 is the best (the only) source of "a" and takes the bare id.
        os.unlink(os.path.join(self.media, "alias.wav"))
        os.unlink(os.path.join(self.media, "a.wav"))
        ids = self.wait_ids(lambda ids: "alias" not in ids and "a-mp3" not in ids)
        self.assertEqual(ids["a"]["file"], "a.mp3")
        # A file rewritten in place is probed again.
        shutil.copy(sample("sweep_32000.wav"), os.path.join(self.media, "new", "noise.wav"))
        ids = self.wait_ids(lambda ids: ids.get("new/noise", {}).get("samplerate") == 32000)
        self.assertEqual(ids["new/noise"]["sha1"], sha1_of(sample("sweep_32000.wav")))


if __name__ == "__main__":
    unittest.main()
