#!/usr/bin/python3
"""The soak: one live mount with analyzers (a looped file, MP3 + Opus + Ogg Vorbis outputs, level,
aubio_temporal, aubio_pitch) runs for `--minutes`, with listeners that come and go and one that
stays (its stream is checked to be still real time at the end). The server's RSS is sampled every
`--every` seconds; its growth after the first minute must stay under `--max-growth` MiB (5 by
default: the issue's bound for 60 minutes). Exit status 1 when it does not. `make soak` runs 60
minutes; `make test` runs a short one (tests/integration/test_live_soak.py).
Usage: bench/live_soak.py [--build build] [--minutes 60] [--every 10] [--max-growth 5]
"""
import argparse
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402


class Reader:
    """A listener reading with a non-blocking socket, polled by the soak's loop."""

    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\nIcy-MetaData: 1\r\n\r\n".encode())
        self.sock.setblocking(False)
        self.bytes, self.started = 0, time.monotonic()

    def poll(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return False
                self.bytes += len(data)
        except BlockingIOError:
            return True

    def close(self):
        self.sock.close()


def run(build, minutes, every, max_growth, settle=60, churn=20):
    with live_peers.workdir() as tmp:
        music = live_peers.make_music(os.path.join(tmp, "music.wav"), 20)
        definition = live_peers.definition("Soak", {"kind": "file", "uri": music},
                                           [live_peers.MP3_128, live_peers.OPUS_96, live_peers.VORBIS],
                                           analysis=("level", "aubio_temporal", "aubio_pitch"))
        with live_peers.timeside(build, tmp, {"soak": definition}) as ts:
            steady = Reader(ts.port, "/live/soak.mp3")
            churners = []
            start = time.monotonic()
            end = start + minutes * 60
            samples = []  # (seconds, rss KiB)
            next_sample = start
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_sample:
                    samples.append((now - start, live_peers.rss_kib(ts.proc.pid)))
                    next_sample += every
                    # Listeners come and go: a few join each period, the oldest leave.
                    for ext in ("mp3", "opus", "ogg"):
                        churners.append(Reader(ts.port, f"/live/soak.{ext}"))
                    while len(churners) > churn:
                        churners.pop(0).close()
                if not steady.poll():
                    raise RuntimeError("the steady listener was closed")
                for c in churners:
                    c.poll()
                time.sleep(0.05)  # the soak's own pacing: a poll of its sockets twenty times a second
            elapsed = time.monotonic() - steady.started
            kbps = steady.bytes * 8 / 1000 / elapsed
            for c in churners:
                c.close()
            steady.close()
    after_first = [r for t, r in samples if t >= settle] or [samples[-1][1]]
    growth = (max(after_first) - after_first[0]) / 1024
    print(f"soak: {minutes:g} min, RSS {samples[0][1] / 1024:.1f} MiB at start, {after_first[0] / 1024:.1f} MiB after "
          f"{settle:g} s, {max(after_first) / 1024:.1f} MiB at most: growth {growth:.2f} MiB "
          f"(limit {max_growth} MiB); the steady listener got {kbps:.1f} kbit/s")
    ok = growth < max_growth and kbps > 128 * 0.95
    print(f"RESULT live_soak: {'ok' if ok else 'FAILED'}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(live_peers.ROOT, "build"))
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--every", type=float, default=10)
    ap.add_argument("--max-growth", type=float, default=5)
    ap.add_argument("--settle", type=float, default=60, help="seconds after which growth is counted")
    args = ap.parse_args()
    sys.exit(0 if run(args.build, args.minutes, args.every, args.max_growth, args.settle) else 1)


if __name__ == "__main__":
    main()
