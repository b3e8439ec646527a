"""Hostile zips: zip slip, symlinks, bombs, nested archives and bad layouts.

Each is refused from its central directory (one clear line) or read safely in memory. Every zip is
built inside the test; the autouse fixtures check that nothing is ever extracted or written outside tmp_path.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from files import one_line, zip_bytes
from PIL import Image

from bridge.errors import BridgeError
from bridge.io import limits
from bridge.io.data import load_dataset
from bridge.io.images import load_images

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def never_extracted(nothing_escapes, monkeypatch):
    """No member is ever extracted (and, from the shared fixture, nothing new appears beside tmp_path)."""

    def never(*args, **kwargs):
        raise AssertionError("a zip member was extracted to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", never)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", never)


def png(color=(255, 0, 0), size=(12, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def two_classes(prefix: str = "") -> dict[str, bytes]:
    return {f"{prefix}cat/{i}.png": png((255, 0, 0)) for i in range(3)} | {f"{prefix}dog/{i}.png": png((0, 0, 255)) for i in range(3)}


def refuse(source, message: str) -> str:
    with pytest.raises(BridgeError, match=message) as info:
        load_images(source)
    return one_line(info)


# -- zip slip and links ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../escaped.png", "cat/../../escaped.png", "/tmp/bridge_zip_slip.png", "C:\\escaped.png", "..\\escaped.png"])
def test_a_member_that_points_outside_the_zip_is_refused(tmp_path, name):
    blob = zip_bytes(two_classes() | {name: png()})
    (tmp_path / "slip.zip").write_bytes(blob)
    for source in (blob, tmp_path / "slip.zip"):
        message = refuse(source, "points outside the zip \\(a 'zip slip'\\); nothing was unpacked; zip the class folders again")
        assert "escaped.png" in message or "bridge_zip_slip" in message
    assert not Path("/tmp/bridge_zip_slip.png").exists() and not (tmp_path.parent / "escaped.png").exists()


def test_symlink_members_are_never_followed(tmp_path):
    link = zipfile.ZipInfo("cat/passwd.png")
    link.create_system, link.external_attr = 3, (0o120777 << 16)  # a Unix symlink to /etc/passwd
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in two_classes().items():
            archive.writestr(name, data)
        archive.writestr(link, "/etc/passwd")
    data = load_images(buffer.getvalue())
    assert "cat/passwd.png" not in data.files and len(data.files) == 6
    assert data.skipped == [] and data.ignored == 0
    assert "ignored 1 symbolic link(s) in the zip (e.g. 'cat/passwd.png'): links are never followed" in data.notes


# -- bombs: refused from the central directory, in bounded memory ----------------------------------------------------


def _peak_while_refusing(blob: bytes, message: str) -> int:
    tracemalloc.start()
    try:
        refuse(blob, message)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _with_declared_size(blob: bytes, size: int) -> bytes:
    """The zip with its (last) central-directory entry declaring ``size`` uncompressed bytes."""
    at = blob.rfind(b"PK\x01\x02")
    return blob[: at + 24] + struct.pack("<I", size) + blob[at + 28 :]


def test_a_zip_declaring_gigabytes_is_refused_before_anything_is_decompressed():
    blob = _with_declared_size(zip_bytes(two_classes() | {"cat/huge.png": png()}), 0xFFFF_0000)  # says 4 GB
    peak = _peak_while_refusing(blob, "the uploaded file would unpack to 4.0 GB; Bridge reads at most 2.0 GB of images")
    assert peak < 3 * 2**20  # the refusal costs no more than reading the directory


def test_a_compression_bomb_is_refused_by_its_ratio():
    bomb = zip_bytes(two_classes() | {"dog/bomb.bmp": bytes(16 * 2**20)}, zipfile.ZIP_DEFLATED)  # 16 MB of zeros in ~16 KB
    assert len(bomb) < 100_000
    peak = _peak_while_refusing(bomb, "holds 'dog/bomb.bmp', 16.0 MB compressed 1,0\\d\\d times, like a zip bomb")
    assert peak < 3 * 2**20


def test_too_many_members_are_refused_from_the_end_record_and_from_the_directory(monkeypatch):
    blob = zip_bytes(two_classes())
    end = blob.rfind(b"PK\x05\x06")
    lying = blob[: end + 8] + struct.pack("<HH", 60_000, 60_000) + blob[end + 12 :]  # the end record claims 60,000 files

    def never(*args, **kwargs):
        raise AssertionError("the directory was parsed")

    with monkeypatch.context() as patch:
        patch.setattr(zipfile, "ZipFile", never)
        refuse(lying, f"the uploaded file lists 60,000 files; Bridge opens zips of at most {limits.MAX_ZIP_MEMBERS:,} files")
    monkeypatch.setattr(limits, "MAX_ZIP_MEMBERS", 4)
    understated = blob[: end + 8] + struct.pack("<HH", 1, 1) + blob[end + 12 :]  # claims 1 file, lists 6
    refuse(understated, "lists more than 4 files; Bridge opens zips of at most 4 files")  # counted, not believed
    refuse(blob, "lists 6 files; Bridge opens zips of at most 4 files")


def _stored_zip(members: list[tuple[str, bytes, bytes, int]]) -> bytes:
    """A zip written by hand: (name, raw deflate data, the bytes it claims to hold, declared size) per member."""
    body, directory = b"", b""
    for name, data, claimed, size in members:
        crc, encoded = zlib.crc32(claimed), name.encode()
        fields = struct.pack("<HHHHHIIIHH", 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
        directory += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, len(body)) + encoded
        body += b"PK\x03\x04" + fields + encoded + data
    end = struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(directory), len(body), 0)
    return body + directory + b"PK\x05\x06" + end


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def test_a_member_that_inflates_past_its_declared_size_never_yields_more():
    """The data inflates to 32 MB but the directory says 1 KB: zipfile stops at the declared size."""
    honest = [(name, _deflate(content), content, len(content)) for name, content in two_classes().items()]
    real = png()
    liar = ("cat/liar.png", _deflate(real + bytes(32 * 2**20)), real, len(real))
    tracemalloc.start()
    try:
        data = load_images(_stored_zip([*honest, liar]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "cat/liar.png" in data.files and len(data.files) == 7
    assert peak < 3 * 2**20


def test_a_truncated_zip_is_one_line(tmp_path):
    blob = zip_bytes(two_classes())
    refuse(blob[: len(blob) // 2], "is not a valid zip archive")
    (tmp_path / "cut.zip").write_bytes(b"PK\x03\x04" + blob[4 : len(blob) // 2])
    with pytest.raises(BridgeError) as info:
        load_dataset(tmp_path / "cut.zip")
    one_line(info)


# -- nested archives, layouts, junk ------------------------------------------------------------------------------------


def test_nested_zips_are_ignored_and_counted():
    inner = zip_bytes(two_classes())
    data = load_images(zip_bytes(two_classes() | {"cat/more.zip": inner, "dog/photo.png": inner}))
    assert len(data.files) == 6 and data.skipped == [] and data.ignored == 0
    assert any(note.startswith("ignored 2 archives inside the data (e.g. 'cat/more.zip'): archives inside archives are never opened")
               for note in data.notes)
    refuse(zip_bytes({"cat/a.zip": inner, "dog/b.zip": inner}), "no images found in the uploaded zip, only 2 archives inside it")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.png": png(), "b.png": png()}, "no class folders found in the uploaded zip: the images sit directly in it"),
        ({"cat/a.png": png(), "cat/b.png": png()}, "found 1 class 'cat'; an image dataset needs at least two class folders"),
        ({"cat/a.txt": b"hello", "dog/b.csv": b"a,b\n1,2\n", "empty/": b""}, "no images found in the uploaded zip"),
        ({}, "no images found in the uploaded zip"),
        ({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"}, "is an Excel workbook \\(a zip of XML files\\), not an image folder"),
    ],
    ids=["no-class-folders", "single-class", "no-images", "empty-zip", "xlsx"],
)
def test_layout_errors_are_one_line(files, message):
    refuse(zip_bytes(files), message)


def test_a_mac_zip_with_junk_and_an_empty_class_folder_works():
    files = {"pets/": b"", "pets/empty/": b"", "pets/.DS_Store": b"\x00\x00\x00\x01Bud1", "__MACOSX/pets/cat/._0.png": b"\x00\x05\x16\x07",
             "pets/cat/.DS_Store": b"junk", "__MACOSX/._pets": b"junk"} | two_classes("pets/")
    data = load_images(zip_bytes(files))
    assert data.classes == ["cat", "dog"] and len(data.files) == 6
    assert data.skipped == [] and data.ignored == 0


def test_a_zip_named_png_is_read_as_the_zip_it_is(tmp_path):
    path = tmp_path / "holiday.png"
    path.write_bytes(zip_bytes(two_classes()))
    dataset = load_dataset(path)
    assert dataset.kind == "images" and dataset.images.classes == ["cat", "dog"]


def test_the_cli_refuses_a_bomb_with_exit_2(tmp_path):
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(_with_declared_size(zip_bytes(two_classes()), 0xFFFF_0000))
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-m", "bridge", "compare", str(bomb), "--quiet"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bomb} would unpack to 4.0 GB") and "Traceback" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["bomb.zip"]
