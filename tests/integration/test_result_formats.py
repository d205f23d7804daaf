"""`timeside run ... --results json,csv,jams,vtt,audacity,hdf5`: every format written beside the
others from one run and read back by a standard reader (json, csv, ffmpeg's WebVTT demuxer,
h5dump); the HDF5 file streamed, complete or absent. `level` must be registered; the checks of
other analyzers run when `timeside list` shows them and are reported as skipped otherwise."""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

from support import TIMESIDE, TempDir, run, sample, visible_files

ALL = "json,csv,jams,vtt,audacity,hdf5"
EXTENSIONS = ["json", "csv", "jams", "vtt", "audacity.txt", "h5"]


def registered():
    out = run("list").stdout
    return set(re.findall(r"^\s+\*\s+(\S+)\s", out, re.M))


def run_formats(path, out, *specs, formats=ALL):
    r = run("run", path, *specs, "--results", formats, "-o", out, timeout=600)
    assert r.returncode == 0, r.stderr
    stem = os.path.splitext(os.path.basename(path))[0]
    return {ext: os.path.join(out, f"{stem}.results.{ext}") for ext in EXTENSIONS}


def json_results(path):
    with open(path) as f:
        return {x["id_metadata"]["id"]: x for x in json.load(f)}


def csv_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert all(len(r) == len(rows[0]) for r in rows), "rows of unequal width"
    return rows[0], rows[1:]


def vtt_cues_by_ffmpeg(path):
    """FFmpeg's WebVTT demuxer, converting to SRT: the cues it read, as (start, end, payload)."""
    srt = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "srt", "-"], capture_output=True, text=True,
                         check=True).stdout
    cues = []
    for block in srt.strip().split("\n\n") if srt.strip() else []:
        lines = block.split("\n")
        start, end = lines[1].split(" --> ")
        # SRT escapes braces; the payload is our one line of JSON.
        cues.append((start, end, json.loads(lines[2].replace("\\{", "{").replace("\\}", "}"))))
    return cues


def h5dump(*args):
    return subprocess.run(["h5dump", "-y", "-w", "0", *args], capture_output=True, text=True, check=True).stdout


def h5_values(path, dataset):
    out = h5dump("-m", "%.17g", "-d", dataset, path)  # every digit: values compare exactly
    body = out[out.index("DATA {") + 6:]
    body = body[:body.index("}")]
    return [float(x) for x in body.replace(",", " ").split()]


def h5_attribute(path, attribute):
    out = h5dump("-a", attribute, path)
    return re.search(r"DATA \{\s*\n\s*(.*)\n", out).group(1)


def audacity_labels(path):
    with open(path, newline="") as f:
        return [(float(a), float(b), label) for a, b, label in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]


class ResultFormatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.analyzers = registered()

    def need(self, *ids):
        missing = [i for i in ids if i not in self.analyzers]
        if missing:
            self.skipTest(f"not registered yet: {', '.join(missing)}")

    def test_level_is_registered(self):
        self.assertIn("level", self.analyzers)

    def test_level_in_every_format_from_one_run(self):
        with TempDir() as out:
            files = run_formats(sample("sweep.wav"), out, "level")
            self.assertEqual(visible_files(out), sorted(os.path.basename(p) for p in files.values()))
            ref = json_results(files["json"])
            peak = ref["level.max"]["data_object"]["value"]["numpyArray"][0]
            rms = ref["level.rms"]["data_object"]["value"]["numpyArray"][0]
            # sweep.wav is stereo: the per-channel results hold two values, a row of two columns.
            channel_peaks = ref["level.channel_max"]["data_object"]["value"]["numpyArray"]
            self.assertEqual(len(channel_peaks), 2)

            header, rows = csv_rows(files["csv"])
            self.assertEqual(header, ["id", "time", "duration", "label", "value", "value_1"])
            by_id = {r[0]: r for r in rows}
            self.assertEqual(float(by_id["level.max"][4]), peak)
            self.assertEqual(float(by_id["level.rms"][4]), rms)
            self.assertEqual(by_id["level.rms"][5], "")
            self.assertEqual([float(v) for v in by_id["level.channel_max"][4:6]], channel_peaks)
            self.assertAlmostEqual(float(by_id["level.rms"][2]), 8.0, places=6)

            with open(files["jams"]) as f:
                jams = json.load(f)
            self.assertAlmostEqual(jams["file_metadata"]["duration"], 8.0, places=6)
            ann = {a["sandbox"]["timeside"]["id"]: a for a in jams["annotations"]}
            self.assertEqual(ann["level.max"]["namespace"], "vector")
            self.assertEqual(ann["level.max"]["data"][0]["value"], [peak])
            self.assertEqual(ann["level.channel_max"]["data"][0]["value"], channel_peaks)

            cues = vtt_cues_by_ffmpeg(files["vtt"])
            self.assertEqual(sorted(c[2]["id"] for c in cues),
                             ["level.channel_max", "level.channel_rms", "level.max", "level.rms"])
            self.assertEqual(cues[0][:2], ("00:00:00,000", "00:00:08,000"))

            self.assertEqual(audacity_labels(files["audacity.txt"]), [])  # no events, no segments

            h5 = files["h5"]
            self.assertEqual(h5_values(h5, "/level.max/data_object/value"), [peak])
            self.assertEqual(h5_values(h5, "/level.channel_max/data_object/value"), channel_peaks)
            self.assertEqual(h5_attribute(h5, "/level.rms/time_mode"), '"global"')
            self.assertEqual(h5_attribute(h5, "/level.rms/id_metadata/unit"), '"dBFS"')
            self.assertEqual(h5_attribute(h5, "/level.rms/audio_metadata/channels"), "2")
            self.assertEqual(h5_attribute(h5, "/level.rms/audio_metadata/sha1"),
                             '"%s"' % ref["level.rms"]["audio_metadata"]["sha1"])

    def test_default_is_json_alone(self):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), "level", "-o", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(visible_files(out), ["sweep.results.json"])

    def test_unknown_format_exits_2_naming_the_valid_ones(self):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), "level", "--results", "json,xml", "-o", out)
            self.assertEqual(r.returncode, 2)
            self.assertIn("xml", r.stderr)
            self.assertIn("json, csv, jams, vtt, audacity, hdf5", r.stderr)
            self.assertEqual(visible_files(out), [])

    def test_one_analyzer_twice_cannot_share_an_hdf5_file(self):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), "level", "level", "--results", "hdf5", "-o", out)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("level", r.stderr)

    def test_a_failed_run_leaves_no_hdf5_file(self):
        with TempDir() as out:
            bad = os.path.join(out, "bad.wav")
            with open(bad, "w") as f:
                f.write("not audio at all\n" * 100)
            r = run("run", bad, "level", "--results", ALL, "-o", out)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(visible_files(out), ["bad.wav"])

    def test_aubio_events_and_segments_in_jams_vtt_and_audacity(self):
        self.need("aubio_temporal", "aubio_silence")
        with TempDir() as out:
            files = run_formats(sample("C4_scale.wav"), out, "aubio_temporal", "aubio_silence")
            ref = json_results(files["json"])
            with open(files["jams"]) as f:
                ann = {a["sandbox"]["timeside"]["id"]: a for a in json.load(f)["annotations"]}
            expected_ns = {"aubio_temporal.onset": "onset", "aubio_temporal.beat": "beat",
                           "aubio_temporal.bpm": "tempo", "aubio_silence": "segment_open"}
            for rid, ns in expected_ns.items():
                with self.subTest(rid):
                    self.assertIn(rid, ref)
                    self.assertEqual(ann[rid]["namespace"], ns)
                    for o in ann[rid]["data"]:
                        self.assertEqual(set(o), {"time", "duration", "value", "confidence"})
            onset_times = ref["aubio_temporal.onset"]["data_object"]["time"]["numpyArray"]
            self.assertEqual([o["time"] for o in ann["aubio_temporal.onset"]["data"]], onset_times)
            self.assertTrue(all(isinstance(o["value"], str) for o in ann["aubio_silence"]["data"]))

            # Every event and segment is one cue and one label; ffmpeg reads every cue.
            events = sum(len(r["data_object"]["time"]["numpyArray"]) for r in ref.values()
                         if r["time_mode"] in ("event", "segment"))
            globals_ = sum(1 for r in ref.values() if r["time_mode"] == "global")
            with open(files["vtt"]) as f:
                arrows = f.read().count("-->")
            self.assertEqual(arrows, events + globals_)
            self.assertEqual(len(vtt_cues_by_ffmpeg(files["vtt"])), arrows)
            labels = audacity_labels(files["audacity.txt"])
            self.assertEqual(len(labels), events)
            self.assertEqual(labels, sorted(labels, key=lambda l: l[0]))
            onset_labels = [l for l in labels if l[2].startswith("aubio_temporal.onset:")]
            self.assertTrue(all(a == b for a, b, _ in onset_labels))

    def test_aubio_pitch_is_a_pitch_contour(self):
        self.need("aubio_pitch")
        with TempDir() as out:
            files = run_formats(sample("C4_scale.wav"), out, "aubio_pitch", formats="json,jams,hdf5")
            ref = json_results(files["json"])
            hz = ref["aubio_pitch.pitch"]["data_object"]["value"]["numpyArray"]
            with open(files["jams"]) as f:
                ann = {a["sandbox"]["timeside"]["id"]: a for a in json.load(f)["annotations"]}
            contour = ann["aubio_pitch.pitch"]
            self.assertEqual(contour["namespace"], "pitch_contour")
            self.assertEqual(len(contour["data"]), len(hz))
            self.assertEqual([o["value"]["voiced"] for o in contour["data"]], [f > 0 for f in hz])
            self.assertEqual(h5_values(files["h5"], "/aubio_pitch.pitch/data_object/value"), hz)

    def test_spectrogram_streams_into_hdf5_as_a_chunked_growing_dataset(self):
        self.need("spectrogram_analyzer")
        with TempDir() as out:
            files = run_formats(sample("sweep.wav"), out, "spectrogram_analyzer", formats="json,hdf5")
            ref = json_results(files["json"])["spectrogram_analyzer"]
            rows = ref["data_object"]["value"]["numpyArray"]
            header = h5dump("-p", "-H", "-d", "/spectrogram_analyzer/data_object/value", files["h5"])
            self.assertIn("( %d, %d ) / ( H5S_UNLIMITED, %d )" % (len(rows), len(rows[0]), len(rows[0])), header)
            self.assertIn("CHUNKED", header)
            stepsize = h5_attribute(files["h5"], "/spectrogram_analyzer/data_object/frame_metadata/stepsize")
            self.assertEqual(int(stepsize), ref["data_object"]["frame_metadata"]["stepsize"])

    def test_sixty_minutes_of_spectrogram_to_hdf5_stay_under_128_mib(self):
        self.need("spectrogram_analyzer")
        if shutil.disk_usage(os.environ.get("TMPDIR", "/tmp")).free < 6 << 30:
            self.skipTest("less than 6 GiB free for a 60-minute input and its spectrogram")
        with TempDir() as out:
            hour = os.path.join(out, "hour.wav")
            subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", hour, "synth", "3600", "sine",
                            "100-10000", "vol", "0.5"], check=True)
            # Measured as the only child of a fresh process: ru_maxrss of RUSAGE_CHILDREN is
            # the largest of all children so far, and sox was one.
            probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
                     "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            r = subprocess.run(["python3", "-c", probe, TIMESIDE, "run", hour, "spectrogram_analyzer",
                                "--results", "hdf5", "-o", out], capture_output=True, text=True, timeout=900)
            self.assertEqual(r.returncode, 0, r.stderr)
            peak_mib = int(r.stdout.strip().splitlines()[-1]) / 1024
            self.assertLess(peak_mib, 128)
            header = h5dump("-H", "-d", "/spectrogram_analyzer/data_object/value",
                            os.path.join(out, "hour.results.h5"))
            rows = int(re.search(r"SIMPLE \{ \( (\d+),", header).group(1))
            self.assertGreater(rows, 3600 * 10)  # a row every few milliseconds for the whole hour

    def test_an_interrupted_hdf5_run_leaves_nothing(self):
        self.need("spectrogram_analyzer")
        with TempDir() as out:
            long = os.path.join(out, "long.wav")
            subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", long, "synth", "1200",
                            "pinknoise", "vol", "0.5"], check=True)
            proc = subprocess.Popen([TIMESIDE, "run", long, "spectrogram_analyzer", "level", "--results", "hdf5",
                                     "-o", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 10
            while not any(n.startswith(".long.results.h5.part") for n in os.listdir(out)):
                self.assertLess(time.monotonic(), deadline, "no temporary HDF5 file appeared")
                time.sleep(0.02)
            self.assertIsNone(proc.poll(), "finished before the signal; the input is too short")
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, 128 + signal.SIGINT, err)
            self.assertEqual(visible_files(out), ["long.wav"])


if __name__ == "__main__":
    unittest.main()
