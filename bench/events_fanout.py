#!/usr/bin/python3
"""Events fan-out: N WebSocket subscribers of one live mount's feed (a clicks signal with `level` and
`aubio_temporal`: `level.max` and `level.rms` intervals at the default 20 per second and every onset
and beat, about 42 messages a second; `level`'s per-channel results are left out by the
subscription, as before they existed), ours
against Node's ws (bench/node/events_peer.mjs) broadcasting the same feed, same machine, same run.
bench/events_load_client (one epoll process) opens the subscribers (2,000 per second) and counts
the messages each receives over `--seconds`. For ours: the delivery latency (end of a block's
analysis to its message written to a subscriber's socket) from the server's own histogram in
/metrics over the window, messages delivered per second, CPU per delivered message (the window's
cores less the server's cores with no subscriber, which runs the mount), RSS per subscriber, and how
long the server's threads waited runnable for a CPU over the window (on a shared machine, that part
of the latency is the scheduler's). For Node: its process's CPU per delivered message (it does
nothing else). Usage:
    bench/events_fanout.py [--build build] [--subscribers 10000] [--seconds 20]
"""
import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402

SETTLE_SECONDS = 6
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")


# What each subscriber (ours, and the one Node's peer relays) asks for.
FEED = "/events/bench?analyzers=level.max,level.rms,aubio_temporal.onset,aubio_temporal.beat"

def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    buckets = {float(le) if le != "+Inf" else float("inf"): float(v) for le, v in
               re.findall(r'timeside_events_delivery_seconds_bucket\{mount="bench",le="([^"]+)"\} (\S+)', text)}
    delivered = float(re.search(r'timeside_events_delivered_total\{mount="bench"\} (\S+)', text).group(1))
    return buckets, delivered


