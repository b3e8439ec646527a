"""Image-folder loading: formats, modes, EXIF, zips, junk, bad files and errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from files import write_tree, zip_bytes
from PIL import Image

from bridge.errors import BridgeError
from bridge.io.images import ImageData, images_from_digits, load_images

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_images"


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png(mode: str = "RGB", size: tuple[int, int] = (20, 20), color=RED) -> bytes:
    return encode(Image.new(mode, size, color), "PNG")


def noise_png(size: int = 32) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return encode(Image.fromarray(pixels), "PNG")


def pixel(data: ImageData, file: str, row: int = 0, col: int = 0) -> np.ndarray:
    return data.image_float(data.files.index(file))[:, row, col]


def two_classes(extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    return {"cat/a.png": png(color=RED), "cat/b.png": png(color=RED), "dog/a.png": png(color=BLUE), "dog/b.png": png(color=BLUE)} | (extra or {})


def test_formats_and_modes_in_a_folder(tmp_path):
    palette = Image.new("RGB", (20, 20), RED).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    half_red = Image.new("RGBA", (20, 20), (255, 0, 0, 128))
    files = {
        "cat/red.png": png(),
        "cat/red.jpg": encode(Image.new("RGB", (20, 20), RED), "JPEG", quality=95),
        "cat/red.bmp": encode(Image.new("RGB", (20, 20), RED), "BMP"),
        "cat/red.gif": encode(palette, "GIF"),
        "cat/red.webp": encode(Image.new("RGB", (20, 20), RED), "WEBP", lossless=True),
        "cat/broken.png": noise_png()[:300],
        "dog/clear.png": png("RGBA", color=(0, 0, 0, 0)),
        "dog/half.png": encode(half_red, "PNG"),
        "dog/palette.png": encode(palette, "PNG"),
        "dog/cmyk.jpg": encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG", quality=95),
        "dog/gray.png": png("L", color=64),
        "dog/gray_alpha.png": png("LA", color=(0, 0)),
        "dog/notes.txt": b"not an image",
    }
    data = load_images(write_tree(tmp_path / "pets", files))

    assert data.images.shape == (11, 3, 20, 20) and data.images.dtype == np.uint8  # floats only where training needs them
    assert (data.channels, data.height, data.width) == (3, 20, 20)
    assert data.classes == ["cat", "dog"]
    assert list(data.labels) == ["cat"] * 5 + ["dog"] * 6 and data.labels.dtype == object
    assert data.files[:2] == ["cat/red.bmp", "cat/red.gif"] and "dog/notes.txt" not in data.files
    assert [item["file"] for item in data.skipped] == ["cat/broken.png"]
    assert data.skipped[0]["reason"].startswith("cannot be decoded")
    assert data.ignored == 1
    for name in ["cat/red.png", "cat/red.bmp", "cat/red.gif", "cat/red.webp", "dog/palette.png"]:
        np.testing.assert_allclose(pixel(data, name), [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(pixel(data, "cat/red.jpg", 10, 10), [1, 0, 0], atol=0.05)
    np.testing.assert_allclose(pixel(data, "dog/cmyk.jpg", 10, 10), [1, 0, 0], atol=0.05)
    np.testing.assert_allclose(pixel(data, "dog/clear.png"), [1, 1, 1], atol=1e-6)  # transparent -> white
    np.testing.assert_allclose(pixel(data, "dog/half.png"), [1, 0.5, 0.5], atol=0.01)
    np.testing.assert_allclose(pixel(data, "dog/gray.png"), [64 / 255] * 3, atol=1e-6)
    np.testing.assert_allclose(pixel(data, "dog/gray_alpha.png"), [1, 1, 1], atol=1e-6)
    notes = " | ".join(data.notes)
    assert "20x20" in notes and "transparency" in notes and "CMYK" in notes
    assert "repeated the one channel of 2 grayscale images" in notes


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_exif_orientation_is_applied(tmp_path, fmt):
    # 40 wide x 20 tall, red left half; orientation 6 = "rotate 90 clockwise to display", so red ends on top.
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    ext = fmt.lower()
    files = two_classes(
        {f"cat/rotated.{ext}": encode(image, fmt, exif=exif.tobytes(), quality=95), f"dog/plain.{ext}": encode(image, fmt, quality=95)}
    )
    data = load_images(write_tree(tmp_path, files), image_size=10)

    rotated = data.image_float(data.files.index(f"cat/rotated.{ext}"))
    plain = data.image_float(data.files.index(f"dog/plain.{ext}"))
    np.testing.assert_allclose(rotated[:, 1, 8], [1, 0, 0], atol=0.1)  # top right: red only if rotated
    np.testing.assert_allclose(rotated[:, 8, 1], [0, 0, 1], atol=0.1)  # bottom left: blue
    np.testing.assert_allclose(plain[:, 1, 8], [0, 0, 1], atol=0.1)  # unrotated: right half is blue
    np.testing.assert_allclose(plain[:, 8, 1], [1, 0, 0], atol=0.1)
    assert any("rotated 1 image " in note for note in data.notes)
    assert any("cropped 2 non-square images" in note for note in data.notes)


def test_grayscale_only_gives_one_channel(tmp_path):
    sixteen = Image.fromarray(np.full((20, 20), 32768, dtype=np.uint16))
    files = {
        "a/gray.png": png("L", color=128),
        "a/sixteen.png": encode(sixteen, "PNG"),
        "a/bits.bmp": encode(Image.new("1", (20, 20), 1), "BMP"),
        "b/gray.gif": encode(Image.new("L", (20, 20), 200), "GIF"),
        "b/gray_alpha.png": png("LA", color=(0, 255)),
        "b/gray.jpg": encode(Image.new("L", (20, 20), 100), "JPEG", quality=95),
    }
    data = load_images(write_tree(tmp_path, files))

    assert data.images.shape == (6, 1, 20, 20)
    assert data.classes == ["a", "b"]
    assert pixel(data, "a/gray.png")[0] == pytest.approx(128 / 255)
    assert pixel(data, "a/sixteen.png")[0] == pytest.approx(32768 / 65535, abs=1 / 255)  # scaled (to 8 bits), not clipped at 255
    assert pixel(data, "a/bits.bmp")[0] == pytest.approx(1.0)
    assert pixel(data, "b/gray.gif")[0] == pytest.approx(200 / 255)
    assert pixel(data, "b/gray_alpha.png")[0] == pytest.approx(0.0)
    assert pixel(data, "b/gray.jpg", 10, 10)[0] == pytest.approx(100 / 255, abs=0.02)
    assert "all images are grayscale: using 1 channel" in data.notes
    assert any("16-bit" in note for note in data.notes)
    assert "converted 1 palette (P) image to grayscale" in data.notes  # Pillow opens a gray GIF as a gray palette


JUNK = {"__MACOSX/pets/cat/._a.png": b"\x00\x05\x16\x07junk", ".DS_Store": b"\x00\x00\x00\x01Bud1"}


@pytest.mark.parametrize("wrapper", ["", "pets/"])
def test_zip_with_or_without_wrapping_folder_path_and_bytes(tmp_path, wrapper):
    files = {wrapper + name: data for name, data in two_classes().items()}
    files |= JUNK | {wrapper + "cat/.DS_Store": b"junk", wrapper + "dog/Thumbs.db": b"junk"}
    blob = zip_bytes(files)
    (tmp_path / "pets.zip").write_bytes(blob)

    for source in (tmp_path / "pets.zip", str(tmp_path / "pets.zip"), blob):
        data = load_images(source)
        assert data.classes == ["cat", "dog"]
        assert data.files == [wrapper + name for name in ["cat/a.png", "cat/b.png", "dog/a.png", "dog/b.png"]]
        assert list(data.labels) == ["cat", "cat", "dog", "dog"]
        assert data.ignored == 0 and data.skipped == []
        np.testing.assert_allclose(data.floats()[:, :, 5, 5], [[1, 0, 0], [1, 0, 0], [0, 0, 1], [0, 0, 1]])


def test_zip_member_is_read_with_its_bad_files_named(tmp_path):
    blob = zip_bytes(two_classes({"dog/truncated.png": noise_png()[:300], "dog/fake.jpg": b"hello", "readme.md": b"# hi"}))
    data = load_images(blob)
    assert len(data.files) == 4
    assert [item["file"] for item in data.skipped] == ["dog/fake.jpg", "dog/truncated.png"]
    assert data.ignored == 1


def test_content_decides_not_the_extension(tmp_path):
    files = two_classes({"cat/photo.dat": png(color=RED), "dog/fake.png": b"plain text", "dog/list.csv": b"a,b\n1,2\n"})
    data = load_images(write_tree(tmp_path, files))
    assert "cat/photo.dat" in data.files  # a PNG with an odd name is still a PNG
    assert data.skipped == [{"file": "dog/fake.png", "reason": data.skipped[0]["reason"]}]
    assert data.ignored == 1  # the csv


def test_size_is_chosen_from_the_data_or_given(tmp_path):
    files = {
        "a/small.png": png(size=(10, 12)),
        "a/mid.png": png(size=(30, 20)),
        "b/big.png": png(size=(40, 50)),
        "b/bigger.jpg": encode(Image.new("RGB", (800, 600), BLUE), "JPEG"),
    }
    root = write_tree(tmp_path, files)
    auto = load_images(root)
    assert auto.images.shape == (4, 3, 30, 30)  # median of shorter sides 10, 20, 40, 600
    assert "median shorter side is 30 pixels" in auto.notes[0]
    assert load_images(root, image_size=12).images.shape == (4, 3, 12, 12)
    assert load_images(root, max_side=16).images.shape == (4, 3, 16, 16)
    tiny = load_images(write_tree(tmp_path / "tiny", {"a/1.png": png(size=(4, 4)), "b/1.png": png(size=(4, 4))}))
    assert tiny.images.shape == (2, 3, 8, 8) and "raised to the minimum of 8" in tiny.notes[0]
    assert any("class 'a' has only 1 image" in note for note in tiny.notes)
    np.testing.assert_allclose(pixel(load_images(root, image_size=64), "b/bigger.jpg", 30, 30), [0, 0, 1], atol=0.05)


def test_decompression_bombs_are_skipped_not_fatal(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 20x20 fits; 40x40 warns, 50x50 errors in Pillow
    files = two_classes({"cat/warn.png": png(size=(40, 40)), "dog/error.png": png(size=(50, 50))})
    data = load_images(write_tree(tmp_path, files))
    assert len(data.files) == 4
    assert [item["file"] for item in data.skipped] == ["cat/warn.png", "dog/error.png"]
    assert all("decompression bomb" in item["reason"] for item in data.skipped)


def test_top_level_images_beside_class_folders_are_left_out(tmp_path):
    data = load_images(write_tree(tmp_path, two_classes({"loose.png": png()})))
    assert "loose.png" not in data.files and len(data.files) == 4
    assert any("ignored 1 image at the top level" in note for note in data.notes)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"cat/a.png": png(), "cat/b.png": png()}, "found 1 class 'cat'; an image dataset needs at least two class folders"),
        ({"a.png": png(), "b.png": png()}, "no class folders found"),
        ({"cat/a.txt": b"x", "dog/b.txt": b"y"}, "no images found"),
        ({"cat/a.png": b"x", "dog/b.png": b"y"}, "none of the 2 image files"),
        ({"cat/a.png": png(), "dog/b.png": noise_png()[:300]}, "found 1 class 'cat' that could be decoded"),
    ],
)
def test_layout_errors(tmp_path, files, message):
    for source in (write_tree(tmp_path / "folder", files), zip_bytes(files)):
        with pytest.raises(BridgeError, match=message) as error:
            load_images(source)
        assert "\n" not in str(error.value)


def test_source_errors(tmp_path):
    with pytest.raises(BridgeError, match="does not exist"):
        load_images(tmp_path / "missing")
    (tmp_path / "table.csv").write_text("a,b\n1,2\n")
    with pytest.raises(BridgeError, match="is not a folder or a .zip file"):
        load_images(tmp_path / "table.csv")
    with pytest.raises(BridgeError, match="not a valid zip archive"):
        load_images(b"this is not a zip file at all")
    with pytest.raises(BridgeError, match="no images found"):
        load_images(tmp_path)  # only the csv
    with pytest.raises(BridgeError, match="image size"):
        load_images(tmp_path, image_size=0)


def test_digits_loader():
    data = images_from_digits()
    assert data.images.shape == (1797, 1, 8, 8) and data.images.dtype == np.uint8
    floats = data.floats()
    assert floats.dtype == np.float32 and floats.min() == 0.0 and floats.max() == 1.0
    from sklearn.datasets import load_digits

    np.testing.assert_array_equal(floats[:, 0], (load_digits().images / 16.0).astype(np.float32))  # exact, as exported scripts load them
    assert data.classes == [str(d) for d in range(10)]
    assert data.labels[0] == "0" and data.labels.shape == (1797,)
    assert data.files[1] == "digit_0001" and len(data.files) == 1797


def test_sample_folder_loads():
    data = load_images(SAMPLE)
    assert data.classes == ["circle", "square", "triangle"]
    assert data.images.shape == (36, 3, 24, 24)
    assert 0.0 <= data.floats().min() and data.floats().max() <= 1.0
