"""The admin's JSON routes (src/server/admin_routes.cpp): GET /admin/api/mounts, GET
/admin/api/mounts/{id}/listeners and POST /admin/api/reload. Each refuses, with 401 and a
WWW-Authenticate challenge and an error naming what was wrong, a request without credentials, with
wrong ones, and every request while [live] admin_password is empty; with the credentials, the
listeners are the connected clients (peer, user agent, time connected, bytes) and a reload reports
each definition file's result (loaded, unchanged, error with the message, removed)."""
import base64
import json
import os
import unittest

from live_support import (ADMIN_PASSWORD, SOURCE_PASSWORD, Listener, Station, ffmpeg_source, file_mount, sine_input,
                          wait_until)
from server_support import Server
from support import SAMPLES, TempDir, stop_process

RIGHT = {"Authorization": "Basic " + base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()}
WRONG = {"Authorization": "Basic " + base64.b64encode(b"admin:not-the-password").decode()}
ROUTES = [("GET", "/admin/api/mounts"), ("GET", "/admin/api/mounts/tone/listeners"), ("POST", "/admin/api/reload")]
STUDIO = f'''name = "Studio"
[input]
kind = "icecast"
password = "{SOURCE_PASSWORD}"
[[outputs]]
format = "mp3"
preset = "mp3-128k"
[fallback]
kind = "silence"
'''
TONE = file_mount(os.path.join(SAMPLES, "C4_scale.wav"), formats=("mp3",), head='name = "Tone"')


def answer(server, method, path, headers=None):
    status, hdrs, body = server.request(method, path, headers)
    return status, hdrs, json.loads(body)


