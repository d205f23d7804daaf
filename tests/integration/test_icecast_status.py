"""Debian's icecast2 2.4.4 as the reference for /status-json.xsl: the test starts the real server on a
free loopback port with its own temporary config, pushes sources to it with the clients people use
(ezstream through libshout: MP3, Ogg Vorbis and Ogg Opus with their audio info; ffmpeg's icecast://
with no ice-* headers at all), sets a title through /admin/metadata, connects a listener, and reads
its status JSON with none, one and several mounts. It checks the shape (key order, "dummy": null,
source object vs array, date formats, types) and that the fixture our renderer's unit test compares
against (tests/unit/live/data/icecast2_status.json) is what this icecast2 writes, key by key.
TIMESIDE_WRITE_FIXTURE=1 rewrites the fixture from this run."""
import json
import os
import re
import shutil
import subprocess
import time
import unittest
import urllib.request

from icecast_peer import Icecast2
from support import ROOT, TempDir

FIXTURE = os.path.join(ROOT, "tests", "unit", "live", "data", "icecast2_status.json")
SOURCE_PASSWORD = "src-" + os.urandom(6).hex()
ADMIN_PASSWORD = "adm-" + os.urandom(6).hex()
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                    r"\d\d:\d\d:\d\d [+-]\d{4}$")
ISO8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")
# Values that differ from run to run: compared by format, not by value.
VARYING = {"server_start", "server_start_iso8601", "stream_start", "stream_start_iso8601", "listenurl"}

EZSTREAM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<ezstream>
  <servers><server><protocol>HTTP</protocol><hostname>127.0.0.1</hostname><port>{port}</port>
    <user>source</user><password>{password}</password></server></servers>
  <streams><stream><mountpoint>{mount}</mountpoint><format>{format}</format><public>0</public>
    <stream_name>{name}</stream_name><stream_url>http://example.org{mount}</stream_url>
    <stream_genre>{genre}</stream_genre><stream_description>{description}</stream_description>
    <stream_bitrate>{bitrate}</stream_bitrate><stream_samplerate>44100</stream_samplerate>
    <stream_channels>2</stream_channels></stream></streams>
  <intakes><intake><filename>{playlist}</filename><stream_once>0</stream_once></intake></intakes>
  <metadata><no_updates>1</no_updates></metadata>
