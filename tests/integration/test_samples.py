"""`timeside samples DIR`: TimeSide's standard set, generated deterministically, with the
properties its users rely on, measured independently (ffprobe, and the PCM itself)."""
import math
import os
import unittest

from support import SAMPLE_FILES, TempDir, ffmpeg_pcm, ffprobe, run, sha1_of


def zero_crossing_freq(x, rate):
    crossings = sum(1 for a, b in zip(x, x[1:]) if (a < 0) != (b < 0))
    return crossings * rate / (2 * len(x))


class SamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        r = run("samples", cls.dir, timeout=300)
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_the_set_is_complete_and_has_nothing_else(self):
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(SAMPLE_FILES))

    def test_formats_rates_channels_durations(self):
        expected = {
            "sweep.wav": ("pcm_f32le", 44100, 2, 8.0), "sweep_mono.wav": ("pcm_f32le", 44100, 1, 8.0),
            "sweep_32000.wav": ("pcm_f32le", 32000, 2, 8.0), "sweep.flac": ("flac", 44100, 2, 8.0),
            "sweep.ogg": ("vorbis", 44100, 2, 8.0), "sweep.mp3": ("mp3", 44100, 2, 8.0),
            "C4_scale.wav": ("pcm_f32le", 44100, 1, 9.4), "sine440Hz_mono.wav": ("pcm_f32le", 44100, 1, 8.0),
            "white_noise.wav": ("pcm_f32le", 44100, 1, 8.0),
        }
        for name, (codec, rate, channels, duration) in expected.items():
            with self.subTest(name):
                probe = ffprobe(self.path(name))
                s = probe["streams"][0]
                self.assertEqual(s["codec_name"], codec)
                self.assertEqual(int(s["sample_rate"]), rate)
                self.assertEqual(int(s["channels"]), channels)
                # ffprobe's MP3 duration counts the encoder delay and padding its decoder trims.
                tolerance = 0.1 if name.endswith(".mp3") else 0.001
                self.assertAlmostEqual(float(probe["format"]["duration"]), duration, delta=tolerance)

    def test_compressed_samples_decode_to_the_exact_length(self):
        # Our encoders write the exact length: Ogg granules, FLAC's STREAMINFO, MP3's LAME tag.
        for name in ("sweep.flac", "sweep.ogg", "sweep.mp3"):
            with self.subTest(name):
                pcm, channels = ffmpeg_pcm(self.path(name))
                self.assertEqual(len(pcm) // channels, 8 * 44100)

    def test_generation_is_deterministic(self):
        with TempDir() as again:
            self.assertEqual(run("samples", again, timeout=300).returncode, 0)
            for name in SAMPLE_FILES:
                if name.endswith((".wav", ".flac")):
                    with self.subTest(name):
                        self.assertEqual(sha1_of(os.path.join(again, name)), sha1_of(self.path(name)))

    def test_sweep_is_a_full_scale_log_chirp_from_20_hz_to_nyquist(self):
        pcm, channels = ffmpeg_pcm(self.path("sweep_mono.wav"))
        self.assertEqual(channels, 1)
        self.assertEqual(pcm[0], 1.0)  # scipy's chirp starts at cos(0)
        self.assertGreater(max(abs(x) for x in pcm), 0.9999)
        rate, seconds, f0, f1 = 44100, 8.0, 20.0, 22050.0
        k = math.log(f1 / f0)

        def phase(t):  # the chirp's phase in radians at t seconds (scipy's logarithmic chirp)
            return 2 * math.pi * seconds * f0 / k * ((f1 / f0) ** (t / seconds) - 1)

        # Zero crossings between t and t + 0.25 s must match the half-cycles the phase advanced.
        for t in (0.5, 2.0, 4.0, 6.0, 7.0):
            a, b = int(t * rate), int((t + 0.25) * rate)
            window = pcm[a:b]
            crossings = sum(1 for x, y in zip(window, window[1:]) if (x < 0) != (y < 0))
            expected = (phase(b / rate) - phase(a / rate)) / math.pi
            self.assertLessEqual(abs(crossings - expected), 1.5, msg=f"at {t} s: {crossings} vs {expected:.1f}")

    def test_c4_scale_has_its_eight_notes_and_silences(self):
        pcm, _ = ffmpeg_pcm(self.path("C4_scale.wav"))
        rate = 44100
        notes = [261.63, 293.66, 329.63, 349.23, 392.0, 440.0, 493.88, 523.25]
        for i, f in enumerate(notes):
            start = int(i * 1.2 * rate)
            note = pcm[start + 2000:start + rate - 2000]
            self.assertAlmostEqual(zero_crossing_freq(note, rate) / f, 1.0, delta=0.005, msg=f"note {i}")
            if i < 7:
                gap = pcm[start + rate + 10:start + rate + int(0.2 * rate) - 10]
                self.assertEqual(max(abs(x) for x in gap), 0.0)

    def test_white_noise_is_normalised_to_full_scale(self):
        pcm, _ = ffmpeg_pcm(self.path("white_noise.wav"))
        self.assertEqual(max(abs(x) for x in pcm), 1.0)
        mean = sum(pcm) / len(pcm)
        self.assertLess(abs(mean), 0.01)
        # Gaussian noise normalised to its peak: RMS is about a quarter of full scale.
        rms = math.sqrt(sum(x * x for x in pcm) / len(pcm))
        self.assertGreater(rms, 0.15)
        self.assertLess(rms, 0.35)


if __name__ == "__main__":
    unittest.main()
