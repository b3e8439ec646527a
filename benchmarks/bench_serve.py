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

The core never imports streamlit: this module starts it as a child process and only speaks HTTP.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
TTL_SECONDS = 5  # --server.disconnectedSessionTTL: how long a closed browser's session is kept
START_SECONDS = 90  # ceiling for the server to start on a slow shared machine
UPLOADS, PER_CLASS, SIDE = 8, 1_100, 64
SHAPES = ("circle", "square", "triangle")
SESSIONS = 4  # concurrent Run presses (and as many sequential ones)
GROWTH_BUDGET = 512 * 2**20  # bytes the eight uploads may add to the server's RSS, in all (64 MiB each)
SETTLE_BUDGET = 256 * 2**20  # bytes above the first reading the server may keep once every session is gone
RATIO_TARGET = 1.3  # all at once / one after another
SETTLE_POLL_SECONDS = 30  # how long to watch the RSS fall after the sessions close
MIB = 2**20


# -- the data ---------------------------------------------------------------------------------------
def picture(rng: np.random.Generator, shape: str):
    """One 64x64 RGB PNG-to-be: a coloured shape on a flat background with a sprinkle of noise (it compresses, but not to nothing)."""
    from PIL import Image, ImageDraw

    background = tuple(int(v) for v in rng.integers(0, 8, 3) * 32)
    img = Image.new("RGB", (SIDE, SIDE), background)
    draw = ImageDraw.Draw(img)
    r = int(rng.integers(10, 26))
    cx, cy = (int(v) for v in rng.integers(r, SIDE - r, 2))
    colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    if shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif shape == "square":
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
    else:
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    pixels = np.asarray(img, dtype=np.int16)
    noise = rng.integers(-24, 25, size=(SIDE, SIDE, 1)) * (rng.random((SIDE, SIDE, 1)) < 0.015)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def image_zip(path: Path, seed: int, per_class: int = PER_CLASS) -> int:
    """root/<class>/<image>.png, every zip different (its own seed); returns its size in bytes."""
    rng = np.random.default_rng(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for shape in SHAPES:
            for i in range(per_class):
                buffer = io.BytesIO()
                picture(rng, shape).save(buffer, "PNG")
                archive.writestr(f"shapes{seed}/{shape}/{shape}_{i:05d}.png", buffer.getvalue())
    return path.stat().st_size


# -- the server -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``streamlit run app.py`` on a free localhost port with its own run store; stopped on exit."""

    def __init__(self, home: Path, ttl: int = TTL_SECONDS, launcher: list[str] | None = None):
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [*(launcher or [sys.executable, "-m", "streamlit"]), "run", "app.py", "--server.headless", "true", "--server.port", str(self.port),
                   "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
                   "--server.disconnectedSessionTTL", str(ttl)]
        env = {**os.environ, "BRIDGE_HOME": str(home)}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log: list[str] = []
        lines: queue.Queue[str | None] = queue.Queue()

        def drain():  # read the log as it comes, so a full pipe never blocks the server
            for line in self.process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + START_SECONDS
        while not any(f":{self.port}" in line for line in self.log):
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"streamlit did not start within {START_SECONDS} s:\n{''.join(self.log)}") from None
            if line is None:
                raise RuntimeError(f"streamlit exited with code {self.process.wait()} before serving:\n{''.join(self.log)}")
            self.log.append(line)
        self._lines = lines
        with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=10) as answer:
            assert answer.read() == b"ok"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def memory(pid: int) -> dict:
    """VmRSS, RssAnon (heap), RssFile (mapped files: the stored datasets, libraries) and VmHWM of one process, in bytes."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                fields[name] = int(value.split()[0]) * 1024
    return fields


def load_average() -> float:
    """The one-minute load average: on a shared machine it says how much else was running while we timed."""
    with open("/proc/loadavg") as loadavg:
        return float(loadavg.read().split()[0])


def training_workers(pid: int) -> list[int]:
    """Live training processes (``bridge.jobs.worker``) started by the server ``pid``: their memory is not the server's."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    command = cmdline.read()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z" and b"bridge.jobs.worker" in command:
                found.append(int(entry))
    return found


