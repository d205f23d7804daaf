#!/usr/bin/python3
"""Relay tree: one TimeSide mount (a looped music file, MP3 128k) pushed to two Debian icecast2
relays on loopback, `--listeners` listeners spread over the two (bench/live_load_client, one process
per relay, reading for `--seconds`): how many stayed real time, and what the relays cost us.

What a push costs us is measured against what a listener costs, side by side in the same run: one
server whose mount pushes to K icecast2 mounts (K relays' worth, `--pushes`, one icecast2 taking
them all) and a twin whose identical mount has no push, both running together: the pushes' cost
is the first's CPU less the twin's over the same window; the listeners' cost is the twin's CPU
with K direct listeners over the next window less its own over the first. Per push and per
listener is that difference / K; the issue's target is a push costing no more than a listener
(two relays <= two listeners). Usage:
    bench/relay_tree.py [--build build] [--listeners 10000] [--seconds 30] [--pushes 64]
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402
from live_support import wait_until  # noqa: E402 (tests/integration, put on the path by live_peers)

QUEUE_SECONDS = 10


def mount(music, pushes=()):
    out = dict(live_peers.MP3_128)
    if pushes:
        out["push"] = list(pushes)
    return live_peers.definition("Tree", {"kind": "file", "uri": music, "loop": True}, [out],
                                 listeners={"burst": 2, "burst_bytes": 0, "queue": QUEUE_SECONDS})


def wait_for(what, predicate, timeout=30):
    """live_support's wait_until over a predicate whose server may not answer yet (OSError: not yet)."""
    def answered():
        try:
            return predicate()
        except OSError:
            return False
    wait_until(what, answered, timeout, interval=0.1)


def icecast_mounts(ice):
    with urllib.request.urlopen(ice.url("/status-json.xsl"), timeout=5) as r:
        text = r.read().decode(errors="replace")
    return text.count('"listenurl"')


def mount_listeners(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5) as r:
        mounts = json.loads(r.read())["live"]["mounts"]
    return sum(m["listeners"] for m in mounts if m["id"] == "tree")


def window_cores(pids, seconds):
    """Each process's cores over one window of `seconds` (a fixed-length measurement window)."""
    cpu0, t0 = [live_peers.cpu_seconds(p) for p in pids], time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    return [(live_peers.cpu_seconds(p) - c) / elapsed for p, c in zip(pids, cpu0)]


def cost_per_push(build, tmp, music, k, seconds):
    """(cores per push, cores per listener): K pushes against K listeners, side by side."""
    with live_peers.icecast2(clients=k + 100, sources=k + 4) as ice:
        pushes = [ice.source_url(f"/p{i}.mp3") for i in range(k)]
        with live_peers.timeside(build, tmp, {"tree": mount(music, pushes)}) as pushing, \
                live_peers.timeside(build, tmp, {"tree": mount(music)}) as direct:
            wait_for(f"{k} pushes on icecast2", lambda: icecast_mounts(ice) >= k)
            before = window_cores([pushing.proc.pid, direct.proc.pid], seconds)
            client = os.path.join(build, "bench", "live_load_client")
            load = subprocess.Popen([client, f"http://127.0.0.1:{direct.port}/live/tree.mp3", "-n", str(k), "-d",
                                     str(seconds + 5), "--expect-kbps", "128", "--quiet"],
                                    stdout=subprocess.PIPE, text=True)
            try:
                wait_for("the listeners connected", lambda: mount_listeners(direct.port) >= k, 20)
                during = window_cores([pushing.proc.pid, direct.proc.pid], seconds)
            finally:
                out, _ = load.communicate(timeout=seconds + 120)
            still = icecast_mounts(ice)
    # The twin without pushes is the pushing server's baseline in the first window (same mount,
    # same moment); its own second window, with K listeners, against its first gives theirs.
    per_push = max(0.0, before[0] - before[1]) / k
    per_listener = max(0.0, during[1] - before[1]) / k
    print(f"  mount + {k} pushes: {before[0]:.3f} cores, twin mount alone {before[1]:.3f} (same window); "
          f"twin + {k} listeners {during[1]:.3f} (next window); {still}/{k} icecast2 mounts still fed; "
          f"load client: {out.strip().splitlines()[-1] if out.strip() else '?'}")
    return per_push, per_listener


def spread(build, tmp, music, n, seconds):
    """N listeners over two relays: (real-time listeners, dropped, our cores, the relays' cores)."""
    with live_peers.icecast2(clients=n // 2 + 200) as a, live_peers.icecast2(clients=n // 2 + 200) as b:
        pushes = [a.source_url("/tree.mp3"), b.source_url("/tree.mp3")]
        with live_peers.timeside(build, tmp, {"tree": mount(music, pushes)}) as ts:
            wait_for("both relays fed", lambda: icecast_mounts(a) >= 1 and icecast_mounts(b) >= 1)
            client = os.path.join(build, "bench", "live_load_client")
            procs = [subprocess.Popen([client, ice.url("/tree.mp3"), "-n", str(n // 2), "-d", str(seconds),
                                       "--expect-kbps", "128", "--quiet"], stdout=subprocess.PIPE, text=True)
                     for ice in (a, b)]
            pids = [ts.proc.pid, a.proc.pid, b.proc.pid]
            cpu0, t0 = [live_peers.cpu_seconds(p) for p in pids], time.monotonic()
            outs = [p.communicate(timeout=seconds + 180)[0] for p in procs]
            elapsed = time.monotonic() - t0
            cores = [(live_peers.cpu_seconds(p) - c) / elapsed for p, c in zip(pids, cpu0)]
    summaries = [json.loads(o.strip().splitlines()[-1]) for o in outs]
    ok = sum(s["receiving"] - s["below_realtime"] for s in summaries)
    dropped = sum(s["disconnects"] for s in summaries)
    return ok, dropped, cores[0], cores[1] + cores[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(live_peers.ROOT, "build"))
    ap.add_argument("--listeners", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--pushes", type=int, default=64)
    args = ap.parse_args()
    live_peers.raise_fd_limit(200000)
    with live_peers.workdir() as tmp:
        music = live_peers.make_music(os.path.join(tmp, "music.wav"), 20)
        print(f"{args.pushes} pushes against {args.pushes} listeners, {args.seconds:.0f} s windows:")
        per_push, per_listener = cost_per_push(args.build, tmp, music, args.pushes, args.seconds)
        print(f"{args.listeners} listeners over two icecast2 relays for {args.seconds:.0f} s:")
        ok, dropped, ours, relays = spread(args.build, tmp, music, args.listeners, args.seconds)
        print(f"  {ok}/{args.listeners} real time, {dropped} dropped; our server {ours:.3f} cores, "
              f"the two relays {relays:.3f} cores")
        print(f"RESULT relay_tree: cpu per push / per listener {per_push / max(per_listener, 1e-9):.2f} "
              f"({per_push * 1e6:.0f} vs {per_listener * 1e6:.0f} µs per second; target <= 1); "
              f"{ok}/{args.listeners} listeners over 2 relays real time (target all)")


if __name__ == "__main__":
    main()
