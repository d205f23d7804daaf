#!/usr/bin/python3
"""Mounts per machine: N re-encoding mounts (a looped 44.1 kHz stereo file each, MP3 128k + Opus
96k outputs; ours also run `level` + `aubio_temporal` on every block), in TimeSide and in Debian's
Liquidsoap (`output.harbor`, the same two encodings, no analysis) side by side. One listener per
output checks that every mount stays real time (audio received per second of wall time, counted
from MP3 frames and Opus granules); the server's CPU (cores) and RSS are read from /proc over the
same window. Usage: bench/live_mounts.py [--build build] [--mounts 32,8] [--seconds 30]
"""
import argparse
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_peers  # noqa: E402

MP3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]


class AudioClock(threading.Thread):
    """A listener counting the seconds of audio it receives (MP3 frames, or Ogg Opus granules)."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.path, self.port, self.buf = path, port, b""
        self.seconds, self.stop, self.error = 0.0, False, None
        self.first_granule = None
        self.stream_base = 0.0  # seconds of the chained Ogg streams before this one
        self.start()

    def run(self):
        deadline = time.monotonic() + 60
        while not self.stop and time.monotonic() < deadline:  # Liquidsoap takes a while to serve
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                self.sock.sendall(f"GET {self.path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = self.sock.recv(4096)
                    if not chunk:
                        raise OSError("closed")
                    head += chunk
                if b" 200 " not in head.split(b"\r\n")[0]:
                    raise OSError(head.split(b"\r\n")[0].decode(errors="replace"))
                self.buf = head.partition(b"\r\n\r\n")[2]
                break
            except OSError as e:
                self.error = e
                time.sleep(0.2)
        else:
            return
        self.error = None
        while not self.stop:
            try:
                chunk = self.sock.recv(65536)
            except OSError as e:
                self.error = e
                return
            if not chunk:
                self.error = "closed"
                return
            self.buf += chunk
            self.consume()

    def consume(self):
        b, pos = self.buf, 0
        if self.path.endswith(".mp3"):
            while True:
                sync = b.find(b"\xff", pos)
                if sync < 0 or sync + 4 > len(b):
                    pos = len(b) if sync < 0 else sync
                    break
                h = struct.unpack_from(">I", b, sync)[0]
                if (h >> 21) != 0x7FF or ((h >> 12) & 15) in (0, 15) or ((h >> 10) & 3) == 3:
                    pos = sync + 1
                    continue
                length = 144000 * MP3_KBPS[(h >> 12) & 15] // 44100 + ((h >> 9) & 1)
                if sync + length > len(b):
                    pos = sync
                    break
                self.seconds += 1152 / 44100
                pos = sync + length
        else:
            while True:
                at = b.find(b"OggS", pos)
                if at < 0 or at + 27 > len(b):
                    pos = len(b) - 3 if at < 0 else at
                    break
                nseg = b[at + 26]
                if at + 27 + nseg > len(b):
                    pos = at
                    break
                size = 27 + nseg + sum(b[at + 27:at + 27 + nseg])
                if at + size > len(b):
                    pos = at
                    break
                granule = struct.unpack_from("<q", b, at + 6)[0]
                if b[at + 5] & 0x02 and self.first_granule is not None:
                    # A new chained stream (Liquidsoap starts one at each track): its granules start
                    # over; the audio counted so far stays counted.
                    self.stream_base, self.first_granule = self.seconds, None
                if granule > 0:
                    if self.first_granule is None:
                        self.first_granule = 0 if self.stream_base else granule
                    self.seconds = self.stream_base + (granule - self.first_granule) / 48000
                pos = at + size
        self.buf = b[max(0, pos):]


def context_switches(pid):
    """{thread id: voluntary context switches} of a process's threads: each is a thread going to
    sleep (a futex wait, a poll), what hand-overs between threads cost (the involuntary ones count
    the machine's load, not us)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                out[tid] = sum(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt_switches:"))
        except OSError:
            pass  # a thread that ended
    return out


def thread_roles(pid, tids):
    """{thread id: role}: the thread's name with a mount's id or a GStreamer element's number
    taken out (`m/m12` -> `m/*`, `queue3:src` -> `queue:src`), so switches add up by role."""
    roles = {}
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        roles[tid] = "m/*" if name.startswith("m/") else re.sub(r"\d+", "", name)
    return roles


def window(pid, clocks, seconds):
    """Audio seconds each listener received, the process's cores and RSS (MiB), over `seconds`."""
    before = [c.seconds for c in clocks]
    cpu0, t0, switches0 = live_peers.cpu_seconds(pid), time.monotonic(), context_switches(pid)
    time.sleep(seconds)  # the measurement window itself
    elapsed = time.monotonic() - t0
    cores = (live_peers.cpu_seconds(pid) - cpu0) / elapsed
    switches1 = context_switches(pid)
    by_role = {}
    for tid, role in thread_roles(pid, switches1).items():
        if tid in switches0:
            by_role[role] = by_role.get(role, 0) + (switches1[tid] - switches0[tid]) / elapsed
    switches = sum(n - switches0[t] for t, n in switches1.items() if t in switches0) / elapsed
    rates = [(c.seconds - b) / elapsed for c, b in zip(clocks, before)]
    return rates, cores, live_peers.rss_kib(pid) / 1024, switches, len(switches1), by_role


def run_case(name, pid, port, paths, warmup, seconds):
    clocks = [AudioClock(port, p) for p in paths]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and any(c.seconds < 1.0 for c in clocks):
        time.sleep(0.1)  # every listener has audio flowing: the warm-up starts
    late = [c.path for c in clocks if c.seconds < 1.0]
    if late:
        raise RuntimeError(f"{name}: no audio on {late[:4]} ({clocks[0].error})")
    time.sleep(warmup)  # a settling period before the window: encoders and sockets at their steady pace
    rates, cores, rss, switches, threads, by_role = window(pid, clocks, seconds)
    for c in clocks:
        c.stop = True
    real_time = sum(1 for r in rates if r >= 0.97)
    speed = sum(rates) / len(rates)
    # A server that falls behind spends its CPU on less audio: per second of audio delivered, the
    # cost of keeping up (what a station needs), comparable whether or not it kept up.
    per_audio = cores / speed if speed > 0 else float("inf")
    # The machine may be shared: the load (1-minute average, our own processes included) says
    # how much the figures can be trusted.
    load = os.getloadavg()[0]
    print(f"  {name}: {real_time}/{len(rates)} outputs real time (mean {speed:.3f}x, slowest {min(rates):.3f}x), "
          f"{cores:.3f} cores ({per_audio:.3f} CPU s per second of audio delivered), RSS {rss:.0f} MiB, "
          f"load average {load:.2f}; {threads} threads, {switches:.0f} voluntary context switches a second")
    top = sorted(by_role.items(), key=lambda kv: -kv[1])[:6]
    print("    switches a second by thread: " + ", ".join(f"{role} {n:.0f}" for role, n in top))
    return {"real_time": real_time, "outputs": len(rates), "slowest": min(rates), "cores": cores, "rss": rss,
            "per_audio": per_audio, "load": load, "switches": switches}


def liquidsoap_script(music, port, mounts):
    lines = ["settings.init.allow_root.set(true)", "settings.log.stdout.set(false)", "settings.log.file.set(false)",
             'settings.harbor.bind_addrs.set(["127.0.0.1"])']
    # The same encodings on both sides. MP3: CBR 128, joint stereo, internal_quality=3, LAME's
    # default, where our mp3_encoder leaves it (Liquidsoap's own default is 2, a slower search).
    # Opus: ours is complexity 10, unconstrained VBR, 120 ms packets (opus-96k's defaults);
    # Liquidsoap's %opus would be libopus's complexity 9, constrained VBR and 20 ms: given ours,
    # with 60 ms, the longest it takes. What stays different: the 44.1 -> 48 kHz resampler
    # (speexdsp's resampler at quality 5 in ours, libsamplerate's fastest sinc in
    # Liquidsoap, its default converter) and the packet length (120 against 60 ms).
    for i in range(mounts):
        lines.append(f's{i} = mksafe(single("{music}"))')
        lines.append(f'output.harbor(%mp3(bitrate=128, internal_quality=3), port={port}, mount="m{i}.mp3", s{i})')
        lines.append(f'output.harbor(%opus(bitrate=96, complexity=10, vbr="unconstrained", frame_size=60.), port={port}, mount="m{i}.opus", s{i})')
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(live_peers.ROOT, "build"))
    ap.add_argument("--mounts", default="32,8", help="mount counts, each a case (8: where Liquidsoap keeps up)")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--ours-only", action="store_true",
                    help="skip Liquidsoap: for before/after runs of ours, back to back")
    args = ap.parse_args()
    live_peers.raise_fd_limit()
    with live_peers.workdir() as tmp:
        music = live_peers.make_music(os.path.join(tmp, "music.wav"), 30)
        definition = live_peers.definition("Mount", {"kind": "file", "uri": music},
                                           [live_peers.MP3_128, live_peers.OPUS_96],
                                           analysis=("level", "aubio_temporal"))
        for mounts in (int(x) for x in args.mounts.split(",")):
            run_count(args, tmp, music, definition, mounts)


