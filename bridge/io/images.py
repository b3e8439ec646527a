"""Load a folder of images, one subfolder per class, into arrays for the CNN.

The source is a directory, a ``.zip`` path or the bytes of an uploaded zip.
Files are judged by their content, not their name, and one bad file never
stops the run: it is skipped and named. Memory stays bounded by the small
output: a first pass reads only headers (to choose the size, within a byte
budget checked before the array exists), a second decodes and shrinks one
image at a time into uint8, and zip members are streamed, never extracted.
"""

from __future__ import annotations

import math
import os
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from PIL import UnidentifiedImageError

from bridge.errors import BridgeError
from bridge.io import limits
from bridge.io.archive import Opener, open_source
from bridge.io.filetype import identify
from bridge.io.image_decode import decode, event_notes, n, read_header, reason, resize_square

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".dib", ".gif", ".webp"}
JUNK_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}
LAYOUT = "put each class's images in its own subfolder, e.g. cat/001.png and dog/001.png"


@dataclass
class ImageData:
    """Images as uint8 (n, C, H, W), with what happened on the way.

    Stored as 8 bits to keep a large folder small (a quarter of float32); ``floats`` gives the
    float32 pictures in [0, 1] for the rows a consumer needs. Never divide ``images`` yourself:
    ``scale`` is the stored value of full intensity (255 for image files, 16 for scikit-learn's digits).
    """

    images: np.ndarray
    labels: np.ndarray
    classes: list[str]
    files: list[str]
    skipped: list[dict] = field(default_factory=list)
    ignored: int = 0
    notes: list[str] = field(default_factory=list)
    scale: float = 255.0

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def height(self) -> int:
        return int(self.images.shape[2])

    @property
    def width(self) -> int:
        return int(self.images.shape[3])

    def floats(self, rows: int | slice | list[int] | np.ndarray | None = None) -> np.ndarray:
        """float32 in [0, 1] of the given rows (any numpy index; all when None), as a new array."""
        picked = self.images if rows is None else self.images[rows]
        if picked.dtype != np.uint8:  # a dataset stored by an older Bridge holds floats already
            return np.array(picked, dtype=np.float32)
        out = picked.astype(np.float32)
        out /= np.float32(self.scale)
        return out

    def image_float(self, index: int) -> np.ndarray:
        """One image, (C, H, W) float32 in [0, 1]: what a page shows as a thumbnail."""
        return self.floats(int(index))


