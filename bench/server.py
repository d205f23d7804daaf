"""Server benchmarks (issue 6), run by bench/run.py (`--only server` runs these alone): the real
`timeside serve` on loopback (bench/serving.py) against its peers, side by side in one run —
first byte vs ffmpeg, a cached file vs cat, 64 parallel Opus transcodes vs 64 ffmpeg, wrk on /api/items."""
import http.client
import os
import re
import shutil
import statistics
import subprocess
import threading
import time

from serving import Server

ITEMS, ITEM_SECONDS = 64, 60
GB = 1e9


def generate_items(folder):
    """64 distinct one-minute items (sox: pink noise and a sweep over a different band each)."""
    os.makedirs(folder, exist_ok=True)
    for i in range(ITEMS):
        path = os.path.join(folder, f"item{i:02d}.wav")
        if not os.path.exists(path):
            # Written to a hidden name (the server never lists those), then renamed.
            tmp = os.path.join(folder, f".item{i:02d}.part.wav")
            subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", tmp, "synth", str(ITEM_SECONDS),
                            "pinknoise", "synth", str(ITEM_SECONDS), "sine", "mix", f"{110 + 10 * i}-{880 + 40 * i}",
                            "tremolo", "0.5", "40", "vol", "0.5"], check=True)
            os.rename(tmp, path)
    return [f"item{i:02d}" for i in range(ITEMS)]


def first_byte_ours(server, path):
    """Seconds from connecting to the first body byte; the connection then closes (the encode stops)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        if res.status != 200 or not res.read(1):
            raise RuntimeError(f"GET {path}: {res.status}")
        return time.monotonic() - started
    finally:
        conn.close()


def first_byte_ffmpeg(source):
    """Seconds from starting ffmpeg to its first byte on stdout; ffmpeg is then killed."""
    started = time.monotonic()
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-i", source, "-c:a", "libvorbis", "-f", "ogg", "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        if not os.read(proc.stdout.fileno(), 1):
            raise RuntimeError("ffmpeg wrote nothing")
        return time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def get_all(port, path, sink=None):
    """GET to the end; (seconds, bytes, headers dict lower-case)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        total = 0
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while True:
            n = res.readinto(view)
            if not n:
                break
            total += n
        if res.status != 200:
            raise RuntimeError(f"GET {path}: {res.status}")
        return time.monotonic() - started, total, {k.lower(): v for k, v in res.getheaders()}
    finally:
        conn.close()


def curl_speed(url):
    """(bytes/s, bytes, headers text) of one GET by curl, to /dev/null."""
    out = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", "-w", "\n%{size_download} %{time_total}", url],
                         capture_output=True, text=True, check=True).stdout
    head, _, last = out.rstrip().rpartition("\n")
    size, seconds = last.split()
    return int(size) / float(seconds), int(size), head.lower()


def wait_cached(server, path, timeout=10):
    """Until HEAD answers with a Content-Length (the encoding is in the cache); at once without a cache."""
    deadline = time.monotonic() + timeout
    while server.has_cache and time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("HEAD", path)
            if conn.getresponse().getheader("Content-Length"):
                return
        finally:
            conn.close()
        time.sleep(0.1)


def timed_cat(path):
    started = time.monotonic()
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - started