def realtime(port):
    """The mount's frames filled because its input was late and analysis blocks skipped to keep up:
    both stay put while the mount runs in real time."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    def value(name):
        m = re.search(name + r'\{mount="bench"\} (\S+)', text)
        return float(m.group(1)) if m else float("nan")
    return value("timeside_live_filled_frames_total"), value("timeside_live_skipped_analysis_blocks_total")


def idle_cores(pid):
    cpu0, t0 = live_peers.cpu_seconds(pid), time.monotonic()
    # A measurement window of fixed length, not a wait: the server's own work with no subscriber
    # (ours: the mount and its analysis), measured over it.
    time.sleep(SETTLE_SECONDS)
    return (live_peers.cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)


def runnable_waiting_seconds(pid):
    """How long the threads of `pid` have waited, runnable, for a CPU (schedstat's second field): on
    a machine shared with other work, the part of the delivery latency that is the scheduler's."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            pass
    return total / 1e9


def load(client, url, n, seconds, pid):
    """Runs the load client against `url` while sampling `pid`: (summary, cores, peak RSS KiB, seconds)."""
    return live_peers.run_load([client, url, "-n", str(n), "-d", str(seconds)], pid, seconds + 120)


def report(name, n, summary, cores, idle, rss0, peak, elapsed):
    per_message_us = max(0.0, cores - idle) * elapsed / max(summary["messages"], 1) * 1e6
    print(f"  {name}: {summary['upgraded']}/{n} subscribers, {summary['receiving']} receiving "
          f"({summary['mean_rate']:.1f} messages/s each, slowest {summary['min_rate']:.1f}), "
          f"{summary['messages'] / elapsed:.0f} messages/s delivered, {summary['server_closes']} closed by the server; "
          f"{cores:.3f} cores ({idle:.3f} without subscribers): {per_message_us:.2f} us of CPU per delivered message; "
          f"RSS +{(peak - rss0) / 1024:.1f} MiB ({(peak - rss0) / max(summary['upgraded'], 1):.2f} KiB per subscriber "
          f"connected)")
    return {"per_message_us": per_message_us, "per_subscriber_kib": (peak - rss0) / max(summary["upgraded"], 1),
            "summary": summary}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(live_peers.ROOT, "build"))
    ap.add_argument("--subscribers", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=20)
    args = ap.parse_args()
    live_peers.raise_fd_limit(200000)
    client = os.path.join(args.build, "bench", "events_load_client")
    n = args.subscribers
    definition = live_peers.definition("Bench", {"kind": "signal", "signal": "clicks:120"}, [live_peers.MP3_128],
                                       analysis=("level", "aubio_temporal"))
    live = f"max_subscribers = {n + 100}\n"
    with live_peers.workdir() as tmp, live_peers.timeside(args.build, tmp, {"bench": definition}, live=live) as ts:
        print(f"{n} WebSocket subscribers of one mount's events for {args.seconds:.0f} s:")
        idle = idle_cores(ts.proc.pid)
        rss0 = live_peers.rss_kib(ts.proc.pid)
        buckets0, delivered0 = metrics(ts.port)
        waited0 = runnable_waiting_seconds(ts.proc.pid)
        filled0, skipped0 = realtime(ts.port)
        summary, cores, peak, elapsed = load(client, f"ws://127.0.0.1:{ts.port}{FEED}", n, args.seconds,
                                             ts.proc.pid)
        waited = runnable_waiting_seconds(ts.proc.pid) - waited0
        filled1, skipped1 = realtime(ts.port)
        buckets1, delivered1 = metrics(ts.port)
        ours = report("timeside", n, summary, cores, idle, rss0, peak, elapsed)
        total = buckets1[float("inf")] - buckets0[float("inf")]
        within = {le: (buckets1[le] - buckets0[le]) / max(total, 1) for le in buckets1}
        print(f"  timeside delivery latency over the window ({total:.0f} messages written): "
              f"{within[0.01] * 100:.2f} % within 10 ms, {within[0.02] * 100:.2f} % within 20 ms, "
              f"{within[0.05] * 100:.3f} % within 50 ms; its threads waited {waited:.2f} s for a CPU "
              f"({waited / max(cores * elapsed, 1e-9):.2f} s per second they ran; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores)")
        print(f"  the mount over the window: {filled1 - filled0:.0f} frames filled (input late), "
              f"{skipped1 - skipped0:.0f} analysis blocks skipped (real time kept: both 0)")
        # The peer, fed by our feed (one more subscriber of ours) on the same machine.
        port = live_peers._free_port()
        node = subprocess.Popen(["node", os.path.join(NODE_DIR, "events_peer.mjs"), str(port),
                                 f"ws://127.0.0.1:{ts.port}{FEED}"], stdout=subprocess.PIPE, text=True)
        try:
            line = node.stdout.readline()  # 'listening PORT' once bound, or EOF if it failed
            if not line.startswith("listening"):
                raise RuntimeError(f"events_peer.mjs did not start: {line!r}")
            idle_node = idle_cores(node.pid)
            rss0 = live_peers.rss_kib(node.pid)
            summary, cores, peak, elapsed = load(client, f"ws://127.0.0.1:{port}/", n, args.seconds, node.pid)
            peer = report("node ws", n, summary, cores, idle_node, rss0, peak, elapsed)
        finally:
            node.terminate()
            try:
                node.wait(10)
            except subprocess.TimeoutExpired:  # a peer starved of CPU by a loaded machine: it is done anyway
                node.kill()
                node.wait(10)
    ratio = ours["per_message_us"] / max(peer["per_message_us"], 1e-9)
    print(f"RESULT events_fanout_{n}: cpu per delivered message ratio {ratio:.2f} (target <= 0.5); "
          f"p99 within 20 ms: {'yes' if within[0.02] >= 0.99 else 'no'} ({within[0.02] * 100:.2f} %), "
          f"p99.9 within 50 ms: {'yes' if within[0.05] >= 0.999 else 'no'} ({within[0.05] * 100:.3f} %); "
          f"memory per subscriber {ours['per_subscriber_kib']:.2f} KiB (goal <= 10 KB)")


if __name__ == "__main__":
    main()
