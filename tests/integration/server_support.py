"""Running `timeside serve` for the server tests: the real binary on a free loopback port, its log
captured to a file, requests through http.client (or raw sockets), and a stop by SIGTERM that must
end with exit status 0 within 5 s."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from support import ROOT, SAMPLES, TIMESIDE, TempDir, free_port

PRESETS = os.path.join(ROOT, "presets")


class Server:
    def __init__(self, media=(SAMPLES,), config=None, extra=(), preexec_fn=None, port=None):
        # port: a given one (a server restarted under its clients), else a free one
        self.port = port or free_port()
        self.log_file = tempfile.NamedTemporaryFile(prefix="timeside-serve-", suffix=".log", delete=False)
        args = [TIMESIDE, "serve", "--listen", f"127.0.0.1:{self.port}", "--presets", PRESETS]
        for m in media:
            args += ["--media", m]
        if config:
            self.config_file = tempfile.NamedTemporaryFile("w", prefix="timeside-", suffix=".toml", delete=False)
            self.config_file.write(config)
            self.config_file.close()
            args += ["--config", self.config_file.name]
        # Each server its own disk cache (the default one, under XDG_CACHE_HOME), removed at cleanup.
        self.cache_home = tempfile.mkdtemp(prefix="timeside-cache-")
        self.cache_dir = os.path.join(self.cache_home, "timeside")
        env = dict(os.environ, XDG_CACHE_HOME=self.cache_home)
        env.pop("CACHE_DIRECTORY", None)
        self.proc = subprocess.Popen([*args, *extra], stdout=subprocess.DEVNULL, stderr=self.log_file, env=env,
                                     preexec_fn=preexec_fn)
        self.log_file.close()  # the server has its own descriptor
        self.wait_for_log(r"\blistening url=")

    def log(self):
        with open(self.log_file.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log()):
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"timeside serve exited {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.02)
        raise AssertionError(f"no log line matching {pattern!r} within {timeout} s:\n{self.log()}")

    def wait_scanned(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, body = self.get("/api/status")
            if status == 200 and body["library"]["scanned"]:
                return body
            time.sleep(0.05)
        raise AssertionError("the library's first scan did not finish")

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, headers=None):
        """(status, headers as a dict with lower-case names, raw body) on a fresh connection."""
        conn = self.connection()
        try:
            conn.request(method, path, headers=headers or {})
            res = conn.getresponse()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
        finally:
            conn.close()

    def get(self, path, headers=None):
        """(status, headers, body parsed as JSON)."""
        status, hdrs, body = self.request("GET", path, headers)
        return status, hdrs, json.loads(body)

    def raw(self, data, read_timeout=5):
        """Sends bytes on a raw socket; returns everything the server answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout) as s:
            s.sendall(data)
            return read_all(s)

    def stop(self, test=None, within=5.0):
        """SIGTERM; the server must exit 0 within `within` seconds. Returns the time it took. The log
        stays readable until cleanup()."""
        if self.proc.poll() is not None:
            raise AssertionError(f"timeside serve had already exited {self.proc.returncode}:\n{self.log()}")
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"timeside serve did not exit within {within} s of SIGTERM:\n{self.log()}")
        if code != 0:
            raise AssertionError(f"timeside serve exited {code} after SIGTERM:\n{self.log()}")
        return time.monotonic() - started

    def stop_and_cleanup(self):
        try:
            return self.stop()
        finally:
            self.cleanup()

    def cleanup(self):
        """Kills the server if it still runs; removes the log and config files."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.log_file.name, getattr(getattr(self, "config_file", None), "name", None)):
            if f and os.path.exists(f):
                os.unlink(f)
        shutil.rmtree(self.cache_home, ignore_errors=True)


def read_all(sock):
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def parse_response(raw):
    """(status, headers dict lower-case, body bytes) of the first response in `raw`."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return status, headers, body


def run_serve(*args, timeout=10):
    """Runs `timeside serve ARGS` expecting it to fail at start; returns the CompletedProcess."""
    return subprocess.run([TIMESIDE, "serve", *args], capture_output=True, text=True, timeout=timeout)


class ServedMedia(unittest.TestCase):
    """Test classes sharing one server: over a media folder that make_media(folder) fills, with
    CONFIG as its config file; url(path) for its address."""
    CONFIG = None

    @staticmethod
    def make_media(folder):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.root = cls.tmp.__enter__()
        cls.media = os.path.join(cls.root, "media")
        os.makedirs(cls.media)
        cls.make_media(cls.media)
        cls.server = Server(media=(cls.media,), config=cls.CONFIG)
        cls.server.wait_scanned()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_and_cleanup()
        cls.tmp.__exit__(None, None, None)

    def url(self, path):
        return f"http://127.0.0.1:{self.server.port}{path}"


def wait_cached(url, timeout=20):
    """GETs `url` until it answers from the disk cache (with Content-Length); its body."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, headers, body = curl(url)
        if status != 200:
            raise AssertionError(f"{url}: {status} {body[:300]!r}")
        if "content-length" in headers:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} never came from the cache within {timeout} s")


def curl(url, *args):
    """One request by curl: (status, headers by lower-case name, body)."""
    r = subprocess.run(["curl", "-s", "-D", "-", *args, url], capture_output=True, timeout=60)
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    return int(lines[0].split()[1]), headers, body
