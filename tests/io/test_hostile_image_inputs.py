"""Hostile image input, round two: memory, hangs, silent surprises and bounds, one small test per class.

All data is made here (numpy + Pillow), tiny, inside tmp_path or in memory.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import tracemalloc
import unicodedata
import zlib

import numpy as np
import pytest
from files import one_line, write_tree, zip_bytes
from PIL import Image, ImageDraw

from bridge.cli import main
from bridge.config import CompareConfig
from bridge.errors import BridgeError
from bridge.io import images as images_module
from bridge.io import limits
from bridge.io.archive import _open_regular
from bridge.io.data import load_dataset
from bridge.io.images import load_images
from bridge.outputs.thumbnails import to_pil
from bridge.problem.prepare import prepare_images

pytestmark = pytest.mark.usefixtures("nothing_escapes")

# Loading may hold the decoded uint8 array plus small per-file bookkeeping; the old float32 array alone was 4x.
MEMORY_MULTIPLE = 1.5


def png(color=(255, 0, 0), size=(16, 16), mark: int = 0) -> bytes:
    image = Image.new("RGB", size, color)
    if mark:  # a small shape, so images differ but still compress to a few hundred bytes
        ImageDraw.Draw(image).ellipse((2, 2, size[0] - 2 - mark % 7, size[1] - 2), fill=(0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header that claims width x height pixels, with no pixel data behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def two_classes(extra: dict[str, bytes] | None = None, n: int = 3) -> dict[str, bytes]:
    return {f"cat/{i}.png": png((255, 0, 0)) for i in range(n)} | {f"dog/{i}.png": png((0, 0, 255)) for i in range(n)} | (extra or {})


def cli_error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


# -- 1. memory: uint8 storage, a byte budget checked before allocating -------------------------------------------


def test_loading_many_small_images_stays_near_their_uint8_size():
    files = {f"{'ab'[i % 2]}/{i}.png": png((i % 256, 0, 0), (64, 64), mark=i) for i in range(500)}
    blob = zip_bytes(files)
    tracemalloc.start()
    try:
        data = load_images(blob)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    decoded = 500 * 3 * 64 * 64
    assert data.images.dtype == np.uint8 and data.images.nbytes == decoded
    assert peak <= MEMORY_MULTIPLE * decoded, f"peak {peak / 2**20:.1f} MB for {decoded / 2**20:.1f} MB of uint8 images"


def test_floats_appear_only_where_consumed(tmp_path):
    dataset = load_dataset(write_tree(tmp_path / "pets", two_classes(n=6)))
    data = dataset.images
    assert data.images.dtype == np.uint8
    picture = data.image_float(0)
    assert picture.dtype == np.float32 and picture.shape == (3, 16, 16) and picture[:, 0, 0].tolist() == [1, 0, 0]
    prepared = prepare_images(dataset, CompareConfig(seed=0))
    assert prepared.X_train.dtype == np.float32 and 0 <= prepared.X_train.min() and prepared.X_train.max() <= 1
    np.testing.assert_array_equal(prepared.X_test, data.floats(prepared.split.test))
    assert to_pil(data.images[0], 8).getpixel((0, 0)) == to_pil(picture, 8).getpixel((0, 0)) == (255, 0, 0)


def test_the_byte_budget_lowers_the_size_or_refuses_before_decoding(tmp_path, monkeypatch, capsys):
    root = write_tree(tmp_path / "pets", two_classes())  # 6 RGB images of 16x16: 4,608 bytes as uint8
    monkeypatch.setattr(limits, "MAX_DECODED_IMAGE_BYTES", 4000)
    auto = load_images(root)
    assert auto.images.shape == (6, 3, 14, 14) and "lowered to 14 so 6 images fit" in auto.notes[0]

    def never(*args):
        raise AssertionError("decoded before the budget was checked")

    monkeypatch.setattr(images_module, "decode", never)
    with pytest.raises(BridgeError, match=r"pass a smaller --image-size \(14 or less fits\)") as info:
        load_images(root, image_size=16)
    one_line(info)
    assert "pass a smaller --image-size" in cli_error(["compare", str(root), "--image-size", "16", "--quiet"], capsys)


# -- 2. hangs: FIFOs are never opened, huge headers are never decoded ------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_a_named_pipe_in_a_class_folder_is_skipped_never_opened(tmp_path):
    root = write_tree(tmp_path / "pets", two_classes())
    os.mkfifo(root / "cat" / "pipe.png")
    result = {}
    reader = threading.Thread(target=lambda: result.update(dataset=load_dataset(root)), daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "reading the folder blocked on the named pipe"
    dataset = result["dataset"]
    assert len(dataset.images.files) == 6
    assert any("not regular files (e.g. 'cat/pipe.png')" in note for note in dataset.notes)
    with pytest.raises(OSError, match="not a regular file"):  # even if it appears after the listing, it is not waited on
        _open_regular(root / "cat" / "pipe.png")


def test_an_image_over_the_pixel_limit_is_skipped_from_its_header(tmp_path):
    # 8000 x 6000 = 48 megapixels: under Pillow's own limit, over Bridge's; there is no pixel data, so only
    # a header check can give this reason (decoding would say "cannot be decoded").
    dataset = load_dataset(write_tree(tmp_path / "pets", two_classes({"cat/huge.png": png_claiming(8000, 6000)})))
    assert limits.MAX_IMAGE_PIXELS < 8000 * 6000 < Image.MAX_IMAGE_PIXELS
    skipped = {item["file"]: item["reason"] for item in dataset.images.skipped}
    assert skipped == {"cat/huge.png": "too many pixels: 8000x6000 is 48 megapixels, more than the 40 Bridge decodes; shrink it"}
    assert any(note.startswith("skipped 1 image(s) that could not be read: cat/huge.png") for note in dataset.notes)


# -- 3. silent surprises: same-looking classes, junk, --image-size on built-ins ----------------------------------------


def test_class_folders_differing_only_in_case_are_merged_with_a_note():
    data = load_images(zip_bytes({"Cat/1.png": png(), "Cat/2.png": png(), "cat/3.png": png(), "dog/1.png": png((0, 0, 255)),
                                  "dog/2.png": png((0, 0, 255))}))
    assert data.classes == ["Cat", "dog"] and list(data.labels).count("Cat") == 3
    assert ("merged class folders 'Cat', 'cat' into one class 'Cat': their names differ only in letter case; "
            "rename a folder if they are really different classes") in data.notes


def test_two_folders_that_merge_into_one_class_are_one_line():
    with pytest.raises(BridgeError, match="found 1 class 'Cat' after merging folders whose names differ only in letter case") as info:
        load_images(zip_bytes({"Cat/1.png": png(), "Cat/2.png": png(), "cat/3.png": png()}))
    one_line(info)


def test_class_folders_differing_only_in_unicode_form_are_merged_with_a_note():
    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    data = load_images(zip_bytes({f"{nfc}/1.png": png(), f"{nfc}/2.png": png(), f"{nfd}/3.png": png(), "tea/1.png": png((0, 0, 255)),
                                  "tea/2.png": png((0, 0, 255))}))
    assert data.classes == [nfc, "tea"] and len(data.files) == 5
    note = next(note for note in data.notes if note.startswith("merged"))
    assert "'caf\\xe9', 'cafe\\u0301'" in note and "Unicode NFC vs NFD" in note


def test_hidden_and_system_files_are_counted_in_the_notes():
    data = load_images(zip_bytes(two_classes({"__MACOSX/cat/._0.png": b"junk", ".DS_Store": b"junk", "cat/.hidden.png": png()})))
    assert len(data.files) == 6 and data.ignored == 0
    assert any(note.startswith("ignored 3 hidden or system files (e.g. '.DS_Store'): names starting with '.'") for note in data.notes)


@pytest.mark.parametrize(("name", "size", "channels"), [("digits_images", 16, 1), ("digits_moved", 8, 1), ("shapes", 12, 3)])
def test_image_size_applies_to_built_in_image_sets(name, size, channels):
    data = load_dataset(name, image_size=size).images
    assert data.images.shape[1:] == (channels, size, size) and data.images.dtype == np.uint8
    floats = data.floats()
    assert 0 <= floats.min() and floats.max() <= 1 and floats.max() > 0.5


def test_image_size_for_a_table_is_refused_not_ignored(tmp_path, capsys):
    with pytest.raises(BridgeError, match="'iris' is a table, not images; drop --image-size") as info:
        load_dataset("iris", image_size=16)
    one_line(info)
    (tmp_path / "t.csv").write_text("x,y\n1,a\n2,b\n")
    with pytest.raises(BridgeError, match="t.csv is not an image folder or zip; drop --image-size"):
        load_dataset(tmp_path / "t.csv", image_size=16)
    assert "drop --image-size" in cli_error(["compare", "iris", "--image-size", "16", "--quiet"], capsys)


# -- 4. bounds: the image size follows bridge.io.limits ------------------------------------------------------------------


@pytest.mark.parametrize("size", [limits.MIN_IMAGE_SIDE - 1, limits.MAX_IMAGE_SIDE + 1])
def test_image_size_bounds_come_from_limits(tmp_path, size):
    root = write_tree(tmp_path / "pets", two_classes())
    with pytest.raises(BridgeError, match=f"pick a size from {limits.MIN_IMAGE_SIDE} to {limits.MAX_IMAGE_SIDE} pixels"):
        load_images(root, image_size=size)
    assert load_images(root, image_size=limits.MIN_IMAGE_SIDE).images.shape[2:] == (8, 8)

