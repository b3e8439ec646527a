"""Serving benchmark: the real app under ``streamlit run``, driven by several browsers at once in Chromium.

``python -m benchmarks.bench --serve`` (or ``python -m benchmarks.bench_serve [--json OUT]``). One server on a
free localhost port, with a fresh run store (``BRIDGE_HOME`` in a temporary folder, removed at the
end) and ``--server.disconnectedSessionTTL 5``, so a closed browser's session is dropped after five
seconds instead of Streamlit's default two minutes. Playwright drives Debian's Chromium
(``/usr/bin/chromium``); each browser context is a session and a browser owner of its own. Measured
in one run, on the same server:

1. Memory: the server process's RSS (``/proc/<pid>/status``; training processes are separate
   processes and not counted) after the first page load, after each of eight uploads of a
   different zip of 64x64 PNG images (about 3 MB, 3 classes x 1,100 images; eight sessions, one
   upload each, all left open), and after every session is closed and the TTL has passed.
   Targets: the eight uploads add <= 512 MiB in all (64 MiB each; an upload used to add about
   1.1 GiB), and once the sessions are gone the server stays within 256 MiB of its first reading.
   Also printed, without a target: how much of what the uploads added came back.
2. Concurrency: four sessions press Run on breast_cancer at the same moment, each with its own
   seed (early stopping off, so every run does the same work), timed from the first press to the
   last result shown (the "Verdict" metric on Train); then four more sessions, one after another,
   each pressed when the one before has shown its result. Target: all at once <= 1.3x one after
   another. Per-run queue wait and training time come from the run store, and the load average is
   printed, since on a shared machine the two halves can meet different background load.

The two parts live in benchmarks/serve_memory.py and benchmarks/serve_concurrency.py (each with its
targets and its report lines), the server and the browser steps in benchmarks/serve_driver.py; this
module runs them on one server and owns the command line.

The core never imports streamlit: serve_driver.py starts it as a child process and only speaks HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.serve_concurrency import SESSIONS, measure_concurrency, report_concurrency
from benchmarks.serve_driver import CHROMIUM, MIB, TTL_SECONDS, Server, training_workers
from benchmarks.serve_memory import PER_CLASS, SHAPES, SIDE, UPLOADS, build_zips, measure_memory, report_memory


def measure(memory_part: bool = True, concurrency_part: bool = True, say=print) -> dict:
    """Serve the app once and take the readings; the server, the browser and the temporary store are always cleaned up."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install it with 'apt-get update && apt-get install -y chromium'")
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bridge-bench-serve-"))
    home = work / "home"
    results: dict = {"ttl_s": TTL_SECONDS, "cpus": os.cpu_count()}
    try:
        zips = []
        if memory_part:
            start = time.perf_counter()
            zips = build_zips(work)
            say(f"built {UPLOADS} zips of {len(SHAPES)} x {PER_CLASS} {SIDE}x{SIDE} PNGs "
                f"({', '.join(f'{p.stat().st_size / MIB:.1f}' for p in zips)} MiB) in {time.perf_counter() - start:.0f} s")
        server = Server(home)
        say(f"serving on {server.url} (pid {server.pid}), BRIDGE_HOME={home}, --server.disconnectedSessionTTL {TTL_SECONDS}: "
            f"a closed session is dropped after {TTL_SECONDS} s, not Streamlit's default 120 s")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                try:
                    if memory_part:
                        say(f"memory: {UPLOADS} sessions, one image-zip upload each")
                        results["memory"] = measure_memory(browser, server, zips, say)
                    if concurrency_part:
                        say(f"concurrency: {SESSIONS} Runs on breast_cancer at once, then {SESSIONS} one after another")
                        results["concurrency"] = measure_concurrency(browser, server, say)
                finally:
                    browser.close()
            deadline = time.monotonic() + 20  # a worker marks its run done, then takes a moment to exit
            while training_workers(server.pid) and time.monotonic() < deadline:
                time.sleep(0.5)
            results["workers_left"] = len(training_workers(server.pid))
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.perf_counter() - began
    return results


def report(results: dict) -> bool:
    """One line per reading, ``name value (target ...) PASS/FAIL``; True when every target is met."""
    ok = True
    if "memory" in results:
        ok &= report_memory(results["memory"])
    if "concurrency" in results:
        ok &= report_concurrency(results)
    print(f"serve_total               {results['seconds']:8.0f} s")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_serve", description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="OUT", help="also write the readings as JSON")
    parser.add_argument("--skip-memory", action="store_true", help="only the concurrency part")
    parser.add_argument("--skip-concurrency", action="store_true", help="only the memory part")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install it with 'apt-get update && apt-get install -y chromium'", file=sys.stderr)
        return 2

    def say(line: str) -> None:  # progress on stderr, the readings on stdout
        print(line, file=sys.stderr, flush=True)

    results = measure(not args.skip_memory, not args.skip_concurrency, say)
    ok = report(results)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
