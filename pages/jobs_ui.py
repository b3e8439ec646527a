"""The session's side of runs-as-jobs: who this browser is, submitting, watching, cancelling and restoring runs.

Training never happens in a page script: Run puts a job in the store (``bridge.jobs``) and a
training process picks it up. Pages poll the store from fragments, so leaving a page, switching
datasets or pressing Run twice never blocks anything, and a run's result arrives wherever the user
is. The URL carries the run shown (``?run=<token>``), so a reload or a shared link opens it again.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from itertools import cycle

import streamlit as st

from bridge.errors import BridgeError
from bridge.jobs import DONE, FAILED, QUEUED, LocalExecutor, Run, RunStore
from bridge.jobs.store import CANCELLED
from bridge.outputs.markdown import escape_markdown as plain

OWNER = "bridge.owner"  # who this browser is: its runs are the ones it may list
CURRENT = "bridge.current"  # the token of the run the results pages show
LINKED = "bridge.linked"  # tokens this session opened from a link: shown, never listed as its own
WATCHING = "bridge.watching"  # tokens of runs this session started and has not yet seen finish
RESULTS = "bridge.results"  # {token: Comparison}: a few loaded results, their arrays memory-mapped from the store
RUN_NOTICE = "bridge.run_notice"  # ("error" | "info" | "success", one line) about a run that just ended
MAX_WAITING = 3  # queued or running runs one session may have at once
MAX_LOADED = 3
TUNING_LINE = re.compile(r"^Tuning (scikit-learn|PyTorch): (\d+) of (\d+) trials")  # the core's progress line while it tunes


def executor() -> LocalExecutor:
    """The server's one scheduler (per BRIDGE_HOME): it holds no user data, only the store's location and the child processes."""
    return LocalExecutor.shared()


def store() -> RunStore:
    return executor().store


def browser_owner() -> str:
    """This browser's id: stable across reloads, different in every other browser profile.

    It is derived from Streamlit's XSRF cookie (set by the server on the first page load and sent
    on every connection), so a reload finds its runs again while another person never does. The
    cookie's masked form changes, so the token inside is unmasked (tornado's format "2|mask|masked|time")
    and hashed: the id stored is not the cookie. Without the cookie (XSRF protection off, tests) each
    session is its own owner.
    """
    if OWNER not in st.session_state:
        raw = st.context.cookies.get("_streamlit_xsrf") if st.context.cookies else None
        token = None
        if raw:
            parts = raw.split("|")
            try:
                token = bytes(a ^ b for a, b in zip(bytes.fromhex(parts[2]), cycle(bytes.fromhex(parts[1])))) if parts[0] == "2" else raw.encode()
            except (IndexError, ValueError):
                token = raw.encode()
        seed = token if token else secrets.token_bytes(16)
        st.session_state[OWNER] = hashlib.sha256(b"bridge-owner\0" + seed).hexdigest()
    return st.session_state[OWNER]


def visible(token: str | None) -> Run | None:
    """A run this session may show: one it created, or one it opened from a link."""
    if not token:
        return None
    run = store().by_token(token)
    if run is None:
        return None
    return run if run.owner == browser_owner() or token in st.session_state.get(LINKED, set()) else None


def show_run(token: str) -> None:
    """Make ``token`` the run the results pages show, and put it in the URL."""
    st.session_state[CURRENT] = token
    st.query_params["run"] = token


def current_run() -> Run | None:
    return visible(st.session_state.get(CURRENT))


def load_comparison(run: Run):
    """The run's Comparison, loaded once per session (a handful kept), or None when its files are gone."""
    results = st.session_state.setdefault(RESULTS, {})
    if run.token not in results:
        comparison = store().load_result(run)
        if comparison is None:
            return None
        results[run.token] = comparison
        while len(results) > MAX_LOADED:
            results.pop(next(iter(results)))
    return results[run.token]


def my_runs(dataset_key: str | None = None) -> list[Run]:
    return store().runs_of(browser_owner(), dataset_key)


def waiting_runs() -> list[Run]:
    """This session's runs that are queued or running, oldest first."""
    return sorted((r for r in my_runs() if r.active), key=lambda r: r.id)


def submit(dataset, dataset_key: str, config) -> tuple[str, str]:
    """Queue a run, reuse a stored one with the same settings, or refuse with a reason; returns (kind, message)."""
    try:
        config.validate()  # the sliders stay in bounds; a config from elsewhere (a link's settings) may not
    except BridgeError as exc:
        return "error", f"These settings cannot run: {plain(exc)}."
    owner = browser_owner()
    same = store().same_settings(owner, dataset_key, config)
    if same is not None and same.state == DONE:
        show_run(same.token)
        return "success", "Same dataset and settings as an earlier run: here is its stored result, nothing retrained."
    if same is not None:
        return "info", "A run with these settings is already waiting or training; its result will appear here when it ends."
    if len(waiting_runs()) >= MAX_WAITING:
        return "warning", f"You already have {MAX_WAITING} runs queued or training: wait for one to end or cancel one, then press Run again."
    run = executor().submit(owner, dataset_key, dataset, config)
    st.session_state.setdefault(WATCHING, set()).add(run.token)
    return "info", "Queued: the run starts as soon as a training slot is free. You can leave this page; the result will follow you."


def cancel(token: str) -> None:
    run = visible(token)
    if run is not None and run.active:
        executor().cancel(run)


