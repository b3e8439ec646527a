"""Read a real-world CSV without asking the user to clean it first.

Encoding, separator and decimal comma are detected from the bytes; numbers
written as text are coerced. What was guessed is reported as notes, so the
user can see it and override it.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter

import pandas as pd

from bridge.errors import BridgeError

SEPARATORS = [",", ";", "\t", "|"]
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# pandas' own NA words plus the ones real exports use ('?' in UCI files).
EXTRA_NA = ["?", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "-", "--", ""]
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
SAMPLE_BYTES = 64 * 1024


def read_bytes(source: str | os.PathLike | bytes) -> tuple[bytes, str]:
    """Return the raw bytes and a display name of a CSV path or bytes."""
    if isinstance(source, bytes):
        return source, "uploaded.csv"
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise BridgeError(f"file not found: {path}; check the path or run 'python -m bridge datasets'")
    with open(path, "rb") as handle:
        return handle.read(), os.path.basename(path)


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16, or cp1252/Latin-1."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8-sig", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, ("utf-8" if encoding == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf") else encoding)
    raise BridgeError("the file is not a text CSV (it holds binary data); export it as CSV and upload that")


def sniff_separator(text: str) -> str:
    """Pick the separator that splits the first lines into the most consistent columns."""
    lines = [line for line in text[:SAMPLE_BYTES].splitlines() if line.strip()][:50]
    best, best_key = ",", (0.0, 0)
    for sep in SEPARATORS:
        rows = list(csv.reader(lines, delimiter=sep))
        counts = [len(row) for row in rows]
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        key = (hits / len(counts), width)
        if key > best_key:
            best, best_key = sep, key
    return best


def _numeric_share(values: pd.Series, pattern: re.Pattern) -> float:
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return 0.0
    return float(text.str.match(pattern).mean())


def _to_number(values: pd.Series, decimal_comma: bool) -> pd.Series:
    text = values.astype("string").str.strip()
    if decimal_comma:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def coerce_numbers(frame: pd.DataFrame, sep: str, notes: list[str]) -> pd.DataFrame:
    """Turn text columns that are really numbers into numbers, and say so."""
    frame = frame.copy()
    decimal_columns = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        comma_share = _numeric_share(series, _DECIMAL_COMMA) if sep != "," else 0.0
        plain_share = _numeric_share(series, _PLAIN_NUMBER)
        share, decimal_comma = max((plain_share, False), (comma_share, True))
        if share < 0.9:  # mostly words: a categorical or text column
            continue
        numbers = _to_number(series, decimal_comma)
        lost = int(numbers.isna().sum() - series.isna().sum())
        frame[column] = numbers
        if decimal_comma and any("," in str(v) for v in series.dropna().head(200)):
            decimal_columns.append(str(column))
        if lost > 0:
            notes.append(f"column '{column}': {lost} non-numeric value(s) in a numeric column treated as missing")
    if decimal_columns:
        notes.append(f"read decimal commas in {len(decimal_columns)} column(s): {', '.join(decimal_columns[:5])}")
    return frame


def parse_csv(source: str | os.PathLike | bytes) -> tuple[pd.DataFrame, str, list[str]]:
    """Read a CSV path or bytes into a frame; return (frame, name, notes)."""
    raw, name = read_bytes(source)
    if not raw.strip():
        raise BridgeError(f"{name} is empty; choose a CSV file with a header row and data rows")
    text, encoding = decode(raw)
    sep = sniff_separator(text)
    notes = []
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"read the file as {encoding} text")
    if sep != ",":
        notes.append(f"detected the {SEPARATOR_NAMES[sep]} separator")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            na_values=EXTRA_NA,
            keep_default_na=True,
            skipinitialspace=True,
            on_bad_lines="error",
            low_memory=False,
        )
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise BridgeError(f"{name} has rows with a different number of fields ({detail}); fix those rows") from None
    except pd.errors.EmptyDataError:
        raise BridgeError(f"{name} has no columns; choose a CSV file with a header row") from None
    if frame.empty:
        raise BridgeError(f"{name} has a header but no data rows; add rows or choose another file")
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(set(frame.columns)) != len(frame.columns):
        duplicates = [c for c, n in Counter(frame.columns).items() if n > 1]
        raise BridgeError(f"{name} repeats the column name(s) {duplicates[:3]}; give each column its own name")
    return coerce_numbers(frame, sep, notes), name, notes
