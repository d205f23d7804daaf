"""waveform_data through the CLI: the .dat is parsed with struct after audiowaveform's DataFormat.md,
its points compared with min/max computed here from the PCM that ffmpeg decodes to 16-bit
(mixdown: the channels' sum divided by their count, truncated, as audiowaveform does), and both
the .dat and the .json loaded by the real waveform-data.js from npm (tests/web)."""
import json
import os
import shutil
import struct
import subprocess
import unittest

from support import ROOT, TempDir, run, sample

WEB = os.path.join(ROOT, "tests", "web")
CHECK_SCRIPT = os.path.join(WEB, "waveform_data_check.mjs")


def parse_dat(path):
    with open(path, "rb") as f:
        raw = f.read()
    version, flags, rate, spp, length = struct.unpack_from("<iIiiI", raw, 0)
    channels, offset = (struct.unpack_from("<i", raw, 20)[0], 24) if version == 2 else (1, 20)
    fmt = "b" if flags & 1 else "h"
    count = (len(raw) - offset) // struct.calcsize(fmt)
    values = list(struct.unpack_from("<%d%s" % (count, fmt), raw, offset))
    return {"version": version, "flags": flags, "sample_rate": rate, "samples_per_pixel": spp,
            "length": length, "channels": channels, "header_size": offset, "size": len(raw), "values": values}