def settle() -> bool:
    """Note runs that ended since the last look; True when the page should redraw to show them."""
    watching: set = st.session_state.setdefault(WATCHING, set())
    watching.update(run.token for run in waiting_runs())  # this browser's runs started before a reload, or in another tab
    changed = False
    for token in sorted(watching):
        run = visible(token)
        if run is not None and run.active:
            continue
        watching.discard(token)  # ended, or removed from the store: either way nothing more to wait for
        if run is None:
            continue
        changed = True
        if run.state == DONE:
            show_run(token)
            st.session_state[RUN_NOTICE] = ("success", f"The run on {plain(run.dataset_name)} finished in {run.seconds or 0:.1f} s.")
        elif run.state == FAILED:
            st.session_state[RUN_NOTICE] = ("error", f"The run stopped: {plain(run.error)}. Earlier results are kept.")
        elif run.state == CANCELLED:
            st.session_state[RUN_NOTICE] = ("info", "The run was cancelled. Earlier results are kept.")
    return changed


def restore_from_link() -> None:
    """Open the run named in the URL (a reload or a shared link): its data, target and settings come back with it."""
    token = st.query_params.get("run")
    if not token or token == st.session_state.get(CURRENT):
        return
    run = store().by_token(token)
    if run is None:
        del st.query_params["run"]
        st.session_state[RUN_NOTICE] = ("warning", "That run link is unknown or its run was removed from the store; run it again.")
        return
    if run.owner != browser_owner():
        st.session_state.setdefault(LINKED, set()).add(token)
    if run.active:
        st.session_state.setdefault(WATCHING, set()).add(token)
    dataset = store().load_dataset(run.dataset_key)
    if dataset is not None:
        from pages.common import SETTINGS, TARGET, TASK, TEXT_COLUMNS, confirm_target, set_dataset

        set_dataset(dataset, run.dataset_key)
        confirm_target()  # the run's target was chosen when it was submitted: a link to it asks nothing again
        st.session_state[TARGET], st.session_state[TASK] = run.config.target or dataset.default_target, run.config.task
        st.session_state[TEXT_COLUMNS] = run.config.text_columns
        st.session_state[SETTINGS] = run.config
    st.session_state[CURRENT] = token


def status_line(run: Run, now: float | None = None, epochs: list[dict] | None = None) -> str:
    """Where a run is, with a clock: the queue place, the stage and its seconds, or the epoch and the time left.

    ``epochs``: the run's epoch log when the caller has already read it (the Train panel draws it too).
    """
    now = time.time() if now is None else now
    if run.state == QUEUED:
        place = store().queue_place(run)
        return f"Queued: {'next' if place == 1 else f'number {place}'} in line ({executor().limit} training(s) at a time here), " \
               f"waiting {now - run.created:.0f} s"
    elapsed = now - (run.stage_started or now)
    if run.stage == "pytorch" and run.message.startswith("PyTorch epoch"):
        epochs = store().epochs(run.id) if epochs is None else epochs
        if epochs:
            last = epochs[-1]
            left = last["seconds"] / last["epoch"] * (last["epochs"] - last["epoch"])
            return f"{run.message}: about {left:.0f} s left at most (early stopping may end sooner)"
    clock = f" ({elapsed:.0f} s)" if elapsed >= 1 else ""
    return f"{run.message}{clock}"


def progress_fraction(run: Run) -> float:
    """How far the bar goes: the run's own fraction, except while it tunes, where it shows the trials done of both sides.

    The core reports a tuned run at 0.99 from the end of its default run until its last trial (most of its time),
    so the bar would stand still; its line names the trials done, which give the bar of the tuning stage.
    """
    found = TUNING_LINE.match(run.message) if run.stage == "tuning" else None
    if found is None:
        return min(max(run.fraction, 0.0), 1.0)
    side, done, total = found.group(1), int(found.group(2)), int(found.group(3))
    return min(((side == "PyTorch") + done / max(total, 1)) / 2, 1.0)


def trials_run_on() -> str:
    """Where a tuned run's trials go: TuneConfig's "auto" executor is BRIDGE_EXECUTOR, which training processes inherit from the server."""
    setting = os.environ.get("BRIDGE_EXECUTOR", "local")
    if setting == "local":
        return "the local pool"
    if setting.startswith(("dask://", "tcp://")):
        return f"the Dask cluster at {setting.split('://', 1)[1]} (BRIDGE_EXECUTOR)"
    return f"BRIDGE_EXECUTOR={setting}, which is neither local nor dask://HOST:PORT: a tuned run will stop and say so"


def watch_every(seconds: float) -> float | None:
    """A fragment's polling period: only while this session has a run queued, training or not yet seen to end."""
    return seconds if st.session_state.get(WATCHING) or waiting_runs() else None


def _monitor() -> None:
    if settle():
        st.rerun(scope="app")  # a run just ended: redraw whatever page is open with its result
    for run in waiting_runs():
        st.caption(f"**Training** on {plain(run.dataset_name)}: {plain(status_line(run))}")
        st.button("Cancel", key=f"bridge.cancel.sidebar.{run.token}", on_click=cancel, args=(run.token,), icon=":material/cancel:")


def run_monitor() -> None:
    """The sidebar's view of this session's waiting runs, on every page; it polls the store once a second while there are any."""
    st.fragment(_monitor, run_every=watch_every(1.0))()
