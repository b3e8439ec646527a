"""The PyTorch convolutional network for image folders, built from ``CNNConfig``.

Convolutions see neighbouring pixels together, which is what a flattened MLP
or a scikit-learn model cannot: this is where the network earns its keep on
images. Global average pooling after the blocks makes the head independent of
the image size, so one design serves 8x8 digits and 64x64 photos.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bridge.config import CNNConfig
from bridge.errors import BridgeError

HIDDEN = 64  # width of the last hidden layer, the representation ``features`` shows
MAX_CHANNELS = 256  # doubling stops here, so five blocks stay a few million parameters at most


def check_config(config: CNNConfig) -> None:
    """Raise BridgeError for a CNN shape that cannot be built."""
    if not 1 <= config.blocks <= 5:
        raise BridgeError(f"the CNN needs 1 to 5 blocks, not {config.blocks}; pick a number in that range")
    if config.channels < 1:
        raise BridgeError(f"the CNN needs at least 1 channel in its first block, not {config.channels}")
    if config.kernel_size not in (1, 3, 5, 7):
        raise BridgeError(f"kernel size {config.kernel_size} is not supported; use an odd size from 1 to 7")
    if config.pooling not in ("max", "avg"):
        raise BridgeError(f"pooling '{config.pooling}' is unknown; use 'max' or 'avg'")
    if not 0 <= config.dropout < 1:
        raise BridgeError(f"dropout {config.dropout} is out of range; use a value in [0, 1)")


class CNN(nn.Module):
    """Blocks of conv -> (batch norm) -> ReLU -> pool, then global average pooling and a small MLP head."""

    def __init__(self, in_channels: int, image_size: int, n_outputs: int, config: CNNConfig):
        super().__init__()
        check_config(config)
        if in_channels < 1 or image_size < 1 or n_outputs < 1:
            raise BridgeError("the CNN needs at least 1 input channel, a 1-pixel image and 1 output")
        pool = nn.MaxPool2d if config.pooling == "max" else nn.AvgPool2d
        layers: list[nn.Module] = []
        width, size = in_channels, image_size
        for block in range(config.blocks):
            out = min(config.channels * 2**block, MAX_CHANNELS)
            # Batch norm has its own shift, so the convolution's bias would be redundant.
            layers.append(nn.Conv2d(width, out, config.kernel_size, padding=config.kernel_size // 2, bias=not config.batch_norm))
            if config.batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU())
            if size >= 2:  # an 8x8 digit is 1x1 after three pools; later blocks keep that size
                layers.append(pool(2))
                size //= 2
            width = out
        self.body = nn.Sequential(*layers)
        self.hidden = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(config.dropout),
            nn.Linear(width, HIDDEN),
            nn.ReLU(),
            nn.Dropout(config.dropout),
        )
        self.head = nn.Linear(HIDDEN, n_outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer (N, 64): the representation the network learned."""
        return self.hidden(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def augment_batch(x: torch.Tensor, generator: torch.Generator | None = None, flips: bool = False) -> torch.Tensor:
    """Shift each image by up to ~10% of its side (at least 1 pixel), and mirror half of them if ``flips``.

    Edges are replicated rather than zero-filled: backgrounds are often white
    (transparent images are composited on white), and a black border would be
    a feature the data never had. Flips are off by default because digits and
    letters change meaning when mirrored.
    """
    if x.dim() != 4:
        raise ValueError(f"augment_batch expects (N, C, H, W), got shape {tuple(x.shape)}")
    n, _, height, width = x.shape
    shift = max(1, round(0.1 * min(height, width)))
    # Draw on the generator's device, then move: a CPU generator then works for a CUDA batch too.
    device = generator.device if generator is not None else torch.device("cpu")
    offsets = torch.randint(0, 2 * shift + 1, (n, 2), generator=generator, device=device).to(x.device)
    padded = F.pad(x, (shift, shift, shift, shift), mode="replicate")
    rows = offsets[:, :1] + torch.arange(height, device=x.device)  # (N, H)
    cols = offsets[:, 1:] + torch.arange(width, device=x.device)  # (N, W)
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
    if flips:
        mirror = (torch.rand(n, generator=generator, device=device) < 0.5).to(x.device)
        out = torch.where(mirror[:, None, None, None], out.flip(-1), out)
    return out.contiguous()
