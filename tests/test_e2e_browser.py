"""The app as people meet it: `streamlit run app.py` on localhost, driven in Debian's Chromium by Playwright.

Runs are jobs: Run queues one in the run store under the server's BRIDGE_HOME, a training process
picks it up (one at a time here) and the pages poll the store. These tests drive that the way
people do: upload a small CSV, press Run (once, twice, while someone else trains), leave the page,
cancel, reload, open a shared link, and a fresh server's first page. Each person is a browser
context of their own (their own XSRF cookie, so their own runs). Waits are on text the page shows,
never on sleeps; the store (opened with the server's BRIDGE_HOME) says how many runs were made and
how each ended. A failure saves a full-page screenshot of every open page and the server's log in
test-artifacts/. Runs in the default `pytest -q`; without /usr/bin/chromium it fails and says how
to install it, since a skipped browser test would pass CI without ever opening the app.
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


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium; missing, the test fails (not skips) and says how to install it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with 'apt-get update && apt-get install -y chromium' (.ci/run does this)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the tests that can share it: each person is a browser context of their own, so they never meet."""
    with serve(tmp_path_factory.mktemp("bridge-home")) as served:
        yield served


@pytest.fixture
def app_url(shared_server):
    """The shared server's URL; afterwards every run still queued or training there is cancelled, so the next test finds the queue empty."""
    yield shared_server.url
    store = shared_server.store()
    for run in store.all_runs():
        if run.active:
            store.request_cancel(run.id)
    for run in store.all_runs():
        wait(store, run, timeout=60)


@pytest.fixture
def fresh_server(tmp_path):
    """Start as many brand-new servers as a test needs (each with its own empty store); all stop afterwards."""
    with ExitStack() as stack:
        count = iter(range(1, 100))
        yield lambda: stack.enter_context(serve(tmp_path / f"home-{next(count)}"))


@pytest.fixture
def people(browser, request, shared_server):
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


def upload(page, tmp_path: Path, name: str, rows: int = 120, seed: int = 0) -> None:
    """Upload a CSV of ``rows`` rows (two numbers, a colour, a yes/no label) on the Data page."""
    csv = tmp_path / name
    csv.write_bytes(table_csv(rows=rows, seed=seed))
    page.get_by_role("tab", name="Upload a file").click()
    page.locator("input[type=file]").set_input_files(csv)
    expect(page.get_by_text(f"Loaded {name}.")).to_be_visible(timeout=UI_MS)
    expect(sidebar(page).get_by_text(f"{name}: {rows} rows x 4 columns")).to_be_visible()


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


