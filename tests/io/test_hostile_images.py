"""Hostile and broken image files: skipped and counted, or refused with one clear line; never decoded by a format off the allowlist.

Every file is built inside the test, in tmp_path; the autouse fixture checks nothing appeared beside it.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from files import write_tree, zip_bytes
from PIL import EpsImagePlugin, Image, TiffImagePlugin

from bridge.errors import BridgeError
from bridge.io.data import load_dataset
from bridge.io.images import load_images

pytestmark = pytest.mark.usefixtures("nothing_escapes")


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png(color=(255, 0, 0), size=(16, 16)) -> bytes:
    return encode(Image.new("RGB", size, color), "PNG")


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header that claims width x height pixels, with (almost) no pixel data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def two_classes(extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    return {f"cat/{i}.png": png((255, 0, 0)) for i in range(3)} | {f"dog/{i}.png": png((0, 0, 255)) for i in range(3)} | (extra or {})


def reasons(data) -> dict[str, str]:
    return {item["file"]: item["reason"] for item in data.skipped}


def both(tmp_path, files: dict[str, bytes]):
    """The same files as a folder and as zip bytes: both loaders must agree."""
    return [load_images(write_tree(tmp_path / "folder", files)), load_images(zip_bytes(files))]


# -- broken files are skipped, counted and named ----------------------------------------------------------------


def test_truncated_and_corrupt_files_are_skipped_and_counted(tmp_path):
    jpeg = encode(Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)), "JPEG")
    good = png()
    bad_crc = good[:-20] + bytes([good[-20] ^ 0xFF]) + good[-19:]
    files = two_classes({"cat/truncated.jpg": jpeg[: len(jpeg) // 2], "cat/empty.png": b"", "dog/bad_crc.png": bad_crc,
                         "dog/header_only.png": good[:40]})
    for data in both(tmp_path, files):
        assert len(data.files) == 6
        assert sorted(reasons(data)) == ["cat/empty.png", "cat/truncated.jpg", "dog/bad_crc.png", "dog/header_only.png"]
        assert reasons(data)["cat/empty.png"] == "not a PNG, JPEG, BMP, GIF or WebP image by its content"
        assert reasons(data)["cat/truncated.jpg"].startswith("cannot be decoded")
    dataset = load_dataset(write_tree(tmp_path / "folder", files))
    assert any(note.startswith("skipped 4 image(s) that could not be read: cat/empty.png, cat/truncated.jpg") for note in dataset.notes)


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (65_535, 65_535), (10_000, 10_000), (1, 200_000_000)])
def test_decompression_bombs_are_skipped_from_the_header(tmp_path, width, height):
    """Pillow's MAX_IMAGE_PIXELS stays; a header claiming more is skipped without decoding (there is no pixel data to decode)."""
    assert Image.MAX_IMAGE_PIXELS == int(1024 * 1024 * 1024 // 4 // 3)  # Pillow's default, untouched
    for data in both(tmp_path, two_classes({"cat/bomb.png": png_claiming(width, height)})):
        assert len(data.files) == 6
        assert reasons(data)["cat/bomb.png"].startswith("too many pixels, skipped as a possible decompression bomb")


def test_a_gif_claiming_huge_dimensions_is_skipped(tmp_path):
    size = struct.pack("<HH", 65535, 65535)
    gif = b"GIF89a" + size + b"\x00\x00\x00,\x00\x00\x00\x00" + size + b"\x00\x02\x02D\x01\x00;"
    data = load_images(zip_bytes(two_classes({"dog/huge.gif": gif})))
    assert "decompression bomb" in reasons(data)["dog/huge.gif"]


def test_extreme_shapes_and_odd_modes_load(tmp_path):
    strip = Image.new("RGB", (4_000, 1), (0, 255, 0))
    transparent_gif = Image.new("P", (16, 16), 0)
    transparent_gif.info["transparency"] = 0
    files = two_classes({
        "cat/strip.png": encode(strip, "PNG"),
        "cat/bits.bmp": encode(Image.new("1", (16, 16), 1), "BMP"),
        "cat/palette.bmp": encode(Image.new("P", (16, 16), 3), "BMP"),
        "cat/sixteen.png": encode(Image.fromarray(np.full((16, 16), 65535, dtype=np.uint16)), "PNG"),
        "dog/la.png": encode(Image.new("LA", (16, 16), (10, 128)), "PNG"),
        "dog/cmyk.jpg": encode(Image.new("CMYK", (16, 16), (0, 0, 0, 0)), "JPEG"),
        "dog/rgba.webp": encode(Image.new("RGBA", (16, 16), (0, 0, 255, 0)), "WEBP", lossless=True),
        "dog/rgba.bmp": encode(Image.new("RGBA", (16, 16), (0, 0, 255, 255)), "BMP"),
        "dog/transparent.gif": encode(transparent_gif, "GIF", transparency=0),
    })
    for data in both(tmp_path, files):
        assert data.skipped == [] and len(data.files) == 15
        floats = data.floats()
        assert data.images.dtype == np.uint8 and floats.dtype == np.float32 and 0.0 <= floats.min() and floats.max() <= 1.0
        assert np.isfinite(floats).all()


# -- content decides, with an allowlist of decoders ------------------------------------------------------------------


def test_formats_off_the_allowlist_are_refused_by_content_never_decoded(tmp_path, monkeypatch):
    """An EPS renamed .png must never reach Pillow's EPS decoder (which runs Ghostscript); a TIFF neither."""
    opened = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: opened.append("eps"))
    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_open", lambda self: opened.append("tiff"))
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n" + b"0 0 moveto\n" * 20
    tiff = b"II*\x00\x08\x00\x00\x00" + bytes(64)
    for data in both(tmp_path, two_classes({"cat/eps.png": eps, "dog/scan.png": tiff, "dog/scan.tif": tiff})):
        assert reasons(data) == {
            "cat/eps.png": "not a PNG, JPEG, BMP, GIF or WebP image by its content: it is a PostScript (EPS) file",
            "dog/scan.png": "not a PNG, JPEG, BMP, GIF or WebP image by its content: it is a TIFF image",
            "dog/scan.tif": "not a PNG, JPEG, BMP, GIF or WebP image by its content: it is a TIFF image",
        }
    assert opened == []


