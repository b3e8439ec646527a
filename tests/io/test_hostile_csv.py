"""Hostile and broken CSV files: each is read correctly or refused with one clear line, and nothing escapes.

Every file is built inside the test, in tmp_path; the autouse fixture checks nothing appeared beside it.
"""

from __future__ import annotations

import codecs

import numpy as np
import pandas as pd
import pytest
from files import one_line

from bridge.cli import EXIT_BAD_INPUT, main
from bridge.errors import BridgeError
from bridge.io import limits
from bridge.io.csv_reader import parse_csv
from bridge.io.data import load_dataset
from bridge.problem.table import make_problem

PNG_MAGIC = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
FAST = ["--epochs", "2", "--repeats", "1", "--width", "8", "--hidden-layers", "1", "--baseline", "linear", "--quiet"]

pytestmark = pytest.mark.usefixtures("nothing_escapes")


def write(tmp_path, name: str, data: bytes | str):
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def table(rows: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 2))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "label": np.where(x[:, 0] + rng.normal(size=rows) > 0, "yes", "no")})


# -- files that are not tables ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\n \n\t\n", "is empty"),
        (codecs.BOM_UTF16_LE, "is empty"),
        (b"a,b,c\n", "header but no data rows"),
        (b"a,b,c", "header but no data rows"),
        (bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)), "not a text CSV"),
        (PNG_MAGIC + bytes(200), "is a PNG image, not a CSV text table; to compare images, give a folder"),
        (b"\x1f\x8b\x08\x00" + bytes(100), "is gzip-compressed data, not a CSV text table; decompress it"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "is a PDF document"),
        (b"PK\x05\x06" + bytes(18), "is an empty zip archive"),
    ],
    ids=["empty", "blank-lines", "utf16-bom-only", "header-only", "header-only-no-newline", "binary-garbage", "png-named-csv",
         "gzip-named-csv", "pdf-named-csv", "empty-zip"],
)
def test_files_that_are_not_tables_are_one_line_errors(tmp_path, data, message):
    path = write(tmp_path, "data.csv", data)
    for source in (path, data):
        with pytest.raises(BridgeError, match=message) as info:
            load_dataset(source)
        one_line(info)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n3,4,5\n6,7\n", "has rows with a different number of fields (C error: Expected 2 fields in line 3, saw 3)"),
        ("a,b\n1,2,3\n4,5,6\n", "has rows with more fields than its header (2 names)"),
        ('a,b\n1,"open\n2,3\n', 'has a quote (") that is never closed'),
    ],
    ids=["ragged-later-row", "ragged-first-row", "unclosed-quote"],
)
def test_ragged_rows_are_refused_never_shifted(tmp_path, text, message):
    """pandas alone would silently make the first column an index when the first row is longer: nothing may shift."""
    with pytest.raises(BridgeError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        parse_csv(write(tmp_path, "ragged.csv", text))
    one_line(info)


def test_short_rows_and_trailing_separators_lose_nothing(tmp_path):
    frame, _, _ = parse_csv(write(tmp_path, "short.csv", "a,b,c\n1,2,3\n4,5\n"))
    assert frame["a"].tolist() == [1, 4] and frame["c"].iloc[0] == 3 and np.isnan(frame["c"].iloc[1])
    frame, _, _ = parse_csv(write(tmp_path, "trailing.csv", "a,b\n1,2,\n3,4,\n"))  # an empty last field on every line
    assert frame.to_dict("list") == {"a": [1, 3], "b": [2, 4]}


# -- columns ----------------------------------------------------------------------------------------------


def test_one_column_reads_and_then_says_a_feature_is_needed(tmp_path):
    path = write(tmp_path, "one.csv", "value\n" + "".join(f"{i}\n" for i in range(30)))
    frame, _, notes = parse_csv(path)
    assert list(frame.columns) == ["value"] and len(frame) == 30
    assert "found a single column: no comma, semicolon, tab or pipe splits the header line" in notes
    with pytest.raises(BridgeError, match="the table has a single column \\('value'\\); a model needs at least one feature") as info:
        make_problem(frame)
    one_line(info)


def test_single_column_of_decimal_commas_is_not_split_by_the_sniffer(tmp_path):
    """'1,5' in every row looks like two comma-separated fields; the one-field header says otherwise."""
    text = "price\n" + "".join(f"{i},{i % 10}\n" for i in range(1, 40))
    frame, _, notes = parse_csv(write(tmp_path, "prices.csv", text))
    assert list(frame.columns) == ["price"]
    assert len(frame) == 39 and frame["price"].iloc[0] == "1,1"  # kept whole, not shifted into an index
    assert any("single column" in note for note in notes)


def test_single_text_column_with_commas_inside(tmp_path):
    frame, _, _ = parse_csv(write(tmp_path, "names.csv", "name\nSmith, John\nDoe, Jane\nRoe\n"))
    assert frame["name"].tolist() == ["Smith, John", "Doe, Jane", "Roe"]


def test_unknown_target_names_the_columns(tmp_path):
    frame, _, _ = parse_csv(write(tmp_path, "t.csv", table().to_csv(index=False)))
    with pytest.raises(BridgeError, match="no column 'price'; pass --target with one of: a, b, label") as info:
        make_problem(frame, target="price")
    one_line(info)


def test_target_with_one_class(tmp_path):
    frame = table().assign(label="same")
    with pytest.raises(BridgeError, match="target 'label' has a single class \\(same\\)") as info:
        make_problem(frame)
    one_line(info)


def test_all_empty_feature_is_left_out_and_all_empty_target_is_refused(tmp_path):
    text = table().assign(empty="").to_csv(index=False)
    frame, _, _ = parse_csv(write(tmp_path, "empty_col.csv", text))
    assert frame["empty"].isna().all()
    problem = make_problem(frame, target="label")
    assert "empty" not in problem.features.columns
    assert "column 'empty' left out: every value is missing" in problem.notes
    with pytest.raises(BridgeError, match="target 'empty' is empty in every row; choose a column with values") as info:
        make_problem(frame, target="empty")
    one_line(info)


def test_thousands_of_columns_load(tmp_path):
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(30, 2_000)).round(3), columns=[f"c{i}" for i in range(2_000)])
    wide["label"] = ["a", "b", "c"] * 10
    frame, _, _ = parse_csv(write(tmp_path, "wide.csv", wide.to_csv(index=False)))
    assert frame.shape == (30, 2_001)
    assert frame.dtypes.iloc[:-1].map(pd.api.types.is_float_dtype).all()


