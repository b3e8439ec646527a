"""CSV for download that a spreadsheet cannot turn into a formula (CSV injection).

Excel, LibreOffice and Google Sheets run a cell that starts with = + - @ (or a tab or carriage
return that hides one) as a formula. Every CSV Bridge offers goes through here, so a hostile cell
in an uploaded file comes back as text. Numbers stay numbers: number cells are never touched, and a
text cell that is one plain number (-2.66, +3, -1e5) is written as is, since a spreadsheet reads it
as that number and runs nothing; -2+3 or -A1 would be a formula, so they get the apostrophe.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# One signed decimal number and nothing else, which a spreadsheet reads as that number.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: object) -> object:
    """A text cell that would start a formula gets a leading apostrophe; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV bytes with every text cell and column name neutralised."""
    safe = frame.copy()
    safe.columns = [neutralise(str(name)) for name in safe.columns]
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    # "\r\n" rows make pandas quote any cell holding a bare "\r", so no cell can start a new row in a spreadsheet.
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
