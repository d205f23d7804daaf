#!/usr/bin/python3
"""Vamp plugins in one pass (issue 15): three Vamp example analyzers and `level` over the 10-minute
bench input in one `timeside run`, against Vamp's reference host, `vamp-simple-host`, run once per
plugin in a row (three decodes, one plugin each), as Debian ships it. Same input as bench/run.py
(generated there, in bench/out/); the two alternate run by run; median wall times, their ratio
against the issue's target (<= 0.5), and each plugin's own time in the reference host beside it.
Usage: bench/vamp_pass.py [--build build] [--repeat 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (generate, sequence, timed_cpu)

MULTIARCH = subprocess.run(["g++", "-print-multiarch"], capture_output=True,
                           text=True).stdout.strip() or "x86_64-linux-gnu"
VAMP_PATH = f"/usr/lib/{MULTIARCH}/vamp:/usr/lib/vamp"
# (Vamp key, our id): a frequency-domain onset detector, a frequency-domain descriptor on every
# half block, a time-domain follower.
PLUGINS = [("vamp-example-plugins:percussiononsets:onsets", "vamp_percussiononsets_onsets"),
           ("vamp-example-plugins:spectralcentroid:linearcentroid", "vamp_spectralcentroid_linearcentroid"),
           ("vamp-example-plugins:amplitudefollower:amplitude", "vamp_amplitudefollower_amplitude")]
TARGET = 0.5


def side_by_side(commands, repeat):
    """Alternates the commands run by run; median wall and CPU seconds, and peak RSS, of each."""
    runs = {k: [] for k in commands}
    for _ in range(repeat):
        for key, cmd in commands.items():
            runs[key].append(bench.timed_cpu(cmd))
    return ({k: statistics.median(r[0] for r in v) for k, v in runs.items()},
            {k: statistics.median(r[1] for r in v) for k, v in runs.items()},
            {k: max(r[2] for r in v) for k, v in runs.items()})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(bench.ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    os.environ["VAMP_PATH"] = VAMP_PATH  # the reference host's search path; ours searches it anyway
    os.makedirs(bench.OUT, exist_ok=True)
    out = os.path.join(bench.OUT, "vamp")
    os.makedirs(out, exist_ok=True)
    ts = os.path.join(args.build, "src", "cli", "timeside")
    ten = bench.generate("ten_minutes.wav", 600)

    hosts = [["vamp-simple-host", key, ten, "-o", os.path.join(out, f"host_{i}.txt")] for i, (key, _) in enumerate(PLUGINS)]
    ours = [ts, "run", ten, *[pid for _, pid in PLUGINS], "level", "-o", out]
    peer = "simple_host_in_a_row"
    wall, cpu, peak = side_by_side({"ours": ours, peer: bench.sequence(hosts)}, args.repeat)
    ratio = wall["ours"] / wall[peer]
    ok = ratio <= TARGET
    print(f"vamp_one_pass: ours {wall['ours']:.3f} s; {peer} {wall[peer]:.3f} s; "
          f"ratio {ratio:.2f} (target <= {TARGET}) {'OK' if ok else 'MISSED'}", flush=True)
    # The CPU both spend: with two idle cores the wall ratio can approach half of this one.
    print(f"  CPU: ours {cpu['ours']:.2f} s; {peer} {cpu[peer]:.2f} s; ratio {cpu['ours'] / cpu[peer]:.2f}", flush=True)
    each = {}
    for (key, _), cmd in zip(PLUGINS, hosts):
        runs = [bench.timed_cpu(cmd) for _ in range(max(1, args.repeat // 2))]
        each[key] = {"wall_s": statistics.median(r[0] for r in runs), "cpu_s": statistics.median(r[1] for r in runs)}
    print("  vamp-simple-host alone: " + "; ".join(f"{k.split(':', 1)[1]} {v['wall_s']:.3f} s ({v['cpu_s']:.2f} s CPU)"
                                                   for k, v in each.items()), flush=True)
    print(f"  peak RSS: ours {peak['ours']:.1f} MiB; simple host {peak[peer]:.1f} MiB", flush=True)
    with open(os.path.join(bench.OUT, "vamp_pass.json"), "w") as f:
        json.dump({"case": "vamp_one_pass", "medians_s": wall, "cpu_s": cpu, "peak_rss_mib": peak, "ratio": ratio,
                   "target": TARGET, "ok": ok, "simple_host_each": each}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
