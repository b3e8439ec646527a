"""Load a folder of images, one subfolder per class, into arrays for the CNN.

The source is a directory, a ``.zip`` path or the bytes of an uploaded zip.
Files are judged by their content, not their name, and one bad file never
stops the run: it is skipped and named. Memory stays bounded by the small
output: a first pass reads only headers (to choose the size), a second
decodes and shrinks one image at a time, and zip members are streamed, never
extracted to disk.
"""

from __future__ import annotations

import os
import statistics
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from bridge.archive import Opener, open_source
from bridge.errors import BridgeError
from bridge.filetype import identify

# An allowlist, so Pillow never runs its rarer (and less hardened) decoders on user files.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".dib", ".gif", ".webp"}
GRAY_MODES = {"1", "L", "LA", "La", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"}
TRANSPARENT_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
JUNK_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}
MIN_SIDE = 8
LAYOUT = "put each class's images in its own subfolder, e.g. cat/001.png and dog/001.png"

@dataclass
class ImageData:
    """Images as float32 (n, C, H, W) in [0, 1], with what happened on the way."""

    images: np.ndarray
    labels: np.ndarray
    classes: list[str]
    files: list[str]
    skipped: list[dict] = field(default_factory=list)
    ignored: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def height(self) -> int:
        return int(self.images.shape[2])

    @property
    def width(self) -> int:
        return int(self.images.shape[3])


def load_images(source: str | os.PathLike | bytes, image_size: int | None = None, max_side: int = 64) -> ImageData:
    """Read ``root/<class>/<image>`` from a folder, a .zip path or zip bytes."""
    if image_size is not None and not 1 <= image_size <= 512:
        raise BridgeError(f"image size {image_size} is out of range; pick a size from 1 to 512 pixels")
    if max_side < MIN_SIDE:
        raise BridgeError(f"max_side {max_side} is too small; use at least {MIN_SIDE} pixels")
    where = "the uploaded zip" if isinstance(source, bytes | bytearray | memoryview) else str(source)
    with open_source(source) as (names, opener, source_notes):
        names = [name for name in names if not _is_junk(name)]
        strip = _wrapper_depth(names)
        found, loose, skipped, ignored, archives = _scan(names, strip, opener)
        _check_layout(found, loose, skipped, where, archives)
        size, size_note = _choose_size([side for _, _, side, _, _ in found], image_size, max_side)
        channels = 1 if all(gray for *_, gray in found) else 3
        images = np.empty((len(found), channels, size, size), dtype=np.float32)
        labels, files, events = [], [], Counter()
        for name, label, _, square, _ in found:
            try:
                with opener(name) as fp:
                    images[len(files)], done = _decode(fp, size, channels)
            except Exception as exc:  # decoders raise many types on corrupt data; one file must not stop the run
                skipped.append({"file": name, "reason": _reason(exc)})
                continue
            events.update(done | ({"cropped"} if not square else set()))
            labels.append(label)
            files.append(name)
    if len(files) < len(found):
        images = images[: len(files)].copy()
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise BridgeError(_too_few_classes(classes, "that could be decoded"))
    notes = [size_note, *_event_notes(events, channels), *source_notes]
    if archives:
        notes.append(f"ignored {_n(len(archives), 'archive')} inside the data (e.g. '{archives[0]}'): archives inside archives "
                     "are never opened; unpack them into the class folders")
    # The counts of ignored and skipped files live in their own fields; bridge.data words them for the user.
    if loose:
        notes.append(f"ignored {_n(len(loose), 'image')} at the top level (e.g. '{loose[0]}'): only images inside a class folder are used")
    counts = Counter(labels)
    notes += [f"class '{c}' has only 1 image; add more so it can appear in both training and test" for c in classes if counts[c] < 2]
    return ImageData(
        images=images,
        labels=np.array(labels, dtype=object),
        classes=classes,
        files=files,
        skipped=sorted(skipped, key=lambda item: item["file"]),
        ignored=len(ignored),
        notes=notes,
    )


