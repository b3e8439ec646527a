"""A Dask cluster is checked before a tuned run sends it anything: workers there, Bridge importable on each, one version.

Each failure is one line of advice (``BridgeError``), in seconds: a scheduler without workers would otherwise leave
the run waiting forever, and a worker without Bridge would fail every trial with distributed's own words.
"""

from __future__ import annotations

import re

import pytest

import bridge
from bridge.errors import BridgeError
from bridge.tuning import executors
from bridge.tuning.executors import open_cluster


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, spawned now: what they can import is fixed here, before a test adds to sys.path."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as running:
        yield running


def test_workers_that_run_this_bridge_give_a_client(cluster):
    client = open_cluster(cluster.scheduler_address)
    try:
        assert len(client.scheduler_info()["workers"]) == 2
    finally:
        client.close()


def test_a_scheduler_without_workers_is_refused_in_seconds(monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr(executors, "WORKER_WAIT_SECONDS", 1)
    with LocalCluster(n_workers=0, protocol="tcp", dashboard_address=":0") as empty:
        with pytest.raises(BridgeError, match=r"^the Dask scheduler at tcp://\S+ has no workers; start them with `dask worker "):
            open_cluster(empty.scheduler_address)


def test_workers_that_cannot_import_bridge_are_named_with_what_to_install(cluster, tmp_path, monkeypatch):
    # A module only this process can import stands in for Bridge missing on the workers: they were spawned before it existed.
    (tmp_path / "bridge_absent_on_workers.py").write_text("def version():\n    return '0.2.0'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import bridge_absent_on_workers

    monkeypatch.setattr(executors, "_bridge_version", bridge_absent_on_workers.version)
    with pytest.raises(BridgeError, match=r"cannot import Bridge; install it on every machine of the cluster \(pip install \.") as refused:
        open_cluster(cluster.scheduler_address)
    assert "\n" not in str(refused.value)


def test_workers_on_another_version_of_bridge_are_refused(cluster, monkeypatch):
    # The scheduler runs in this process and reads the patched version; the worker processes keep the real one.
    installed = re.escape(bridge.__version__)
    monkeypatch.setattr(bridge, "__version__", "9.9.9")
    with pytest.raises(BridgeError, match=rf"^the Dask worker tcp://\S+ runs Bridge {installed} and this machine 9\.9\.9; install the same"):
        open_cluster(cluster.scheduler_address)
