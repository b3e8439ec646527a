"""What each side may change when tuned, and how a trial's settings become a model.

``suggest`` runs in the driver, on an Optuna trial (it draws the settings); ``sklearn_model`` and
``network_config`` run wherever the trial trains, on the plain dict of settings it drew. Both sides search
the knobs that matter most for their model families, with the ranges practitioners use:

- scikit-learn: the family, then its main knobs (linear C or alpha; forest depth, features per split and
  leaf size; gradient boosting learning rate, leaf nodes and L2), and class weights where there are classes.
- PyTorch: learning rate (log scale), batch size, weight decay, dropout, and the network's shape (MLP:
  hidden layers and width; CNN: blocks, channels, kernel and augmentation; text: encoder, embedding size,
  layers and width), and class weights. Epochs stay the run's maximum, with early stopping on validation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge

from bridge.config import CompareConfig
from bridge.models.classical import BASELINES, hog_baseline
from bridge.models.image_features import PixelLayout


@dataclass(frozen=True)
class Space:
    """What the data allows: the task, the scikit-learn families that can read it, the network that trains."""

    task: str
    families: tuple[str, ...]  # "linear", "random_forest", "gradient_boosting", "hog"
    network: str  # "mlp", "cnn" or "text"
    # The default run's settings (``with_defaults``): a categorical default the standard choices lack (--batch-size 100)
    # joins them, so the first trial can try it and every trial of the study draws from the same list.
    defaults: tuple[tuple[str, object], ...] = ()


def with_defaults(space: Space, first: dict[str, dict]) -> Space:
    """``space`` knowing each side's first trial (``defaults``), so a default outside the standard choices can be drawn."""
    merged = {name: value for side in first.values() for name, value in side.items()}
    return replace(space, defaults=tuple(sorted(merged.items(), key=lambda item: item[0])))


def _choices(space: Space, name: str, standard: list) -> list:
    extra = [value for knob, value in space.defaults if knob == name and value not in standard]
    return standard + extra  # appended: a default among the standard choices leaves the list, and so the draws, unchanged


