#!/usr/bin/python3
"""Runs every test the project has and ends with one line: `N passed, N failed`.

Unit tests (Catch2) run twice, from the release build and from the ASan + UBSan build; each test
case counts once per build. Integration tests (tests/integration/test_*.py, unittest) drive the
real binary with real clients. Exit status 0 only if nothing failed.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_catch2(binary, label, env=None):
    """Runs a Catch2 binary with the JUnit reporter; returns (passed, failed names)."""
    with tempfile.NamedTemporaryFile(suffix=".xml", delete=False) as f:
        report = f.name
    started = time.time()
    proc = subprocess.run([binary, "-r", "junit", "-o", report], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    passed, failed = 0, []
    try:
        tree = ET.parse(report)
        for case in tree.iter("testcase"):
            name = case.get("name")
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{label}: {name}")
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
    print(f"{label}: {passed} passed, {len(failed)} failed ({time.time() - started:.1f} s)")
    for name in failed:
        print(f"  FAILED {name}")
    return passed, failed



def run_integration(build):
    if not os.path.exists(os.path.join(ROOT, "samples", "sweep.wav")):
        print("integration: samples/ is missing; run `make samples` (make test does)")
        return 0, ["integration: samples/ missing"]
    os.environ["TIMESIDE_BUILD"] = os.path.abspath(build)
    os.environ["TIMESIDE_ROOT"] = ROOT
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    suite = unittest.defaultTestLoader.discover(os.path.join(ROOT, "tests", "integration"),
                                                pattern="test_*.py", top_level_dir=os.path.join(ROOT, "tests", "integration"))
    started = time.time()
    result = unittest.TextTestRunner(verbosity=1, stream=sys.stdout).run(suite)
    failed = [f"integration: {t.id()}" for t, _ in result.failures + result.errors]
    failed += [f"integration: {t.id()} (unexpected success)" for t in result.unexpectedSuccesses]
    # A skipped test proves nothing: it is reported, and counted as neither passed nor failed.
    passed = result.testsRun - len(failed) - len(result.skipped)
    print(f"integration: {passed} passed, {len(failed)} failed, {len(result.skipped)} skipped "
          f"({time.time() - started:.1f} s)")
    for name in failed:
        print(f"  FAILED {name}")
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--asan-build", default="build-asan")
    ap.add_argument("--only", choices=["unit", "asan", "integration"])
    args = ap.parse_args()
    os.chdir(ROOT)
    total_passed, total_failed = 0, []

    if args.only in (None, "unit"):
        p, f = run_catch2(os.path.join(args.build, "tests", "unit_tests"), "unit")
        total_passed += p
        total_failed += f
    if args.only in (None, "asan"):
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
        env["LSAN_OPTIONS"] = "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp") + ":print_suppressions=0"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        p, f = run_catch2(os.path.join(args.asan_build, "tests", "unit_tests"), "asan+ubsan", env)
        total_passed += p
        total_failed += f
    if args.only in (None, "integration"):
        p, f = run_integration(args.build)
        total_passed += p
        total_failed += f

    print(f"{total_passed} passed, {len(total_failed)} failed")
    return 0 if not total_failed else 1


if __name__ == "__main__":
    sys.exit(main())
