#!/usr/bin/python3
"""HLS behind a cache: N simulated HLS clients (each reloading the playlist once a target duration
and fetching every new segment, as hls.js does at the live edge) through Debian's nginx configured
as a caching reverse proxy (proxy_cache_lock on), for 100, 1,000 and 10,000 clients. Per step:
origin requests per segment (the server's own /api/status counters), origin CPU (cores, from
/proc), nginx's CPU, and the clients that kept up (got every segment published while they ran).
Then the publication latency: a poller on the origin reads the playlist every 20 ms and takes, for
each new segment, the time it appeared minus its EXT-X-PROGRAM-DATE-TIME (the wall clock of its
first sample): target <= one segment + 500 ms. The clients are bench/hls_load_client (compiled,
epoll; one client: one keep-alive connection). After each step, what nginx's access log says it
passed to the origin: per URL kind, and every segment URL passed more than once. Usage:
    bench/hls.py [--build build] [--clients 100,1000,10000] [--seconds 20] [--procs 1]
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402  (puts tests/integration on the path)
from nginx_peer import NginxCache  # noqa: E402

SEGMENT = 2.0
MOUNT = "radio"
NAME = re.compile(r"^seg-(\d+)-(-?\d+)\.mp3$", re.M)


def hls_status(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api/status", timeout=10) as r:
        for m in json.load(r)["live"]["mounts"]:
            if m["id"] == MOUNT:
                return m["hls"]
    raise RuntimeError("no mount")


def step(build, server, nginx_pid, nginx_port, n, seconds, procs, fetched):
    """`fetched`: the segments clients fetched in earlier steps (nginx has them already). The
    players are bench/hls_load_client processes (epoll, compiled: the Python asyncio players fell
    seconds behind at 10,000 on this VM, and late players ask for segments already evicted)."""
    spread = SEGMENT  # clients join over one segment, as a real audience would not all at once
    before = hls_status(server)
    cpu0, ncpu0, t0 = live_peers.cpu_seconds(server.proc.pid), live_peers.cpu_seconds(nginx_pid), time.monotonic()
    per = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    client = os.path.join(build, "bench", "hls_load_client")
    url = f"http://127.0.0.1:{nginx_port}/live/{MOUNT}/index.m3u8"
    ps = [subprocess.Popen([client, url, "-n", str(k), "-d", str(seconds), "--spread", str(spread),
                            "--interval", str(SEGMENT)], stdout=subprocess.PIPE, text=True) for k in per if k]
    results = []
    for p in ps:
        out, _ = p.communicate(timeout=seconds + 60)
        if p.returncode != 0:
            raise RuntimeError(f"hls_load_client exited {p.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    elapsed = time.monotonic() - t0
    after = hls_status(server)
    origin_cores = (live_peers.cpu_seconds(server.proc.pid) - cpu0) / elapsed
    nginx_cores = (live_peers.cpu_seconds(nginx_pid) - ncpu0) / elapsed
    published = after["segments"] - before["segments"]
    origin_segments = after["segment_requests"] - before["segment_requests"]
    origin_playlists = after["playlist_requests"] - before["playlist_requests"]
    distinct = set()
    for r in results:
        distinct.update(r["seqs"])
    new = distinct - fetched
    fetched |= distinct
    total = lambda key: sum(r[key] for r in results)  # noqa: E731
    return {"clients": n, "seconds": round(elapsed, 1), "segments_published": published,
            "origin_segment_requests": origin_segments, "origin_not_found": after["not_found"] - before["not_found"],
            "client_segment_requests": total("segment_requests"), "client_playlist_requests": total("playlist_requests"),
            "segments_fetched": len(distinct), "segments_new_to_the_cache": len(new),
            "origin_requests_per_segment": round(origin_segments / len(new), 3) if new else None,
            "origin_playlist_requests_per_second": round(origin_playlists / elapsed, 2),
            "origin_cores": round(origin_cores, 4), "nginx_cores": round(nginx_cores, 3),
            "clients_kept_up": total("kept_up"), "client_not_found": total("not_found"),
            "client_other_errors": total("other_errors"), "failed_connections": total("failed_connections")}


def latency(server, seconds):
    """Segment appearance on the origin minus its PROGRAM-DATE-TIME, for each new segment."""
    seen, out = set(), []
    deadline = time.monotonic() + seconds
    pdt = re.compile(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)\n#EXTINF:([\d.]+),\n(seg-(\d+)-\S+)")
    first = True
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/live/{MOUNT}/index.m3u8", timeout=5) as r:
            text = r.read().decode()
        now = time.time()
        for date, duration, name, seq in pdt.findall(text):
            if seq in seen:
                continue
            seen.add(seq)
            if first:
                continue  # already there when the poller started
            start = datetime.datetime.strptime(date, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
            out.append((now - start.timestamp(), float(duration)))
        first = False
        time.sleep(0.02)  # the poller's resolution: a measurement window (to `deadline`), not a wait
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--clients", default="100,1000,10000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--nginx-log", default="warn", help="nginx's error_log level (info: its cache lock timeouts)")
    ap.add_argument("--procs", type=int, default=1, help="hls_load_client processes sharing the clients")
    args = ap.parse_args()
    live_peers.raise_fd_limit()
    with live_peers.workdir() as tmp:
        music = live_peers.make_music(os.path.join(tmp, "music.wav"), 30)
        defs = {MOUNT: live_peers.definition("Radio", {"kind": "file", "uri": music}, [live_peers.MP3_128])}
        with live_peers.timeside(args.build, tmp, defs) as server:
            deadline = time.monotonic() + 20
            while hls_status(server)["segments"] < 3:
                if time.monotonic() > deadline:
                    raise RuntimeError("the mount published fewer than 3 HLS segments in 20 s")
                time.sleep(0.1)
            lat = latency(server, 12)
            worst = max(l for l, _ in lat)
            print(json.dumps({"latency_s": [round(l, 3) for l, _ in lat], "segment_s": lat[0][1] if lat else None,
                              "worst_s": round(worst, 3), "target_s": SEGMENT + 0.5,
                              "server_reported_s": round(hls_status(server)["latency"], 3)}), flush=True)
            with NginxCache(server.port, worker_connections=30000, error_level=args.nginx_log) as nginx:
                fetched = set()
                for n in (int(x) for x in args.clients.split(",")):
                    t0 = time.time()
                    print(json.dumps(step(args.build, server, nginx.worker_pid(), nginx.port, n, args.seconds, args.procs,
                                          fetched)),
                          flush=True)
                    print(json.dumps(origin_report(nginx, t0)), flush=True)
                lines = nginx.error_log()
                if lines:
                    print(f"nginx's error log ({len(lines)} lines), the last:", *lines[-5:], sep="\n")
                    notable = {}
                    for line in lines:
                        if "closed keepalive connection" in line or "client closed" in line:
                            continue
                        key = re.sub(r"^\S+ \S+ \[(\w+)\] \d+#\d+: (\*\d+ )?", r"[\1] ", line).split(",")[0][:120]
                        notable[key] = notable.get(key, 0) + 1
                    print(json.dumps({"nginx_error_log_lines_but_connection_closes": notable}))


def origin_report(nginx, since):
    """What nginx passed to the origin since `since` (its access log, flushed every second): per
    kind of URL, how many URLs went once and which went more than once, with the cache status,
    origin status and time after the URL's first pass of each (a segment passed twice is either
    the lock letting a waiter through, or a 404 before it was published)."""
    # The log is written at least once a second: read it until two reads 1.1 s apart agree.
    rows, deadline = None, time.monotonic() + 15
    while True:
        now = [r for r in nginx.access_log() if r[3] >= since]
        if rows is not None and len(now) == len(rows):
            break
        if time.monotonic() >= deadline:
            raise RuntimeError(f"nginx's access log still growing after 15 s ({len(now)} rows): the report would be partial")
        rows = now
        time.sleep(1.1)  # one flush period of the access log, within the deadline above
    passes = {}
    for cache, status, uri, msec, upstream, took, upstream_took in rows:
        if upstream != "-":
            passes.setdefault(uri, []).append((cache, upstream, msec, took, upstream_took))
    out = {"requests_logged": len(rows),
           "playlist_cache_status": {}, "segment_cache_status": {}}
    for cache, status, uri, msec, upstream, took, _ in rows:
        key = "playlist_cache_status" if uri.endswith(".m3u8") else "segment_cache_status"
        out[key][f"{cache} {status}"] = out[key].get(f"{cache} {status}", 0) + 1
    for kind, test in (("segments", lambda u: "/seg-" in u), ("playlist", lambda u: u.endswith(".m3u8"))):
        mine = {u: p for u, p in passes.items() if test(u)}
        out[kind] = {"urls": len(mine), "passes": sum(len(p) for p in mine.values()),
                     "more_than_once": {u.rsplit("/", 1)[1]: [f"{c} {st} +{(t - p[0][2]) * 1000:.0f}ms took {d * 1000:.0f}ms (origin {u} s)"
                                                              for c, st, t, d, u in p]
                                        for u, p in mine.items() if len(p) > 1 and kind == "segments"}}
    return out

if __name__ == "__main__":
    main()
