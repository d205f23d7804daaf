#!/usr/bin/python3
"""Runs the libFuzzer targets of fuzz/ (built by `-Dfuzzing=true`, see fuzz/meson.build).

Each target starts from a scratch copy of its seed corpus (tests/fuzz/corpus/<name>/: the
repository's corpus is never written), with its dictionary, a per-input timeout and an RSS limit.
A crash, timeout, leak, out-of-memory or sanitizer report is a finding: the input that did it is
printed (path, then an escaped preview) with the command that reproduces it.

    fuzz/run.py --build build-asan --seconds 35            # what `make test` runs
    fuzz/run.py --build build-asan --seconds 600 --keep    # `make fuzz`: the scratch corpus is kept

Adding a finding or a new corpus entry to the seeds: minimize it first,
    build-asan/fuzz/<name>_fuzzer -minimize_crash=1 -runs=10000 CRASH_FILE      (a crash)
    build-asan/fuzz/<name>_fuzzer -merge=1 tests/fuzz/corpus/<name> KEPT_DIR     (new coverage)
then commit the file (a few KB at most) under tests/fuzz/corpus/<name>/.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
LSAN_SUPP = os.path.join(ROOT, "tests", "lsan.supp")

# name: (per-input timeout in s, RSS limit in MB, dictionary or None, max input length)
TARGETS = {
    "request": (20, 2048, "http.dict", 4096),
    "config": (5, 1024, "toml.dict", 4096),
    "stream": (5, 1024, "toml.dict", 4096),
    "spec": (5, 2048, "spec.dict", 1024),
    "decode": (15, 2048, None, 16384),
}

SANITIZER_ENV = {
    # libFuzzer handles the leak check per input and at exit; a report is a failure either way.
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1",
    "LSAN_OPTIONS": f"suppressions={LSAN_SUPP}:print_suppressions=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}

FINDING_PREFIXES = ("crash-", "leak-", "timeout-", "oom-")


def preview(data, limit=600):
    """Bytes as a Python literal, cut at `limit` characters."""
    text = repr(data)
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


def run_target(build, name, seconds, keep=False, jobs=1, out=sys.stdout):
    """Fuzzes `name` for `seconds`; returns (ok, summary). Prints the findings."""
    binary = os.path.join(os.path.abspath(build), "fuzz", f"{name}_fuzzer")
    if not os.path.exists(binary):
        return False, f"{name}: {binary} is missing (configure the build with -Dfuzzing=true and clang)"
    timeout, rss, dictionary, max_len = TARGETS[name]
    scratch = tempfile.mkdtemp(prefix=f"timeside-fuzz-{name}-")
    corpus = os.path.join(scratch, "corpus")
    artifacts = os.path.join(scratch, "findings") + os.sep
    shutil.copytree(os.path.join(CORPUS, name), corpus)
    os.makedirs(artifacts)
    args = [binary, corpus, f"-max_total_time={seconds}", f"-timeout={timeout}", f"-rss_limit_mb={rss}",
            f"-malloc_limit_mb={rss}", f"-max_len={max_len}", f"-artifact_prefix={artifacts}",
            "-print_final_stats=1", "-seed=1" if not keep else "-seed=0"]
    if dictionary:
        args.append("-dict=" + os.path.join(ROOT, "fuzz", dictionary))
    if jobs > 1:
        args += [f"-fork={jobs}", "-ignore_crashes=0"]
    # The target's own scratch folders (a media folder, a cache) go under ours, so that a target
    # that crashed, and could not remove them, leaves nothing behind either.
    os.makedirs(os.path.join(scratch, "tmp"))
    env = dict(os.environ, **SANITIZER_ENV, TMPDIR=os.path.join(scratch, "tmp"))
    log_path = os.path.join(scratch, "fuzz.log")
    started = time.time()
    with open(log_path, "wb") as log:
        try:
            proc = subprocess.run(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=scratch,
                                  timeout=seconds + timeout + 120)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = "hung"  # libFuzzer itself did not stop: its own watchdog failed
    with open(log_path, "rb") as f:
        log_text = f.read().decode("utf-8", "replace")
    findings = sorted(p for p in os.listdir(artifacts) if p.startswith(FINDING_PREFIXES))
    stats = {}
    for line in log_text.splitlines():
        if line.startswith("stat::"):
            key, _, value = line[len("stat::"):].partition(":")
            stats[key.strip()] = value.strip()
    runs = stats.get("number_of_executed_units", "?")
    entries = len(os.listdir(corpus))
    # libFuzzer's last status line: "#N DONE cov: C ft: F corp: ..." (edges and features reached).
    cov = [line for line in log_text.splitlines() if line.startswith("#") and " cov: " in line]
    reached = " ".join(cov[-1].split()[2:6]) if cov else "cov: ?"
    ok = code == 0 and not findings
    summary = f"{name}: {runs} inputs in {time.time() - started:.0f} s, {reached}, corpus {entries} entries"
    if not ok:
        print(f"fuzz {name}: FAILED (exit {code}); libFuzzer's log ends with:", file=out)
        tail = log_text[-6000:]
        print("    " + tail.replace("\n", "\n    "), file=out)
        for f in findings:
            path = os.path.join(artifacts, f)
            with open(path, "rb") as fh:
                data = fh.read()
            kept = path
            if not keep:  # the scratch folder goes; the finding stays where it can be found
                kept = os.path.join(tempfile.gettempdir(), f"timeside-fuzz-{name}-{f}")
                shutil.copyfile(path, kept)
            print(f"  finding {kept} ({len(data)} bytes): {preview(data)}", file=out)
            print(f"  reproduce: {binary} {kept}", file=out)
    if keep:
        summary += f"; scratch corpus kept in {corpus}"
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return ok, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build-asan")
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "600")))
    ap.add_argument("--keep", action="store_true", help="keep each scratch corpus (new entries)")
    ap.add_argument("--jobs", type=int, default=1, help="libFuzzer -fork=N processes per target")
    ap.add_argument("targets", nargs="*", default=list(TARGETS))
    args = ap.parse_args()
    failed = []
    for name in args.targets:
        ok, summary = run_target(args.build, name, args.seconds, args.keep, args.jobs)
        print(("ok     " if ok else "FAILED ") + summary, flush=True)
        if not ok:
            failed.append(name)
    print(f"fuzz: {len(args.targets) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
