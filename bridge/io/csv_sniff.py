"""Guess how a CSV is written from its first bytes: encoding, separator and header.

Only the start of the file is read (``limits.SNIFF_BYTES``, more only to finish a long header
line, up to ``limits.MAX_HEADER_BYTES``), so sniffing a 10 GB file costs what sniffing a small
one does, and a header with far too many columns is refused before any row is parsed.
The encoding is decided in ``bridge.io.text_encoding``; a NUL anywhere in the file is refused here.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, cast

import numpy as np

from bridge.errors import BridgeError
from bridge.io import limits
from bridge.io.filetype import identify
from bridge.io.text_encoding import detect_encoding

SEPARATORS = [",", ";", "\t", "|"]
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# The ASCII unit separator never occurs in a one-column file, so pandas keeps each line whole.
SINGLE_COLUMN = "\x1f"


@dataclass(frozen=True)
class Sniffed:
    encoding: str  # a codec name pandas accepts
    sep: str
    header: list[str]  # stripped; an empty name becomes 'Unnamed: i', as pandas names it
    notes: list[str] = field(default_factory=list)


def read_head(handle: IO[bytes], name: str) -> tuple[bytes, bool]:
    """The first bytes, through the end of the header line plus a block of rows; (head, whole file)."""
    head = bytearray(handle.read(limits.SNIFF_BYTES))
    if b"\n" not in head and b"\r" not in head:  # old Mac files end lines with \r alone
        while b"\n" not in head and b"\r" not in head:
            more = handle.read(limits.SNIFF_BYTES)
            if not more:
                return bytes(head), True
            head += more
            if len(head) > limits.MAX_HEADER_BYTES:
                raise BridgeError(f"the first line of {name} is longer than {limits.MAX_HEADER_BYTES // 2**20} MB, far more than "
                                  f"a header of {limits.MAX_COLUMNS:,} columns; keep the columns you need and save a smaller CSV")
        head += handle.read(limits.SNIFF_BYTES)  # rows after a long header, for the separator
    return bytes(head), not handle.read(1)


def decode_head(head: bytes, encoding: str, complete: bool, name: str) -> str:
    """The head as text; a cut multi-byte character at its end is left out, not an error."""
    known = identify(head)
    if known:
        raise BridgeError(f"{name} is {known[0]}, not a CSV text table; {known[1]}")
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
    except UnicodeDecodeError:
        raise BridgeError(f"{name} is not valid {encoding} text; save it again as UTF-8 CSV") from None
    NulGuard(io.BytesIO(), encoding, name).check(head)
    return text.removeprefix("\ufeff")


class NulGuard(io.RawIOBase):
    """A binary file read through a check for NUL, which no text CSV holds: the file is refused at the first one.

    One rule for every position: the sniffed start and the rows pandas reads later both pass through this
    check (pandas alone would keep a NUL inside a cell). A NUL character is a zero byte in UTF-8 and the
    one-byte encodings, and a zero 16- or 32-bit unit in UTF-16 or UTF-32, so the check follows the file's encoding.
    """

    def __init__(self, raw: IO[bytes], encoding: str, name: str):
        self.raw, self.name = raw, name
        self.unit = 4 if encoding.startswith("utf-32") else 2 if encoding.startswith("utf-16") else 1
        self.order = f">u{self.unit}" if encoding.endswith("-be") else f"<u{self.unit}" if encoding.endswith("-le") else None  # else its BOM
        self.offset, self.newlines, self.returns, self.carry = 0, 0, 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        # Every opener hands over a buffered binary file (open(.., "rb"), BytesIO, a zip member), all of which
        # have readinto; typing.IO[bytes] just does not declare it.
        n = cast(io.BufferedIOBase, self.raw).readinto(buffer)
        if n:
            self.check(bytes(memoryview(buffer)[:n]))
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()

    def check(self, data: bytes) -> None:
        """Take the next bytes of the file; a NUL among them raises BridgeError with its byte offset and line."""
        data = self.carry + data
        usable = len(data) - len(data) % self.unit
        block, self.carry = data[:usable], data[usable:]
        before: bytes | np.ndarray  # the bytes, or the 16/32-bit units, up to the first NUL
        if self.unit == 1:
            at = block.find(b"\0")
            before = block if at < 0 else block[:at]
            newlines, returns = before.count(b"\n"), before.count(b"\r")
        else:
            if self.order is None:
                big_endian = block.startswith(codecs.BOM_UTF32_BE if self.unit == 4 else codecs.BOM_UTF16_BE)
                self.order = f"{'>' if big_endian else '<'}u{self.unit}"
            units = np.frombuffer(block, self.order)
            zeros = np.flatnonzero(units == 0)
            at = self.unit * int(zeros[0]) if len(zeros) else -1
            before = units if at < 0 else units[: at // self.unit]
            newlines, returns = int(np.count_nonzero(before == 10)), int(np.count_nonzero(before == 13))
        self.newlines, self.returns = self.newlines + newlines, self.returns + returns
        if at >= 0:
            line = max(self.newlines, self.returns) + 1  # \n, \r\n or old Mac \r line ends
            raise BridgeError(f"{self.name} is not a text CSV: it holds a NUL character (binary data) at byte {self.offset + at:,}, "
                              f"line {line:,}; export it as CSV again, or remove that character")
        self.offset += usable


def sniff_separator(lines: list[str]) -> str:
    """The separator that splits the header into 2+ fields and all lines into the most consistent widths.

    The header must split: a one-column file of decimal commas ('1,5') must not become two columns.
    """
    best, best_key = SINGLE_COLUMN, (0.0, 0)
    for sep in SEPARATORS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=sep)]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        width, hits = Counter(widths).most_common(1)[0]
        key = (hits / len(widths), width)
        if key > best_key:
            best, best_key = sep, key
    return best


def parse_header(text: str, sep: str, name: str) -> list[str]:
    """The first non-blank record, as stripped names, checked for count and repeats."""
    try:
        reader = csv.reader(io.StringIO(text, newline=None), delimiter=sep, skipinitialspace=True)  # newline=None: a lone \r ends a line too
        row = next((row for row in reader if any(cell.strip() for cell in row)), [])
    except csv.Error as exc:
        raise BridgeError(f"cannot read the header of {name} ({exc}); check the first line is a plain list of column names") from None
    if not row:
        raise BridgeError(f"{name} is empty; choose a CSV file with a header row and data rows")
    if len(row) > limits.MAX_COLUMNS:
        raise BridgeError(f"{name} has {len(row):,} columns; Bridge reads at most {limits.MAX_COLUMNS:,}; "
                          "keep the columns you need and save a smaller CSV")
    names = [cell.strip() or f"Unnamed: {i}" for i, cell in enumerate(row)]
    repeated = [column for column, count in Counter(names).items() if count > 1]
    if repeated:
        where = [i + 1 for i, column in enumerate(names) if column == repeated[0]]
        raise BridgeError(f"{name} repeats the column name '{repeated[0]}' (columns {', '.join(map(str, where[:4]))}); "
                          "give each column its own name")
    return names


def sniff(head: bytes, complete: bool, name: str) -> Sniffed:
    """Encoding, separator and header of a CSV from its first bytes."""
    encoding = detect_encoding(head, complete)
    text = decode_head(head, encoding, complete, name)
    if not text.strip():
        raise BridgeError(f"{name} is empty; choose a CSV file with a header row and data rows")
    lines = [line for line in text.splitlines() if line.strip()]
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    sep = sniff_separator(lines[:50])
    notes = []
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"read the file as {encoding} text")
    if sep == SINGLE_COLUMN:
        notes.append("found a single column: no comma, semicolon, tab or pipe splits the header line")
    elif sep != ",":
        notes.append(f"detected the {SEPARATOR_NAMES[sep]} separator")
    return Sniffed(encoding, sep, parse_header(text, sep, name), notes)
