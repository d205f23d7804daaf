#!/usr/bin/python3
"""Latency from a live mount to an RTSP client: when a click leaves the mount's clock, and when an
RTSP client (gst-launch-1.0 rtspsrc latency=0, Opus decoded) has it.

The mount plays `signal = "clicks:30"`: a 10 ms 1 kHz burst at every stream frame that is a
multiple of two seconds. When the mount releases stream time x is read from /api/status: each
query's wall time minus its `stream_seconds` bounds the mount's offset from above; the smallest of
40 queries is the offset (within a block, 21 ms at 48 kHz, and the query's own time). The client
writes its decoded PCM to a pipe; each click's arrival is the moment the bytes holding its first
sample were read. Latency = arrival - (offset + click's stream time), for TCP-interleaved and UDP
transports. Then the server's CPU with 0, 1 and 10 RTSP clients (one shared media: the second
Opus encode is paid once, each client costs its RTP packets). Usage: bench/rtsp_latency.py [--build build] [--clicks 10]
"""
import argparse
import array
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402

RATE = 48000
EVERY = 2.0  # seconds between clicks (clicks:30); a latency must stay below it to be measured
TARGET_MS = 300


def status(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5) as r:
        return json.load(r)


def mount_offset(port, mount, samples=40):
    """The monotonic time at which the mount released stream time 0 (see the module's text)."""
    best = None
    for _ in range(samples):
        s = status(port)
        t1 = time.monotonic()
        m = next(m for m in s["live"]["mounts"] if m["id"] == mount)
        offset = t1 - m["stream_seconds"]
        best = offset if best is None else min(best, offset)
        time.sleep(0.05)
    return best


def measure(url, transport, clicks, offset):
    """Latencies (seconds) of the next `clicks` clicks at an rtspsrc client over `transport`."""
    cmd = ["gst-launch-1.0", "-q", "rtspsrc", f"location={url}", f"protocols={transport}", "latency=0", "!",
           "rtpopusdepay", "!", "opusdec", "!", "audioconvert", "!", "audioresample", "!",
           f"audio/x-raw,format=S16LE,rate={RATE},channels=1", "!", "fdsink", "fd=1", "sync=false"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    data = bytearray()
    deadline = time.monotonic() + 15 + clicks * EVERY
    try:
        found = []
        quiet = 0
        scanned = 0
        while len(found) < clicks + 1 and time.monotonic() < deadline:
            chunk = proc.stdout.read(4096)
            if not chunk:
                break
            now = time.monotonic()
            data += chunk
            n = len(data) // 2
            s = array.array("h")
            s.frombytes(bytes(data[scanned * 2:n * 2]))
            for v in s:
                if abs(v) > 3000 and quiet >= RATE // 2:
                    found.append(now)
                    quiet = 0
                quiet = 0 if abs(v) > 3000 else quiet + 1
            scanned = n
    finally:
        proc.terminate()
        proc.wait(5)
    # The first click may have been cut by the client's start: left out.
    latencies = []
    for arrival in found[1:]:
        k = int((arrival - offset) // EVERY)  # the click's index: the last one released before it arrived
        latencies.append(arrival - (offset + k * EVERY))
    return latencies


def cpu_with_clients(server, url, n, seconds=10):
    """The server's cores over `seconds` with `n` RTSP clients (ffmpeg, TCP, copying the RTP
    payload without decoding it) playing the mount."""
    procs = [subprocess.Popen(["ffmpeg", "-v", "quiet", "-nostdin", "-rtsp_transport", "tcp", "-i", url, "-c", "copy",
                               "-f", "null", "-"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(n)]
    try:
        time.sleep(3)  # the clients connect and play: a settling time before the window, not a wait for a condition
        c0, t0 = live_peers.cpu_seconds(server.proc.pid), time.monotonic()
        time.sleep(seconds)
        cores = (live_peers.cpu_seconds(server.proc.pid) - c0) / (time.monotonic() - t0)
        clients = next(m for m in status(server.port)["live"]["mounts"] if m["id"] == "clicks")["rtsp"]["clients"]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(5)
    return cores, clients


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--clicks", type=int, default=10)
    args = ap.parse_args()
    rtsp_port = live_peers._free_port()
    clicks = live_peers.definition("Clicks", {"kind": "signal", "signal": "clicks:30"}, [live_peers.MP3_128])
    clicks = clicks.replace('name = "Clicks"\n', f'name = "Clicks"\nsamplerate = {RATE}\nchannels = 1\n')
    results = {}
    with tempfile.TemporaryDirectory() as tmp, \
            live_peers.timeside(args.build, tmp, {"clicks": clicks},
                                live=f'[rtsp]\nlisten = "127.0.0.1:{rtsp_port}"\n') as server:
        time.sleep(0.5)  # let the mount's clock settle after its start: not a wait for a condition
        offset = mount_offset(server.port, "clicks")
        url = f"rtsp://127.0.0.1:{rtsp_port}/live/clicks"
        for transport in ("tcp", "udp"):
            lat = measure(url, transport, args.clicks, offset)
            if not lat:
                raise SystemExit(f"{transport}: no click arrived")
            results[transport] = {"clicks": len(lat), "median_ms": round(statistics.median(lat) * 1000, 1),
                                  "min_ms": round(min(lat) * 1000, 1), "max_ms": round(max(lat) * 1000, 1)}
            print(f"RTSP {transport}: {len(lat)} clicks, latency median {results[transport]['median_ms']} ms, "
                  f"min {results[transport]['min_ms']}, max {results[transport]['max_ms']} (target <= {TARGET_MS} ms)")
        cpu = {}
        for n in (0, 1, 10):
            cores, clients = cpu_with_clients(server, url, n)
            cpu[n] = round(cores * 100, 2)
            print(f"server CPU with {n} RTSP clients ({clients} seen in /api/status): {cpu[n]} % of a core")
        results["cpu_percent_by_clients"] = cpu
    over = [t for t, r in results.items() if t in ("tcp", "udp") and r["max_ms"] > TARGET_MS]
    print(json.dumps({"rtsp_latency": results, "target_ms": TARGET_MS, "within_target": not over}))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
