"""Benchmarks that print ratios measured in one run: ``python -m benchmarks.bench [--scale] [--app] [--tune]``.

Every target is a ratio between two timings taken back to back on the same
machine, so a shared, noisy machine slows both sides alike. Each timing is
the median of five repeats after one warm-up, the contestants taking turns.

Targets (from the performance issue):
- Bridge's MLP fit <= 0.8x scikit-learn's MLPClassifier and <= 1.1x a bare hand-written loop
- Bridge's CNN fit on digits <= 1.1x a bare hand-written loop
- a rerun of the same settings in the app < 0.5 s, without retraining (``--app``: benchmarks/bench_rerun.py)
- load + compare time about linear in rows (10k, 100k, 1M), peak memory <= 3x the loaded table (``--scale``: bench_scale.py)
- the served app (``--serve``: bench_serve.py, Chromium): eight image-zip uploads add <= 512 MiB to the server, which
  stays within 256 MiB of its start once the sessions end; four Runs at once <= 1.3x the same four one after another
- the private optimizer call (``--optimizer``): LeanAdam stays only while torch.optim.Adam(fused=True) makes Bridge's
  MLP fit >= 1.1x slower; foreach and for-loop Adam are timed too, and the first optimizer of a new process
- tune mode (``--tune``: bench_tune.py): trials per minute on the local pool with 1, 2 and 4 workers (the scaling curve),
  and ``compare --tune 20`` on breast_cancer within 10x a default compare
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn

from bridge.config import CNNConfig, MLPConfig, TrainConfig
from bridge.models.training import NeuralEstimator, resolve_device

ROWS, FEATURES, CLASSES, WIDTH, BATCH, EPOCHS, LR = 20_000, 30, 3, 64, 64, 10, 1e-3
LEAN_ADAM_EARNS_ITS_PLACE = 1.1  # torch's fused Adam must make the fit this much slower for the private kernel call to stay


def mlp_data(seed: int = 0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=ROWS + ROWS // 5, n_features=FEATURES, n_informative=12, n_classes=CLASSES, random_state=seed)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    return X[:ROWS], y[:ROWS].astype(str), X[ROWS:], y[ROWS:].astype(str)


def median_times(fns: dict, repeats: int) -> dict:
    """Median seconds of each function, with the repeats interleaved (a, b, c, a, b, c, ...).

    On a shared machine the background load drifts; taking turns exposes every contestant to
    the same drift, so the ratios compare like with like.
    """
    for fn in fns.values():
        fn()  # warm-up: first-call allocations and kernel choices are not the steady cost
    times: dict = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def bare_loop(model: nn.Module, X, y, X_val, y_val, epochs: int, batch: int, lr: float, seed: int = 0) -> None:
    """The reference: the plainest correct PyTorch loop doing the same work (train steps + a validation pass per epoch)."""
    torch.manual_seed(seed)
    device = resolve_device("auto")
    model = model.to(device)
    X, y = torch.as_tensor(X, device=device), torch.as_tensor(y, device=device)
    X_val, y_val = torch.as_tensor(X_val, device=device), torch.as_tensor(y_val, device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(X), device=device)
        for start in range(0, len(X), batch):
            rows = order[start : start + batch]
            loss = loss_fn(model(X[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            loss_fn(model(X_val), y_val).item()


def bench_mlp(repeats: int) -> dict:
    from sklearn.neural_network import MLPClassifier

    X, y, X_val, y_val = mlp_data()
    classes = sorted(set(y))
    y_idx = np.array([classes.index(v) for v in y])
    yv_idx = np.array([classes.index(v) for v in y_val])

    def sklearn_fit():
        MLPClassifier(hidden_layer_sizes=(WIDTH, WIDTH), batch_size=BATCH, max_iter=EPOCHS, learning_rate_init=LR, alpha=0.0,
                      tol=0.0, n_iter_no_change=EPOCHS + 1, shuffle=True, random_state=0).fit(X, y)

    def bridge_fit():
        NeuralEstimator("classification", "mlp", MLPConfig(hidden_layers=2, width=WIDTH, dropout=0.0),
                        train=TrainConfig(lr=LR, epochs=EPOCHS, batch_size=BATCH, patience=0, weight_decay=0.0)).fit(X, y, X_val, y_val)

    def bare_fit():
        model = nn.Sequential(nn.Linear(FEATURES, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, CLASSES))
        bare_loop(model, X, y_idx, X_val, yv_idx, EPOCHS, BATCH, LR)

    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return median_times({"sklearn_mlp": sklearn_fit, "bridge_mlp": bridge_fit, "bare_mlp": bare_fit}, repeats)


def bench_cnn(repeats: int) -> dict:
    from bridge.io.images import images_from_digits
    from bridge.models.cnn import CNN

    digits = images_from_digits()
    X, labels = digits.floats(), digits.labels
    classes = sorted(set(labels))
    y = np.array([classes.index(v) for v in labels])
    cut = int(0.8 * len(X))
    config, epochs = CNNConfig(), 5

    def bridge_fit():
        NeuralEstimator("classification", "cnn", cnn=config, train=TrainConfig(epochs=epochs, batch_size=64, patience=0, weight_decay=0.0)
                        ).fit(X[:cut], labels[:cut], X[cut:], labels[cut:])

    def bare_fit():
        bare_loop(CNN(1, 8, len(classes), config), X[:cut], y[:cut], X[cut:], y[cut:], epochs, 64, 1e-3)

    return median_times({"bridge_cnn": bridge_fit, "bare_cnn": bare_fit}, repeats)


def bench_optimizers(repeats: int) -> dict:
    """Bridge's MLP fit (as in bench_mlp) with each Adam: LeanAdam, and torch.optim.Adam fused, foreach and for-loop.

    Only the optimizer changes: training.make_optimizer is swapped for the fit, so the data, batches and thread
    choice are the loop's own. The timings are steady state (after a warm-up); first_optimizer_seconds adds what
    the first optimizer of a process costs, once per training process.
    """
    from unittest import mock

    from bridge.models import optim, training

    X, y, X_val, y_val = mlp_data()
    contestants = {
        "adam_fused": lambda model, lr, wd, device: torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd, fused=True),
        "adam_foreach": lambda model, lr, wd, device: torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd, foreach=True),
        "adam_for_loop": lambda model, lr, wd, device: torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd, foreach=False),
    }
    if optim.lean_adam_problem() is None:  # else this torch's kernel failed the check: LeanAdam is not used, so not timed
        contestants = {"lean_adam": lambda model, lr, wd, device: optim.LeanAdam(model.parameters(), lr=lr, weight_decay=wd), **contestants}

    def fit_with(make):
        def fit():
            with mock.patch.object(training, "make_optimizer", make):
                NeuralEstimator("classification", "mlp", MLPConfig(hidden_layers=2, width=WIDTH, dropout=0.0),
                                train=TrainConfig(lr=LR, epochs=EPOCHS, batch_size=BATCH, patience=0, weight_decay=0.0)).fit(X, y, X_val, y_val)
        return fit

    return median_times({name: fit_with(make) for name, make in contestants.items()}, repeats)


def first_optimizer_seconds(repeats: int = 3) -> dict:
    """Seconds to build and step the first optimizer in a new Python process that has imported torch, median of repeats.

    Every Run trains in a worker process of its own, so this is paid once per run: torch.optim's optimizers import
    torch._dynamo on first construction; make_optimizer's LeanAdam, with its check, does not.
    """
    import subprocess
    from pathlib import Path

    makers = {"lean_adam": "make_optimizer(model, 1e-3, 0.0, torch.device('cpu'))",
              "adam_fused": "torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)"}
    script = ("import time, torch\nfrom bridge.models.optim import make_optimizer\nmodel = torch.nn.Linear(30, 64)\n"
              "model(torch.ones(1, 30)).sum().backward()\nstart = time.perf_counter()\noptimizer = {}\noptimizer.step()\n"
              "print(type(optimizer).__name__, time.perf_counter() - start)")
    times: dict = {name: [] for name in makers}
    for _ in range(repeats):
        for name, maker in makers.items():
            out = subprocess.run([sys.executable, "-c", script.format(maker)], capture_output=True, text=True, check=True,
                                 cwd=Path(__file__).resolve().parent.parent).stdout.split()
            times[name].append(float(out[-1]))
    return {name: statistics.median(values) for name, values in times.items()}


def report_optimizers(times: dict, first: dict) -> None:
    steps = EPOCHS * -(-ROWS // BATCH)
    print(f"optimizer: Bridge's MLP fit ({steps:,} Adam steps) with each Adam")
    lean = times.get("lean_adam")
    for name, seconds in times.items():
        versus = f"  {seconds / lean:5.2f}x LeanAdam  ({(seconds - lean) / steps * 1e6:+.0f} us a step)" if lean and name != "lean_adam" else ""
        print(f"  {name:<14} {seconds:8.3f} s{versus}")
    for name, seconds in first.items():
        print(f"  first {name} in a new process: {seconds:.3f} s")
    if lean is None:
        print("  LeanAdam failed its check on this torch: training uses torch.optim.Adam(fused=True)")
        return
    ratio = times["adam_fused"] / lean
    verdict = "LeanAdam earns its place" if ratio >= LEAN_ADAM_EARNS_ITS_PLACE else "use torch.optim.Adam(fused=True) instead"
    print(f"  adam_fused / lean_adam {ratio:.2f}x (keep LeanAdam at >= {LEAN_ADAM_EARNS_ITS_PLACE}x): {verdict}")


def cpu_name() -> str:
    """The processor as /proc/cpuinfo names it: ratios differ between hosts, so a result names its own."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each contestant, taken in turns (default 5)")
    parser.add_argument("--json", metavar="OUT", help="also write the timings and ratios as JSON")
    parser.add_argument("--scale", action="store_true", help="also time load + compare at 10k, 100k and 1M rows (about 5 minutes)")
    parser.add_argument("--app", action="store_true", help="also time a rerun in the app (runs benchmarks/bench_rerun.py; needs streamlit)")
    parser.add_argument("--optimizer", action="store_true", help="also time the MLP fit with LeanAdam and with torch's Adam "
                        "(fused, foreach, for-loop), and the first optimizer of a new process (about 2 minutes)")
    parser.add_argument("--serve", action="store_true", help="also serve the app and drive it in Chromium: memory per upload and "
                        "concurrent runs (bench_serve.py; needs streamlit, playwright and /usr/bin/chromium; about 5 minutes)")
    parser.add_argument("--tune", action="store_true", help="also time tune mode: trials per minute on the local pool with 1, 2 "
                        "and 4 workers, and compare --tune 20 against a default compare (bench_tune.py; about 2 minutes)")
    args = parser.parse_args(argv)
    device = resolve_device("auto")
    print(f"device {device.type} ({cpu_name()}), torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)
    times = {**bench_mlp(args.repeats), **bench_cnn(args.repeats)}
    ratios = {
        "mlp_vs_sklearn": (times["bridge_mlp"] / times["sklearn_mlp"], 0.8),
        "mlp_vs_bare_loop": (times["bridge_mlp"] / times["bare_mlp"], 1.1),
        "cnn_vs_bare_loop": (times["bridge_cnn"] / times["bare_cnn"], 1.1),
    }
    for name, seconds in times.items():
        print(f"{name:<14} {seconds:8.3f} s")
    for name, (ratio, target) in ratios.items():
        print(f"{name:<18} {ratio:6.2f}x  (target <= {target}x)  {'met' if ratio <= target else 'NOT met'}")
    optimizer = None
    if args.optimizer:
        optimizer = {"fit": bench_optimizers(args.repeats), "first_in_process": first_optimizer_seconds()}
        report_optimizers(optimizer["fit"], optimizer["first_in_process"])
    if args.scale:
        from benchmarks import bench_scale

        bench_scale.main([])
    if args.app:  # a child process: the core never imports streamlit
        import subprocess
        from pathlib import Path

        subprocess.run([sys.executable, str(Path(__file__).resolve().parent / "bench_rerun.py")], check=True)
    serve = None
    if args.serve:  # streamlit runs as a child process there too; this imports playwright only
        from benchmarks import bench_serve

        serve = bench_serve.measure(say=lambda line: print(line, file=sys.stderr, flush=True))
        bench_serve.report(serve)
    tune = None
    if args.tune:  # the local pool spawns processes that re-import this module: main() runs only under __main__
        from benchmarks import bench_tune

        tune = bench_tune.measure(say=lambda line: print(line, file=sys.stderr, flush=True))
        bench_tune.report(tune)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"device": device.type, "cpu": cpu_name(), "times": times, "ratios": {k: v[0] for k, v in ratios.items()},
                       **({"serve": serve} if serve is not None else {}), **({"optimizer": optimizer} if optimizer is not None else {}),
                       **({"tune": tune} if tune is not None else {})},
                      handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
