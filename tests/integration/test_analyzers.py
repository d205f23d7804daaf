"""The analyzers through `timeside run`, each against its reference tool run on the same file:
sox stats (mean_dc_shift), aubioonset / aubiotrack / aubiopitch (aubio_temporal, aubio_pitch);
the spectrogram of a sine; bad analyzer parameters exit 2 naming the parameter and its choices."""
import json
import os
import statistics
import subprocess
import unittest

from support import SAMPLE_FILES, TempDir, run, sample, sox_stats, sox_stats_columns

C4_NOTES = [261.63, 293.66, 329.63, 349.23, 392.0, 440.0, 493.88, 523.25]


def run_results(path, out, *specs):
    r = run("run", path, *specs, "-o", out, timeout=300)
    assert r.returncode == 0, r.stderr
    stem = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(out, stem + ".results.json")) as f:
        return {x["id_metadata"]["id"]: x for x in json.load(f)}


def array(result, key="value"):
    return result["data_object"][key]["numpyArray"]


def tool_lines(*cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=300).stdout
    return [list(map(float, line.split())) for line in out.splitlines() if line.strip()]


def sox_mean_percent(path):
    """sox's overall DC column is the largest channel's; the mean of all samples of equal-length
    channels is the mean of the channel columns. In percent, as mean_dc_shift."""
    cols = sox_stats_columns(path)["DC offset"]
    return 100 * (cols[0] if len(cols) == 1 else statistics.fmean(cols[1:]))


def assert_levels_match_sox(test, results, path):
    stats = sox_stats(path)
    test.assertAlmostEqual(array(results["level.max"])[0], stats["Pk lev dB"], delta=0.01)
    test.assertAlmostEqual(array(results["level.rms"])[0], stats["RMS lev dB"], delta=0.01)
    test.assertAlmostEqual(array(results["mean_dc_shift"])[0], sox_mean_percent(path), delta=0.001)