# -- the tests ------------------------------------------------------------------------------------
@pytest.mark.e2e
def test_upload_run_and_read_the_verdict_in_chromium(app_url, people, tmp_path, shared_server):
    page = people()
    arrive(page, app_url)
    upload(page, tmp_path, "labels.csv")

    open_page(page, "Train")
    set_epochs(page, 3)
    run_button(page).click()
    expect(page.get_by_text(QUEUED)).to_be_visible(timeout=UI_MS)
    expect(result_metrics(page)).to_be_visible(timeout=RUN_MS)
    expect(page.get_by_text(re.compile(r"^The run on labels\.csv finished in \d+\.\d s\.$"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/train\?run=[\w-]+$"))
    shown = scores(page)
    assert len(shown) == 2 and all(re.fullmatch(r"-?\d\.\d{3}", v) for v in shown.values()), shown
    expect(last_run_caption(page, "labels.csv")).to_be_visible()
    [run] = shared_server.runs_on("labels.csv")
    assert run.state == "done" and run.config.train.epochs == 3 and run.token == token_of(page)

    open_page(page, "Recommendation")
    expect(page.get_by_role("heading", level=2).filter(has_text=VERDICT)).to_be_visible(timeout=UI_MS)
    expect(page.get_by_text(re.compile(r"^Confidence \d+%"))).to_be_visible()
    expect(last_run_caption(page, "labels.csv")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Download everything"))).to_be_visible(timeout=UI_MS)  # drawn to the end
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "recommendation.png", full_page=True)


@pytest.mark.e2e
def test_a_double_click_on_run_makes_one_run_and_a_third_click_reuses_it(app_url, people, tmp_path, shared_server):
    page = people()
    arrive(page, app_url)
    upload(page, tmp_path, "double.csv", seed=1)
    open_page(page, "Train")
    set_epochs(page, 3)

    run_button(page).dblclick()
    # The first click queues the run; the second either finds it waiting or (its rerun having cut the first short) queues it itself.
    expect(page.get_by_text(QUEUED).or_(page.get_by_text(WAITING))).to_be_visible(timeout=UI_MS)
    expect(result_metrics(page)).to_be_visible(timeout=RUN_MS)
    first = scores(page)
    [run] = shared_server.runs_on("double.csv")
    assert run.state == "done"
    expect(run_button(page)).to_be_enabled()
    expect(history_rows(page)).to_have_attribute("aria-rowcount", "2")  # the header and one run

    run_button(page).click()  # the same settings once more
    expect(page.get_by_text(REUSED)).to_be_visible(timeout=UI_MS)
    expect(result_metrics(page)).to_be_visible()
    assert scores(page) == first
    assert [r.token for r in shared_server.runs_on("double.csv")] == [run.token]
    expect(page.get_by_test_id("stProgress")).to_have_count(0)  # nothing is training


@pytest.mark.e2e
def test_leaving_train_mid_run_the_result_follows_and_is_there_on_return(app_url, people, tmp_path, shared_server):
    page = people()
    arrive(page, app_url)
    upload(page, tmp_path, "leave.csv", seed=2)
    open_page(page, "Train")
    set_epochs(page, 300)
    early_stopping_off(page)  # all 300 epochs (of a tiny table): seconds of training, after seconds to start the process
    run_button(page).click()
    expect(page.get_by_text(QUEUED)).to_be_visible(timeout=UI_MS)

    open_page(page, "Compare")
    expect(page.get_by_text("Nothing to show yet: run a comparison first.")).to_be_visible()
    # Still training when we got here: the sidebar says so on this page too
    expect(sidebar(page).get_by_text(re.compile(r"^Training on leave\.csv: "))).to_be_visible(timeout=UI_MS)
    # ... and the result arrives without navigating: the notice, the sidebar's last run, the page itself
    expect(last_run_caption(page, "leave.csv")).to_be_visible(timeout=RUN_MS)
    expect(page.get_by_text(re.compile(r"^The run on leave\.csv finished in \d+\.\d s\.$"))).to_be_visible()
    expect(page.get_by_role("heading", name="Compare", level=1)).to_be_visible()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Dummy floor")).to_be_visible(timeout=UI_MS)
    on_compare = scores(page)
    assert len(on_compare) == 2, on_compare
    expect(page).to_have_url(re.compile(r"/compare\?run=[\w-]+$"))

    open_page(page, "Train")
    expect(result_metrics(page)).to_be_visible(timeout=UI_MS)
    assert scores(page) == on_compare
    expect(history_rows(page)).to_have_attribute("aria-rowcount", "2")
    [run] = shared_server.runs_on("leave.csv")
    assert run.state == "done" and run.config.train.patience == 0 and run.config.train.epochs == 300


@pytest.mark.e2e
def test_cancel_a_long_run_while_pytorch_trains(app_url, people, tmp_path, shared_server):
    page = people()
    arrive(page, app_url)
    upload(page, tmp_path, "cancel.csv", rows=1000, seed=3)
    open_page(page, "Train")
    set_widest(page)
    set_epochs(page, 300)
    early_stopping_off(page)  # 300 epochs of a 512-wide network on 1000 rows, three seeds: minutes, unless cancelled
    run_button(page).click()
    expect(page.get_by_text(QUEUED)).to_be_visible(timeout=UI_MS)

    expect(progress(page, re.compile(r"^cancel\.csv: PyTorch epoch \d+ of at most 300"))).to_be_visible(timeout=RUN_MS)
    page.get_by_role("button", name="Cancel this run", exact=True).click()
    expect(page.get_by_text(CANCELLED)).to_be_visible(timeout=UI_MS)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    expect(sidebar(page).get_by_text("none yet: set up a run on the Train page")).to_be_visible()  # no result replaced
    [run] = shared_server.runs_on("cancel.csv")
    assert run.state == "cancelled", run
    assert run.config.train.epochs == 300 and run.config.train.patience == 0 and run.config.mlp.width == 512
    assert not result_metrics(page).count()


@pytest.mark.e2e
def test_a_run_link_opens_elsewhere_and_a_reload_keeps_the_result(app_url, people, tmp_path, shared_server):
    alice = people()
    arrive(alice, app_url)
    upload(alice, tmp_path, "link.csv", seed=4)
    open_page(alice, "Train")
    set_epochs(alice, 3)
    run_button(alice).click()
    expect(result_metrics(alice)).to_be_visible(timeout=RUN_MS)
    expect(alice).to_have_url(re.compile(r"\?run="))
    token, shown = token_of(alice), scores(alice)
    assert len(shown) == 2, shown

    carol = people()  # someone Alice sent the link to
    arrive(carol, f"{app_url}/compare?run={token}", title="Compare")
    expect(carol.get_by_test_id("stMetricLabel").filter(has_text="Dummy floor")).to_be_visible(timeout=UI_MS)
    assert scores(carol) == shown
    expect(sidebar(carol).get_by_text("link.csv: 120 rows x 4 columns")).to_be_visible()
    expect(last_run_caption(carol, "link.csv")).to_be_visible()
    open_page(carol, "Train")
    expect(result_metrics(carol)).to_be_visible(timeout=UI_MS)
    expect(carol.get_by_role("heading", name="Runs on this dataset")).to_have_count(0)  # the link opens its run, not Alice's history

    alice.reload()
    expect(alice.get_by_role("heading", name="Train", level=1)).to_be_visible(timeout=60_000)
    expect(result_metrics(alice)).to_be_visible(timeout=UI_MS)
    assert scores(alice) == shown
    expect(last_run_caption(alice, "link.csv")).to_be_visible()
    expect(alice.get_by_role("heading", name="Runs on this dataset")).to_be_visible()
    expect(history_rows(alice)).to_have_attribute("aria-rowcount", "2")
    assert [r.token for r in shared_server.runs_on("link.csv")] == [token]


@pytest.mark.e2e
def test_two_people_at_once_one_waits_in_the_queue_and_neither_sees_the_other(app_url, people, tmp_path, shared_server):
    alice, bob = people(), people()
    arrive(alice, app_url)
    upload(alice, tmp_path, "alice.csv", seed=5)
    open_page(alice, "Train")
    arrive(bob, app_url)
    upload(bob, tmp_path, "bob.csv", seed=6)
    open_page(bob, "Train")
    set_epochs(bob, 3)

    run_button(alice).click()
    # Alice's run holds the one training slot (its process takes seconds just to start) when Bob presses Run
    expect(progress(alice, re.compile(r"^alice\.csv: (?!Queued)"))).to_be_visible(timeout=UI_MS)
    run_button(bob).click()
    expect(bob.get_by_text(QUEUED)).to_be_visible(timeout=UI_MS)
    expect(progress(bob, re.compile(r"^bob\.csv: Queued: next in line \(1 training\(s\) at a time here\), waiting \d+ s"))).to_be_visible()

    expect(result_metrics(alice)).to_be_visible(timeout=RUN_MS)
    expect(result_metrics(bob)).to_be_visible(timeout=RUN_MS)
    [a], [b] = shared_server.runs_on("alice.csv"), shared_server.runs_on("bob.csv")
    assert a.state == b.state == "done" and a.owner != b.owner
    assert b.started >= a.finished  # one training at a time: Bob's started once Alice's had ended

    for page, mine, theirs in ((alice, "alice.csv", "bob.csv"), (bob, "bob.csv", "alice.csv")):
        expect(last_run_caption(page, mine)).to_be_visible()
        expect(history_rows(page)).to_have_attribute("aria-rowcount", "2")  # its own run only
        expect(page.get_by_text(theirs)).to_have_count(0)  # nowhere on the page: sidebar, progress, notices, history
        open_page(page, "Data")
        expect(sidebar(page).get_by_text(re.compile(rf"^{re.escape(mine)}: "))).to_have_count(2)  # the dataset and the last run
        expect(page.get_by_text(theirs)).to_have_count(0)


@pytest.mark.e2e
def test_a_reload_while_a_run_trains_still_gets_its_result(app_url, people, tmp_path, shared_server):
    page = people()
    arrive(page, app_url)
    upload(page, tmp_path, "midway.csv", seed=7)
    open_page(page, "Train")
    set_epochs(page, 3)
    run_button(page).click()
    expect(progress(page, re.compile(r"^midway\.csv: "))).to_be_visible(timeout=UI_MS)

    page.reload()
    expect(page.get_by_role("heading", name="Train", level=1)).to_be_visible(timeout=60_000)
    expect(sidebar(page).get_by_text(re.compile(r"^Training on midway\.csv: "))).to_be_visible(timeout=UI_MS)  # still listed as its own
    [run] = shared_server.runs_on("midway.csv")
    assert wait(shared_server.store(), run, timeout=RUN_MS / 1000).state == "done"
    # The sidebar polls once a second: the run's end should show within moments of the store saying so
    expect(last_run_caption(page, "midway.csv")).to_be_visible(timeout=15_000)
    expect(page.get_by_text(re.compile(r"^The run on midway\.csv finished in"))).to_be_visible()


@pytest.mark.e2e
def test_the_sidebar_shows_the_run_training_on_the_train_page_too(app_url, people, tmp_path):
    page = people()
    arrive(page, app_url)
    upload(page, tmp_path, "sidebar.csv", seed=8)
    open_page(page, "Train")
    set_epochs(page, 300)
    early_stopping_off(page)  # long enough to be still training while we look; the fixture cancels it afterwards
    run_button(page).click()
    expect(progress(page, re.compile(r"^sidebar\.csv: "))).to_be_visible(timeout=UI_MS)  # the page's own panel shows it
    expect(sidebar(page).get_by_text(re.compile(r"^Training on sidebar\.csv: "))).to_be_visible(timeout=10_000)
    expect(sidebar(page).get_by_role("button", name="Cancel", exact=True)).to_be_visible()


@pytest.mark.e2e
def test_a_fresh_server_serves_the_six_page_menu_first_and_on_a_direct_link(fresh_server, browser, request):
    contexts, servers = [], []
    try:
        servers.append(first := fresh_server())
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        arrive(page, first.url)
        nav = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
        expect(nav).to_have_count(len(MENU))
        assert [text.split("\n")[-1].strip() for text in nav.all_inner_texts()] == MENU

        servers.append(second := fresh_server())
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        arrive(page, f"{second.url}/compare", title="Compare")  # the very first request this server gets
        expect(page.get_by_text("Nothing to show yet: run a comparison first.")).to_be_visible()
        expect(nav := page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")).to_have_count(len(MENU))
        assert [text.split("\n")[-1].strip() for text in nav.all_inner_texts()] == MENU
        expect(sidebar(page).get_by_text("breast_cancer: 569 rows x 31 columns")).to_be_visible()  # app.py ran: the default dataset
    except Exception:
        save_artifacts(request.node.name, contexts, [line for server in servers for line in server.log])
        raise
    finally:
        for context in contexts:
            context.close()
