"""`level` against sox stats on every sample and on other material, within 0.01 dB."""
import glob
import json
import os
import subprocess
import unittest

from support import SAMPLE_FILES, TempDir, ffmpeg_pcm, levels_of, run, sample, sox_stats


def run_level(path, out):
    r = run("run", path, "level", "-o", out)
    assert r.returncode == 0, r.stderr
    stem = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(out, stem + ".results.json")) as f:
        results = {x["id_metadata"]["id"]: x for x in json.load(f)}
    return results


class LevelTest(unittest.TestCase):
    def check_against_sox(self, path, out):
        results = run_level(path, out)
        stats = sox_stats(path)
        self.assertAlmostEqual(results["level.max"]["data_object"]["value"]["numpyArray"][0],
                               stats["Pk lev dB"], delta=0.01)
        self.assertAlmostEqual(results["level.rms"]["data_object"]["value"]["numpyArray"][0],
                               stats["RMS lev dB"], delta=0.01)
        return results

    def test_level_matches_sox_stats_on_pcm_samples(self):
        with TempDir() as out:
            for name in SAMPLE_FILES:
                if name.endswith((".wav", ".flac")):
                    with self.subTest(name):
                        self.check_against_sox(sample(name), out)

    def test_level_of_lossy_samples_matches_the_decoded_pcm(self):
        # sox cannot read MP3 here and clips lossy overshoots; compare with ffmpeg's decode instead.
        with TempDir() as out:
            for name in ("sweep.ogg", "sweep.mp3"):
                with self.subTest(name):
                    results = run_level(sample(name), out)
                    pcm, _ = ffmpeg_pcm(sample(name))
                    peak, rms = levels_of(pcm)
                    self.assertAlmostEqual(results["level.rms"]["data_object"]["value"]["numpyArray"][0], rms, delta=0.01)
                    self.assertAlmostEqual(results["level.max"]["data_object"]["value"]["numpyArray"][0], peak, delta=0.05)

    def test_level_matches_sox_on_other_material(self):
        # 16- and 24-bit recordings-like material: pink noise with a fade, speech-like bursts.
        with TempDir() as out:
            cases = {
                "pink16.wav": ["-b", "16", "-r", "48000", "-c", "2", "synth", "6", "pinknoise", "fade", "1", "6", "2", "vol", "0.7"],
                "tones24.flac": ["-b", "24", "-r", "96000", "-c", "1", "synth", "3", "sine", "300-3000", "tremolo", "6", "80", "vol", "0.3"],
                "quiet16.wav": ["-b", "16", "-r", "22050", "-c", "1", "synth", "2", "brownnoise", "vol", "0.01"],
            }
            for name, args in cases.items():
                path = os.path.join(out, name)
                subprocess.run(["sox", "-n", *args[:6], path, *args[6:]], check=True)
                with self.subTest(name):
                    self.check_against_sox(path, out)

    def test_level_matches_sox_on_real_recordings(self):
        # Recorded speech (alsa-utils) and recorded sound effects (sound-theme-freedesktop, Ogg
        # Vorbis, which sox reads through libvorbis): Debian's own, nothing downloaded.
        recordings = sorted(glob.glob("/usr/share/sounds/alsa/*.wav"))
        recordings += sorted(glob.glob("/usr/share/sounds/freedesktop/stereo/*.oga"))[:6]
        self.assertGreaterEqual(len(recordings), 10, "alsa-utils and sound-theme-freedesktop are installed by make")
        with TempDir() as out:
            for path in recordings:
                with self.subTest(os.path.basename(path)):
                    self.check_against_sox(path, out)

    def test_results_json_has_timeside_shape(self):
        with TempDir() as out:
            results = run_level(sample("sweep.wav"), out)
            r = results["level.rms"]
            self.assertEqual(r["data_mode"], "value")
            self.assertEqual(r["time_mode"], "global")
            self.assertEqual(r["id_metadata"]["unit"], "dBFS")
            self.assertEqual(r["audio_metadata"]["channels"], 2)
            self.assertAlmostEqual(r["audio_metadata"]["duration"], 8.0, places=6)
            self.assertEqual(len(r["audio_metadata"]["sha1"]), 40)
            self.assertEqual(set(r), {"id_metadata", "data_object", "audio_metadata", "parameters",
                                      "data_mode", "time_mode"})


if __name__ == "__main__":
    unittest.main()
