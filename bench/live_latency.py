#!/usr/bin/python3
"""Latency of a live mount: from the source's byte to the listener's byte carrying the same audio.

A source client pushes an MP3 in real time (PUT, as ffmpeg's icecast:// does): silence with a
short 1 kHz blip every 2 s. Listeners on the mount's MP3 and Opus outputs (burst 0) record when
each of their bytes arrived. For each blip, the moment a side "has" it is found by decoding
prefixes: the shortest prefix of what the source had sent (or the listener had received) whose
decode (ffmpeg) already holds the blip; its end's send (arrival) time. The difference is the
latency a listener hears, codec delays and pages included, measured the same way on both sides.
Debian's icecast2 relaying the same source (burst-size 0, pass-through) is measured side by
side as the reference. Usage: bench/live_latency.py [--build build] [--blips 8]
"""
import argparse
import array
import base64
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402  (bench/live_peers.py: icecast2 and timeside started for a bench)

BLIP_EVERY = 2.0
LEAD_IN = 3.0  # seconds of silence before the first blip: every listener is connected by then


def make_source(path, blips):
    """An MP3 (128 kbit/s CBR, 44.1 kHz stereo, no tags) of silence with a 50 ms 1 kHz blip every 2 s."""
    seconds = LEAD_IN + blips * BLIP_EVERY + 1
    expr = f"if(gte(t,{LEAD_IN})*lt(mod(t-{LEAD_IN},{BLIP_EVERY}),0.05),0.5*sin(2*PI*1000*t),0)"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"aevalsrc='{expr}|{expr}':s=44100:d={seconds}",
                    "-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0", "-id3v2_version", "0", path], check=True)
    with open(path, "rb") as f:
        return f.read()


def mp3_frame_ends(data):
    ends, pos = [], 0
    rates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    while pos + 4 <= len(data):
        h = int.from_bytes(data[pos:pos + 4], "big")
        if (h >> 21) != 0x7FF:
            break
        length = 144000 * rates[(h >> 12) & 15] // 44100 + ((h >> 9) & 1)
        pos += length
        ends.append(min(pos, len(data)))
    return ends


