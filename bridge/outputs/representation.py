"""Where representation learning happens: what the network's layers make of the test rows.

scikit-learn's models work on the features as given; a network's hidden layers build features of
their own. Projecting the raw inputs and the last hidden layer to 2-D (PCA) side by side, coloured
by class (or target), shows it: classes that overlap in the inputs pull apart in the learned
representation. For a CNN the first layer's filters and one image's feature maps show what it
learned to look for. For text the inputs are word ids, whose numbers mean nothing (id 7 is not
"between" ids 6 and 8), so a PCA of them would draw noise: the first view is then each text's
pooled word vectors (with any table features), what the network's hidden layers receive.
Pure functions returning frames and arrays; the pages draw them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from torch import nn

from bridge.comparison import Comparison
from bridge.models.text_net import TextNet

MAX_POINTS = 1000  # test rows drawn; more would only slow the chart down
VIEWS = ("raw inputs", "last hidden layer")  # the frame's view keys, for every kind of data
TEXT_INPUT_VIEW = "pooled word vectors"  # the first view's title for text (its key stays "raw inputs")
FENCE = 3.0  # Tukey's "far out" fence: a coordinate more than 3 inter-quartile ranges beyond the quartiles
MARGIN = 0.04  # share of the window added on each side, so points at the edge do not sit on the axis line


@dataclass
class Projection:
    """2-D PCA coordinates of the same test rows in both views, and how much each picture shows."""

    frame: pd.DataFrame  # view, pc1, pc2, label (class name or target value), row, outside (beyond the drawn window)
    explained: dict[str, float] = field(default_factory=dict)  # view -> share of variance the two axes keep
    separation: dict[str, float | None] = field(default_factory=dict)  # view -> silhouette of the classes in 2-D
    hidden_units: int = 0  # 0: the network has no hidden layer, so there is no learned representation to show
    window: dict[str, tuple[tuple[float, float], tuple[float, float]]] = field(default_factory=dict)  # view -> (pc1, pc2) axis ranges
    titles: dict[str, str] = field(default_factory=lambda: {view: view for view in VIEWS})  # view -> what to call it on screen


def network_of(comparison: Comparison) -> nn.Module:
    """The trained torch module: the run's PyTorch side is a scikit-learn estimator over the explicit loop, which holds it."""
    artifact = comparison.models["pytorch"].artifact
    loop = getattr(artifact, "neural_estimator_", artifact)  # runs stored before the estimators held the loop itself
    return cast(nn.Module, loop.model_)


def hidden_activations(model: nn.Module, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The last hidden layer's values for each row: MLPs and CNNs both expose it as ``features``."""
    device = next(model.parameters()).device
    core, flatten = model, False
    if isinstance(model, nn.Sequential):  # an MLP on images is Flatten -> MLP
        core, flatten = model[-1], True
    model.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(X), batch_size):
            batch = torch.as_tensor(np.asarray(X[start : start + batch_size], dtype=np.float32), device=device)
            features = cast(nn.Module, core.features)  # MLP and CNN both name their representation layers "features"
            outputs.append(features(batch.flatten(1) if flatten else batch).float().cpu().numpy())
    return np.concatenate(outputs).reshape(len(X), -1)


def pooled_text_vectors(model: nn.Module, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """A text network's first representation of each row: every text column's pooled word vectors, then the table features.

    This is what its hidden layers receive (``TextNet._inputs``, the step before ``head``): the word vectors are already
    learned, so the picture shows what the embedding learned, and the last hidden layer what the layers after it added.
    """
    device = next(model.parameters()).device
    model.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(X), batch_size):
            batch = torch.as_tensor(np.asarray(X[start : start + batch_size], dtype=np.float32), device=device)
            outputs.append(cast(TextNet, model)._inputs(batch).float().cpu().numpy())  # TextNet's own ids -> vectors step
    return np.concatenate(outputs).reshape(len(X), -1)


def _rows(n: int, max_points: int, seed: int) -> np.ndarray:
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


