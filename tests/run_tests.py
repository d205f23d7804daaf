#!/usr/bin/python3
"""Runs every test the project has and ends with one line: `N passed, N failed`.

Unit tests (Catch2) run twice, from the release build and from the ASan + UBSan build (clang, with
the libFuzzer targets); each test case counts once per build. Integration tests
(tests/integration/test_*.py, unittest) drive the real binary with real clients; those that reach
the server's HTTP edge and the decoders (ASAN_INTEGRATION) run again against the sanitized binary,
where any sanitizer report a process writes fails the test that was running. Each libFuzzer target
runs for FUZZ_TEST_SECONDS over a scratch copy of its seed corpus and counts as one test. The
sanitized unit tests and the fuzzers run in a child process beside the integration tests (their
output is printed after them). Exit status 0 only if nothing failed.
"""
import argparse
import glob
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INTEGRATION = os.path.join(ROOT, "tests", "integration")

# Integration tests that also run against the ASan + UBSan binary: the HTTP edge, bad input, the
# decoders and jobs, sources pushing (garbage among them), RTSP (its GLib thread's clean stop), and the black-box HTTP fuzzer (which runs there only: it is the sanitizers
# that turn its silent memory errors into findings). A missing file is skipped (added by a branch
# not merged yet).
ASAN_INTEGRATION = ["test_server_core.py", "test_bad_input.py", "test_http_hardening.py",
                    "test_decoder_hardening.py", "test_job_hardening.py", "test_http_fuzz.py",
                    "test_live_ingest.py", "test_live_rtsp.py"]
ASAN_ONLY = {"test_http_fuzz.py"}
# The live tests: real time bound (audio plays at its own pace while they wait on it), so they run
# in a process of their own beside the other integration tests (their servers use free ports).
LIVE_INTEGRATION = sorted(os.path.basename(p) for p in glob.glob(os.path.join(INTEGRATION, "test_live_*.py"))) + \
    ["test_icecast_status.py", "test_dashboard.py"]
FUZZ_TEST_SECONDS = int(os.environ.get("FUZZ_TEST_SECONDS", "35"))

SANITIZER_ENV = {
    # handle_abort: std::terminate (an exception escaping) prints its stack too.
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:halt_on_error=1:handle_abort=1",
    "LSAN_OPTIONS": "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp") + ":print_suppressions=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def run_catch2(binary, label, env=None):
    """Runs a Catch2 binary with the JUnit reporter; returns (passed, failed names)."""
    with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as f:
        report = f.name
    started = time.time()
    proc = subprocess.run([binary, "-r", "junit", "-o", report], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    passed, failed, details = 0, [], []
    try:
        tree = ET.parse(report)
        for case in tree.iter("testcase"):
            name = case.get("name")
            problems = case.findall("failure") + case.findall("error")
            if problems:
                # The first failure's lines folded into one, so the final summary says what failed.
                first = " | ".join(line.strip() for line in (problems[0].text or "").splitlines() if line.strip())
                failed.append(f"{label}: {name}" + (f" [{first[:300]}]" if first else ""))
                # What failed and with which values: the report is removed below.
                details += [f"{label}: {name}: {p.get('type', '')} {p.get('message', '')}\n{(p.text or '').strip()}"
                            for p in problems]
            else:
                passed += 1
    except (ET.ParseError, FileNotFoundError):
        failed.append(f"{label}: no report (exit {proc.returncode})")
    finally:
        os.unlink(report)
    # A sanitizer report or a crash after the last test still fails the run.
    if proc.returncode != 0 and not failed:
        failed.append(f"{label}: exit status {proc.returncode}")
    if failed:
        sys.stdout.write(proc.stdout[-20000:])
        for text in details:
            print(text[:4000])
    print(f"{label}: {passed} passed, {len(failed)} failed ({time.time() - started:.1f} s)")
    for name in failed:
        print(f"  FAILED {name}")
    return passed, failed



def integration_suite(names=None, exclude=()):
    """The integration tests of files `names` (all test_*.py when None), without `exclude`."""
    loader = unittest.defaultTestLoader
    # Fresh imports: support.py reads TIMESIDE_BUILD when imported, and a second pass runs another
    # build's binary.
    for mod in [m for m, v in sys.modules.items() if os.path.dirname(getattr(v, "__file__", None) or "") == INTEGRATION]:
        del sys.modules[mod]
    if names is None:
        names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(INTEGRATION, "test_*.py")))
    suite = unittest.TestSuite()
    for name in names:
        if name in exclude or not os.path.exists(os.path.join(INTEGRATION, name)):
            continue
        suite.addTests(loader.loadTestsFromName(name[:-3]))
    return suite


