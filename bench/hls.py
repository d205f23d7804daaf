#!/usr/bin/python3
"""HLS behind a cache: N simulated HLS clients (each reloading the playlist once a target duration
and fetching every new segment, as hls.js does at the live edge) through Debian's nginx configured
as a caching reverse proxy (proxy_cache_lock on), for 100, 1,000 and 10,000 clients. Per step:
origin requests per segment (the server's own /api/status counters), origin CPU (cores, from
/proc), nginx's CPU, and the clients that kept up (got every segment published while they ran).
Then the publication latency: a poller on the origin reads the playlist every 20 ms and takes, for
each new segment, the time it appeared minus its EXT-X-PROGRAM-DATE-TIME (the wall clock of its
first sample): target <= one segment + 500 ms. The clients are asyncio tasks spread over a few
processes (one client: one keep-alive connection). Usage:
    bench/hls.py [--build build] [--clients 100,1000,10000] [--seconds 20] [--procs 2]
"""
import argparse
import asyncio
import datetime
import json
import multiprocessing
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402

SEGMENT = 2.0
MOUNT = "radio"
NAME = re.compile(r"^seg-(\d+)-(-?\d+)\.mp3$", re.M)


def nginx_conf(root, port, origin):
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 30000; }}
http {{
    log_format cache '$upstream_cache_status $status $request_uri';
    access_log {root}/access.log cache buffer=1m;
    keepalive_requests 1000000;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    proxy_cache_path {root}/cache levels=1:2 keys_zone=hls:10m max_size=200m inactive=10m use_temp_path=off;
    server {{
        listen 127.0.0.1:{port} backlog=16384;
        location ~ ^/live/[^/]+/ {{
            proxy_pass http://127.0.0.1:{origin};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache hls;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 30s;
            proxy_cache_lock_age 30s;
            proxy_cache_use_stale updating;
            proxy_cache_background_update on;
        }}
    }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def request(reader, writer, path):
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    return status, body


async def client(port, seconds, start_delay, out):
    await asyncio.sleep(start_delay)
    got, errors, first, last = set(), 0, None, None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            status, body = await request(reader, writer, f"/live/{MOUNT}/index.m3u8")
            if status != 200:
                errors += 1
            names = NAME.findall(body.decode())
            listed = [int(seq) for seq, _ in names]
            todo = [(s, f) for s, f in names if int(s) not in got] if got else names[-1:]
            for seq, frame in todo:
                status, _ = await request(reader, writer, f"/live/{MOUNT}/seg-{seq}-{frame}.mp3")
                if status == 200:
                    got.add(int(seq))
                else:
                    errors += 1
            if listed and first is None:
                first = listed[-1]
            if listed:
                last = listed[-1]
            await asyncio.sleep(max(0.0, SEGMENT - (time.monotonic() - t0)))
        writer.close()
    except (OSError, asyncio.IncompleteReadError) as e:
        errors += 1
    # Kept up: every segment from the first it saw to the last listed was fetched.
    expected = (last - first + 1) if first is not None and last is not None else 0
    out.append({"got": len(got), "expected": expected, "errors": errors, "seqs": sorted(got)})


def worker(port, n, seconds, spread, queue):
    async def run():
        out = []
        await asyncio.gather(*(client(port, seconds, random.uniform(0, spread), out) for _ in range(n)))
        return out
    live_peers.raise_fd_limit()
    queue.put(asyncio.run(run()))


def hls_status(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api/status", timeout=10) as r:
        for m in json.load(r)["live"]["mounts"]:
            if m["id"] == MOUNT:
                return m["hls"]
    raise RuntimeError("no mount")


def step(server, nginx_pid, nginx_port, n, seconds, procs, fetched):
    """`fetched`: the segments clients fetched in earlier steps (nginx has them already)."""
    spread = SEGMENT  # clients join over one segment, as a real audience would not all at once
    before = hls_status(server)
    cpu0, ncpu0, t0 = live_peers.cpu_seconds(server.proc.pid), live_peers.cpu_seconds(nginx_pid), time.monotonic()
    queue = multiprocessing.Queue()
    per = [n // procs + (1 if i < n % procs else 0) for i in range(procs)]
    ps = [multiprocessing.Process(target=worker, args=(nginx_port, k, seconds, spread, queue)) for k in per if k]
    for p in ps:
        p.start()
    results = []
    for _ in ps:
        results += queue.get(timeout=seconds + spread + 120)
    for p in ps:
        p.join(30)
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
    kept_up = sum(1 for r in results if r["expected"] and r["got"] >= r["expected"] and not r["errors"])
    requests = sum(r["got"] for r in results)
    return {"clients": n, "seconds": round(elapsed, 1), "segments_published": published,
            "origin_segment_requests": origin_segments, "client_segment_requests": requests,
            "segments_fetched": len(distinct), "segments_new_to_the_cache": len(new),
            "origin_requests_per_segment": round(origin_segments / len(new), 3) if new else None,
            "origin_playlist_requests_per_second": round(origin_playlists / elapsed, 2),
            "origin_cores": round(origin_cores, 4), "nginx_cores": round(nginx_cores, 3),
            "clients_kept_up": kept_up, "client_errors": sum(r["errors"] for r in results)}


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
    ap.add_argument("--procs", type=int, default=2)
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
            port = free_port()
            conf = os.path.join(tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(nginx_conf(tmp, port, server.port))
            nginx = subprocess.Popen(["/usr/sbin/nginx", "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "nginx-error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                # nginx listens, and its master has forked its one worker (whose CPU serves the clients).
                deadline = time.monotonic() + 10
                kids = []
                while not kids:
                    if time.monotonic() > deadline:
                        raise RuntimeError("nginx did not listen with a worker within 10 s")
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                        kids = subprocess.run(["pgrep", "-P", str(nginx.pid)], capture_output=True,
                                              text=True).stdout.split()
                    except OSError:
                        pass
                    if not kids:
                        time.sleep(0.05)
                nginx_worker = int(kids[0])
                fetched = set()
                for n in (int(x) for x in args.clients.split(",")):
                    print(json.dumps(step(server, nginx_worker, port, n, args.seconds, args.procs, fetched)), flush=True)
            finally:
                nginx.terminate()
                nginx.wait(10)
                with open(os.path.join(tmp, "nginx-error.log"), errors="replace") as f:
                    lines = f.read().splitlines()
                # What nginx did with the segment requests it passed on (a MISS each should be one per segment).
                counts = {}
                with open(os.path.join(tmp, "access.log"), errors="replace") as f:
                    for line in f:
                        cache, status, uri = (line.split() + ["", "", ""])[:3]
                        if "/seg-" in uri and cache not in ("HIT", "-"):
                            counts.setdefault(uri.rsplit("/", 1)[1], []).append(f"{cache} {status}")
                print(json.dumps({"segments_passed_to_the_origin": {k: v for k, v in sorted(counts.items())}}))
                if lines:
                    print(f"nginx's error log ({len(lines)} lines), the last:", *lines[-5:], sep="\n")


if __name__ == "__main__":
    main()