def test_png_bytes_named_csv_are_an_image_in_a_folder_and_an_error_as_a_table(tmp_path):
    data = load_images(write_tree(tmp_path / "pets", two_classes({"cat/photo.csv": png()})))
    assert "cat/photo.csv" in data.files  # inside an image folder, content decides: it is a PNG
    (tmp_path / "table.csv").write_bytes(png())
    with pytest.raises(BridgeError, match="table.csv is a PNG image, not a CSV text table; to compare images, give a folder") as info:
        load_dataset(tmp_path / "table.csv")
    assert "\n" not in str(info.value)


def test_a_folder_with_mac_junk_and_an_empty_class_folder(tmp_path):
    root = write_tree(tmp_path / "pets", two_classes({".DS_Store": b"\x00\x00\x00\x01Bud1", "cat/._0.png": b"\x00\x05\x16\x07",
                                                  "__MACOSX/cat/._1.png": b"junk", "Thumbs.db": b"junk"}))
    (root / "empty").mkdir()
    data = load_images(root)
    assert data.classes == ["cat", "dog"] and len(data.files) == 6 and data.skipped == [] and data.ignored == 0


def test_only_broken_images_is_one_line(tmp_path):
    files = {"cat/a.png": png_claiming(30_000, 30_000), "dog/b.png": b"\x89PNG\r\n\x1a\n"}
    for source in (write_tree(tmp_path / "bad", files), zip_bytes(files)):
        with pytest.raises(BridgeError, match="none of the 2 image files in .* could be read") as info:
            load_images(source)
        assert "\n" not in str(info.value)
