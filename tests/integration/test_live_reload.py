"""Stream definitions as a station edits them: a bad one at start stops the server with the file
and the key named; SIGHUP (and a change in the folder) adds, changes and removes mounts, leaves
the mounts whose file did not change alone (their listeners keep one stream), and keeps the
previous version of a mount whose new file is bad, its error shown in /api/streams."""
import os
import signal
import unittest

from live_support import Listener, Station, check_mp3_back_to_back, wait_until
from server_support import run_serve
from support import TempDir, sample

SINE = sample("sine440Hz_mono.wav")


def signal_mount(freq, name="Signal"):
    return f'''
name = "{name}"

[input]
kind = "signal"
signal = "sine:{freq}"

[[outputs]]
format = "mp3"
preset = "mp3-128k"
'''


FILE_MOUNT = f'''
name = "Looped file"

[input]
kind = "file"
uri = "{SINE}"

[[outputs]]
format = "mp3"
preset = "mp3-128k"
'''


def streams_by_id(station):
    return {s["id"]: s for s in station.server.get("/api/streams")[2]["streams"]}


def mounts_by_id(station):
    return {m["id"]: m for m in station.status()["live"]["mounts"]}


class LiveReload(unittest.TestCase):
    def test_a_bad_definition_at_start_stops_the_server_naming_the_file_and_key(self):
        with TempDir() as tmp:

            with open(os.path.join(tmp, "bad.toml"), "w") as f:
                f.write('name = "x"\n[input]\nkind = "signal"\n[[outputs]]\nformat = "mp3"\n[listeners]\nburst = -1\n')
            r = run_serve("--streams", tmp, "--listen", "127.0.0.1:0")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("bad.toml", r.stderr)
            self.assertIn("listeners.burst", r.stderr)

    def test_sighup_adds_changes_and_removes_mounts_and_leaves_the_others_alone(self):
        with Station({"file": FILE_MOUNT, "changes": signal_mount(440), "goes": signal_mount(550)}) as station:
            for m in ("file", "changes", "goes"):
                station.wait_mount(m)
            kept = Listener(station.port, "/live/file.mp3")
            self.addCleanup(kept.close)
            leaving = Listener(station.port, "/live/goes.mp3")
            self.addCleanup(leaving.close)
            self.assertEqual(kept.status(), 200)
            self.assertEqual(leaving.status(), 200)
            kept.wait_audio(16000)
            before = mounts_by_id(station)

            station.write("added", signal_mount(660, "Added"))
            station.write("changes", signal_mount(880, "Changed"))
            station.remove("goes")
            station.server.proc.send_signal(signal.SIGHUP)

            station.wait_mount("added")
            wait_until("the changed mount restarted", lambda: (lambda m: m.get("changes", {}).get("name") == "Changed"
                                                              and m["changes"]["state"] == "running")(mounts_by_id(station)))
            wait_until("the removed mount gone", lambda: "goes" not in mounts_by_id(station))
            leaving.wait_closed()
            after = mounts_by_id(station)
            self.assertEqual(after["file"]["stream_start"], before["file"]["stream_start"])
            self.assertNotEqual(after["changes"]["stream_start"], before["changes"]["stream_start"])
            # The untouched mount's listener is still on the same stream, which keeps coming.
            n = kept.audio_bytes()
            kept.wait_audio(n + 32000)
            self.assertFalse(kept.closed)
            check_mp3_back_to_back(self, kept.snapshot())

    def test_a_bad_new_version_keeps_the_old_one_running_with_the_error_shown(self):
        with Station({"file": FILE_MOUNT}) as station:
            station.wait_mount("file")
            kept = Listener(station.port, "/live/file.mp3")
            self.addCleanup(kept.close)
            kept.wait_audio(16000)
            station.write("file", FILE_MOUNT + "\n[listeners]\nqueue = \"long\"\n")
            station.server.proc.send_signal(signal.SIGHUP)
            entry = wait_until("the error in /api/streams", lambda: (lambda s: s if s.get("error") else None)(
                streams_by_id(station)["file"]))
            self.assertIn("file.toml", entry["error"])
            self.assertIn("listeners.queue", entry["error"])
            station.server.wait_for_log(r"file\.toml.*listeners\.queue")
            self.assertEqual(mounts_by_id(station)["file"]["state"], "running")
            n = kept.audio_bytes()
            kept.wait_audio(n + 32000)
            self.assertFalse(kept.closed)
            # Fixed again: the error goes, the mount (its content unchanged from what runs) stays.
            station.write("file", FILE_MOUNT)
            station.server.proc.send_signal(signal.SIGHUP)
            wait_until("the error cleared", lambda: not streams_by_id(station)["file"].get("error"))
            self.assertFalse(kept.closed)

    def test_a_new_file_in_the_folder_starts_its_mount_without_a_signal(self):
        with Station({}) as station:
            station.write("dropped", signal_mount(330, "Dropped in"))
            station.wait_mount("dropped", timeout=10)
            l = Listener(station.port, "/live/dropped.mp3")
            self.addCleanup(l.close)
            self.assertEqual(l.status(), 200)
            l.wait_audio(16000)


if __name__ == "__main__":
    unittest.main()
