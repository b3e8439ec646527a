"""Read a real-world CSV without asking the user to clean it first.

Encoding, separator and header are sniffed from the first bytes (``bridge.io.csv_sniff``); pandas
then reads the rows straight from the file in chunks, so a big file is never held as bytes and
as text at once. A file longer than the row cap is sampled uniformly with a fixed seed, in
bounded memory. Numbers written as text are coerced. What was guessed is reported as notes.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Callable
from typing import IO

import numpy as np
import pandas as pd

from bridge.errors import BridgeError
from bridge.io import limits
from bridge.io.csv_sniff import SINGLE_COLUMN, NulGuard, Sniffed, read_head, sniff
from bridge.io.text_encoding import guess_where_decoding_fails

# pandas' own NA words plus the ones real exports use ('?' in UCI files).
EXTRA_NA = ["?", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "-", "--", ""]
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_LONG_INTEGER = re.compile(r"^[+-]?\d{19,}$")  # int64 holds up to 9,223,372,036,854,775,807: 19 digits
_INT64 = np.iinfo(np.int64)
# Later bytes can break the encoding guessed from the first 64 KB. charset-normalizer's guess from where it breaks
# is tried next; files that began as UTF-8 or cp1252 are then read as Latin-1, which decodes every byte and reads
# their ASCII and Western letters alike. Any other file is refused rather than read as mojibake.
_LATIN1_LAST_RESORT = {"utf-8", "utf-8-sig", "cp1252"}


def _source(source: str | os.PathLike | bytes, label: str | None) -> tuple[Callable[[], IO[bytes]], str]:
    """A function that opens the CSV afresh as binary, and its display name."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)  # bytes are not copied; an upload is already in memory
        return lambda: io.BytesIO(data), label or "uploaded.csv"
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise BridgeError(f"file not found: {path}; check the path or run 'python -m bridge datasets'")
    return lambda: open(path, "rb"), os.path.basename(path)


class _Sample:
    """A seeded uniform sample of at most ``cap`` rows, fed chunk by chunk, kept in file order.

    Every row gets a random key and the ``cap`` smallest keys win: a uniform sample without
    replacement. Kept rows are trimmed whenever they pass 1.5 x cap, and rows whose key is
    already above the trimmed threshold are never kept, so memory stays near cap rows plus
    one chunk however long the file is.
    """

    def __init__(self, cap: int, seed: int):
        self.cap, self.rng = cap, np.random.default_rng(seed)
        self.pieces: list[tuple[pd.DataFrame, np.ndarray]] = []
        self.kept = self.total = 0
        self.threshold = np.inf

    def add(self, chunk: pd.DataFrame) -> None:
        keys = self.rng.random(len(chunk))
        self.total += len(chunk)
        if self.threshold < np.inf:
            chunk, keys = chunk[keys <= self.threshold], keys[keys <= self.threshold]
        if len(chunk):
            self.pieces.append((chunk, keys))
            self.kept += len(chunk)
        if self.kept > 1.5 * self.cap:
            self._trim()

    def _trim(self) -> None:
        self.threshold = float(np.partition(np.concatenate([keys for _, keys in self.pieces]), self.cap - 1)[self.cap - 1])
        for i, (chunk, keys) in enumerate(self.pieces):  # piece by piece, so the old one is freed as the next is cut
            self.pieces[i] = (chunk[keys <= self.threshold], keys[keys <= self.threshold])
        self.kept = sum(len(keys) for _, keys in self.pieces)

    def frame(self) -> pd.DataFrame | None:
        if self.kept > self.cap:
            self._trim()
        frames = [chunk for chunk, _ in self.pieces if len(chunk)]
        self.pieces = []
        return pd.concat(frames) if frames else None


def _read_rows(open_file: Callable[[], IO[bytes]], sniffed: Sniffed, encoding: str, cap: int, name: str) -> tuple[pd.DataFrame | None, int]:
    sample = _Sample(cap, limits.SAMPLE_SEED)
    chunk_rows = max(1_000, limits.CHUNK_CELLS // len(sniffed.header))
    try:
        with io.BufferedReader(NulGuard(open_file(), encoding, name)) as handle, warnings.catch_warnings():
            # pandas only warns when the first row has more fields than the header, then drops them.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                handle, sep=sniffed.sep, encoding=encoding, names=sniffed.header, header=0, index_col=False,
                na_values=EXTRA_NA, keep_default_na=True, skipinitialspace=True, on_bad_lines="error",
                chunksize=chunk_rows, low_memory=False,
            )
            with reader:
                for chunk in reader:
                    sample.add(chunk)
    except pd.errors.ParserWarning:
        raise BridgeError(f"{name} has rows with more fields than its header ({len(sniffed.header)} names); fix those rows "
                          "or remove the separator at the end of each line") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1].removeprefix("Error tokenizing data. ")
        if "EOF inside string" in detail:
            raise BridgeError(f"{name} has a quote (\") that is never closed ({detail}); close or remove it") from None
        raise BridgeError(f"{name} has rows with a different number of fields ({detail}); fix those rows") from None
    except pd.errors.EmptyDataError:
        raise BridgeError(f"{name} has no columns; choose a CSV file with a header row") from None
    return sample.frame(), sample.total


