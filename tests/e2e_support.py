"""What the Chromium tests share: the app served on localhost, the browser, a person's steps; this file holds no tests.

`serve()` runs `streamlit run app.py` on a free localhost port with its own BRIDGE_HOME (one
training at a time); the store opened there says how many runs were made and how each ended. The
fixtures give a test Debian's Chromium (missing, the test fails and says how to install it, since a
skipped browser test would pass CI without ever opening the app), one server per test module
(`shared_server`, `app_url`) or brand-new ones (`fresh_server`), and `people`: each person a browser
context of their own (their own XSRF cookie, so their own runs); a failure saves a full-page
screenshot of every open page and the server's log in test-artifacts/. The helpers below them are
what a person does and reads, waiting on text the page shows, never on sleeps.

The test files import none of the fixtures: tests/app/conftest.py imports all six, so pytest offers
them (by their `name=`) to every test in tests/app/ and each test just names the ones it uses as
arguments. The functions end in `_fixture` so that a test's argument (`browser`) never shadows an
imported name, which linters would flag as a redefinition. `set_up_run` and `start_run` are the
steps most tests begin with: arrive, upload a CSV of their own, open Train, set it up (and press Run).
"""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from test_app_support import table_csv

from bridge.jobs import RunStore, wait

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
START_SECONDS = 60  # ceiling for the server to start on a slow shared machine
RUN_MS = 180_000  # ceiling for a queued run to end (a training process starts, imports torch, trains), not a timing assertion
UI_MS = 30_000  # ceiling for a page to answer a click
VIEWPORT = {"width": 1280, "height": 2000}  # Streamlit scrolls inside its own container: a tall window makes a full-page screenshot
VERDICT = re.compile(r"^(Use scikit-learn|Use PyTorch|No usable signal yet)")
MENU = ["Data", "Train", "Compare", "Errors", "Recommendation", "Bridge note"]
QUEUED = "Queued: the run starts as soon as a training slot is free. You can leave this page; the result will follow you."
WAITING = "A run with these settings is already waiting or training; its result will appear here when it ends."
REUSED = "Same dataset and settings as an earlier run: here is its stored result, nothing retrained."
CANCELLED = "The run was cancelled. Earlier results are kept."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    home: Path  # its BRIDGE_HOME: the run store the test reads
    log: list[str] = field(default_factory=list)

    def store(self) -> RunStore:
        return RunStore(self.home)

    def runs_on(self, dataset_name: str) -> list:
        """Every run the server stored on the dataset of this name (each test uploads under a name of its own), oldest first."""
        return sorted((r for r in self.store().all_runs() if r.dataset_name == dataset_name), key=lambda r: r.id)


@contextmanager
def serve(home: Path):
    """The app served on a free localhost port with its run store in ``home``; the server is always stopped afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "BRIDGE_HOME": str(home), "BRIDGE_MAX_TRAININGS": "1"}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    served = Server(f"http://127.0.0.1:{port}", home)

    def drain():  # read the log as it comes, so a full pipe never blocks the server
        for line in server.stdout:
            lines.put(line)
            served.log.append(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    seen, deadline = [], time.monotonic() + START_SECONDS
    try:
        # Streamlit prints its URL once it listens; waiting on that line needs no polling.
        while not any(f":{port}" in line for line in seen):
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"streamlit did not start within {START_SECONDS} s:\n{''.join(seen)}")
            if line is None:
                pytest.fail(f"streamlit exited with code {server.wait()} before serving:\n{''.join(seen)}")
            seen.append(line)
        with urllib.request.urlopen(f"{served.url}/_stcore/health", timeout=10) as answer:
            assert answer.read() == b"ok"
        yield served
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module", name="chromium")
def chromium_fixture() -> str:
    """Debian's Chromium; missing, the test fails (not skips) and says how to install it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with 'apt-get update && apt-get install -y chromium' (.ci/run does this)")
    return CHROMIUM


@pytest.fixture(scope="module", name="browser")
def browser_fixture(chromium):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture(scope="module", name="shared_server")
def shared_server_fixture(tmp_path_factory):
    """One server for the tests that can share it: each person is a browser context of their own, so they never meet."""
    with serve(tmp_path_factory.mktemp("bridge-home")) as served:
        yield served


@pytest.fixture(name="app_url")
def app_url_fixture(shared_server):
    """The shared server's URL; afterwards every run still queued or training there is cancelled, so the next test finds the queue empty."""
    yield shared_server.url
    store = shared_server.store()
    for run in store.all_runs():
        if run.active:
            store.request_cancel(run.id)
    for run in store.all_runs():
        wait(store, run, timeout=60)


@pytest.fixture(name="fresh_server")
def fresh_server_fixture(tmp_path):
    """Start as many brand-new servers as a test needs (each with its own empty store); all stop afterwards."""
    with ExitStack() as stack:
        count = iter(range(1, 100))
        yield lambda: stack.enter_context(serve(tmp_path / f"home-{next(count)}"))


@pytest.fixture(name="people")
def people_fixture(browser, request, shared_server):
    """``person()`` opens a page in a new browser context: another person, with a cookie (and so runs) of their own.

    If the test fails, every page is saved as test-artifacts/<test>-<n>.png and the shared server's log beside them.
    """
    contexts = []

    def person():
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        return context.new_page()

    failed = request.session.testsfailed
    yield person
    if request.session.testsfailed > failed:  # the call just failed (its report is counted before teardown)
        save_artifacts(request.node.name, contexts, shared_server.log)
    for context in contexts:
        context.close()


