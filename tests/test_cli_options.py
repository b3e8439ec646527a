"""Every bad option and output path is refused with exit 2 and one ``error:`` line, before any training.

Training is replaced by a function that fails the test if called, so a check that only fires after
the fit (as --kernel-size 2 and --blocks 100 used to) shows up as a failure, not as a slow pass.
Options that can be judged without data are also refused before the data is read.
"""

from __future__ import annotations

import pytest
from files import single_error_line

from bridge.cli import EXIT_BAD_INPUT, build_parser, config_from_args, main
from bridge.config import CompareConfig, MLPConfig, TrainConfig
from bridge.errors import BridgeError
from bridge.io import limits
from bridge.outputs import atomic


@pytest.fixture
def no_training(monkeypatch):
    """Loading is allowed (counted), training is not: a call means the check came too late."""
    from bridge.io import data

    loads = []
    real_load = data.load_dataset

    def load(*args, **kwargs):
        loads.append(args)
        return real_load(*args, **kwargs)

    def train(*args, **kwargs):
        raise AssertionError("training started before the options were checked")

    monkeypatch.setattr(data, "load_dataset", load)
    monkeypatch.setattr("bridge.experiment.run_comparison", train)
    return loads


def _previous_export(folder, extra: str | None = None):
    folder.mkdir()
    files = {"README.md": b"# an export\n", "report.json": b"{}"}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / atomic.MANIFEST).write_bytes(atomic.manifest_bytes(files))
    if extra:
        (folder / extra).write_text("mine")
    return folder


OPTIONS = {  # id: (extra arguments, words the error line must hold)
    "seed-negative": (["--seed", "-1"], "argument --seed: must be at least 0"),
    "seed-too-big": (["--seed", str(2**32)], "argument --seed: must be at most 4,294,967,295"),
    "seed-plus-repeats": (["--seed", str(2**32 - 1), "--repeats", "3"], "use a smaller seed or fewer repeats"),
    "seed-word": (["--seed", "one"], "argument --seed: invalid integer value: 'one'"),
    "width-huge": (["--width", "100000"], "argument --width: must be at most 4,096"),
    "width-zero": (["--width", "0"], "argument --width: must be at least 1"),
    "hidden-layers": (["--hidden-layers", "50"], "argument --hidden-layers: must be at most 10"),
    "channels": (["--channels", "100000"], "argument --channels: must be at most 256"),
    "blocks-100": (["--blocks", "100"], "argument --blocks: must be at most 5"),
    "blocks-0": (["--blocks", "0"], "argument --blocks: must be at least 1"),
    "kernel-even": (["--kernel-size", "2"], "argument --kernel-size: invalid choice: 2 (choose from 1, 3, 5, 7)"),
    "batch-size": (["--batch-size", "1000000000"], "argument --batch-size: must be at most 65,536"),
    "epochs-endless": (["--epochs", "10000000", "--patience", "0"], "argument --epochs: must be at most 10,000"),
    "patience": (["--patience", "1000000"], "argument --patience: must be at most 10,000"),
    "repeats": (["--repeats", "1000"], "argument --repeats: must be at most 20"),
    "image-size-big": (["--image-size", "512"], "argument --image-size: must be at most 256 pixels a side"),
    "image-size-small": (["--image-size", "2"], "argument --image-size: must be at least 8"),
    "weight-decay-negative": (["--weight-decay", "-0.1"], "argument --weight-decay: must be in [0, 1]"),
    "weight-decay-nan": (["--weight-decay", "nan"], "argument --weight-decay: must be in [0, 1]"),
    "lr-zero": (["--lr", "0"], "argument --lr: must be in (0, 10]"),
    "lr-inf": (["--lr", "inf"], "argument --lr: must be in (0, 10]"),
    "dropout-one": (["--dropout", "1"], "argument --dropout: must be in [0, 1)"),
    "cnn-dropout-nan": (["--cnn-dropout", "nan"], "argument --cnn-dropout: must be in [0, 1)"),
    "max-rows-zero": (["--max-rows", "0"], "argument --max-rows: must be at least 1"),
    "device-unknown": (["--device", "tpu"], "argument --device: must be auto, cpu or cuda"),
    "checkpoint-is-folder": (["--checkpoint", "{tmp}"], "it is a folder, not a file"),
    "json-is-folder": (["--json", "{tmp}"], "it is a folder, not a file"),
    "json-folder-missing": (["--json", "{tmp}/no/such/r.json"], "does not exist; create it or choose another path"),
    "checkpoint-folder-missing": (["--checkpoint", "{tmp}/no/such/m.pt"], "does not exist; create it or choose another path"),
    "export-is-file": (["--export", "{tmp}/a_file"], "cannot export to"),
    "export-folder-missing-parent": (["--export", "{tmp}/no/such/out"], "does not exist"),
    "export-not-bridge": (["--export", "{tmp}/theirs"], "is not a Bridge export"),
    "export-with-user-files": (["--export", "{tmp}/previous_with_mine"], "files it did not write (best.pt)"),
    "json-blank": (["--json", ""], "the path given for the --json output is blank"),
    "export-blank": (["--export", " "], "the path given for the export is blank"),
    "json-and-checkpoint-same": (["--json", "{tmp}/same", "--checkpoint", "{tmp}/same"], "both name"),
    "json-overwrites-data": (["--json", "{tmp}/data.csv"], "is the data file itself"),
    "json-inside-export": (["--json", "{tmp}/previous/r.json", "--export", "{tmp}/previous"], "inside the --export folder"),
    "text-columns-blank": (["--text-columns", " "], "argument --text-columns: give column names separated by commas"),
    "text-columns-empty-name": (["--text-columns", "a,,b"], "argument --text-columns: give column names separated by commas"),
    "text-columns-and-no-text": (["--text-columns", "x", "--no-text"], "argument --no-text: not allowed with argument --text-columns"),
    "text-encoder": (["--text-encoder", "rnn"], "argument --text-encoder: invalid choice: 'rnn'"),
    "embedding-dim-huge": (["--embedding-dim", "100000"], "argument --embedding-dim: must be at most 512"),
    "embedding-dim-zero": (["--embedding-dim", "0"], "argument --embedding-dim: must be at least 1"),
    "text-layers": (["--text-layers", "11"], "argument --text-layers: must be at most 10"),
    "max-tokens": (["--max-tokens", "5000"], "argument --max-tokens: must be at most 1,024"),
    "vocabulary-tiny": (["--vocabulary", "3"], "argument --vocabulary: must be at least 10"),
    "vocabulary-huge": (["--vocabulary", "10000000"], "argument --vocabulary: must be at most 100,000"),
    "network-rnn": (["--network", "rnn"], "argument --network: invalid choice: 'rnn'"),
}


