"""The black-box HTTP fuzzer (http_fuzz.py) against the real binary: a bounded, seeded run of
mutated requests after each of which the server must be alive, must not have answered a 5xx
other than 501/503/429, must have framed its answer right and must have logged no sanitizer
report. make test runs it against the ASan + UBSan build (tests/run_tests.py); HTTP_FUZZ_SEED,
HTTP_FUZZ_COUNT and HTTP_FUZZ_SECONDS change the run."""
import os
import unittest

from http_fuzz import CONFIG, Fuzzer, make_media, parse_responses
from server_support import Server
from support import TempDir

SEED = int(os.environ.get("HTTP_FUZZ_SEED", "1"))
COUNT = int(os.environ.get("HTTP_FUZZ_COUNT", "2000"))
SECONDS = float(os.environ.get("HTTP_FUZZ_SECONDS", "60"))


class FramingCheckTest(unittest.TestCase):
    """The fuzzer's own framing check, on answers built by hand: it must accept what is right and
    refuse what breaks HTTP/1.1, else its silence proves nothing."""

    def test_accepts_length_chunked_and_head(self):
        ok = (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
              b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n")
        self.assertEqual([(s, b) for s, _, b in parse_responses(ok, False)], [(200, b"abc"), (200, b"xyz")])
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
        self.assertEqual(parse_responses(head, True)[0][0], 200)

    def test_refuses_broken_framing(self):
        for raw in (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                    b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    b"garbage\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"):
            with self.subTest(raw=raw), self.assertRaises(ValueError):
                parse_responses(raw, False)


class HttpFuzzTest(unittest.TestCase):
    def test_mutated_requests_leave_the_server_up_and_answering_right(self):
        with TempDir() as tmp:
            make_media(tmp)
            server = Server(media=(tmp,), config=CONFIG)
            try:
                server.wait_scanned()
                fuzzer = Fuzzer(server, SEED)
                # The run covers the routes: requests reach the items the scan found.
                self.assertEqual(sorted(fuzzer.maker.items), ["album/stereo", "café", "tone"])
                done, findings, elapsed = fuzzer.run(COUNT, SECONDS)
                report = "\n".join(f"seed {f['seed']} index {f['index']}: {f['problem'][:2000]}\n"
                                   f"  request: {f['request'][:1500]!r}" for f in findings)
                if findings:
                    self.fail(f"{len(findings)} findings in {done} requests (replay one: "
                              f"tests/integration/http_fuzz.py --seed S --index I --count 1):\n{report}")
                self.assertGreater(done, min(COUNT, 100), f"only {done} requests in {elapsed:.0f} s")
                server.stop()
            finally:
                server.cleanup()


if __name__ == "__main__":
    unittest.main()
