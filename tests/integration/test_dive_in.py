"""The seed example in C++: four processors, one pass; renders waveform.png, writes sweep.ogg and
prints the levels, which must equal sox's."""
import os
import re
import subprocess
import unittest

from support import BUILD, TempDir, ffprobe, png_size, sample, sox_stats


class DiveInTest(unittest.TestCase):
    def test_dive_in_draws_measures_and_transcodes_in_one_pass(self):
        with TempDir() as cwd:
            r = subprocess.run([os.path.join(BUILD, "docs", "examples", "dive_in"), sample("sweep.wav")],
                               cwd=cwd, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("IAnalyzer", r.stdout)  # list_processors() first, as in the seed
            m = re.search(r"level\.max = (-?\d+\.\d+) dBFS, level\.rms = (-?\d+\.\d+) dBFS", r.stdout)
            self.assertIsNotNone(m, r.stdout)
            stats = sox_stats(sample("sweep.wav"))
            self.assertAlmostEqual(float(m.group(1)), stats["Pk lev dB"], delta=0.01)
            self.assertAlmostEqual(float(m.group(2)), stats["RMS lev dB"], delta=0.01)
            self.assertEqual(png_size(os.path.join(cwd, "waveform.png")), (1024, 256))
            probe = ffprobe(os.path.join(cwd, "sweep.ogg"))
            self.assertEqual(probe["streams"][0]["codec_name"], "vorbis")
            self.assertAlmostEqual(float(probe["format"]["duration"]), 8.0, delta=0.005)


if __name__ == "__main__":
    unittest.main()