@pytest.mark.parametrize(("argv", "message"), list(OPTIONS.values()), ids=list(OPTIONS))
def test_bad_option_exits_2_before_reading_or_training(argv, message, tmp_path, no_training, capsys):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("someone else's")
    (tmp_path / "data.csv").write_text("x,y\n1,a\n2,b\n")
    _previous_export(tmp_path / "previous")
    _previous_export(tmp_path / "previous_with_mine", extra="best.pt")
    argv = ["compare", str(tmp_path / "data.csv"), *(a.format(tmp=tmp_path) for a in argv), "--quiet"]
    assert main(argv) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert message in single_error_line(captured.err)
    assert captured.out == ""
    assert no_training == []  # refused before the data was read
    assert not list(tmp_path.glob(".*partial*")) and not list(tmp_path.glob("*/.*partial*"))  # no temporary left behind


DATA_BOUNDS = {  # bounds that depend on the data: checked right after loading it, still before any fit
    "blocks-past-image": (["digits_images", "--blocks", "5"], "--blocks 5 is more than 8x8 images allow"),
    "blocks-past-resized": (["digits_images", "--blocks", "5", "--image-size", "8"], "use --blocks 4 or fewer"),
    "cnn-on-a-table": (["iris", "--network", "cnn"], "--network cnn needs images"),
    "cnn-batch-of-one": (["digits_images", "--batch-size", "1"], "--batch-size 1 cannot train a CNN with batch normalisation"),
    "text-net-on-images": (["digits_images", "--network", "text"], "--network text reads text columns, and this data is images"),
    "text-columns-on-images": (["digits_images", "--text-columns", "x"], "--text-columns names columns of a table"),
    "text-column-missing": (["iris", "--text-columns", "species,notes"], "--text-columns: no column 'notes' in this data"),
    "text-net-without-text": (["iris", "--network", "text"], "--network text needs a text column, and none looks like free text"),
    "text-net-with-no-text": (["packages", "--network", "text", "--no-text"], "--network text reads text columns, and --no-text"),
    "mlp-on-text": (["packages", "--network", "mlp"], "--network mlp cannot read the text column(s) description"),
}


