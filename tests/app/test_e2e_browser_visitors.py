"""Several visitors in Chromium: a run link opened elsewhere, two people at once, and a fresh server's first page.

Each person is a browser context of their own (their own XSRF cookie, so their own runs): a link
opens its run and nothing else of its owner's, two people share one training slot without seeing
each other's data, and a brand-new server serves the six-page menu both to its first visitor and
on a direct link. The server, the browser and the person's steps are in tests/e2e_support.py; one
person's run from upload to verdict is in tests/app/test_e2e_browser.py.
"""

from __future__ import annotations

import re

import pytest
from e2e_support import (
    MENU,
    QUEUED,
    RUN_MS,
    UI_MS,
    VIEWPORT,
    arrive,
    history_rows,
    last_run_caption,
    open_page,
    progress,
    result_metrics,
    run_button,
    save_artifacts,
    scores,
    set_up_run,
    sidebar,
    start_run,
    token_of,
)
from playwright.sync_api import expect


@pytest.mark.e2e
def test_a_run_link_opens_elsewhere_and_a_reload_keeps_the_result(app_url, people, tmp_path, shared_server):
    alice = people()
    start_run(alice, app_url, tmp_path, "link.csv", seed=4, epochs=3)
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
    set_up_run(alice, app_url, tmp_path, "alice.csv", seed=5)  # the page's default epochs
    set_up_run(bob, app_url, tmp_path, "bob.csv", seed=6, epochs=3)

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
