"""Where trials (and seed repeats) run: a local process pool, or an existing Dask distributed cluster.

Both take a batch of independent jobs and give back their results in the order of the jobs, so the study
that asked for them sees the same sequence whichever ran it. Neither is a scheduler of Bridge's own:

- ``LocalPool``: ``concurrent.futures.ProcessPoolExecutor`` with ``workers`` processes of ``threads`` threads
  each (pinned through threadpoolctl and torch, as a run's worker is), so a tuned run stays inside the thread
  share it was given. Processes start by spawn: a fork of a process that has started OpenMP threads can hang.
- ``DaskPool``: a ``distributed.Client`` on ``BRIDGE_EXECUTOR=dask://HOST:PORT`` (or ``--executor``); the dataset
  is scattered to the workers once, each job is one task. The workers need Bridge installed (``pip install .``).

Each keeps the dataset on its workers, so a job carries only its settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from bridge.config import TuneConfig
from bridge.errors import BridgeError
from bridge.io.data import Dataset

_DATASET: Dataset | None = None  # a local pool worker's copy, set once by its initializer


def _start_worker(dataset: Dataset, threads: int) -> None:
    global _DATASET
    from bridge.jobs.worker import pin_threads

    pin_threads(threads)
    _DATASET = dataset


def _call(function: Callable, job: Any) -> Any:
    assert _DATASET is not None, "a local pool worker gets its dataset when it starts"
    return function(_DATASET, job)


class LocalPool:
    """``workers`` processes on this machine, ``threads`` threads each."""

    def __init__(self, dataset: Dataset, workers: int = 1, threads: int = 1) -> None:
        self.workers, self.threads = max(1, workers), max(1, threads)
        self.where = f"a local pool of {self.workers} process(es) x {self.threads} thread(s)"
        self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_start_worker,
                                         initargs=(dataset, self.threads))

    def map(self, function: Callable, jobs: Sequence) -> list:
        return list(self._pool.map(_call, [function] * len(jobs), jobs))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskPool:
    """Jobs as tasks on a Dask distributed cluster; ``client`` is an open ``distributed.Client``."""

    def __init__(self, dataset: Dataset, client) -> None:
        self.client = client
        self.where = f"the Dask cluster at {client.scheduler.address}"
        self._dataset = client.scatter(dataset, broadcast=True)

    @classmethod
    def connect(cls, dataset: Dataset, address: str) -> DaskPool:
        try:
            from distributed import Client
        except ImportError:  # distributed is in requirements.txt; a trimmed install may lack it
            raise BridgeError("the Dask executor needs the distributed package; pip install distributed, or use --executor local") from None
        try:
            client = Client(address, timeout="10s")
        except OSError as exc:
            raise BridgeError(f"no Dask scheduler answers at {address} ({exc}); start one with `dask scheduler`, or use --executor local") from None
        return cls(dataset, client)

    def map(self, function: Callable, jobs: Sequence) -> list:
        futures = [self.client.submit(function, self._dataset, job, pure=False) for job in jobs]
        return self.client.gather(futures)

    def close(self) -> None:
        self.client.close()


def executor_for(dataset: Dataset, setting: str, workers: int, threads: int = 1) -> LocalPool | DaskPool:
    """The executor a setting names: "local" (default), or "dask://HOST:PORT"; ``BRIDGE_EXECUTOR`` when the setting is "auto"."""
    if setting == "auto":
        setting = os.environ.get("BRIDGE_EXECUTOR", "local")
    if setting == "local":
        return LocalPool(dataset, workers, threads)
    if setting.startswith("dask://") or setting.startswith("tcp://"):
        return DaskPool.connect(dataset, "tcp://" + setting.split("://", 1)[1])
    raise BridgeError(f"executor '{setting}' is unknown; use local or dask://HOST:PORT")


class RunExecutor:
    """A run's executor for its independent jobs (tuning trials, seed repeats): started at first use, closed with the run.

    ``tune.workers`` processes, or as many as the threads this process may use (a run's worker is pinned to its share).
    """

    def __init__(self, dataset: Dataset, tune: TuneConfig) -> None:
        self.dataset, self.tune = dataset, tune
        self.pool: LocalPool | DaskPool | None = None

    def get(self) -> LocalPool | DaskPool:
        if self.pool is None:
            import torch

            self.pool = executor_for(self.dataset, self.tune.executor, self.tune.workers or torch.get_num_threads())
        return self.pool

    def __enter__(self) -> RunExecutor:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.close()