def images_from_digits() -> ImageData:
    """scikit-learn's 8x8 handwritten digits as a ready-made image dataset."""
    from sklearn.datasets import load_digits  # lazy: only this demo path needs it

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # pixel values are 0..16
    return ImageData(
        images=images,
        labels=np.array([str(t) for t in digits.target], dtype=object),
        classes=[str(d) for d in range(10)],
        files=[f"digit_{i:04d}" for i in range(len(digits.target))],
        notes=["scikit-learn's handwritten digits: 1797 grayscale 8x8 images of 0-9"],
    )


def _is_junk(name: str) -> bool:
    """macOS/Windows bookkeeping files, which the user never meant as data."""
    return any(part.startswith(".") or part in JUNK_NAMES for part in name.split("/"))


def _wrapper_depth(names: list[str]) -> int:
    """1 when everything sits in one wrapping folder (``wrapper/<class>/<img>``), as zipping a folder makes."""
    parts = [name.split("/") for name in names]
    return int(len({p[0] for p in parts}) == 1 and any(len(p) >= 3 for p in parts))


def _scan(names: list[str], strip: int, opener: Opener) -> tuple[list, list, list, list, list]:
    """First pass: headers only, for size, mode and whether each file is an image at all (by content, not name)."""
    found, loose, skipped, ignored, archives = [], [], [], [], []
    for name in names:
        parts = name.split("/")[strip:]
        looks_like_image = PurePosixPath(name).suffix.lower() in IMAGE_EXTENSIONS
        try:
            with opener(name) as fp, warnings.catch_warnings():
                # Keep Pillow's bomb limit, but make its warning tier an error so that file is skipped.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(fp, formats=FORMATS) as im:
                    (width, height), mode = im.size, im.mode
                    gray = mode in GRAY_MODES or _gray_palette(im)  # transparent gray stays gray: composited on white
        except UnidentifiedImageError:
            kind = _identify(opener, name)
            if kind and "archive" in kind:
                archives.append(name)
            elif looks_like_image or (kind and ("image" in kind or "EPS" in kind)):
                what = f": it is {kind}" if kind else ""
                skipped.append({"file": name, "reason": f"not a PNG, JPEG, BMP, GIF or WebP image by its content{what}"})
            else:
                ignored.append(name)
            continue
        except Exception as exc:  # a corrupt header can raise almost anything
            skipped.append({"file": name, "reason": _reason(exc)})
            continue
        if len(parts) < 2:
            loose.append(name)
        else:
            found.append((name, parts[0], min(width, height), width == height, gray))
    return found, loose, skipped, ignored, archives


def _identify(opener: Opener, name: str) -> str | None:
    """What a file that is not an allowed image really is, from its first bytes."""
    try:
        with opener(name) as fp:
            known = identify(fp.read(32))
    except Exception:  # a member that cannot even be read is just 'not an image'
        return None
    return known[0] if known else None


def _gray_palette(im: Image.Image) -> bool:
    """A palette image whose colours are all grays (Pillow opens gray GIFs this way); read from the header."""
    palette = im.palette
    if im.mode not in ("P", "PA") or palette is None or palette.mode != "RGB" or palette.rawmode not in (None, "RGB"):
        return False
    data = bytes(palette.palette)
    return data[0::3] == data[1::3] == data[2::3]


def _check_layout(found: list, loose: list, skipped: list, where: str, archives: list) -> None:
    if not found and loose:
        raise BridgeError(f"no class folders found in {where}: the images sit directly in it; {LAYOUT}")
    if not found and skipped:
        example = f"{skipped[0]['file']}: {skipped[0]['reason']}"
        raise BridgeError(f"none of the {len(skipped)} image files in {where} could be read (e.g. {example}); check they are valid images")
    if not found and archives:
        raise BridgeError(f"no images found in {where}, only {_n(len(archives), 'archive')} inside it (e.g. '{archives[0]}'), "
                          f"which are never opened; unpack them and {LAYOUT}")
    if not found:
        raise BridgeError(f"no images found in {where}; add PNG, JPEG, BMP, GIF or WebP files and {LAYOUT}")
    classes = sorted({label for _, label, *_ in found})
    if len(classes) < 2:
        raise BridgeError(_too_few_classes(classes, ""))


def _too_few_classes(classes: list[str], qualifier: str) -> str:
    found = f"found 1 class '{classes[0]}'" if classes else "found no class"
    return f"{found}{' ' + qualifier if qualifier else ''}; an image dataset needs at least two class folders"


