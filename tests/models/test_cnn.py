"""The CNN: shapes, parameters, validation, augmentation and that it learns."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from bridge.config import CNNConfig
from bridge.errors import BridgeError
from bridge.models.cnn import CNN, augment_batch
from bridge.models.neural import count_parameters


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_digit_sized_input(blocks):
    model = CNN(1, 8, 10, CNNConfig(blocks=blocks, channels=8)).eval()
    x = torch.rand(5, 1, 8, 8)
    assert model(x).shape == (5, 10)
    assert model.features(x).shape == (5, 64)
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == blocks  # 8 -> 4 -> 2 -> 1


def test_blocks_past_one_pixel_stop_pooling():
    model = CNN(1, 8, 3, CNNConfig(blocks=5, channels=4, pooling="avg")).eval()
    assert len([m for m in model.modules() if isinstance(m, nn.AvgPool2d)]) == 3
    assert model(torch.rand(2, 1, 8, 8)).shape == (2, 3)


def test_rgb_input_and_channel_doubling_with_cap():
    config = CNNConfig(blocks=4, channels=96, kernel_size=5, batch_norm=False)
    model = CNN(3, 32, 4, config).eval()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [96, 192, 256, 256]
    assert all(c.kernel_size == (5, 5) and c.padding == (2, 2) and c.bias is not None for c in convs)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    x = torch.rand(2, 3, 32, 32)
    assert model(x).shape == (2, 4)
    assert model.features(x).shape == (2, 64)
    assert CNN(3, 64, 2, CNNConfig()).eval()(torch.rand(2, 3, 64, 64)).shape == (2, 2)


def test_features_feed_the_head():
    torch.manual_seed(0)
    model = CNN(1, 8, 3, CNNConfig()).eval()
    x = torch.rand(4, 1, 8, 8)
    torch.testing.assert_close(model(x), model.head(model.features(x)))


def test_parameter_count():
    model = CNN(1, 8, 10, CNNConfig(blocks=2, channels=8, kernel_size=3))
    expected = sum(p.numel() for p in model.parameters())
    assert count_parameters(model) == expected
    # conv 1->8 (no bias: batch norm follows) + bn 8, conv 8->16 + bn 16, linear 16->64, linear 64->10
    assert expected == (9 * 8 + 16) + (72 * 16 + 32) + (16 * 64 + 64) + (64 * 10 + 10)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (CNNConfig(blocks=0), "1 to 5 blocks"),
        (CNNConfig(blocks=6), "1 to 5 blocks"),
        (CNNConfig(kernel_size=4), "odd size"),
        (CNNConfig(kernel_size=9), "odd size"),
        (CNNConfig(pooling="median"), "'max' or 'avg'"),
        (CNNConfig(dropout=1.0), "dropout"),
        (CNNConfig(dropout=-0.1), "dropout"),
        (CNNConfig(channels=0), "channel"),
    ],
)
def test_invalid_config(config, message):
    with pytest.raises(BridgeError, match=message):
        CNN(1, 8, 2, config)


def test_augment_batch_shape_and_determinism():
    x = torch.rand(6, 3, 10, 10)
    first = augment_batch(x, torch.Generator().manual_seed(1), flips=True)
    again = augment_batch(x, torch.Generator().manual_seed(1), flips=True)
    other = augment_batch(x, torch.Generator().manual_seed(2), flips=True)
    assert first.shape == x.shape and first.dtype == x.dtype
    torch.testing.assert_close(first, again)
    assert not torch.equal(first, other)
    torch.manual_seed(3)
    default_rng = augment_batch(x)
    torch.manual_seed(3)
    torch.testing.assert_close(default_rng, augment_batch(x))


def test_augment_batch_only_shifts_by_at_most_one_tenth():
    # A single bright pixel in the centre of 10x10 moves by at most 1 pixel (10%) and is never lost.
    x = torch.zeros(50, 1, 10, 10)
    x[:, 0, 5, 5] = 1.0
    out = augment_batch(x, torch.Generator().manual_seed(0))
    where = out[:, 0].flatten(1).argmax(1)
    rows, cols = where // 10, where % 10
    assert out.flatten(1).sum(1).eq(1).all()
    assert rows.sub(5).abs().max() == 1 and cols.sub(5).abs().max() == 1  # shifts happen, within bounds
    assert not torch.equal(out, x)


def test_flips_mirror_some_images():
    x = torch.zeros(40, 1, 8, 8)
    x[:, 0, :, 0] = 1.0  # a bright left column; a flip moves it to the right edge
    out = augment_batch(x, torch.Generator().manual_seed(0), flips=True)
    right = out[:, 0, :, -1].sum(1) > 0
    assert 5 < int(right.sum()) < 35
    assert augment_batch(x, torch.Generator().manual_seed(0))[:, 0, :, -1].sum() == 0  # no flips by default


def test_tiny_training_run_learns():
    torch.manual_seed(0)
    # Two classes of 8x8 images: a bright vertical bar vs a bright horizontal bar, at random places, plus noise.
    n = 64
    x = 0.2 * torch.rand(n, 1, 8, 8)
    y = torch.arange(n) % 2
    where = torch.randint(1, 7, (n,))
    for i in range(n):
        if y[i] == 0:
            x[i, 0, :, where[i]] += 0.8
        else:
            x[i, 0, where[i], :] += 0.8
    model = CNN(1, 8, 2, CNNConfig(blocks=2, channels=8, dropout=0.0))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(40):
        optimiser.zero_grad()
        loss = loss_fn(model(augment_batch(x)), y)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy > 0.9
