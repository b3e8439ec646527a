"""Hostile tables, round two: names that collide, targets that overflow or never end, labels too long for int64,
NUL bytes anywhere, numbers that look like formulas, and library warnings that must not reach stderr.

Each table is built in the test and tiny. Where the issue speaks of the command line, the test goes through
``bridge.cli.main``: bad input exits 2 with one ``error:`` line on stderr, good input exits 0 with a note.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from files import one_line
from tiny_data import fast_config_with

from bridge.cli import EXIT_BAD_INPUT, main
from bridge.errors import BridgeError
from bridge.experiment import run_comparison
from bridge.io import limits
from bridge.io.csv_reader import parse_csv
from bridge.io.data import Dataset, load_dataset
from bridge.outputs.safe_csv import safe_csv_bytes
from bridge.problem.table import make_problem
from bridge.warning_notes import WarningTally

FAST = ["--epochs", "2", "--repeats", "1", "--width", "8", "--hidden-layers", "1", "--baseline", "linear", "--quiet"]
BIG = 2**70  # 1180591620717411303424: a float keeps only its first 16 digits, int64 none of it

pytestmark = pytest.mark.usefixtures("nothing_escapes")


def cli(tmp_path, capsys, data: bytes | str, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "data.csv"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    code = main(["compare", str(path), *FAST, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(code: int, err: str, message: str) -> str:
    lines = err.strip().splitlines()
    assert code == EXIT_BAD_INPUT and len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    return lines[0]


def numbers(rows: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=rows), "z": rng.normal(size=rows)})


# -- 1. derived names that collide with columns ------------------------------------------------------------------


def test_a_date_part_named_like_an_existing_column_is_renamed(tmp_path, capsys):
    frame = numbers().assign(date=pd.date_range("2020-01-01", periods=40, freq="9D").strftime("%Y-%m-%d"),
                             date_month=np.arange(40) % 5, y=np.random.default_rng(1).normal(size=40))
    code, out, err = cli(tmp_path, capsys, frame.to_csv(index=False))
    assert code == 0 and err == "", err
    assert "its date part 'date_month' is named 'date_month_2', as a column 'date_month' already exists" in out


def test_a_one_hot_name_equal_to_a_column_is_renamed():
    frame = numbers().assign(color=["red", "blue"] * 20, color_red=np.arange(40.0), y=["a", "b", "b", "a"] * 10)
    frame.loc[3, "x"] = np.nan  # adds 'missingindicator_x', which a column of that name already holds
    frame["missingindicator_x"] = np.arange(40.0) % 7
    comparison = run_comparison(Dataset("t", "table", frame=frame, default_target="y"), fast_config_with(baseline="linear"))
    names = comparison.prepared.feature_names
    assert len(names) == len(set(names)) and {"color_red", "color_red_2", "missingindicator_x", "missingindicator_x_2"} <= set(names)
    assert "the derived feature 'color_red' is named 'color_red_2', as a column 'color_red' already exists" in comparison.notes


# -- 2. targets that are infinite or too large to score ----------------------------------------------------------


def test_infinite_regression_targets_are_dropped_like_blank_ones(tmp_path, capsys):
    frame = numbers().assign(y=np.linspace(1, 9, 40))
    frame.loc[[3, 7], "y"], frame.loc[9, "y"] = [np.inf, -np.inf], np.nan
    code, out, err = cli(tmp_path, capsys, frame.to_csv(index=False))
    assert code == 0 and err == "", err
    assert "dropped 1 row(s) with no value for the target 'y'" in out
    assert "dropped 2 row(s) whose target 'y' is infinite (inf or -inf)" in out


def test_a_target_whose_squares_overflow_is_refused(tmp_path, capsys):
    frame = numbers().assign(y=np.linspace(1, 9, 40))
    frame.loc[[2, 5], "y"] = [1e308, -1e200]
    code, _, err = cli(tmp_path, capsys, frame.to_csv(index=False))
    refused(code, err, "target 'y' has 2 value(s) beyond ±1e+100 (such as 1e+308), too large to score")


def test_a_target_of_only_infinities_is_refused():
    with pytest.raises(BridgeError, match="target 'y' has no finite value in any row") as info:
        make_problem(numbers().assign(y=np.inf))
    one_line(info)


def test_infinite_and_float32_overflowing_features_become_missing(tmp_path, capsys):
    frame = numbers().assign(y=np.linspace(1, 9, 40))
    frame.loc[[1, 4], "x"], frame.loc[6, "z"] = [np.inf, -np.inf], 1e300  # 1e300 is inf as float32, which training uses
    problem = make_problem(frame)
    assert problem.features["x"].isna().sum() == 2 and problem.features["z"].isna().sum() == 1
    assert "column 'x': 2 infinite or too large value(s) (beyond ±3.4e38) treated as missing" in problem.notes
    code, out, err = cli(tmp_path, capsys, frame.to_csv(index=False))
    assert code == 0 and err == "" and "column 'z': 1 infinite or too large value(s)" in out, err


# -- 3. too many classes ------------------------------------------------------------------------------------------


def test_500_classes_are_refused_before_any_fit(tmp_path, capsys, monkeypatch):
    from bridge.problem import leakage

    monkeypatch.setattr(leakage, "leaky_columns", lambda *a: pytest.fail("a model was fitted"))
    frame = numbers(1_500).assign(y=[f"c{i % 500}" for i in range(1_500)])
    code, _, err = cli(tmp_path, capsys, frame.to_csv(index=False))
    refused(code, err, f"target 'y' has 500 classes of at least 3 rows; Bridge compares at most {limits.MAX_TARGET_CLASSES}")


def test_the_class_limit_is_read_at_call_time(monkeypatch):
    monkeypatch.setattr(limits, "MAX_TARGET_CLASSES", 3)
    three = numbers(30).assign(y=list("abc") * 10)
    assert make_problem(three).classes == ["a", "b", "c"]
    with pytest.raises(BridgeError, match="has 4 classes of at least 3 rows; Bridge compares at most 3") as info:
        make_problem(numbers(40).assign(y=list("abcd") * 10))
    one_line(info)


# -- 4. whole numbers beyond int64 --------------------------------------------------------------------------------


def test_labels_beyond_int64_stay_distinct_and_exact(tmp_path, capsys):
    labels = [str(BIG + i % 3) for i in range(45)]
    frame, _, notes = parse_csv(numbers(45).assign(y=labels).to_csv(index=False).encode())
    assert frame["y"].tolist() == labels
    assert f"column 'y' holds whole numbers too long for 64 bits (such as {BIG}), so it is read as text and each value stays exact" in notes
    assert make_problem(frame).classes == [str(BIG), str(BIG + 1), str(BIG + 2)]
    code, out, err = cli(tmp_path, capsys, numbers(45).assign(y=labels).to_csv(index=False))
    assert code == 0 and "3 classes" in out, err
    code, _, err = cli(tmp_path, capsys, numbers(45).assign(y=str(BIG)).to_csv(index=False))
    refused(code, err, f"target 'y' has a single class ({BIG})")  # the number as written, not -9223372036854775808


@pytest.mark.parametrize("big", [2**63, -(2**63) - 1, 2**64 - 1])
def test_the_edges_of_int64(big):
    frame, _, _ = parse_csv(f"x,y\n1,{big}\n2,{big - 1}\n3,5\n".encode())
    assert frame["y"].tolist() == [str(big), str(big - 1), "5"]
    frame, _, _ = parse_csv(f"x,y\n1,{2**63 - 1}\n2,{-(2**63)}\n".encode())  # the largest and smallest int64 stay numbers
    assert frame["y"].tolist() == [2**63 - 1, -(2**63)]


# -- 5. NUL bytes, early or late ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("rows_before", "encoding"), [(2, "utf-8"), (20_000, "utf-8"), (20_000, "cp1252"), (9_000, "utf-16")],
                         ids=["first-64KB", "after-64KB", "after-64KB-cp1252", "after-64KB-utf16"])
def test_a_nul_byte_is_refused_wherever_it_is(tmp_path, capsys, rows_before, encoding):
    text = "a,b,y\n" + "1,x,p\n2,w,q\n" * (rows_before // 2) + "3,\x00z,p\n" + "4,x,q\n" * 30
    data = text.encode(encoding)
    assert (len(data) > limits.SNIFF_BYTES) == (rows_before > 2)
    line = rows_before + 2
    offset = len("a,b,y\n" + "1,x,p\n2,w,q\n" * (rows_before // 2) + "3,") * (2 if encoding == "utf-16" else 1) + (2 if encoding == "utf-16" else 0)
    code, _, err = cli(tmp_path, capsys, data)
    refused(code, err, f"data.csv is not a text CSV: it holds a NUL character (binary data) at byte {offset:,}, line {line:,}")
    with pytest.raises(BridgeError, match="holds a NUL character") as info:
        load_dataset(data)
    one_line(info)


# -- 6. downloads: numbers are not formulas -----------------------------------------------------------------------


def test_numbers_in_text_columns_download_without_an_apostrophe():
    frame = pd.DataFrame({"mixed": ["-2.66", "+3", "-1e5", "-2+3", "=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "word"]})
    back = pd.read_csv(io.BytesIO(safe_csv_bytes(frame)), dtype=str, keep_default_na=False)
    assert back["mixed"].tolist() == ["-2.66", "+3", "-1e5", "'-2+3", "'=1+1", "'@SUM(A1)", "'+cmd|' /C calc'!A0", "word"]


# -- 7. library warnings become notes, not stderr lines -----------------------------------------------------------


def test_library_warnings_become_notes_and_stderr_stays_clean(tmp_path, capsys, monkeypatch):
    from sklearn.exceptions import ConvergenceWarning

    from bridge import experiment

    real = experiment.prepare

    def noisy_prepare(dataset, config):
        for _ in range(3):
            np.float64(1.0) / np.float64(0.0)  # numpy: RuntimeWarning divide by zero
        warnings.warn("lbfgs failed to converge", ConvergenceWarning, stacklevel=2)
        warnings.warn("an API Bridge uses will change", FutureWarning, stacklevel=2)  # about Bridge's code, not the data: dropped
        return real(dataset, config)

    monkeypatch.setattr(experiment, "prepare", noisy_prepare)
    code, out, err = cli(tmp_path, capsys, numbers().assign(y=["a", "b"] * 20).to_csv(index=False))
    assert code == 0 and err == "", err
    assert "numpy warned: divide by zero encountered in scalar divide (3 times)" in out
    assert "scikit-learn warned: lbfgs failed to converge" in out and "will change" not in out


def test_too_many_kinds_of_warning_are_counted_in_one_note():
    tally = WarningTally()
    for i in range(12):
        tally(UserWarning(f"kind {i}\nsecond line"), UserWarning, "/x/site-packages/pandas/core/tools.py", 1)
    notes = tally.notes()
    assert notes[0] == "pandas warned: kind 0 second line" and notes[-1] == "and 4 more kind(s) of warning" and len(notes) == 9

