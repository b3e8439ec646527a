"""What a run is: its states, the SQLite schema that holds it, and the ``Run`` row as code reads it.

Kept apart from ``store.py`` (which reads and writes runs) so the shape of a run can be read in one place.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from bridge.config import CompareConfig

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ACTIVE, FINISHED = (QUEUED, RUNNING), (DONE, FAILED, CANCELLED)
MAX_BYTES = 2 * 2**30  # default size cap of the store: the oldest finished runs go first past it
MAX_AGE_DAYS = 30.0  # default age limit of a finished run
DATASET_GRACE_SECONDS = 24 * 3600  # an upload no run uses yet is kept this long

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT UNIQUE NOT NULL,
    owner TEXT NOT NULL,
    dataset_key TEXT NOT NULL,
    dataset_name TEXT NOT NULL,
    config TEXT NOT NULL,
    state TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    stage TEXT DEFAULT '',
    fraction REAL DEFAULT 0,
    message TEXT DEFAULT '',
    stage_started REAL,
    cancel INTEGER DEFAULT 0,
    pid INTEGER,
    threads TEXT,
    error TEXT,
    summary TEXT,
    report TEXT,
    bytes INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_owner ON runs (owner, created);
CREATE INDEX IF NOT EXISTS runs_state ON runs (state, created);
CREATE TABLE IF NOT EXISTS epochs (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    epochs INTEGER NOT NULL,
    train_loss REAL, val_loss REAL, val_score REAL, seconds REAL, best_epoch INTEGER,
    PRIMARY KEY (run_id, epoch)
);
CREATE TABLE IF NOT EXISTS datasets (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    used REAL NOT NULL
);
"""


def default_home() -> Path:
    """``BRIDGE_HOME`` when set, else ``$XDG_CACHE_HOME/bridge`` (``~/.cache/bridge``)."""
    if os.environ.get("BRIDGE_HOME"):
        return Path(os.environ["BRIDGE_HOME"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "bridge"


def env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    try:
        return float(text) if text else default
    except ValueError:
        return default


@dataclass
class Run:
    """One row of the store, as the app and the CLI read it."""

    id: int
    token: str
    owner: str
    dataset_key: str
    dataset_name: str
    config: CompareConfig
    state: str
    created: float
    started: float | None = None
    finished: float | None = None
    stage: str = ""
    fraction: float = 0.0
    message: str = ""
    stage_started: float | None = None
    cancel: bool = False
    pid: int | None = None
    threads: dict = field(default_factory=dict)
    error: str | None = None
    summary: dict = field(default_factory=dict)
    bytes: int = 0

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def seconds(self) -> float | None:
        """Training time: from start to end (or to now while it runs); None while queued."""
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started


def run_from_row(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"], token=row["token"], owner=row["owner"], dataset_key=row["dataset_key"], dataset_name=row["dataset_name"],
        config=CompareConfig.from_dict(json.loads(row["config"])), state=row["state"], created=row["created"],
        started=row["started"], finished=row["finished"], stage=row["stage"] or "", fraction=row["fraction"] or 0.0,
        message=row["message"] or "", stage_started=row["stage_started"], cancel=bool(row["cancel"]), pid=row["pid"],
        threads=json.loads(row["threads"] or "{}"), error=row["error"], summary=json.loads(row["summary"] or "{}"), bytes=row["bytes"] or 0,
    )


def config_json(config: CompareConfig) -> str:
    """One spelling per config, so equal settings compare equal as text."""
    return json.dumps(config.to_dict(), sort_keys=True)
