"""What the scikit-learn estimators in ``bridge.models.estimators`` check before any training: settings, seed, images, validation rows.

Kept apart from the estimator classes so the rules a user can trip over sit in one place, each failing with a
one-line ``BridgeError`` (a ``ValueError``, as scikit-learn expects) that says what to do. The ranges are
``CompareConfig.validate``'s, so an estimator and a comparison run refuse the same settings with the same words.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from bridge.config import CNNConfig, CompareConfig, MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.io import limits

INTEGER_SETTINGS = ("hidden_layers", "width", "epochs", "batch_size", "patience", "blocks", "channels", "kernel_size")
NUMBER_SETTINGS = ("dropout", "lr", "weight_decay", "validation_fraction")
DEVICES = ("auto", "cpu", "cuda")


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_settings(params: dict) -> None:
    """Raise BridgeError for a constructor parameter no fit should start with; ``params`` is ``get_params()``.

    Types first (a string where a number belongs would otherwise fail deep inside a comparison), then
    the ranges of ``CompareConfig.validate`` on the configs these settings become.
    """
    for name in INTEGER_SETTINGS:
        if name in params and not _is_integer(params[name]):
            raise BridgeError(f"{name} must be a whole number, not {params[name]!r}; use an int")
    for name in NUMBER_SETTINGS:
        if name in params and (not isinstance(params[name], numbers.Real) or isinstance(params[name], bool)):
            raise BridgeError(f"{name} must be a number, not {params[name]!r}; use a float")
    mlp, cnn = network_configs(params)
    CompareConfig(mlp=mlp, cnn=cnn, train=train_config(params), repeats=1).validate()
    if not 0 <= params["validation_fraction"] < 1:
        raise BridgeError(f"validation_fraction {params['validation_fraction']} is out of range; use a value from 0 up to (not including) 1")
    if params.get("class_weight") not in (None, "balanced"):
        raise BridgeError(f"class_weight {params['class_weight']!r} is not supported; use None or 'balanced'")
    device = params["device"]
    if not isinstance(device, str) or device.split(":")[0] not in DEVICES:
        raise BridgeError(f"device {device!r} is unknown; use 'auto', 'cpu' or 'cuda'")
    shape = params.get("image_shape")
    if shape is not None and not (isinstance(shape, tuple | list) and len(shape) in (2, 3) and all(_is_integer(s) and s > 0 for s in shape)):
        raise BridgeError(f"image_shape {shape!r} is not a shape; use (height, width) or (channels, height, width), e.g. (8, 8)")


def network_configs(params: dict) -> tuple[MLPConfig, CNNConfig]:
    """The flat settings as Bridge's config dataclasses, in plain Python types (checkpoints keep them as is)."""
    mlp = MLPConfig(**{key: _plain(params[key]) for key in ("hidden_layers", "width", "dropout") if key in params})
    cnn_keys = ("blocks", "channels", "kernel_size", "pooling", "dropout", "batch_norm", "augment")
    cnn = CNNConfig(**{key: _plain(params[key]) for key in cnn_keys if key in params}) if "blocks" in params else CNNConfig()
    return mlp, cnn


def train_config(params: dict) -> TrainConfig:
    keys = ("lr", "epochs", "batch_size", "patience", "weight_decay", "device")
    return TrainConfig(**{key: _plain(params[key]) for key in keys})


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def seed_from(random_state) -> int:
    """The torch seed: an int is used as is (so ``random_state=s`` trains as Bridge's own run with seed s does);
    None or a ``RandomState`` gives a seed drawn from it, as scikit-learn's estimators do."""
    if _is_integer(random_state):
        if not 0 <= random_state <= limits.MAX_SEED:
            raise BridgeError(f"random_state {random_state} is out of range; use 0 to {limits.MAX_SEED:,}")
        return int(random_state)
    if random_state is not None and not isinstance(random_state, np.random.RandomState):
        raise BridgeError(f"random_state {random_state!r} cannot seed the network; use an int, None or a numpy RandomState")
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def validation_rows(n: int, fraction: float, seed: int, labels=None, min_train: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows): ``fraction`` of the rows held out, stratified by ``labels`` where every class can be.

    With no rows to hold out (``fraction`` 0, or too few rows to leave ``min_train`` for training) the training
    rows double as the validation rows: early stopping then watches the training loss.
    """
    every = np.arange(n)
    held_out = math.ceil(fraction * n)
    if held_out == 0 or n - held_out < min_train:
        return every, every
    try:
        train, val = train_test_split(every, test_size=held_out, random_state=seed, stratify=labels)
    except ValueError:  # a class with a single row, or fewer held-out rows than classes: an unstratified draw
        train, val = train_test_split(every, test_size=held_out, random_state=seed)
    return train, val


def as_images(X: np.ndarray, image_shape, name: str) -> np.ndarray:
    """X as (n, channels, height, width), the layout torch's convolutions read.

    With ``image_shape`` every sample is reshaped to it, channel-major (channels inferred from the sample's size when
    the shape is (height, width)); without it X must already be images: (n, channels, height, width), or
    (n, height, width) for one channel. The CNN halves one side per block, so images must be square.
    """
    if image_shape is not None:
        flat = X.reshape(len(X), -1)
        pixels = math.prod(image_shape[-2:])
        if flat.shape[1] % pixels or (len(image_shape) == 3 and flat.shape[1] != math.prod(image_shape)):
            raise BridgeError(f"{name} got samples of {flat.shape[1]} values, which do not fill images of shape {tuple(image_shape)}; "
                              "check image_shape")
        X = flat.reshape(len(X), -1, *image_shape[-2:])
    elif X.ndim == 3:
        X = X[:, None]
    elif X.ndim != 4:
        raise BridgeError(f"{name} takes images shaped (n, channels, height, width) or (n, height, width), not an array of shape "
                          f"{X.shape}; for rows of pixels pass image_shape=(height, width)")
    if X.shape[-2] != X.shape[-1]:
        raise BridgeError(f"{name} takes square images, not {X.shape[-2]}x{X.shape[-1]}; resize them to one square size")
    return X