</ezstream>
"""


def wait_for(condition, what, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@unittest.skipUnless(shutil.which("icecast2") and shutil.which("ezstream") and shutil.which("ffmpeg"),
                     "needs Debian's icecast2, ezstream and ffmpeg")
class IcecastStatusShapeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.procs = []
        cls.icecast = Icecast2(clients=20, sources=8, source_password=SOURCE_PASSWORD, admin_password=ADMIN_PASSWORD)
        cls.port = cls.icecast.port
        # Right after start icecast2 answers before its global stats exist, with broken JSON
        # ('{"icestats":"server_start":...'): wait until the document is whole.
        wait_for(lambda: '"admin"' in (cls.status_or_none() or ""), "icecast2 to answer with its global stats")

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            p.terminate()
        for p in reversed(cls.procs):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        cls.icecast.close()
        cls.tmp.__exit__(None, None, None)

    @classmethod
    def spawn(cls, args):
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.procs.append(p)
        return p

    @classmethod
    def status_or_none(cls):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{cls.port}/status-json.xsl", timeout=2) as r:
                return r.read().decode("utf-8")
        except OSError:
            return None

    def status(self):
        text = self.status_or_none()
        self.assertIsNotNone(text)
        try:
            return json.loads(text)
        except ValueError as e:
            raise AssertionError(f"not JSON: {text!r}") from e

    def sources(self, doc):
        s = doc["icestats"].get("source", [])
        return s if isinstance(s, list) else [s]

    def ezstream(self, mount, fmt, media, bitrate, name, genre, description):
        playlist = os.path.join(self.dir, mount.strip("/") + ".m3u")
        with open(playlist, "w") as f:
            f.write(media + "\n")
        conf = os.path.join(self.dir, mount.strip("/") + ".xml")
        with open(conf, "w") as f:
            f.write(EZSTREAM_XML.format(port=self.port, password=SOURCE_PASSWORD, mount=mount, format=fmt, name=name,
                                        genre=genre, description=description, bitrate=bitrate, playlist=playlist))
        os.chmod(conf, 0o600)  # ezstream refuses a config others can read (it holds a password)
        self.spawn(["ezstream", "-c", conf])

    def media(self, name, codec_args, seconds=120, rate=44100, tags=()):
        path = os.path.join(self.dir, name)
        meta = [a for k, v in tags for a in ("-metadata", f"{k}={v}")]
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"sine=frequency=440:sample_rate={rate}:duration={seconds}", "-ac", "2", *codec_args, *meta, path],
                       check=True, timeout=120)
        return path

    def mount_with(self, doc, mount):
        return next((s for s in self.sources(doc) if s["listenurl"].endswith(mount)), None)

    def test_status_shape_against_the_fixture(self):
        captured = {}
        captured["none"] = self.status()
        self.assertNotIn("source", captured["none"]["icestats"])

        # One mount: ezstream (libshout) MP3, its title set by an admin, one listener tuned in.
        self.ezstream("/one.mp3", "MP3", self.media("one.mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]), 128,
                      "Radio One", "Jazz", "The first")
        wait_for(lambda: self.mount_with(self.status(), "/one.mp3"), "/one.mp3 to appear")
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/admin/metadata?mount=/one.mp3&mode=updinfo"
                                     "&song=Artist%20-%20Title")
        req.add_header("Authorization", "Basic " + __import__("base64").b64encode(
            f"admin:{ADMIN_PASSWORD}".encode()).decode())
        with urllib.request.urlopen(req, timeout=5) as r:
            self.assertIn(b"Metadata update successful", r.read())
        listener = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/one.mp3", timeout=5)
        try:
            listener.read(4096)
            wait_for(lambda: (lambda s: s if s and s.get("listeners") == 1 and s.get("title") == "Artist - Title"
                                    else None)(self.mount_with(self.status(), "/one.mp3")), "a listener and a title")
            captured["one"] = self.status()
            self.assertIsInstance(captured["one"]["icestats"]["source"], dict, "one mount: an object, not an array")

            # Several: Ogg Vorbis and Ogg Opus through ezstream, and ffmpeg with no ice-* headers.
            self.ezstream("/two.ogg", "Ogg",
                          self.media("two.ogg", ["-c:a", "libvorbis", "-b:a", "96k"], tags=[("title", "Song A")]), 96,
                          "Radio Two", "Classical", "The second")
            self.ezstream("/three.opus", "Ogg", self.media("three.opus", ["-c:a", "libopus", "-b:a", "96k"], rate=48000),
                          96, "Radio Three", "Talk", "The third")
            self.spawn(["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=44100", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k",
                        "-f", "mp3", f"icecast://source:{SOURCE_PASSWORD}@127.0.0.1:{self.port}/four.mp3"])

            def complete():
                doc = self.status()
                s = {m: self.mount_with(doc, m) for m in ("/one.mp3", "/two.ogg", "/three.opus", "/four.mp3")}
                ready = all(s.values()) and s["/two.ogg"].get("title") == "Song A" and "subtype" in s["/three.opus"] \
                    and "audio_bitrate" in s["/two.ogg"] and s["/one.mp3"]["listeners"] == 1
                return doc if ready else None
            captured["several"] = wait_for(complete, "four mounts with their codec keys")
        finally:
            listener.close()

        self.check_shape(captured)
        if os.environ.get("TIMESIDE_WRITE_FIXTURE") == "1":
            os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
            with open(FIXTURE, "w") as f:
                json.dump(captured, f, indent=1, ensure_ascii=False)
                f.write("\n")
        with open(FIXTURE) as f:
            fixture = json.load(f)
        self.compare(fixture, captured)

    def check_shape(self, captured):
        several = captured["several"]["icestats"]["source"]
        self.assertIsInstance(several, list)
        mounts = [s["listenurl"].split(str(self.port), 1)[1] for s in several]
        self.assertEqual(mounts, sorted(mounts), "sources are sorted by mount")
        for name, doc in captured.items():
            # The stylesheet leaves "dummy": null where an object's last element is one it hides: in
            # every source, and in icestats only when no source follows its own keys.
            self.assertEqual(list(doc["icestats"])[-1], "source" if name != "none" else "dummy", name)
            for obj in [doc["icestats"]] + self.sources(doc):
                keys = list(obj) if "source" not in obj else list(obj)[:-1] + ["dummy"]
                if "source" in obj:
                    self.assertNotIn("dummy", obj)
                else:
                    self.assertIsNone(obj["dummy"])
                self.assertEqual(keys[-1], "dummy", name)
                self.assertEqual(keys[:-1], sorted(keys[:-1]), f"{name}: keys in byte order")
            self.assertRegex(doc["icestats"]["server_start"], RFC822)
            self.assertRegex(doc["icestats"]["server_start_iso8601"], ISO8601)
            for s in self.sources(doc):
                self.assertRegex(s["stream_start"], RFC822)
                self.assertRegex(s["stream_start_iso8601"], ISO8601)
                self.assertRegex(s["listenurl"], rf"^http://localhost:{self.port}/\w+\.\w+$")
                for k in ("listeners", "listener_peak"):
                    self.assertIsInstance(s[k], int)
        by_mount = {s["listenurl"].rsplit("/", 1)[1]: s for s in self.sources(captured["several"])}
        four = by_mount["four.mp3"]  # ffmpeg sends no ice-* headers: icecast's defaults
        self.assertEqual((four["server_name"], four["server_description"], four["genre"]),
                         ("Unspecified name", "Unspecified description", "various"))
        self.assertNotIn("server_url", four)
        self.assertNotIn("title", four)
        self.assertEqual(by_mount["two.ogg"]["subtype"], "Vorbis")
        self.assertEqual(by_mount["three.opus"]["subtype"], "Opus")
        self.assertEqual(by_mount["one.mp3"]["audio_info"], "bitrate=128;samplerate=44100;channels=2")
        self.assertEqual(by_mount["one.mp3"]["bitrate"], 128)

    def compare(self, fixture, captured):
        """The fixture holds what this icecast2 writes: same documents, same keys in the same order, same
        types; the same values except the times and ports of a run."""
        self.assertEqual(sorted(fixture), sorted(captured))
        for name in captured:
            want, got = fixture[name]["icestats"], captured[name]["icestats"]
            pairs = [(want, got)]
            if "source" in got:
                self.assertEqual(type(want["source"]), type(got["source"]), name)
                pairs += list(zip(self.sources(fixture[name]), self.sources(captured[name])))
                self.assertEqual(len(self.sources(fixture[name])), len(self.sources(captured[name])))
            for w, g in pairs:
                self.assertEqual(list(w), list(g), f"{name}: key set and order")
                for k in g:
                    self.assertIs(type(w[k]), type(g[k]), f"{name}: type of {k}")
                    if k == "listenurl":
                        self.assertEqual(w[k].rsplit("/", 1)[1], g[k].rsplit("/", 1)[1])
                    elif k not in VARYING and k != "source":  # sources: compared one by one
                        self.assertEqual(w[k], g[k], f"{name}: {k}")


if __name__ == "__main__":
    unittest.main()