def _read_rows_in_some_encoding(open_file: Callable[[], IO[bytes]], sniffed: Sniffed, cap: int, name: str) -> tuple[pd.DataFrame | None, int, str]:
    """The rows read in the sniffed encoding or, where later bytes break it, in the fallbacks; and the encoding that read them."""
    try:
        return (*_read_rows(open_file, sniffed, sniffed.encoding, cap, name), sniffed.encoding)
    except UnicodeDecodeError:
        pass
    fallbacks = [guess_where_decoding_fails(open_file, sniffed.encoding)]  # streams the file once more, on this rare path only
    if sniffed.encoding in _LATIN1_LAST_RESORT:
        fallbacks.append("latin-1")
    for encoding in dict.fromkeys(fallback for fallback in fallbacks if fallback):
        try:
            return (*_read_rows(open_file, sniffed, encoding, cap, name), encoding)
        except UnicodeDecodeError:
            continue
    raise BridgeError(f"{name} is not valid {sniffed.encoding} text after its first bytes; save it again as UTF-8 CSV")


def parse_csv(source: str | os.PathLike | bytes, max_rows: int | None = None, label: str | None = None) -> tuple[pd.DataFrame, str, list[str]]:
    """Read a CSV path or bytes into a frame; return (frame, name, notes).

    At most ``max_rows`` rows (default ``limits.MAX_ROWS``, fewer for very wide files) are kept;
    a longer file is sampled and a note says so. The index is each row's position in the file.
    ``label`` names uploaded bytes in messages (default 'uploaded.csv').
    """
    open_file, name = _source(source, label)
    with open_file() as handle:
        head, complete = read_head(handle, name)
    if not head.strip():
        raise BridgeError(f"{name} is empty; choose a CSV file with a header row and data rows")
    sniffed = sniff(head, complete, name)
    del head
    notes = list(sniffed.notes)
    wanted = limits.MAX_ROWS if max_rows is None else max_rows
    if wanted < 1:
        raise BridgeError(f"max_rows must be at least 1, not {wanted}")
    cap = max(1, min(wanted, limits.MAX_CELLS // len(sniffed.header)))
    frame, total, encoding = _read_rows_in_some_encoding(open_file, sniffed, cap, name)
    if encoding != sniffed.encoding:
        notes = [note for note in notes if not note.startswith("read the file as")] + [f"read the file as {encoding} text"]
    if frame is None or frame.empty:
        raise BridgeError(f"{name} has a header but no data rows; add rows or choose another file")
    if total > len(frame):
        why = "raise --max-rows to read more"
        if cap < wanted:
            why = f"with {len(sniffed.header):,} columns Bridge keeps at most {limits.MAX_CELLS:,} cells"
        notes.append(f"sampled {len(frame):,} of {total:,} rows (a seeded uniform random sample; {why})")
    return coerce_numbers(frame, sniffed.sep, notes), name, notes


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


def _beyond_int64(series: pd.Series) -> str | None:
    """The first whole number written in ``series`` that int64 cannot hold, as written; None if there is none.

    pandas reads such numbers as uint64 or as Python ints, and numbers would become floats: 2**70 and
    2**70 + 1 would be one value (one class), and messages would show a rounded or wrapped-around number.
    """
    if pd.api.types.is_unsigned_integer_dtype(series):
        big = series[series > _INT64.max]
        return str(big.iloc[0]) if len(big) else None
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    text = series.dropna().astype(str).str.strip()
    text = text[text.str.match(_LONG_INTEGER)]
    return next((value for value in text if not _INT64.min <= int(value) <= _INT64.max), None)


def coerce_numbers(frame: pd.DataFrame, sep: str, notes: list[str]) -> pd.DataFrame:
    """Turn text columns that are really numbers into numbers, and say so; changes ``frame`` in place.

    Whole numbers beyond int64 keep the column as text: each value stays exactly as written.
    In place on purpose: a copy of a million-row frame would double the peak memory of loading it.
    """
    decimal_columns = []
    for column in frame.columns:
        series = frame[column]
        huge = _beyond_int64(series)
        if huge is not None:
            frame[column] = series.astype(str)  # missing values stay missing
            notes.append(f"column '{column}' holds whole numbers too long for 64 bits (such as {huge}), "
                         "so it is read as text and each value stays exact")
            continue
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        comma_share = _numeric_share(series, _DECIMAL_COMMA) if sep not in (",", SINGLE_COLUMN) else 0.0
        plain_share = _numeric_share(series, _PLAIN_NUMBER)
        # A tie means no value has a decimal comma ('0.125' fits both): read it as pandas would, as a dot decimal.
        decimal_comma = comma_share > plain_share
        share = max(comma_share, plain_share)
        if share < 0.9:  # mostly words: a categorical or text column
            if share >= 0.5:
                notes.append(f"column '{column}' mixes numbers ({share:.0%}) and words, so it is read as text categories; "
                             "fix the words if it is a numeric column")
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
