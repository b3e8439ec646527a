"""Open an image folder or a zip of one safely; a zip is judged from its central directory first.

Nothing is extracted to disk and no disk path is ever built from a member's name: members are
read in memory, one at a time, by the image loader. A zip bomb (too many members, too many
bytes, a ratio no real image reaches) is refused from what the zip declares, before a single
byte is decompressed; zipfile then never returns more bytes than a member declares. The end
record is read first, so a directory listing millions of members is refused without parsing it.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from bridge.errors import BridgeError
from bridge.io import limits

Opener = Callable[[str], IO[bytes]]
_END = b"PK\x05\x06"
_END64, _LOCATOR64, _ENTRY = b"PK\x06\x06", b"PK\x06\x07", b"PK\x01\x02"
_DRIVE = re.compile(r"^[A-Za-z]:")
_REPACK = "zip the class folders again"


def _mb(size: int) -> str:
    return f"{size / 2**30:.1f} GB" if size >= 2**30 else f"{size / 2**20:.1f} MB"


def _directory_size(fp: IO[bytes]) -> tuple[int, int, int] | None:
    """(declared entries, directory bytes, directory offset) from the end record; None if there is none (zipfile says why)."""
    fp.seek(0, 2)
    size = fp.tell()
    tail_size = min(size, 22 + 65535 + 20 + 56)  # the end record, its longest comment, and the zip64 records before it
    fp.seek(size - tail_size)
    tail = fp.read(tail_size)
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < 22:
        return None
    entries, directory, offset = struct.unpack("<HII", tail[at + 10 : at + 20])
    end_at = size - tail_size + at
    if at >= 20 and tail[at - 20 : at - 16] == _LOCATOR64:
        (record_at,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        fp.seek(record_at)
        record = fp.read(56)
        if record[:4] == _END64 and len(record) == 56:
            entries, directory, offset = struct.unpack("<QQQ", record[32:56])
            end_at = record_at
    return entries, directory, max(0, end_at - directory)


def _count_entries(fp: IO[bytes], directory: int, start: int) -> int:
    """Entries actually in the central directory (which need not match the end record), counted up to the limit."""
    fp.seek(start)
    data = fp.read(directory)
    count = pos = 0
    while pos + 46 <= len(data) and data[pos : pos + 4] == _ENTRY and count <= limits.MAX_ZIP_MEMBERS:
        name_size, extra_size, comment_size = struct.unpack_from("<HHH", data, pos + 28)
        pos += 46 + name_size + extra_size + comment_size
        count += 1
    return count


def _too_many(label: str, count: int | str) -> BridgeError:
    count = count if isinstance(count, str) else f"{count:,}"
    return BridgeError(f"{label} lists {count} files; Bridge opens zips of at most {limits.MAX_ZIP_MEMBERS:,} files "
                       "(nothing was unpacked); use fewer images or split the dataset")


def check_directory(fp: IO[bytes], label: str) -> None:
    """Refuse a zip whose end record or central directory is too large, before zipfile parses it."""
    found = _directory_size(fp)
    if found is None:
        return
    entries, directory, start = found
    if entries > limits.MAX_ZIP_MEMBERS:
        raise _too_many(label, entries)
    if directory > limits.MAX_ZIP_DIRECTORY_BYTES:
        raise BridgeError(f"{label} has a {_mb(directory)} list of contents; Bridge reads at most "
                          f"{_mb(limits.MAX_ZIP_DIRECTORY_BYTES)} (nothing was unpacked); use fewer images")
    if _count_entries(fp, directory, start) > limits.MAX_ZIP_MEMBERS:  # the end record understated them
        raise _too_many(label, f"more than {limits.MAX_ZIP_MEMBERS:,}")
    fp.seek(0)


def member_name(info: zipfile.ZipInfo, label: str) -> str:
    """The member's name as a relative posix path; a name that climbs out ('../') or is absolute is refused."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name) or ".." in name.split("/"):
        raise BridgeError(f"{label} holds a file named '{name[:80]}' that points outside the zip (a 'zip slip'); "
                          f"nothing was unpacked; {_REPACK}")
    return name.strip("/")


def is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)  # 3: made on Unix, mode in the high bits


