"""csv_reader.parse_csv: real-world CSV bytes in, a typed frame and readable notes out."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import BridgeError
from bridge.io.csv_reader import parse_csv

# -- code: encodings -----------------------------------------------------------------


def test_reads_a_path_and_names_it_by_its_file(tmp_path):
    path = tmp_path / "plants.csv"
    path.write_bytes(b"height,kind\n1.5,fern\n2.25,moss\n")
    frame, name, notes = parse_csv(path)
    assert name == "plants.csv"
    assert list(frame.columns) == ["height", "kind"]
    assert frame["height"].tolist() == [1.5, 2.25]
    assert frame["kind"].tolist() == ["fern", "moss"]
    assert notes == []


def test_reads_bytes_as_an_upload():
    frame, name, notes = parse_csv(b"a,b\n1,x\n2,y\n")
    assert name == "uploaded.csv"
    assert frame["a"].tolist() == [1, 2]
    assert notes == []


def test_str_path_is_accepted(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n")
    frame, name, _ = parse_csv(str(path))
    assert (name, frame.shape) == ("t.csv", (1, 2))


def test_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid_code,city\n1,Zürich\n2,Köln\n".encode())
    frame, _, notes = parse_csv(path)
    assert list(frame.columns) == ["id_code", "city"]
    assert not any("\ufeff" in column for column in frame.columns)
    assert frame["city"].tolist() == ["Zürich", "Köln"]
    assert notes == []  # UTF-8 with BOM is still UTF-8: nothing to report


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_legacy_encodings_round_trip_accents(encoding):
    raw = "name,score\ncafé,1\nMüller,2\nnaïve,3\n".encode(encoding)
    frame, _, notes = parse_csv(raw)
    assert frame["name"].tolist() == ["café", "Müller", "naïve"]
    assert frame["score"].tolist() == [1, 2, 3]
    assert any("cp1252" in note or "latin-1" in note for note in notes)


def test_bytes_no_encoding_explains_are_read_as_latin1():
    """charset-normalizer finds no text encoding for every byte from 0x80 to 0xFF in a row; Latin-1 decodes any byte."""
    high = bytes(range(0x80, 0x100))
    frame, _, notes = parse_csv(b"a,b\n" + high + b",1\ny,2\n")
    assert frame["a"].tolist() == [high.decode("latin-1"), "y"]
    assert "read the file as latin-1 text" in notes


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(encoding):
    text = "Größe\tFarbe\n1,5\tblau\n2\tgrün\n"
    raw = ("\ufeff" + text).encode(encoding) if encoding == "utf-16-be" else text.encode(encoding)
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    frame, _, notes = parse_csv(raw)
    assert list(frame.columns) == ["Größe", "Farbe"]
    assert frame["Farbe"].tolist() == ["blau", "grün"]
    assert frame["Größe"].tolist() == [1.5, 2.0]
    assert "read the file as utf-16 text" in notes


# -- code: separators and numbers ------------------------------------------------------


@pytest.mark.parametrize(("sep", "name"), [(",", None), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_separators_are_detected(sep, name):
    rows = [["width", "height", "kind"], ["1.5", "3", "a"], ["2.5", "4", "b"], ["3.5", "5", "c"]]
    raw = "\n".join(sep.join(row) for row in rows).encode() + b"\n"
    frame, _, notes = parse_csv(raw)
    assert list(frame.columns) == ["width", "height", "kind"]
    assert frame["width"].tolist() == [1.5, 2.5, 3.5]
    assert frame["height"].tolist() == [3, 4, 5]
    if name is None:
        assert notes == []
    else:
        assert f"detected the {name} separator" in notes


def test_quoted_separator_stays_inside_its_field():
    frame, _, _ = parse_csv(b'a,b\n1,"x, y"\n2,z\n')
    assert frame["b"].tolist() == ["x, y", "z"]


def test_decimal_comma_with_semicolons():
    raw = b"price;weight;kind\n1.234,5;10,9;a\n2,0;3;b\n12.000;0,5;c\n"
    frame, _, notes = parse_csv(raw)
    assert frame["price"].tolist() == [1234.5, 2.0, 12000.0]
    assert frame["weight"].tolist() == [10.9, 3.0, 0.5]
    assert pd.api.types.is_numeric_dtype(frame["price"]) and pd.api.types.is_numeric_dtype(frame["weight"])
    assert "read decimal commas in 2 column(s): price, weight" in notes


def test_dot_decimals_with_semicolons_are_not_decimal_commas():
    frame, _, notes = parse_csv(b"a;b\n1.5;x\n2.25;y\n")
    assert frame["a"].tolist() == [1.5, 2.25]
    assert not any("decimal" in note for note in notes)


def test_dot_decimals_with_three_digits_and_a_stray_word_keep_their_value():
    """'0.125' fits both the plain and the decimal-comma pattern; a tie is a dot decimal, as pandas reads it."""
    raw = "a;b\n" + "".join(f"{i / 8:.3f};x\n" for i in range(1, 20)) + "oops;y\n"
    frame, _, notes = parse_csv(raw.encode())
    assert frame["a"].iloc[0] == pytest.approx(0.125)
    assert frame["a"].iloc[:19].tolist() == pytest.approx([i / 8 for i in range(1, 20)])
    assert "column 'a': 1 non-numeric value(s) in a numeric column treated as missing" in notes
    assert not any("decimal commas" in note for note in notes)


def test_missing_tokens_become_nan():
    raw = b"a,b,c\n?,x,1\nNA,y,2\n,z,3\n4.5,?,N/A\n6,w,5\n"
    frame, _, _ = parse_csv(raw)
    assert pd.api.types.is_numeric_dtype(frame["a"])
    assert frame["a"].isna().tolist() == [True, True, True, False, False]
    assert frame["a"].iloc[3] == 4.5
    assert frame["b"].isna().tolist() == [False, False, False, True, False]
    assert frame["c"].isna().sum() == 1


def test_numeric_column_with_a_few_words_is_coerced_with_a_note():
    raw = "value,kind\n" + "".join(f"{i}.5,k{i % 3}\n" for i in range(20)) + "unknown,k0\nlots,k1\n"
    frame, _, notes = parse_csv(raw.encode())
    assert pd.api.types.is_numeric_dtype(frame["value"])
    assert frame["value"].iloc[:20].tolist() == [i + 0.5 for i in range(20)]
    assert frame["value"].iloc[20:].isna().all()
    assert "column 'value': 2 non-numeric value(s) in a numeric column treated as missing" in notes
    assert not pd.api.types.is_numeric_dtype(frame["kind"])  # words stay words


def test_mostly_words_stay_text():
    frame, _, notes = parse_csv(b"a,b\n1,x\ntwo,y\nthree,z\n")
    assert frame["a"].tolist() == ["1", "two", "three"]
    assert notes == []


def test_column_names_are_stripped():
    frame, _, _ = parse_csv(b" a , b \n1,2\n")
    assert list(frame.columns) == ["a", "b"]


# -- code: bad files are one-line BridgeErrors ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"a,b,c\n", "header but no data rows"),
        (b"a,b\n1,2\n3,4,5\n6,7\n", "different number of fields"),
        (bytes(range(256)) * 8, "not a text CSV"),
        (b"\x00\x01\x02binary\x00\xff\xfe", "not a text CSV"),
    ],
    ids=["empty", "blank", "header-only", "ragged", "binary", "nul-bytes"],
)
def test_bad_files_raise_one_line_errors(raw, message):
    with pytest.raises(BridgeError, match=message) as info:
        parse_csv(raw)
    assert "\n" not in str(info.value)


def test_missing_path_raises_one_line_error(tmp_path):
    with pytest.raises(BridgeError, match="file not found") as info:
        parse_csv(tmp_path / "nope.csv")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("raw", [b"a,b,a\n1,2,3\n4,5,6\n", b"a, b ,b\n1,2,3\n", b"x;x\n1;2\n"])
def test_duplicate_column_names_raise(raw):
    """Checked on the raw header, before pandas could rename the second 'a' to 'a.1'."""
    with pytest.raises(BridgeError, match="repeats the column name") as info:
        parse_csv(raw)
    assert "\n" not in str(info.value)


def test_values_are_never_lost_silently():
    """Every cell either keeps its value or is NaN from a missing token or a noted coercion."""
    raw = b"x;y;z\n1,5;?;a\n2,5;7;b\n3;8;c\n"
    frame, _, _ = parse_csv(raw)
    assert frame.shape == (3, 3)
    assert frame["x"].tolist() == [1.5, 2.5, 3.0]
    assert math.isnan(frame["y"].iloc[0]) and frame["y"].iloc[1:].tolist() == [7, 8]


# -- code: round trip over many tables ------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    sep=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    numbers=st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 2)), min_size=2, max_size=30),
    data=st.data(),
)
def test_written_tables_read_back_unchanged(sep, encoding, numbers, data):
    n = len(numbers)
    counts = data.draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n))
    words = data.draw(st.lists(st.sampled_from(["rot", "grün", "blau", "café"]), min_size=n, max_size=n))
    frame = pd.DataFrame({"amount": numbers, "count": counts, "colour": words})
    raw = frame.to_csv(index=False, sep=sep).encode(encoding)
    parsed, _, _ = parse_csv(raw)
    assert list(parsed.columns) == ["amount", "count", "colour"]
    assert parsed["amount"].tolist() == pytest.approx(numbers)
    assert parsed["count"].tolist() == counts
    assert parsed["colour"].tolist() == words
