"""waveform_centroid, waveform_transparent, waveform_contour_black and waveform_contour_white
through the CLI, read back independently: sizes by ffprobe, pixels decoded by ffmpeg to raw RGBA.
On samples/sweep.wav (a 20 Hz -> 22050 Hz log chirp over 8 s) the centroid colours climb TimeSide's
palette (rebuilt here from its four waveform stops) as the sweep's frequency climbs its log scale;
on WAV files written here with Python's wave module, the transparent background is alpha 0 where
the signal is silent and split_channels keeps a silent right channel to its centre line. Bad
parameters exit 2 naming the parameter and its range."""
import array
import math
import os
import subprocess
import unittest
import wave
from collections import Counter

from support import TempDir, ffprobe, run, sample

RATE = 44100
F0, F1, SECONDS = 20.0, 22050.0, 8.0
RENDERS = ("waveform_centroid", "waveform_transparent", "waveform_contour_black", "waveform_contour_white")
BACKGROUND = {"waveform_centroid": (0, 0, 0, 255), "waveform_transparent": (0, 0, 0, 0),
              "waveform_contour_black": (0, 0, 0, 255), "waveform_contour_white": (255, 255, 255, 255)}

# TimeSide's 'default' waveform scheme (timeside/plugins/grapher/color_schemes.py): 256 entries
# interpolated linearly between the four stops, each channel truncated.
STOPS = [(50, 0, 200), (0, 220, 80), (255, 224, 0), (255, 0, 0)]


def palette():
    out = []
    for i in range(256):
        pos = i * (len(STOPS) - 1) / 255.0
        k = min(int(pos), len(STOPS) - 1)
        a = pos - k
        nxt = STOPS[min(k + 1, len(STOPS) - 1)]
        out.append(tuple(int((1 - a) * STOPS[k][c] + a * nxt[c]) for c in range(3)))
    return out


INDEX = {colour: i for i, colour in reversed(list(enumerate(palette())))}  # first index wins


def read_rgba(path):
    """(width, height, pixels[y][x] = (r, g, b, a)) decoded by ffmpeg."""
    stream = ffprobe(path)["streams"][0]
    w, h = int(stream["width"]), int(stream["height"])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgba", "-"],
                         capture_output=True, check=True).stdout
    assert len(raw) == w * h * 4, (len(raw), w, h)
    return w, h, [[tuple(raw[(y * w + x) * 4:(y * w + x) * 4 + 4]) for x in range(w)] for y in range(h)]


def drawn_rows(pixels, x, background, top=0, bottom=None):
    bottom = len(pixels) if bottom is None else bottom
    return [y for y in range(top, bottom) if pixels[y][x] != background]


