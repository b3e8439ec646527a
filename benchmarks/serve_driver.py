"""The serving benchmark's hands: the app under ``streamlit run``, what /proc says about it, and a person's steps in Chromium.

Owns the server (``Server``: a free localhost port, its own ``BRIDGE_HOME``, a short
``--server.disconnectedSessionTTL``), the readings taken from /proc (a process's RSS, the load
average, the training processes the server started) and the Playwright steps the measurements are
made of (open a session, switch page, upload, get ready to Run, wait for the result). It measures
nothing itself: benchmarks/serve_memory.py and benchmarks/serve_concurrency.py do, and
benchmarks/bench_serve.py runs them.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
TTL_SECONDS = 5  # --server.disconnectedSessionTTL: how long a closed browser's session is kept
START_SECONDS = 90  # ceiling for the server to start on a slow shared machine
MIB = 2**20


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


def verdict(ok: bool) -> str:
    """How a report line ends: whether its target was met."""
    return "PASS" if ok else "FAIL"


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

