#!/usr/bin/python3
"""Fan-out: N listeners of one 128 kbit/s MP3 stream, TimeSide against Debian's icecast2, same
machine, same run. ffmpeg pushes the same looped MP3 to both as an Icecast source (icecast2 relays
it as it is; we decode it and encode MP3 128k once for every listener). bench/live_load_client
(one epoll process, built by meson) opens N listeners and reads for `--seconds`; each server's CPU
seconds over that window and its RSS growth per listener are read from /proc, with the listeners
that fell below real time or were dropped. The CPU per listener is the window's less the server's
own work without listeners (measured just before: our decode and encode, icecast2's source
reading), divided by N; the whole process's ratio is printed too. Usage:
    bench/live_fanout.py [--build build] [--listeners 2000,10000] [--seconds 30]
"""
import argparse
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402


# The same service on both: a 2 s burst for a joining listener, 10 s of queue before one is dropped
# (icecast2's burst-size and queue-size in bytes of the 128 kbit/s stream). Each server's memory is
# taken as its baseline once its queue is full, so that only the listeners' memory is counted; its CPU
# over that wait is its cost without listeners.
BURST_SECONDS, QUEUE_SECONDS = 2, 10
SETTLE_SECONDS = QUEUE_SECONDS + 2


def make_mp3(path, seconds=60):
    wav = path + ".wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", str(seconds), "pinknoise", "synth",
                    str(seconds), "sine", "mix", "220-880", "tremolo", "0.5", "40", "vol", "0.5"], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", wav, "-c:a", "libmp3lame", "-b:a", "128k", path], check=True)
    os.unlink(wav)


def push(url, mp3):
    return subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", mp3, "-c", "copy",
                             "-content_type", "audio/mpeg", "-f", "mp3", url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_status(url, predicate, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if predicate(r.read().decode(errors="replace")):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not within {timeout} s")


def load(client, url, n, seconds, pid):
    """Runs the load client against `url` while sampling `pid`: (summary, cores, peak RSS KiB)."""
    summary, cores, peak, _ = live_peers.run_load(
        [client, url, "-n", str(n), "-d", str(seconds), "--expect-kbps", "128", "--quiet"], pid, seconds + 120)
    return summary, cores, peak


def settle(pid):
    """Waits SETTLE_SECONDS with no listener; the server's cores over that wait (its own work: for us
    the source's decode and the MP3 encode, for icecast2 reading the source)."""
    cpu0, t0 = live_peers.cpu_seconds(pid), time.monotonic()
    # A measurement window of fixed length, not a wait: the baseline's CPU is measured over it, and
    # both servers pace their queue by the stream's clock, so after QUEUE_SECONDS + 2 it is full.
    time.sleep(SETTLE_SECONDS)
    return (live_peers.cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)


def report(name, n, summary, cores, idle, rss0, peak):
    per = (peak - rss0) / n
    # What the listeners cost: the cores over the window less the server's own work without them.
    per_listener_ms = max(0.0, cores - idle) / n * 1000
    ok = summary["receiving"] - summary["below_realtime"]
    print(f"  {name}: {ok}/{n} listeners real time, {summary['disconnects']} dropped, {summary['refused']} refused, "
          f"{cores:.3f} cores ({idle:.3f} without listeners: {per_listener_ms:.4f} ms of CPU per listener-second), "
          f"RSS +{(peak - rss0) / 1024:.1f} MiB ({per:.2f} KiB per listener)")
    return {"cores": cores, "per_listener_ms": per_listener_ms, "per_listener_kib": per, "real_time": ok,
            "dropped": summary["disconnects"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(live_peers.ROOT, "build"))
    ap.add_argument("--listeners", default="2000,10000")
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    live_peers.raise_fd_limit(200000)
    client = os.path.join(args.build, "bench", "live_load_client")
    counts = [int(x) for x in args.listeners.split(",")]
    top = max(counts)
    with live_peers.workdir() as tmp:
        mp3 = os.path.join(tmp, "source.mp3")
        make_mp3(mp3)
        definition = live_peers.definition("Relay", {"kind": "icecast", "password": "bench-source"},
                                           [live_peers.MP3_128],
                                           listeners={"burst": BURST_SECONDS, "burst_bytes": 0,
                                                      "queue": QUEUE_SECONDS})
        server = f"max_connections = {top + 200}\n"
        live = f"max_listeners = {top + 100}\n"
        results = []
        for n in counts:
            print(f"{n} listeners of one 128 kbit/s MP3 for {args.seconds:.0f} s:")
            with live_peers.timeside(args.build, tmp, {"relay": definition}, server=server, live=live) as ts:
                src = push(f"icecast://source:bench-source@127.0.0.1:{ts.port}/live/relay", mp3)
                try:
                    wait_status(f"http://127.0.0.1:{ts.port}/api/status",
                                lambda t: '"connected": true' in t, "the source on our mount")
                    idle = settle(ts.proc.pid)
                    rss0 = live_peers.rss_kib(ts.proc.pid)
                    summary, cores, peak = load(client, f"http://127.0.0.1:{ts.port}/live/relay.mp3", n, args.seconds,
                                                ts.proc.pid)
                    ours = report("timeside", n, summary, cores, idle, rss0, peak)
                finally:
                    src.terminate()
                    src.wait(10)
            with live_peers.icecast2(clients=top + 100, burst_size=BURST_SECONDS * 16000,
                                     queue_size=QUEUE_SECONDS * 16000) as ice:
                src = push(ice.source_url("/relay.mp3"), mp3)
                try:
                    wait_status(ice.url("/status-json.xsl"), lambda t: "relay.mp3" in t, "the source on icecast2")
                    idle = settle(ice.proc.pid)
                    rss0 = live_peers.rss_kib(ice.proc.pid)
                    summary, cores, peak = load(client, ice.url("/relay.mp3"), n, args.seconds, ice.proc.pid)
                    peer = report("icecast2", n, summary, cores, idle, rss0, peak)
                finally:
                    src.terminate()
                    src.wait(10)
            results.append((n, ours, peer))
        for n, ours, peer in results:
            print(f"RESULT live_fanout_{n}: cpu per listener ratio "
                  f"{ours['per_listener_ms'] / max(peer['per_listener_ms'], 1e-9):.2f} (target <= 1; whole process "
                  f"{ours['cores'] / max(peer['cores'], 1e-6):.2f}), "
                  f"rss/listener ratio {ours['per_listener_kib'] / max(peer['per_listener_kib'], 1e-6):.2f} "
                  f"(target <= 1); real time ours {ours['real_time']}/{n}, icecast2 {peer['real_time']}/{n}")


if __name__ == "__main__":
    main()
