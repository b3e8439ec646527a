"""Model files: checkpoints are weights plus plain config, loaded with weights_only=True; a hostile pickle never runs.

Every file is built inside the test, in tmp_path; the autouse fixture checks nothing appeared beside it.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch
from files import one_line

from bridge.config import MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.models.training import NeuralEstimator

pytestmark = pytest.mark.usefixtures("nothing_escapes")


class MakesAFile:
    """Unpickling this would create ``path``: the classic code-execution payload, made harmless to observe."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "yes", "no").astype(object)
    model = NeuralEstimator("classification", mlp=MLPConfig(hidden_layers=1, width=8, dropout=0.0),
                            train=TrainConfig(epochs=3, batch_size=16, patience=0, device="cpu")).fit(X[:60], y[:60], X[60:], y[60:])
    path = tmp_path_factory.mktemp("checkpoint") / "good.pt"
    model.save_checkpoint(path)
    return path, X[60:]


def test_a_checkpoint_is_plain_data_that_loads_without_unpickling_code(trained):
    path, X = trained
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert set(raw) == {"model_args", "state_dict", "task", "classes", "y_mean", "y_std", "train", "best_epoch", "seed"}
    assert all(isinstance(v, torch.Tensor) for v in raw["state_dict"].values())
    assert NeuralEstimator.load_checkpoint(path).predict(X).shape == (len(X),)


@pytest.mark.parametrize("how", ["torch.save", "pickle.dump", "inside the state_dict"])
def test_a_pickle_that_would_create_a_file_is_refused_and_the_file_never_appears(tmp_path, trained, how):
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil.pt"
    if how == "torch.save":
        torch.save({"task": MakesAFile(marker)}, path)
    elif how == "pickle.dump":
        path.write_bytes(pickle.dumps({"task": MakesAFile(marker)}))
    else:
        data = torch.load(trained[0], map_location="cpu", weights_only=True)
        data["state_dict"]["extra"] = MakesAFile(marker)
        torch.save(data, path)
    with pytest.raises(BridgeError, match="evil.pt holds Python objects besides weights and plain values, which Bridge never loads") as info:
        NeuralEstimator.load_checkpoint(path)
    assert "weights_only=False" not in one_line(info)  # never advise the unsafe way out
    assert not marker.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty.pt is not a checkpoint saved by Bridge; save one with --checkpoint and load that \\(it is empty, truncated"),
        (os.urandom(2000), "is not a checkpoint saved by Bridge|holds Python objects"),
        (b"a,b\n1,2\n", "is not a checkpoint saved by Bridge|holds Python objects"),
    ],
    ids=["empty", "random-bytes", "a-csv"],
)
def test_files_that_are_not_checkpoints(tmp_path, content, message):
    path = tmp_path / ("empty.pt" if not content else "other.pt")
    path.write_bytes(content)
    with pytest.raises(BridgeError, match=message) as info:
        NeuralEstimator.load_checkpoint(path)
    one_line(info)


def test_a_truncated_checkpoint(tmp_path, trained):
    path = tmp_path / "cut.pt"
    path.write_bytes(trained[0].read_bytes()[:500])
    with pytest.raises(BridgeError, match="cut.pt is not a checkpoint saved by Bridge") as info:
        NeuralEstimator.load_checkpoint(path)
    one_line(info)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("model_args"),
        lambda d: d.update(train={"lr": 0.1, "rm -rf": 1}),
        lambda d: d.update(task=["not", "a", "task"]) or d["model_args"].update(kind="transformer"),
        lambda d: d["model_args"]["config"].update(width=10**12),  # would allocate terabytes if built before checking
        lambda d: d["model_args"].update(input_shape=[10**9, 10**9]),
        lambda d: d["state_dict"].update({"head.weight": torch.zeros(1, 1)}),
        lambda d: d.update(state_dict=[1, 2, 3]),
    ],
    ids=["no-model-args", "unknown-train-key", "unknown-network", "huge-width", "huge-input", "wrong-shape", "not-a-dict"],
)
def test_malformed_plain_checkpoints_are_refused_before_building(tmp_path, trained, change):
    data = torch.load(trained[0], map_location="cpu", weights_only=True)
    change(data)
    path = tmp_path / "odd.pt"
    torch.save(data, path)
    with pytest.raises(BridgeError) as info:
        NeuralEstimator.load_checkpoint(path)
    one_line(info)


def test_a_missing_checkpoint(tmp_path):
    with pytest.raises(BridgeError, match="file not found"):
        NeuralEstimator.load_checkpoint(tmp_path / "nope.pt")
