"""Helpers the hostile-input tests share: folders and zips of named bytes (always inside a test's tmp_path),
and the check that an error is one line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Write each ``name: bytes`` under ``root`` (names may hold folders); returns ``root``."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def zip_bytes(files: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip in memory; a name ending in '/' becomes an empty folder entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            if name.endswith("/"):
                archive.writestr(zipfile.ZipInfo(name), b"")
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


def one_line(info) -> str:
    """The message of a caught error (a pytest ExceptionInfo), after checking it is one non-empty line."""
    message = str(info.value)
    assert "\n" not in message and message
    return message


def single_error_line(err: str) -> str:
    """The CLI's stderr for bad input, after checking it is one line starting 'error: ' and no traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]
