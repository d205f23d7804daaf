#!/usr/bin/python3
"""A black-box fuzzer of `timeside serve` over HTTP on loopback: mutated valid requests sent on raw
sockets to the real binary. Request i of seed S is a function of (S, i) alone, so one finding is
replayed with `--seed S --index i`.

Requests: methods (real, unknown, malformed), targets from the route table filled with the served
items, graphers and extensions, then percent-encoded, doubled, cut or spiked with odd bytes (0xff,
NUL, CR, `..`); queries with every parameter of /api/processors and of the route, given valid,
boundary and junk values; headers (Range, If-Range, If-None-Match, Transfer-Encoding,
Content-Length, Expect, Connection, huge and repeated ones); fixed-length and chunked bodies,
well-formed or not (extensions, trailers, leading zeros, sizes that lie).

After each request the server must: still accept a connection and answer GET /api/items 200
within a deadline; have answered nothing in 5xx but 501, 503 and 429 (a 500 is a defect: the
request was bad, and should be a 4xx, or good, and should work); have framed its answer right
(a status line, headers, a body of exactly its Content-Length or well-formed chunks); and have
written no sanitizer report to its log.

    http_fuzz.py --seed 1 --count 2000 --time-limit 60    # starts a server over a scratch folder
    http_fuzz.py --seed 1 --index 1234 --show             # the bytes of one request
"""
import argparse
import os
import random
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from server_support import Server  # noqa: E402
from support import TempDir  # noqa: E402

LIVENESS_DEADLINE = 10.0  # s for GET /api/items to answer after each request
READ_DEADLINE = 30.0      # s for one answer to end (a transcode of a short item under ASan)
ALLOWED_5XX = {501, 503, 429}
SANITIZER = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|==ABORTING|terminate called")

ROUTES = ["/api/items", "/api/items/{id}", "/api/processors", "/api/presets", "/api/streams", "/api/status",
          "/metrics", "/status-json.xsl", "/", "/index.html", "/media/{id}.{ext}", "/api/items/{id}/results",
          "/api/items/{id}/graphs/{grapher}.png", "/api/items/{id}/waveform.{wext}", "/live/{id}.{ext}",
          "/events/{id}", "/events/items/{id}", "/admin/metadata", "/admin/api/mounts", "/admin/api/mounts/{id}/listeners",
          "/admin/api/reload", "/live/{id}/index.m3u8", "/live/{id}/seg-1-0.mp3"]
EXTS = ["wav", "flac", "ogg", "opus", "mp3", "aac", "", "WAV", "mp3.mp3"]
METHODS = ["GET"] * 8 + ["HEAD"] * 2 + ["POST", "PUT", "OPTIONS", "DELETE", "SOURCE", "PATCH", "TRACE",
                                        "CONNECT", "get", "G\xffT", "", "GET GET"]
JUNK = ["", "-1", "0", "1e309", "nan", "inf", "-0", "0x10", "%ff", "%00", "\xff", "99999999999999999999",
        "2147483648", "-2147483649", "1,2", "a" * 300, "%", "%g0", "=", "&", "+", "%C3%A9", "true", "#ffffff"]
ODD = ["%ff", "%00", "%2f", "%5c", "\xff", "\x00", "\r", "\n", " ", "..", "%2e%2e", "//", "%", "%c3%28", "~", "\t"]


def status_ok(status):
    return status < 500 or status in ALLOWED_5XX


