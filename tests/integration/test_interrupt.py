"""Long runs: SIGTERM / SIGINT mid-encode leave nothing under any output's name (and no
temporary files); on a terminal a progress line is shown, on a pipe nothing is."""
import os
import pty
import signal
import subprocess
import time
import unittest

from support import TIMESIDE, TempDir, visible_files


class InterruptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.long = os.path.join(cls.dir, "long.wav")
        subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", cls.long, "synth", "600",
                        "pinknoise", "vol", "0.5"], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def interrupt_mid_encode(self, sig):
        with TempDir() as out:
            proc = subprocess.Popen([TIMESIDE, "run", self.long, "vorbis_encoder", "waveform_simple", "level",
                                     "-o", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Some bytes must already be on disk, under a temporary name, for the test to mean anything.
            deadline = time.monotonic() + 10
            while not any(n.startswith(".long.ogg.part") and os.path.getsize(os.path.join(out, n)) > 0
                          for n in os.listdir(out)):
                self.assertLess(time.monotonic(), deadline, f"no encoded bytes on disk: {os.listdir(out)}")
                time.sleep(0.02)
            self.assertIsNone(proc.poll(), "finished before the signal; the input is too short")
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, 128 + sig, err)
            self.assertIn("interrupted", err)
            self.assertEqual(visible_files(out), [])

    def test_sigterm_mid_encode_leaves_nothing(self):
        self.interrupt_mid_encode(signal.SIGTERM)

    def test_sigint_mid_encode_leaves_nothing(self):
        self.interrupt_mid_encode(signal.SIGINT)

    def test_progress_is_shown_on_a_terminal(self):
        with TempDir() as out:
            master, slave = pty.openpty()
            proc = subprocess.Popen([TIMESIDE, "run", self.long, "vorbis_encoder", "-o", out],
                                    stdout=subprocess.DEVNULL, stderr=slave)
            os.close(slave)
            seen = b""
            deadline = time.monotonic() + 30
            while b"%" not in seen or b"x " not in seen.split(b"%", 1)[1]:
                if time.monotonic() > deadline:
                    break
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)
            os.close(master)
            self.assertRegex(seen.decode(errors="replace"), r"long \[#* *\] +\d+% [0-9.]+/600\.0 s \d+x")
            self.assertEqual(visible_files(out), [])


if __name__ == "__main__":
    unittest.main()
