"""Where trials (and seed repeats) run: a local process pool, or an existing Dask distributed cluster.

Both take a batch of independent jobs and give back their results in the order of the jobs, each as soon as it
and those before it have finished, so the study that asked for them sees the same sequence whichever ran it, and
the progress bar moves with every trial. Neither is a scheduler of Bridge's own:

- ``LocalPool``: ``concurrent.futures.ProcessPoolExecutor`` with ``workers`` processes of ``threads`` threads
  each (pinned through threadpoolctl and torch, as a run's worker is), so a tuned run stays inside the thread
  share it was given. Processes start by spawn: a fork of a process that has started OpenMP threads can hang.
- ``DaskPool``: a ``distributed.Client`` on ``BRIDGE_EXECUTOR=dask://HOST:PORT`` (or ``--executor``); the dataset
  is scattered to the workers once, each job is one task. The workers need Bridge installed (``pip install .``).

Each keeps the dataset on its workers, so a job carries only its settings.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
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

    def map(self, function: Callable, jobs: Sequence) -> Iterator:
        """The results in the order of ``jobs``, each as soon as it and those before it have finished."""
        return self._pool.map(_call, [function] * len(jobs), jobs)

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
        return cls(dataset, open_cluster(address))

    def map(self, function: Callable, jobs: Sequence) -> Iterator:
        """The results in the order of ``jobs``, each as soon as it and those before it have finished."""
        futures = [self.client.submit(function, self._dataset, job, pure=False) for job in jobs]  # all submitted now

        def results() -> Iterator:
            try:
                for future in futures:
                    yield future.result()
            except Exception as exc:  # a worker that joined without Bridge fails to unpickle the task: say what to install
                _raise_if_missing_bridge(exc, self.client.scheduler.address)
                raise

        return results()

    def close(self) -> None:
        self.client.close()


WORKER_WAIT_SECONDS = 10  # for a first worker to join the scheduler before a run gives up, rather than wait forever


def _bridge_version() -> str:
    """Runs on each Dask worker: unpickling this function imports Bridge there, so a worker without it fails here."""
    from bridge import __version__

    return __version__


def _raise_if_missing_bridge(exc: Exception, address: str) -> None:
    # distributed hands a worker's import error back as a bare Exception holding its repr, the scheduler's as itself
    if "No module named 'bridge" in str(exc):
        raise BridgeError(f"the Dask scheduler or a worker of {address} cannot import Bridge; install it on every machine of the "
                          "cluster (pip install ., the same version as here), start `dask scheduler` and `dask worker` again, "
                          "or use --executor local") from None


def open_cluster(address: str):
    """A ``distributed.Client`` on ``address`` whose workers run this version of Bridge; one line of advice otherwise.

    Checked before any task goes out: a scheduler with no workers would leave a run waiting forever, and a scheduler
    or worker without Bridge (or with another version) would fail each trial, or tune another search than this machine's.
    """
    from bridge import __version__

    try:
        from distributed import Client
    except ImportError:  # distributed is in requirements.txt; a trimmed install may lack it
        raise BridgeError("the Dask executor needs the distributed package; pip install distributed, or use --executor local") from None
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise BridgeError(f"no Dask scheduler answers at {address} ({exc}); start one with `dask scheduler`, or use --executor local") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise BridgeError(f"the Dask scheduler at {address} has no workers; start them with `dask worker {address} --nthreads 1`, "
                              "or use --executor local") from None
        try:  # the scheduler unpickles every task graph, so it needs Bridge as much as the workers do
            versions = {f"scheduler {address}": client.run_on_scheduler(_bridge_version),
                        **{f"worker {worker}": version for worker, version in client.run(_bridge_version).items()}}
        except Exception as exc:
            _raise_if_missing_bridge(exc, address)
            raise
        other = {worker: version for worker, version in versions.items() if version != __version__}
        if other:
            worker, version = next(iter(other.items()))
            raise BridgeError(f"the Dask {worker} runs Bridge {version} and this machine {__version__}; install the same version "
                              "on every machine of the cluster, or use --executor local")
    except BaseException:
        client.close()
        raise
    return client


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
