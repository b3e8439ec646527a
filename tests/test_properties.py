"""Property tests: whatever bytes, tables or zips come in, the loaders either load them or raise BridgeError, nothing else.

Any other exception would reach the user as an internal error (exit 1) instead of a one-line message.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bridge.csv_reader import parse_csv
from bridge.data import Dataset, load_dataset
from bridge.errors import BridgeError
from bridge.images import ImageData, load_images
from bridge.problem import make_problem

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NASTY = ["", " ", "?", "NA", "-", "nan", "None", "\"", "\"\"", "'", ",", ";", "\t", "|", "\n", "\r\n", "é", "\ufeff", "\x00", "1,5",
         "1.234,5", "0.125", "-3", "+4", "1e309", "=1+1", "@x", "TRUE", "no", "2015-12-31", "31/12/2015", "12:00", "id", "a.1"]


def _png(color: int, size: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (size, size), color).save(buffer, "PNG")
    return buffer.getvalue()


def loads_or_refuses(load, *args):
    """Run a loader; only a result or a one-line BridgeError may come out."""
    try:
        return load(*args)
    except BridgeError as exc:
        assert "\n" not in str(exc) and str(exc)
        return None


# -- raw bytes -----------------------------------------------------------------------------------------------------


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes_as_a_csv(raw):
    result = loads_or_refuses(parse_csv, raw)
    if result is not None:
        frame, _, _ = result
        assert len(frame) >= 1 and frame.columns.is_unique


@SETTINGS
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
                 st.binary(max_size=2000).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
                 st.binary(max_size=500).map(lambda b: b + b"PK\x05\x06" + bytes(18))))
def test_random_bytes_as_any_dataset(raw):
    result = loads_or_refuses(load_dataset, raw)
    assert result is None or isinstance(result, Dataset)


# -- text tables ----------------------------------------------------------------------------------------------------

cells = st.one_of(
    st.sampled_from(NASTY),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8),
)


@st.composite
def csv_text(draw) -> bytes:
    """A small CSV as a careless exporter writes it: any separator, encoding, quoting, ragged rows, odd cells."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(cells, min_size=max(1, width - 1), max_size=width + 1), min_size=1, max_size=30))
    quote = draw(st.booleans())
    text = "\n".join(sep.join(f'"{c}"' if quote and '"' not in c else c for c in row) for row in rows) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


@SETTINGS
@given(csv_text())
def test_random_csv_text_loads_and_becomes_a_problem_or_refuses(raw):
    result = loads_or_refuses(parse_csv, raw)
    if result is not None:
        frame = result[0]
        assert frame.columns.is_unique
        loads_or_refuses(make_problem, frame)


@st.composite
def frames(draw) -> pd.DataFrame:
    """A data frame of mixed columns: numbers, words, booleans, missing values; the last column is the target."""
    n = draw(st.integers(1, 60))
    kinds = draw(st.lists(st.sampled_from(["float", "int", "word", "bool", "mixed", "empty"]), min_size=1, max_size=5))
    names = draw(st.lists(st.sampled_from(["a", "b", "id", "x y", "Größe", "=f", "", "a"]), min_size=len(kinds), max_size=len(kinds)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    columns = {}
    for i, (kind, name) in enumerate(zip(kinds, names)):
        values = {
            "float": lambda: rng.normal(size=n).round(3),
            "int": lambda: rng.integers(-5, 5, size=n),
            "word": lambda: rng.choice(["red", "green", "blue"], size=n),
            "bool": lambda: rng.choice(["yes", "no"], size=n),
            "mixed": lambda: np.array([str(v) if v % 4 else "many" for v in rng.integers(0, 9, size=n)], dtype=object),
            "empty": lambda: np.full(n, np.nan),
        }[kind]()
        columns[f"{name}{i}" if draw(st.booleans()) else name] = values
    return pd.DataFrame(columns)


@SETTINGS
@given(frames(), st.sampled_from([",", ";", "\t"]), st.sampled_from([".", ","]))
def test_random_frames_round_trip_or_refuse(frame, sep, decimal):
    if decimal == "," and sep == ",":
        decimal = "."
    raw = frame.to_csv(index=False, sep=sep, decimal=decimal).encode()
    result = loads_or_refuses(parse_csv, raw)
    if result is not None:
        parsed = result[0]
        assert len(parsed) == len(frame)
        loads_or_refuses(make_problem, parsed)


# -- zips of images --------------------------------------------------------------------------------------------------

member_names = st.one_of(
    st.builds(lambda c, f, e: f"{c}/{f}{e}", st.sampled_from(["cat", "dog", "bird", "__MACOSX", ".hidden", "a/b"]),
              st.sampled_from(["1", "2", "._3", ".DS_Store", "x y"]), st.sampled_from([".png", ".jpg", ".zip", ".txt", ""])),
    st.sampled_from(["../up.png", "/abs.png", "C:\\win.png", "cat\\back.png", "top.png", "cat/", "cat/../../x.png"]),
)
contents = st.one_of(
    st.builds(_png, st.integers(0, 255), st.integers(1, 24)),
    st.builds(lambda c, s, k: _png(c, s)[:k], st.integers(0, 255), st.integers(1, 24), st.integers(0, 80)),
    st.binary(max_size=200),
    st.just(b"\x89PNG\r\n\x1a\n"),
)


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns while writing a repeated name, which is part of the test
@SETTINGS
@given(st.lists(st.tuples(member_names, contents), max_size=8), st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
def test_random_zips_load_or_refuse(members, compression):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    blob = buffer.getvalue()
    result = loads_or_refuses(load_images, blob)
    if result is not None:
        assert isinstance(result, ImageData) and len(result.classes) >= 2
        assert np.isfinite(result.images).all() and result.images.min() >= 0 and result.images.max() <= 1
    for cut in (len(blob) // 3, len(blob) - 10):
        loads_or_refuses(load_images, blob[:cut])
