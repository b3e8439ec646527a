"""The command line: ``python -m bridge datasets`` and ``python -m bridge compare DATA``.

Bad input exits 2 with one line on stderr that starts with ``error:``; a
traceback only appears with BRIDGE_DEBUG=1 set, for Bridge's own bugs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from bridge.cli_checks import check_against_data, check_device, check_outputs, check_tuning, parse_executor
from bridge.config import CLASS_WEIGHTS, TASKS, TEXT_ENCODERS, CNNConfig, CompareConfig, MLPConfig, TextConfig, TrainConfig, TuneConfig
from bridge.errors import BridgeError
from bridge.io import limits
from bridge.io.limits import MAX_ROWS
from bridge.models.classical import BASELINE_CHOICES

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one ``error:`` line, like every other bad input."""

    def error(self, message):
        raise BridgeError(f"{message}; see '{self.prog} --help'")


def _int_in(low: int, high: int | None = None, why: str = ""):
    """An argparse type: a whole number from ``low`` to ``high``, refused with the range (and why) otherwise."""
    def parse(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:,}{why}, got {value:,}")
        return value

    parse.__name__ = "integer"  # argparse names the type in "invalid integer value: 'many'"
    return parse


def _float_in(low: float, high: float, low_open: bool = False, high_open: bool = False):
    """An argparse type: a finite number in the range (NaN fails every comparison, so it is refused too)."""
    def parse(text: str) -> float:
        value = float(text)
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        if not (above and below):
            raise argparse.ArgumentTypeError(f"must be in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}, got {value}")
        return value

    parse.__name__ = "number"
    return parse


def _device(text: str) -> str:
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"must be auto, cpu or cuda (cuda:N for one GPU), got '{text}'")
    return text