class AnalyzersTest(unittest.TestCase):
    def test_level_and_mean_dc_shift_match_sox_stats(self):
        with TempDir() as out:
            made = os.path.join(out, "offset.wav")
            subprocess.run(["sox", "-n", "-r", "48000", "-c", "2", "-b", "24", made, "synth", "3", "sine", "300",
                            "sine", "500", "vol", "0.4", "dcshift", "-0.2", "remix", "1", "2v0.5"], check=True)
            for path in [made] + [sample(n) for n in SAMPLE_FILES if n.endswith((".wav", ".flac"))]:
                with self.subTest(os.path.basename(path)):
                    results = run_results(path, out, "level", "mean_dc_shift")
                    assert_levels_match_sox(self, results, path)
                    if path == made:
                        self.assertLess(array(results["mean_dc_shift"])[0], -10)  # the offset is really there

    def test_onsets_match_aubioonset_within_one_hop(self):
        with TempDir() as out:
            for name, method in (("C4_scale.wav", "hfc"), ("C4_scale.wav", "specflux"), ("sweep.wav", "energy")):
                with self.subTest(name=name, method=method):
                    path = sample(name)
                    results = run_results(path, out, f"aubio_temporal:onset_method={method}")
                    ours = array(results["aubio_temporal.onset"], "time")
                    ref = [x[0] for x in tool_lines("aubioonset", "-i", path, "-B", "512", "-H", "256", "-O", method)]
                    self.assertEqual(len(ours), len(ref), (ours, ref))
                    hop = 256 / 44100
                    for a, b in zip(ours, ref):
                        self.assertLessEqual(abs(a - b), hop + 1e-6)

    def test_click_track_at_120_bpm(self):
        with TempDir() as out:
            click = os.path.join(out, "click.wav")
            # A 10 ms 1 kHz click every 0.5 s for 20 s, made by sox independently of us.
            one = os.path.join(out, "one.wav")
            subprocess.run(["sox", "-n", "-r", "44100", "-c", "1", "-b", "16", one, "synth", "0.01", "sine", "1000",
                            "fade", "0", "0.01", "0.005", "pad", "0", "0.49"], check=True)
            clicks = os.path.join(out, "clicks.wav")
            subprocess.run(["sox", one, clicks, "repeat", "39"], check=True)
            # under a faint noise floor, as a recorded metronome (aubio drops beats in digital silence)
            floor = os.path.join(out, "floor.wav")
            subprocess.run(["sox", "-R", "-n", "-r", "44100", "-c", "1", "-b", "16", floor, "synth", "20",
                            "whitenoise", "vol", "0.001"], check=True)
            subprocess.run(["sox", "-m", clicks, floor, click], check=True)
            results = run_results(click, out, "aubio_temporal")
            self.assertAlmostEqual(array(results["aubio_temporal.bpm"])[0], 120, delta=1)
            # whatever aubioonset finds, we find
            onsets = array(results["aubio_temporal.onset"], "time")
            ref = [x[0] for x in tool_lines("aubioonset", "-i", click, "-B", "512", "-H", "256")]
            self.assertEqual(len(onsets), len(ref))
            beats = array(results["aubio_temporal.beat"], "time")
            self.assertGreaterEqual(len(beats), 30)
            for t in beats:
                # on the clicks, within the ±70 ms window of MIREX's beat F-measure: beats are
                # the tracker's predictions, and aubio's wander by up to ~26 ms here
                self.assertLessEqual(abs(t - 0.5 * round(t / 0.5)), 0.07)
            ref = [x[0] for x in tool_lines("aubiotrack", "-i", click, "-B", "1024", "-H", "512")]
            self.assertEqual(len(beats), len(ref))
            for a, b in zip(beats, ref):
                self.assertLessEqual(abs(a - b), 512 / 44100 + 1e-6)

    def test_pitch_of_each_c4_note_within_one_percent(self):
        with TempDir() as out:
            path = sample("C4_scale.wav")
            results = run_results(path, out, "aubio_pitch")
            pitch = results["aubio_pitch.pitch"]
            meta = pitch["data_object"]["frame_metadata"]
            self.assertEqual((meta["blocksize"], meta["stepsize"], meta["samplerate"]), (2048, 256, 44100))
            values = array(pitch)
            conf = array(results["aubio_pitch.pitch_confidence"])
            self.assertEqual(len(values), len(conf))
            # aubiopitch on the same file: same frames, same values.
            ref = tool_lines("aubiopitch", "-i", path, "-B", "2048", "-H", "256", "-p", "yinfft")
            self.assertEqual(len(values), len(ref))
            for ours, (_, theirs) in zip(values, ref):
                self.assertAlmostEqual(ours, theirs, delta=max(0.01, 1e-4 * theirs))
            step = 256 / 44100
            for i, f in enumerate(C4_NOTES):
                # the middle of note i (1 s of tone, 0.2 s of silence after each)
                frames = [v for k, v in enumerate(values) if i * 1.2 + 0.3 <= k * step <= i * 1.2 + 0.7]
                self.assertAlmostEqual(statistics.median(frames), f, delta=0.01 * f)

    def test_spectrogram_of_a_sine_peaks_at_440_hz(self):
        with TempDir() as out:
            path = sample("sine440Hz_mono.wav")
            results = run_results(path, out, "spectrogram_analyzer")
            spec = results["spectrogram_analyzer"]
            meta = spec["data_object"]["frame_metadata"]
            self.assertEqual((meta["blocksize"], meta["stepsize"]), (2048, 1024))
            rows = array(spec)
            freqs = array(spec, "y_value")
            self.assertEqual(len(freqs), 2048 // 2 + 1)
            rate = meta["samplerate"]
            frames = int(subprocess.run(["soxi", "-s", path], capture_output=True, text=True, check=True).stdout)
            self.assertEqual(len(rows), -(-frames // 1024))  # every window starting before the end
            bin_hz = rate / 2048
            for row in rows[1:-2]:
                peak = max(range(len(row)), key=row.__getitem__)
                self.assertLessEqual(abs(freqs[peak] - 440), bin_hz)


def real_recordings(out):
    """Debian's recorded sounds (alsa-utils' speech, freedesktop's Ogg sounds decoded to WAV by
    ffmpeg, since the aubio tools read WAV here): mono and stereo, 44.1 and 48 kHz."""
    paths = [p for p in ("/usr/share/sounds/alsa/Front_Center.wav", "/usr/share/sounds/alsa/Rear_Left.wav")
             if os.path.exists(p)]
    for name in ("alarm-clock-elapsed", "phone-incoming-call", "bell"):
        src = f"/usr/share/sounds/freedesktop/stereo/{name}.oga"
        if os.path.exists(src):
            dst = os.path.join(out, name + ".wav")
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-c:a", "pcm_s16le", dst], check=True)
            paths.append(dst)
    return paths


class RealRecordingsTest(unittest.TestCase):
    def test_onsets_pitch_and_levels_hold_on_recordings(self):
        with TempDir() as out:
            paths = real_recordings(out)
            if len(paths) < 3:
                self.skipTest("Debian's alsa-utils / sound-theme-freedesktop sounds are not installed")
            for path in paths:
                with self.subTest(os.path.basename(path)):
                    rate = int(subprocess.run(["soxi", "-r", path], capture_output=True, text=True,
                                              check=True).stdout)
                    results = run_results(path, out, "aubio_temporal", "aubio_pitch", "level", "mean_dc_shift")
                    ours = array(results["aubio_temporal.onset"], "time")
                    ref = [x[0] for x in tool_lines("aubioonset", "-i", path, "-B", "512", "-H", "256")]
                    self.assertEqual(len(ours), len(ref))
                    for a, b in zip(ours, ref):
                        self.assertLessEqual(abs(a - b), 256 / rate + 1e-6)
                    pitch = array(results["aubio_pitch.pitch"])
                    ref = tool_lines("aubiopitch", "-i", path, "-B", "2048", "-H", "256")
                    self.assertEqual(len(pitch), len(ref))
                    close = sum(abs(a - b) <= max(0.01, 1e-3 * b) for a, (_, b) in zip(pitch, ref))
                    self.assertEqual(close, len(ref))
                    assert_levels_match_sox(self, results, path)


class BadAnalyzerParametersTest(unittest.TestCase):
    def refused(self, spec, *words):
        with TempDir() as out:
            r = run("run", sample("sine440Hz_mono.wav"), spec, "-o", out)
            self.assertEqual(r.returncode, 2, r.stderr)
            for w in words:
                self.assertIn(w, r.stderr)
            self.assertEqual(os.listdir(out), [])
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)

    def test_fft_size_an_fft_cannot_take(self):
        self.refused("spectrogram_analyzer:fft_size=1000", "fft_size", "1000", "2048", "4096")

    def test_hop_larger_than_the_block(self):
        self.refused("spectrogram_analyzer:input_blocksize=1024,input_stepsize=2048", "input_stepsize", "1024")
        self.refused("aubio_pitch:buffer_size=512,hop_size=1024", "hop_size", "512")

    def test_unknown_pitch_method(self):
        self.refused("aubio_pitch:method=crepe", "method", "crepe", "yinfft", "mcomb", "specacf")

    def test_unknown_onset_method(self):
        self.refused("aubio_temporal:onset_method=magic", "onset_method", "hfc", "specflux")


if __name__ == "__main__":
    unittest.main()
