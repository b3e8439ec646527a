"""What the tuning tests share: a tiny seeded table, a fast config to tune it with, and an executor in this process.

``InProcess`` has the executors' interface (``where``, ``map``, ``close``) and runs each job here, one after the
other: a study's logic can be checked without starting processes, and its trials compared with a real pool's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from text_data import reviews
from tiny_data import fast_config_with, tiny_classification, tiny_regression

from bridge.config import CompareConfig, TrainConfig, TuneConfig
from bridge.io.data import Dataset
from bridge.io.images import ImageData

EPOCHS = 5


def table(task: str = "classification", rows: int = 150, name: str = "tiny") -> Dataset:
    """150 seeded rows: three numbers and a colour, a two-class label or a price."""
    frame = tiny_classification(rows) if task == "classification" else tiny_regression(rows)
    return Dataset(name, "table", frame=frame, default_target="label" if task == "classification" else "price")


def texts(rows: int = 80) -> Dataset:
    """Short seeded reviews whose words give the label away: one free-text column, so scikit-learn reads sparse TF-IDF."""
    return Dataset("reviews", "table", frame=reviews(rows), default_target="label")


def images(per_class: int = 20, side: int = 8) -> Dataset:
    """Two classes of tiny grey images on noise: a bright row across, or a bright column down."""
    rng = np.random.default_rng(0)
    pictures, labels = [], []
    for label in ("across", "down"):
        for _ in range(per_class):
            picture = rng.integers(0, 60, size=(1, side, side))
            where = rng.integers(0, side)
            if label == "across":
                picture[0, where, :] = 255
            else:
                picture[0, :, where] = 255
            pictures.append(picture)
            labels.append(label)
    data = ImageData(images=np.asarray(pictures, dtype=np.uint8), labels=np.asarray(labels, dtype=object), classes=["across", "down"],
                     files=[f"line_{i}" for i in range(len(labels))], notes=[], scale=255.0)
    return Dataset("lines", "images", images=data, default_target="class")


def config(trials: int = 6, workers: int = 2, **changes) -> CompareConfig:
    """A small MLP trained for EPOCHS epochs on the CPU, one seed, ``trials`` per side on ``workers`` local processes."""
    base = fast_config_with(train=TrainConfig(epochs=EPOCHS, lr=0.01, batch_size=32, patience=0, device="cpu"),
                            tune=TuneConfig(trials=trials, workers=workers, executor="local"))
    return replace(base, **changes)


def what_a_worker_holds(dataset: Dataset, run: CompareConfig) -> tuple:
    """A job for a pool: the worker's process id, its dataset object's id, and the rows of its prepared copy of the data.

    Workers import this module to run it; it never imports the tests' conftest, since importing that makes a temporary
    home folder that only the test process removes (its data comes from tests/tiny_data.py, which has no side effect).
    """
    import os

    from bridge.tuning import trial

    data = trial._data(dataset, run)
    return os.getpid(), id(dataset), len(data.y_train), len(data.y_val), len(data.y_test), data.X_test.shape[0], data.X_test_flat.shape[0]


class InProcess:
    """Runs every job in this process, in order, on one thread: the executors' interface without processes."""

    where = "this process"

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def map(self, function: Callable, jobs: Sequence) -> list:
        import torch
        from threadpoolctl import threadpool_limits

        threads = torch.get_num_threads()  # a trial pins torch to its one thread: the rest of the session keeps its own
        try:
            with threadpool_limits(limits=1):  # one thread, as a pool's worker has: OpenMP spinning on a busy machine costs 10x
                return [function(self.dataset, job) for job in jobs]
        finally:
            torch.set_num_threads(threads)

    def close(self) -> None:
        pass