class RequestMaker:
    """Request i of a seed, built from what the server says it serves."""

    def __init__(self, seed, items, processors, graphers, analyzers=(), presets=()):
        self.seed = seed
        self.items = items or ["tone"]
        self.processors = processors  # {id: [parameter dicts from /api/processors]}
        self.graphers = graphers or ["waveform_simple"]
        self.analyzers = list(analyzers) or ["level"]
        self.presets = list(presets) or ["mp3-128k"]

    def valid_value(self, rng, p):
        """A value the validator accepts: a choice, a range's end, middle or default."""
        if p.get("choices"):
            return str(rng.choice(p["choices"]))
        kind = p.get("type")
        if kind in ("integer", "number") and "min" in p and "max" in p:
            lo, hi = p["min"], p["max"]
            mid = (lo + hi) / 2 if kind == "number" else (lo + hi) // 2
            return str(rng.choice([lo, hi, mid, p.get("default", lo)]))
        if kind == "boolean":
            return rng.choice(["true", "false"])
        return str(p.get("default", ""))

    def clean_target(self, rng):
        """A request a handler serves: a route with the served items and valid parameters only."""
        item = rng.choice(self.items)
        route = rng.choice(["media", "media", "results", "graph", "waveform", "item"])
        params = []
        if route == "media":
            ext, enc = rng.choice([("wav", "wav_encoder"), ("flac", "flac_encoder"), ("ogg", "vorbis_encoder"),
                                   ("opus", "opus_encoder"), ("mp3", "mp3_encoder")])
            path = f"/media/{item}.{ext}"
            if rng.random() < 0.2:
                params.append("preset=" + rng.choice(self.presets))
            else:
                for p in self.processors.get(enc, []):
                    if rng.random() < 0.5:
                        params.append(f"{p['name']}={self.valid_value(rng, p)}")
            if rng.random() < 0.3:
                params += ["start=" + rng.choice(["0", "0.05", "0.2"]), "duration=" + rng.choice(["0.01", "0.1", "1"])]
        elif route == "results":
            path = f"/api/items/{item}/results"
            chosen = rng.sample(self.analyzers, k=min(len(self.analyzers), rng.randint(1, 2)))
            specs = []
            for a in chosen:
                kv = [f"{p['name']}={self.valid_value(rng, p)}" for p in self.processors.get(a, []) if rng.random() < 0.3]
                specs.append(a + (":" + ",".join(kv) if kv else ""))
            params.append("processors=" + ",".join(specs))
            params.append("format=" + rng.choice(["json", "csv", "jams", "vtt", "audacity", "hdf5"]))
        elif route == "graph":
            g = rng.choice(self.graphers)
            path = f"/api/items/{item}/graphs/{g}.png"
            for p in self.processors.get(g, []):
                if rng.random() < 0.3:
                    params.append(f"{p['name']}={self.valid_value(rng, p)}")
        elif route == "waveform":
            path = f"/api/items/{item}/waveform.{rng.choice(['json', 'dat'])}"
            params.append(rng.choice(["pixels_per_second=" + rng.choice(["1", "20", "100", "1000", "44100"]),
                                      "zoom=" + rng.choice(["1", "64", "256", "100000"])]))
            if rng.random() < 0.5:
                params.append("bits=" + rng.choice(["8", "16"]))
        else:
            path = f"/api/items/{item}"
        return path + ("?" + "&".join(params) if params else "")

    def value_for(self, rng, p):
        kind = p.get("type")
        if rng.random() < 0.4:
            return rng.choice(JUNK)
        if "choices" in p and p["choices"]:
            return str(rng.choice(p["choices"]))
        if kind in ("integer", "number") and "min" in p and "max" in p:
            lo, hi = p["min"], p["max"]
            return str(rng.choice([lo, hi, (lo + hi) / 2 if kind == "number" else (lo + hi) // 2, p.get("default", lo),
                                   lo - 1, hi + 1]))
        if kind == "boolean":
            return rng.choice(["true", "false", "1", "0", "yes"])
        return str(p.get("default", "x"))

    def query(self, rng, proc_ids):
        parts = []
        for pid in proc_ids:
            for p in self.processors.get(pid, []):
                if rng.random() < 0.3:
                    parts.append(f"{p['name']}={self.value_for(rng, p)}")
        extra = ["preset=" + rng.choice(["mp3-128k", "opus-64k", "flac", "nope", "%ff", ""]),
                 "start=" + rng.choice(["0", "0.1", "-1", "1e9", "nan", "0.05"]),
                 "duration=" + rng.choice(["0", "0.1", "10", "-3", "inf"]),
                 "processors=" + ",".join(rng.sample(sorted(self.processors), k=min(len(self.processors), rng.randint(1, 3)))),
                 "format=" + rng.choice(["json", "csv", "jams", "vtt", "audacity", "hdf5", "xml", "%ff"]),
                 "pixels_per_second=" + rng.choice(["1", "100", "44100", "0", "%ff"]),
                 "zoom=" + rng.choice(["1", "64", "0", "-5", "1e12"]),
                 "bits=" + rng.choice(["8", "16", "7"]),
                 "width=" + rng.choice(["1", "64", "0", "100000"]), "height=" + rng.choice(["1", "32", "0"]),
                 rng.choice(ODD) + "=1", "sid=" + rng.choice(JUNK)]
        parts += rng.sample(extra, k=rng.randint(0, 4))
        if rng.random() < 0.1:
            parts = parts * rng.randint(2, 20)  # repeated parameters
        rng.shuffle(parts)
        return "&".join(parts)

    def target(self, rng):
        route = rng.choice(ROUTES)
        item = rng.choice(self.items)
        ext = rng.choice(EXTS)
        proc_ids = []
        path = route.replace("{id}", item).replace("{ext}", ext).replace("{wext}", rng.choice(["json", "dat", "txt"]))
        if "{grapher}" in path:
            g = rng.choice(self.graphers + ["nope"])
            path = path.replace("{grapher}", g)
            proc_ids.append(g)
        if route.startswith("/media/"):
            enc = {"wav": "wav_encoder", "flac": "flac_encoder", "ogg": "vorbis_encoder", "opus": "opus_encoder",
                   "mp3": "mp3_encoder"}.get(ext)
            if enc:
                proc_ids.append(enc)
        if route.endswith("/results"):
            proc_ids += rng.sample(sorted(self.processors), k=min(2, len(self.processors)))
        # Mutations of the path.
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 4])):
            op = rng.randrange(6)
            pos = rng.randrange(len(path) + 1)
            if op == 0:
                path = path[:pos] + rng.choice(ODD) + path[pos:]
            elif op == 1:  # percent-encode one character
                if pos < len(path):
                    path = path[:pos] + "%{:02X}".format(ord(path[pos]) & 0xff) + path[pos + 1:]
            elif op == 2:
                path = path[:pos]
            elif op == 3:
                path = path + "/" + rng.choice(["a" * rng.choice([1, 255, 5000]), "x", "é", "..", "results"])
            elif op == 4:
                path = path[:pos] + chr(rng.randrange(256)) + path[pos:]
            else:
                path = path.replace("/", rng.choice(["//", "/./", "\\"]), 1)
        q = self.query(rng, proc_ids) if rng.random() < 0.7 else ""
        if rng.random() < 0.05:
            return rng.choice(["*", "http://127.0.0.1/api/items", "api/items", "", "/" * 3000, "/?" + q])
        return path + ("?" + q if q else "")

    def headers(self, rng):
        h = [("Host", rng.choice(["127.0.0.1", "", "x" * 600, "[::1]:80"]))]
        options = [
            ("Range", rng.choice(["bytes=0-99", "bytes=-10", "bytes=10-", "bytes=5-2", "bytes=0-0,2-3,-1", "bytes=99999999999-",
                                  "bytes=--1", "items=0-1", "bytes=0-18446744073709551616", "bytes=" + ",".join(["0-1"] * 300)])),
            ("If-Range", rng.choice(['"abc"', "Wed, 21 Oct 2015 07:28:00 GMT", "", "\xff"])),
            ("If-None-Match", rng.choice(['"abc"', "*", 'W/"x", "y"', ""])),
            ("Accept", rng.choice(["text/event-stream", "*/*", "application/json"])),
            ("Icy-MetaData", "1"),
            ("Authorization", rng.choice(["Basic c291cmNlOmhhY2ttZQ==", "Basic %%%", "Bearer x", "Basic YWRtaW46",
                                           "Basic " + "A" * 5000])),
            ("Upgrade", "websocket"),
            ("X-Junk", "\xff\xfe" * rng.randint(1, 10)),
            ("X-Big", "b" * rng.choice([100, 4000, 9000, 70000])),
        ]
        h += rng.sample(options, k=rng.randint(0, 3))
        if rng.random() < 0.05:
            h += [("X-Repeat", "r")] * rng.choice([50, 500, 5000])
        return h

    def body(self, rng, headers):
        kind = rng.choice(["none"] * 5 + ["length", "chunked", "te_odd", "both", "length_lies", "expect"])
        if kind == "none":
            return headers, b""
        data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 10, 1000])))
        if kind == "length":
            return headers + [("Content-Length", str(len(data)))], data
        if kind == "length_lies":
            return headers + [("Content-Length", rng.choice(["-1", "1e3", "99999999999999999999", "10, 12", " 5", str(len(data) + 7)]))], data
        if kind == "expect":
            return headers + [("Expect", rng.choice(["100-continue", "nope"])), ("Content-Length", str(len(data)))], data
        chunks = self.chunked(rng, data)
        if kind == "chunked":
            return headers + [("Transfer-Encoding", "chunked")], chunks
        if kind == "te_odd":
            te = rng.choice(["xchunked", "gzip", "chunked, identity", "identity", "gzip, chunked", "CHUNKED", "chunked\x00"])
            return headers + [("Transfer-Encoding", te)], chunks
        return headers + [("Transfer-Encoding", "chunked"), ("Content-Length", str(len(data)))], chunks

    def chunked(self, rng, data):
        out = b""
        if data:
            size = "%x" % len(data)
            if rng.random() < 0.2:
                size = "0" * rng.choice([10, 5000]) + size
            ext = rng.choice([b"", b";a=b", b";" + b"e" * rng.choice([10, 10000])])
            out += size.encode() + ext + b"\r\n" + data + b"\r\n"
        if rng.random() < 0.1:
            return out + b"ffffffffffffffff\r\nabc"  # a size that lies
        trailer = rng.choice([b"", b"X-T: 1\r\n", b"X-T: " + b"t" * rng.choice([100, 10000]) + b"\r\n"])
        return out + b"0\r\n" + trailer + b"\r\n"

    def make(self, index):
        rng = random.Random(f"{self.seed}:{index}")
        if rng.random() < 0.5:
            # Half are well-formed requests that reach a handler: only the target and query vary.
            method = "HEAD" if rng.random() < 0.2 else "GET"
            target = self.clean_target(rng)
            version = "HTTP/1.1"
            headers, body = [("Host", "127.0.0.1")], b""
            if rng.random() < 0.2:
                headers.append(("Range", rng.choice(["bytes=0-99", "bytes=-10", "bytes=10-", "bytes=5-2"])))
        else:
            method = rng.choice(METHODS)
            target = self.target(rng)
            version = rng.choice(["HTTP/1.1"] * 12 + ["HTTP/1.0", "HTTP/2.0", "HTTP/1.1 x", "http/1.1", ""])
            headers, body = self.body(rng, self.headers(rng))
        keep = rng.random() < 0.15
        headers.append(("Connection", "keep-alive" if keep else "close"))
        rng.shuffle(headers)
        head = f"{method} {target} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        raw = head.encode("latin-1", "replace") + body
        if keep:  # a second request on the same connection, pipelined
            raw += b"GET /api/items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        return raw


