"""The HTTP edge of `timeside serve` against hostile requests, over raw sockets: targets that are
not UTF-8 (a 400 naming it, never a crash), chunked framing that must count against the limits
(a bounded answer, bounded memory), and transfer codings that would smuggle a second request."""
import json
import os
import re
import select
import socket
import time
import unittest

from server_support import Server, parse_response, run_serve
from support import SAMPLES, TempDir

HEADER_LIMIT = 8192
BODY_LIMIT = 1024 * 1024
CONFIG = f"""
[server]
header_limit = {HEADER_LIMIT}
body_limit = {BODY_LIMIT}
read_timeout = 5
idle_timeout = 5
threads = 2
"""
ATTACK_CAP = 64 * 1024 * 1024  # bytes an attack may send before we call it unanswered
MAX_GROWTH_KB = 32 * 1024      # what an attack may add to the server's peak RSS


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))


def read_until_closed(sock, deadline):
    """(bytes received, True if the server closed the connection before the deadline)."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), False
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return b"".join(chunks), False
        except ConnectionResetError:
            return b"".join(chunks), True
        if not data:
            return b"".join(chunks), True
        chunks.append(data)


def responses_in(raw):
    """The status codes of every HTTP response in `raw`, in order."""
    return [int(m.group(1)) for m in re.finditer(rb"(?:^|\n)HTTP/1\.[01] (\d{3}) ", raw)]


class HardeningTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(media=(SAMPLES,), config=CONFIG)
        cls.server.wait_scanned()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_and_cleanup()

    def assert_still_serving(self):
        self.assertIsNone(self.server.proc.poll(), f"the server died:\n{self.server.log()[-3000:]}")
        status, _, body = self.server.get("/api/items")
        self.assertEqual(status, 200)
        self.assertTrue(any(item["id"] == "sweep" for item in body["items"]))
        self.assertIsNone(self.server.proc.poll())

    def assert_json_error(self, status, headers, body, code):
        self.assertEqual(status, code, body[:300])
        self.assertEqual(headers.get("content-type"), "application/json")
        doc = json.loads(body)
        self.assertEqual(set(doc), {"error", "status"})
        self.assertEqual(doc["status"], code)
        return doc["error"]


class InvalidUtf8Test(HardeningTest):
    """Every place a request carries text: refused with 400 naming UTF-8 and the byte, and the
    same server process answers the next request."""

    def assert_refused(self, target, names):
        status, headers, body = self.server.request("GET", target)
        error = self.assert_json_error(status, headers, body, 400)
        self.assertIn("UTF-8", error)
        self.assertIn("0xff", error)
        self.assertIn(names, error)
        self.assert_still_serving()

    def test_item_id(self):
        self.assert_refused("/api/items/%ff", "path")

    def test_media_id(self):
        self.assert_refused("/media/%ff.wav", "path")

    def test_top_level_file(self):
        self.assert_refused("/%ff", "path")

    def test_preset_value(self):
        self.assert_refused("/media/sweep.ogg?preset=%ff", "'preset'")

    def test_results_format_value(self):
        self.assert_refused("/api/items/sweep/results?format=%ff", "'format'")

    def test_processors_value(self):
        self.assert_refused("/api/items/sweep/results?processors=%ff", "'processors'")

    def test_waveform_scale_value(self):
        self.assert_refused("/api/items/sweep/waveform.json?pixels_per_second=%ff", "'pixels_per_second'")

    def test_query_parameter_name(self):
        self.assert_refused("/api/items?%ff=1", "name")

    def test_raw_bytes_in_the_target(self):
        raw = self.server.raw(b"GET /api/items/sweep\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, headers, body = parse_response(raw)
        error = self.assert_json_error(status, headers, body, 400)
        self.assertIn("UTF-8", error)
        self.assertIn("0xff at offset 16", error)
        self.assert_still_serving()

    def test_valid_utf8_is_still_looked_up(self):
        status, headers, body = self.server.request("GET", "/api/items/caf%C3%A9")
        self.assertIn("caf\u00e9", self.assert_json_error(status, headers, body, 404))

    def test_a_crlf_in_the_target_makes_one_log_line(self):
        marker = f"forged{time.monotonic_ns()}"
        target = f"/api/items/x%0d%0a2025-01-01T00:00:00.000Z%20info%20request%20{marker}%0d%0a"
        status, _, _ = self.server.request("GET", target)
        self.assertEqual(status, 404)
        self.server.wait_for_log(marker)
        lines = [l for l in self.server.log().splitlines() if marker in l]
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r" info request method=GET target=")


class ChunkedLimitsTest(HardeningTest):
    """Chunk framing is buffered by the parser until its line (or the trailer section) ends: each
    attack streams one of them without end; the server must answer with an error and close long
    before ATTACK_CAP, without its memory growing."""

    HEAD = b"POST /api/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

    def attack(self, prefix, filler):
        """Streams prefix then filler repeatedly; returns (status, headers, body, bytes sent)."""
        before = vm_hwm_kb(self.server.proc.pid)
        piece = filler * max(1, 65536 // len(filler))
        sent = 0
        deadline = time.monotonic() + 30
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(self.HEAD + prefix)
            s.setblocking(False)
            answered = False
            while sent < ATTACK_CAP and time.monotonic() < deadline:
                readable, writable, _ = select.select([s], [s], [], 1.0)
                if readable:
                    answered = True
                    break
                if writable:
                    try:
                        sent += s.send(piece)
                    except BlockingIOError:
                        pass
                    except (BrokenPipeError, ConnectionResetError):
                        answered = True
                        break
            s.setblocking(True)
            raw, closed = read_until_closed(s, time.monotonic() + 10)
        self.assertTrue(answered, f"the server read {sent} bytes of framing without answering")
        self.assertTrue(closed, "the connection stayed open after the error")
        growth = vm_hwm_kb(self.server.proc.pid) - before
        self.assertLess(growth, MAX_GROWTH_KB, f"peak RSS grew by {growth} kB")
        status, headers, body = parse_response(raw)
        return status, headers, body, sent

    def test_an_endless_chunk_extension_is_413(self):
        status, headers, body, sent = self.attack(b"1;ext=", b"a")
        self.assertIn(str(HEADER_LIMIT), self.assert_json_error(status, headers, body, 413))
        self.assertLess(sent, ATTACK_CAP)
        self.assert_still_serving()

    def test_endless_leading_zeros_in_a_chunk_size_are_413(self):
        status, headers, body, _ = self.attack(b"", b"0")
        self.assertIn(str(HEADER_LIMIT), self.assert_json_error(status, headers, body, 413))
        self.assert_still_serving()

    def test_one_endless_trailer_field_is_431(self):
        status, headers, body, _ = self.attack(b"0\r\nX-Trailer: ", b"a")
        self.assertIn(str(HEADER_LIMIT), self.assert_json_error(status, headers, body, 431))
        self.assert_still_serving()

    def test_endless_trailer_lines_are_431(self):
        status, headers, body, _ = self.attack(b"0\r\n", b"X-T: a\r\n")
        self.assertIn(str(HEADER_LIMIT), self.assert_json_error(status, headers, body, 431))
        self.assert_still_serving()

    def test_framing_counts_against_the_body_limit(self):
        # One data byte per chunk, each with a 4000-byte extension: 1 MB of body takes 4 GB of
        # framing; the framing alone must reach body_limit.
        status, headers, body, _ = self.attack(b"", b"1;e=" + b"a" * 4000 + b"\r\nx\r\n")
        self.assertIn(str(BODY_LIMIT), self.assert_json_error(status, headers, body, 413))
        self.assert_still_serving()

    def test_a_chunked_body_within_the_limits_is_read(self):
        request = (b"GET /api/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5;name=value\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"
                   b"GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(request)
            raw, closed = read_until_closed(s, time.monotonic() + 10)
        self.assertTrue(closed)
        self.assertEqual(responses_in(raw), [200, 200])


class SmugglingTest(HardeningTest):
    """A request whose body is framed by a coding we do not implement: one answer, then the
    connection closes, so the body is never read as a second request."""

    SMUGGLED = b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n"

    def send(self, head_fields, body):
        request = b"POST /api/items HTTP/1.1\r\nHost: x\r\n" + head_fields + b"\r\n" + body
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(request)
            return read_until_closed(s, time.monotonic() + 8)

    def assert_one_answer(self, te, code):
        raw, closed = self.send(b"Transfer-Encoding: " + te + b"\r\n", self.SMUGGLED)
        self.assertEqual(responses_in(raw), [code], raw[:600])
        self.assertTrue(closed, "the connection stayed open: the body could be read as a request")
        status, headers, body = parse_response(raw)
        self.assertIn("Transfer-Encoding", self.assert_json_error(status, headers, body, code))
        self.assert_still_serving()

    def test_xchunked_is_400(self):
        self.assert_one_answer(b"xchunked", 400)

    def test_gzip_alone_is_400(self):
        self.assert_one_answer(b"gzip", 400)

    def test_chunked_then_identity_is_400(self):
        self.assert_one_answer(b"chunked, identity", 400)

    def test_gzip_then_chunked_is_501(self):
        self.assert_one_answer(b"gzip, chunked", 501)

    def test_two_transfer_encoding_fields_are_read_as_one_list(self):
        raw, closed = self.send(b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
                                b"0\r\n\r\n" + self.SMUGGLED)
        self.assertEqual(responses_in(raw), [501], raw[:600])
        self.assertTrue(closed)

    def test_chunked_with_content_length_is_400(self):
        for fields in (b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                       b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"):
            with self.subTest(fields):
                raw, closed = self.send(fields, b"0\r\n\r\n" + self.SMUGGLED)
                self.assertEqual(responses_in(raw), [400], raw[:600])
                self.assertTrue(closed)
        self.assert_still_serving()

    def test_a_plain_chunked_post_gets_its_route_answer_once(self):
        raw, closed = self.send(b"Transfer-Encoding: chunked\r\nConnection: close\r\n", b"5\r\nhello\r\n0\r\n\r\n")
        self.assertEqual(responses_in(raw), [405], raw[:600])
        self.assertTrue(closed)


class ConfigUtf8Test(unittest.TestCase):
    def test_a_config_string_that_is_not_utf8_exits_2_naming_the_file_and_the_line(self):
        with TempDir() as d:
            path = os.path.join(d, "bad.toml")
            with open(path, "wb") as f:
                f.write(b'[server]\nweb = "caf\xff"\n')
            r = run_serve("--config", path, "--listen", "127.0.0.1:0")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{path}:2:", r.stderr)
        self.assertRegex(r.stderr, r"(?i)utf-8")


if __name__ == "__main__":
    unittest.main()