def suggest(trial, side: str, space: Space) -> dict:
    """Draw one trial's settings for ``side`` ("sklearn" or "pytorch") from an Optuna trial."""
    params: dict = {}
    if side == "sklearn":
        family = params["family"] = trial.suggest_categorical("family", _choices(space, "family", list(space.families)))
        if family in ("linear", "hog"):
            name = "C" if space.task == "classification" or family == "hog" else "alpha"
            params[f"{family}_{name}"] = trial.suggest_float(f"{family}_{name}", 1e-3, 1e3, log=True)
        elif family == "random_forest":
            params["forest_max_depth"] = trial.suggest_int("forest_max_depth", 2, 32, log=True)
            params["forest_max_features"] = trial.suggest_float("forest_max_features", 0.05, 1.0)
            params["forest_min_samples_leaf"] = trial.suggest_int("forest_min_samples_leaf", 1, 20, log=True)
        else:
            params["boosting_learning_rate"] = trial.suggest_float("boosting_learning_rate", 0.01, 0.3, log=True)
            params["boosting_max_leaf_nodes"] = trial.suggest_int("boosting_max_leaf_nodes", 8, 128, log=True)
            params["boosting_l2"] = trial.suggest_float("boosting_l2", 1e-6, 10.0, log=True)
    else:
        params["lr"] = trial.suggest_float("lr", 1e-4, 3e-2, log=True)
        params["batch_size"] = trial.suggest_categorical("batch_size", _choices(space, "batch_size", [32, 64, 128, 256]))
        params["weight_decay"] = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        params["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
        if space.network == "cnn":
            params["blocks"] = trial.suggest_int("blocks", 1, 3)
            params["channels"] = trial.suggest_categorical("channels", _choices(space, "channels", [8, 16, 32, 64]))
            params["kernel_size"] = trial.suggest_categorical("kernel_size", _choices(space, "kernel_size", [3, 5]))
            params["augment"] = trial.suggest_categorical("augment", [False, True])
        elif space.network == "text":
            params["encoder"] = trial.suggest_categorical("encoder", _choices(space, "encoder", ["bag", "conv", "transformer"]))
            params["embedding_dim"] = trial.suggest_categorical("embedding_dim", _choices(space, "embedding_dim", [32, 64, 128]))
            params["text_layers"] = trial.suggest_int("text_layers", 0, 2)
            params["width"] = trial.suggest_categorical("width", _choices(space, "width", [32, 64, 128, 256]))
        else:
            params["hidden_layers"] = trial.suggest_int("hidden_layers", 0, 4)
            params["width"] = trial.suggest_categorical("width", _choices(space, "width", [32, 64, 128, 256, 512]))
    if space.task == "classification":
        params["class_weight"] = trial.suggest_categorical("class_weight", ["none", "balanced"])
    return params


def defaults(side: str, space: Space, config: CompareConfig, family: str, class_weight: str) -> dict:
    """The default run's own settings as a trial (the first of each study): tuning starts where the defaults stand."""
    params: dict = {}
    if side == "sklearn":
        params["family"] = family
        knob = {"linear": ("linear_C", 1.0) if space.task == "classification" else None, "hog": ("hog_C", 1.0),
                "random_forest": None, "gradient_boosting": ("boosting_learning_rate", 0.1)}[family]
        if knob:
            params[knob[0]] = knob[1]
    else:
        t = config.train
        params.update(lr=t.lr, batch_size=t.batch_size, weight_decay=t.weight_decay, dropout=config.mlp.dropout)
        if space.network == "cnn":
            c = config.cnn
            params.update(blocks=c.blocks, channels=c.channels, kernel_size=c.kernel_size, augment=c.augment, dropout=c.dropout)
        elif space.network == "text":
            x = config.text
            params.update(encoder=x.encoder, embedding_dim=x.embedding_dim, text_layers=x.layers, width=config.mlp.width)
        else:
            params.update(hidden_layers=config.mlp.hidden_layers, width=config.mlp.width)
    if space.task == "classification":
        params["class_weight"] = class_weight
    return params


def sklearn_model(task: str, params: dict, seed: int, pixels: PixelLayout | None = None) -> BaseEstimator:
    """The scikit-learn model a trial's settings describe, unfitted; one thread (trials run side by side)."""
    family, classes = params["family"], task == "classification"
    weight = "balanced" if params.get("class_weight") == "balanced" else None
    if family == "hog":
        if pixels is None:
            raise ValueError("the HOG family needs the images' pixel layout")
        model = hog_baseline(pixels)
        model.set_params(model__C=params.get("hog_C", 1.0), model__class_weight=weight)
        return model
    if family == "linear":
        if classes:
            return LogisticRegression(C=params.get("linear_C", 1.0), max_iter=2000, class_weight=weight)
        # No alpha drawn: the default run's ridge, which picks its own alpha on the training rows
        return Ridge(alpha=params["linear_alpha"]) if "linear_alpha" in params else BASELINES["regression"]["linear"](seed)
    if family == "random_forest":
        kind = RandomForestClassifier if classes else RandomForestRegressor
        extra = {"class_weight": weight and "balanced_subsample"} if classes else {}  # see classical.forest_balanced
        features = params.get("forest_max_features", "sqrt" if classes else 1.0)  # no draw: scikit-learn's defaults, as the default run's
        return kind(n_estimators=100, max_depth=params.get("forest_max_depth"), max_features=features,
                    min_samples_leaf=params.get("forest_min_samples_leaf", 1), n_jobs=1, random_state=seed, **extra)
    kind = HistGradientBoostingClassifier if classes else HistGradientBoostingRegressor
    extra = {"class_weight": weight} if classes else {}
    return kind(learning_rate=params.get("boosting_learning_rate", 0.1), max_leaf_nodes=params.get("boosting_max_leaf_nodes", 31),
                l2_regularization=params.get("boosting_l2", 0.0), random_state=seed, **extra)


def network_config(config: CompareConfig, params: dict) -> CompareConfig:
    """The run's config with a trial's network settings in place."""
    train = replace(config.train, lr=params["lr"], batch_size=params["batch_size"], weight_decay=params["weight_decay"])
    # The dropout belongs to the network trained: the CNN's own, else the MLP's (the text network's layers are the MLP's)
    on_cnn = "blocks" in params
    mlp = replace(config.mlp, **({} if on_cnn else {"dropout": params["dropout"]}),
                  **{k: params[k] for k in ("hidden_layers", "width") if k in params})
    cnn = replace(config.cnn, **({"dropout": params["dropout"]} if on_cnn else {}),
                  **{k: params[k] for k in ("blocks", "channels", "kernel_size", "augment") if k in params})
    text = config.text
    if "encoder" in params:
        text = replace(text, encoder=params["encoder"], embedding_dim=params["embedding_dim"], layers=params["text_layers"])
    return replace(config, train=train, mlp=mlp, cnn=cnn, text=text)
