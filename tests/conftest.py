"""Shared fixtures: tiny seeded data, a fast training config, and comparisons run once per session.

The data and the config are made by tests/tiny_data.py, which test files import by name; nothing imports this file
by name, since each conftest is a module named ``conftest`` (tests/app has one of its own).

Everything is small and seeded so the suite is fast and gives the same numbers on every run.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from bridge.config import CompareConfig, TrainConfig

# The tests sit in folders that mirror bridge/ (tests/io, tests/models, ...); their shared helpers (files.py,
# test_app_support.py, e2e_support.py, tiny_data.py, this conftest) stay here, importable from every folder whatever import mode runs.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tiny_data import MISSING_TARGET_ROWS, SEED, fast_config_with, tiny_classification, tiny_regression  # noqa: E402  (after sys.path)

_HOME = tempfile.mkdtemp(prefix="bridge-test-home-")
os.environ["BRIDGE_HOME"] = _HOME  # set at import, before any test makes a store: runs never land in the user's cache folder


def pytest_unconfigure(config):
    """Stop the schedulers the app tests started (and any training process still going), then drop their store."""
    from bridge.jobs import LocalExecutor

    LocalExecutor.stop_all()
    shutil.rmtree(_HOME, ignore_errors=True)



@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


@pytest.fixture
def classification_frame() -> pd.DataFrame:
    return tiny_classification()


@pytest.fixture
def regression_frame() -> pd.DataFrame:
    return tiny_regression()


@pytest.fixture
def fast_config() -> CompareConfig:
    """Small network, few epochs, one seed, CPU: seconds per comparison."""
    return fast_config_with()


@pytest.fixture
def separable():
    """A linearly separable two-class problem as arrays: (X_train, y_train, X_val, y_val)."""
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = np.where(X[:, 0] + X[:, 1] > 0, "pos", "neg").astype(object)
    return X[:150], y[:150], X[150:], y[150:]


@pytest.fixture
def three_classes():
    """A three-class problem as arrays: (X_train, y_train, X_val, y_val)."""
    rng = np.random.default_rng(SEED)
    centers = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    labels = rng.integers(0, 3, size=180)
    X = (centers[labels] + rng.normal(scale=0.8, size=(180, 2))).astype(np.float32)
    y = np.array(["setosa", "versicolor", "virginica"], dtype=object)[labels]
    return X[:120], y[:120], X[120:], y[120:]


@pytest.fixture(scope="session")
def classification_run(tmp_path_factory):
    """One comparison on a small classification CSV (with three blank labels), run once for the session.

    Two repeats, so the seed-spread stage runs too. Returns the comparison, every Progress step,
    the CSV's path and frame, and the number of rows written.
    """
    from bridge.experiment import run_comparison
    from bridge.io.data import load_dataset

    frame = tiny_classification().astype({"label": object})
    frame.loc[list(MISSING_TARGET_ROWS), "label"] = np.nan
    path = tmp_path_factory.mktemp("classification") / "labels.csv"
    frame.to_csv(path, index=False)
    progress = []
    comparison = run_comparison(load_dataset(path), fast_config_with(repeats=2), on_progress=progress.append)
    return SimpleNamespace(comparison=comparison, progress=progress, path=path, frame=frame, csv_rows=len(frame))


@pytest.fixture(scope="session")
def regression_run(tmp_path_factory):
    """One comparison on a small regression CSV, run once for the session."""
    from bridge.experiment import run_comparison
    from bridge.io.data import load_dataset

    frame = tiny_regression()
    path = tmp_path_factory.mktemp("regression") / "prices.csv"
    frame.to_csv(path, index=False)
    progress = []
    config = fast_config_with(train=TrainConfig(epochs=15, lr=0.01, batch_size=32, patience=0, device="cpu"))
    comparison = run_comparison(load_dataset(path), config, on_progress=progress.append)
    return SimpleNamespace(comparison=comparison, progress=progress, path=path, frame=frame, csv_rows=len(frame))


TOOL_CACHES = {".pytest_cache", ".mypy_cache", ".hypothesis", ".ruff_cache"}


@pytest.fixture
def nothing_escapes(tmp_path):
    """Whatever a hostile file holds, nothing new appears beside tmp_path or in the working directory."""
    import os

    def listed() -> tuple[set[str], set[str]]:
        # The tools' own caches (pytest's, mypy's, hypothesis', ruff's) may appear in the working directory at any moment
        # while another test-file worker (pytest-xdist) runs them: they are not what a hostile file wrote.
        return set(os.listdir(tmp_path.parent)), set(os.listdir(os.getcwd())) - TOOL_CACHES

    before = listed()
    yield
    assert listed() == before


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a whole test file: on a busy machine, threads spinning over tiny networks only fight other processes."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
