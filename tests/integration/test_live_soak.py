"""The soak, short: bench/live_soak.py (one mount with three outputs and three analyzers, listeners
coming and going, one that stays) for 45 s, its RSS growth after 20 s under 5 MiB and the staying
listener still at real time. `make soak` runs the same for an hour."""
import os
import subprocess
import sys
import unittest

from support import BUILD, ROOT


class LiveSoak(unittest.TestCase):
    def test_a_mount_with_analyzers_keeps_its_memory_flat(self):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "live_soak.py"), "--build", BUILD,
                            "--minutes", "0.75", "--every", "2.5", "--settle", "20", "--max-growth", "5"],
                           capture_output=True, text=True, timeout=180)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("RESULT live_soak: ok", r.stdout)


if __name__ == "__main__":
    unittest.main()
