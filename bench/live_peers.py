"""What the live benches start side by side: `timeside serve` over a folder of stream definitions,
Debian's icecast2 (tests/integration/icecast_peer.py) and Liquidsoap, each on a free loopback port,
with the process's CPU seconds and RSS read from /proc. Context managers: nothing is left running."""
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from icecast_peer import Icecast2, _free_port  # noqa: E402


def raise_fd_limit(wanted=65536):
    """Load benches open thousands of sockets: raise the soft limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@contextlib.contextmanager
def workdir():
    path = tempfile.mkdtemp(prefix="timeside-live-bench-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def make_music(path, seconds):
    """A music-like test signal (as bench/run.py's): pink noise under a slow tremolo and a few
    tones, 44.1 kHz stereo 16-bit WAV."""
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", path, "synth", str(seconds), "pinknoise",
                    "synth", str(seconds), "sine", "mix", "220-880", "tremolo", "0.5", "40", "vol", "0.5"], check=True)
    return path


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def definition(name, input, outputs, analysis=(), listeners=None):
    """A stream definition's TOML: `input` and each of `outputs` are dicts of keys."""
    lines = [f"name = {_toml_value(name)}", "[input]"] + [f"{k} = {_toml_value(v)}" for k, v in input.items()]
    for out in outputs:
        lines += ["[[outputs]]"] + [f"{k} = {_toml_value(v)}" for k, v in out.items()]
    if analysis:
        lines += ["[analysis]", f"processors = {_toml_value(list(analysis))}"]
    if listeners:
        lines += ["[listeners]"] + [f"{k} = {_toml_value(v)}" for k, v in listeners.items()]
    return "\n".join(lines) + "\n"


MP3_128 = {"format": "mp3", "preset": "mp3-128k"}
OPUS_96 = {"format": "opus", "preset": "opus-96k"}
VORBIS = {"format": "ogg", "preset": "vorbis-q5"}


def cpu_seconds(pid):
    """utime + stime of a process (its threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(command, pid, timeout):
    """Runs a load client (its last stdout line a JSON summary) while sampling process `pid`.
    (summary, its cores over the run, its peak RSS KiB, the run's seconds)."""
    peak = [rss_kib(pid)]
    done = threading.Event()

    def sample():
        while not done.wait(0.25):
            peak[0] = max(peak[0], rss_kib(pid))

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    r = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    cores = (cpu_seconds(pid) - cpu0) / elapsed
    done.set()
    t.join()
    if r.returncode != 0:
        raise RuntimeError(f"{os.path.basename(command[0])} failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1]), cores, peak[0], elapsed


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class LiveServer:
    def __init__(self, build, tmp, definitions, server="", live=""):
        self.port = _free_port()
        self.streams = os.path.join(tmp, f"streams-{self.port}")
        os.makedirs(self.streams)
        for mount, text in definitions.items():
            with open(os.path.join(self.streams, f"{mount}.toml"), "w") as f:
                f.write(text)
        conf = os.path.join(tmp, f"timeside-{self.port}.toml")
        with open(conf, "w") as f:
            f.write(f'[server]\naccess_log = false\n{server}[live]\nadmin_password = "bench-admin"\n{live}')
        self.log = os.path.join(tmp, f"timeside-{self.port}.log")
        binary = os.path.join(build, "src", "cli", "timeside")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--config", conf,
                                          "--streams", self.streams, "--media", tmp], stdout=subprocess.DEVNULL,
                                         stderr=log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open(self.log) as f:
                if "listening url=" in f.read():
                    return
            if self.proc.poll() is not None:
                raise RuntimeError(f"timeside serve exited {self.proc.returncode}: {open(self.log).read()}")
            time.sleep(0.02)
        raise RuntimeError("timeside serve did not start within 15 s")

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def timeside(build, tmp, definitions, server="", live=""):
    """`server` and `live`: TOML lines added to the config's [server] and [live] tables."""
    s = LiveServer(build, tmp, definitions, server, live)
    try:
        yield s
    finally:
        s.close()


@contextlib.contextmanager
def icecast2(tmp=None, **limits):
    ice = Icecast2(**limits)
    try:
        yield ice
    finally:
        ice.close()
