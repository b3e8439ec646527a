"""The run store: one SQLite file for every run's settings, state, progress and report; files beside it.

Layout under ``BRIDGE_HOME`` (default: the user's cache folder, ``~/.cache/bridge``)::

    runs.sqlite3            one row per run, one row per epoch logged
    runs/<id>/result.joblib the Comparison (arrays memory-mapped on load, models inside)
    runs/<id>/worker.log    what the training process printed
    datasets/<key>.joblib   an uploaded dataset, shared by the runs made on it

SQLite is opened per call (WAL mode), so the app's threads, the training processes and the CLI
can all use the same file at once. Every file is written to a temporary name in its folder and
renamed when complete, so a reader never sees half a result. Tokens are ``secrets`` strings:
holding one is what lets a link open a run; the integer id never leaves the server.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import joblib

from bridge.config import CompareConfig
from bridge.jobs.moved import register_old_names
from bridge.jobs.schema import (  # noqa: F401  (the states are part of this module's interface)
    ACTIVE,
    CANCELLED,
    DATASET_GRACE_SECONDS,
    DONE,
    FAILED,
    FINISHED,
    MAX_AGE_DAYS,
    MAX_BYTES,
    QUEUED,
    RUNNING,
    SCHEMA,
    Run,
    config_json,
    default_home,
    env_number,
    run_from_row,
)
from bridge.outputs.atomic import atomic_file

if TYPE_CHECKING:  # both pull in the whole core (torch, scikit-learn); the store only pickles them
    from bridge.comparison import Comparison
    from bridge.io.data import Dataset


def _atomic_dump(value: object, path: Path) -> int:
    """joblib.dump through bridge.outputs.atomic: readers see all of the file or none of it (arrays still memory-map on load)."""
    with atomic_file(path) as handle:
        joblib.dump(value, handle)
    return path.stat().st_size


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


class RunStore:
    """Runs, their epochs and their files under one folder."""

    def __init__(self, home: str | os.PathLike | None = None, max_bytes: int | None = None, max_age_days: float | None = None) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.max_bytes = int(max_bytes if max_bytes is not None else env_number("BRIDGE_MAX_STORE_MB", MAX_BYTES / 2**20) * 2**20)
        self.max_age_days = max_age_days if max_age_days is not None else env_number("BRIDGE_MAX_AGE_DAYS", MAX_AGE_DAYS)
        (self.home / "runs").mkdir(parents=True, exist_ok=True)
        (self.home / "datasets").mkdir(exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers (the pages' polling) never wait on a writer (a training process)
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one unit of work: committed on success, rolled back on error, always closed."""
        with closing(sqlite3.connect(self.home / "runs.sqlite3", timeout=30)) as db:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys=ON")  # per connection; WAL mode is a property of the file, set once in __init__
            with db:
                yield db

    def run_folder(self, run_id: int) -> Path:
        return self.home / "runs" / str(int(run_id))

    # -- creating and reading runs ----------------------------------------------------------
    def create(self, owner: str, dataset_key: str, dataset_name: str, config: CompareConfig) -> Run:
        token = secrets.token_urlsafe(16)
        with self._db() as db:
            db.execute("INSERT INTO runs (token, owner, dataset_key, dataset_name, config, state, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (token, owner, dataset_key, dataset_name, config_json(config), QUEUED, time.time()))
            db.execute("UPDATE datasets SET used = ? WHERE key = ?", (time.time(), dataset_key))
        run = self.by_token(token)
        assert run is not None, "a queued run is never pruned, and nothing deletes it before it is handed back"
        return run

    def get(self, run_id: int) -> Run | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return run_from_row(row) if row else None

    def by_token(self, token: str) -> Run | None:
        """The run a link names; None for a token that was never issued or whose run was removed."""
        if not isinstance(token, str) or not token:
            return None
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE token = ?", (token,)).fetchone()
        return run_from_row(row) if row else None

    def owned(self, owner: str, token: str) -> Run | None:
        """The run only if ``owner`` created it: what a session may pick from its own history."""
        run = self.by_token(token)
        return run if run is not None and run.owner == owner else None

    def runs_of(self, owner: str, dataset_key: str | None = None) -> list[Run]:
        """The runs one owner created, newest first (optionally on one dataset only)."""
        query, values = "SELECT * FROM runs WHERE owner = ?", [owner]
        if dataset_key is not None:
            query, values = query + " AND dataset_key = ?", [*values, dataset_key]
        with self._db() as db:
            return [run_from_row(row) for row in db.execute(query + " ORDER BY id DESC", values)]

    def all_runs(self) -> list[Run]:
        with self._db() as db:
            return [run_from_row(row) for row in db.execute("SELECT * FROM runs ORDER BY id DESC")]

    def same_settings(self, owner: str, dataset_key: str, config: CompareConfig) -> Run | None:
        """This owner's newest run on this data with exactly these settings that is queued, running or done."""
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE owner = ? AND dataset_key = ? AND config = ? AND state IN (?, ?, ?) "
                             "ORDER BY id DESC LIMIT 1", (owner, dataset_key, config_json(config), QUEUED, RUNNING, DONE)).fetchone()
        return run_from_row(row) if row else None

    def queue_place(self, run: Run) -> int:
        """1 for the next run to start, 2 for the one after it, ...; 0 once it is no longer queued."""
        if run.state != QUEUED:
            return 0
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM runs WHERE state = ? AND id <= ?", (QUEUED, run.id)).fetchone()[0]

    def epochs(self, run_id: int) -> list[dict]:
        with self._db() as db:
            rows = db.execute("SELECT epoch, epochs, train_loss, val_loss, val_score, seconds, best_epoch FROM epochs "
                              "WHERE run_id = ? ORDER BY epoch", (run_id,))
            return [dict(row) for row in rows]

    # -- the scheduler's side ---------------------------------------------------------------
    def claim_next(self, limit: int) -> Run | None:
        """Move the oldest queued run to running if fewer than ``limit`` run now; atomic across processes."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # one claimer at a time, whichever process it is in
            running = db.execute("SELECT COUNT(*) FROM runs WHERE state = ?", (RUNNING,)).fetchone()[0]
            if running >= limit:
                return None
            row = db.execute("SELECT id FROM runs WHERE state = ? AND cancel = 0 ORDER BY id LIMIT 1", (QUEUED,)).fetchone()
            if row is None:
                return None
            now = time.time()
            db.execute("UPDATE runs SET state = ?, started = ?, stage = 'start', message = 'Starting a training process', "
                       "stage_started = ? WHERE id = ?", (RUNNING, now, now, row["id"]))
        return self.get(row["id"])

    def set_pid(self, run_id: int, pid: int) -> None:
        with self._db() as db:
            db.execute("UPDATE runs SET pid = ? WHERE id = ?", (pid, run_id))

    def request_cancel(self, run_id: int) -> None:
        """Ask a run to stop: a queued run is cancelled at once, a running one at its next epoch or fit."""
        with self._db() as db:
            db.execute("UPDATE runs SET cancel = 1 WHERE id = ? AND state IN (?, ?)", (run_id, QUEUED, RUNNING))
            db.execute("UPDATE runs SET state = ?, finished = ?, message = 'Cancelled before it started' WHERE id = ? AND state = ?",
                       (CANCELLED, time.time(), run_id, QUEUED))

    def cancel_requested(self, run_id: int) -> bool:
        with self._db() as db:
            row = db.execute("SELECT cancel FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row["cancel"])

    # -- the worker's side ------------------------------------------------------------------
    def progress(self, run_id: int, stage: str, fraction: float, message: str, epochs: Sequence[dict] = ()) -> None:
        """A new progress line (its stage clock restarts when the message changes) and any epochs logged since the last call."""
        now = time.time()
        with self._db() as db:
            db.execute("UPDATE runs SET stage = ?, fraction = ?, "
                       "stage_started = CASE WHEN message = ? THEN stage_started ELSE ? END, message = ? WHERE id = ?",
                       (stage, fraction, message, now, message, run_id))
            db.executemany("INSERT OR REPLACE INTO epochs VALUES (:run_id, :epoch, :epochs, :train_loss, :val_loss, :val_score, "
                           ":seconds, :best_epoch)", [{**e, "run_id": run_id} for e in epochs])

    def set_threads(self, run_id: int, threads: dict) -> None:
        with self._db() as db:
            db.execute("UPDATE runs SET threads = ? WHERE id = ?", (json.dumps(threads), run_id))

    def finish(self, run_id: int, state: str, message: str, error: str | None = None, summary: dict | None = None,
               report: str | None = None) -> None:
        """The end of a run, whichever way it went; a run already finished keeps its first ending."""
        with self._db() as db:
            db.execute("UPDATE runs SET state = ?, finished = ?, message = ?, error = ?, summary = ?, report = ?, fraction = "
                       "CASE WHEN ? = 'done' THEN 1 ELSE fraction END, bytes = ? WHERE id = ? AND state IN (?, ?)",
                       (state, time.time(), message, error, json.dumps(summary or {}), report, state,
                        _folder_bytes(self.run_folder(run_id)), run_id, QUEUED, RUNNING))

    def save_result(self, run_id: int, comparison: Comparison) -> None:
        """The Comparison's file, without the loaded dataset it points at: that is stored once, under datasets/."""
        folder = self.run_folder(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        source, comparison.source = comparison.source, None
        try:
            _atomic_dump(comparison, folder / "result.joblib")
        finally:
            comparison.source = source

    def load_result(self, run: Run) -> Comparison | None:
        """The Comparison of a finished run, its arrays memory-mapped from disk; None if its file is gone."""
        path = self.run_folder(run.id) / "result.joblib"
        if run.state != DONE or not path.exists():
            return None
        register_old_names()  # a run stored before the core's subpackages names its classes by their old modules
        comparison = joblib.load(path, mmap_mode="r")
        comparison.source = self.load_dataset(run.dataset_key)
        return comparison

    def report(self, run: Run) -> dict | None:
        with self._db() as db:
            row = db.execute("SELECT report FROM runs WHERE id = ?", (run.id,)).fetchone()
        return json.loads(row["report"]) if row and row["report"] else None

    # -- datasets -------------------------------------------------------------------------
    def save_dataset(self, key: str, dataset: Dataset) -> None:
        """Keep a dataset that cannot be rebuilt from its name (an upload); built-ins load from the package."""
        if key.startswith("builtin:"):
            return
        file = hashlib.sha256(key.encode()).hexdigest()[:32] + ".joblib"
        path = self.home / "datasets" / file
        size = path.stat().st_size if path.exists() else _atomic_dump(dataset, path)
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?, ?)", (key, dataset.name, file, size, time.time()))

    def load_dataset(self, key: str) -> Dataset | None:
        """A stored dataset, arrays memory-mapped; a built-in is loaded by name. None when it is gone."""
        if key.startswith("builtin:"):
            from bridge.io.data import load_builtin

            return load_builtin(key.split(":", 1)[1])
        with self._db() as db:
            row = db.execute("SELECT file FROM datasets WHERE key = ?", (key,)).fetchone()
        path = self.home / "datasets" / row["file"] if row else None
        if path is None or not path.exists():
            return None
        register_old_names()
        return joblib.load(path, mmap_mode="r")

    # -- limits -----------------------------------------------------------------------------
    def total_bytes(self) -> int:
        with self._db() as db:
            runs = db.execute("SELECT COALESCE(SUM(bytes), 0) FROM runs").fetchone()[0]
            datasets = db.execute("SELECT COALESCE(SUM(bytes), 0) FROM datasets").fetchone()[0]
        return runs + datasets

    def delete(self, run_id: int) -> None:
        shutil.rmtree(self.run_folder(run_id), ignore_errors=True)
        with self._db() as db:
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def prune(self, now: float | None = None) -> list[int]:
        """Drop finished runs past the age limit, then the oldest finished runs while the store is over its cap.

        Queued and running runs are never dropped. Uploaded datasets go once no run uses them and
        the grace period since their last use is over. Returns the ids removed.
        """
        now = time.time() if now is None else now
        removed = []
        with self._db() as db:
            old = db.execute("SELECT id FROM runs WHERE state IN (?, ?, ?) AND created < ? ORDER BY id",
                             (*FINISHED, now - self.max_age_days * 86400)).fetchall()
        for row in old:
            self.delete(row["id"])
            removed.append(row["id"])
        while self.total_bytes() > self.max_bytes:
            with self._db() as db:
                row = db.execute("SELECT id FROM runs WHERE state IN (?, ?, ?) ORDER BY id LIMIT 1", FINISHED).fetchone()
            if row is None:
                break
            self.delete(row["id"])
            removed.append(row["id"])
        self._prune_datasets(now)
        return removed

    def _prune_datasets(self, now: float) -> None:
        with self._db() as db:
            unused = db.execute("SELECT key, file, used FROM datasets WHERE key NOT IN (SELECT dataset_key FROM runs)").fetchall()
            over = self.total_bytes() > self.max_bytes
            for row in unused:
                if over or row["used"] < now - DATASET_GRACE_SECONDS:
                    (self.home / "datasets" / row["file"]).unlink(missing_ok=True)
                    db.execute("DELETE FROM datasets WHERE key = ?", (row["key"],))

    def clear(self) -> int:
        """Remove every finished run (the CLI's ``runs --clear``); returns how many."""
        finished = [r.id for r in self.all_runs() if r.state in FINISHED]
        for run_id in finished:
            self.delete(run_id)
        self._prune_datasets(float("inf"))
        return len(finished)