def run_cases(ts, ten_minutes, out, repeat, only, report):
    load_before = [0.0]

    def selected(name):
        # The 1-minute load average as a case starts: on a shared machine, what it ran beside (read
        # before, since the case's own processes raise it).
        if not only or name.startswith(only):
            load_before[0] = os.getloadavg()[0]
            return True
        return False

    def emit(entry, line):
        entry["load_before"] = load_before[0]
        print(f"{line} (load before {load_before[0]:.2f})", flush=True)
        report.append(entry)

    root = os.path.join(out, "server")
    items_dir = os.path.join(root, "items")
    if selected("server_first_byte") or selected("server_parallel_opus"):
        items = generate_items(items_dir)

    if selected("server_first_byte"):
        # A fresh start= each time: a distinct encoding, never a cache hit.
        source = os.path.join(items_dir, "item00.wav")
        runs = max(repeat, 10)
        ours, peer = [], []
        with Server(ts, items_dir) as server:
            for i in range(runs):
                ours.append(first_byte_ours(server, f"/media/item00.ogg?start={0.01 * (i + 1):.2f}"))
                server.wait_idle()
                peer.append(first_byte_ffmpeg(source))
        o, p = statistics.median(ours), statistics.median(peer)
        ok = o / p <= 0.5
        emit({"case": "server_first_byte", "medians_s": {"ours": o, "ffmpeg_vorbis": p}, "ratio": o / p,
              "target": 0.5, "against": "ffmpeg_vorbis", "runs": runs, "ok": ok},
             f"server_first_byte: ours {o * 1000:.1f} ms; ffmpeg_vorbis {p * 1000:.1f} ms; ratio {o / p:.2f} "
             f"(target <= 0.5) {'OK' if ok else 'MISSED'} [uncached /media/item00.ogg, connect to first body byte; "
             f"ffmpeg -c:a libvorbis -f ogg - from process start; median of {runs}]")

    if selected("server_cached_wav"):
        long_dir = os.path.join(root, "long")
        os.makedirs(long_dir, exist_ok=True)
        item = os.path.join(long_dir, "ten_minutes.wav")
        if not os.path.exists(item):
            try:
                os.link(ten_minutes, item)
            except OSError:
                shutil.copy(ten_minutes, item)
        with Server(ts, long_dir) as server:
            _, first_bytes, _ = get_all(server.port, "/media/ten_minutes.wav")  # the encode, to completion
            wait_cached(server, "/media/ten_minutes.wav")
            cached = server.cached_files()
            peer_file = cached[0] if cached else item
            ours, peer, size, head = [], [], 0, ""
            for _ in range(repeat):
                speed, size, head = curl_speed(server.url("/media/ten_minutes.wav"))
                ours.append(speed)
                peer.append(os.path.getsize(peer_file) / timed_cat(peer_file))
        o, p = statistics.median(ours), statistics.median(peer)
        from_cache = "content-length:" in head
        ok = from_cache and o >= GB
        note = ("second GET answered with Content-Length (from the cache)" if from_cache else
                "second GET had no Content-Length: no cache yet, the figure is a fresh streamed encode")
        emit({"case": "server_cached_wav", "bytes_per_s": {"ours": o, "cat_page_cache": p}, "bytes": size,
              "first_bytes": first_bytes, "from_cache": from_cache, "ratio": o / p, "target_bytes_per_s": GB,
              "peer_file": "cache file" if cached else "source WAV", "ok": ok},
             f"server_cached_wav: ours {o / GB:.2f} GB/s; cat_page_cache {p / GB:.2f} GB/s "
             f"({'cache file' if cached else 'source WAV'}); ratio {o / p:.2f} of cat; "
             f"{size / 1e6:.0f} MB by curl, median of {repeat} (target >= 1 GB/s) {'OK' if ok else 'MISSED'} [{note}]")

    if selected("server_wrk_items"):
        run_wrk(ts, emit)

    # Last: its 64 encodes and 64 ffmpeg processes would raise the load the others start with.
    if selected("server_parallel_opus"):
        run_parallel(ts, items_dir, items, out, emit)


