"""Hand-made image features for the scikit-learn side: HOG descriptors as a scikit-learn transformer.

The classical way to classify images is features first, then a classifier. HOG (histograms of
oriented gradients, scikit-image's ``hog``) counts edge directions in small cells, so a stroke that
moves by a pixel or two still lands in the same histogram, where a raw-pixel model sees different
features altogether. ``HOGFeatures`` turns flattened images into those descriptors.

What it reads: Bridge's scikit-learn view of an image set is the flattened pixels standardised
pixel by pixel (``bridge.problem.prepare``), which no longer look like an image (a border pixel that is
almost always black is blown up to unit variance). Given the scaler's ``pixel_mean`` and
``pixel_scale``, the transformer undoes that scaling before taking gradients. This way the HOG family
takes the same matrix as every other candidate, so choosing on validation, the learning curve, seed
repeats and test predictions treat it like any other model (the skops export keeps the steps after it,
which the exported scripts feed from their own copy of this transformer). Without
them (the exported script's case) it reads raw pixels in [0, 1]. ``pixel_levels`` puts the restored
pixels back on the grid they were decoded on (whole numbers 0..levels, divided in float32), so the
descriptors are exactly those of the decoded images, bit for bit what the exported script computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

CELLS_PER_SIDE = 4  # an 8x8 digit gets 2-pixel cells, a 20x20 one 5-pixel cells: a few cells each way whatever the size
MAX_CELL = 8  # Dalal and Triggs' cell size: a 64x64 photo gets 8 cells a side rather than 4 coarse ones
MIN_CELL = 2  # one-pixel cells have no gradient histogram worth the name
CHUNK_VALUES = 1_000_000  # pixel values turned into descriptors at once (8 MB as float64)


def cell_size_for(height: int, width: int) -> int:
    """Pixels per cell side, from the image's shorter side (see the constants above)."""
    return int(np.clip(min(height, width) // CELLS_PER_SIDE, MIN_CELL, MAX_CELL))


@dataclass(frozen=True)
class PixelLayout:
    """How a row of the scikit-learn matrix maps back to an image: its shape and the per-pixel scaling to undo."""

    shape: tuple[int, int, int]  # channels, height, width
    mean: np.ndarray
    scale: np.ndarray
    levels: float | None = None  # pixels were whole numbers 0..levels (uint8 storage), else None


def pixel_layout(prepared, images) -> PixelLayout:
    """The layout of a ``bridge.problem.prepare.Prepared`` image set (its ``transform`` is the fitted StandardScaler) and its ``ImageData``."""
    levels = float(images.scale) if images.images.dtype == np.uint8 else None  # older stores held floats: no grid to return to
    channels, height, width = (int(s) for s in prepared.X_train.shape[1:])  # image tensors are (n, C, H, W)
    return PixelLayout((channels, height, width), prepared.transform.mean_, prepared.transform.scale_, levels)


class HOGFeatures(TransformerMixin, BaseEstimator):
    """Flattened images (n, channels * height * width) -> HOG descriptors (n, features).

    Stateless: ``fit`` learns nothing from the data, it only settles the cell size, so the same image
    always gives the same descriptor. Parameters are plain values and arrays (no lambdas), so the
    transformer pickles, clones and exports like any scikit-learn step.
    """

    def __init__(self, image_shape=None, pixel_mean=None, pixel_scale=None, pixel_levels=None, orientations=9, cell_size=None,
                 cells_per_block=2):
        self.image_shape = image_shape
        self.pixel_mean = pixel_mean
        self.pixel_scale = pixel_scale
        self.pixel_levels = pixel_levels
        self.orientations = orientations
        self.cell_size = cell_size  # None: chosen from the image size (cell_size_for)
        self.cells_per_block = cells_per_block

    def fit(self, X, y=None):
        if self.image_shape is None:
            raise ValueError("HOGFeatures needs image_shape, the (channels, height, width) of the flattened images")
        channels, height, width = self.image_shape
        if np.shape(X)[1] != channels * height * width:
            raise ValueError(f"HOGFeatures expects {channels * height * width} values a row for images of shape {self.image_shape}, "
                             f"got {np.shape(X)[1]}")
        self.n_features_in_ = int(np.shape(X)[1])
        self.cell_size_ = int(self.cell_size or cell_size_for(height, width))
        # Blocks must fit in the image: a tiny image gets one block of all its cells.
        self.cells_per_block_ = int(max(1, min(self.cells_per_block, min(height, width) // self.cell_size_)))
        return self

    def transform(self, X):
        check_is_fitted(self, "cell_size_")
        X = np.asarray(X)
        # A chunk of images at a time: the float64 pixels HOG works on stay a few MB, however large the image set.
        step = max(1, CHUNK_VALUES // max(1, X.shape[1]))
        chunks = [self._descriptors(X[start : start + step]) for start in range(0, len(X), step)]
        return np.concatenate(chunks) if chunks else np.empty((0, 0), dtype=np.float32)

    def _descriptors(self, X) -> np.ndarray:
        from skimage.feature import hog  # scikit-image is only needed once an image baseline runs

        pixels = np.asarray(X, dtype=np.float64)
        if self.pixel_mean is not None:
            pixels = pixels * np.asarray(self.pixel_scale, dtype=np.float64) + np.asarray(self.pixel_mean, dtype=np.float64)
            if self.pixel_levels:  # undo the float32 rounding of the scaled pixels: back to k / levels, as the images were decoded
                levels = np.float32(self.pixel_levels)
                pixels = (np.clip(np.round(pixels * self.pixel_levels), 0, self.pixel_levels).astype(np.float32) / levels).astype(np.float64)
        images = pixels.reshape(len(pixels), *self.image_shape)
        settings = {"orientations": self.orientations, "pixels_per_cell": (self.cell_size_, self.cell_size_),
                    "cells_per_block": (self.cells_per_block_, self.cells_per_block_), "block_norm": "L2-Hys", "feature_vector": True}
        if self.image_shape[0] == 1:
            rows = [hog(image[0], **settings) for image in images]
        else:  # colour: gradients per channel, the strongest one kept at each pixel
            rows = [hog(image, channel_axis=0, **settings) for image in images]
        return np.asarray(rows, dtype=np.float32).reshape(len(images), -1)
