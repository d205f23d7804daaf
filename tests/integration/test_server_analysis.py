"""Results, renders and waveform data over HTTP: /api/items/{id}/results, /graphs/{grapher}.png and
/waveform.{dat,json} compute on first request in one decode pass, answer what `timeside run` writes
for the same file and settings (byte for byte for PNG and waveform data; the same values for
results, which sox checks independently for level), are cached (Content-Length, ETag, 304), name
the item by its path under the media folder, never the server's; bad requests are 400/404 naming
the parameter."""
import csv
import io
import json
import math
import os
import shutil
import subprocess
import unittest

from server_support import ServedMedia, curl
from support import png_size, run, sample, sox_stats


def values(results):
    """{result id: data_object value list} of a TimeSide JSON results document."""
    return {r["id_metadata"]["id"]: r["data_object"]["value"]["numpyArray"] for r in results}


class AnalysisRoutesTest(ServedMedia):
    @staticmethod
    def make_media(folder):
        os.makedirs(os.path.join(folder, "sub"))
        for name in ("sweep.wav", "C4_scale.wav"):
            shutil.copy(sample(name), os.path.join(folder, name))
        shutil.copy(sample("C4_scale.wav"), os.path.join(folder, "sub", "scale.wav"))

    def run_cli(self, *specs, results="json"):
        out = os.path.join(self.root, "cli")
        os.makedirs(out, exist_ok=True)
        r = run("run", *specs, "-o", out, "--results", results)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def test_results_are_what_timeside_run_computes_and_level_matches_sox(self):
        status, headers, body = curl(self.url("/api/items/sub/scale/results?processors=level,mean_dc_shift,aubio_pitch"))
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        doc = json.loads(body)
        got = values(doc)
        out = self.run_cli(os.path.join(self.media, "sub", "scale.wav"), "level", "mean_dc_shift", "aubio_pitch")
        with open(os.path.join(out, "scale.results.json")) as f:
            want = values(json.load(f))
        self.assertEqual(set(got), set(want))
        for rid in want:
            self.assertEqual(len(got[rid]), len(want[rid]), rid)
            for a, b in zip(got[rid], want[rid]):
                self.assertAlmostEqual(a, b, places=9, msg=rid)
        stats = sox_stats(sample("C4_scale.wav"))
        self.assertAlmostEqual(got["level.max"][0], stats["Pk lev dB"], delta=0.01)
        self.assertAlmostEqual(got["level.rms"][0], stats["RMS lev dB"], delta=0.01)
        # The item by its path under the media folder: the server's own paths stay private.
        self.assertEqual({r["audio_metadata"]["uri"] for r in doc}, {"sub/scale.wav"})
        self.assertNotIn(self.media.encode(), body)
        # Again: from the cache, the same document.
        status, headers, again = curl(self.url("/api/items/sub/scale/results?processors=level,mean_dc_shift,aubio_pitch"))
        self.assertEqual(int(headers["content-length"]), len(again))
        self.assertEqual(again, body)
        self.assertEqual(curl(self.url("/api/items/sub/scale/results?processors=level,mean_dc_shift,aubio_pitch"),
                              "-H", f"If-None-Match: {headers['etag']}")[0], 304)

    def test_results_in_every_format_and_for_a_segment(self):
        status, headers, body = curl(self.url("/api/items/C4_scale/results?processors=level&format=csv"))
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/csv"))
        rows = {r["id"]: r for r in csv.DictReader(io.StringIO(body.decode()))}
        stats = sox_stats(sample("C4_scale.wav"))
        self.assertAlmostEqual(float(rows["level.rms"]["value"]), stats["RMS lev dB"], delta=0.01)
        status, headers, body = curl(self.url("/api/items/C4_scale/results?processors=aubio_temporal&format=vtt"))
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"WEBVTT"))
        status, headers, body = curl(self.url("/api/items/C4_scale/results?processors=level,aubio_pitch&format=hdf5"))
        self.assertEqual(status, 200)
        path = os.path.join(self.root, "r.h5")
        with open(path, "wb") as f:
            f.write(body)
        dump = subprocess.run(["h5dump", "-H", path], capture_output=True, text=True)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn('GROUP "aubio_pitch.pitch"', dump.stdout)
        # A segment: its own results, said so in audio_metadata.
        doc = json.loads(curl(self.url("/api/items/sweep/results?processors=level&start=2&duration=1.5"))[2])
        meta = doc[0]["audio_metadata"]
        self.assertEqual((meta["start"], meta["duration"], meta["is_segment"]), (2.0, 1.5, True))
        cut = os.path.join(self.root, "cut.wav")
        subprocess.run(["sox", "-D", sample("sweep.wav"), cut, "trim", "2", "1.5"], check=True)
        self.assertAlmostEqual(values(doc)["level.rms"][0], sox_stats(cut)["RMS lev dB"], delta=0.01)

    def test_a_render_is_the_png_timeside_run_draws(self):
        status, headers, png = curl(self.url("/api/items/sweep/graphs/waveform_centroid.png?width=400&height=100"))
        self.assertEqual((status, headers["content-type"]), (200, "image/png"))
        path = os.path.join(self.root, "served.png")
        with open(path, "wb") as f:
            f.write(png)
        self.assertEqual(png_size(path), (400, 100))
        out = self.run_cli(sample("sweep.wav"), "waveform_centroid:width=400,height=100")
        with open(os.path.join(out, "sweep.waveform_centroid.png"), "rb") as f:
            self.assertEqual(png, f.read())
        status, headers, again = curl(self.url("/api/items/sweep/graphs/waveform_centroid.png?width=400&height=100"))
        self.assertEqual((int(headers["content-length"]), again), (len(png), png))
        status, headers, spec = curl(self.url("/api/items/sweep/graphs/spectrogram_log.png?width=300&height=200"))
        self.assertEqual(status, 200)
        with open(path, "wb") as f:
            f.write(spec)
        self.assertEqual(png_size(path), (300, 200))

    def test_waveform_data_is_what_timeside_run_writes(self):
        for ext in ("dat", "json"):
            with self.subTest(ext):
                status, headers, body = curl(self.url(f"/api/items/sweep/waveform.{ext}?pixels_per_second=20&bits=8"))
                self.assertEqual(status, 200)
                self.assertEqual(headers["content-type"],
                                 "application/json" if ext == "json" else "application/octet-stream")
                out = self.run_cli(sample("sweep.wav"), f"waveform_data:format={ext},pixels_per_second=20,bits=8")
                with open(os.path.join(out, f"sweep.waveform_data.{ext}"), "rb") as f:
                    self.assertEqual(body, f.read())
        doc = json.loads(curl(self.url("/api/items/sweep/waveform.json?pixels_per_second=20&bits=8"))[2])
        self.assertEqual((doc["bits"], doc["length"]), (8, 160))  # 8 s at 20 px/s
        self.assertEqual(doc["samples_per_pixel"], 44100 // 20)

    def test_bad_requests_name_what_is_wrong(self):
        cases = {"/api/items/sweep/results": (400, "processors"),
                 "/api/items/sweep/results?processors=level&format=xml": (400, "format"),
                 "/api/items/sweep/results?processors=vorbis_encoder": (400, "not an analyzer"),
                 "/api/items/sweep/results?processors=nope": (400, "nope"),
                 "/api/items/sweep/results?processors=level&colour=1": (400, "colour"),
                 "/api/items/sweep/results?processors=level&start=20": (400, "start"),
                 "/api/items/sweep/results?processors=aubio_pitch:tolerance=9": (400, "tolerance"),
                 "/api/items/nope/results?processors=level": (404, "nope"),
                 "/api/items/sweep/graphs/nope.png": (404, "nope"),
                 "/api/items/sweep/graphs/waveform_data.png": (404, "waveform_data"),
                 "/api/items/sweep/graphs/waveform_simple.png?width=0": (400, "width"),
                 "/api/items/sweep/waveform.mp3": (404, ".mp3"),
                 "/api/items/sweep/waveform.dat?format=json": (400, "format"),
                 "/api/items/sweep/waveform.dat?zoom=256&pixels_per_second=10": (400, "pixels_per_second")}
        for target, (code, word) in cases.items():
            with self.subTest(target):
                status, headers, body = curl(self.url(target))
                self.assertEqual(status, code, body)
                doc = json.loads(body)
                self.assertEqual(doc["status"], code)
                self.assertIn(word, doc["error"])
        self.assertEqual(self.server.get("/api/status")[2]["transcodes"]["active"], 0)


class ResultLimitTest(ServedMedia):
    CONFIG = "[media]\nmax_result_values = 100000\n"

    @staticmethod
    def make_media(folder):
        shutil.copy(sample("sweep.wav"), os.path.join(folder, "sweep.wav"))

    def test_results_beyond_max_result_values_are_a_400_and_a_segment_fits(self):
        # 8 s of spectrogram at 1025 bins a frame: more than 100,000 values.
        status, _, body = curl(self.url("/api/items/sweep/results?processors=spectrogram_analyzer"))
        self.assertEqual(status, 400)
        doc = json.loads(body)
        self.assertEqual(doc["status"], 400)
        self.assertIn("max_result_values", doc["error"])
        self.assertIn("processors", doc["error"])
        self.server.wait_for_log(r"analysis output=sweep\.results\.json outcome=refused")
        # A second of it fits, and its rows are the spectrogram's: frames x bins within the limit.
        status, _, body = curl(self.url("/api/items/sweep/results?processors=spectrogram_analyzer&duration=1"))
        self.assertEqual(status, 200)
        doc = json.loads(body)
        rows = doc[0]["data_object"]["value"]["numpyArray"]
        self.assertGreater(len(rows), 10)
        self.assertLessEqual(sum(len(r) if isinstance(r, list) else 1 for r in rows), 100000)
        self.assertEqual(curl(self.url("/api/items/sweep/results?processors=level"))[0], 200)

    def test_waveform_data_beyond_max_result_values_is_refused_before_it_runs(self):
        # 8 s at 44100 px/s would be 705,600 min/max values; at 1000 px/s 16,000.
        status, _, body = curl(self.url("/api/items/sweep/waveform.dat?pixels_per_second=44100"))
        self.assertEqual(status, 400)
        self.assertIn("pixels_per_second", json.loads(body)["error"])
        self.assertIn("max_result_values", json.loads(body)["error"])
        status, _, body = curl(self.url("/api/items/sweep/waveform.dat?zoom=2&start=7.5"))  # 22,050 values: fits
        self.assertEqual(status, 200)
        self.assertEqual(curl(self.url("/api/items/sweep/waveform.dat?zoom=2"))[0], 400)
        status, _, body = curl(self.url("/api/items/sweep/waveform.json?pixels_per_second=1000"))
        # samples per pixel = 44100 // 1000 = 44 (audiowaveform rounds down): ceil(352800 / 44) points
        self.assertEqual((status, json.loads(body)["length"]), (200, math.ceil(8 * 44100 / 44)))


if __name__ == "__main__":
    unittest.main()