# -- the browser ------------------------------------------------------------------------------------
def wait_until_drawn(page) -> None:
    """Until the page's script has finished: Streamlit marks its root element while a run is going."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=120_000)


def new_session(browser, url: str):
    """A browser context of its own (its own cookies: its own session and owner), on the Data page."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=120_000)
    wait_until_drawn(page)
    return context, page


def open_page(page, name: str) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=60_000)
    wait_until_drawn(page)


def upload(page, path: Path) -> None:
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Upload a file").click()
    page.locator("input[type=file]").set_input_files(path)
    expect(page.get_by_text(f"Loaded {path.name}.")).to_be_visible(timeout=180_000)
    wait_until_drawn(page)


def ready_to_run(browser, url: str, seed: int):
    """A session on Train with breast_cancer (the default dataset), early stopping off and its own seed."""
    from playwright.sync_api import expect

    context, page = new_session(browser, url)
    open_page(page, "Train")
    stopping = page.get_by_role("switch", name="Early stopping")
    if stopping.is_checked():
        page.get_by_test_id("stCheckbox").filter(has_text="Early stopping").locator("label").click()
        expect(stopping).not_to_be_checked()
        wait_until_drawn(page)
    box = page.get_by_role("spinbutton", name="Seed")
    box.fill(str(seed))
    box.press("Enter")
    expect(box).to_have_value(str(seed))
    wait_until_drawn(page)
    return context, page


def result_shown(page, timeout_s: float) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Verdict")).to_be_visible(timeout=timeout_s * 1000)


def press_run(page) -> None:
    page.get_by_role("button", name="Run", exact=True).click()


# -- the measurements -------------------------------------------------------------------------------
def measure_memory(browser, server: Server, zips: list[Path], say) -> dict:
    first_context, first_page = new_session(browser, server.url)
    time.sleep(1.0)
    baseline = memory(server.pid)
    say(f"  server RSS after the first page load: {baseline['VmRSS'] / MIB:.0f} MiB (heap {baseline['RssAnon'] / MIB:.0f} MiB)")
    contexts, opened, after = [first_context], [baseline], []
    for i, path in enumerate(zips):
        if i == 0:
            page = first_page
        else:
            context, page = new_session(browser, server.url)
            contexts.append(context)
            opened.append(memory(server.pid))
        start = time.perf_counter()
        upload(page, path)
        seconds = time.perf_counter() - start
        reading = memory(server.pid)
        after.append({**reading, "upload_s": seconds})
        say(f"  session {i + 1}: opened at RSS {opened[-1]['VmRSS'] / MIB:.0f} MiB, after its upload ({path.stat().st_size / MIB:.1f} MiB zip, "
            f"{seconds:.1f} s) {reading['VmRSS'] / MIB:.0f} MiB (+{(reading['VmRSS'] - baseline['VmRSS']) / MIB:.0f} over baseline; "
            f"heap {reading['RssAnon'] / MIB:.0f} MiB, mapped files {reading['RssFile'] / MIB:.0f} MiB)")
    for context in contexts:
        context.close()
    closed = time.monotonic()
    # Streamlit keeps a closed session for the TTL, then forgets it only lazily: its session storage reaps expired
    # entries on its next write, i.e. when some session disconnects. So after the TTL one more visitor comes and goes.
    time.sleep(TTL_SECONDS + 1)
    expired = memory(server.pid)
    probe, _ = new_session(browser, server.url)
    probe.close()
    reaped = time.monotonic()
    settled, trail = memory(server.pid), []
    while time.monotonic() - reaped < SETTLE_POLL_SECONDS:
        time.sleep(1.0)
        settled = memory(server.pid)
        trail.append((round(time.monotonic() - closed, 1), settled["VmRSS"]))
        if time.monotonic() - reaped > 5 and settled["VmRSS"] - baseline["VmRSS"] <= 32 * MIB:
            break
    say(f"  {TTL_SECONDS + 1} s after closing every session (TTL passed, nobody else came): RSS {expired['VmRSS'] / MIB:.0f} MiB, "
        f"heap {expired['RssAnon'] / MIB:.0f} MiB")
    say(f"  {time.monotonic() - closed:.0f} s after closing, one more visitor came and went (Streamlit drops expired sessions "
        f"on its next session write): RSS {settled['VmRSS'] / MIB:.0f} MiB, heap {settled['RssAnon'] / MIB:.0f} MiB, "
        f"peak (VmHWM) {settled['VmHWM'] / MIB:.0f} MiB")
    return {"baseline": baseline, "opened": opened, "after_uploads": after, "ttl_passed": expired, "settled": settled,
            "settle_trail": trail, "zip_bytes": [p.stat().st_size for p in zips]}


