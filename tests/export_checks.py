"""A check both export test files make: a run's checkpoint reloads in Bridge and in its exported train_pytorch.py."""

from __future__ import annotations

import io
import runpy
from pathlib import Path

import numpy as np
import torch

from bridge.models.training import NeuralEstimator
from bridge.outputs import export


def checkpoint_reloads_everywhere(comparison, script: Path) -> dict:
    """The checkpoint loads with weights_only and predicts as the run did, in Bridge and in the script's own network
    classes (the same layers under the same names); returns what the file holds, for further checks."""
    raw = export.checkpoint_bytes(comparison)
    data = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    X_test = comparison.prepared.X_test
    expected = comparison.models["pytorch"].artifact.predict(X_test)
    reloaded = NeuralEstimator.load_checkpoint(io.BytesIO(raw)).predict(X_test)
    if comparison.dataset["task"] == "classification":
        np.testing.assert_array_equal(reloaded, expected)
    else:
        np.testing.assert_allclose(reloaded, expected, rtol=1e-6)
    network = runpy.run_path(str(script), run_name="not_main")["build_network"](data["model_args"])
    network.load_state_dict(data["state_dict"])
    network.eval()
    with torch.inference_mode():
        outputs = network(torch.as_tensor(X_test))
    loop = comparison.models["pytorch"].artifact.neural_estimator_  # the explicit loop inside the run's estimator
    np.testing.assert_allclose(outputs.numpy(), loop._outputs(X_test).numpy(), rtol=1e-5, atol=1e-6)
    return data