def test_a_header_with_100000_columns_is_refused_before_any_row_is_read(tmp_path, monkeypatch):
    header = ",".join(f"column_{i}" for i in range(100_000))
    path = write(tmp_path, "huge_header.csv", header + "\n" + ",".join(["1"] * 100_000) + "\n")

    def never(*args, **kwargs):
        raise AssertionError("rows were parsed")

    monkeypatch.setattr(pd, "read_csv", never)
    with pytest.raises(BridgeError, match=f"has 100,000 columns; Bridge reads at most {limits.MAX_COLUMNS:,}") as info:
        parse_csv(path)
    one_line(info)


def test_a_header_line_that_never_ends_is_refused_within_a_bounded_read(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_HEADER_BYTES", 256 * 1024)
    path = write(tmp_path, "endless.csv", b"x" * (1024 * 1024) + b"\n1\n")
    with pytest.raises(BridgeError, match="the first line of endless.csv is longer than 0 MB") as info:
        parse_csv(path)
    one_line(info)


def test_duplicate_names_are_refused_from_the_raw_header(tmp_path):
    with pytest.raises(BridgeError, match="repeats the column name 'a' \\(columns 1, 3\\); give each column its own name") as info:
        parse_csv(write(tmp_path, "dup.csv", "a,b,a\n1,2,3\n"))
    one_line(info)


# -- encodings and numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_larger_than_the_sniffed_start(tmp_path, encoding):
    """With a BOM (utf-16) or without one (-le / -be): read from the path, in chunks, beyond the first 64 KB."""
    rows = 4_000  # about 150 KB as UTF-16
    text = "Größe;Farbe\n" + "".join(f"{i},5;grün\n" for i in range(rows))
    frame, _, notes = parse_csv(write(tmp_path, "u16.csv", text.encode(encoding)))
    assert list(frame.columns) == ["Größe", "Farbe"]
    assert len(frame) == rows and frame["Größe"].iloc[-1] == rows - 1 + 0.5
    assert set(frame["Farbe"]) == {"grün"}
    assert any(note.startswith("read the file as utf-16") for note in notes)


def test_an_accent_after_the_sniffed_start_switches_to_cp1252(tmp_path):
    text = "name,score\n" + "plain,1\n" * 20_000 + "café,2\n"  # 160 KB of ASCII, then one cp1252 byte
    frame, _, notes = parse_csv(write(tmp_path, "late.csv", text.encode("cp1252")))
    assert frame["name"].iloc[-1] == "café" and len(frame) == 20_001
    assert "read the file as cp1252 text" in notes


def test_old_mac_line_endings(tmp_path):
    frame, _, _ = parse_csv(write(tmp_path, "mac.csv", b"a;b\r1,5;x\r2;y\r"))
    assert frame.to_dict("list") == {"a": [1.5, 2.0], "b": ["x", "y"]}


def test_an_upload_is_named_by_its_file_name_in_messages():
    with pytest.raises(BridgeError, match="^holiday.csv is a PNG image"):
        load_dataset(PNG_MAGIC + bytes(50), name="holiday.csv")


def test_a_column_mixing_numbers_and_words_is_reported(tmp_path):
    mostly = [f"{i}.5" for i in range(19)] + ["n/a?"]
    half = [str(i) if i % 3 else "many" for i in range(20)]
    text = pd.DataFrame({"mostly": mostly, "half": half, "y": ["a", "b"] * 10}).to_csv(index=False)
    frame, _, notes = parse_csv(write(tmp_path, "mixed.csv", text))
    assert pd.api.types.is_float_dtype(frame["mostly"]) and pd.isna(frame["mostly"].iloc[-1])
    assert "column 'mostly': 1 non-numeric value(s) in a numeric column treated as missing" in notes
    assert frame["half"].iloc[0] == "many"
    assert any(note.startswith("column 'half' mixes numbers (65%) and words") for note in notes)


# -- size -------------------------------------------------------------------------------------------------------


@pytest.fixture
def numbered(tmp_path):
    """1,000 rows whose 'row' column says which line they came from."""
    rows = 1_000
    frame = pd.DataFrame({"row": np.arange(rows), "twice": np.arange(rows) * 2, "label": np.where(np.arange(rows) % 3, "a", "b")})
    return write(tmp_path, "numbered.csv", frame.to_csv(index=False)), rows


def test_a_long_file_is_sampled_uniformly_in_chunks_with_a_note(numbered, monkeypatch):
    path, rows = numbered
    monkeypatch.setattr(limits, "CHUNK_CELLS", 3 * 50)  # 50-row chunks: the sample is trimmed many times on the way
    frame, _, notes = parse_csv(path, max_rows=100)
    assert len(frame) == 100
    assert "sampled 100 of 1,000 rows (a seeded uniform random sample; raise --max-rows to read more)" in notes
    assert frame.index.is_monotonic_increasing and frame.index.is_unique  # file order, each row once
    assert (frame["row"] == frame.index).all() and (frame["twice"] == 2 * frame["row"]).all()  # whole rows, labelled by position
    assert frame["row"].min() < 100 and frame["row"].max() > 900  # from the whole file, not its start
    again, _, _ = parse_csv(path, max_rows=100)
    pd.testing.assert_frame_equal(frame, again)  # seeded: the same rows every time
    monkeypatch.setattr(limits, "CHUNK_CELLS", 10**9)
    whole, _, _ = parse_csv(path, max_rows=100)
    assert len(whole) == 100 and whole.index.is_unique


def test_the_default_cap_and_a_cap_above_the_length(numbered):
    path, rows = numbered
    frame, _, notes = parse_csv(path, max_rows=rows)
    assert len(frame) == rows and not any("sampled" in note for note in notes)
    assert list(frame.index) == list(range(rows))


def test_very_wide_files_keep_fewer_rows(numbered, monkeypatch):
    path, _ = numbered
    monkeypatch.setattr(limits, "MAX_CELLS", 3 * 250)
    frame, _, notes = parse_csv(path)
    assert len(frame) == 250
    assert "sampled 250 of 1,000 rows (a seeded uniform random sample; with 3 columns Bridge keeps at most 750 cells)" in notes


def test_max_rows_on_the_command_line(numbered, capsys):
    path, _ = numbered
    assert main(["compare", str(path), "--target", "label", "--max-rows", "120", *FAST]) == 0
    out = capsys.readouterr().out
    assert "sampled 120 of 1,000 rows" in out
    assert main(["compare", str(path), "--max-rows", "0", "--quiet"]) == EXIT_BAD_INPUT
    assert "argument --max-rows: must be at least 1" in capsys.readouterr().err


# -- the command line -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty.csv is empty"),
        ("garbage.csv", bytes(range(256)) * 4, "garbage.csv is not a text CSV"),
        ("photo.csv", PNG_MAGIC + bytes(100), "photo.csv is a PNG image, not a CSV text table"),
        ("one.csv", "v\n" + "1\n" * 30, "the table has a single column"),
        ("wide.csv", ",".join(f"c{i}" for i in range(20_000)) + "\n", "has 20,000 columns"),
        ("ids.csv", "x,id\n" + "".join(f"{i % 7},{i}\n" for i in range(50)), "target 'id' has a different value in almost every row"),
    ],
    ids=["empty", "garbage", "png", "one-column", "too-wide", "id-target"],
)
def test_cli_exits_2_with_one_error_line(tmp_path, capsys, name, data, message):
    path = write(tmp_path, name, data)
    chosen = ["--target", "id"] if name == "ids.csv" else []  # never guessed (an ID is no target), so asked for by name
    assert main(["compare", str(path), *FAST, *chosen]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], captured.err
    assert "Traceback" not in captured.err
    assert captured.out == "" or (captured.out.startswith("target: ") and captured.out.count("\n") == 1)  # at most the target line