def _choose_size(sides: list[int], image_size: int | None, max_side: int) -> tuple[int, str]:
    if image_size is not None:
        return image_size, f"resized every image to {image_size}x{image_size} pixels, as asked"
    median = int(statistics.median(sides))
    size = min(max(median, MIN_SIDE), max_side)
    why = f"the median shorter side is {median} pixels"
    if median > max_side:
        why += f", capped at {max_side} to keep training fast"
    elif median < MIN_SIDE:
        why += f", raised to the minimum of {MIN_SIDE}"
    return size, f"resized every image to {size}x{size} pixels ({why})"


def _decode(fp: IO[bytes], size: int, channels: int) -> tuple[np.ndarray, set[str]]:
    """Second pass, one image: orient, normalise the mode, crop to square, shrink; (C, size, size) in [0, 1]."""
    events: set[str] = set()
    with Image.open(fp, formats=FORMATS) as im:
        if im.format == "JPEG":
            im.draft(None, (size, size))  # the JPEG decoder shrinks by up to 8x for free, never below size
        if im.getexif().get(ExifTags.Base.Orientation, 1) != 1:
            events.add("rotated")
        img = ImageOps.exif_transpose(im)
    mode = img.mode
    target = "L" if channels == 1 or mode in GRAY_MODES else "RGB"
    if mode in ("I", "F") or mode.startswith("I;16"):
        # convert("L") would clip 16-bit values at 255; scale them instead and keep the precision in "F".
        pixels = np.asarray(img, dtype=np.float32) / (1.0 if mode == "F" else 65535.0)
        img = Image.fromarray(np.clip(pixels, 0.0, 1.0))
        events.add("16-bit")
    elif mode in TRANSPARENT_MODES or "transparency" in img.info:
        # A transparent background means "nothing here"; white is how a viewer shows it (black would invent ink).
        canvas = Image.new("RGBA", img.size, (255, 255, 255, 255))
        canvas.alpha_composite(img.convert("RGBA"))
        img = canvas.convert(target)
        events.add("transparent")
    elif mode != target:
        events.update(set() if mode == "1" else {f"mode {mode}"})
        img = img.convert(target)
    # ImageOps.fit crops the centre square, then resizes: shapes keep their proportions, which a plain
    # squash to square would distort; the cost is the edges of non-square images.
    img = ImageOps.fit(img, (size, size), Image.Resampling.LANCZOS)
    pixels = np.asarray(img, dtype=np.float32) / (1.0 if img.mode == "F" else 255.0)
    pixels = np.clip(pixels, 0.0, 1.0)  # LANCZOS can overshoot in "F"
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    if channels == 3 and pixels.shape[0] == 1:
        pixels = np.repeat(pixels, 3, axis=0)
        events.add("gray to rgb")
    return pixels, events


def _event_notes(events: Counter, channels: int) -> list[str]:
    notes = []
    if events["rotated"]:
        notes.append(f"rotated {_n(events['rotated'], 'image')} to match their EXIF orientation")
    if events["cropped"]:
        notes.append(f"cropped {_n(events['cropped'], 'non-square image')} to their centre square before resizing")
    if events["transparent"]:
        notes.append(f"converted {_n(events['transparent'], 'image')} with transparency (RGBA, LA, ...) by placing them on white")
    if events["16-bit"]:
        notes.append(f"scaled {_n(events['16-bit'], '16-bit image')} to [0, 1]")
    for event, count in sorted(events.items()):
        if event.startswith("mode "):
            mode = {"P": "palette (P)"}.get(event[5:], event[5:])
            notes.append(f"converted {_n(count, mode + ' image')} to {'grayscale' if channels == 1 else 'RGB'}")
    if events["gray to rgb"]:
        notes.append(f"repeated the one channel of {_n(events['gray to rgb'], 'grayscale image')} to RGB, since other images are in colour")
    notes.append("all images are grayscale: using 1 channel" if channels == 1 else "using 3 colour channels (RGB)")
    return notes


def _reason(exc: Exception) -> str:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return f"too many pixels, skipped as a possible decompression bomb: {message}"
    return f"cannot be decoded: {message}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