def save_artifacts(name: str, contexts: list, log: list[str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pages = [page for context in contexts for page in context.pages]
    for number, page in enumerate(pages, 1):
        try:
            page.screenshot(path=ARTIFACTS / f"{name}-{number}.png", full_page=True)  # what the browser showed when it failed
        except Exception as exc:  # a page that crashed: the other pages and the log still help
            print(f"no screenshot of page {number}: {exc}")
    (ARTIFACTS / f"{name}-server.log").write_text("".join(log))


# -- what a person does -----------------------------------------------------------------------------
def sidebar(page):
    return page.get_by_test_id("stSidebar")


def arrive(page, url: str, title: str = "Data") -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=60_000)


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=UI_MS)


def upload(page, tmp_path: Path, name: str, rows: int = 120, seed: int = 0, *, data: bytes | None = None, columns: int = 4) -> None:
    """Upload a CSV of ``rows`` rows (two numbers, a colour, a yes/no label) on the Data page.

    ``data`` uploads these CSV bytes instead (``seed`` then unused); ``rows`` and ``columns`` are what the sidebar must say of them.
    """
    csv = tmp_path / name
    csv.write_bytes(table_csv(rows=rows, seed=seed) if data is None else data)
    page.get_by_role("tab", name="Upload a file").click()
    page.locator("input[type=file]").set_input_files(csv)
    expect(page.get_by_text(f"Loaded {name}.")).to_be_visible(timeout=UI_MS)
    expect(sidebar(page).get_by_text(f"{name}: {rows} rows x {columns} columns")).to_be_visible()


def set_epochs(page, epochs: int) -> None:
    """Every key press commits the slider's value (and reruns the page), so Run sends the last one."""
    slider = page.get_by_role("slider", name="Epochs (at most)")
    slider.focus()
    if epochs == 300:
        slider.press("End")
    else:
        slider.press("Home")  # 1 epoch
        for _ in range(epochs - 1):
            slider.press("ArrowRight")
    expect(slider).to_have_value(str(epochs))


def set_widest(page) -> None:
    slider = page.get_by_role("slider", name="Width (units per layer)")
    slider.focus()
    slider.press("End")
    expect(slider).to_have_attribute("aria-valuetext", "512")


def early_stopping_off(page) -> None:
    switch = page.get_by_role("switch", name="Early stopping")
    expect(switch).to_be_checked()
    page.get_by_text("Early stopping", exact=True).click()
    expect(switch).not_to_be_checked()


def run_button(page):
    return page.get_by_role("button", name="Run", exact=True)


def set_up_run(page, url: str, tmp_path: Path, name: str, *, rows: int = 120, seed: int = 0, epochs: int | None = None,
               early_stopping: bool = True, widest: bool = False) -> None:
    """Arrive at ``url``, upload ``name`` (``rows`` rows drawn with ``seed``), open Train and set up a run without pressing Run.

    ``widest`` sets the 512-unit width, ``epochs`` the epoch slider (left at the page's default if not given) and
    ``early_stopping=False`` turns early stopping off, in that order.
    """
    arrive(page, url)
    upload(page, tmp_path, name, rows=rows, seed=seed)
    open_page(page, "Train")
    if widest:
        set_widest(page)
    if epochs is not None:
        set_epochs(page, epochs)
    if not early_stopping:
        early_stopping_off(page)


def start_run(page, url: str, tmp_path: Path, name: str, **settings) -> None:
    """``set_up_run`` with these ``settings``, then one click on Run."""
    set_up_run(page, url, tmp_path, name, **settings)
    run_button(page).click()


def progress(page, text: str | re.Pattern):
    """The Train page's progress bar of a waiting run whose text (dataset: stage, with a clock) matches."""
    return page.get_by_test_id("stProgress").filter(has_text=text)


def last_run_caption(page, name: str):
    """The sidebar's 'Last run' line once a run on ``name`` has finished there."""
    pattern = rf"^{re.escape(name)}: scikit-learn \d\.\d{{3}} vs PyTorch \d\.\d{{3}} balanced_accuracy; verdict: "
    return sidebar(page).get_by_text(re.compile(pattern))


def result_metrics(page):
    """The Verdict metric: on Train, the sign that the run shown is finished."""
    return page.get_by_test_id("stMetricLabel").filter(has_text="Verdict")


def metric_values(page) -> dict[str, str]:
    """{label: value} of every st.metric on the page, as shown."""
    values = {}
    for metric in page.get_by_test_id("stMetric").all():
        values[metric.get_by_test_id("stMetricLabel").inner_text().strip()] = metric.get_by_test_id("stMetricValue").inner_text().strip()
    return values


def scores(page) -> dict[str, str]:
    """The two sides' scores (labels name the model), leaving out the verdict and Compare's dummy floor."""
    return {k: v for k, v in metric_values(page).items() if k.startswith(("scikit-learn:", "PyTorch:"))}


def history_rows(page):
    """The 'Runs on this dataset' table: Streamlit draws it on a canvas, with an accessible table inside; aria-rowcount counts the header."""
    return page.get_by_test_id("stDataFrame").filter(has=page.locator("th", has_text="settings")).locator("table[role=grid]")


def token_of(page) -> str:
    match = re.search(r"[?&]run=([\w-]+)", page.url)
    assert match, f"no ?run= in {page.url}"
    return match.group(1)

