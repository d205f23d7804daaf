#!/usr/bin/python3
"""TimeSide's benchmarks against its peers, measured side by side in one run.

Each case times our command and the peer's on the same input, alternating them, and prints the
median wall times and their ratio against the target the issue set. Memory cases report peak RSS
(from wait4). Inputs are generated here (sox), never downloaded. Usage:
    bench/run.py [--build build] [--repeat 5] [--only NAME]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import server  # bench/server.py: the server's cases

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")


def generate(name, seconds, rate=44100, channels=2):
    """A music-like test signal: pink noise under a slow tremolo and a few tones (16-bit WAV)."""
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        tmp = path + ".part.wav"
        subprocess.run(["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", tmp, "synth", str(seconds),
                        "pinknoise", "synth", str(seconds), "sine", "mix", "220-880", "tremolo", "0.5", "40",
                        "vol", "0.5"], check=True)
        os.rename(tmp, path)
    return path


def timed_cpu(cmd):
    """Wall time, CPU time (user + system, children included) and peak RSS (MiB) of one run of cmd."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.strip()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def timed(cmd):
    """Wall time and peak RSS (MiB) of one run of cmd."""
    elapsed, _, rss = timed_cpu(cmd)
    return elapsed, rss


def side_by_side(ours, peers, repeat):
    """Alternates our command with the peers' so drift in machine load hits both alike."""
    times = {"ours": [], **{k: [] for k in peers}}
    rss = {"ours": [], **{k: [] for k in peers}}
    for _ in range(repeat):
        for key, cmd in [("ours", ours), *peers.items()]:
            t, m = timed(cmd)
            times[key].append(t)
            rss[key].append(m)
    return ({k: statistics.median(v) for k, v in times.items()}, {k: max(v) for k, v in rss.items()})


