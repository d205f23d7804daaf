"""The nginx configuration docs/live.md recommends in front of HLS (tests/integration/nginx_peer.py),
against a herd: 2,000 players asking for one new segment at once, while the origin takes 3 s to
answer it (a stub origin on loopback, so the timing is the test's, not the machine's). One
origin request for the herd, every player the same bytes; and, as the control that shows what the
test catches, nginx's default proxy_cache_min_uses 1 letting every 1024th request of the herd
through to the origin (its 10-bit use counter wraps: docs/benchmarks.md, "HLS behind nginx")."""
import asyncio
import hashlib
import http.server
import resource
import threading
import time
import unittest

from nginx_peer import NginxCache

HERD = 2000
SEGMENT = b"\xff\xfb\x90\x64" * 8250  # 33 KB, the size of a 2 s segment at 128 kbit/s
ANSWER_DELAY = 3.0  # seconds the stub origin takes to answer a segment: the whole herd arrives meanwhile


class StubOrigin:
    """Segments answered after ANSWER_DELAY with our segment headers; each request counted."""

    def __init__(self):
        self.hits = 0
        self.lock = threading.Lock()
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with origin.lock:
                    origin.hits += 1
                time.sleep(ANSWER_DELAY)  # the origin's answer time, in the origin's own thread
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(len(SEGMENT)))
                self.send_header("Cache-Control", "public, max-age=86400, immutable")
                self.send_header("ETag", '"0123456789abcdef"')
                self.end_headers()
                self.wfile.write(SEGMENT)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


async def herd(port, path, n, timeout):
    """n connections each GET `path` at once: [(status, sha1 of the body)]."""
    async def one():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: herd\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(l.split(b":", 1)[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:"))
            return status, hashlib.sha1(await reader.readexactly(length)).hexdigest()
        finally:
            writer.close()
    return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), timeout)


class NginxHerd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < min(hard, 3 * HERD):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 3 * HERD), hard))

    def run_herd(self, min_uses):
        origin = StubOrigin()
        self.addCleanup(origin.close)
        nginx = NginxCache(origin.port, worker_connections=2 * HERD + 100, min_uses=min_uses)
        self.addCleanup(nginx.__exit__, None, None, None)
        started = time.monotonic()
        results = asyncio.run(herd(nginx.port, "/live/radio/seg-100-0.mp3", HERD, timeout=60))
        took = time.monotonic() - started
        self.assertEqual({s for s, _ in results}, {200})
        self.assertEqual({h for _, h in results}, {hashlib.sha1(SEGMENT).hexdigest()})
        return origin.hits, took

    def test_the_recommended_configuration_sends_a_herd_of_2000_to_the_origin_once(self):
        hits, took = self.run_herd(min_uses=0)
        print(f"\nmin_uses 0: {HERD} requests of one segment, {hits} at the origin, {took:.1f} s")
        self.assertEqual(hits, 1)

    def test_control_nginx_default_min_uses_lets_every_1024th_request_through(self):
        hits, took = self.run_herd(min_uses=1)
        print(f"\nmin_uses 1 (nginx's default): {HERD} requests of one segment, {hits} at the origin, {took:.1f} s")
        # 2,000 lookups while the first request is at the origin: the counter wraps once (at
        # 1024), and the request that finds it at 0 goes to the origin too.
        self.assertGreaterEqual(hits, 2)


if __name__ == "__main__":
    unittest.main()