@pytest.mark.parametrize(("argv", "message"), list(DATA_BOUNDS.values()), ids=list(DATA_BOUNDS))
def test_data_dependent_bounds_exit_2_before_training(argv, message, no_training, capsys):
    assert main(["compare", *argv, "--quiet"]) == EXIT_BAD_INPUT
    assert message in single_error_line(capsys.readouterr().err)
    assert len(no_training) == 1


def test_an_empty_folder_and_a_previous_export_are_fine_targets(tmp_path, no_training, capsys):
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "empty", _previous_export(tmp_path / "previous")):
        assert main(["compare", "iris", "--export", str(target), "--quiet"]) == 1  # got as far as training
        assert "training started before the options were checked" in capsys.readouterr().err


def test_the_bounds_themselves_are_accepted():
    args = build_parser().parse_args(["compare", "x.csv", "--seed", str(limits.MAX_SEED), "--width", str(limits.MAX_WIDTH),
                                      "--epochs", str(limits.MAX_EPOCHS), "--image-size", "256", "--kernel-size", "7",
                                      "--weight-decay", "0", "--repeats", "1", "--device", "cuda:1"])
    config = config_from_args(args)
    config.validate()
    assert (config.seed, config.mlp.width, config.train.epochs, args.image_size) == (2**32 - 1, 4096, 10_000, 256)


def test_the_text_bounds_themselves_are_accepted():
    args = build_parser().parse_args(["compare", "x.csv", "--embedding-dim", str(limits.MAX_EMBEDDING_DIM), "--text-layers", "0",
                                      "--max-tokens", str(limits.MAX_TOKENS), "--vocabulary", str(limits.MAX_VOCABULARY)])
    config = config_from_args(args)
    config.validate()
    assert (config.text.embedding_dim, config.text.layers, config.text.max_tokens, config.text.vocabulary) == (512, 0, 1024, 100_000)
    assert config_from_args(build_parser().parse_args(["compare", "x.csv", "--vocabulary", "10"])).text.vocabulary == 10


def test_the_tune_bounds_themselves_are_accepted():
    args = build_parser().parse_args(["compare", "x.csv", "--tune", str(limits.MAX_TUNE_TRIALS), "--tune-workers", str(limits.MAX_TUNE_WORKERS),
                                      "--executor", "dask://[::1]:65535"])
    config = config_from_args(args)
    config.validate()
    assert (config.tune.trials, config.tune.workers, config.tune.executor) == (500, 64, "dask://[::1]:65535")
    config = config_from_args(build_parser().parse_args(["compare", "x.csv", "--tune-minutes", str(limits.MAX_TUNE_MINUTES)]))
    config.validate()
    assert config.tune.minutes == 1440 and config.tune.on


def test_a_text_column_the_user_marks_passes_the_checks(no_training, capsys):
    """iris has no free text, but a column the user names is read as text: the checks let it through to training."""
    assert main(["compare", "iris", "--text-columns", "species", "--target", "petal length (cm)", "--network", "text", "--quiet"]) == 1
    assert "training started before the options were checked" in capsys.readouterr().err


def test_the_parser_reads_the_limits_when_built(monkeypatch):
    monkeypatch.setattr(limits, "MAX_WIDTH", 64)
    with pytest.raises(BridgeError, match="--width: must be at most 64"):
        build_parser().parse_args(["compare", "x.csv", "--width", "65"])


@pytest.mark.parametrize(("config", "message"), [
    (CompareConfig(mlp=MLPConfig(width=100_000)), "width 100000 is out of range; use 1 to 4,096"),
    (CompareConfig(seed=-1), "seed -1 is out of range"),
    (CompareConfig(train=TrainConfig(weight_decay=-1.0)), "weight decay -1.0 is out of range"),
    (CompareConfig(train=TrainConfig(lr=float("nan"))), "learning rate nan is out of range"),
    (CompareConfig(train=TrainConfig(epochs=10_000_000, patience=0)), "epochs 10000000 is out of range"),
    (CompareConfig(network="rnn"), "network 'rnn' is unknown"),
])
def test_config_validate_names_the_setting_and_its_range(config, message):
    """The same bounds for callers other than the CLI (the app, a notebook)."""
    with pytest.raises(BridgeError, match=message.replace("(", r"\(")):
        config.validate()
    CompareConfig().validate()  # the defaults pass