def run_count(args, tmp, music, definition, mounts):
    print(f"{mounts} re-encoding mounts (MP3 128k + Opus 96k each), {args.seconds:.0f} s window:")
    paths = [p for i in range(mounts) for p in (f"/live/m{i}.mp3", f"/live/m{i}.opus")]
    live = f"max_listeners = {4 * mounts + 16}\n"
    with live_peers.timeside(args.build, tmp, {f"m{i}": definition for i in range(mounts)}, live=live) as ts:
        ours = run_case("timeside (with level + aubio_temporal)", ts.proc.pid, ts.port, paths, args.warmup,
                        args.seconds)
    if args.ours_only:
        return
    script = os.path.join(tmp, f"mounts-{mounts}.liq")
    port = live_peers._free_port()
    with open(script, "w") as f:
        f.write(liquidsoap_script(music, port, mounts))
    # Debian's Liquidsoap 2.1 dies of SIGSEGV in about half its runs here (two of four by hand were
    # 16 and 17 s in), with or without listeners (nothing on stderr; the core dumps show ocaml-opus's
    # ocaml_opus_encode_float, under its clock's output): each such run is reported, and the case
    # is tried again, eight times at most.
    peer = None
    for attempt in range(1, 9):
        errors = open(os.path.join(tmp, f"liquidsoap-{mounts}-{attempt}.stderr"), "w+")
        proc = subprocess.Popen(["liquidsoap", script], stdout=subprocess.DEVNULL, stderr=errors)
        try:
            peer = run_case("liquidsoap 2.1 (no analysis)", proc.pid, port,
                            [p.replace("/live/", "/") for p in paths], args.warmup, args.seconds)
        except RuntimeError:
            if proc.poll() is None:
                raise
        finally:
            proc.terminate()
            proc.wait(10)
        if proc.returncode in (0, -15) and peer:  # ended by us, after its window
            errors.close()
            break
        errors.seek(0)
        print(f"  liquidsoap exited ({proc.returncode}) on attempt {attempt}: {errors.read()[-2000:]!r}")
        errors.close()
        peer = None
    if peer is None:
        raise RuntimeError("liquidsoap crashed on every attempt")
    print(f"RESULT live_mounts_{mounts}: cpu ratio {ours['cores'] / peer['cores']:.2f} (target <= 0.5), per second of "
          f"audio delivered {ours['per_audio'] / peer['per_audio']:.2f}, "
          f"rss ratio {ours['rss'] / peer['rss']:.2f} (target <= 0.5), real time: ours "
          f"{ours['real_time']}/{ours['outputs']}, liquidsoap {peer['real_time']}/{peer['outputs']}")

if __name__ == "__main__":
    main()
