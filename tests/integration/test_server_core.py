"""The HTTP core of `timeside serve`, driven with http.client, curl and raw sockets: JSON errors,
refused traversal, header limits (431), slowloris cut off by the read timeout, keep-alive, the
connection cap (503), the access log, bad configurations, and the drain on SIGTERM."""
import json
import os
import re
import resource
import socket
import subprocess
import time
import unittest

from server_support import Server, parse_response, read_all, run_serve
from support import SAMPLES, TIMESIDE, TempDir, free_port

READ_TIMEOUT = 2.0
IDLE_TIMEOUT = 3.0
CONFIG = f"""
[server]
read_timeout = {READ_TIMEOUT}
idle_timeout = {IDLE_TIMEOUT}
header_limit = 8192
threads = 2
"""


class ServerCoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(config=CONFIG)
        cls.server.wait_scanned()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_and_cleanup()

    def assert_json_error(self, status, headers, body, code):
        self.assertEqual(status, code)
        self.assertEqual(headers["content-type"], "application/json")
        doc = json.loads(body)
        self.assertEqual(set(doc), {"error", "status"})
        self.assertEqual(doc["status"], code)
        self.assertTrue(doc["error"])
        return doc

    def test_unknown_routes_and_ids_are_404_json(self):
        for path in ("/nothing", "/api/items/no-such-item", "/api/items/albums/none"):
            with self.subTest(path):
                doc = self.assert_json_error(*self.server.request("GET", path), 404)
                self.assertIn(path.rsplit("/", 1)[-1], doc["error"])

    def test_wrong_method_is_405_with_allow(self):
        status, headers, body = self.server.request("DELETE", "/api/items")
        self.assert_json_error(status, headers, body, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")

    def test_head_has_the_get_headers_and_no_body(self):
        _, get_headers, get_body = self.server.request("GET", "/api/items")
        status, headers, body = self.server.request("HEAD", "/api/items")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertEqual(int(headers["content-length"]), len(get_body))

    def test_traversal_attempts_are_refused(self):
        # Raw targets, exactly as written: http.client and `curl --path-as-is` do not normalize.
        for target in ("/api/items/..%2f..%2fetc%2fpasswd", "/api/items/..%2F..%2Fetc%2Fpasswd",
                       "/media/../../x.ogg", "/api/items/%2e%2e/%2e%2e/etc/passwd", "/api/items/..",
                       "/api/items/a%5c..%5c..%5cetc%5cpasswd", "/api/items/sweep%00.wav"):
            with self.subTest(target):
                status, headers, body = self.server.request("GET", target)
                self.assert_json_error(status, headers, body, 400)
                self.assertNotIn(b"root:", body)
        out = subprocess.run(["curl", "-s", "--path-as-is", "-o", "-", "-w", "\n%{http_code}",
                              f"http://127.0.0.1:{self.server.port}/media/../../x.ogg"],
                             capture_output=True, text=True, timeout=10).stdout
        body, code = out.rsplit("\n", 1)
        self.assertEqual(code, "400")
        self.assertEqual(json.loads(body)["status"], 400)

    def test_oversize_headers_get_431(self):
        big = "X-Padding: " + "a" * 16384 + "\r\n"
        raw = self.server.raw(f"GET /api/items HTTP/1.1\r\nHost: x\r\n{big}\r\n".encode())
        status, headers, body = parse_response(raw)
        doc = self.assert_json_error(status, headers, body, 431)
        self.assertIn("8192", doc["error"])

    def test_oversize_body_gets_413_before_it_is_sent(self):
        raw = self.server.raw(b"POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
        status, headers, body = parse_response(raw)
        doc = self.assert_json_error(status, headers, body, 413)
        self.assertIn("1048576", doc["error"])

    def test_malformed_request_gets_400(self):
        status, headers, body = parse_response(self.server.raw(b"GET /api/items HTTP/1.1\r\nBad Header\r\n\r\n"))
        self.assert_json_error(status, headers, body, 400)

    def test_slowloris_is_cut_off_by_the_read_timeout(self):
        request = b"GET /api/items HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n\r\n"
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            started = time.monotonic()
            sent, closed_at = 0, None
            for byte in request:
                try:
                    s.sendall(bytes([byte]))
                    sent += 1
                except (BrokenPipeError, ConnectionResetError):
                    closed_at = time.monotonic()
                    break
                # The server closing shows as a readable socket with nothing to read.
                s.settimeout(1.0)
                try:
                    data = s.recv(4096)
                    if not data:
                        closed_at = time.monotonic()
                        break
                    self.fail(f"the server answered a request it never fully received: {data[:80]!r}")
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    closed_at = time.monotonic()
                    break
            self.assertIsNotNone(closed_at, "the connection stayed open for the whole slow request")
            self.assertLess(sent, len(request))
            self.assertGreaterEqual(closed_at - started, READ_TIMEOUT - 0.2)
            self.assertLess(closed_at - started, READ_TIMEOUT + 1.5)
        # Others were served meanwhile, and the cut is logged.
        self.assertEqual(self.server.request("GET", "/api/status")[0], 200)
        self.server.wait_for_log(r"warn timeout peer=\S+ phase=request")

    def test_keep_alive_serves_two_requests_on_one_connection(self):
        conn = self.server.connection()
        try:
            conn.request("GET", "/api/items/sweep")
            first = conn.getresponse()
            self.assertEqual(first.status, 200)
            first.read()
            sock = conn.sock
            local_port = sock.getsockname()[1]
            conn.request("GET", "/api/items/sweep-flac")
            second = conn.getresponse()
            self.assertEqual(second.status, 200)
            self.assertEqual(json.loads(second.read())["id"], "sweep-flac")
            self.assertIs(conn.sock, sock, "http.client had to reconnect")
        finally:
            conn.close()
        # The server saw both on the same peer port (each line is written once its answer is sent).
        self.server.wait_for_log(rf"target=/api/items/sweep-flac status=200 .* peer=127\.0\.0\.1:{local_port}\b")
        log = self.server.log()
        peers = re.findall(rf"target=/api/items/(sweep|sweep-flac) status=200 .* peer=127\.0\.0\.1:{local_port}\b", log)
        self.assertEqual(peers, ["sweep", "sweep-flac"])

    def test_idle_keep_alive_connections_are_closed(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=IDLE_TIMEOUT + 5) as s:
            s.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n")
            started = time.monotonic()
            data = read_all(s)  # the answer, then EOF when the idle timeout closes the connection
            elapsed = time.monotonic() - started
        self.assertEqual(parse_response(data)[0], 200)
        self.assertGreater(elapsed, IDLE_TIMEOUT - 0.5)
        self.assertLess(elapsed, IDLE_TIMEOUT + 1.5)

    def test_every_request_is_logged_with_method_target_status_bytes_ms(self):
        self.server.request("GET", "/api/items/sweep-mp3?x=1")
        self.server.wait_for_log(r"info request method=GET target=\"?/api/items/sweep-mp3\?x=1\"? status=200 "
                                 r"bytes=\d+ ms=\d+\.\d{3} peer=127\.0\.0\.1:\d+")

    def test_responses_name_the_server(self):
        _, headers, _ = self.server.request("GET", "/api/status")
        self.assertTrue(headers["server"].startswith("TimeSide/"))


def open_files_limits(pid):
    """(soft, hard) 'Max open files' of a process, from /proc."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise AssertionError("no 'Max open files' in /proc limits")


class OpenFilesLimitTest(unittest.TestCase):
    def test_the_soft_limit_is_raised_to_the_hard_one(self):
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        server = Server(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)))
        try:
            self.assertEqual(open_files_limits(server.proc.pid), (hard, hard))
            self.assertRegex(server.log(), rf"listening url=\S+ threads=\d+ open_files={hard} ")
            self.assertNotIn("open_files limit=", server.log())
        finally:
            server.stop_and_cleanup()

    def test_a_hard_limit_below_the_connection_cap_is_named(self):
        # 1024 + the default 5,000 listeners and 10,000 subscribers: 600 descriptors cannot hold them.
        server = Server(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (600, 600)))
        try:
            self.assertRegex(server.log(), r"warn open_files limit=600 connection_cap=16024 cause=\"fewer descriptors")
            self.assertEqual(server.get("/api/status")[0], 200)  # it serves all the same
        finally:
            server.stop_and_cleanup()


class ConnectionCapTest(unittest.TestCase):
    def test_connections_beyond_the_cap_get_503(self):
        server = Server(config="[server]\nmax_connections = 2\nread_timeout = 5\n")
        held = []
        try:
            for _ in range(2):
                conn = server.connection(timeout=5)
                held.append(conn)
                # Answered 200 on a kept-alive connection: accepted, registered, within the cap.
                conn.request("GET", "/api/status")
                res = conn.getresponse()
                self.assertEqual(res.status, 200)
                self.assertEqual(json.loads(res.read())["connections"], len(held))
            status, headers, body = parse_response(server.raw(b"GET /api/items HTTP/1.1\r\nHost: x\r\n\r\n"))
            self.assertEqual(status, 503)
            self.assertEqual(headers["retry-after"], "1")
            self.assertEqual(json.loads(body)["status"], 503)
            self.assertIn("max_connections = 2", json.loads(body)["error"])
            # The held connections are still served.
            held[0].request("GET", "/api/status", headers={"Connection": "close"})
            self.assertEqual(held[0].getresponse().status, 200)
        finally:
            for conn in held:
                conn.close()
            server.stop_and_cleanup()


class DrainTest(unittest.TestCase):
    def test_sigterm_closes_idle_and_half_sent_connections_and_exits_0(self):
        server = Server(config="[server]\nread_timeout = 30\nidle_timeout = 30\n")
        idle, half, probe = [], None, None
        try:
            for _ in range(3):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                s.sendall(b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n")
                idle.append(s)
            for s in idle:  # each answered, then held open by keep-alive
                self.assertEqual(parse_response(s.recv(65536))[0], 200)
            half = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            half.sendall(b"GET /api/items HTTP/1.1\r\nHost: x\r\n")  # headers not finished
            # Every one of them accepted and registered: the three idle, the half-sent, this probe.
            probe = server.connection()
            deadline = time.monotonic() + 5
            while True:
                probe.request("GET", "/api/status")
                res = probe.getresponse()
                open_now = json.loads(res.read())["connections"]
                if open_now == 5:
                    break
                self.assertLess(time.monotonic(), deadline, f"{open_now} connections open, 5 expected")
                time.sleep(0.02)
            took = server.stop()
            self.assertLess(took, 5.0)
            for s in idle + [half]:
                self.assertEqual(read_all(s), b"")  # closed, nothing more sent
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", server.port), timeout=2)
            self.assertIn("action=drain", server.log())
            self.assertIn("info stopped forced=false", server.log())
        finally:
            for s in idle + ([half] if half else []):
                s.close()
            if probe:
                probe.close()
            server.cleanup()


class BadStartTest(unittest.TestCase):
    def test_bad_config_keys_and_values_exit_2_naming_them(self):
        with TempDir() as d:
            path = os.path.join(d, "bad.toml")
            with open(path, "w") as f:
                f.write("[server]\nread_timeout = -1\n")
            r = run_serve("--config", path)
            self.assertEqual(r.returncode, 2)
            self.assertIn("server.read_timeout", r.stderr)
            self.assertIn("from 0.1 to 3600", r.stderr)
            with open(path, "w") as f:
                f.write("[server]\nlisten_addr = \"x\"\n")
            r = run_serve("--config", path)
            self.assertEqual(r.returncode, 2)
            self.assertIn("unknown key 'server.listen_addr'", r.stderr)
        r = run_serve("--config", "/nonexistent/timeside.toml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/timeside.toml", r.stderr)
        r = run_serve("--listen", "8000")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--listen: expected HOST:PORT", r.stderr)

    def test_a_busy_port_exits_1_naming_the_address(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            r = run_serve("--listen", f"127.0.0.1:{port}", "--media", SAMPLES)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"listen 127.0.0.1:{port}", r.stderr)
        self.assertIn("in use", r.stderr)

    def test_the_default_host_is_loopback(self):
        port = free_port()
        # --listen :PORT keeps the default host.
        proc = subprocess.Popen([TIMESIDE, "serve", "--listen", f":{port}", "--media", SAMPLES],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            # The mounts of a streams/ folder (if the working directory has one) announce
            # themselves before the listening line: read up to it.
            lines = []
            for _ in range(50):
                lines.append(proc.stderr.readline())
                if re.search(r"\blistening url=", lines[-1]) or not lines[-1]:
                    break
            self.assertIn(f"url=http://127.0.0.1:{port}/", lines[-1], lines)
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(timeout=5), 0)
            proc.stderr.close()

if __name__ == "__main__":
    unittest.main()
