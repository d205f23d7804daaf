"""/metrics, /api/status and /api/streams of the real `timeside serve`: requests counted exactly by
route pattern and status (bytes checked against what the socket received), the open connections
gauge while clients hold connections, transcode outcomes after a finished and a cancelled encode,
the status fields, and the stream definitions listing with a good and a broken TOML file."""
import json
import os
import re
import shutil
import socket
import subprocess
import time
import unittest

from server_support import Server, run_serve
from support import SAMPLES, TIMESIDE, TempDir

LONG_SECONDS = 300
SAMPLE_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse_metrics(text):
    """{(name, frozenset of (label, value)): value} from Prometheus text; every line must parse."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_LINE.match(line)
        if not m:
            raise AssertionError(f"not a sample line: {line!r}")
        labels = frozenset((k, v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\"))
                           for k, v in LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def key(name, **labels):
    return (name, frozenset(labels.items()))


def exchange(sock, method, path):
    """Sends one keep-alive request and reads exactly its response: (status, raw bytes received)."""
    sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    raw = b""
    while b"\r\n\r\n" not in raw:
        data = sock.recv(65536)
        if not data:
            raise AssertionError(f"connection closed during {method} {path}")
        raw += data
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    length = 0 if method == "HEAD" else int(re.search(r"(?im)^content-length: *(\d+)", head).group(1))
    total = len(head) + 4 + length
    while len(raw) < total:
        raw += sock.recv(65536)
    return int(head.split()[1]), raw[:total]


class ServerStatusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        root = cls.tmp.__enter__()
        cls.media = os.path.join(root, "media")
        cls.streams = os.path.join(root, "streams")
        os.makedirs(cls.media)
        os.makedirs(cls.streams)
        shutil.copy(os.path.join(SAMPLES, "sweep.wav"), cls.media)
        subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", "-b", "16", os.path.join(cls.media, "long.wav"),
                        "synth", str(LONG_SECONDS), "sine", "440", "vol", "0.5"], check=True)
        with open(os.path.join(cls.streams, "radio.toml"), "w") as f:
            f.write('name = "Radio"\n[input]\nkind = "icecast"\n[[outputs]]\nformat = "opus"\nbitrate = 96\n')
        # No cache: a client that leaves cancels its encode, and every request encodes afresh.
        cls.server = Server(media=(cls.media,), config="[server]\nthreads = 2\n[cache]\nmax_size = 0\n",
                            extra=("--streams", cls.streams))
        cls.server.wait_scanned()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_and_cleanup()
        cls.tmp.__exit__(None, None, None)

    def scrape(self, sock=None):
        if sock is None:
            status, headers, body = self.server.request("GET", "/metrics")
            self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        else:
            status, raw = exchange(sock, "GET", "/metrics")
            body = raw.split(b"\r\n\r\n", 1)[1]
        self.assertEqual(status, 200)
        return parse_metrics(body.decode())

    def wait_metric(self, k, value, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.scrape().get(k, 0)
            if got == value or time.monotonic() > deadline:
                self.assertEqual(got, value, k)
                return
            time.sleep(0.05)

    def test_requests_are_counted_by_route_and_status_exactly(self):
        requests = [("GET", "/api/items")] * 3 + [("GET", "/api/items/sweep")] * 2 + [
            ("GET", "/api/items/nope"), ("GET", "/no/such/thing"), ("GET", "/media/x/../../etc"),
            ("HEAD", "/api/items"), ("DELETE", "/api/items")]
        # One keep-alive connection: each response is counted before the next request is read.
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            # Requests of earlier tests are counted just after their answers went out, before
            # their connections close: once this one is the only one open, all have landed.
            gauge = key("timeside_http_open_connections")
            deadline = time.monotonic() + 5
            while (before := self.scrape(s)).get(gauge) != 1:
                self.assertLess(time.monotonic(), deadline, "earlier connections still open")
                time.sleep(0.05)
            received = {}
            statuses = []
            for method, path in requests:
                status, raw = exchange(s, method, path)
                statuses.append(status)
                # An unknown GET path is the web folder's (its catch-all route, last); a path
                # the router refuses ("..") matches nothing.
                route = "/api/items/{id+}" if path.startswith("/api/items/") else \
                    "/api/items" if path == "/api/items" else "/{path+}" if path == "/no/such/thing" else "unmatched"
                received[route] = received.get(route, 0) + len(raw)
            after = self.scrape(s)
        self.assertEqual(statuses, [200, 200, 200, 200, 200, 404, 404, 400, 200, 405])

        def delta(k):
            return after.get(k, 0) - before.get(k, 0)

        req = "timeside_http_requests_total"
        self.assertEqual(delta(key(req, route="/api/items", method="GET", status="200")), 3)
        self.assertEqual(delta(key(req, route="/api/items/{id+}", method="GET", status="200")), 2)
        self.assertEqual(delta(key(req, route="/api/items/{id+}", method="GET", status="404")), 1)
        self.assertEqual(delta(key(req, route="/{path+}", method="GET", status="404")), 1)
        self.assertEqual(delta(key(req, route="unmatched", method="GET", status="400")), 1)
        self.assertEqual(delta(key(req, route="/api/items", method="HEAD", status="200")), 1)
        self.assertEqual(delta(key(req, route="/api/items", method="DELETE", status="405")), 1)
        self.assertEqual(delta(key(req, route="/metrics", method="GET", status="200")), 1)  # the first scrape
        # No raw path ever becomes a label.
        routes = {dict(labels).get("route") for (name, labels) in after if name == req}
        self.assertFalse({"/api/items/sweep", "/no/such/thing", "/api/items/nope"} & routes)
        # Bytes: exactly what the socket received, head included.
        for route, n in received.items():
            self.assertEqual(delta(key("timeside_http_response_bytes_total", route=route)), n, route)
        # First byte: every answer with a body (all but the HEAD), plus the first scrape.
        ttfb = "timeside_http_time_to_first_byte_seconds"
        self.assertEqual(delta(key(ttfb + "_count")), len(requests) - 1 + 1)
        self.assertEqual(after[key(ttfb + "_bucket", le="+Inf")], after[key(ttfb + "_count")])
        self.assertLess(delta(key(ttfb + "_sum")), 1.0)  # eleven small answers on loopback

    def test_open_connections_gauge_follows_held_connections(self):
        gauge = key("timeside_http_open_connections")
        # Connections of earlier tests close a moment after their clients leave: only the
        # scraping connection must remain.
        self.wait_metric(gauge, 1)
        held = [socket.create_connection(("127.0.0.1", self.server.port), timeout=10) for _ in range(3)]
        try:
            for s in held:
                self.assertEqual(exchange(s, "GET", "/api/status")[0], 200)  # accepted and registered
            # Asked on the held connections themselves, so no other connection is open: exactly 3
            # (once the wait_metric scrapes' connections have closed).
            deadline = time.monotonic() + 3
            while True:
                gauge_now = parse_metrics(exchange(held[0], "GET", "/metrics")[1].split(b"\r\n\r\n", 1)[1].decode())[gauge]
                status = json.loads(exchange(held[1], "GET", "/api/status")[1].split(b"\r\n\r\n", 1)[1])
                if (gauge_now, status["connections"]) == (3, 3) or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual((gauge_now, status["connections"]), (3, 3))
        finally:
            for s in held:
                s.close()
        self.wait_metric(gauge, 1)

    def test_transcode_outcomes_done_and_cancelled(self):
        before = self.scrape()
        status, headers, body = self.server.request("GET", "/media/sweep.ogg")
        self.assertEqual(status, 200)
        self.assertGreater(len(body), 1000)
        done = key("timeside_transcodes_total", format="ogg", outcome="done")
        self.wait_metric(done, before.get(done, 0) + 1)

        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(b"GET /media/long.wav HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertIn(b"200 OK", s.recv(65536))
            self.assertEqual(self.scrape()[key("timeside_transcodes_active")], 1)
        cancelled = key("timeside_transcodes_total", format="wav", outcome="cancelled")
        self.wait_metric(cancelled, before.get(cancelled, 0) + 1)
        self.wait_metric(key("timeside_transcodes_active"), 0)

        after = self.scrape()
        rtf = "timeside_transcode_realtime_factor"
        # Only the finished encode gives a factor: sweep's seconds over its wall time, at least real time.
        self.assertEqual(after[key(rtf + "_count")] - before.get(key(rtf + "_count"), 0), 1)
        factor = after[key(rtf + "_sum")] - before.get(key(rtf + "_sum"), 0)
        self.assertGreater(factor, 1.0)
        self.assertEqual(after[key(rtf + "_bucket", le="+Inf")], after[key(rtf + "_count")])
        status = self.server.get("/api/status")[2]
        self.assertEqual(status["transcodes"]["active"], 0)
        self.assertEqual(status["transcodes"]["done"], sum(v for (n, l), v in after.items()
                                                           if n == "timeside_transcodes_total" and ("outcome", "done") in l))
        self.assertGreaterEqual(status["transcodes"]["cancelled"], 1)

    def test_status_reports_items_transcodes_cache_uptime_version(self):
        first = self.server.get("/api/status")[2]
        time.sleep(0.2)
        status, headers, doc = self.server.get("/api/status")
        self.assertEqual(status, 200)
        version = subprocess.run([TIMESIDE, "--version"], capture_output=True, text=True).stdout
        self.assertIn(doc["version"], version)
        self.assertEqual(doc["items"], 2)  # sweep.wav and long.wav
        self.assertEqual(doc["library"]["items"], 2)
        self.assertGreaterEqual(doc["uptime"] - first["uptime"], 0.2)
        self.assertGreaterEqual(doc["connections"], 1)
        self.assertEqual(doc["transcodes"]["max"], 64)
        self.assertEqual(doc["cache"]["max_bytes"], 0)  # [cache] max_size = 0
        self.assertEqual(set(doc["cache"]), {"bytes", "entries", "max_bytes", "hits", "misses"})
        metrics = self.scrape()
        self.assertEqual(metrics[key("timeside_library_items")], 2)
        self.assertEqual(metrics[key("timeside_cache_bytes")], doc["cache"]["bytes"])

    def streams_when(self, what, predicate, timeout=10):
        """/api/streams once `predicate(listing by id)` holds: the folder is watched, a change is
        read once it has been quiet for 200 ms."""
        deadline = time.monotonic() + timeout
        while True:
            doc = self.server.get("/api/streams")[2]
            by_id = {s["id"]: s for s in doc["streams"]}
            if predicate(by_id):
                return doc, by_id
            if time.monotonic() > deadline:
                raise AssertionError(f"/api/streams: {what} not within {timeout} s: {doc}")
            time.sleep(0.05)

    def test_streams_lists_good_and_broken_definitions(self):
        # A broken file at start would stop the server (exit 2: test_live_reload); one that
        # appears later is listed with its error, and the server stays up.
        broken_path = os.path.join(self.streams, "broken.toml")
        with open(broken_path + ".part", "w") as f:
            f.write('name = "Broken"\n\n[input\nkind = "file"\n')
        os.rename(broken_path + ".part", broken_path)
        self.addCleanup(os.unlink, broken_path)
        doc, by_id = self.streams_when("the broken file", lambda s: "broken" in s)
        self.assertEqual(doc["count"], 2)
        self.assertEqual(sorted(by_id), ["broken", "radio"])
        radio = by_id["radio"]
        self.assertEqual(radio["file"], os.path.join(self.streams, "radio.toml"))
        # The checked definition, defaults filled in; the generated source password is never shown.
        definition = radio["definition"]
        self.assertEqual(definition["name"], "Radio")
        self.assertEqual(definition["input"], {"kind": "icecast", "source_url": "/live/radio", "password_set": True,
                                               "password_generated": True})
        self.assertEqual(definition["outputs"], [{"format": "opus", "url": "/live/radio.opus",
                                                  "encoder": "opus_encoder:bitrate=96", "content_type": "audio/ogg",
                                                  "bitrate": 96, "push": []}])
        self.assertEqual(definition["listeners"], {"max": 0, "burst": 2.0, "burst_bytes": 65536, "queue": 10.0,
                                                   "metaint": 16000})
        broken = by_id["broken"]
        self.assertNotIn("definition", broken)
        self.assertRegex(broken["error"], r"^" + re.escape(os.path.join(self.streams, "broken.toml")) + r":3: .+")
        # A definition that parses but breaks a rule names its key.
        path = os.path.join(self.streams, "later.toml")
        with open(path + ".part", "w") as f:
            f.write('name = "Later"\n[input]\nkind = "signal"\n[[outputs]]\nformat = "mp3"\n[listeners]\nburst = -1\n')
        os.rename(path + ".part", path)
        try:
            _, by_id = self.streams_when("the later file", lambda s: "later" in s)
            self.assertEqual(sorted(by_id), ["broken", "later", "radio"])
            self.assertEqual(by_id["later"]["error"], path + ":7: key 'listeners.burst': expected a number of seconds "
                                                             "from 0 to 60, got -1")
            self.assertEqual(by_id["later"]["state"], "failed")
        finally:
            os.unlink(path)
        self.assertEqual(self.server.get("/api/status")[0], 200)


class StreamsFolderTest(unittest.TestCase):
    def test_a_missing_folder_given_explicitly_is_a_usage_error(self):
        with TempDir() as d:
            missing = os.path.join(d, "nope")
            r = run_serve("--listen", "127.0.0.1:0", "--streams", missing)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(missing, r.stderr)
            with open(os.path.join(d, "t.toml"), "w") as f:
                f.write('[live]\nstreams = "gone"\n')
            r = run_serve("--listen", "127.0.0.1:0", "--config", os.path.join(d, "t.toml"))
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(os.path.join(d, "gone"), r.stderr)

    def test_a_missing_default_folder_lists_nothing(self):
        with TempDir() as d:
            cwd = os.getcwd()
            os.chdir(d)  # no streams/ here
            try:
                server = Server(media=(SAMPLES,))
            finally:
                os.chdir(cwd)
            try:
                status, _, doc = server.get("/api/streams")
                self.assertEqual((status, doc["count"], doc["streams"]), (200, 0, []))
            finally:
                server.stop_and_cleanup()


if __name__ == "__main__":
    unittest.main()
