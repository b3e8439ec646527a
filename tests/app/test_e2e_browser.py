"""One person's run in Chromium, from upload to verdict: `streamlit run app.py` on localhost, driven by Playwright.

Runs are jobs: Run queues one in the run store under the server's BRIDGE_HOME, a training process
picks it up (one at a time here) and the pages poll the store. These tests drive one run the way a
person does: upload a small CSV, press Run (once, twice), leave the page while it trains, cancel it,
reload midway, and check what the store says was made. The server, the browser and the person's
steps are in tests/e2e_support.py; several people, a shared link and a fresh server are in
tests/app/test_e2e_browser_visitors.py. Runs in the default `pytest -q`.
"""

from __future__ import annotations

import re

import pytest
from e2e_support import (
    ARTIFACTS,
    CANCELLED,
    QUEUED,
    REUSED,
    RUN_MS,
    UI_MS,
    VERDICT,
    WAITING,
    history_rows,
    last_run_caption,
    open_page,
    progress,
    result_metrics,
    run_button,
    scores,
    set_up_run,
    sidebar,
    start_run,
    token_of,
)
from playwright.sync_api import expect

from bridge.jobs import wait


@pytest.mark.e2e
def test_upload_run_and_read_the_verdict_in_chromium(app_url, people, tmp_path, shared_server):
    page = people()
    start_run(page, app_url, tmp_path, "labels.csv", epochs=3)
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
    set_up_run(page, app_url, tmp_path, "double.csv", seed=1, epochs=3)

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
    # all 300 epochs (of a tiny table): seconds of training, after seconds to start the process
    start_run(page, app_url, tmp_path, "leave.csv", seed=2, epochs=300, early_stopping=False)
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
    # 300 epochs of a 512-wide network on 1000 rows, three seeds: minutes, unless cancelled
    start_run(page, app_url, tmp_path, "cancel.csv", rows=1000, seed=3, widest=True, epochs=300, early_stopping=False)
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
def test_a_reload_while_a_run_trains_still_gets_its_result(app_url, people, tmp_path, shared_server):
    page = people()
    start_run(page, app_url, tmp_path, "midway.csv", seed=7, epochs=3)
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
    # long enough to be still training while we look; the fixture cancels it afterwards
    start_run(page, app_url, tmp_path, "sidebar.csv", seed=8, epochs=300, early_stopping=False)
    expect(progress(page, re.compile(r"^sidebar\.csv: "))).to_be_visible(timeout=UI_MS)  # the page's own panel shows it
    expect(sidebar(page).get_by_text(re.compile(r"^Training on sidebar\.csv: "))).to_be_visible(timeout=10_000)
    expect(sidebar(page).get_by_role("button", name="Cancel", exact=True)).to_be_visible()
