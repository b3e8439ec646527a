"""The app as a person meets it: `streamlit run app.py` on localhost, driven in Debian's Chromium by Playwright.

Upload a small CSV, set a few epochs, click Run, open Recommendation and read the verdict. A
full-page screenshot lands in test-artifacts/ (a failure saves one too). Runs in the default
`pytest -q`; without /usr/bin/chromium it fails and says how to install it, since a skipped
browser test would pass CI without ever opening the app.
"""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from test_app_support import table_csv

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
START_SECONDS = 60  # ceiling for the server to start on a slow shared machine
VERDICT = re.compile(r"^(Use scikit-learn|Use PyTorch|No usable signal yet)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium; missing, the test fails (not skips) and says how to install it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with 'apt-get update && apt-get install -y chromium' (.ci/run does this)")
    return CHROMIUM


@pytest.fixture
def app_url():
    """The app served on a free localhost port; the server is always stopped afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def drain():  # read the log as it comes, so a full pipe never blocks the server
        for line in server.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    url, log, deadline = f"http://127.0.0.1:{port}", [], time.monotonic() + START_SECONDS
    try:
        # Streamlit prints its URL once it listens; waiting on that line needs no polling.
        while not any(f":{port}" in line for line in log):
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"streamlit did not start within {START_SECONDS} s:\n{''.join(log)}")
            if line is None:
                pytest.fail(f"streamlit exited with code {server.wait()} before serving:\n{''.join(log)}")
            log.append(line)
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as answer:
            assert answer.read() == b"ok"
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=30_000)
    wait_until_drawn(page)


def wait_until_drawn(page) -> None:
    """Until the page's script has finished: Streamlit marks its root element while a run is going."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=60_000)


@pytest.mark.e2e
def test_upload_run_and_read_the_verdict_in_chromium(chromium, app_url, tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_bytes(table_csv())
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        # Streamlit scrolls inside its own container, so a tall window is what makes the screenshot the full page.
        page = browser.new_page(viewport={"width": 1280, "height": 2000})
        try:
            page.goto(app_url)
            expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=60_000)
            page.get_by_role("tab", name="Upload a file").click()
            page.locator("input[type=file]").set_input_files(csv)
            expect(page.get_by_text("Loaded labels.csv.")).to_be_visible(timeout=30_000)
            expect(page.get_by_test_id("stSidebar").get_by_text("labels.csv: 120 rows x 4 columns")).to_be_visible()
            wait_until_drawn(page)

            open_page(page, "Train")
            epochs = page.get_by_role("slider", name="Epochs (at most)")
            epochs.focus()
            epochs.press("Home")  # 1 epoch
            epochs.press("ArrowRight")
            epochs.press("ArrowRight")
            expect(epochs).to_have_value("3")
            page.get_by_role("button", name="Run").click()
            expect(page.get_by_text(re.compile(r"^Done in \d"))).to_be_visible(timeout=60_000)
            wait_until_drawn(page)
            expect(page.get_by_test_id("stMetricLabel").filter(has_text="Verdict")).to_be_visible()

            open_page(page, "Recommendation")
            verdict = page.get_by_role("heading", level=2).filter(has_text=VERDICT)
            expect(verdict).to_be_visible(timeout=30_000)
            expect(page.get_by_text(re.compile(r"^Confidence \d+%"))).to_be_visible()
            expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"^labels\.csv: scikit-learn \d\.\d{3} vs PyTorch"))).to_be_visible()
            page.screenshot(path=ARTIFACTS / "recommendation.png", full_page=True)
        except Exception:
            page.screenshot(path=ARTIFACTS / "failure.png", full_page=True)  # what the browser showed when it failed
            raise
        finally:
            browser.close()
