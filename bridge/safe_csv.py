"""CSV for download that a spreadsheet cannot turn into a formula (CSV injection).

Excel, LibreOffice and Google Sheets run a cell that starts with = + - @ (or a tab or carriage
return that hides one) as a formula. Every CSV Bridge offers goes through here, so a hostile cell
in an uploaded file comes back as text. Numbers stay numbers: only text cells are touched, so a
negative value such as -1.5 is written as is.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that would start a formula gets a leading apostrophe; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
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