def write_wav(path, channels_fn, seconds, channels):
    """16-bit PCM; channels_fn(t) returns one value in [-1, 1] per channel."""
    frames = array.array("h")
    for i in range(int(seconds * RATE)):
        for v in channels_fn(i / RATE)[:channels]:
            frames.append(int(round(max(-1.0, min(1.0, v)) * 32767)))
    with wave.open(path, "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(frames.tobytes())


def log_position(f):
    f = max(200.0, min(RATE / 2, f))
    return math.log10(f / 200.0) / math.log10(RATE / 2 / 200.0)


class WaveformRendersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.out = cls.tmp.__enter__()
        r = run("run", sample("sweep.wav"), *RENDERS, "-o", cls.out)
        assert r.returncode == 0, r.stderr
        cls.images = {g: read_rgba(os.path.join(cls.out, f"sweep.{g}.png")) for g in RENDERS}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_renders_are_pngs_of_timesides_default_size(self):
        for g in RENDERS:
            stream = ffprobe(os.path.join(self.out, f"sweep.{g}.png"))["streams"][0]
            self.assertEqual(stream["codec_name"], "png", g)
            self.assertEqual((int(stream["width"]), int(stream["height"])), (1024, 256), g)
        alpha = ffprobe(os.path.join(self.out, "sweep.waveform_transparent.png"))["streams"][0]["pix_fmt"]
        self.assertIn(alpha, ("rgba", "rgba64be"))

    def test_renders_are_neither_blank_nor_saturated(self):
        for g in RENDERS:
            w, h, px = self.images[g]
            counts = Counter(p for row in px for p in row)
            background = counts[BACKGROUND[g]] / (w * h)
            self.assertGreater(background, 0.02, g)
            self.assertLess(background, 0.98, g)
            self.assertGreater(len(counts), 2, g)

    def test_centroid_colours_climb_the_palette_with_the_sweep(self):
        w, h, px = self.images["waveform_centroid"]
        checked = 0
        previous = -1
        for x in range(0, w, 8):
            t = (x + 0.5) * SECONDS / w
            f = F0 * (F1 / F0) ** (t / SECONDS)
            if f < 300 or f > 20000:
                continue  # the clip at 200 Hz, and the last frame's reach to the end
            colours = Counter(px[y][x][:3] for y in drawn_rows(px, x, BACKGROUND["waveform_centroid"]))
            index = INDEX.get(colours.most_common(1)[0][0], -1)
            self.assertGreaterEqual(index, 0, f"column {x}: not a palette colour")
            # A 2048-sample window spans 46 ms, a rise of 4 % in frequency: under 2 entries (measured: 1.1).
            self.assertLessEqual(abs(index - 255 * log_position(f)), 2, f"column {x} at {f:.0f} Hz")
            self.assertGreaterEqual(index, previous, f"column {x}")
            previous = index
            checked += 1
        self.assertGreater(checked, 70)  # 300 Hz to 20 kHz: 3.1 s to 7.9 s, 77 columns of 128

    def test_contours_of_a_constant_amplitude_reach_the_edges_in_timesides_greys(self):
        for g, outer in (("waveform_contour_black", 160), ("waveform_contour_white", 60)):
            w, h, px = self.images[g]
            for x in range(300, w - 20, 50):
                rows = drawn_rows(px, x, BACKGROUND[g])
                # TimeSide's: 127 rows either side of row 128 (its centre is int(height / 2)).
                self.assertEqual((rows[0], rows[-1]), (1, 255), f"{g} column {x}")
                for y in (rows[0], rows[-1]):
                    r, gr, b, a = px[y][x]
                    self.assertTrue(r == gr == b and abs(r - outer) <= 1, f"{g} column {x} row {y}: {px[y][x]}")

    def test_transparent_background_is_alpha_0_where_the_signal_is_silent(self):
        with TempDir() as d:
            path = os.path.join(d, "half.wav")
            write_wav(path, lambda t: [0.8 * math.sin(2 * math.pi * 1000 * t) if t < 1 else 0.0], 2, 1)
            r = run("run", path, "waveform_transparent:width=200,height=100", "-o", d)
            self.assertEqual(r.returncode, 0, r.stderr)
            w, h, px = read_rgba(os.path.join(d, "half.waveform_transparent.png"))
            for x in range(102, 200):
                for y in range(h):
                    if y != 50:
                        self.assertEqual(px[y][x][3], 0, f"silent column {x} row {y}")
                self.assertEqual(px[50][x], (255, 255, 255, 255))
            for x in range(2, 98):
                self.assertEqual(px[50][x], (255, 255, 255, 255), f"loud column {x}")
                self.assertEqual(px[5][x][3], 0, f"loud column {x} above the peaks")

    def test_split_channels_keeps_a_silent_right_channel_to_its_lane_centre(self):
        with TempDir() as d:
            path = os.path.join(d, "left.wav")
            write_wav(path, lambda t: [0.8 * math.sin(2 * math.pi * 1000 * t), 0.0], 1, 2)
            specs = [f"{g}:width=120,height=100,split_channels=true" for g in RENDERS]
            r = run("run", path, *specs, "-o", d)
            self.assertEqual(r.returncode, 0, r.stderr)
            for g in RENDERS:
                w, h, px = read_rgba(os.path.join(d, f"left.{g}.png"))
                for x in range(5, 115):
                    top = drawn_rows(px, x, BACKGROUND[g], 0, 50)
                    bottom = drawn_rows(px, x, BACKGROUND[g], 50, 100)
                    self.assertGreaterEqual(top[-1] - top[0] + 1, 30, f"{g} column {x}")
                    self.assertEqual(bottom, [75], f"{g} column {x}")

    def test_bad_parameters_exit_2_naming_the_parameter_and_range(self):
        with TempDir() as d:
            for g in RENDERS:
                for bad in ("width=0", "width=100000"):
                    r = run("run", sample("sweep.wav"), f"{g}:{bad}", "-o", d)
                    self.assertEqual(r.returncode, 2, f"{g}:{bad}: {r.stderr}")
                    self.assertIn("width", r.stderr)
                    self.assertIn("1 to 16384", r.stderr)
                r = run("run", sample("sweep.wav"), f"{g}:split_channels=perhaps", "-o", d)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("split_channels", r.stderr)
                # sweep.wav has two channels: two lanes need two rows.
                r = run("run", sample("sweep.wav"), f"{g}:height=1,split_channels=true", "-o", d)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("height must be at least 2", r.stderr)
            r = run("run", sample("sweep.wav"), "waveform_centroid:color_scheme=rainbow", "-o", d)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("color_scheme", r.stderr)
            self.assertIn("default, iso, purple, awdio", r.stderr)
            self.assertEqual(os.listdir(d), [])


if __name__ == "__main__":
    unittest.main()
