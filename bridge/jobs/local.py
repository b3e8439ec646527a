"""The local executor: queued runs start as child processes, a bounded number at a time.

One scheduler thread per server process (and per store) claims queued runs in the order they were
submitted, at most ``BRIDGE_MAX_TRAININGS`` at once (default: one per two cores), and gives each
process its share of the cores as its thread limit. Several runs at once on a small machine would
otherwise each start a thread per core and slow every one of them down many times over; queued, each
one finishes as fast as it can. The claim is atomic in SQLite, so two servers on one store still
respect the limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.config import CompareConfig
from bridge.jobs.store import CANCELLED, FAILED, FINISHED, RUNNING, Run, RunStore, default_home

if TYPE_CHECKING:  # bridge.io.data loads pandas and scikit-learn; the scheduler only hands a dataset on to the store
    from bridge.io.data import Dataset

POLL_SECONDS = 0.2
CANCEL_GRACE_SECONDS = 2.0  # a run still busy this long after Cancel (inside a long fit) is ended by force
SPARE_IDLE_SECONDS = 600.0  # a ready worker unused this long is let go: it holds a few hundred MB of imported libraries
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding bridge/, for the child's import path


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def training_limit() -> int:
    """How many runs may train at once on this server: ``BRIDGE_MAX_TRAININGS``, else one per two cores."""
    text = os.environ.get("BRIDGE_MAX_TRAININGS", "")
    return max(1, int(text)) if text.strip().isdigit() else max(1, cores() // 2)


def thread_share(limit: int) -> int:
    return max(1, cores() // limit)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class LocalExecutor:
    """Submit, cancel and watch runs; the training happens in ``bridge.jobs.worker`` processes."""

    _shared: dict[Path, LocalExecutor] = {}
    _shared_lock = threading.Lock()

    def __init__(self, store: RunStore, limit: int | None = None) -> None:
        self.store = store
        self.limit = limit or training_limit()
        self.threads = thread_share(self.limit)
        self.children: dict[int, subprocess.Popen] = {}
        self.cancel_seen: dict[int, float] = {}
        self.wake = threading.Event()
        self.spare: subprocess.Popen | None = None  # a worker that has imported everything and waits for a run id
        self.spare_since = 0.0
        self._thread: threading.Thread | None = None
        self._stop = False

    @classmethod
    def shared(cls, home: str | os.PathLike | None = None) -> LocalExecutor:
        """The one executor of this process for the store at ``home`` (default: BRIDGE_HOME), its scheduler started on first use."""
        key = Path(home if home is not None else default_home()).expanduser().resolve()
        with cls._shared_lock:
            executor = cls._shared.get(key)
            if executor is None:
                executor = cls._shared[key] = cls(RunStore(key))
                executor.start()
            return executor

    @classmethod
    def stop_all(cls) -> None:
        """Stop every shared executor of this process and the runs they started (the end of a test session)."""
        with cls._shared_lock:
            executors, cls._shared = list(cls._shared.values()), {}
        for executor in executors:
            executor.stop()

    # -- what callers use -------------------------------------------------------------------
    def submit(self, owner: str, dataset_key: str, dataset: Dataset, config: CompareConfig) -> Run:
        """Queue a run of ``config`` on ``dataset``; it starts when a training slot is free."""
        self.store.save_dataset(dataset_key, dataset)
        run = self.store.create(owner, dataset_key, dataset.name, config)
        self.wake.set()
        return run

    def cancel(self, run: Run) -> None:
        self.store.request_cancel(run.id)
        self.wake.set()

    def start(self) -> None:
        self.recover_orphans()
        self._thread = threading.Thread(target=self._loop, name="bridge-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the scheduler and any run it started (tests; a server exits without this)."""
        self._stop = True
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for run_id, child in list(self.children.items()):
            self.store.request_cancel(run_id)
            child.kill()
            child.wait()
        self._reap()
        self._retire_spare(force=True)

    # -- the scheduler ----------------------------------------------------------------------
    def recover_orphans(self) -> None:
        """Runs left 'running' by a server that stopped: their process is gone, so they failed."""
        for run in self.store.all_runs():
            stale = run.pid is None and run.started is not None and time.time() - run.started > 60
            if run.state == RUNNING and (stale or (run.pid is not None and not _alive(run.pid))):
                self.store.finish(run.id, FAILED, "Failed", error="the server stopped while this run was training; run it again")

    def _loop(self) -> None:
        while not self._stop:
            try:
                self._reap()
                self._enforce_cancels()
                self._start_queued()
                self._retire_spare()
            except Exception:  # a full disk or a locked database must not kill the scheduler for good
                import logging

                logging.getLogger(__name__).exception("scheduler step failed")
            self.wake.wait(POLL_SECONDS)
            self.wake.clear()

    def _start_queued(self) -> None:
        while not self._stop and (run := self.store.claim_next(self.limit)) is not None:
            self._spawn(run)

    def _spawn(self, run: Run) -> None:
        """Hand the run to the ready worker if there is one (no import wait), else start a worker for it; then ready the next."""
        folder = self.store.run_folder(run.id)
        folder.mkdir(parents=True, exist_ok=True)
        child = self._hand_to_spare(run.id)
        if child is None:
            with open(folder / "worker.log", "ab") as log:
                child = subprocess.Popen(self._command(str(run.id)), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         env=self._env())
        self.children[run.id] = child
        self.store.set_pid(run.id, child.pid)
        self._ready_spare()

    def _command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bridge.jobs.worker", *args, "--home", str(self.store.home), "--threads", str(self.threads)]

    def _env(self) -> dict:
        share = str(self.threads)
        # Set before the child imports anything: OpenMP and BLAS read these once, when they load.
        return {**os.environ, "OMP_NUM_THREADS": share, "OPENBLAS_NUM_THREADS": share, "MKL_NUM_THREADS": share,
                "LOKY_MAX_CPU_COUNT": share, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}

    def _hand_to_spare(self, run_id: int) -> subprocess.Popen | None:
        spare, self.spare = self.spare, None
        if spare is None or spare.poll() is not None:
            return None
        assert spare.stdin is not None, "the spare is started with stdin=PIPE"
        try:
            spare.stdin.write(f"{run_id}\n".encode())
            spare.stdin.close()
        except OSError:  # it died between the check and the write
            spare.kill()
            spare.wait()
            return None
        return spare

    def _ready_spare(self) -> None:
        if self.spare is None and not self._stop:
            with open(self.store.home / "standby.log", "ab") as log:
                self.spare = subprocess.Popen(self._command("--standby"), stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                              env=self._env())
            self.spare_since = time.monotonic()

    def _retire_spare(self, force: bool = False) -> None:
        """Let the ready worker go when it has waited too long (or the scheduler stops): closing its stdin ends it."""
        spare = self.spare
        if spare is None or not (force or time.monotonic() - self.spare_since > SPARE_IDLE_SECONDS):
            return
        self.spare = None
        assert spare.stdin is not None, "the spare is started with stdin=PIPE"
        try:
            spare.stdin.close()
            spare.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            spare.kill()
            spare.wait()

    def _reap(self) -> None:
        for run_id, child in list(self.children.items()):
            code = child.poll()
            if code is None:
                continue
            del self.children[run_id]
            self.cancel_seen.pop(run_id, None)
            run = self.store.get(run_id)
            if run is not None and run.state == RUNNING:  # the process ended without writing an ending
                if run.cancel:
                    self.store.finish(run_id, CANCELLED, "Cancelled")
                else:
                    self.store.finish(run_id, FAILED, "Failed", error=f"the training process ended unexpectedly (exit code {code}); "
                                      "it may have run out of memory: try fewer rows or a smaller network")
            self.store.prune()

    def _enforce_cancels(self) -> None:
        now = time.monotonic()
        for run_id, child in list(self.children.items()):
            if self.store.cancel_requested(run_id):
                first = self.cancel_seen.setdefault(run_id, now)
                if now - first >= CANCEL_GRACE_SECONDS and child.poll() is None:
                    child.kill()


def wait(store: RunStore, run: Run, timeout: float = 300.0, poll: float = 0.1) -> Run | None:
    """Block until ``run`` has finished (done, failed or cancelled) or ``timeout`` passes; returns its last state (None: deleted meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        current = store.get(run.id)
        if current is None or current.state in FINISHED or time.monotonic() > deadline:
            return current
        time.sleep(poll)