def measure_concurrency(browser, server: Server, say) -> dict:
    from bridge.jobs import RunStore, training_limit

    timeout = 600
    together = [ready_to_run(browser, server.url, seed) for seed in range(101, 101 + SESSIONS)]
    loads = [load_average()]
    start = time.perf_counter()
    for _, page in together:
        press_run(page)
    pressed = time.perf_counter() - start
    shown = []
    for _, page in together:
        result_shown(page, timeout)
        shown.append(time.perf_counter() - start)
    concurrent = time.perf_counter() - start
    say(f"  {SESSIONS} at once: {concurrent:.1f} s from the first press to the last result (presses took {pressed:.2f} s); "
        f"results shown at {', '.join(f'{s:.1f}' for s in shown)} s")
    loads.append(load_average())
    for context, _ in together:
        context.close()

    one_by_one = [ready_to_run(browser, server.url, seed) for seed in range(201, 201 + SESSIONS)]
    each = []
    for _, page in one_by_one:
        begin = time.perf_counter()
        press_run(page)
        result_shown(page, timeout)
        each.append(time.perf_counter() - begin)
    sequential = sum(each)
    loads.append(load_average())
    say(f"  {SESSIONS} one after another: {sequential:.1f} s in all ({', '.join(f'{s:.1f}' for s in each)} s each)")
    say(f"  load average (1 min) before, between and after: {', '.join(f'{v:.1f}' for v in loads)} on {os.cpu_count()} CPUs")
    for context, _ in one_by_one:
        context.close()

    runs = sorted(RunStore(server.home).all_runs(), key=lambda r: r.id)
    table = [{"seed": r.config.seed, "state": r.state, "patience": r.config.train.patience,
              "queued_s": (r.started or r.created) - r.created, "training_s": (r.finished or r.started or r.created) - (r.started or r.created),
              "threads": r.threads.get("share"), "epochs_run": r.summary.get("epochs_run")} for r in runs]
    for row in table:
        say(f"    run seed {row['seed']}: {row['state']}, queued {row['queued_s']:.1f} s, training process {row['training_s']:.1f} s, "
            f"{row['threads']} thread(s), epochs {row['epochs_run']}")
    return {"concurrent_s": concurrent, "sequential_s": sequential, "shown_at_s": shown, "each_s": each, "press_s": pressed, "load": loads,
            "runs": table, "max_trainings": training_limit()}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def build_zips(folder: Path) -> list[Path]:
    """The eight upload zips, built two at a time in child processes (PNG encoding is the slow part)."""
    from concurrent.futures import ProcessPoolExecutor

    paths = [folder / f"shapes{i + 1}.zip" for i in range(UPLOADS)]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        list(pool.map(image_zip, paths, [1000 + i for i in range(UPLOADS)]))
    return paths


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
        m = results["memory"]
        base, top, settled = m["baseline"]["VmRSS"], m["after_uploads"][-1]["VmRSS"], m["settled"]["VmRSS"]
        added, uploads = top - base, len(m["after_uploads"])
        growth_ok, settle_ok = added <= GROWTH_BUDGET, settled - base <= SETTLE_BUDGET
        ok &= growth_ok and settle_ok
        print(f"serve_rss_baseline        {base / MIB:8.0f} MiB  (server process after the first page load; training workers not counted)")
        print(f"serve_rss_{uploads}_uploads       {top / MIB:8.0f} MiB  +{added / MIB:.0f} MiB, {added / uploads / MIB:.0f} MiB per upload "
              f"(target <= +{GROWTH_BUDGET / MIB:.0f} MiB for {uploads}; the issue's ~1.1 GiB per upload would be "
              f"{uploads * 1.1:.1f} GiB)  {verdict(growth_ok)}")
        expired = m["ttl_passed"]["VmRSS"]
        print(f"serve_rss_ttl_passed      {expired / MIB:8.0f} MiB  +{(expired - base) / MIB:.0f} MiB over baseline "
              f"({TTL_SECONDS + 1} s after the last session closed, before anyone else connected)")
        print(f"serve_rss_sessions_gone   {settled / MIB:8.0f} MiB  +{(settled - base) / MIB:.0f} MiB over baseline "
              f"(target <= +{SETTLE_BUDGET / MIB:.0f} MiB once the sessions are gone)  {verdict(settle_ok)}")
        released = top - settled
        print(f"serve_rss_released        {round(released / MIB):8d} MiB  of the {added / MIB:.0f} MiB the uploads added "
              f"({released / added if added > 0 else 0:.0%}; heap {m['after_uploads'][-1]['RssAnon'] / MIB:.0f} -> "
              f"{m['settled']['RssAnon'] / MIB:.0f} MiB, mapped files {m['after_uploads'][-1]['RssFile'] / MIB:.0f} -> "
              f"{m['settled']['RssFile'] / MIB:.0f} MiB; no target)")
        print(f"serve_rss_peak            {m['settled']['VmHWM'] / MIB:8.0f} MiB  (VmHWM: the highest RSS the server reached)")
    if "concurrency" in results:
        c = results["concurrency"]
        ratio = c["concurrent_s"] / c["sequential_s"]
        seeds = [r["seed"] for r in c["runs"]]
        expected = [*range(101, 101 + SESSIONS), *range(201, 201 + SESSIONS)]
        runs_ok = sorted(seeds) == expected and all(r["state"] == "done" and r["patience"] == 0 for r in c["runs"])
        ratio_ok = ratio <= RATIO_TARGET and runs_ok
        ok &= ratio_ok
        print(f"serve_runs_concurrent     {c['concurrent_s']:8.1f} s    ({SESSIONS} sessions press Run at once; first press to last result)")
        print(f"serve_runs_sequential     {c['sequential_s']:8.1f} s    ({SESSIONS} sessions, one after another)")
        print(f"serve_concurrent_ratio    {ratio:8.2f}x    (target <= {RATIO_TARGET}x; {len(c['runs'])} runs, "
              f"{'all done with the seeds and settings set' if runs_ok else 'NOT all done as set'})  {verdict(ratio_ok)}")
        waits = [r["queued_s"] for r in c["runs"][:SESSIONS]]
        at_once, alone = [r["training_s"] for r in c["runs"][:SESSIONS]], [r["training_s"] for r in c["runs"][SESSIONS:]]
        print(f"serve_queue_wait_at_once  {max(waits):8.1f} s    (the longest wait for a training slot; "
              f"{c['max_trainings']} training(s) at a time: BRIDGE_MAX_TRAININGS, else one per two cores)")
        print(f"serve_training_per_run    {statistics.median(at_once):8.1f} s    at once vs {statistics.median(alone):.1f} s one after another "
              f"(median training process, from the run store)")
        print(f"serve_concurrent_overhead {c['concurrent_s'] / sum(at_once):8.2f}x    (at once, first press to last result / the sum of "
              f"their training processes; 1.0 = the slot never idled. Load average {', '.join(f'{v:.1f}' for v in c['load'])} "
              f"on {results['cpus']} CPUs)")
        print(f"serve_workers_left        {results['workers_left']:8d}      (training processes still alive 20 s after the last result; target 0)  "
              f"{verdict(results['workers_left'] == 0)}")
        ok &= results["workers_left"] == 0
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
