"""Property tests: whatever bytes, tables or zips come in, the loaders either load them or raise BridgeError, nothing else.

Any other exception would reach the user as an internal error (exit 1) instead of a one-line message. What loads
must also be right: a well-formed CSV comes back with its shape, names and values, Markdown and HTML in names and
cells survive parsing unchanged, and escaping them for the page leaves no image, link or heading.
"""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bridge.errors import BridgeError
from bridge.io.csv_reader import parse_csv
from bridge.io.data import Dataset, load_dataset
from bridge.io.images import ImageData, load_images
from bridge.outputs.markdown import escape_markdown
from bridge.problem.table import make_problem

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
        assert "\n" not in str(exc) and "\r" not in str(exc) and str(exc).strip(), repr(str(exc))
        return None


def check_problem(frame: pd.DataFrame) -> None:
    """make_problem refuses in one line, or gives a problem every later step can use."""
    problem = loads_or_refuses(make_problem, frame)
    if problem is None:
        return
    assert problem.features.columns.is_unique and len(problem.features) == len(problem.y) >= 20
    assert problem.features.shape[1] >= 1 and problem.target not in problem.features.columns
    if problem.task == "classification":
        assert len(problem.classes) >= 2 and set(problem.y) == set(problem.classes)
    else:
        assert np.all(np.abs(problem.y.astype(float)) <= 1e100)
    numbers = problem.features[problem.numeric].to_numpy(dtype=np.float64)
    assert not np.isinf(numbers).any()  # the preprocessing and float32 training cannot take inf


# -- raw bytes -----------------------------------------------------------------------------------------------------


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes_as_a_csv(raw):
    result = loads_or_refuses(parse_csv, raw)
    if result is not None:
        frame, name, notes = result
        assert len(frame) >= 1 and frame.columns.is_unique and name == "uploaded.csv"
        assert all(isinstance(note, str) and "\n" not in note for note in notes)
        assert not frame.select_dtypes(["object", "string"]).map(lambda v: isinstance(v, str) and "\x00" in v).any().any()


@SETTINGS
@given(st.one_of(st.binary(max_size=2000), st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
                 st.binary(max_size=2000).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
                 st.binary(max_size=500).map(lambda b: b + b"PK\x05\x06" + bytes(18))))
def test_random_bytes_as_any_dataset(raw):
    result = loads_or_refuses(load_dataset, raw)
    if result is None:
        return
    assert isinstance(result, Dataset) and result.rows >= 1
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"PK\x05\x06"):
        assert result.kind == "images" and len(result.images.classes) >= 2  # zip bytes are never read as a CSV
    else:
        assert result.kind == "table" and result.frame.columns.is_unique and result.default_target == result.target_guess.column
        assert result.default_target in [str(column) for column in result.frame.columns]


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
        assert frame.columns.is_unique and len(frame) >= 1
        check_problem(frame)


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
        assert parsed.shape == frame.shape
        check_problem(parsed)


# -- Markdown and HTML in names and cells ---------------------------------------------------------------------------

SNIPPETS = ["![x](http://h/t.png)", "<img src=x>", "**b**", "# h", "[a](b)", "<script>alert(1)</script>", "_i_", "`c`", ":smile:",
            "$x$", "~~s~~", "\\![y](z)", ">", "1. ", "\"q\"", "é"]
_NOT_PLAIN = {"true", "false", *[w.lower() for w in ("?", "NA", "N/A", "na", "NaN", "nan", "null", "None", "-", "--")]}
words = st.text(alphabet="abcxyzé", min_size=1, max_size=4)
# A name or a text cell as pasted from a web page: words and Markdown/HTML pieces; never blank, a number, or an NA word.
marked = st.lists(st.one_of(st.sampled_from(SNIPPETS), words), min_size=1, max_size=3).map("".join).map(str.strip).filter(
    lambda t: re.search("[a-z]", t) is not None and t.lower() not in _NOT_PLAIN)


def unescaped(text: str, token: str) -> bool:
    """Whether ``token`` occurs with its first character not escaped (preceded by an even number of backslashes)."""
    return re.search(r"(?<!\\)(?:\\\\)*" + re.escape(token), text) is not None


@st.composite
def marked_frames(draw) -> pd.DataFrame:
    """2-4 columns with Markdown/HTML names; text columns of such cells (some missing) and number columns."""
    names = draw(st.lists(marked, min_size=2, max_size=4, unique=True))
    n = draw(st.integers(1, 25))
    columns = {}
    for name in names:
        if draw(st.booleans()):
            columns[name] = draw(st.lists(st.one_of(marked, st.none()), min_size=n, max_size=n).filter(lambda v: any(c is not None for c in v)))
        else:
            columns[name] = draw(st.lists(st.floats(-1e6, 1e6).map(lambda v: round(v, 3)), min_size=n, max_size=n))
    return pd.DataFrame(columns)


@SETTINGS
@given(marked_frames())
def test_markdown_and_html_survive_parsing_and_are_escaped(frame):
    parsed, _, _ = parse_csv(frame.to_csv(index=False).encode("utf-8"))
    assert parsed.shape == frame.shape and list(parsed.columns) == list(frame.columns)  # names unchanged, nothing shifted
    for name in frame.columns:
        expected, got = frame[name], parsed[name]
        if pd.api.types.is_numeric_dtype(expected):
            np.testing.assert_allclose(got.to_numpy(dtype=float), expected.to_numpy(dtype=float), rtol=1e-12)
        else:
            assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in expected]  # exactly as written
    texts = [*map(str, parsed.columns), *(v for name in frame.columns if not pd.api.types.is_numeric_dtype(frame[name])
                                          for v in parsed[name].dropna())]
    for text in texts:
        shown = escape_markdown(text)
        assert not unescaped(shown, "![") and not unescaped(shown, "](") and not unescaped(shown, "<"), shown
        assert not re.match(r"\s*#", shown), shown  # never a heading


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
        pixels = result.floats()  # stored as uint8; floats() is what training sees
        assert len(pixels) == len(result.labels) and np.isfinite(pixels).all() and pixels.min() >= 0 and pixels.max() <= 1
    for cut in (len(blob) // 3, len(blob) - 10):
        loads_or_refuses(load_images, blob[:cut])
