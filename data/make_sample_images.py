"""Draw the tiny example image folder in data/sample_images/ (deterministic: seeded).

Run ``python data/make_sample_images.py`` from the repository root. Each class
folder gets 12 PNGs of one shape at a random position, size and colour, drawn
at 4x and shrunk so the edges are smooth.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 24  # pixels per side of each saved image
SCALE = 4  # drawn at 4x, then shrunk: cheap antialiasing
PER_CLASS = 12
OUT = Path(__file__).resolve().parent / "sample_images"


def draw(shape: str, rng: random.Random) -> Image.Image:
    big = SIZE * SCALE
    image = Image.new("RGB", (big, big), "white")
    pen = ImageDraw.Draw(image)
    side = rng.randint(big // 3, big * 3 // 4)
    left, top = rng.randint(0, big - side), rng.randint(0, big - side)
    colour = tuple(rng.randint(0, 160) for _ in range(3))  # dark enough to stand out on white
    box = (left, top, left + side, top + side)
    if shape == "circle":
        pen.ellipse(box, fill=colour)
    elif shape == "square":
        pen.rectangle(box, fill=colour)
    else:
        pen.polygon([(left + side // 2, top), (left, top + side), (left + side, top + side)], fill=colour)
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    rng = random.Random(0)
    for shape in ("circle", "square", "triangle"):
        folder = OUT / shape
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(1, PER_CLASS + 1):
            draw(shape, rng).save(folder / f"{shape}_{i:02d}.png", optimize=True)


if __name__ == "__main__":
    main()
