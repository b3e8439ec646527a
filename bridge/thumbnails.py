"""Small PNG data URIs of images, so a table can show each misclassified picture beside its row."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def to_pil(image: np.ndarray, size: int = 64) -> Image.Image:
    """A (C, H, W) float image in [0, 1] as a Pillow image, enlarged with hard pixel edges."""
    pixels = (np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    picture = Image.fromarray(pixels[0]) if pixels.shape[0] == 1 else Image.fromarray(pixels.transpose(1, 2, 0))
    return picture.resize((size, size), Image.Resampling.NEAREST)


def data_uri(image: np.ndarray, size: int = 64) -> str:
    buffer = io.BytesIO()
    to_pil(image, size).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