def _executor(text: str) -> str:
    try:
        return parse_executor(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _column_names(text: str) -> tuple[str, ...]:
    """An argparse type: ``a,b`` -> ("a", "b"); blanks around a name are dropped, an empty list is refused."""
    names = tuple(name.strip() for name in text.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"give column names separated by commas, got '{text}' (--no-text switches text off)")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bridge", description="Does this dataset need scikit-learn's simplicity or PyTorch's control?")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("datasets", help="list the built-in datasets")
    runs = commands.add_parser("runs", help="list the runs the app stored (under BRIDGE_HOME)")
    runs.add_argument("--clear", action="store_true", help="remove every finished run and the uploads no run uses")
    compare = commands.add_parser("compare", help="compare scikit-learn and PyTorch on DATA")
    compare.add_argument("data", metavar="DATA", help="a CSV, an image folder or .zip of one, or a built-in dataset name")
    add = compare.add_argument
    add("--target", help="target column (default: guessed from the column names and contents; the first output line says which and why)")
    add("--task", choices=TASKS, default="auto", help="default: detected from the target")
    add("--baseline", choices=BASELINE_CHOICES, default="auto", help="scikit-learn model (auto: best on validation; hog: images only)")
    add("--class-weight", choices=CLASS_WEIGHTS, default=CompareConfig.class_weight,
        help="classification on both sides: balanced weighs classes by 1/count (auto: tried on imbalanced classes, kept if better on validation)")
    add("--hidden-layers", type=_int_in(0, limits.MAX_HIDDEN_LAYERS), default=MLPConfig.hidden_layers, help="MLP hidden layers")
    add("--width", type=_int_in(1, limits.MAX_WIDTH), default=MLPConfig.width, help="units per hidden layer")
    add("--dropout", type=_float_in(0, 1, high_open=True), default=MLPConfig.dropout)
    add("--lr", type=_float_in(0, limits.MAX_LR, low_open=True), default=TrainConfig.lr, help="Adam learning rate")
    add("--epochs", type=_int_in(1, limits.MAX_EPOCHS, " (with --patience 0 every epoch runs)"), default=TrainConfig.epochs)
    add("--batch-size", type=_int_in(1, limits.MAX_BATCH_SIZE), default=TrainConfig.batch_size)
    add("--patience", type=_int_in(0, limits.MAX_EPOCHS), default=TrainConfig.patience, help="early stopping; 0 turns it off")
    add("--weight-decay", type=_float_in(0, limits.MAX_WEIGHT_DECAY), default=TrainConfig.weight_decay, help="L2 penalty; 0 turns it off")
    add("--device", type=_device, default="auto", help="auto (CUDA when present), cpu or cuda")
    add("--network", choices=["auto", "mlp", "cnn", "text"], default="auto",
        help="auto: MLP for tables, CNN for images, the text network where text columns are used")
    add("--blocks", type=_int_in(1, limits.MAX_BLOCKS), default=CNNConfig.blocks,
        help="CNN conv blocks (each halves the image: at most log2(image side) + 1)")
    add("--channels", type=_int_in(1, limits.MAX_CHANNELS), default=CNNConfig.channels, help="CNN channels of the first block (doubling)")
    add("--kernel-size", type=int, choices=limits.KERNEL_SIZES, default=CNNConfig.kernel_size, help="CNN kernel size (odd)")
    add("--pooling", choices=["max", "avg"], default=CNNConfig.pooling)
    add("--cnn-dropout", type=_float_in(0, 1, high_open=True), default=CNNConfig.dropout)
    add("--no-batch-norm", action="store_true", help="CNN without batch normalisation")
    add("--augment", action="store_true", help="CNN training with small random shifts")
    text_choice = compare.add_mutually_exclusive_group()
    text_choice.add_argument("--text-columns", type=_column_names, metavar="COL[,COL...]",
                             help="read exactly these columns as free text (default: the columns that look like free text)")
    text_choice.add_argument("--no-text", action="store_true", help="use no column as text (free-text columns are left out)")
    add("--text-encoder", choices=TEXT_ENCODERS, default=TextConfig.encoder,
        help="text network: bag (mean of word vectors), conv (phrases of 3 words) or transformer (one self-attention layer)")
    add("--embedding-dim", type=_int_in(1, limits.MAX_EMBEDDING_DIM), default=TextConfig.embedding_dim, help="numbers per word vector")
    add("--text-layers", type=_int_in(0, limits.MAX_HIDDEN_LAYERS), default=TextConfig.layers,
        help="hidden layers between the text vectors and the output (of --width units; 0: fastText's shape)")
    add("--max-tokens", type=_int_in(1, limits.MAX_TOKENS), default=TextConfig.max_tokens,
        help="words the network reads per text (the rest is cut off; TF-IDF counts them all)")
    add("--vocabulary", type=_int_in(10, limits.MAX_VOCABULARY), default=TextConfig.vocabulary,
        help="most frequent training words kept, for the network and TF-IDF alike")
    add("--image-size", type=_int_in(limits.MIN_IMAGE_SIDE, limits.MAX_IMAGE_SIDE, " pixels a side (memory grows with its square)"),
        help=f"resize images to this square size, {limits.MIN_IMAGE_SIDE} to {limits.MAX_IMAGE_SIDE} (default: from the data, at most 64)")
    add("--max-rows", type=_int_in(1), help=f"CSV rows to keep; a longer file is sampled at random, with a note (default {MAX_ROWS:,})")
    add("--seed", type=_int_in(0, limits.MAX_SEED), default=0)
    add("--repeats", type=_int_in(1, limits.MAX_REPEATS), default=CompareConfig.repeats,
        help="seeds to run both sides over when the data is small enough (1: one run)")
    add("--json", metavar="OUT", help="write the full JSON report to OUT")
    add("--checkpoint", metavar="PT", help="save the best PyTorch epoch (weights + config) to PT")
    add("--export", metavar="DIR", help="write standalone train_sklearn.py / train_pytorch.py, the checkpoint, the fitted "
        "scikit-learn pipeline, HTML and JSON reports, a README and a MANIFEST.json to DIR, whole: DIR must be new, empty "
        "or a previous export, which is replaced")
    add("--quiet", action="store_true", help="no per-epoch progress on stderr")
    _add_tune_options(compare)
    return parser


def _add_tune_options(compare: argparse.ArgumentParser) -> None:
    tune = compare.add_argument_group("tune mode", "both sides searched with the same budget, each trial scored on the validation "
                                      "rows; each side's best is scored on the test rows once")
    budget = tune.add_mutually_exclusive_group()
    budget.add_argument("--tune", type=_int_in(1, limits.MAX_TUNE_TRIALS), metavar="TRIALS", help="trials per side")
    budget.add_argument("--tune-minutes", type=_float_in(0, limits.MAX_TUNE_MINUTES, low_open=True), metavar="M",
                        help="wall clock of the search, split equally between the sides")
    tune.add_argument("--executor", type=_executor, help="where trials run: local (a process pool here) or dask://HOST:PORT "
                      "(an existing Dask scheduler); default: BRIDGE_EXECUTOR, else local")
    tune.add_argument("--tune-workers", type=_int_in(1, limits.MAX_TUNE_WORKERS), metavar="N",
                      help="processes of the local pool, one thread each (default: the cores)")
    tune.add_argument("--study-storage", metavar="URL", help="keep the Optuna studies in this database, e.g. sqlite:///studies.db "
                      "(default: in memory; the JSON report holds every trial either way)")


def config_from_args(args: argparse.Namespace) -> CompareConfig:
    return CompareConfig(
        target=args.target,
        task=args.task,
        baseline=args.baseline,
        class_weight=args.class_weight,
        mlp=MLPConfig(hidden_layers=args.hidden_layers, width=args.width, dropout=args.dropout),
        network=args.network,
        cnn=CNNConfig(blocks=args.blocks, channels=args.channels, kernel_size=args.kernel_size, pooling=args.pooling,
                      dropout=args.cnn_dropout, batch_norm=not args.no_batch_norm, augment=args.augment),
        train=TrainConfig(lr=args.lr, epochs=args.epochs, batch_size=args.batch_size, patience=args.patience,
                          weight_decay=args.weight_decay, device=args.device),
        text=TextConfig(encoder=args.text_encoder, embedding_dim=args.embedding_dim, layers=args.text_layers, max_tokens=args.max_tokens,
                        vocabulary=args.vocabulary),
        text_columns=() if args.no_text else args.text_columns,
        tune=TuneConfig(trials=args.tune or 0, minutes=args.tune_minutes or 0.0, executor=args.executor or "auto",
                        workers=args.tune_workers or 0, storage=args.study_storage),
        seed=args.seed,
        repeats=args.repeats,
    )


def cmd_datasets() -> None:
    from bridge.io.data import BUILTINS, load_builtin
    from bridge.problem.table import make_problem

    print(f"{'name':<16} {'kind':<7} {'rows':>6} {'columns':>8}  {'task':<15} {'target':<18} description")
    for name, entry in BUILTINS.items():
        dataset = load_builtin(name)
        if dataset.images is not None:
            shape = "x".join(map(str, dataset.images.images.shape[1:]))
            task, columns = "classification", shape
        else:
            task, columns = make_problem(dataset.frame, None, "auto", entry.target).task, str(len(dataset.columns))
        print(f"{name:<16} {dataset.kind:<7} {dataset.rows:>6} {columns:>8}  {task:<15} {entry.target:<18} {entry.description}")


def cmd_compare(args: argparse.Namespace) -> None:
    from bridge.experiment import run_comparison
    from bridge.io.data import load_dataset
    from bridge.outputs.report import summary, write_json
    from bridge.outputs.tuning_text import tuning_summary
    from bridge.problem.target_guess import target_line

    config = config_from_args(args)
    config.validate()  # the parser checked each option; this checks them together (seed + repeats)
    check_outputs(args)
    check_device(config.train.device)
    check_tuning(args, config)
    dataset = load_dataset(args.data, image_size=args.image_size, max_rows=args.max_rows)
    check_against_data(dataset, config)
    print(target_line(dataset, args.target))  # first, so a guessed target never trains without a word

    def progress(step):
        if args.quiet:
            return
        if step.epoch is not None:
            e = step.epoch
            print(f"  epoch {e.epoch:>3}/{e.epochs}  train loss {e.train_loss:.4f}  val loss {e.val_loss:.4f}  "
                  f"val score {e.val_score:.3f}", file=sys.stderr)
        else:
            print(f"[{step.fraction:4.0%}] {step.message}", file=sys.stderr)

    comparison = run_comparison(dataset, config, on_progress=progress)
    print(summary(comparison))
    if comparison.tuning:
        print("\n" + tuning_summary(comparison.tuning, comparison.metric))
    if args.json:
        write_json(comparison, args.json)
        print(f"\nWrote the JSON report to {args.json}")
    if args.checkpoint:
        comparison.models["pytorch"].artifact.save_checkpoint(args.checkpoint)
        print(f"Saved the PyTorch checkpoint to {args.checkpoint}")
    if args.export:
        from bridge.outputs.export import write_export

        written = write_export(comparison, args.export)
        print(f"Exported {len(written)} files to {args.export}: see its README.md")


def cmd_runs(args: argparse.Namespace) -> None:
    """The store's runs, newest first; the token is what ``?run=`` takes to open one in the app."""
    from datetime import datetime

    from bridge.jobs import RunStore

    store = RunStore()
    if args.clear:
        print(f"Removed {store.clear()} finished run(s) from {store.home}")
        return
    runs = store.all_runs()
    print(f"{len(runs)} run(s) in {store.home} ({store.total_bytes() / 2**20:.1f} MiB of {store.max_bytes / 2**20:.0f} MiB)")
    if runs:
        print(f"{'created':<16}  {'state':<9}  {'dataset':<24}  {'scikit-learn':>12}  {'PyTorch':>8}  {'verdict':<9}  {'seconds':>7}  token")
    for run in runs:
        s = run.summary
        scores = (f"{s['sklearn']:.3f}", f"{s['pytorch']:.3f}") if s else ("", "")
        seconds = f"{run.seconds:.1f}" if run.seconds is not None else ""
        print(f"{datetime.fromtimestamp(run.created):%Y-%m-%d %H:%M}  {run.state:<9}  {run.dataset_name[:24]:<24}  {scores[0]:>12}  "
              f"{scores[1]:>8}  {s.get('verdict', ''):<9}  {seconds:>7}  {run.token}")


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "datasets":
            cmd_datasets()
        elif args.command == "runs":
            cmd_runs(args)
        else:
            cmd_compare(args)
    except BridgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # an output path that cannot be written, a disk that is full
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}; check the path and try again", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in Bridge: one line unless debugging
        if os.environ.get("BRIDGE_DEBUG"):
            raise
        print(f"error: internal error ({type(exc).__name__}: {exc}); rerun with BRIDGE_DEBUG=1 and report it", file=sys.stderr)
        return 1
    return 0
