"""Live mounts for the integration tests: a server over a folder of stream definitions, listeners
that read a live output the way Icecast's players do (raw socket, ICY metadata split from the
audio, arrival times kept), source clients pushing to an ingest mount (ffmpeg, ezstream,
gst-launch's shout2send), and the checks that hold a live stream to account: decoded level and
length, one continuous Ogg logical stream, MP3 frames back to back."""
import array
import math
import os
import socket
import struct
import subprocess
import threading
import time

from server_support import Server
from support import SAMPLES, TempDir

ADMIN_PASSWORD = "admin-test-secret"
SOURCE_PASSWORD = "source-test-secret"


def wait_until(what, predicate, timeout=10.0, interval=0.02):
    """Polls predicate() until it returns something true; that value. AssertionError naming `what`
    when the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


PRESETS = {"mp3": "mp3-128k", "ogg": "vorbis-q5", "opus": "opus-96k", "flac": "flac"}


def file_mount(uri, formats=("mp3", "ogg", "opus", "flac"), head='name = "Test tone"', tail=""):
    """A definition playing `uri` looped, one output per format with its usual preset; `head`
    (top-level keys) and `tail` (more tables) as TOML text."""
    outputs = "".join(f'[[outputs]]\nformat = "{f}"\npreset = "{PRESETS[f]}"\n' for f in formats)
    return f'{head}\n[input]\nkind = "file"\nuri = "{uri}"\nloop = true\n{outputs}{tail}'


class Station:
    """`timeside serve` over a temporary streams folder holding `definitions` ({id: toml text});
    `config` is appended to a config that sets the admin password. Use as a context manager."""

    def __init__(self, definitions, config="", media=None):
        self.tmp = TempDir()
        self.root = self.tmp.__enter__()
        self.streams = os.path.join(self.root, "streams")
        os.makedirs(self.streams)
        for mount, text in definitions.items():
            self.write(mount, text)
        text = f'[live]\nadmin_password = "{ADMIN_PASSWORD}"\n' + config
        args = ["--streams", self.streams]
        try:
            self.server = Server(media=media if media is not None else (SAMPLES,), config=text, extra=args)
        except BaseException:
            self.tmp.__exit__(None, None, None)
            raise
        self.port = self.server.port

    def write(self, mount, text):
        """Writes streams/{mount}.toml whole (a temporary name, then a rename: the server never
        reads half a file)."""
        path = os.path.join(self.streams, f"{mount}.toml")
        with open(path + ".part", "w") as f:
            f.write(text)
        os.rename(path + ".part", path)
        return path

    def remove(self, mount):
        os.unlink(os.path.join(self.streams, f"{mount}.toml"))

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def status(self):
        return self.server.get("/api/status")[2]

    def mount_status(self, mount):
        for m in self.status()["live"]["mounts"]:
            if m["id"] == mount:
                return m
        return None

    def wait_mount(self, mount, predicate=lambda m: m.get("state") == "running", timeout=15):
        return wait_until(f"mount {mount} in the expected state",
                          lambda: (lambda m: m if m and predicate(m) else None)(self.mount_status(mount)), timeout)

    def set_title(self, mount, song):
        """Icecast's /admin/metadata with the admin credentials: the HTTP status."""
        from urllib.parse import quote
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", f"admin:{ADMIN_PASSWORD}",
                            self.url(f"/admin/metadata?mount=/live/{mount}&mode=updinfo&song={quote(song)}")],
                           capture_output=True, text=True, timeout=10)
        return int(r.stdout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if exc[0] is None and self.server.proc.poll() is None:
                self.server.stop()
        finally:
            self.server.cleanup()
            self.tmp.__exit__(None, None, None)


class Listener:
    """One listener on a raw socket (HTTP/1.1 unless `http10`), reading on its own thread. With
    `metadata`, asks for ICY metadata and splits it from the audio: `audio` holds the audio bytes
    only, `titles` the (audio offset, block text) of every non-empty block, `blocks` the audio
    offset of every block. `paused` stops reading (a stalled player)."""

    def __init__(self, port, path, metadata=False, http10=False, headers=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        # A small receive buffer: a paused listener must fall behind on the server's side soon.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        lines = [f"GET {path} HTTP/1.{0 if http10 else 1}", "Host: 127.0.0.1", "User-Agent: timeside-test"]
        if metadata:
            lines.append("Icy-MetaData: 1")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.status_line, self.headers, self.audio = None, {}, bytearray()
        self.titles, self.blocks, self.arrivals = [], [], []  # arrivals: (monotonic, audio bytes so far)
        self.closed, self.error = False, None
        self.paused = threading.Event()
        self.lock = threading.Lock()
        self.metaint = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _recv(self):
        while self.paused.is_set() and not self.closed:
            time.sleep(0.01)
        return self.sock.recv(65536)

    def _run(self):
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                data = self._recv()
                if not data:
                    raise EOFError("closed before the head ended")
                buf += data
            head, _, rest = buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            with self.lock:
                self.status_line = lines[0]
                self.headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
                self.metaint = int(self.headers["icy-metaint"]) if "icy-metaint" in self.headers else None
            pending = rest
            until_meta = self.metaint
            while True:
                if pending:
                    until_meta = self._take(pending, until_meta)
                pending = self._recv()
                if not pending:
                    break
        except (OSError, EOFError, ValueError) as e:
            if not self.closed:
                self.error = e
        finally:
            self.closed = True

    def _take(self, data, until_meta):
        """Splits audio from metadata blocks; returns the audio bytes left before the next block."""
        if self.metaint is None:
            with self.lock:
                self.audio += data
                self.arrivals.append((time.monotonic(), len(self.audio)))
            return None
        self._meta_buf = getattr(self, "_meta_buf", b"") + data
        buf = self._meta_buf
        while buf:
            if until_meta > 0:
                n = min(until_meta, len(buf))
                with self.lock:
                    self.audio += buf[:n]
                    self.arrivals.append((time.monotonic(), len(self.audio)))
                buf, until_meta = buf[n:], until_meta - n
                continue
            size = buf[0] * 16
            if len(buf) < 1 + size:
                break  # the block's end has not arrived
            block = buf[1:1 + size]
            with self.lock:
                self.blocks.append(len(self.audio))
                if size:
                    self.titles.append((len(self.audio), block.rstrip(b"\0").decode("utf-8", "replace")))
            buf, until_meta = buf[1 + size:], self.metaint
        self._meta_buf = buf
        return until_meta

    def status(self):
        wait_until("the listener's answer", lambda: self.status_line or self.closed, 10)
        return int(self.status_line.split()[1]) if self.status_line else None

    def audio_bytes(self):
        with self.lock:
            return len(self.audio)

    def wait_audio(self, n, timeout=15):
        return wait_until(f"{n} audio bytes (have {self.audio_bytes()}, closed={self.closed}, error={self.error})",
                          lambda: self.audio_bytes() >= n, timeout)

    def wait_seconds(self, fmt, seconds, timeout=20):
        """Waits until what was received decodes (ffmpeg) to at least `seconds` of audio."""
        def enough():
            samples, _ = decode(self.snapshot(), fmt)
            return len(samples) >= seconds * 44100
        return wait_until(f"{seconds} s of {fmt} audio (closed={self.closed}, error={self.error})", enough, timeout,
                          interval=0.25)

    def wait_closed(self, timeout=15):
        return wait_until("the server to close the listener", lambda: self.closed, timeout)

    def snapshot(self):
        with self.lock:
            return bytes(self.audio)

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def decode(data, fmt, rate=44100):
    """Decodes a captured stream with ffmpeg (the independent reference) to float32 samples of its
    first channel at `rate` (a downmix would add the channels: a mono file on a stereo mount reads
    3 dB louder); returns (samples, ffmpeg's error output)."""
    demuxer = {"mp3": "mp3", "ogg": "ogg", "opus": "ogg", "flac": "flac", "wav": "wav"}[fmt]
    r = subprocess.run(["ffmpeg", "-v", "error", "-f", demuxer, "-i", "pipe:0", "-af", "pan=mono|c0=c0", "-ar", str(rate),
                        "-f", "f32le", "pipe:1"], input=data, capture_output=True, timeout=120)
    samples = array.array("f")
    samples.frombytes(r.stdout[:len(r.stdout) // 4 * 4])
    return samples, r.stderr.decode(errors="replace")


def rms_db(samples):
    if not samples:
        return -200.0
    ms = sum(x * x for x in samples) / len(samples)
    return 10 * math.log10(ms) if ms > 0 else -200.0


def window_levels(samples, rate=44100, seconds=0.05):
    """RMS dBFS of consecutive windows."""
    n = int(rate * seconds)
    return [rms_db(samples[i:i + n]) for i in range(0, len(samples) - n + 1, n)]


def tone_frequency(samples, rate=44100):
    """The frequency of a steady tone, from its upward zero crossings."""
    crossings = [i for i in range(1, len(samples)) if samples[i - 1] < 0 <= samples[i]]
    if len(crossings) < 2:
        return 0.0
    return (len(crossings) - 1) * rate / (crossings[-1] - crossings[0])


def ogg_pages(data):
    """Every Ogg page: (offset, serial, granule, sequence, header_type). Raises ValueError where
    the bytes stop being pages (except for a last page cut short by the end of the capture)."""
    pages, pos = [], 0
    while pos + 27 <= len(data):
        if data[pos:pos + 4] != b"OggS":
            raise ValueError(f"no Ogg page at byte {pos}")
        header_type = data[pos + 5]
        granule, serial, seq = struct.unpack_from("<qII", data, pos + 6)
        nseg = data[pos + 26]
        if pos + 27 + nseg > len(data):
            break
        size = 27 + nseg + sum(data[pos + 27:pos + 27 + nseg])
        if pos + size > len(data):
            break
        pages.append((pos, serial, granule, seq, header_type))
        pos += size
    return pages


def check_one_ogg_stream(test, data):
    """One logical stream from the first page on: one serial, the header pages then audio pages
    whose sequence numbers never skip (a listener joins mid-stream, so the first audio page follows
    the headers with a jump, as on Icecast), granule positions that never go back, one BOS page and
    no EOS."""
    pages = ogg_pages(data)
    test.assertGreater(len(pages), 3)
    test.assertEqual({p[1] for p in pages}, {pages[0][1]}, "several logical streams")
    first_audio = next(i for i, p in enumerate(pages) if p[2] > 0)
    seqs = [p[3] for p in pages]
    test.assertEqual(seqs[:first_audio], list(range(first_audio)), "the header pages are not pages 0..n")
    audio = seqs[first_audio:]
    test.assertEqual(audio, list(range(audio[0], audio[0] + len(audio))), "audio page sequence numbers skip")
    granules = [p[2] for p in pages if p[2] != -1]
    test.assertEqual(granules, sorted(granules), "granule positions go back")
    test.assertEqual(sum(1 for p in pages if p[4] & 2), 1, "not exactly one BOS page")
    test.assertFalse(any(p[4] & 4 for p in pages), "an EOS page in a live stream")
    return pages


_MP3_BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
_MP3_RATES = {0: 44100, 1: 48000, 2: 32000}


def mp3_frames(data, start=0):
    """MPEG-1 Layer III frames back to back from `start`: [(offset, length)]. Stops at the first
    byte that is not a frame header (returned as the second value, len(data) when none)."""
    frames, pos = [], start
    while pos + 4 <= len(data):
        h = struct.unpack_from(">I", data, pos)[0]
        if (h >> 21) != 0x7FF or ((h >> 19) & 3) != 3 or ((h >> 17) & 3) != 1:
            return frames, pos
        br, sr, pad = (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1
        if br in (0, 15) or sr == 3:
            return frames, pos
        length = 144000 * _MP3_BITRATES[br] // _MP3_RATES[sr] + pad
        if pos + length > len(data):
            break
        frames.append((pos, length))
        pos += length
    return frames, len(data)


def check_mp3_back_to_back(test, data):
    """Every byte after the listener's first frame belongs to a frame (a cut last one aside)."""
    frames, stop = mp3_frames(data)
    test.assertGreater(len(frames), 10)
    test.assertEqual(stop, len(data), f"bytes at {stop} are not an MP3 frame")
    return frames


def ffmpeg_source(port, mount, input_args, fmt="ogg", password=SOURCE_PASSWORD, legacy=False, extra=()):
    """ffmpeg pushing `input_args` (played in real time) to /live/{mount} as an Icecast source."""
    codec = {"ogg": ["-c:a", "libvorbis", "-content_type", "audio/ogg"],
             "opus": ["-c:a", "libopus", "-content_type", "audio/ogg"],
             "mp3": ["-c:a", "libmp3lame", "-b:a", "128k", "-content_type", "audio/mpeg"]}[fmt]
    muxer = "mp3" if fmt == "mp3" else "ogg"
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-re", *input_args, *codec, *extra,
           *(["-legacy_icecast", "1"] if legacy else []), "-f", muxer,
           f"icecast://source:{password}@127.0.0.1:{port}/live/{mount}"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def sine_input(freq, seconds, rate=44100, amplitude=0.5):
    """ffmpeg input arguments: a mono sine of peak `amplitude` (lavfi's `sine` is fixed at 1/8)."""
    return ["-f", "lavfi", "-i", f"aevalsrc={amplitude}*sin(2*PI*{freq}*t):s={rate}:d={seconds}"]