def run_parallel(ts, items_dir, items, out, emit):
    """64 clients at once, each an uncached Opus 96 kbps transcode of a different item, read to the
    end; then 64 ffmpeg processes at once on the same items."""
    results = [None] * len(items)
    with Server(ts, items_dir) as server:
        barrier = threading.Barrier(len(items))

        def client(i):
            barrier.wait()
            try:
                results[i] = get_all(server.port, f"/media/{items[i]}.opus?bitrate=96")
            except Exception as e:  # counted as a failed transcode below
                results[i] = e

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(items))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        rss = server.peak_rss_mib()
    failed = [r for r in results if isinstance(r, Exception) or r[1] == 0]
    factors = sorted(ITEM_SECONDS / r[0] for r in results if not isinstance(r, Exception))
    kbps = statistics.median(r[1] * 8 / ITEM_SECONDS / 1000 for r in results if not isinstance(r, Exception))

    # The peer: the same 64 encodes as 64 ffmpeg processes at once; peak RSS summed (wait4).
    null = os.devnull
    started = time.monotonic()
    procs = {subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-i", os.path.join(items_dir, f"{it}.wav"),
                               "-c:a", "libopus", "-b:a", "96k", "-f", "ogg", null],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid: it for it in items}
    ff_times, ff_rss = [], 0.0
    while procs:
        pid, status, usage = os.wait4(-1, 0)
        if procs.pop(pid, None) is not None:
            ff_times.append(time.monotonic() - started)
            ff_rss += usage.ru_maxrss / 1024.0
    ff_wall = time.monotonic() - started
    ff_factors = sorted(ITEM_SECONDS / t for t in ff_times)

    ok = not failed and factors and factors[0] >= 1.0 and rss < 256
    emit({"case": "server_parallel_opus", "clients": len(items), "failed": len(failed),
          "kbps_median": kbps, "realtime_min": factors[0] if factors else 0, "realtime_median": statistics.median(factors) if factors else 0,
          "wall_s": {"ours": wall, "ffmpeg_64": ff_wall}, "peak_rss_mib": {"ours": rss, "ffmpeg_64_summed": ff_rss},
          "ffmpeg_realtime_min": ff_factors[0], "ffmpeg_realtime_median": statistics.median(ff_factors),
          "target": "each >= 1x real time, RSS < 256 MiB", "ok": ok},
         f"server_parallel_opus: 64 clients, {len(failed)} failed, {kbps:.0f} kbps; realtime min {factors[0] if factors else 0:.2f}x, "
         f"median {statistics.median(factors) if factors else 0:.2f}x; all done in {wall:.1f} s; server peak RSS "
         f"{rss:.0f} MiB; ffmpeg_64 {ff_wall:.1f} s (realtime min {ff_factors[0]:.2f}x, median "
         f"{statistics.median(ff_factors):.2f}x), summed peak RSS {ff_rss:.0f} MiB "
         f"(target each >= 1x, RSS < 256 MiB) {'OK' if ok else 'MISSED'}")


def wrk_rate(url):
    out = subprocess.run(["wrk", "-t2", "-c64", "-d5s", url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    return rate, errors.group(0) if errors else ""


def run_wrk(ts, emit):
    if not shutil.which("wrk"):
        emit({"case": "server_wrk_items", "ok": False, "error": "wrk missing"},
             "server_wrk_items: wrk is not installed (make bench installs it) MISSED")
        return
    samples = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
    with Server(ts, samples) as server:
        size = len(subprocess.run(["curl", "-s", server.url("/api/items")], capture_output=True, check=True).stdout)
        rate, errors = wrk_rate(server.url("/api/items"))
    # A fair peer would be nginx or lighttpd serving a static file of the same size; they are not
    # installed for this (python3 -m http.server is far too slow to be one).
    peers = [p for p in ("nginx", "lighttpd") if shutil.which(p) or os.path.exists(f"/usr/sbin/{p}")]
    ok = rate >= 20000 and not errors
    emit({"case": "server_wrk_items", "requests_per_s": rate, "body_bytes": size, "errors": errors,
          "target": 20000, "peer": peers[0] if peers else None, "ok": ok},
         f"server_wrk_items: ours {rate:,.0f} requests/s on /api/items ({size} bytes), wrk -t2 -c64 -d5s "
         f"{errors + ' ' if errors else ''}(target >= 20,000) {'OK' if ok else 'MISSED'} "
         f"[peer: {'installed, not run: ' + peers[0] if peers else 'none (no nginx or lighttpd on this machine)'}]")