def parse_responses(raw, head_request):
    """Splits what the server sent into responses: [(status, headers, body)]. Raises ValueError on
    bytes that break HTTP/1.1 framing."""
    out = []
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\r\n\r\n", pos)
        if end < 0:
            raise ValueError(f"a response head without its end at byte {pos}")
        lines = raw[pos:end].decode("latin-1").split("\r\n")
        m = re.fullmatch(r"HTTP/1\.[01] (\d{3}) .*", lines[0])
        if not m:
            raise ValueError(f"not a status line: {lines[0][:200]!r}")
        status = int(m.group(1))
        headers = {}
        for line in lines[1:]:
            if ":" not in line:
                raise ValueError(f"a header line without ':': {line[:200]!r}")
            k, _, v = line.partition(":")
            k = k.strip().lower()
            if k in headers and k in ("content-length", "transfer-encoding"):
                raise ValueError(f"{k} sent twice")
            headers[k] = v.strip()
        pos = end + 4
        if "content-length" in headers and "transfer-encoding" in headers:
            raise ValueError("both Content-Length and Transfer-Encoding")
        body = b""
        if head_request and not out or status in (204, 304) or 100 <= status < 200:
            pass
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                le = raw.find(b"\r\n", pos)
                if le < 0:
                    raise ValueError("a chunk size line without its end")
                size = int(raw[pos:le].split(b";")[0], 16)
                pos = le + 2
                if size == 0:
                    te = raw.find(b"\r\n\r\n", pos - 2)
                    if te < 0:
                        raise ValueError("a chunked body without its last CRLF")
                    pos = te + 4
                    break
                if raw[pos + size:pos + size + 2] != b"\r\n":
                    raise ValueError("a chunk not followed by CRLF")
                body += raw[pos:pos + size]
                pos += size + 2
        elif "content-length" in headers:
            n = int(headers["content-length"])
            if len(raw) - pos < n:
                raise ValueError(f"Content-Length {n} but {len(raw) - pos} bytes sent")
            body = raw[pos:pos + n]
            pos += n
        else:
            body = raw[pos:]  # read until close
            pos = len(raw)
        out.append((status, headers, body))
    return out


