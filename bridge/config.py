"""Typed, frozen configuration for one comparison.

Frozen dataclasses are hashable, so the app can use them as cache keys, and
they turn into plain dicts for the JSON report and for checkpoints (a
checkpoint stores the config that rebuilds its model, as nanoGPT does).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

TASKS = ("auto", "classification", "regression")
CLASS_WEIGHTS = ("auto", "none", "balanced")  # bridge.models.weighting applies them


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
class TextConfig:
    """Shape of the PyTorch network for text columns: it learns an embedding of each word (``bridge.models.text_net``)."""

    encoder: str = "bag"  # "bag": the mean of the word vectors; "conv": a 1-D convolution over them; "transformer": one encoder layer
    embedding_dim: int = 64
    layers: int = 1  # hidden layers between the text vectors and the output (MLPConfig's width and dropout); 0 = fastText's shape
    max_tokens: int = 64  # words read per row and text column; the rest of a longer text is cut off
    vocabulary: int = 20_000  # most frequent words of the training rows kept, for the network and for TF-IDF alike


TEXT_ENCODERS = ("bag", "conv", "transformer")


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
class TuneConfig:
    """Tune mode (``bridge.tuning``): both sides searched with the same budget; all zero = no tuning, the default."""

    trials: int = 0  # trials per side
    minutes: float = 0.0  # or a wall-clock budget, split equally between the two sides (used when trials is 0)
    executor: str = "auto"  # "local" or "dask://HOST:PORT"; "auto": BRIDGE_EXECUTOR, else local
    workers: int = 0  # local pool processes; 0: the cores this run may use
    storage: str | None = None  # an Optuna RDB URL for the studies (sqlite:///..., postgresql://...); None: a job's own file, else memory

    @property
    def on(self) -> bool:
        return self.trials > 0 or self.minutes > 0


@dataclass(frozen=True)
class CompareConfig:
    """Everything that decides the numbers of one comparison run."""

    target: str | None = None  # None: the last column
    task: str = "auto"
    baseline: str = "auto"  # "auto" = best scikit-learn model on the validation split
    class_weight: str = "auto"  # "none", "balanced"; "auto" = each side tries both on imbalanced classes, keeps the better on validation
    network: str = "auto"  # "mlp", "cnn", "text"; "auto" = MLP for tables, CNN for images, the text network where text columns are used
    mlp: MLPConfig = field(default_factory=MLPConfig)  # for text: the layers between the word vectors and the output
    cnn: CNNConfig = field(default_factory=CNNConfig)
    text: TextConfig = field(default_factory=TextConfig)
    text_columns: tuple[str, ...] | None = None  # None: the columns that look like free text; else exactly these (() = none)
    tune: TuneConfig = field(default_factory=TuneConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0
    repeats: int = 3  # seeds to run both sides over, where the data is small enough (1 = the first run only)
    test_size: float = 0.2
    val_size: float = 0.2  # share of the rows left after the test split

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        """Raise BridgeError for a setting no run should start with, naming it and its range (``bridge.io.limits``).

        Cheap and data-free, so callers run it before loading anything; bounds that depend on the
        data (CNN blocks against the image size) are checked once the data is loaded.
        """
        from bridge.errors import BridgeError
        from bridge.io import limits

        m, c, t, x = self.mlp, self.cnn, self.train, self.text
        ranges = [  # name, value, lowest, highest; NaN fails every comparison, so it is refused too
            ("seed", self.seed, 0, limits.MAX_SEED), ("repeats", self.repeats, 1, limits.MAX_REPEATS),
            ("hidden layers", m.hidden_layers, 0, limits.MAX_HIDDEN_LAYERS), ("width", m.width, 1, limits.MAX_WIDTH),
            ("CNN blocks", c.blocks, 1, limits.MAX_BLOCKS), ("CNN channels", c.channels, 1, limits.MAX_CHANNELS),
            ("epochs", t.epochs, 1, limits.MAX_EPOCHS), ("patience", t.patience, 0, limits.MAX_EPOCHS),
            ("batch size", t.batch_size, 1, limits.MAX_BATCH_SIZE), ("weight decay", t.weight_decay, 0, limits.MAX_WEIGHT_DECAY),
            ("embedding size", x.embedding_dim, 1, limits.MAX_EMBEDDING_DIM), ("max tokens", x.max_tokens, 1, limits.MAX_TOKENS),
            ("vocabulary", x.vocabulary, 10, limits.MAX_VOCABULARY), ("text layers", x.layers, 0, limits.MAX_HIDDEN_LAYERS),
            ("tune trials", self.tune.trials, 0, limits.MAX_TUNE_TRIALS), ("tune minutes", self.tune.minutes, 0, limits.MAX_TUNE_MINUTES),
            ("tune workers", self.tune.workers, 0, limits.MAX_TUNE_WORKERS),
        ]
        for name, value, low, high in ranges:
            if not low <= value <= high:
                raise BridgeError(f"{name} {value} is out of range; use {low:,} to {high:,}")
        for name, value in (("dropout", m.dropout), ("CNN dropout", c.dropout)):
            if not 0 <= value < 1:
                raise BridgeError(f"{name} {value} is out of range; use a value from 0 up to (not including) 1")
        if not 0 < t.lr <= limits.MAX_LR:
            raise BridgeError(f"learning rate {t.lr} is out of range; use a value above 0 and at most {limits.MAX_LR:g}")
        if c.kernel_size not in limits.KERNEL_SIZES:
            raise BridgeError(f"kernel size {c.kernel_size} is not supported; use one of {', '.join(map(str, limits.KERNEL_SIZES))}")
        if self.seed + self.repeats - 1 > limits.MAX_SEED:
            raise BridgeError(f"seed {self.seed} with {self.repeats} repeats uses seeds up to {self.seed + self.repeats - 1}, past "
                              f"{limits.MAX_SEED:,}; use a smaller seed or fewer repeats")
        choices = [("task", self.task, TASKS), ("network", self.network, ("auto", "mlp", "cnn", "text")),
                   ("text encoder", x.encoder, TEXT_ENCODERS), ("pooling", c.pooling, ("max", "avg")),
                   ("class weighting", self.class_weight, CLASS_WEIGHTS)]
        for name, chosen, allowed in choices:  # its own name: `value` above holds numbers
            if chosen not in allowed:
                raise BridgeError(f"{name} '{chosen}' is unknown; use one of {', '.join(allowed)}")
        executor = self.tune.executor
        if not (executor in ("auto", "local") or executor.startswith("dask://")):
            raise BridgeError(f"executor '{executor}' is unknown; use local or dask://HOST:PORT")
        if not (0 < self.test_size < 1 and 0 < self.val_size < 1):
            raise BridgeError(f"test and validation shares must be between 0 and 1, not {self.test_size} and {self.val_size}")

    @classmethod
    def from_dict(cls, data: dict) -> CompareConfig:
        nested = {"mlp": MLPConfig, "cnn": CNNConfig, "train": TrainConfig, "text": TextConfig, "tune": TuneConfig}
        known = {f.name for f in fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key not in known:
                continue
            kwargs[key] = nested[key](**value) if key in nested else value
        if kwargs.get("text_columns") is not None:  # a JSON list back to the tuple that keeps the config hashable
            kwargs["text_columns"] = tuple(kwargs["text_columns"])
        return cls(**kwargs)
