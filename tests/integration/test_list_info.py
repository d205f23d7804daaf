"""`timeside list` and `timeside info` against the interface DESIGN.md promises and against
ffprobe / sha1 computed independently."""
import json
import re
import subprocess
import unittest

from support import SAMPLE_FILES, TIMESIDE, TempDir, ffprobe, run, sample, sha1_of


class ListTest(unittest.TestCase):
    def test_text_listing_has_timeside_format(self):
        r = run("list")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertIn("IAnalyzer", lines)
        self.assertEqual(lines[lines.index("IAnalyzer") + 1], "=" * len("IAnalyzer"))
        presets_at = lines.index("Presets")
        entries = [l for l in lines[:presets_at] if l.startswith("  * ")]
        ids = [re.match(r"  \* ([a-z][_a-z0-9]*) [0-9.]+: .+", l).group(1) for l in entries]
        # Presets follow the processors: "  * name: description (processor:k=v,...)".
        presets = [re.match(r"  \* ([a-z0-9][a-z0-9_-]*): .+ \(([a-z][_a-z0-9]*)(:.*)?\)$", l) for l in lines[presets_at + 2:]
                   if l.startswith("  * ")]
        self.assertTrue(all(presets))
        self.assertIn(("opus-64k", "opus_encoder"), [(m.group(1), m.group(2)) for m in presets])
        for expected in ("file_decoder", "level", "waveform_simple", "vorbis_encoder"):
            self.assertIn(expected, ids)

    def test_json_listing_carries_parameter_schemas(self):
        r = run("list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        procs = {p["id"]: p for p in json.loads(r.stdout)}
        self.assertEqual(procs["level"]["kind"], "analyzer")
        self.assertEqual(procs["level"]["unit"], "dBFS")
        width = {p["name"]: p for p in procs["waveform_simple"]["parameters"]}["width"]
        self.assertEqual((width["type"], width["default"]), ("integer", 1024))
        self.assertGreaterEqual(width["min"], 1)
        quality = {p["name"]: p for p in procs["vorbis_encoder"]["parameters"]}["quality"]
        self.assertEqual(quality["default"], 0.5)
        self.assertEqual(procs["vorbis_encoder"]["kind"], "encoder")


class StartupTest(unittest.TestCase):
    def test_the_binary_does_not_load_aubios_codec_libraries(self):
        # libaubio is opened only when an aubio analyzer runs: linked, it pulls in libavcodec and
        # ~150 libraries, ~50 ms and ~20 MiB at every start (src/analyzers/aubio_library.hpp).
        out = subprocess.run(["ldd", TIMESIDE], capture_output=True, text=True, check=True).stdout
        for lib in ("libaubio", "libavcodec", "libx265"):
            self.assertNotIn(lib, out)
        # ... and the aubio analyzers still run, through the library opened at run time.
        with TempDir() as out_dir:
            r = run("run", sample("C4_scale.wav"), "aubio_pitch", "-o", out_dir)
            self.assertEqual(r.returncode, 0, r.stderr)


class InfoTest(unittest.TestCase):
    MIME = {"wav": "audio/x-wav", "flac": "audio/x-flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}

    def test_info_matches_ffprobe_and_sha1_on_every_sample(self):
        for name in SAMPLE_FILES:
            with self.subTest(name):
                r = run("info", sample(name))
                self.assertEqual(r.returncode, 0, r.stderr)
                info = json.loads(r.stdout)
                probe = ffprobe(sample(name))
                stream = probe["streams"][0]
                self.assertEqual(info["samplerate"], int(stream["sample_rate"]))
                self.assertEqual(info["channels"], int(stream["channels"]))
                # ffprobe's MP3 duration counts the encoder delay and padding that its decoder trims
                # (the LAME tag); the exact decoded length is checked in test_samples.
                tolerance = {"wav": 0.001, "flac": 0.001, "ogg": 0.001, "mp3": 0.1}[name.rsplit(".", 1)[1]]
                self.assertAlmostEqual(info["duration"], float(probe["format"]["duration"]), delta=tolerance)
                self.assertEqual(info["sha1"], sha1_of(sample(name)))
                self.assertEqual(info["uri"], sample(name))
                self.assertEqual(info["mime"], self.MIME[name.rsplit(".", 1)[1]])

    def test_info_on_a_missing_file_fails_cleanly(self):
        r = run("info", "/nonexistent/x.wav")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(), "timeside: /nonexistent/x.wav: no such file")


if __name__ == "__main__":
    unittest.main()