def _project(values: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    components = min(2, values.shape[1], len(values))
    pca = PCA(n_components=components, random_state=seed)
    points = pca.fit_transform(values)
    if components < 2:  # one input column: the second axis is flat
        points = np.column_stack([points, np.zeros((len(points), 2 - components))])
    return points, float(np.sum(pca.explained_variance_ratio_))


def axis_window(values: np.ndarray) -> tuple[float, float]:
    """The range to draw one coordinate over: the data's own range, cut at Tukey's far-out fences.

    One extreme row (a typo, a sensor glitch) stretches a PCA axis so far that every other row
    lands on one dot. PCA itself is left alone (its directions, variance share and separation are
    what they are); only the drawing stops at the fences, and the rows beyond are drawn at the
    edge, marked, with their true coordinates kept. Quartiles, unlike the 1st/99th percentiles,
    leave an ordinary cloud uncut and still hold with up to a quarter of the rows far out.
    """
    values = np.asarray(values, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    q1, q3 = np.percentile(values, [25, 75])
    if q3 > q1:  # no spread in the middle half (a flat axis, a few repeated points): nothing to measure a fence by
        low, high = max(low, q1 - FENCE * (q3 - q1)), min(high, q3 + FENCE * (q3 - q1))
    pad = MARGIN * (high - low) if high > low else 1.0
    return low - pad, high + pad


def _outside(points: np.ndarray, window: tuple[tuple[float, float], tuple[float, float]]) -> np.ndarray:
    return np.any([(points[:, axis] < low) | (points[:, axis] > high) for axis, (low, high) in enumerate(window)], axis=0)


def _separation(points: np.ndarray, labels: np.ndarray) -> float | None:
    """Silhouette of the classes in the 2-D picture: near 1 apart, near 0 overlapping."""
    classes = np.unique(labels)
    if not 2 <= len(classes) < len(labels):
        return None
    return float(silhouette_score(points, labels))


def projections(comparison: Comparison, max_points: int = MAX_POINTS) -> Projection:
    """PCA of the raw inputs and of the last hidden layer, on the same test rows."""
    data, seed = comparison.arrays(), comparison.config["seed"]
    rows = _rows(len(data.y_test), max_points, seed)
    classification = comparison.dataset["task"] == "classification"
    model = network_of(comparison)
    hidden = hidden_activations(model, data.X_test[rows])
    titles = {view: view for view in VIEWS}
    if data.text_layout is not None:  # word ids are labels, not quantities: see the module docstring
        inputs, titles[VIEWS[0]] = pooled_text_vectors(model, data.X_test[rows]), TEXT_INPUT_VIEW
    else:  # the inputs as the network receives them (pixels in [0, 1] for images; the shared scaled matrix for tables)
        inputs = np.asarray(data.X_test[rows]).reshape(len(rows), -1)
    views = {VIEWS[0]: inputs, VIEWS[1]: hidden}
    labels = data.y_test[rows]
    parts, explained, separation, window = [], {}, {}, {}
    for view, values in views.items():
        points, explained[view] = _project(values, seed)
        separation[view] = _separation(points, labels.astype(str)) if classification else None
        window[view] = (axis_window(points[:, 0]), axis_window(points[:, 1]))
        parts.append(pd.DataFrame({"view": view, "pc1": points[:, 0], "pc2": points[:, 1],
                                   "label": labels.astype(str) if classification else labels.astype(float),
                                   "row": np.asarray(data.test_rows)[rows], "outside": _outside(points, window[view])}))
    units = hidden.shape[1] if _has_hidden_layer(model) else 0
    return Projection(pd.concat(parts, ignore_index=True), explained, separation, units, window, titles)


def _has_hidden_layer(model: nn.Module) -> bool:
    core = model[-1] if isinstance(model, nn.Sequential) else model
    if hasattr(core, "embedding"):  # a TextNet: its hidden layers are its head MLP's (none with TextConfig.layers 0)
        core = cast(nn.Module, core.head)
    return any(isinstance(layer, (nn.Linear, nn.Conv2d)) for layer in getattr(core, "body", [])) or hasattr(core, "hidden")


def first_conv(model: nn.Module) -> nn.Conv2d | None:
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def _unit_scale(values: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Each item stretched to [0, 1] on its own, so weak and strong filters are both visible."""
    low = values.min(axis=axes, keepdims=True)
    span = values.max(axis=axes, keepdims=True) - low
    return ((values - low) / np.where(span > 0, span, 1.0)).astype(np.float32)


def first_layer_filters(comparison: Comparison) -> np.ndarray | None:
    """The first convolution's filters as (filters, channels, k, k) images in [0, 1]; None without a CNN."""
    conv = first_conv(network_of(comparison))
    if conv is None:
        return None
    return _unit_scale(conv.weight.detach().float().cpu().numpy(), (1, 2, 3))


def feature_maps(comparison: Comparison, index: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
    """One test image and what the first block (convolution, batch norm, ReLU) makes of it: (C, H, W), (filters, H, W)."""
    model = network_of(comparison)
    if first_conv(model) is None:
        return None
    image = np.asarray(comparison.arrays().X_test[index], dtype=np.float32)
    first_block = []
    for layer in cast(nn.Sequential, model.body):  # up to and including the first ReLU: the maps before any pooling
        first_block.append(layer)
        if isinstance(layer, nn.ReLU):
            break
    model.eval()
    with torch.inference_mode():
        device = next(model.parameters()).device
        # torch.tensor copies: the image may be memory-mapped, read-only, from the run store
        maps = nn.Sequential(*first_block)(torch.tensor(image[None], device=device))[0].float().cpu().numpy()
    return image, _unit_scale(maps, (1, 2))
