"""One image file in, one small uint8 square out: headers, decoding, modes, and the notes they earn.

Only Pillow's decoders on the allowlist ever run, and only on images whose header declares at
most ``limits.MAX_IMAGE_PIXELS``: a larger one would take seconds (and hundreds of MB) to decode.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import IO

import numpy as np
from PIL import ExifTags, Image, ImageOps

from bridge.io import limits

# An allowlist, so Pillow never runs its rarer (and less hardened) decoders on user files.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")
GRAY_MODES = {"1", "L", "LA", "La", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"}
TRANSPARENT_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}


class TooManyPixels(ValueError):
    """An image whose header declares more pixels than Bridge decodes."""


@dataclass(frozen=True)
class Header:
    width: int
    height: int
    gray: bool


def read_header(fp: IO[bytes]) -> Header:
    """Size and colour from the header alone; raises (UnidentifiedImageError, TooManyPixels, ...) for a file to skip."""
    with warnings.catch_warnings():
        # Keep Pillow's bomb limit, but make its warning tier an error so that file is skipped.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(fp, formats=FORMATS) as im:
            _check_pixels(im)
            # Transparent gray stays gray: it is composited on white.
            return Header(im.width, im.height, im.mode in GRAY_MODES or _gray_palette(im))


def _check_pixels(im: Image.Image) -> None:
    width, height = im.size
    if width * height > limits.MAX_IMAGE_PIXELS:
        raise TooManyPixels(f"{width}x{height} is {width * height / 1e6:.0f} megapixels, more than the "
                            f"{limits.MAX_IMAGE_PIXELS / 1e6:.0f} Bridge decodes; shrink it")


def _gray_palette(im: Image.Image) -> bool:
    """A palette image whose colours are all grays (Pillow opens gray GIFs this way); read from the header."""
    palette = im.palette
    if im.mode not in ("P", "PA") or palette is None or palette.mode != "RGB" or palette.rawmode not in (None, "RGB"):
        return False
    data = bytes(palette.palette)
    return data[0::3] == data[1::3] == data[2::3]


def decode(fp: IO[bytes], size: int, channels: int) -> tuple[np.ndarray, set[str]]:
    """Second pass, one image: orient, normalise the mode, crop to square, shrink; uint8 (C, size, size)."""
    events: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(fp, formats=FORMATS) as im:
            _check_pixels(im)  # again: a file in a folder may have changed since the first pass
            if im.format == "JPEG":
                im.draft(None, (size, size))  # the JPEG decoder shrinks by up to 8x for free, never below size
            if im.getexif().get(ExifTags.Base.Orientation, 1) != 1:
                events.add("rotated")
            img = ImageOps.exif_transpose(im)
    mode = img.mode
    target = "L" if channels == 1 or mode in GRAY_MODES else "RGB"
    if mode in ("I", "F") or mode.startswith("I;16"):
        # convert("L") would clip 16-bit values at 255; scale them instead, resize in "F", round to 8 bits at the end.
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
    pixels = to_uint8(np.asarray(img)) if img.mode == "F" else np.asarray(img, dtype=np.uint8)
    pixels = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    if channels == 3 and pixels.shape[0] == 1:
        pixels = np.repeat(pixels, 3, axis=0)
        events.add("gray to rgb")
    return pixels, events


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Floats in [0, 1] (LANCZOS may overshoot) as rounded uint8 0..255."""
    return np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)


def resize_square(images: np.ndarray, scale: float, size: int) -> np.ndarray:
    """(n, C, h, w) pixels where ``scale`` is full intensity, resized to uint8 (n, C, size, size) one plane at a time."""
    out = np.empty((len(images), images.shape[1], size, size), dtype=np.uint8)
    for i, image in enumerate(images):
        for c, plane in enumerate(image):
            picture = Image.fromarray(plane.astype(np.float32) / np.float32(scale), "F")
            out[i, c] = to_uint8(np.asarray(picture.resize((size, size), Image.Resampling.LANCZOS)))
    return out


def event_notes(events: Counter, channels: int) -> list[str]:
    notes = []
    if events["rotated"]:
        notes.append(f"rotated {n(events['rotated'], 'image')} to match their EXIF orientation")
    if events["cropped"]:
        notes.append(f"cropped {n(events['cropped'], 'non-square image')} to their centre square before resizing")
    if events["transparent"]:
        notes.append(f"converted {n(events['transparent'], 'image')} with transparency (RGBA, LA, ...) by placing them on white")
    if events["16-bit"]:
        notes.append(f"scaled {n(events['16-bit'], '16-bit image')} to [0, 1] (kept to 8 bits, as every image is)")
    for event, count in sorted(events.items()):
        if event.startswith("mode "):
            mode = {"P": "palette (P)"}.get(event[5:], event[5:])
            notes.append(f"converted {n(count, mode + ' image')} to {'grayscale' if channels == 1 else 'RGB'}")
    if events["gray to rgb"]:
        notes.append(f"repeated the one channel of {n(events['gray to rgb'], 'grayscale image')} to RGB, since other images are in colour")
    notes.append("all images are grayscale: using 1 channel" if channels == 1 else "using 3 colour channels (RGB)")
    return notes


def reason(exc: Exception) -> str:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return f"too many pixels, skipped as a possible decompression bomb: {message}"
    if isinstance(exc, TooManyPixels):
        return f"too many pixels: {message}"
    return f"cannot be decoded: {message}"


def n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
