"""Shared helpers for the integration tests: where the binary and samples are, running it, and
independent references (sox, ffprobe, ffmpeg, gst-discoverer) to check what it produced."""
import array
import hashlib
import json
import math
import os
import re
import shutil
import socket
import subprocess
import tempfile

ROOT = os.environ.get("TIMESIDE_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TIMESIDE_BUILD") or os.path.join(ROOT, "build")
TIMESIDE = os.path.join(BUILD, "src", "cli", "timeside")
SAMPLES = os.path.join(ROOT, "samples")

SAMPLE_FILES = ["sweep.wav", "sweep_mono.wav", "sweep_32000.wav", "sweep.flac", "sweep.ogg", "sweep.mp3",
                "C4_scale.wav", "sine440Hz_mono.wav", "white_noise.wav"]


def sample(name):
    return os.path.join(SAMPLES, name)


def run(*args, timeout=120, cwd=None):
    return subprocess.run([TIMESIDE, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd)


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="timeside-it-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def sox_stats_columns(path):
    """sox stats' numeric rows, each as its columns: overall, then one per channel when there are
    several: {'Pk lev dB': [x, ...], 'RMS lev dB': [...], 'DC offset': [...], ...}."""
    out = subprocess.run(["sox", path, "-n", "stats"], capture_output=True, text=True, check=True).stderr
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^(\S.*?)\s{2,}(\S.*)$", line)
        if m:
            try:
                rows[m.group(1).strip()] = [float(x) for x in m.group(2).split()]
            except ValueError:
                pass  # not a numeric row (Bit-depth's "16/16")
    return rows


def sox_stats(path):
    """sox stats' overall column: {'Pk lev dB': x, 'RMS lev dB': y, 'DC offset': z, ...}."""
    return {name: columns[0] for name, columns in sox_stats_columns(path).items()}


def ffprobe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def ffmpeg_pcm(path, extra=()):
    """Decodes with ffmpeg to interleaved float32; returns (samples, channels)."""
    info = ffprobe(path)["streams"][0]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, *extra, "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    a = array.array("f")
    a.frombytes(raw)
    return a, int(info["channels"])


def levels_of(samples):
    """Peak and RMS in dBFS over all samples (sox stats' definitions)."""
    peak = max((abs(x) for x in samples), default=0.0)
    ms = sum(x * x for x in samples) / max(1, len(samples))
    return 20 * math.log10(peak), 10 * math.log10(ms)


def gst_discover(path):
    """What gst-discoverer-1.0 says of the first audio stream: duration (s), codec, channels, rate."""
    out = subprocess.run(["gst-discoverer-1.0", path], capture_output=True, text=True, timeout=60).stdout
    h, mi, s = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", out).groups()
    return {"duration": int(h) * 3600 + int(mi) * 60 + float(s),
            "codec": re.search(r"audio #\d+: (.+)", out).group(1).strip(),
            "channels": int(re.search(r"Channels: (\d+)", out).group(1)),
            "rate": int(re.search(r"Sample rate: (\d+)", out).group(1))}


def gst_duration(path):
    """gst-discoverer-1.0's duration in seconds."""
    return gst_discover(path)["duration"]


def sha1_of(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def visible_files(directory):
    """Every entry, hidden temporaries included, so a leftover .part file is seen."""
    return sorted(os.listdir(directory))


class RangeHandler(__import__("http.server").server.SimpleHTTPRequestHandler):
    """A static file server that honours `Range: bytes=a-b`, as nginx and Apache do (Python's own
    SimpleHTTPRequestHandler ignores it, which no real file server does)."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path) or not os.path.exists(path):
            return super().send_head()
        size = os.path.getsize(path)
        spec = self.headers.get("Range", "")
        m = re.match(r"bytes=(\d*)-(\d*)$", spec)
        if not m:
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", self.guess_type(path))
            self.end_headers()
            f = open(path, "rb")
            return f
        start = int(m.group(1)) if m.group(1) else size - int(m.group(2))
        end = int(m.group(2)) if m.group(1) and m.group(2) else size - 1
        end = min(end, size - 1)
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", self.guess_type(path))
        self.end_headers()
        f = open(path, "rb")
        f.seek(start)
        return _Limited(f, end - start + 1)


class _Limited:
    def __init__(self, f, n):
        self.f, self.n = f, n

    def read(self, size=-1):
        if self.n <= 0:
            return b""
        data = self.f.read(self.n if size < 0 else min(size, self.n))
        self.n -= len(data)
        return data

    def close(self):
        self.f.close()


def stop_process(proc, timeout=5):
    """SIGTERM, SIGKILL after `timeout` seconds; its pipes closed."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