def onsets(data, fmt):
    """Blip starts (seconds into the decode) found in the decode of `data`."""
    r = subprocess.run(["ffmpeg", "-v", "quiet", "-f", fmt, "-i", "pipe:0", "-ac", "1", "-ar", "8000", "-f", "f32le",
                        "pipe:1"], input=data, capture_output=True)
    s = array.array("f")
    s.frombytes(r.stdout[:len(r.stdout) // 4 * 4])
    found, quiet, n = [], 0, 40  # 5 ms windows
    for i in range(0, len(s) - n + 1, n):
        loud = math.sqrt(sum(x * x for x in s[i:i + n]) / n) > 0.05
        if loud and quiet >= 20:
            found.append(i / 8000)
        quiet = 0 if loud else quiet + 1
    return found


def time_of_blip(k, data, marks, fmt):
    """The time of the first mark (time, bytes) whose prefix decodes to more than k blips."""
    lo, hi = 0, len(marks) - 1
    if len(onsets(data[:marks[hi][1]], fmt)) <= k:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if len(onsets(data[:marks[mid][1]], fmt)) > k:
            hi = mid
        else:
            lo = mid + 1
    return marks[lo][0]


class Recorder(threading.Thread):
    """A listener on a raw socket (no ICY metadata) keeping (arrival time, bytes so far)."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.data, self.marks, self.stop = bytearray(), [], False
        self.start()

    def run(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                return
            head += chunk
        _, _, rest = head.partition(b"\r\n\r\n")
        chunk = rest
        while not self.stop:
            if chunk:
                self.data += chunk
                self.marks.append((time.monotonic(), len(self.data)))
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return

    def close(self):
        self.stop = True
        self.sock.close()


class Source(threading.Thread):
    """An Icecast source (PUT, as ffmpeg's icecast:// sends it) that, once accepted, sends `data`
    frame by frame at real time; (send time, bytes sent) in `marks`."""

    def __init__(self, port, mount, password, data, user="source"):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.sock.sendall(f"PUT {mount} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
                          f"Content-Type: audio/mpeg\r\nIce-Name: latency\r\nExpect: 100-continue\r\n\r\n".encode())
        first = self.sock.recv(4096).split(b"\r\n")[0]
        if b" 100 " not in first and b" 200 " not in first:
            raise RuntimeError(f"source refused: {first!r}")
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.data, self.marks = data, []
        self.start()

    def run(self):
        start, sent = time.monotonic(), 0
        for i, end in enumerate(mp3_frame_ends(self.data)):
            delay = start + i * 1152 / 44100 - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # a real-time source paces itself by the clock
            self.sock.sendall(self.data[sent:end])
            sent = end
            self.marks.append((time.monotonic(), sent))


def measure(name, port, mount, password, listen_paths, data, blips, user="source"):
    source = Source(port, mount, password, data, user)
    # Listeners join during the lead-in silence, once the mount has its source.
    recorders = {fmt: Recorder(port, path) for fmt, path in listen_paths.items()}
    try:
        source.join()
        # The capture ends once every listener has the last blip's bytes (5 s at most).
        demuxers = {fmt: "mp3" if fmt == "mp3" else "ogg" for fmt in recorders}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(
                len(onsets(bytes(r.data), demuxers[fmt])) < blips for fmt, r in recorders.items()):
            time.sleep(0.2)
    finally:
        source.sock.close()
        for r in recorders.values():
            r.close()
    sent_at = [time_of_blip(k, data, source.marks, "mp3") for k in range(blips)]
    results = {}
    for fmt, r in recorders.items():
        got = [time_of_blip(k, bytes(r.data), r.marks, demuxers[fmt]) for k in range(blips)]
        lat = [(g - s) * 1000 for g, s in zip(got, sent_at) if g is not None and s is not None]
        results[fmt] = lat
        print(f"  {name} {fmt}: {len(lat)}/{blips} blips, latency median {statistics.median(lat):.0f} ms, "
              f"max {max(lat):.0f} ms" if lat else f"  {name} {fmt}: no blip heard ({len(r.data)} bytes received)")
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(live_peers.ROOT, "build"))
    ap.add_argument("--blips", type=int, default=8)
    args = ap.parse_args()
    with live_peers.workdir() as tmp:
        data = make_source(os.path.join(tmp, "blips.mp3"), args.blips)
        opus = dict(live_peers.OPUS_96, frame_duration=20, page_duration=60)
        definition = live_peers.definition("Latency", {"kind": "icecast", "password": "bench-source"},
                                           [live_peers.MP3_128, opus], listeners={"burst": 0})
        print("latency from a source's byte to the listener's byte with the same audio (burst 0):")
        with live_peers.timeside(args.build, tmp, {"latency": definition}) as ts:
            ours = measure("timeside", ts.port, "/live/latency", "bench-source",
                           {"mp3": "/live/latency.mp3", "opus": "/live/latency.opus"}, data, args.blips)
        with live_peers.icecast2(tmp, burst_size=0) as ice:
            peer = measure("icecast2", ice.port, "/latency.mp3", ice.source_password, {"mp3": "/latency.mp3"}, data,
                           args.blips)
        for fmt in ("mp3", "opus"):
            if ours.get(fmt):
                m = statistics.median(ours[fmt])
                verdict = "ok" if m <= 300 else "OVER"
                print(f"RESULT live_latency_{fmt}: {m:.0f} ms median (target <= 300 ms: {verdict}); "
                      f"icecast2 pass-through mp3: {statistics.median(peer['mp3']):.0f} ms" if peer.get("mp3") else "")


if __name__ == "__main__":
    main()
