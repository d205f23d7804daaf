"""Inputs a stranger controls: each fails within 10 s with one line on stderr naming the input
and the cause, exit 1 (processing) or 2 (usage), and leaves nothing under an output's name."""
import os
import shutil
import time
import unittest

from support import TempDir, free_port, run, sample, visible_files


class BadInputTest(unittest.TestCase):
    def run_bad(self, path, expect_in_message, specs=("level", "vorbis_encoder", "waveform_simple")):
        with TempDir() as out:
            started = time.monotonic()
            r = run("run", path, *specs, "-o", out, timeout=30)
            elapsed = time.monotonic() - started
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertLess(elapsed, 10)
            lines = r.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertIn(path, lines[0])
            self.assertIn(expect_in_message, lines[0])
            self.assertEqual(visible_files(out), [])

    def test_missing_file(self):
        self.run_bad("/nonexistent/missing.wav", "no such file")

    def test_directory(self):
        with TempDir() as d:
            self.run_bad(d, "is a directory")

    def test_dev_null(self):
        self.run_bad("/dev/null", "not a regular file")

    def test_empty_file(self):
        with TempDir() as d:
            path = os.path.join(d, "empty.wav")
            open(path, "wb").close()
            self.run_bad(path, "empty file")

    def test_text_file(self):
        with TempDir() as d:
            path = os.path.join(d, "notes.txt")
            with open(path, "w") as f:
                f.write("These are not the samples you are looking for.\n" * 50)
            self.run_bad(path, "not a media file")

    def test_truncated_wav(self):
        with TempDir() as d:
            path = os.path.join(d, "cut.wav")
            shutil.copy(sample("sweep.wav"), path)
            os.truncate(path, os.path.getsize(path) // 3)
            self.run_bad(path, "truncated WAV")

    def test_truncated_flac_still_fails_or_decodes_what_is_there(self):
        # FLAC has no cheap header check; GStreamer must either decode what is there or fail clean.
        with TempDir() as d, TempDir() as out:
            path = os.path.join(d, "cut.flac")
            shutil.copy(sample("sweep.flac"), path)
            os.truncate(path, os.path.getsize(path) // 2)
            r = run("run", path, "level", "-o", out, timeout=30)
            self.assertIn(r.returncode, (0, 1), r.stderr)
            if r.returncode == 1:
                self.assertEqual(len(r.stderr.strip().splitlines()), 1)
                self.assertEqual(visible_files(out), [])

    def test_http_url_that_refuses(self):
        port = free_port()  # nothing listens there
        self.run_bad(f"http://127.0.0.1:{port}/sweep.wav", "Connection refused")

    def test_unwritable_output_fails_before_decoding(self):
        # The output name is taken by a directory: works whoever runs the tests (root included).
        with TempDir() as out:
            os.mkdir(os.path.join(out, "sweep.ogg"))
            started = time.monotonic()
            r = run("run", sample("sweep.wav"), "level", "vorbis_encoder", "-o", out)
            self.assertEqual(r.returncode, 1)
            self.assertLess(time.monotonic() - started, 5)
            self.assertEqual(r.stderr.strip(), f"timeside: cannot write {out}/sweep.ogg: it is a directory")
            self.assertEqual(visible_files(out), ["sweep.ogg"])  # and no results file either

    def test_output_under_a_file_fails_cleanly(self):
        # Works as root too: a directory under a regular file can never be created.
        with TempDir() as d:
            blocker = os.path.join(d, "plain-file")
            open(blocker, "w").close()
            r = run("run", sample("sweep.wav"), "vorbis_encoder", "-o", os.path.join(blocker, "out"))
            self.assertEqual(r.returncode, 1)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1)
            self.assertIn("Not a directory", r.stderr)
            self.assertEqual(visible_files(d), ["plain-file"])


class UsageErrorTest(unittest.TestCase):
    def usage(self, *args):
        with TempDir() as out:
            r = run("run", sample("sweep.wav"), *args, "-o", out)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertEqual(visible_files(out), [])
            return r.stderr

    def test_unknown_processor_lists_the_valid_ones(self):
        msg = self.usage("levle")
        self.assertIn("unknown processor or preset 'levle'", msg)
        self.assertIn("opus-64k", msg)  # presets are offered too
        self.assertIn("level", msg)
        self.assertIn("vorbis_encoder", msg)

    def test_unknown_parameter_lists_the_valid_ones(self):
        msg = self.usage("waveform_simple:colour=red")
        self.assertIn("unknown parameter 'colour'", msg)
        self.assertIn("width", msg)

    def test_out_of_range_value_names_the_range(self):
        self.assertIn("from 1 to", self.usage("waveform_simple:width=0"))
        self.assertIn("quality", self.usage("vorbis_encoder:quality=3"))

    def test_bad_option_values(self):
        self.assertIn("start", self.usage("level", "--start", "-1"))
        self.assertIn("xml", self.usage("level", "--results", "xml"))
        self.assertIn("blocksize", self.usage("level", "--blocksize", "0"))

    def test_two_outputs_with_one_name(self):
        self.assertIn("would both write", self.usage("vorbis_encoder", "vorbis_encoder:quality=0.9"))

    def test_output_that_would_replace_the_input(self):
        with TempDir() as d:
            src = os.path.join(d, "x.ogg")
            shutil.copy(sample("sweep.ogg"), src)
            r = run("run", src, "vorbis_encoder", "-o", d)
            self.assertEqual(r.returncode, 2)
            self.assertIn("would replace the input", r.stderr)

    def test_no_spec(self):
        r = run("run", sample("sweep.wav"))
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
