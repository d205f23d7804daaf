#!/usr/bin/python3
"""The dashboard's mount page in headless Chromium (Debian's, tests/web/devtools.py) playing the
shipped `scale` mount (streams/scale.toml: level, aubio_temporal, loudness_itu, aubio_pitch,
spectrogram_analyzer) for `--seconds`: long tasks over 50 ms (PerformanceObserver 'longtask'), the
page's JavaScript time per animation frame (every requestAnimationFrame callback timed), the
renderer's main-thread time per frame (the Performance domain's TaskDuration over the frames
drawn), JavaScript heap growth (after a forced GC, from 10 s in to the end), first contentful
paint and the first meter drawn after navigation, and the page's files gzip-compressed. Budgets
(issue 13): no long task, p95 <= 4 ms per frame, heap growth <= 2 MiB, first render <= 300 ms,
<= 250 KB compressed. Usage:
    bench/dashboard.py [--build build] [--seconds 60]
"""
import argparse
import asyncio
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "web"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from devtools import Chromium, connect  # noqa: E402
from support import free_port  # noqa: E402

# Installed before the page's own scripts: times every rAF callback and collects long tasks.
PROBE = """
window.__bench = {frames: [], longtasks: []};
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]); })
  .observe({type: 'longtask', buffered: true});
const raf = window.requestAnimationFrame.bind(window);
window.requestAnimationFrame = (cb) => raf((t) => {
  const s = performance.now(); cb(t); const d = performance.now() - s;
  const f = window.__bench.frames; if (f.length < 100000) f.push(d);
});
"""


def compressed_size():
    """What the page loads: the web folder less npm's files (node_modules, package*.json) and licences."""
    total, files = 0, 0
    for folder, folders, names in os.walk(os.path.join(ROOT, "web")):
        folders[:] = [d for d in folders if d != "node_modules"]
        for name in names:
            if name in ("package.json", "package-lock.json", "LICENSE"):
                continue
            with open(os.path.join(folder, name), "rb") as f:
                total += len(gzip.compress(f.read(), 9))
            files += 1
    return total, files


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else float("nan")


async def measure(url, seconds):
    browser = Chromium()
    try:
        async with connect(browser) as page:
            for domain in ("Page", "Runtime", "Performance"):
                await page.call(f"{domain}.enable")
            await page.call("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
            await page.navigate(url)
            first = None
            deadline = time.monotonic() + 30
            while first is None and time.monotonic() < deadline:
                first = await page.evaluate(
                    "(s => s && s.level ? performance.now() : null)(window.dashboard && window.dashboard.state)")
                await asyncio.sleep(0.02)
            fcp = await page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime")
            await asyncio.sleep(10)  # settled: the player started, the queues filled
            await page.call("HeapProfiler.collectGarbage")
            heap0 = await page.evaluate("performance.memory.usedJSHeapSize")
            m0 = {m["name"]: m["value"] for m in (await page.call("Performance.getMetrics"))["metrics"]}
            n0 = await page.evaluate("window.__bench.frames.length")
            await asyncio.sleep(max(1, seconds - 10))
            m1 = {m["name"]: m["value"] for m in (await page.call("Performance.getMetrics"))["metrics"]}
            frames = await page.evaluate("window.__bench.frames")
            longtasks = await page.evaluate("window.__bench.longtasks")
            await page.call("HeapProfiler.collectGarbage")
            heap1 = await page.evaluate("performance.memory.usedJSHeapSize")
            state = await page.evaluate("(s => ({now: s.now / s.rate, columns: s.columns, player: s.player}))(window.dashboard.state)")
    finally:
        browser.close()
    window = frames[n0:]
    task_ms = (m1["TaskDuration"] - m0["TaskDuration"]) * 1000
    return {"first_meter_ms": first, "fcp_ms": fcp, "longtasks": longtasks, "frames": len(window),
            "js_p95_ms": percentile(window, 95), "js_max_ms": max(window) if window else float("nan"),
            "main_thread_ms_per_frame": task_ms / max(1, len(window)), "heap_growth": heap1 - heap0,
            "heap": heap1, "state": state}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=int, default=60)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="timeside-dashboard-bench-")
    server = None
    try:
        streams = os.path.join(tmp, "streams")
        os.makedirs(streams)
        with open(os.path.join(ROOT, "streams", "scale.toml")) as f:
            text = f.read().replace('"samples/C4_scale.wav"', json.dumps(os.path.join(ROOT, "samples", "C4_scale.wav")))
        with open(os.path.join(streams, "scale.toml"), "w") as f:
            f.write(text)
        port = free_port()
        log = open(os.path.join(tmp, "serve.log"), "w")
        server = subprocess.Popen([os.path.join(args.build, "src", "cli", "timeside"), "serve", "--listen",
                                   f"127.0.0.1:{port}", "--streams", streams, "--media", os.path.join(ROOT, "samples")],
                                  stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(base + "/api/status", timeout=2) as r:
                    if any(m["state"] == "running" for m in json.load(r)["live"]["mounts"]):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"the server did not run its scale mount within 20 s (log: {log.name})")
            time.sleep(0.1)
        r = asyncio.run(measure(base + "/#/live/scale", args.seconds))
    finally:
        if server:
            server.terminate()
            server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    size, files = compressed_size()
    lt = [d for _, d in r["longtasks"]]
    starts = ", ".join(f"{d:.0f} ms at {t / 1000:.1f} s" for t, d in r["longtasks"][:10])
    print(f"dashboard mount page, {args.seconds} s of the scale mount in headless Chromium "
          f"(played to {r['state']['now']:.1f} s, {r['state']['columns']} spectrogram columns, player {r['state']['player']})")
    print(f"  first contentful paint {r['fcp_ms']:.0f} ms, first meter drawn {r['first_meter_ms']:.0f} ms after navigation (budget 300)")
    print(f"  long tasks > 50 ms: {len(lt)}{f' (longest {max(lt):.0f} ms; {starts})' if lt else ''} (budget 0)")
    print(f"  frames {r['frames']}: JavaScript per frame p95 {r['js_p95_ms']:.2f} ms, max {r['js_max_ms']:.2f} ms; "
          f"main-thread tasks per frame {r['main_thread_ms_per_frame']:.2f} ms (budget p95 4)")
    print(f"  JS heap growth {r['heap_growth'] / 1024:+.0f} KiB over {args.seconds - 10} s (heap {r['heap'] / 1048576:.1f} MiB; budget 2048 KiB)")
    print(f"  page files: {files}, {size / 1024:.1f} KiB gzip -9 (budget 250 KB)")


if __name__ == "__main__":
    main()
