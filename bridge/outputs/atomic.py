"""Outputs that are whole or absent, never half-written.

A run killed while writing (Ctrl-C, the OOM killer, a full disk) used to leave a ``data.csv`` cut
short that the exported scripts then trained on without a word, or a folder that mixed two runs'
files. So every file Bridge writes goes to a temporary name in its own folder and is renamed over
the target only once complete (``os.replace`` is atomic within a filesystem). An export folder is
built in a temporary sibling, gets ``MANIFEST.json`` (every file's size and sha256) last, and only
then takes the target's place; the exported scripts check the manifest before trusting their data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bridge.errors import BridgeError

MANIFEST = "MANIFEST.json"
FORMAT = "bridge-export/1"
DERIVED = {"__pycache__"}  # what running or importing the scripts adds to an export; dropped with it

_UMASK = os.umask(0)  # read once at import: new files get the usual permissions, not mkstemp's 0600
os.umask(_UMASK)


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable: without this a power cut can undo it after the file's own fsync."""
    with contextlib.suppress(OSError):  # not every platform or filesystem lets a folder be opened
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``, on an error it is removed.

    ``path`` keeps its old content until the new one is complete. A symlink is followed (its target
    is replaced, the link stays); a device or pipe such as /dev/stdout is written directly, as it
    cannot be renamed over and holds nothing to protect.
    """
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        if target.is_dir():
            raise BridgeError(f"cannot write {path}: it is a folder; give a file path")
        with open(target, mode, encoding=encoding) as handle:
            yield handle
        return
    handle_fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(handle_fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        old_mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_UMASK
        os.chmod(temporary, old_mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(target.parent)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_file(path, "wb") as handle:
        handle.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_file(path, "w", encoding="utf-8") as handle:
        handle.write(text)


# -- the manifest ----------------------------------------------------------------------------------------


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_bytes(files: dict[str, bytes]) -> bytes:
    """MANIFEST.json for these files: name -> size in bytes and sha256, so a reader can tell whole from cut short."""
    entries = {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
               for name, data in files.items() if name != MANIFEST}
    return (json.dumps({"format": FORMAT, "files": entries}, indent=2) + "\n").encode("utf-8")


def read_manifest(folder: str | os.PathLike) -> dict | None:
    """The manifest's {name: {"bytes", "sha256"}}, or None when the folder has no readable Bridge manifest."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
        return None
    return data["files"]


def verify_manifest(folder: str | os.PathLike, names: list[str] | None = None) -> list[str]:
    """What does not match the manifest (all of its files, or only ``names``); empty when everything does."""
    files = read_manifest(folder)
    if files is None:
        return [f"{MANIFEST} is missing or unreadable"]
    problems = []
    for name in files if names is None else names:
        entry, path = files.get(name), Path(folder) / name
        if not isinstance(entry, dict):
            problems.append(f"{name} is not listed in {MANIFEST}")
        elif not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != entry.get("bytes") or sha256_file(path) != entry.get("sha256"):
            problems.append(f"{name} does not match its size and sha256 in {MANIFEST}")
    return problems


# -- output paths, checked before any work -------------------------------------------------------------------


def _check_writable(folder: Path, what: str) -> None:
    """Really create a file: permission bits say nothing about a read-only disk, and root passes every os.access."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise BridgeError(f"cannot write {what} in {folder} ({exc.strerror or exc}); choose a folder you can write to") from None


def check_file_target(path: str | os.PathLike, what: str) -> None:
    """Refuse a file output that cannot be written: a folder at the path, a missing or read-only folder."""
    if not str(path).strip():
        raise BridgeError(f"the path given for {what} is blank; give a file path")
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise BridgeError(f"cannot write {what} to {path}: it is a folder, not a file; give a file path inside it")
    if not target.parent.is_dir():
        raise BridgeError(f"cannot write {path}: the folder {target.parent} does not exist; create it or choose another path")
    if not target.exists() or target.is_file():  # a device such as /dev/null is written in place
        _check_writable(target.parent, what)


def foreign_entries(folder: Path) -> list[str]:
    """Entries of a previous export its manifest does not list: the user's own files, which a new export must not delete."""
    listed = set(read_manifest(folder) or {}) | {MANIFEST} | DERIVED
    return sorted(entry.name for entry in folder.iterdir() if entry.name not in listed)


def check_folder_target(path: str | os.PathLike, what: str = "the export") -> Path:
    """The folder to (re)place, resolved: missing, empty, or a previous Bridge export holding nothing else."""
    if not str(path).strip():
        raise BridgeError(f"the path given for {what} is blank; give a folder path")
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_dir():
        raise BridgeError(f"cannot export to {path}: it is a file, not a folder; choose a folder path")
    if not target.parent.is_dir():
        raise BridgeError(f"cannot write {path}: the folder {target.parent} does not exist; create it or choose another path")
    if target.is_dir() and any(target.iterdir()):
        if read_manifest(target) is None:
            raise BridgeError(f"cannot export to {path}: it holds files and is not a Bridge export (no {MANIFEST}); "
                              "choose a new or empty folder so the export's files do not mix with others")
        extra = foreign_entries(target)
        if extra:
            shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
            raise BridgeError(f"cannot export to {path}: the previous export there also holds files it did not write ({shown}), "
                              "which replacing it would delete; move them out or choose another folder")
    _check_writable(target.parent, what)
    return target


# -- a whole folder at once --------------------------------------------------------------------------------


def _swap_in(staged: Path, target: Path) -> None:
    """Put ``staged`` at ``target``; a previous export there is moved aside first and removed after."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()  # an empty folder the user made: renaming over it is not portable
    if not target.exists():
        os.rename(staged, target)
        return
    aside = target.with_name(f".{target.name}.replaced-{secrets.token_hex(4)}")
    os.rename(target, aside)
    try:
        os.rename(staged, target)
    except BaseException:
        os.rename(aside, target)  # put the previous export back rather than leave nothing
        raise
    shutil.rmtree(aside, ignore_errors=True)


def write_folder(folder: str | os.PathLike, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (fixed names) as the folder ``folder``, whole: staged beside it, manifest last, then swapped in.

    Killed at any point, ``folder`` is either its previous state (or absent, for an instant during the
    swap) or the complete new export; a staged sibling ``.NAME.partial-*`` may be left, with no manifest.
    """
    Path(os.path.realpath(folder)).parent.mkdir(parents=True, exist_ok=True)
    target = check_folder_target(folder)
    staged = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.partial-"))
    try:
        for name, data in files.items():
            if name != MANIFEST:
                _write_file(staged / name, data)
        _write_file(staged / MANIFEST, files.get(MANIFEST) or manifest_bytes(files))  # last: it vouches for the rest
        os.chmod(staged, 0o777 & ~_UMASK)
        _fsync_folder(staged)
        check_folder_target(target)  # again: the folder may have changed while the run trained
        _swap_in(staged, target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    _fsync_folder(target.parent)
    return [target / name for name in files] + ([] if MANIFEST in files else [target / MANIFEST])


def _write_file(path: Path, data: bytes) -> None:
    """One file of a staged folder (the folder itself is the temporary name); flushed to disk before the manifest."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