class AdminRoutes(unittest.TestCase):
    def test_refusals_name_what_was_wrong(self):
        with Station({"tone": TONE}) as station:
            station.wait_mount("tone")
            for method, path in ROUTES:
                for headers, message in ((None, "admin credentials required"), (WRONG, "wrong admin credentials"),
                                         ({"Authorization": "Bearer x"}, "wrong admin credentials")):
                    with self.subTest(path=path, headers=headers):
                        status, hdrs, body = answer(station.server, method, path, headers)
                        self.assertEqual(status, 401)
                        self.assertEqual(hdrs["www-authenticate"], 'Basic realm="TimeSide"')
                        self.assertIn(message, body["error"])
                        self.assertEqual(body["status"], 401)
            # The credentials are right, the mount is not there: 404 naming it.
            status, _, body = answer(station.server, "GET", "/admin/api/mounts/nope/listeners", RIGHT)
            self.assertEqual(status, 404)
            self.assertIn("no such mount: 'nope'", body["error"])

    def test_every_route_is_closed_without_an_admin_password(self):
        server = Server(config="[live]\nmax_listeners = 10\n")
        try:
            for method, path in ROUTES:
                with self.subTest(path=path):
                    status, hdrs, body = answer(server, method, path, RIGHT)
                    self.assertEqual(status, 401)
                    self.assertEqual(hdrs["www-authenticate"], 'Basic realm="TimeSide"')
                    self.assertIn("admin credentials are not configured ([live] admin_password)", body["error"])
        finally:
            server.stop_and_cleanup()

    def test_listeners_and_source_of_a_mount(self):
        with Station({"tone": TONE}) as station:
            station.wait_mount("tone")
            listener = Listener(station.port, "/live/tone.mp3", metadata=True)
            self.addCleanup(listener.close)
            listener.wait_audio(16000)
            received = listener.audio_bytes()
            status, _, body = answer(station.server, "GET", "/admin/api/mounts/tone/listeners", RIGHT)
            self.assertEqual(status, 200)
            self.assertEqual((body["id"], body["count"]), ("tone", 1))
            [l] = body["listeners"]
            self.assertEqual((l["output"], l["format"], l["user_agent"], l["icy_metadata"]),
                             ("/live/tone.mp3", "mp3", "timeside-test", True))
            self.assertTrue(l["peer"].startswith("127.0.0.1:"), l["peer"])
            # Bytes sent: at least what the listener read; connected for: since it came (> 0).
            self.assertGreaterEqual(l["bytes_sent"], received)
            self.assertGreater(l["connected_seconds"], 0)
            # The source as /api/status has it (a file input: no client connected).
            self.assertEqual(body["source"], station.mount_status("tone")["source"])
            self.assertIn("file", body["source"]["input"])
            # The list of all mounts holds the same, and the listener leaves it when it closes.
            status, _, all_mounts = answer(station.server, "GET", "/admin/api/mounts", RIGHT)
            self.assertEqual([m["id"] for m in all_mounts["mounts"]], ["tone"])
            listener.close()
            wait_until("the listener gone from the admin's list",
                       lambda: answer(station.server, "GET", "/admin/api/mounts/tone/listeners", RIGHT)[2]["count"] == 0)

    def test_a_connected_source_its_peer_type_and_bytes(self):
        with Station({"studio": STUDIO}) as station:
            station.wait_mount("studio")
            source = ffmpeg_source(station.port, "studio", sine_input(440, 30), fmt="mp3")
            self.addCleanup(stop_process, source)
            mount = lambda: answer(station.server, "GET", "/admin/api/mounts/studio/listeners", RIGHT)[2]
            first = wait_until("the source connected with bytes",
                               lambda: (lambda m: m if m["source"]["connected"] and m["source"].get("client", {}).get("bytes", 0) > 0 else None)(mount()),
                               timeout=15)
            client = first["source"]["client"]
            self.assertEqual(client["content_type"], "audio/mpeg")
            self.assertTrue(client["peer"].startswith("127.0.0.1:"), client)
            self.assertIn("Lavf", client["user_agent"])  # ffmpeg's
            self.assertIn("since", first["source"])
            # The count grows as ffmpeg sends (real time, 128 kbit/s: 16 kB a second).
            wait_until("the source's bytes growing", lambda: mount()["source"]["client"]["bytes"] >= client["bytes"] + 16000,
                       timeout=10)

    def test_reload_reports_each_file(self):
        with TempDir() as cwd:
            # Started where there is no streams/ folder: no mount, and no watch of the folder (which
            # would read a new file before the request does).
            server = Server(config=f'[live]\nadmin_password = "{ADMIN_PASSWORD}"\n', preexec_fn=lambda: os.chdir(cwd))
            try:
                streams = os.path.join(cwd, "streams")
                os.makedirs(streams)
                with open(os.path.join(streams, "tone.toml"), "w") as f:
                    f.write(TONE)
                status, _, r = answer(server, "POST", "/admin/api/reload", RIGHT)
                self.assertEqual(status, 200)
                self.assertEqual(r["files"], [{"id": "tone", "file": "tone.toml", "result": "loaded", "change": "added"}])
                self.assertEqual((r["added"], r["unchanged"]), (["tone"], 0))
                # Again, nothing changed; then a bad edit: the previous version runs on, the error named.
                status, _, r = answer(server, "POST", "/admin/api/reload", RIGHT)
                self.assertEqual(r["files"], [{"id": "tone", "file": "tone.toml", "result": "unchanged"}])
                with open(os.path.join(streams, "tone.toml"), "w") as f:
                    f.write(TONE.replace("[input]", "[input]\nsurprise = 1"))
                status, _, r = answer(server, "POST", "/admin/api/reload", RIGHT)
                [f] = r["files"]
                self.assertEqual((f["result"], f["running"]), ("error", "previous version"))
                self.assertIn("surprise", f["error"])
                self.assertIn("tone.toml", f["error"])
                os.unlink(os.path.join(streams, "tone.toml"))
                status, _, r = answer(server, "POST", "/admin/api/reload", RIGHT)
                self.assertEqual(r["files"], [{"id": "tone", "file": "tone.toml", "result": "removed"}])
                self.assertEqual(r["removed"], ["tone"])
                # A file name that is not UTF-8 (anyone who can write the folder can make one): the
                # report names it with U+FFFD, and the server answers on (it used to die here).
                odd = os.path.join(os.fsencode(streams), b"caf\xe9.toml")
                with open(odd, "w") as f:
                    f.write(TONE)
                status, _, r = answer(server, "POST", "/admin/api/reload", RIGHT)
                self.assertEqual(status, 200)
                [f] = r["files"]
                self.assertEqual(f["file"], "caf\ufffd.toml")
                self.assertEqual(server.request("GET", "/api/status")[0], 200)
            finally:
                server.stop_and_cleanup()


if __name__ == "__main__":
    unittest.main()