def load_images(source: str | os.PathLike | bytes, image_size: int | None = None,
                max_side: int | None = None) -> ImageData:
    """Read ``root/<class>/<image>`` from a folder, a .zip path or zip bytes."""
    low, high = limits.MIN_IMAGE_SIDE, limits.MAX_IMAGE_SIDE
    if image_size is not None and not low <= image_size <= high:
        raise BridgeError(f"image size {image_size} is out of range; pick a size from {low} to {high} pixels")
    max_side = limits.AUTO_MAX_IMAGE_SIDE if max_side is None else max_side
    if not low <= max_side <= high:
        raise BridgeError(f"max_side {max_side} is out of range; use {low} to {high} pixels")
    where = "the uploaded zip" if isinstance(source, bytes | bytearray | memoryview) else str(source)
    with open_source(source) as (names, opener, source_notes):
        junk = [name for name in names if _is_junk(name)]
        names = [name for name in names if not _is_junk(name)]
        strip = _wrapper_depth(names)
        found, loose, skipped, ignored, archives = _scan(names, strip, opener)
        found, merge_notes = _merge_classes(found)
        _check_layout(found, loose, skipped, where, archives, merged=bool(merge_notes))
        channels = 1 if all(gray for *_, gray in found) else 3
        size, size_note = _choose_size([side for _, _, side, _, _ in found], image_size, max_side, len(found), channels)
        images = np.empty((len(found), channels, size, size), dtype=np.uint8)  # within the budget _choose_size checked
        labels: list[str] = []
        files: list[str] = []
        events: Counter[str] = Counter()
        for name, label, _, square, _ in found:
            try:
                with opener(name) as fp:
                    images[len(files)], done = decode(fp, size, channels)
            except Exception as exc:  # decoders raise many types on corrupt data; one file must not stop the run
                skipped.append({"file": name, "reason": reason(exc)})
                continue
            events.update(done | ({"cropped"} if not square else set()))
            labels.append(label)
            files.append(name)
    if len(files) < len(found):
        images = images[: len(files)].copy()
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise BridgeError(_too_few_classes(classes, "that could be decoded"))
    notes = [size_note, *event_notes(events, channels), *merge_notes, *source_notes]
    if junk:
        notes.append(f"ignored {n(len(junk), 'hidden or system file')} (e.g. '{junk[0]}'): names starting with '.', "
                     "and __MACOSX, Thumbs.db and desktop.ini, are bookkeeping your computer adds, not images")
    if archives:
        notes.append(f"ignored {n(len(archives), 'archive')} inside the data (e.g. '{archives[0]}'): archives inside archives "
                     "are never opened; unpack them into the class folders")
    # The counts of ignored and skipped files live in their own fields; bridge.io.data words them for the user.
    if loose:
        notes.append(f"ignored {n(len(loose), 'image')} at the top level (e.g. '{loose[0]}'): only images inside a class folder are used")
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
    return ImageData(
        images=digits.images.astype(np.uint8)[:, None],  # whole numbers 0..16, kept exactly: scale 16
        labels=np.array([str(t) for t in digits.target], dtype=object),
        classes=[str(d) for d in range(10)],
        files=[f"digit_{i:04d}" for i in range(len(digits.target))],
        notes=["scikit-learn's handwritten digits: 1797 grayscale 8x8 images of 0-9"],
        scale=16.0,
    )


def resized(data: ImageData, size: int) -> ImageData:
    """A built-in image set at another square size (``--image-size``), within the same byte budget as a folder."""
    low, high = limits.MIN_IMAGE_SIDE, limits.MAX_IMAGE_SIDE
    if not low <= size <= high:
        raise BridgeError(f"image size {size} is out of range; pick a size from {low} to {high} pixels")
    if (data.height, data.width) == (size, size):
        return data
    _check_budget(len(data.images), data.channels, size)
    return ImageData(images=resize_square(data.images, data.scale, size), labels=data.labels, classes=data.classes,
                     files=data.files, skipped=data.skipped, ignored=data.ignored,
                     notes=[*data.notes, f"resized every image from {data.height}x{data.width} to {size}x{size} pixels, as asked"])


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
            with opener(name) as fp:
                header = read_header(fp)
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
            skipped.append({"file": name, "reason": reason(exc)})
            continue
        if len(parts) < 2:
            loose.append(name)
        else:
            found.append((name, parts[0], min(header.width, header.height), header.width == header.height, header.gray))
    return found, loose, skipped, ignored, archives


def _identify(opener: Opener, name: str) -> str | None:
    """What a file that is not an allowed image really is, from its first bytes."""
    try:
        with opener(name) as fp:
            known = identify(fp.read(32))
    except Exception:  # a member that cannot even be read is just 'not an image'
        return None
    return known[0] if known else None


def _merge_classes(found: list) -> tuple[list, list[str]]:
    """One class for folders whose names differ only in letter case or Unicode form ('Cat'/'cat', NFC/NFD 'café').

    Merged, not refused: macOS writes accents decomposed (NFD) and most other systems composed (NFC),
    so the same folder zipped on two machines arrives as two spellings; a reader sees one name. The
    spelling with the most images names the class.
    """
    spellings: dict[str, Counter] = {}
    for _, label, *_ in found:
        spellings.setdefault(unicodedata.normalize("NFC", label).casefold(), Counter())[label] += 1
    rename, notes = {}, []
    for counts in spellings.values():
        if len(counts) < 2:
            continue
        names = sorted(counts, key=lambda s: (-counts[s], s))
        rename.update({name: names[0] for name in names[1:]})
        composed = {unicodedata.normalize("NFC", name) for name in names}
        case, form = len(composed) > 1, len(composed) < len(names)
        why = " and ".join(["letter case"] * case + ["how accents are encoded (Unicode NFC vs NFD)"] * form)
        shown = ", ".join(f"'{ascii(name)[1:-1] if form else name}'" for name in names)  # escapes show NFC/NFD apart
        notes.append(f"merged class folders {shown} into one class '{names[0]}': their names differ only in {why}; "
                     "rename a folder if they are really different classes")
    return [(name, rename.get(label, label), *rest) for name, label, *rest in found], notes


