"""The bridge note: five lines that connect scikit-learn to PyTorch, filled in with one run's numbers."""

from __future__ import annotations

from bridge.comparison import Comparison
from bridge.decision.evaluate import metric_label
from bridge.decision.recommend import seconds


def bridge_note(comparison: Comparison) -> list[tuple[str, str]]:
    """(heading, line) pairs: old skill, same skeleton, new capability, new control, next action."""
    c = comparison
    metric = c.metric
    name = metric_label(metric)  # readable on screen; the report keeps the key
    sk, pt = c.models["sklearn"], c.models["pytorch"]
    split, training, config = c.split, c.training, c.config
    images = c.dataset["kind"] == "images"
    network = training["network"].upper()
    if training["network"] == "cnn":
        cnn = config["cnn"]
        learned = (f"{cnn['blocks']} convolution block(s) of {cnn['kernel_size']}x{cnn['kernel_size']} filters learn their own "
                   f"features (edges, strokes, then parts) wherever they sit in the image")
    elif training["network"] == "text":
        text, width = config["text"], config["mlp"]["width"]
        encoder = {"bag": "averaged", "conv": "read three at a time by a convolution",
                   "transformer": "read together by a self-attention layer"}.get(text["encoder"], text["encoder"])
        learned = (f"each word gets a vector of {text['embedding_dim']} numbers, learned from these rows alone, {encoder}, then "
                   f"{text['layers']} hidden layer(s) of {width} units: the network learns what the words are like")
    else:
        mlp = config["mlp"]
        learned = (f"{mlp['hidden_layers']} hidden layer(s) of {mlp['width']} units learn a new representation of the "
                   f"{c.dataset['features']} inputs before the last layer decides")
    hog = c.baseline_scores.get("family") == "hog"
    baseline_sees = ("HOG descriptors: gradient directions counted in fixed cells, features made by hand" if hog
                     else "fixed pixel positions" if images
                     else "TF-IDF counts of its words and character n-grams: words you counted" if c.dataset.get("text_columns")
                     else "the features as given")
    train = config["train"]
    stop = f"stopped early after {training['epochs_run']}" if training["stopped_early"] else f"ran all {training['epochs_run']}"
    return [
        ("Old skill", f"{sk.name}().fit(X, y) then predict(X): {sk.metrics[metric]:.3f} {name} here, fitted in "
                      f"{seconds(sk.fit_seconds)} on {baseline_sees}."),
        ("Same skeleton", f"data -> model -> loss/metric -> improvement -> error analysis: both sides got the same "
                          f"{split['train']} training rows, picked settings on the same {split['val']} validation rows and "
                          f"were scored once on the same {split['test']} test rows."),
        ("New capability", f"In the PyTorch {network}, {learned}: {pt.metrics[metric]:.3f} {name} "
                           f"({pt.metrics[metric] - sk.metrics[metric]:+.3f} against scikit-learn), with {pt.parameters:,} weights."),
        ("New control", f"Bridge wrote out what fit() hides: forward pass, loss, backward pass and an Adam step at learning rate "
                        f"{train['lr']:g} on batches of {train['batch_size']}, on the {training['device'].upper()}; the loop "
                        f"{stop} of {train['epochs']} epochs and kept the checkpoint of epoch {training['best_epoch']}."),
        ("Next action", c.recommendation.get("next_action") or "Read the Recommendation page."),
    ]