def ffmpeg_s16(path):
    """The file decoded by ffmpeg to interleaved 16-bit integers: (samples, channels, rate)."""
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", path],
                                      capture_output=True, text=True, check=True).stdout)["streams"][0]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-acodec", "pcm_s16le", "-"],
                         capture_output=True, check=True).stdout
    return list(struct.unpack("<%dh" % (len(raw) // 2), raw)), int(probe["channels"]), int(probe["sample_rate"])


def trunc_div(a, b):
    """Integer division truncating toward zero, as C and C++ divide."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def expected_points(pcm, channels, spp, split=False, bits=16, first=0, end=None):
    frames = len(pcm) // channels
    end = frames if end is None else min(end, frames)
    if split:
        lanes = [pcm[c::channels] for c in range(channels)]
    else:
        lanes = [[trunc_div(sum(pcm[i * channels:(i + 1) * channels]), channels) for i in range(frames)]]
    out = []
    for a in range(first, end, spp):
        for lane in lanes:
            part = lane[a:min(a + spp, end)]
            for v in (min(part), max(part)):
                out.append(trunc_div(v, 256) if bits == 8 else v)
    return out


def waveform_data_js():
    """The path of the check script once waveform-data.js is installed (npm ci in tests/web), or a
    reason why it cannot be."""
    if shutil.which("node") is None:
        return None, "node is not installed"
    if not os.path.isdir(os.path.join(WEB, "node_modules", "waveform-data")):
        if shutil.which("npm") is None:
            return None, "waveform-data.js is not installed and npm is missing"
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB, capture_output=True, text=True,
                           timeout=300)
        if r.returncode != 0:
            lines = [l for l in r.stderr.splitlines() if l.strip() and "complete log" not in l] or ["no message"]
            return None, ("waveform-data.js could not be installed from the npm registry (npm ci in tests/web "
                          "failed: %s)" % " / ".join(lines[:2]))
    return CHECK_SCRIPT, None


class WaveformDataTest(unittest.TestCase):
    def assertPoints(self, actual, expected):
        """Equal lists of points; on failure, the first pixel value that differs (unittest's diff of
        lists this long would take minutes)."""
        self.assertEqual(len(actual), len(expected), "number of values")
        for i, (a, e) in enumerate(zip(actual, expected)):
            if a != e:
                self.fail("value %d (pixel %d) is %d, the PCM gives %d" % (i, i // 2, a, e))

    def render(self, directory, name, spec, stem=None):
        r = run("run", sample(name), spec, "-o", directory)
        self.assertEqual(r.returncode, 0, r.stderr)
        stem = stem or os.path.splitext(name)[0]
        ext = "json" if "format=json" in spec else "dat"
        path = os.path.join(directory, "%s.waveform_data.%s" % (stem, ext))
        self.assertTrue(os.path.exists(path), os.listdir(directory))
        return path

    def test_stereo_sweep_mixdown_equals_the_pcm(self):
        pcm, channels, rate = ffmpeg_s16(sample("sweep.wav"))
        self.assertEqual((channels, rate), (2, 44100))
        with TempDir() as d:
            dat = parse_dat(self.render(d, "sweep.wav", "waveform_data:pixels_per_second=100"))
        self.assertEqual((dat["version"], dat["flags"], dat["sample_rate"]), (1, 0, 44100))
        self.assertEqual(dat["samples_per_pixel"], 441)  # 44100 / 100
        self.assertEqual(dat["length"], 800)  # 8 s
        self.assertEqual(dat["size"], 20 + 800 * 2 * 2)
        self.assertPoints(dat["values"], expected_points(pcm, 2, 441))
        # Full scale reaches both ends of the 16-bit range, as a sweep of amplitude 1 should.
        self.assertEqual((min(dat["values"]), max(dat["values"])), (-32768, 32767))

    def test_split_channels_at_8_bits_with_a_partial_last_pixel(self):
        pcm, channels, _ = ffmpeg_s16(sample("sweep.wav"))
        with TempDir() as d:
            dat = parse_dat(self.render(d, "sweep.wav", "waveform_data:zoom=1000,split_channels=true,bits=8"))
        self.assertEqual((dat["version"], dat["flags"], dat["channels"], dat["header_size"]), (2, 1, 2, 24))
        self.assertEqual(dat["samples_per_pixel"], 1000)
        self.assertEqual(dat["length"], 353)  # 352800 frames: 352 pixels and one of 800 frames
        self.assertEqual(dat["size"], 24 + 353 * 2 * 2)
        self.assertPoints(dat["values"], expected_points(pcm, 2, 1000, split=True, bits=8))

    def test_mono_sweep_and_c4_scale_equal_the_pcm(self):
        for name, spec, spp, bits in (("sweep_mono.wav", "waveform_data", 256, 16),
                                      ("C4_scale.wav", "waveform_data:pixels_per_second=50,bits=8", 882, 8)):
            with self.subTest(name=name):
                pcm, channels, _ = ffmpeg_s16(sample(name))
                self.assertEqual(channels, 1)
                with TempDir() as d:
                    dat = parse_dat(self.render(d, name, spec))
                self.assertEqual((dat["version"], dat["samples_per_pixel"]), (1, spp))
                self.assertEqual(dat["length"], -(-len(pcm) // spp))
                self.assertPoints(dat["values"], expected_points(pcm, 1, spp, bits=bits))

    def test_c4_scale_silences_read_zero(self):
        # 8 notes of 1 s with 0.2 s of silence between them: the pixels inside a gap are 0, 0.
        with TempDir() as d:
            dat = parse_dat(self.render(d, "C4_scale.wav", "waveform_data:pixels_per_second=100"))
        points = list(zip(dat["values"][0::2], dat["values"][1::2]))
        for note in range(7):  # seven gaps between eight notes (9.4 s)
            gap = points[note * 120 + 103:note * 120 + 118]
            self.assertEqual(set(gap), {(0, 0)}, "silence after note %d" % note)
            self.assertGreater(points[note * 120 + 50][1], 1000, "note %d" % note)

    def test_stereo_with_different_channels_mixes_down_truncating(self):
        # Channels that differ (a sine left, noise right), in float as the samples are: the mono point
        # is the truncated mean of the two 16-bit values that ffmpeg converts them to.
        with TempDir() as d:
            src = os.path.join(d, "two.wav")
            subprocess.run(["sox", "-n", "-r", "48000", "-e", "floating-point", "-b", "32", "-c", "2", src,
                            "synth", "2.5", "sine", "440", "whitenoise", "vol", "0.8"], check=True)
            pcm, channels, rate = ffmpeg_s16(src)
            self.assertEqual((channels, rate), (2, 48000))
            self.assertNotEqual(pcm[0::2], pcm[1::2])
            out = os.path.join(d, "out")
            os.mkdir(out)
            r = run("run", src, "waveform_data:zoom=300", "waveform_data:zoom=300,split_channels=true,format=json",
                    "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            dat = parse_dat(os.path.join(out, "two.waveform_data.dat"))
            with open(os.path.join(out, "two.waveform_data.json")) as f:
                doc = json.load(f)
        self.assertEqual((dat["sample_rate"], dat["length"]), (48000, 400))
        self.assertPoints(dat["values"], expected_points(pcm, 2, 300))
        self.assertPoints(doc["data"], expected_points(pcm, 2, 300, split=True))

    def test_json_holds_the_dat_points_in_audiowaveform_layout(self):
        for spec in ("waveform_data:zoom=512", "waveform_data:zoom=512,split_channels=true,bits=8"):
            with self.subTest(spec=spec), TempDir() as d:
                dat = parse_dat(self.render(d, "sweep.wav", spec))
                path = self.render(d, "sweep.wav", spec + ",format=json")
                with open(path, "rb") as f:
                    text = f.read()
                doc = json.loads(text)
                self.assertEqual(list(doc), ["version", "channels", "sample_rate", "samples_per_pixel", "bits",
                                             "length", "data"])
                self.assertEqual(doc["version"], 2)
                self.assertEqual(doc["channels"], dat["channels"])
                self.assertEqual((doc["sample_rate"], doc["samples_per_pixel"], doc["length"]),
                                 (44100, 512, dat["length"]))
                self.assertEqual(doc["bits"], 8 if dat["flags"] & 1 else 16)
                self.assertPoints(doc["data"], dat["values"])
                self.assertTrue(text.endswith(b"]}\n") and b" " not in text)

    def test_start_and_end(self):
        pcm, _, rate = ffmpeg_s16(sample("C4_scale.wav"))
        with TempDir() as d:
            dat = parse_dat(self.render(d, "C4_scale.wav", "waveform_data:zoom=512,start=1.1,end=2.3"))
        first, end = round(1.1 * rate), round(2.3 * rate)
        self.assertEqual(dat["length"], -(-(end - first) // 512))
        self.assertPoints(dat["values"], expected_points(pcm, 1, 512, first=first, end=end))

    def test_bad_parameters_exit_2_naming_them(self):
        cases = [("waveform_data:zoom=1", ["zoom", "2 to"]),
                 ("waveform_data:zoom=256,pixels_per_second=100", ["zoom", "pixels_per_second"]),
                 ("waveform_data:bits=12", ["bits", "8, 16"]),
                 ("waveform_data:format=png", ["format", "dat, json"]),
                 ("waveform_data:pixels_per_second=0", ["pixels_per_second", "1 to"]),
                 ("waveform_data:pixels_per_second=30000", ["pixels_per_second", "1 to 22050"]),
                 ("waveform_data:start=3,end=2", ["end", "start"]),
                 ("waveform_data:start=60", ["start", "past the end"])]
        for spec, words in cases:
            with self.subTest(spec=spec), TempDir() as d:
                r = run("run", sample("sweep.wav"), spec, "-o", d)
                self.assertEqual(r.returncode, 2, r.stderr)
                for w in words:
                    self.assertIn(w, r.stderr)
                self.assertEqual(os.listdir(d), [])

    def test_waveform_data_js_reads_dat_and_json(self):
        script, reason = waveform_data_js()
        if script is None:
            self.skipTest("SKIPPED, NOT CHECKED against waveform-data.js: " + reason)
        specs = ["waveform_data:pixels_per_second=100",
                 "waveform_data:pixels_per_second=100,split_channels=true",
                 "waveform_data:zoom=1000,bits=8,split_channels=true",
                 "waveform_data:pixels_per_second=100,format=json",
                 "waveform_data:zoom=1000,bits=8,split_channels=true,format=json"]
        pcm, _, _ = ffmpeg_s16(sample("sweep.wav"))
        for spec in specs:
            with self.subTest(spec=spec), TempDir() as d:
                path = self.render(d, "sweep.wav", spec)
                r = subprocess.run(["node", script, path], capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                js = json.loads(r.stdout)
                split = "split_channels=true" in spec
                spp = 1000 if "zoom=1000" in spec else 441
                bits = 8 if "bits=8" in spec else 16
                channels = 2 if split else 1
                length = -(-352800 // spp)
                self.assertEqual((js["channels"], js["length"], js["sample_rate"], js["scale"], js["bits"]),
                                 (channels, length, 44100, spp, bits))
                self.assertAlmostEqual(js["duration"], length * spp / 44100, places=9)
                # waveform-data.js's per-channel arrays, interleaved back as the file stores them.
                read = []
                for i in range(length):
                    for c in range(channels):
                        read += [js["data"][c]["min"][i], js["data"][c]["max"][i]]
                self.assertPoints(read, expected_points(pcm, 2, spp, split=split, bits=bits))


if __name__ == "__main__":
    unittest.main()