def _check_layout(found: list, loose: list, skipped: list, where: str, archives: list, merged: bool = False) -> None:
    if not found and loose:
        raise BridgeError(f"no class folders found in {where}: the images sit directly in it; {LAYOUT}")
    if not found and skipped:
        example = f"{skipped[0]['file']}: {skipped[0]['reason']}"
        raise BridgeError(f"none of the {len(skipped)} image files in {where} could be read (e.g. {example}); check they are valid images")
    if not found and archives:
        raise BridgeError(f"no images found in {where}, only {n(len(archives), 'archive')} inside it (e.g. '{archives[0]}'), "
                          f"which are never opened; unpack them and {LAYOUT}")
    if not found:
        raise BridgeError(f"no images found in {where}; add PNG, JPEG, BMP, GIF or WebP files and {LAYOUT}")
    classes = sorted({label for _, label, *_ in found})
    if len(classes) < 2:
        raise BridgeError(_too_few_classes(classes, "after merging folders whose names differ only in letter case or accents"
                                           if merged else ""))


def _too_few_classes(classes: list[str], qualifier: str) -> str:
    found = f"found 1 class '{classes[0]}'" if classes else "found no class"
    return f"{found}{' ' + qualifier if qualifier else ''}; an image dataset needs at least two class folders"


def _largest_side(count: int, channels: int) -> int:
    """The largest square side whose uint8 array of ``count`` images fits the byte budget."""
    return math.isqrt(limits.MAX_DECODED_IMAGE_BYTES // max(count * channels, 1))


def _check_budget(count: int, channels: int, size: int) -> None:
    need = count * channels * size * size
    if need <= limits.MAX_DECODED_IMAGE_BYTES:
        return
    fits = _largest_side(count, channels)
    budget = f"the {limits.MAX_DECODED_IMAGE_BYTES / 2**20:.0f} MB Bridge keeps for decoded images"
    if fits < limits.MIN_IMAGE_SIDE:
        raise BridgeError(f"{count:,} images are too many: even at {limits.MIN_IMAGE_SIDE}x{limits.MIN_IMAGE_SIDE} pixels they "
                          f"would take more than {budget}; use fewer images")
    raise BridgeError(f"{count:,} images of {size}x{size} pixels x {channels} channel(s) would take {need / 2**20:,.0f} MB decoded, "
                      f"more than {budget}; pass a smaller --image-size ({fits} or less fits) or use fewer images")


def _choose_size(sides: list[int], image_size: int | None, max_side: int, count: int, channels: int) -> tuple[int, str]:
    """The square side, from the request or the data; checked against the byte budget before anything is allocated."""
    if image_size is not None:
        _check_budget(count, channels, image_size)
        return image_size, f"resized every image to {image_size}x{image_size} pixels, as asked"
    median = int(statistics.median(sides))
    size = min(max(median, limits.MIN_IMAGE_SIDE), max_side)
    why = f"the median shorter side is {median} pixels"
    if median > max_side:
        why += f", capped at {max_side} to keep training fast"
    elif median < limits.MIN_IMAGE_SIDE:
        why += f", raised to the minimum of {limits.MIN_IMAGE_SIDE}"
    fits = _largest_side(count, channels)
    if size > fits:
        _check_budget(count, channels, limits.MIN_IMAGE_SIDE)  # refuses when not even the smallest size fits
        why += f", lowered to {fits} so {count:,} images fit in the {limits.MAX_DECODED_IMAGE_BYTES / 2**20:.0f} MB kept for decoded images"
        size = fits
    return size, f"resized every image to {size}x{size} pixels ({why})"