def sequence(cmds):
    """A peer made of several commands run one after another, as one command line."""
    return ["/bin/sh", "-c", " && ".join(" ".join(f"'{a}'" for a in c) for c in cmds)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    ts = os.path.join(args.build, "src", "cli", "timeside")
    ten = generate("ten_minutes.wav", 600)
    report = []

    def case(name, ours, peers, target, against, note=""):
        if args.only and not name.startswith(args.only):
            return
        medians, peak = side_by_side(ours, peers, args.repeat)
        ratio = medians["ours"] / medians[against]
        ok = ratio <= target
        line = (f"{name}: ours {medians['ours']:.3f} s; " +
                "; ".join(f"{k} {v:.3f} s" for k, v in medians.items() if k != "ours") +
                f"; ratio {ratio:.2f} (target <= {target}) {'OK' if ok else 'MISSED'}")
        print(line + (f" [{note}]" if note else ""), flush=True)
        report.append({"case": name, "medians_s": medians, "peak_rss_mib": peak, "ratio": ratio,
                       "target": target, "against": against, "ok": ok})

    out = os.path.join(OUT, "run")
    os.makedirs(out, exist_ok=True)
    case("decode_level", [ts, "run", ten, "level", "-o", out],
         {"ffmpeg_null": ["ffmpeg", "-v", "error", "-y", "-i", ten, "-f", "null", "-"],
          "gst_decode": ["gst-launch-1.0", "-q", "filesrc", f"location={ten}", "!", "decodebin", "!",
                         "audioconvert", "!", "audio/x-raw,format=F32LE", "!", "fakesink"]},
         1.0, "ffmpeg_null")
    case("one_pass_vorbis", [ts, "run", ten, "waveform_simple", "level", "vorbis_encoder", "-o", out],
         {"ffmpeg_vorbis": ["ffmpeg", "-v", "error", "-y", "-i", ten, "-c:a", "libvorbis", "-q:a", "5",
                            os.path.join(out, "ffmpeg.ogg")]},
         1.05, "ffmpeg_vorbis")

    # Issue 3: each encoder alone against ffmpeg with the same library and settings, decode included.
    ff = ["ffmpeg", "-v", "error", "-y", "-i", ten]
    encoders = {
        "vorbis": ("vorbis_encoder:quality=0.5", ["-c:a", "libvorbis", "-q:a", "5"], "ogg"),
        "opus": ("opus_encoder:bitrate=96", ["-c:a", "libopus", "-b:a", "96k"], "opus"),
        "mp3": ("mp3_encoder:bitrate=128", ["-c:a", "libmp3lame", "-b:a", "128k"], "mp3"),
        "flac": ("flac_encoder", ["-c:a", "flac"], "flac"),
    }
    for name, (spec, ff_args, ext) in encoders.items():
        case(f"encode_{name}", [ts, "run", ten, spec, "-o", out],
             {f"ffmpeg_{name}": ff + ff_args + [os.path.join(out, f"ffmpeg.{ext}")]}, 1.05, f"ffmpeg_{name}")
    # Three encoders in one pass (three lanes on two cores) against ffmpeg's three encodes in a row.
    case("one_pass_three_encoders", [ts, "run", ten, "vorbis_encoder", "opus_encoder", "mp3_encoder", "-o", out],
         {"ffmpeg_three": sequence([ff + encoders[n][1] + [os.path.join(out, f"ffmpeg.{encoders[n][2]}")]
                                    for n in ("vorbis", "opus", "mp3")])},
         0.6, "ffmpeg_three")

    # Issue 4: five analyzers in one pass against the reference tools run one after another.
    case("analysis_one_pass",
         [ts, "run", ten, "level", "mean_dc_shift", "loudness_itu", "aubio_temporal", "aubio_pitch", "-o", out],
         {"tools_in_sequence": sequence([["sox", ten, "-n", "stats"],
                                         ["ffmpeg", "-v", "error", "-i", ten, "-af", "ebur128=peak=true", "-f", "null", "-"],
                                         ["aubioonset", "-i", ten], ["aubiotrack", "-i", ten], ["aubiopitch", "-i", ten]])},
         0.5, "tools_in_sequence")

    # Issue 5: a waveform and a log spectrogram at 1024x256 in one pass against ffmpeg's
    # showwavespic and showspectrumpic run one after another; peak memory at most a quarter.
    case("renders_waveform_spectrogram",
         [ts, "run", ten, "waveform_simple:width=1024,height=256", "spectrogram_log:width=1024,height=256", "-o", out],
         {"ffmpeg_pics": sequence([["ffmpeg", "-v", "error", "-y", "-i", ten, "-filter_complex", "showwavespic=s=1024x256",
                                    "-frames:v", "1", os.path.join(out, "ffmpeg_waves.png")],
                                   ["ffmpeg", "-v", "error", "-y", "-i", ten, "-lavfi", "showspectrumpic=s=1024x256",
                                    os.path.join(out, "ffmpeg_spectrum.png")]])},
         0.5, "ffmpeg_pics")
    if report and report[-1]["case"] == "renders_waveform_spectrogram":
        rss = report[-1]["peak_rss_mib"]
        rss_ratio = rss["ours"] / rss["ffmpeg_pics"]
        report[-1].update({"rss_ratio": rss_ratio, "rss_target": 0.25, "rss_ok": rss_ratio <= 0.25})
        print(f"renders_waveform_spectrogram memory: ours {rss['ours']:.1f} MiB; ffmpeg_pics {rss['ffmpeg_pics']:.1f} MiB; "
              f"ratio {rss_ratio:.2f} (target <= 0.25) {'OK' if rss_ratio <= 0.25 else 'MISSED'}", flush=True)

    if not args.only or args.only == "memory_60min":
        hour = generate("sixty_minutes.wav", 3600)
        t, peak = timed([ts, "run", hour, "level", "waveform_simple", "-o", out])
        ok = peak < 64
        print(f"memory_60min: level + waveform_simple on 60 min: peak RSS {peak:.1f} MiB in {t:.1f} s "
              f"(target < 64 MiB) {'OK' if ok else 'MISSED'}", flush=True)
        report.append({"case": "memory_60min", "peak_rss_mib": peak, "seconds": t, "target_mib": 64, "ok": ok})
        # Issue 4: the analyzers and a spectrogram streamed into HDF5, on the same hour.
        t, peak = timed([ts, "run", hour, "level", "mean_dc_shift", "loudness_itu", "aubio_temporal", "aubio_pitch",
                         "spectrogram_analyzer", "--results", "hdf5", "-o", out])
        ok = peak < 128
        print(f"memory_60min_analysis: five analyzers + spectrogram to HDF5 on 60 min: peak RSS {peak:.1f} MiB "
              f"in {t:.1f} s (target < 128 MiB) {'OK' if ok else 'MISSED'}", flush=True)
        report.append({"case": "memory_60min_analysis", "peak_rss_mib": peak, "seconds": t, "target_mib": 128, "ok": ok})

    # Issue 6: the server on loopback (cases named server_*; `--only server` runs them alone).
    server.run_cases(ts, ten, OUT, args.repeat, args.only, report)

    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