class SanitizerResult(unittest.TextTestResult):
    """Fails the test during which a sanitized process wrote a report (ASAN_OPTIONS log_path):
    the exit status alone would not do, since the tests of bad input expect exit status 1. A
    report written while a class's server stops (tearDownClass) fails the next test run; the
    report names its process and stack either way."""
    report_dir = None

    def new_reports(self):
        reports = []
        for path in sorted(glob.glob(os.path.join(self.report_dir, "*"))):
            with open(path, encoding="utf-8", errors="replace") as f:
                reports.append(f.read())
            os.unlink(path)
        return reports

    def fail_with(self, test, reports):
        try:
            raise AssertionError("sanitizer report:\n" + "\n".join(r[:6000] for r in reports))
        except AssertionError:
            self.addFailure(test, sys.exc_info())

    def stopTest(self, test):
        reports = self.new_reports()
        if reports:
            self.fail_with(test, reports)
        super().stopTest(test)


def run_integration(build, label="integration", names=None, exclude=(), sanitized=False):
    if not os.path.exists(os.path.join(ROOT, "samples", "sweep.wav")):
        print(f"{label}: samples/ is missing; run `make samples` (make test does)")
        return 0, [f"{label}: samples/ missing"]
    saved = dict(os.environ)
    os.environ["TIMESIDE_BUILD"] = os.path.abspath(build)
    os.environ["TIMESIDE_ROOT"] = ROOT
    if INTEGRATION not in sys.path:
        sys.path.insert(0, INTEGRATION)
    runner = unittest.TextTestRunner(verbosity=1, stream=sys.stdout)
    report_dir = None
    if sanitized:
        # Every sanitized process (the server, `timeside run`) writes its reports to a file here.
        report_dir = tempfile.mkdtemp(prefix="timeside-sanitizer-")
        os.environ.update(SANITIZER_ENV)
        os.environ["ASAN_OPTIONS"] += f":log_path={report_dir}/asan"
        os.environ["UBSAN_OPTIONS"] += f":log_path={report_dir}/ubsan"
        SanitizerResult.report_dir = report_dir
        runner.resultclass = SanitizerResult
    started = time.time()
    try:
        result = runner.run(integration_suite(names, exclude))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    # Once per test, though it may have failed and then had a sanitizer report too.
    failed = list(dict.fromkeys(f"{label}: {t.id()}" for t, _ in result.failures + result.errors))
    failed += [f"{label}: {t.id()} (unexpected success)" for t in result.unexpectedSuccesses]
    # A skipped test proves nothing: it is reported, and counted as neither passed nor failed.
    passed = result.testsRun - len(failed) - len(result.skipped)
    if report_dir:
        # Reports written after the last test (a class's server stopping, leaks found at exit).
        late = result.new_reports()
        if late:
            print("sanitizer reports after the last test:\n" + "\n".join(r[:6000] for r in late))
            failed.append(f"{label}: {len(late)} sanitizer report(s) after the last test")
        os.rmdir(report_dir)
    print(f"{label}: {passed} passed, {len(failed)} failed, {len(result.skipped)} skipped "
          f"({time.time() - started:.1f} s)")
    for name in failed:
        print(f"  FAILED {name}")
    return passed, failed


