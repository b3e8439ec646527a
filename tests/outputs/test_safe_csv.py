"""safe_csv: every CSV Bridge offers for download comes back as text in a spreadsheet, never as a formula."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from bridge.outputs.safe_csv import FORMULA_STARTS, neutralise, safe_csv_bytes


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "@SUM(A1)", "+cmd|' /C calc'!A0", "-A1", "-1e5+1", "+3 ", "-inf",
                                  "\t=1", "\r=1", "\t-1", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0"])
def test_text_that_would_start_a_formula_gets_an_apostrophe(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("value", ["plain", "", "a=b", " =1", "1-2", "'=already", -1.5, -3, 0, 2.5, None, np.nan, True,
                                   "-2.66", "+3", "-1e5", "+1.5E-3", "-.5", "-7"])
def test_everything_else_is_unchanged(value):
    result = neutralise(value)
    assert result is value or (isinstance(value, float) and np.isnan(value) and np.isnan(result))


def test_text_cells_and_column_names_are_neutralised_numbers_are_not():
    frame = pd.DataFrame({
        "=name": ["=1+2", "ok", "@SUM(1)", None],
        "-delta": [-1.5, 2.0, -0.25, np.nan],
        "count": [-3, 4, 5, -6],
        "mixed": ["-7", -7, "+x", 1.5],
    })
    raw = safe_csv_bytes(frame)
    back = pd.read_csv(io.BytesIO(raw), keep_default_na=False, dtype=str)
    assert list(back.columns) == ["'=name", "'-delta", "count", "mixed"]
    assert back["'=name"].tolist() == ["'=1+2", "ok", "'@SUM(1)", ""]
    assert back["'-delta"].tolist() == ["-1.5", "2.0", "-0.25", ""]  # negative numbers stay numbers
    assert back["count"].tolist() == ["-3", "4", "5", "-6"]
    assert back["mixed"].tolist() == ["-7", "-7", "'+x", "1.5"]  # a text '-7' is a plain number too: no apostrophe
    assert frame.loc[0, "=name"] == "=1+2" and list(frame.columns)[0] == "=name"  # the caller's frame is untouched


def test_no_cell_of_the_output_starts_a_formula():
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("=+-@\t\nab1"), size=4)) for _ in range(200)]
    frame = pd.DataFrame({"w": words, "n": rng.normal(size=200)})
    back = pd.read_csv(io.BytesIO(safe_csv_bytes(frame)), keep_default_na=False, dtype=str)
    # Only a plain signed number ('-111', '+1') may start with a sign: a spreadsheet reads it as that number.
    assert not any(cell.startswith(FORMULA_STARTS) and not re.fullmatch(r"[+-]1+", cell) for cell in back["w"])
    assert back["n"].astype(float).round(6).tolist() == frame["n"].round(6).tolist()


def test_a_carriage_return_inside_a_cell_cannot_start_a_new_row():
    raw = safe_csv_bytes(pd.DataFrame({"w": ["x\r=1+1", "ok"]}))
    assert '"x\r=1+1"' in raw.decode("utf-8")  # quoted: one cell, one row


def test_output_is_utf8():
    raw = safe_csv_bytes(pd.DataFrame({"city": ["Zürich", "=Köln"]}))
    assert raw.decode("utf-8").splitlines() == ["city", "Zürich", "'=Köln"]