class Fuzzer:
    def __init__(self, server, seed, restart=None):
        self.server = server
        self.restart = restart  # after a finding that took the server down: a new server, or None to stop
        self.seed = seed
        self.log_offset = 0
        _, _, procs = server.get("/api/processors")
        processors = {}
        kinds = {}
        entries = procs if isinstance(procs, list) else procs.get("processors", [])
        for p in entries:
            processors[p["id"]] = p.get("parameters", [])
            kinds.setdefault(p.get("kind"), []).append(p["id"])
        _, _, items = server.get("/api/items")
        ids = [i["id"] for i in items["items"]]
        _, _, presets = server.get("/api/presets")
        preset_ids = [p["id"] for p in (presets if isinstance(presets, list) else presets.get("presets", []))]
        self.maker = RequestMaker(seed, ids, processors, kinds.get("grapher", []), kinds.get("analyzer", []),
                                  preset_ids)

    def send(self, raw):
        chunks = []
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=READ_DEADLINE) as s:
            try:
                s.sendall(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed before taking everything: read what it said
            deadline = time.monotonic() + READ_DEADLINE
            while time.monotonic() < deadline:
                try:
                    data = s.recv(65536)
                except ConnectionResetError:
                    break
                except socket.timeout:
                    raise AssertionError(f"no end of the answer within {READ_DEADLINE} s")
                if not data:
                    break
                chunks.append(data)
            else:
                raise AssertionError(f"no end of the answer within {READ_DEADLINE} s")
        return b"".join(chunks)

    def alive(self):
        deadline = time.monotonic() + LIVENESS_DEADLINE
        last = None
        while time.monotonic() < deadline:
            if self.server.proc.poll() is not None:
                return f"the server exited with status {self.server.proc.returncode}"
            try:
                status, _, _ = self.server.request("GET", "/api/items")
                if status == 200:
                    return None
                last = f"GET /api/items answered {status}"
            except OSError as e:
                last = f"GET /api/items: {e}"
            time.sleep(0.05)
        return f"not alive within {LIVENESS_DEADLINE} s: {last}"

    def sanitizer_report(self):
        with open(self.server.log_file.name, "rb") as f:
            f.seek(self.log_offset)
            text = f.read().decode("utf-8", "replace")
        self.log_offset += len(text.encode("utf-8", "replace"))
        m = SANITIZER.search(text)
        return text[max(0, m.start() - 200):m.start() + 3000] if m else None

    def one(self, index):
        """The finding of request `index`, or None."""
        raw = self.maker.make(index)
        problem = None
        try:
            answer = self.send(raw)
            try:
                responses = parse_responses(answer, raw.split(b" ", 1)[0] == b"HEAD")
            except ValueError:
                # A HEAD the server could not parse is answered with a body: it did not know it was HEAD.
                responses = parse_responses(answer, False)
            for status, headers, body in responses:
                if not status_ok(status):
                    problem = f"answered {status}: {body[:300]!r}"
                    break
        except (AssertionError, ValueError, OSError) as e:
            problem = f"{type(e).__name__}: {e}"
        dead = self.alive()
        report = self.sanitizer_report()
        if dead:
            problem = (problem + "; " if problem else "") + dead
        if report:
            problem = (problem + "; " if problem else "") + "sanitizer report:\n" + report
        if problem:
            return {"seed": self.seed, "index": index, "request": raw, "problem": problem, "fatal": bool(dead)}
        return None

    def run(self, count, time_limit, first=0, out=sys.stdout):
        findings = []
        started = time.monotonic()
        done = 0
        for i in range(first, first + count):
            if time.monotonic() - started > time_limit:
                break
            f = self.one(i)
            done += 1
            if f:
                findings.append(f)
                print(f"finding: seed {f['seed']} index {f['index']}: {f['problem'][:3000]}\n"
                      f"  request: {f['request'][:2000]!r}", file=out, flush=True)
                if len(findings) >= 20 or (f["fatal"] and not self.restart):
                    break
                if f["fatal"]:
                    self.server = self.restart(self.server)
                    self.log_offset = 0
        return done, findings, time.monotonic() - started


def tiny_wav(path, rate=8000, channels=1, frames=2400):
    import array
    import math
    samples = array.array("h", (int(12000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames)
                                for _ in range(channels)))
    data = samples.tobytes()
    with open(path, "wb") as f:
        f.write(b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little") +
                (1).to_bytes(2, "little") + channels.to_bytes(2, "little") + rate.to_bytes(4, "little") +
                (rate * 2 * channels).to_bytes(4, "little") + (2 * channels).to_bytes(2, "little") +
                (16).to_bytes(2, "little") + b"data" + len(data).to_bytes(4, "little") + data)


def make_media(folder):
    """Three short items: mono, stereo in a subfolder, and one with a non-ASCII name."""
    os.makedirs(os.path.join(folder, "album"), exist_ok=True)
    tiny_wav(os.path.join(folder, "tone.wav"))
    tiny_wav(os.path.join(folder, "album", "stereo.wav"), rate=22050, channels=2, frames=4410)
    tiny_wav(os.path.join(folder, "café.wav"), rate=16000, frames=1600)


CONFIG = """
[server]
threads = 2
read_timeout = 5
[media]
max_transcodes = 8
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--index", type=int, default=0, help="the first request's index")
    ap.add_argument("--time-limit", type=float, default=600)
    ap.add_argument("--show", action="store_true", help="print request --index of --seed and stop")
    ap.add_argument("--keep-going", action="store_true",
                    help="after a finding that took the server down, start another and go on (20 findings at most)")
    args = ap.parse_args()
    with TempDir() as tmp:
        make_media(tmp)
        def restart(old):
            old.cleanup()
            new = Server(media=(tmp,), config=CONFIG)
            new.wait_scanned()
            return new

        server = Server(media=(tmp,), config=CONFIG)
        try:
            server.wait_scanned()
            # Requests depend on the items and processors served.
            fuzzer = Fuzzer(server, args.seed, restart if args.keep_going else None)
            if args.show:
                print(repr(fuzzer.maker.make(args.index)))
                return 0
            done, findings, elapsed = fuzzer.run(args.count, args.time_limit, args.index)
        finally:
            fuzzer.server.cleanup() if "fuzzer" in locals() else server.cleanup()
    print(f"http_fuzz: seed {args.seed}, {done} requests in {elapsed:.1f} s, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
