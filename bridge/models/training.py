"""The explicit PyTorch loop: forward, loss, backward, optimizer step.

What scikit-learn hides inside ``fit()`` is spelled out here, in the shape of
pytorch/examples' mnist: ``train_one_epoch`` and ``evaluate`` as small
functions, the device resolved in one place, the best validation epoch kept
as a checkpoint, early stopping, and a callback after every epoch.

``NeuralEstimator`` is the loop's state; ``bridge.models.estimators`` wraps it as
scikit-learn estimators, and those are what the comparison, the CLI and the app
train. A fit is seeded by its own ``seed`` and leaves torch's global generators
as it found them.

Data stays in memory as tensors: for tables that fit in RAM a DataLoader
only adds per-batch Python overhead.
"""

from __future__ import annotations

import os
import pickle
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from bridge.config import CNNConfig, MLPConfig, TextConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.models.neural import build_network, count_parameters, model_args
from bridge.models.optim import make_optimizer, threads_for
from bridge.models.weighting import balanced_weights
from bridge.outputs.atomic import atomic_file


def resolve_device(preference: str = "auto") -> torch.device:
    """CUDA when present (or asked for), else the CPU; the one place that decides."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference.startswith("cuda") and not torch.cuda.is_available():
        raise BridgeError("--device cuda was asked for but no CUDA GPU is available; use --device auto or cpu")
    return torch.device(preference)


def _gpus_to_fork(device: torch.device) -> list[int]:
    """The GPUs whose generators ``fork_rng`` saves: every one where CUDA is in use (``manual_seed`` seeds them all), none on a CPU-only run."""
    return list(range(torch.cuda.device_count())) if device.type == "cuda" or torch.cuda.is_initialized() else []


@dataclass(frozen=True)
class EpochLog:
    """What the progress callback sees after each epoch."""

    epoch: int
    epochs: int
    train_loss: float
    val_loss: float
    val_score: float
    seconds: float  # since fit started
    best_epoch: int


GATHER_BYTES = 4 * 2**20  # shuffled rows copied at once in an epoch: a block of whole batches about this size


def train_one_epoch(model, X, y, loss_fn, optimizer, batch_size, generator, augment=None) -> float:
    """One pass over the training rows in a fresh random order; returns the mean loss."""
    model.train()
    order = torch.randperm(len(X), generator=generator).to(X.device)
    losses = []
    # A last batch of one row is dropped: batch norm cannot normalise a single value.
    stop = len(X) - 1 if len(X) % batch_size == 1 and len(X) > 1 else len(X)
    # Shuffled rows are gathered a block of batches at a time, then each batch is a plain slice: one
    # gather per block instead of two per step, while a block stays a few MB whatever the table's size.
    block = batch_size * max(1, GATHER_BYTES // max(1, batch_size * X[:1].nbytes))
    for block_start in range(0, stop, block):
        rows = order[block_start : min(block_start + block, stop)]
        X_block, y_block = X.index_select(0, rows), y.index_select(0, rows)
        for start in range(0, len(rows), batch_size):
            inputs, targets = X_block[start : start + batch_size], y_block[start : start + batch_size]
            if augment is not None:
                inputs = augment(inputs)
            outputs = model(inputs)  # forward
            loss = loss_fn(outputs, targets)  # loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # backward: gradients of the loss for every weight
            optimizer.step()  # optimizer step: move every weight against its gradient
            losses.append(loss.detach())  # stays on the device: no host sync per step
    sizes = torch.full((len(losses),), float(batch_size), device=X.device)
    sizes[-1] = stop - batch_size * (len(losses) - 1)  # the last batch may be smaller
    return float((torch.stack(losses) * sizes).sum()) / stop


@torch.inference_mode()
def evaluate(model, X, y, loss_fn, batch_size: int = 4096) -> tuple[float, torch.Tensor]:
    """Mean loss and raw outputs, without dropout or gradient bookkeeping."""
    model.eval()
    outputs = torch.cat([model(X[i : i + batch_size]) for i in range(0, len(X), batch_size)])
    return float(loss_fn(outputs, y)), outputs


class NeuralEstimator:
    """A PyTorch network with scikit-learn's manners: settings in ``__init__``, ``fit`` returns self.

    Learned attributes end in ``_``: ``model_``, ``history_``, ``best_epoch_``,
    ``device_``, ``classes_`` (classification) or ``y_mean_``/``y_std_`` (regression).
    ``class_weight`` "balanced" weighs each class's errors in the loss as scikit-learn's
    ``class_weight="balanced"`` does (``bridge.models.weighting``); regression ignores it.
    """

    def __init__(self, task: str, network: str = "mlp", mlp: MLPConfig = MLPConfig(), cnn: CNNConfig = CNNConfig(),
                 train: TrainConfig = TrainConfig(), seed: int = 0, class_weight: str = "none", text: TextConfig = TextConfig(),
                 text_layout: dict | None = None):
        self.task, self.network, self.mlp, self.cnn, self.train, self.seed = task, network, mlp, cnn, train, seed
        self.class_weight, self.text, self.text_layout = class_weight, text, text_layout  # text_layout: see TextNet

    # -- data to tensors ------------------------------------------------------
    def _inputs(self, X) -> torch.Tensor:
        array = np.asarray(X, dtype=np.float32)
        if not array.flags.writeable:  # a result memory-mapped from the run store: torch wants memory it may own
            array = array.copy()
        return torch.as_tensor(array, device=self.device_)

    def _targets(self, y) -> torch.Tensor:
        if self.task == "classification":
            index = {c: i for i, c in enumerate(self.classes_)}
            return torch.as_tensor([index[v] for v in y], dtype=torch.long, device=self.device_)
        scaled = (np.asarray(y, dtype=np.float64) - self.y_mean_) / self.y_std_
        return torch.as_tensor(scaled, dtype=torch.float32, device=self.device_).unsqueeze(1)

    def _score(self, outputs: torch.Tensor, targets: torch.Tensor) -> float:
        """The validation score each epoch, computed on the tensors already at hand.

        Equal to ``evaluate.score`` on the decoded labels (a test pins it), without decoding every
        row to a label string each epoch: on a small table that decoding cost more than an epoch's
        validation pass. R^2 is the same on the standardised target as on the original one.
        """
        if self.task == "classification":
            k = outputs.shape[1]
            total = torch.bincount(targets, minlength=k)
            right = torch.bincount(targets[outputs.argmax(1) == targets], minlength=k)
            present = total > 0
            return float((right[present] / total[present]).double().mean())
        truth, guess = targets.squeeze(1).double(), outputs.squeeze(1).double()
        spread = ((truth - truth.mean()) ** 2).sum()
        residual = ((truth - guess) ** 2).sum()
        if spread == 0:  # a constant target: sklearn's r2_score convention
            return 1.0 if residual == 0 else 0.0
        return float(1 - residual / spread)

    def _decode(self, outputs: torch.Tensor) -> np.ndarray:
        if self.task == "classification":
            return np.asarray(self.classes_, dtype=object)[outputs.argmax(1).cpu().numpy()]
        return outputs.squeeze(1).double().cpu().numpy() * self.y_std_ + self.y_mean_

    # -- the loop ---------------------------------------------------------------
    def fit(self, X, y, X_val, y_val, on_epoch: Callable[[EpochLog], object] | None = None, checkpoint_path=None, classes=None):
        """Train with early stopping on validation loss; keep the best epoch's weights.

        ``on_epoch`` is called after every epoch; returning ``False`` stops training. ``classes`` lists
        every label the data holds, so a class too rare to reach the training rows still has an output.
        """
        self.device_ = resolve_device(self.train.device)
        # Weight initialisation and dropout masks draw from torch's global generator (nn.Linear and nn.Dropout take no
        # generator), so the loop seeds it; fork_rng hands the caller's generators back untouched, whether fit ends or raises.
        with torch.random.fork_rng(devices=_gpus_to_fork(self.device_)):
            torch.manual_seed(self.seed)
            generator = torch.Generator().manual_seed(self.seed)  # shuffling and augmentation: the loop's own generator
            if self.task == "classification":
                self.classes_ = sorted(set(np.asarray(y).tolist()) | set(classes or []))
                # "balanced": each row's error weighs n / (k * its class's count), so a rare class counts as much in all as a common one
                weights = torch.as_tensor(balanced_weights(self.classes_, y), dtype=torch.float32, device=self.device_)
                loss_fn: nn.Module = nn.CrossEntropyLoss(weight=weights if self.class_weight == "balanced" else None)
                n_outputs = len(self.classes_)
            else:
                self.y_mean_ = float(np.mean(y))
                self.y_std_ = float(np.std(y)) or 1.0  # networks train best on targets near unit scale
                loss_fn, n_outputs = nn.MSELoss(), 1
            kind = self.network if self.network in ("cnn", "text") else "mlp"
            self.model_args_ = model_args(kind, tuple(np.shape(X)[1:]), n_outputs, self.cnn if kind == "cnn" else self.mlp,
                                          self.text, self.text_layout)
            self.model_ = build_network(self.model_args_).to(self.device_)
            self.parameters_ = count_parameters(self.model_)
            X_t, y_t, Xv_t, yv_t = self._inputs(X), self._targets(y), self._inputs(X_val), self._targets(y_val)
            optimizer = make_optimizer(self.model_, self.train.lr, self.train.weight_decay, self.device_)
            augment = None
            if kind == "cnn" and self.cnn.augment:
                from bridge.models.cnn import augment_batch

                augment = lambda batch: augment_batch(batch, generator=generator)  # noqa: E731
            with threads_for(self.model_, self.train.batch_size, self.device_):
                self._epochs(X_t, y_t, Xv_t, yv_t, loss_fn, optimizer, generator, augment, on_epoch, checkpoint_path)
        return self

    def _epochs(self, X_t, y_t, Xv_t, yv_t, loss_fn, optimizer, generator, augment, on_epoch, checkpoint_path) -> None:
        """Epoch after epoch: train, validate, keep the best weights, report, stop early."""
        self.history_, self.best_epoch_, best_loss, self.stopped_early_ = [], 0, float("inf"), False
        best_state: dict[str, torch.Tensor] | None = None
        start = time.perf_counter()
        for epoch in range(1, self.train.epochs + 1):
            train_loss = train_one_epoch(self.model_, X_t, y_t, loss_fn, optimizer, self.train.batch_size, generator, augment)
            val_loss, val_outputs = evaluate(self.model_, Xv_t, yv_t, loss_fn)
            if not np.isfinite(train_loss):
                raise BridgeError(f"training diverged (loss became {train_loss}) at epoch {epoch}; lower the learning rate")
            if val_loss < best_loss - 1e-6:
                best_loss, self.best_epoch_ = val_loss, epoch
                best_state = {k: v.detach().clone() for k, v in self.model_.state_dict().items()}
                if checkpoint_path:
                    self.best_state_ = best_state
                    self.save_checkpoint(checkpoint_path)
            log = EpochLog(epoch, self.train.epochs, train_loss, val_loss, self._score(val_outputs, yv_t),
                           time.perf_counter() - start, self.best_epoch_)
            self.history_.append(log)
            if on_epoch is not None and on_epoch(log) is False:
                break
            if self.train.patience and epoch - self.best_epoch_ >= self.train.patience:
                self.stopped_early_ = True
                break
        if best_state is None:  # the validation loss was never finite: no epoch to prefer, so the last weights stay
            best_state = {k: v.detach().clone() for k, v in self.model_.state_dict().items()}
        self.best_state_ = best_state
        self.model_.load_state_dict(best_state)

    # -- prediction -------------------------------------------------------------
    def _outputs(self, X) -> torch.Tensor:
        with torch.inference_mode():
            self.model_.eval()
            inputs = self._inputs(X)
            return torch.cat([self.model_(inputs[i : i + 4096]) for i in range(0, len(inputs), 4096)])

    def predict(self, X) -> np.ndarray:
        return self._decode(self._outputs(X))

    def predict_proba(self, X) -> np.ndarray:
        if self.task != "classification":
            raise AttributeError("predict_proba is only defined for classification")
        return torch.softmax(self._outputs(X), dim=1).double().cpu().numpy()

    # -- checkpoint -----------------------------------------------------------------
    def save_checkpoint(self, path) -> None:
        """Best weights plus everything needed to rebuild and use them, in plain types.

        A path is written whole or not at all (``bridge.outputs.atomic``): a crash mid-save leaves the previous
        checkpoint, never half of one that ``torch.load`` would choke on. A file object is written as is.
        """
        checkpoint = {
            "model_args": self.model_args_,
            "state_dict": {k: v.cpu() for k, v in self.best_state_.items()},
            "task": self.task,
            "classes": list(getattr(self, "classes_", [])),
            "y_mean": getattr(self, "y_mean_", 0.0),
            "y_std": getattr(self, "y_std_", 1.0),
            "train": asdict(self.train),
            "best_epoch": self.best_epoch_,
            "seed": self.seed,
        }
        if not isinstance(path, str | os.PathLike):
            torch.save(checkpoint, path)
            return
        with atomic_file(path) as handle:
            torch.save(checkpoint, handle)

    @classmethod
    def load_checkpoint(cls, path, device: str = "cpu") -> NeuralEstimator:
        """Rebuild a trained estimator from a checkpoint file; never unpickles code.

        ``weights_only=True`` only rebuilds tensors and plain types, so a file whose pickle would run
        code (a ``__reduce__`` that writes a file, say) is refused before anything runs. The network is
        first built on the meta device, so hostile sizes in ``model_args`` allocate nothing until
        they match the weights actually stored in the file.
        """
        name = os.path.basename(os.fspath(path)) if isinstance(path, str | os.PathLike) else "the uploaded checkpoint"
        refuse = f"{name} is not a checkpoint saved by Bridge; save one with --checkpoint and load that"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch warns about odd pickle protocols before refusing them
                data = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise BridgeError(f"file not found: {path}; check the path to the checkpoint") from None
        except pickle.UnpicklingError:  # torch's own message suggests weights_only=False, which is exactly what must not happen
            raise BridgeError(f"{name} holds Python objects besides weights and plain values, which Bridge never loads "
                              "(they could run code); load only checkpoints saved by Bridge") from None
        except Exception:  # empty, truncated or another format: RuntimeError, EOFError, ...
            raise BridgeError(f"{refuse} (it is empty, truncated or not a PyTorch file)") from None
        try:
            estimator = cls(task=data["task"], network=data["model_args"]["kind"], train=TrainConfig(**data["train"]), seed=data["seed"])
            with torch.device("meta"):
                shapes = {k: tuple(v.shape) for k, v in build_network(data["model_args"]).state_dict().items()}
            if shapes != {k: tuple(v.shape) for k, v in data["state_dict"].items()}:
                raise ValueError("the weights do not match the network it describes")
        except BridgeError:
            raise
        except Exception as exc:  # missing keys, wrong types: any of them means the file was not made by save_checkpoint
            raise BridgeError(f"{refuse} ({type(exc).__name__}: {(str(exc).splitlines() or ['malformed'])[0][:120]})") from None
        estimator.device_ = resolve_device(device)
        estimator.model_args_ = data["model_args"]
        estimator.model_ = build_network(data["model_args"]).to(estimator.device_)
        estimator.model_.load_state_dict(data["state_dict"])
        estimator.best_state_, estimator.best_epoch_ = data["state_dict"], data["best_epoch"]
        estimator.parameters_ = count_parameters(estimator.model_)
        estimator.classes_, estimator.y_mean_, estimator.y_std_ = data["classes"], data["y_mean"], data["y_std"]
        return estimator