def check_sizes(infos: list[zipfile.ZipInfo], label: str) -> None:
    """Refuse a zip bomb from the sizes its directory declares: members, total bytes, compression ratio."""
    if len(infos) > limits.MAX_ZIP_MEMBERS:
        raise _too_many(label, len(infos))
    total = sum(info.file_size for info in infos)
    if total > limits.MAX_ZIP_BYTES:
        raise BridgeError(f"{label} would unpack to {_mb(total)}; Bridge reads at most {_mb(limits.MAX_ZIP_BYTES)} of images "
                          "from a zip (nothing was unpacked); use fewer or smaller images")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= limits.RATIO_MIN_BYTES and ratio > limits.MAX_ZIP_RATIO:
            raise BridgeError(f"{label} holds '{info.filename[:80]}', {_mb(info.file_size)} compressed {ratio:,.0f} times, "
                              f"like a zip bomb (real images compress less than {limits.MAX_ZIP_RATIO}x); nothing was unpacked; "
                              "zip the image files themselves")


@contextmanager
def open_zip(file: Path | IO[bytes], label: str) -> Iterator[tuple[list[str], Opener, list[str]]]:
    """Yield (member names, a function that opens one in memory, notes) for a checked zip."""
    try:
        if isinstance(file, Path):
            with open(file, "rb") as fp:
                check_directory(fp, label)
        else:
            check_directory(file, label)
        archive = zipfile.ZipFile(file)
    except BridgeError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, struct.error, ValueError, EOFError) as exc:
        raise BridgeError(f"{label} is not a valid zip archive ({exc}); upload a .zip of a folder with one subfolder per class") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        check_sizes(infos, label)
        _refuse_office([info.filename for info in infos], label)
        members, links = {}, []
        for info in infos:
            name = member_name(info, label)
            if is_symlink(info):  # never followed: its content is only a path
                links.append(name)
            elif name:
                members[name] = info
        notes = [f"ignored {len(links)} symbolic link(s) in the zip (e.g. '{links[0]}'): links are never followed"] if links else []
        yield sorted(members), lambda name: archive.open(members[name]), notes


def _refuse_office(names: list[str], label: str) -> None:
    """An .xlsx or .docx is a zip of XML: say what it is rather than 'no images found'."""
    if "[Content_Types].xml" in names:
        kind = "an Excel workbook" if any(name.startswith("xl/") for name in names) else "an Office document"
        raise BridgeError(f"{label} is {kind} (a zip of XML files), not an image folder; save the sheet as CSV and use that")


@contextmanager
def open_source(source: str | os.PathLike | bytes) -> Iterator[tuple[list[str], Opener, list[str]]]:
    """Yield the file names (posix, relative), a function that opens one of them, and notes on what was left out."""
    if isinstance(source, bytes | bytearray | memoryview):
        with open_zip(io.BytesIO(bytes(source)), "the uploaded file") as found:
            yield found
        return
    path = Path(source)
    if not path.exists():
        raise BridgeError(f"{path} does not exist; check the path to the image folder or .zip")
    if path.is_dir():
        names, special = _regular_files(path)
        notes = [f"ignored {len(special)} item(s) that are not regular files (e.g. '{special[0]}'): named pipes, devices, "
                 "sockets and broken links are never opened (reading one can wait forever)"] if special else []
        yield names, lambda name: _open_regular(path / name), notes
    elif zipfile.is_zipfile(path):
        with open_zip(path, str(path)) as found:
            yield found
    else:
        raise BridgeError(f"{path} is not a folder or a .zip file; give a folder (or a .zip of one) with one subfolder per class")


def _regular_files(root: Path) -> tuple[list[str], list[str]]:
    """(regular files, everything else) under root as sorted posix names; a link counts as what it points to."""
    regular: list[str] = []
    special: list[str] = []
    for top, _, files in os.walk(root):
        for name in files:
            full = Path(top) / name
            try:
                is_file = stat.S_ISREG(os.stat(full).st_mode)  # stat never opens, so a FIFO cannot block here
            except OSError:  # a broken link, or no permission to look
                is_file = False
            (regular if is_file else special).append(full.relative_to(root).as_posix())
    return sorted(regular), sorted(special)


def _open_regular(path: Path) -> IO[bytes]:
    """Open for reading without ever blocking: a file swapped for a FIFO after the listing is refused, not waited on."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
