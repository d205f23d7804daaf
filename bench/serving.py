"""The real `timeside serve` for bench/server.py: started on a free loopback port with its own
temporary cache folder (when the binary has a disk cache), a request helper, its peak RSS, and a
stop by SIGTERM. Nothing is left running: use it as a context manager."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from support import free_port  # noqa: E402


class Server:
    def __init__(self, timeside, media, max_transcodes=64):
        self.timeside, self.media, self.max_transcodes = timeside, media, max_transcodes
        self.tmp = tempfile.mkdtemp(prefix="timeside-bench-")
        self.cache_dir = os.path.join(self.tmp, "cache")
        self.proc = None
        self.has_cache = False

    def config(self, with_cache):
        # No access log: one stderr line per request would be the log's benchmark, not the server's.
        text = f"[server]\naccess_log = false\n[media]\nmax_transcodes = {self.max_transcodes}\n"
        if with_cache:
            text += f'[cache]\ndir = "{self.cache_dir}"\n'
        path = os.path.join(self.tmp, "bench.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def __enter__(self):
        # Only keys the binary accepts: a build without the disk cache refuses a [cache] table (exit 2).
        for with_cache in (True, False):
            self.port = free_port()
            self.log = open(os.path.join(self.tmp, "serve.log"), "w+")
            self.proc = subprocess.Popen([self.timeside, "serve", "--config", self.config(with_cache),
                                          "--listen", f"127.0.0.1:{self.port}", "--media", self.media,
                                          "--presets", os.path.join(ROOT, "presets")],
                                         stdout=subprocess.DEVNULL, stderr=self.log)
            if self.wait_listening():
                self.has_cache = with_cache
                break
            self.log.seek(0)
            err = self.log.read()
            self.log.close()
            if not (with_cache and "unknown table 'cache'" in err):
                shutil.rmtree(self.tmp, ignore_errors=True)
                raise RuntimeError(f"timeside serve exited {self.proc.returncode}: {err.strip()}")
        self.wait_scanned()
        return self

    def wait_listening(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError("timeside serve did not listen within 15 s")

    def wait_scanned(self, timeout=120):
        # The first scan hashes every file: benchmarks start once it is done.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get_json("/api/status")["library"]["scanned"]:
                return
            time.sleep(0.1)
        raise RuntimeError("the library's first scan did not finish")

    def wait_idle(self, timeout=60):
        """Until no transcode runs: with a cache, an encode whose client left goes on to fill it, and
        would otherwise take the CPU from the next measurement (ours or the peer's)."""
        deadline = time.monotonic() + timeout
        while self.get_json("/api/status")["transcodes"]["active"] and time.monotonic() < deadline:
            time.sleep(0.02)

    def get_json(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def peak_rss_mib(self):
        """VmHWM: the most resident memory the server has had since it started."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
        raise RuntimeError("no VmHWM in /proc/PID/status")

    def cached_files(self):
        """Paths of the files in the cache folder, largest first."""
        found = []
        for d, _, files in os.walk(self.cache_dir):
            found += [os.path.join(d, f) for f in files]
        return sorted(found, key=os.path.getsize, reverse=True)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