def run_fuzzers(build, seconds):
    """Each libFuzzer target for `seconds` over its seed corpus: one test each."""
    spec = importlib.util.spec_from_file_location("fuzz_run", os.path.join(ROOT, "fuzz", "run.py"))
    fuzz_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz_run)
    passed, failed = 0, []
    started = time.time()
    for name in fuzz_run.TARGETS:
        ok, summary = fuzz_run.run_target(build, name, seconds)
        print(("  ok     " if ok else "  FAILED ") + summary, flush=True)
        if ok:
            passed += 1
        else:
            failed.append(f"fuzz: {name}")
    print(f"fuzz: {passed} passed, {len(failed)} failed ({time.time() - started:.1f} s)")
    for name in failed:
        print(f"  FAILED {name}")
    return passed, failed


PHASES = ["unit", "asan", "integration", "integration-live", "integration-asan", "fuzz"]
# Run beside the integration tests, each group in a child process of its own: the sanitized unit
# tests and the fuzzers keep one core busy while the integration tests mostly wait on their
# servers and clients, and the live tests wait on real time; minutes off `make test` on two cores.
BESIDE = [["asan", "fuzz"], ["integration-live"]]


def run_phase(name, args):
    if name == "unit":
        return run_catch2(os.path.join(args.build, "tests", "unit_tests"), "unit")
    if name == "asan":
        env = dict(os.environ, **SANITIZER_ENV)
        return run_catch2(os.path.join(args.asan_build, "tests", "unit_tests"), "asan+ubsan", env)
    if name == "integration":
        return run_integration(args.build, exclude=ASAN_ONLY | set(LIVE_INTEGRATION))
    if name == "integration-live":
        return run_integration(args.build, "integration-live", LIVE_INTEGRATION)
    if name == "integration-asan":
        return run_integration(args.asan_build, "integration-asan", ASAN_INTEGRATION, sanitized=True)
    return run_fuzzers(args.asan_build, FUZZ_TEST_SECONDS)


def start_beside(args, phases):
    """`phases` in a child process; returns (process, its output file, its summary file, phases)."""
    out = tempfile.TemporaryFile(mode="w+")
    summary = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
    summary.close()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--build", args.build,
                             "--asan-build", args.asan_build, "--only", ",".join(phases),
                             "--summary", summary.name], stdout=out, stderr=subprocess.STDOUT, text=True)
    return proc, out, summary.name, phases


def finish_beside(proc, out, summary_path, phases):
    """Waits for the child, prints what it printed; returns (passed, failed names)."""
    code = proc.wait()
    out.seek(0)
    sys.stdout.write(out.read())
    out.close()
    try:
        with open(summary_path) as f:
            summary = json.load(f)
        passed, failed = summary["passed"], summary["failed"]
    except (OSError, ValueError, KeyError):
        passed, failed = 0, [f"{','.join(phases)}: no summary (exit {code})"]
    os.unlink(summary_path)
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--asan-build", default="build-asan")
    ap.add_argument("--only", help="comma-separated phases out of " + ", ".join(PHASES))
    ap.add_argument("--summary", help="write {passed, failed} here as JSON instead of the closing line")
    args = ap.parse_args()
    phases = args.only.split(",") if args.only else PHASES
    for name in phases:
        if name not in PHASES:
            ap.error(f"--only: unknown phase '{name}'; phases: {', '.join(PHASES)}")
    os.chdir(ROOT)
    total_passed, total_failed = 0, []
    beside = []
    for name in phases:
        if any(name in group for group in BESIDE) and not args.only:
            continue  # run by the children started below
        if name == "integration" and not args.only:
            sys.stdout.flush()
            beside = [start_beside(args, group) for group in BESIDE]
        p, f = run_phase(name, args)
        total_passed += p
        total_failed += f
    for child in beside:
        p, f = finish_beside(*child)
        total_passed += p
        total_failed += f

    if args.summary:
        with open(args.summary, "w") as out:
            json.dump({"passed": total_passed, "failed": total_failed}, out)
        return 0 if not total_failed else 1
    for name in total_failed:
        print(f"  FAILED {name}")
    print(f"{total_passed} passed, {len(total_failed)} failed")
    return 0 if not total_failed else 1


if __name__ == "__main__":
    sys.exit(main())
