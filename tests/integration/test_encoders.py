"""Every codec, encoded by `timeside run`, checked by the decoders users have: ffprobe / ffmpeg and
GStreamer (gst-discoverer, gst-launch) must agree on codec, rate, channels and the exact length;
lossy outputs keep the input's level; FLAC is bit-exact; presets and one-pass parallel encoding
work; bad values exit 2 with the valid range."""
import os
import signal
import subprocess
import time
import unittest

from support import TIMESIDE, TempDir, ffmpeg_pcm, ffprobe, gst_discover, levels_of, run, sample, visible_files

# encoder -> (extension, ffprobe codec name, decoded rate for an input rate, gst-discoverer's codec)
CODECS = {
    "wav_encoder": ("wav", "pcm_s16le", lambda r: r, "WAV"),
    "flac_encoder": ("flac", "flac", lambda r: r, "Free Lossless Audio Codec (FLAC)"),
    "vorbis_encoder": ("ogg", "vorbis", lambda r: r, "Vorbis"),
    "opus_encoder": ("opus", "opus", lambda r: 48000, "Opus"),
    "mp3_encoder": ("mp3", "mp3", lambda r: min(r, 48000), "MPEG"),
}
LOSSY = {"vorbis_encoder", "opus_encoder", "mp3_encoder"}


def make_input(directory, name, rate, channels, seconds=3.0, bits=16):
    """Music-like test material: a sine sweep over pink noise, with a fade (sox)."""
    path = os.path.join(directory, name)
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", str(bits), path,
                    "synth", str(seconds), "pinknoise", "synth", str(seconds), "sine", "mix", "200-3000",
                    "fade", "0.1", str(seconds), "0.5", "vol", "0.4"], check=True)
    return path


def pcm_s32(path):
    """The samples as 32-bit integers, exactly as ffmpeg decodes them."""
    return subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s32le", "-"], capture_output=True,
                          check=True).stdout


def frames_of(path):
    pcm, channels = ffmpeg_pcm(path)
    return len(pcm) // channels


class EncodersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.inputs = {
            (8000, 1): make_input(cls.dir, "in_8000_1.wav", 8000, 1),
            (44100, 2): make_input(cls.dir, "in_44100_2.wav", 44100, 2),
            (48000, 2): make_input(cls.dir, "in_48000_2.wav", 48000, 2),
            (96000, 2): make_input(cls.dir, "in_96000_2.wav", 96000, 2, bits=24),
            (44100, 1): make_input(cls.dir, "in_44100_1.wav", 44100, 1),
        }

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def encode(self, source, spec, out):
        r = run("run", source, spec, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()[0]

    def test_every_codec_round_trips_through_ffmpeg_and_gstreamer(self):
        for (rate, channels), source in self.inputs.items():
            frames = frames_of(source)
            in_peak, in_rms = levels_of(ffmpeg_pcm(source)[0])
            for enc, (ext, codec, out_rate, gst_codec) in CODECS.items():
                with self.subTest(encoder=enc, rate=rate, channels=channels), TempDir() as out:
                    path = self.encode(source, enc, out)
                    self.assertTrue(path.endswith("." + ext))
                    stream = ffprobe(path)["streams"][0]
                    self.assertEqual(stream["codec_name"], codec)
                    self.assertEqual(int(stream["channels"]), channels)
                    self.assertEqual(int(stream["sample_rate"]), out_rate(rate))
                    decoded = frames_of(path)
                    expected = frames * out_rate(rate) / rate
                    # Exact where the rate is kept; within one output frame where the codec resamples.
                    self.assertLessEqual(abs(decoded - expected), 0 if out_rate(rate) == rate else 1,
                                         f"{decoded} frames decoded, {expected} expected")
                    gst = gst_discover(path)
                    self.assertAlmostEqual(gst["duration"], frames / rate, delta=0.005)
                    self.assertIn(gst_codec, gst["codec"])
                    self.assertEqual(gst["channels"], channels)
                    # GStreamer decodes Opus at the input's rate (from OpusHead) where Opus has it natively.
                    opus_native = rate if rate in (8000, 12000, 16000, 24000, 48000) else 48000
                    self.assertEqual(gst["rate"], opus_native if enc == "opus_encoder" else out_rate(rate))
                    # Our own decoder reads it back, silently (no GStreamer noise on stderr).
                    back = run("run", path, "level", "-o", out)
                    self.assertEqual((back.returncode, back.stderr), (0, ""))
                    if enc in LOSSY:
                        _, rms = levels_of(ffmpeg_pcm(path)[0])
                        self.assertAlmostEqual(rms, in_rms, delta=0.5)

    def test_flac_is_bit_exact_for_16_and_24_bit_input(self):
        for bits in (16, 24):
            with self.subTest(bits=bits), TempDir() as out:
                source = make_input(out, f"src{bits}.wav", 44100, 2, bits=bits)
                path = self.encode(source, f"flac_encoder:bits={bits}", out)
                self.assertEqual(pcm_s32(path), pcm_s32(source))

    def test_presets_are_usable_wherever_a_spec_is(self):
        expected = {"vorbis-q5": "vorbis", "opus-64k": "opus", "opus-128k": "opus", "mp3-128k": "mp3",
                    "mp3-v2": "mp3", "mp3-320k": "mp3", "flac": "flac", "wav-16": "pcm_s16le"}
        listed = run("list").stdout
        for preset, codec in expected.items():
            with self.subTest(preset), TempDir() as out:
                self.assertIn(f"  * {preset}: ", listed)
                path = self.encode(self.inputs[(44100, 2)], preset, out)
                self.assertEqual(ffprobe(path)["streams"][0]["codec_name"], codec)
        with TempDir() as out:
            probe = ffprobe(self.encode(self.inputs[(44100, 2)], "mp3-320k", out))
            self.assertAlmostEqual(int(probe["format"]["bit_rate"]) / 1000, 320, delta=10)

    def test_one_pass_writes_three_codecs(self):
        with TempDir() as out:
            r = run("run", self.inputs[(44100, 2)], "vorbis_encoder", "opus_encoder", "mp3_encoder", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(sorted(os.listdir(out)), ["in_44100_2.mp3", "in_44100_2.ogg", "in_44100_2.opus"])
            frames = frames_of(self.inputs[(44100, 2)])
            self.assertEqual(frames_of(os.path.join(out, "in_44100_2.ogg")), frames)
            self.assertEqual(frames_of(os.path.join(out, "in_44100_2.mp3")), frames)

    def test_tags_travel_from_input_to_every_output(self):
        with TempDir() as out:
            tagged = os.path.join(out, "tagged.flac")
            subprocess.run(["ffmpeg", "-v", "error", "-i", self.inputs[(44100, 2)], "-metadata", "title=Sweep Été",
                            "-metadata", "artist=TimeSide", "-metadata", "album=Samples", tagged], check=True)
            for enc in ("flac_encoder", "vorbis_encoder", "opus_encoder", "mp3_encoder"):
                with self.subTest(enc):
                    enc_out = os.path.join(out, enc)
                    os.mkdir(enc_out)
                    path = self.encode(tagged, enc, enc_out)
                    probe = ffprobe(path)
                    tags = {k.lower(): v for k, v in probe["format"].get("tags", {}).items()}
                    tags.update({k.lower(): v for k, v in probe["streams"][0].get("tags", {}).items()})
                    self.assertEqual(tags.get("title"), "Sweep Été")
                    self.assertEqual(tags.get("artist"), "TimeSide")
                    self.assertEqual(tags.get("album"), "Samples")

    def test_out_of_range_values_exit_2_with_the_valid_range(self):
        cases = {"opus_encoder:bitrate=1": "from 6 to 510", "mp3_encoder:bitrate=13": "one of: 8, 16",
                 "flac_encoder:compression=12": "from 0 to 8", "flac_encoder:bits=20": "one of: 16, 24"}
        for spec, expected in cases.items():
            with self.subTest(spec), TempDir() as out:
                r = run("run", sample("sweep.wav"), spec, "-o", out)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(expected, r.stderr)
                self.assertEqual(visible_files(out), [])

    def test_killed_mid_encode_leaves_nothing_under_the_final_name(self):
        with TempDir() as out:
            long_input = make_input(out, "long.wav", 44100, 2, seconds=300)
            dest = os.path.join(out, "dest")
            os.mkdir(dest)
            proc = subprocess.Popen([TIMESIDE, "run", long_input, "flac_encoder", "mp3_encoder", "-o", dest],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Mid-encode: both outputs have bytes on disk under their temporary names.
            deadline = time.monotonic() + 10
            while sum(1 for n in os.listdir(dest) if n.startswith(".") and os.path.getsize(os.path.join(dest, n))) < 2:
                self.assertLess(time.monotonic(), deadline, f"no encoded bytes on disk: {os.listdir(dest)}")
                time.sleep(0.02)
            self.assertIsNone(proc.poll())
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            # Only hidden temporaries may remain after SIGKILL; never a file under its final name.
            self.assertEqual([n for n in os.listdir(dest) if not n.startswith(".")], [])


if __name__ == "__main__":
    unittest.main()
