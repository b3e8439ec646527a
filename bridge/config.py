"""Typed, frozen configuration for one comparison.

Frozen dataclasses are hashable, so the app can use them as cache keys, and
they turn into plain dicts for the JSON report and for checkpoints (a
checkpoint stores the config that rebuilds its model, as nanoGPT does).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

TASKS = ("auto", "classification", "regression")


@dataclass(frozen=True)
class MLPConfig:
    """Shape of the PyTorch multilayer perceptron for tables."""

    hidden_layers: int = 2
    width: int = 128
    dropout: float = 0.2


@dataclass(frozen=True)
class CNNConfig:
    """Shape of the PyTorch convolutional network for images."""

    blocks: int = 2
    channels: int = 32
    kernel_size: int = 3
    pooling: str = "max"  # "max" or "avg"
    dropout: float = 0.2
    batch_norm: bool = True
    augment: bool = False


@dataclass(frozen=True)
class TrainConfig:
    """How the explicit PyTorch loop runs."""

    lr: float = 1e-3
    epochs: int = 60
    batch_size: int = 64
    patience: int = 10  # epochs without val-loss improvement before stopping; 0 = off
    weight_decay: float = 1e-4
    device: str = "auto"  # "auto" picks CUDA when present, else CPU


@dataclass(frozen=True)
class CompareConfig:
    """Everything that decides the numbers of one comparison run."""

    target: str | None = None  # None: the last column
    task: str = "auto"
    baseline: str = "auto"  # "auto" = best scikit-learn model on the validation split
    network: str = "auto"  # "mlp", "cnn"; "auto" = MLP for tables, CNN for images
    mlp: MLPConfig = field(default_factory=MLPConfig)
    cnn: CNNConfig = field(default_factory=CNNConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0
    repeats: int = 3  # seeds to run both sides over, where the data is small enough (1 = the first run only)
    test_size: float = 0.2
    val_size: float = 0.2  # share of the rows left after the test split

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CompareConfig:
        nested = {"mlp": MLPConfig, "cnn": CNNConfig, "train": TrainConfig}
        known = {f.name for f in fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key not in known:
                continue
            kwargs[key] = nested[key](**value) if key in nested else value
        return cls(**kwargs)
