"""spectrogram_log and spectrogram_lin through the CLI on samples/sweep.wav (a 20 Hz -> 22050 Hz
log chirp over 8 s): the PNG is read back with ffmpeg as raw RGB, each pixel turned back into its
level through TimeSide's palette (rebuilt here from TimeSide's seven anchors), and the brightest
row of each column compared with where the sweep is at that time on the axis' definition (log:
100 Hz to Nyquist, linear: 0 to Nyquist, bottom to top). Bad parameters exit 2."""
import math
import os
import subprocess
import unittest

from support import TempDir, png_size, run, sample

RATE, NYQUIST = 44100, 22050.0
F0, F1, SECONDS = 20.0, 22050.0, 8.0

# TimeSide's spectrogram palette (timeside/plugins/grapher/color_schemes.py), 256 entries
# interpolated linearly between the anchors, each channel truncated (its interpolate_colors).
ANCHORS = [(0, 0, 0), (58 / 4, 68 / 4, 65 / 4), (80 / 2, 100 / 2, 153 / 2), (90, 180, 100), (224, 224, 44),
           (255, 60, 30), (255, 255, 255)]


def timeside_palette():
    out = []
    for i in range(256):
        pos = i * (len(ANCHORS) - 1) / 255.0
        k = int(pos)
        a = pos - k
        out.append(tuple(int((1 - a) * ANCHORS[k][c] + a * ANCHORS[k + 1][c]) if a > 0 else int(ANCHORS[k][c])
                         for c in range(3)))
    return out


LEVEL = {}
for index, colour in enumerate(timeside_palette()):
    LEVEL[colour] = index  # the dark end repeats colours: the highest index wins, as brightness goes


def read_levels(path):
    """The PNG decoded by ffmpeg to rgb24, as rows of palette indices (-1: not a palette colour)."""
    w, h = png_size(path)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    assert len(raw) == w * h * 3, (len(raw), w, h)
    return [[LEVEL.get(tuple(raw[(y * w + x) * 3:(y * w + x) * 3 + 3]), -1) for x in range(w)] for y in range(h)]


def brightest_row(levels, x, top=0, bottom=None):
    bottom = len(levels) if bottom is None else bottom
    column = [levels[y][x] for y in range(top, bottom)]
    best = max(column)
    rows = [top + i for i, v in enumerate(column) if v == best]
    return sum(rows) / len(rows)


def expected_row(log_axis, f, rows, top=0):
    from_bottom = ((rows - 1) * math.log(f / 100.0) / math.log(NYQUIST / 100.0) if log_axis
                   else (rows - 1) * f / NYQUIST)
    return top + (rows - 1) - from_bottom


def sweep_frequency(t):
    return F0 * (F1 / F0) ** (t / SECONDS)


class SpectrogramRendersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.out = cls.tmp.__enter__()
        r = run("run", sample("sweep.wav"), "spectrogram_log", "spectrogram_lin", "-o", cls.out)
        assert r.returncode == 0, r.stderr
        cls.levels = {g: read_levels(os.path.join(cls.out, f"sweep.{g}.png"))
                      for g in ("spectrogram_log", "spectrogram_lin")}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_renders_are_pngs_of_the_default_size(self):
        for g in ("spectrogram_log", "spectrogram_lin"):
            self.assertEqual(png_size(os.path.join(self.out, f"sweep.{g}.png")), (1024, 256))

    def test_every_pixel_is_a_colour_of_timesides_palette(self):
        for g, levels in self.levels.items():
            with self.subTest(g):
                self.assertEqual(sum(v < 0 for row in levels for v in row), 0)
                values = {v for row in levels for v in row}
                self.assertGreater(len(values), 100)  # neither blank nor a few flat colours
                loudest = sum(v >= 250 for row in levels for v in row)
                self.assertLess(loudest, 1024 * 256 // 20)  # not saturated: the top only on the line

    def check_rising_line(self, log_axis, low, tolerance):
        levels = self.levels["spectrogram_log" if log_axis else "spectrogram_lin"]
        h, w = len(levels), len(levels[0])
        rows = []
        for x in range(w):
            f = sweep_frequency((x + 0.5) * SECONDS / w)
            if not low <= f <= 18000:
                continue
            row = brightest_row(levels, x)
            self.assertLessEqual(abs(row - expected_row(log_axis, f, h)), tolerance, f"column {x}, {f:.0f} Hz")
            if rows:
                self.assertLessEqual(row, rows[-1][1], f"column {x}: the line must climb")
            rows.append((x, row))
        self.assertGreater(len(rows), 300)
        self.assertGreater(rows[0][1] - rows[-1][1], 0.6 * h)
        return rows

    def test_log_axis_shows_the_sweep_as_a_rising_straight_line(self):
        rows = self.check_rising_line(True, 200, 3)
        n = len(rows)
        mx = sum(x for x, _ in rows) / n
        my = sum(y for _, y in rows) / n
        slope = sum((x - mx) * (y - my) for x, y in rows) / sum((x - mx) ** 2 for x, _ in rows)
        # Rows per column on this axis: 255 ln(F1/F0) / ln(Nyquist/100) / 1024.
        self.assertAlmostEqual(-slope, 255 * math.log(F1 / F0) / math.log(NYQUIST / 100) / 1024, delta=0.01)
        self.assertLessEqual(max(abs(y - (my + slope * (x - mx))) for x, y in rows), 3)

    def test_linear_axis_shows_the_sweep_rising(self):
        self.check_rising_line(False, 1000, 6)

    def test_split_channels_draws_the_sweep_in_both_lanes(self):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), "spectrogram_log:split_channels=true,width=256", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            levels = read_levels(os.path.join(out, "sweep.spectrogram_log.png"))
            for x in (100, 160, 230):
                f = sweep_frequency((x + 0.5) * SECONDS / 256)
                for top in (0, 128):
                    self.assertLessEqual(abs(brightest_row(levels, x, top, top + 128) - expected_row(True, f, 128, top)),
                                         3, f"lane at {top}, column {x}")

    def test_bad_parameters_exit_2_naming_the_parameter_and_what_is_valid(self):
        cases = {"spectrogram_log:width=0": ["width", "16384"],
                 "spectrogram_lin:width=100000": ["width", "16384"],
                 "spectrogram_log:height=0": ["height", "4096"],
                 "spectrogram_log:colormap=jet": ["colormap", "timeside, viridis, magma"],
                 "spectrogram_lin:fft_size=1000": ["fft_size", "256", "32768"],
                 "spectrogram_log:dynamic_range=-3": ["dynamic_range"]}
        for spec, words in cases.items():
            with self.subTest(spec), TempDir() as out:
                r = run("run", sample("sweep.wav"), spec, "-o", out)
                self.assertEqual(r.returncode, 2, r.stderr)
                for word in words:
                    self.assertIn(word, r.stderr)
                self.assertEqual(os.listdir(out), [])


if __name__ == "__main__":
    unittest.main()
