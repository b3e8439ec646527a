"""Small PNG data URIs of images, so a table can show each misclassified picture beside its row."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def to_pil(image: np.ndarray, size: int = 64, gap: int = 0) -> Image.Image:
    """A (C, H, W) image (float in [0, 1], or uint8 0..255) as a Pillow image, enlarged with hard pixel edges.

    ``gap`` adds a transparent border that wide on every side: a row of small filters drawn
    edge to edge reads as one picture, and transparent shows the page's own background in a
    light or a dark theme alike. The picture is then ``size + 2 * gap`` pixels a side.
    """
    pixels = image if image.dtype == np.uint8 else (np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    picture = Image.fromarray(pixels[0]) if pixels.shape[0] == 1 else Image.fromarray(pixels.transpose(1, 2, 0))
    picture = picture.resize((size, size), Image.Resampling.NEAREST)
    if gap <= 0:
        return picture
    framed = Image.new("RGBA", (size + 2 * gap, size + 2 * gap), (0, 0, 0, 0))
    framed.paste(picture.convert("RGBA"), (gap, gap))
    return framed


def data_uri(image: np.ndarray, size: int = 64) -> str:
    buffer = io.BytesIO()
    to_pil(image, size).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
