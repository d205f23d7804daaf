"""`timeside run` end to end: outputs are where DESIGN.md says, Vorbis keeps the exact length,
segments are cut to the frame, and every reference decoder agrees."""
import array
import os
import subprocess
import unittest

from support import TempDir, ffmpeg_pcm, ffprobe, gst_duration, png_size, run, sample


def sox_f32(path, *effects):
    raw = subprocess.run(["sox", path, "-t", "f32", "-", *effects], capture_output=True, check=True).stdout
    a = array.array("f")
    a.frombytes(raw)
    return a


class RunOutputsTest(unittest.TestCase):
    def test_one_pass_writes_every_output_under_its_documented_name(self):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), "waveform_simple", "level", "vorbis_encoder", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            expected = ["sweep.ogg", "sweep.results.json", "sweep.waveform_simple.png"]
            self.assertEqual(sorted(os.listdir(out)), expected)
            self.assertEqual(sorted(os.path.basename(l) for l in r.stdout.split()), expected)
            self.assertEqual(png_size(os.path.join(out, "sweep.waveform_simple.png")), (1024, 256))

    def test_vorbis_output_has_the_exact_length_for_ffmpeg_and_gstreamer(self):
        with TempDir() as out:
            for name, frames in (("sweep.wav", 352800), ("sweep_32000.wav", 256000), ("C4_scale.wav", 414540)):
                with self.subTest(name):
                    r = run("run", sample(name), "vorbis_encoder", "-o", out)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    ogg = os.path.join(out, os.path.splitext(name)[0] + ".ogg")
                    probe = ffprobe(ogg)
                    stream = probe["streams"][0]
                    self.assertEqual(stream["codec_name"], "vorbis")
                    rate = int(stream["sample_rate"])
                    pcm, channels = ffmpeg_pcm(ogg)
                    self.assertEqual(len(pcm) // channels, frames)  # decodes to the exact frame count
                    self.assertAlmostEqual(float(probe["format"]["duration"]), frames / rate, delta=0.005)
                    self.assertAlmostEqual(gst_duration(ogg), frames / rate, delta=0.005)
                    # And decoded to the end by a plain gst-launch pipeline (no seeking, no trimming
                    # help from us): within 5 ms of the input.
                    raw = os.path.join(out, "gst.f32")
                    subprocess.run(["gst-launch-1.0", "-q", "filesrc", f"location={ogg}", "!", "oggdemux", "!",
                                    "vorbisdec", "!", "audioconvert", "!", "audio/x-raw,format=F32LE", "!",
                                    "filesink", f"location={raw}"], check=True, timeout=60)
                    gst_frames = os.path.getsize(raw) // (4 * channels)
                    self.assertLessEqual(abs(gst_frames - frames) / rate, 0.005)

    def test_vorbis_keeps_the_level(self):
        with TempDir() as out:
            run("run", sample("white_noise.wav"), "vorbis_encoder:quality=0.5", "-o", out)
            ours = subprocess.run(["sox", os.path.join(out, "white_noise.ogg"), "-n", "stats"], capture_output=True, text=True).stderr
            ref = subprocess.run(["sox", sample("white_noise.wav"), "-n", "stats"], capture_output=True, text=True).stderr
            rms = lambda text: float([l for l in text.splitlines() if l.startswith("RMS lev dB")][0].split()[3])
            self.assertAlmostEqual(rms(ours), rms(ref), delta=0.5)

    def test_segment_is_cut_to_the_exact_frame(self):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), "wav_encoder:format=f32", "--start", "1.5", "--duration", "2.25", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            ours = sox_f32(os.path.join(out, "sweep.wav"))
            reference = sox_f32(sample("sweep.wav"), "trim", "66150s", "99225s")
            self.assertEqual(len(ours), 2 * 99225)
            self.assertEqual(ours, reference)

    def test_flac_and_wav_decode_to_their_exact_samples(self):
        with TempDir() as out:
            for name in ("sweep.flac", "sweep_32000.wav", "C4_scale.wav"):
                with self.subTest(name):
                    r = run("run", sample(name), "wav_encoder:format=f32", "-o", out)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    stem = os.path.splitext(name)[0]
                    ours = sox_f32(os.path.join(out, stem + ".wav"))
                    self.assertEqual(ours, sox_f32(sample(name)))

    def test_segment_of_a_compressed_input(self):
        with TempDir() as out:
            r = run("run", sample("sweep.flac"), "wav_encoder:format=f32", "--start", "3", "--duration", "1", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            ours = sox_f32(os.path.join(out, "sweep.wav"))
            reference = sox_f32(sample("sweep.flac"), "trim", "132300s", "44100s")
            self.assertEqual(len(ours), len(reference))
            self.assertLess(max(abs(a - b) for a, b in zip(ours, reference)), 1e-6)

    def test_forced_rate_and_channels(self):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), "wav_encoder", "--samplerate", "22050", "--channels", "1", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            stream = ffprobe(os.path.join(out, "sweep.wav"))["streams"][0]
            self.assertEqual((int(stream["sample_rate"]), int(stream["channels"])), (22050, 1))
            self.assertAlmostEqual(float(stream["duration"]), 8.0, delta=0.001)

    def test_quiet_on_a_pipe_no_progress_noise(self):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), "level", "-o", out)
            self.assertEqual(r.stderr, "")


if __name__ == "__main__":
    unittest.main()
