"""MP3 inputs decode gapless: the encoder delay and padding their LAME/Xing tag declares are trimmed,
so an MP3 decodes to its source's frame count (as ffmpeg decodes it), times reported on it are not
late, and start=/duration= cut the same samples as on the source."""
import json
import os
import subprocess
import unittest

from support import TempDir, levels_of, run
from test_analyzers import array, run_results


def wav_frames(path):
    """Frames of a PCM WAV, from its header (as written by ffmpeg, sox and us)."""
    import wave
    with wave.open(path, "rb") as w:
        return w.getnframes()


def ffmpeg_frames(path, channels):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-"], capture_output=True,
                         check=True).stdout
    return len(raw) // (2 * channels)


def ffmpeg_mp3(src, dst, bitrate="128k"):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-c:a", "libmp3lame", "-b:a", bitrate, dst],
                   check=True)


def make_tone(path, rate, channels, seconds):
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", path, "synth", str(seconds),
                    "sine", "440", "vol", "0.5"], check=True)


def decoded_wav(test, mp3, out, *extra):
    r = run("run", mp3, "wav_encoder", "-o", out, *extra)
    test.assertEqual(r.returncode, 0, r.stderr)
    return os.path.join(out, os.path.splitext(os.path.basename(mp3))[0] + ".wav")


class Mp3GaplessTest(unittest.TestCase):
    def test_ffmpeg_mp3s_decode_to_the_source_length(self):
        with TempDir() as d:
            for rate, channels, seconds in ((48000, 2, 3), (48000, 1, 2.5), (44100, 2, 3.1), (44100, 1, 2)):
                with self.subTest(rate=rate, channels=channels):
                    src = os.path.join(d, f"t{rate}_{channels}.wav")
                    make_tone(src, rate, channels, seconds)
                    mp3 = src[:-4] + ".mp3"
                    ffmpeg_mp3(src, mp3)
                    source = wav_frames(src)
                    self.assertEqual(ffmpeg_frames(mp3, channels), source)
                    out = os.path.join(d, f"out{rate}_{channels}")
                    self.assertEqual(wav_frames(decoded_wav(self, mp3, out)), source)
                    info = json.loads(run("info", mp3).stdout)
                    self.assertAlmostEqual(info["duration"], source / rate, delta=0.5 / rate)

    def test_our_own_mp3_encoder_round_trips_to_the_source_length(self):
        with TempDir() as d:
            for rate, channels in ((44100, 2), (48000, 1)):
                with self.subTest(rate=rate, channels=channels):
                    src = os.path.join(d, f"o{rate}_{channels}.wav")
                    make_tone(src, rate, channels, 2.2)
                    enc = os.path.join(d, f"enc{rate}_{channels}")
                    r = run("run", src, "mp3_encoder", "-o", enc)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    mp3 = os.path.join(enc, os.path.basename(src)[:-4] + ".mp3")
                    source = wav_frames(src)
                    self.assertEqual(ffmpeg_frames(mp3, channels), source)
                    self.assertEqual(wav_frames(decoded_wav(self, mp3, os.path.join(d, f"dec{rate}_{channels}"))),
                                     source)

    def test_an_onset_on_the_mp3_is_within_one_hop_of_the_wav(self):
        with TempDir() as d:
            # silence under a faint floor, then a 1 kHz burst at exactly 1.000 s
            rate = 48000
            floor = os.path.join(d, "floor.wav")
            subprocess.run(["sox", "-R", "-n", "-r", str(rate), "-c", "1", "-b", "16", floor, "synth", "2",
                            "whitenoise", "vol", "0.001"], check=True)
            burst = os.path.join(d, "burst.wav")
            subprocess.run(["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", burst, "synth", "0.2", "sine",
                            "1000", "vol", "0.8", "pad", "1", "0.8"], check=True)
            click = os.path.join(d, "click.wav")
            subprocess.run(["sox", "-m", floor, burst, click], check=True)
            mp3 = os.path.join(d, "click.mp3")
            ffmpeg_mp3(click, mp3, "192k")
            on_wav = array(run_results(click, d, "aubio_temporal")["aubio_temporal.onset"], "time")
            on_mp3 = array(run_results(mp3, d, "aubio_temporal")["aubio_temporal.onset"], "time")
            self.assertTrue(on_wav and on_mp3, (on_wav, on_mp3))
            self.assertAlmostEqual(on_wav[0], 1.0, delta=0.01)  # aubio's own placement of the burst
            self.assertLessEqual(abs(on_mp3[0] - on_wav[0]), 256 / rate + 1e-6, (on_wav, on_mp3))

    def test_start_and_duration_on_an_mp3_cut_what_they_cut_on_the_wav(self):
        with TempDir() as d:
            rate = 48000
            # 1 s of silence, then 1 s of a loud sine, then 1 s of silence: a segment starting at 1 s
            # holds the sine from its first frame, one starting 25 ms late (the defect) would not.
            src = os.path.join(d, "steps.wav")
            subprocess.run(["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", src, "synth", "1", "sine", "440",
                            "vol", "0.5", "pad", "1", "1"], check=True)
            mp3 = os.path.join(d, "steps.mp3")
            ffmpeg_mp3(src, mp3, "192k")
            for start, duration in ((0.95, 0.1), (1.0, 0.5), (1.98, 0.04)):
                with self.subTest(start=start, duration=duration):
                    w = decoded_wav(self, src, os.path.join(d, f"w{start}"), "--start", start, "--duration", duration)
                    m = decoded_wav(self, mp3, os.path.join(d, f"m{start}"), "--start", start, "--duration", duration)
                    self.assertEqual(wav_frames(m), wav_frames(w))
                    self.assertEqual(wav_frames(m), round(duration * rate))
                    _, rms_w = levels_of(pcm(w))
                    _, rms_m = levels_of(pcm(m))
                    self.assertAlmostEqual(rms_m, rms_w, delta=0.5)


def pcm(path):
    import array as arr
    import wave
    with wave.open(path, "rb") as w:
        a = arr.array("h")
        a.frombytes(w.readframes(w.getnframes()))
    return [x / 32768 for x in a] if any(a) else [1e-9]


if __name__ == "__main__":
    unittest.main()
