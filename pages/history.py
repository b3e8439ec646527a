"""Run history: every run on a dataset as a row, what changed between two runs, and their loss curves together.

Pure functions over ``bridge.jobs.Run`` rows and their epoch logs, so the Train page only draws
what these return, and tests check them without a browser.
"""

from __future__ import annotations

from datetime import datetime

import altair as alt
import pandas as pd

from bridge.config import CompareConfig
from bridge.decision.verdict_text import verdict_name
from bridge.jobs.store import DONE, Run


def settings_of(config: CompareConfig) -> dict[str, str]:
    """The settings a person chose, as labelled text (the network's own settings only for the network used)."""
    train, mlp, cnn, text = config.train, config.mlp, config.cnn, config.text
    settings = {"network": config.network.upper() if config.network != "auto" else "auto"}
    if config.network == "text":  # its hidden layers are TextConfig.layers; the MLP's stay at their default
        settings.update({"text encoder": text.encoder, "embedding size": str(text.embedding_dim), "text layers": str(text.layers),
                         "max tokens": str(text.max_tokens), "width": str(mlp.width)})
    elif config.network != "cnn":
        settings.update({"hidden layers": str(mlp.hidden_layers), "width": str(mlp.width)})
    else:
        settings.update({"conv blocks": str(cnn.blocks), "channels": str(cnn.channels), "kernel size": str(cnn.kernel_size),
                         "pooling": cnn.pooling, "batch norm": "on" if cnn.batch_norm else "off", "augment": "on" if cnn.augment else "off"})
    settings.update({
        "dropout": f"{mlp.dropout:g}", "learning rate": f"{train.lr:g}", "epochs (at most)": str(train.epochs),
        "batch size": str(train.batch_size), "early stopping": f"patience {train.patience}" if train.patience else "off",
        "weight decay": f"{train.weight_decay:g}", "baseline": config.baseline,
        "class weighting": config.class_weight, "seed": str(config.seed),
        "target": str(config.target), "task": config.task,
    })
    if config.tune.on:  # off is the default, and says nothing
        settings["tune"] = f"{config.tune.trials} trials" if config.tune.trials else f"{config.tune.minutes:g} minutes"
    if config.text_columns is not None:  # None: the detected ones, the default that needs no word
        settings["text columns"] = ", ".join(config.text_columns) or "none"
    return settings


def settings_diff(before: CompareConfig, after: CompareConfig) -> list[dict]:
    """The settings that differ, in the form's order: [{setting, before, after}]."""
    a, b = settings_of(before), settings_of(after)
    return [{"setting": key, "before": a.get(key, "-"), "after": b.get(key, "-")} for key in dict.fromkeys([*a, *b])
            if a.get(key) != b.get(key)]


def numbered(runs: list[Run]) -> dict[str, int]:
    """Token -> run number on its dataset, 1 for the oldest, so a number never changes as runs are added."""
    return {run.token: i for i, run in enumerate(sorted(runs, key=lambda r: r.id), start=1)}


def run_label(run: Run, number: int) -> str:
    when = datetime.fromtimestamp(run.created).strftime("%H:%M:%S")
    return f"#{number} at {when} ({run.state})"


def weighed_scores(summary: dict) -> dict:
    """The scores a run's verdict weighed: a tuned run's best trials (stored since summaries keep them), else the defaults."""
    return summary.get("tuned") or summary


def history_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per run, newest first: its settings in short, both scores (tuned, for a tuned run), the verdict and how long it took."""
    numbers = numbered(runs)
    rows = []
    for run in sorted(runs, key=lambda r: r.id, reverse=True):
        s, settings = run.summary, settings_of(run.config)
        scores = weighed_scores(s)
        rows.append({
            "run": f"#{numbers[run.token]}",
            "started": datetime.fromtimestamp(run.created).strftime("%H:%M:%S"),
            "state": run.state,
            "settings": ", ".join(f"{k} {v}" for k, v in settings.items() if k not in ("target", "task", "network")),
            "scikit-learn": scores.get("sklearn"),
            "PyTorch": scores.get("pytorch"),
            "gap": scores["pytorch"] - scores["sklearn"] if scores else None,
            "verdict": verdict_name(s["verdict"]) if s.get("verdict") else "",
            "seconds": round(run.seconds, 1) if run.seconds is not None else None,
        })
    return pd.DataFrame(rows, columns=["run", "started", "state", "settings", "scikit-learn", "PyTorch", "gap", "verdict", "seconds"])


def score_changes(before: Run, after: Run) -> list[dict]:
    """Both sides' scores, the gap and the training time, before and after, with the change."""
    if before.state != DONE or after.state != DONE:
        return []
    a, b = weighed_scores(before.summary), weighed_scores(after.summary)
    metric = before.summary["metric"]
    rows = [(f"scikit-learn {metric}", a["sklearn"], b["sklearn"]), (f"PyTorch {metric}", a["pytorch"], b["pytorch"]),
            ("gap (PyTorch - scikit-learn)", a["pytorch"] - a["sklearn"], b["pytorch"] - b["sklearn"]),
            ("seconds", before.seconds, after.seconds)]
    return [{"measure": name, "before": x, "after": y, "change": y - x} for name, x, y in rows]


def loss_frame(curves: dict[str, list[dict]]) -> pd.DataFrame:
    """{run label: epoch log} -> one long frame (run, epoch, split, loss) for one chart."""
    rows = [{"run": label, "epoch": e["epoch"], "split": split, "loss": e[f"{key}_loss"]}
            for label, epochs in curves.items() for e in epochs for split, key in (("train", "train"), ("validation", "val"))]
    return pd.DataFrame(rows, columns=["run", "epoch", "split", "loss"])


def loss_comparison_chart(frame: pd.DataFrame) -> alt.Chart:
    """Two runs' loss curves on one chart: colour tells the run, the dash tells train from validation."""
    return alt.Chart(frame).mark_line().encode(
        x=alt.X("epoch:Q", title="epoch"),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(zero=False)),
        color=alt.Color("run:N", title="run"),
        strokeDash=alt.StrokeDash("split:N", title="split", sort=["validation", "train"]),
        tooltip=["run", "split", "epoch", alt.Tooltip("loss:Q", format=".4f")],
    ).properties(height=300)
