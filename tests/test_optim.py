"""LeanAdam must compute exactly what torch.optim.Adam computes; threads_for must restore the thread count."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from bridge.optim import LeanAdam, make_optimizer, threads_for


def _train(optimizer_factory, steps: int = 7) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = optimizer_factory(model)
    X, y = torch.randn(32, 5), torch.randint(0, 3, (32,))
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_lean_adam_matches_torch_adam(weight_decay):
    if not LeanAdam.available(torch.device("cpu")):
        pytest.skip("this torch build has no fused Adam kernel")
    reference = _train(lambda m: torch.optim.Adam(m.parameters(), lr=1e-2, weight_decay=weight_decay))
    lean = _train(lambda m: LeanAdam(m.parameters(), lr=1e-2, weight_decay=weight_decay))
    untouched = _train(lambda m: torch.optim.SGD(m.parameters(), lr=0.0))
    for ref, ours, start in zip(reference, lean, untouched):
        assert torch.allclose(ref, ours, atol=1e-6), (ref - ours).abs().max()
        assert not torch.allclose(ref, start)  # the step really moved the weights


def test_make_optimizer_falls_back_to_torch_adam_on_other_devices():
    model = nn.Linear(2, 2)
    assert isinstance(make_optimizer(model, 1e-3, 0.0, torch.device("meta")), torch.optim.Adam)


def test_cuda_gets_torchs_documented_fused_adam():
    # The model stays on the CPU here (no GPU in CI); torch's fused Adam accepts CPU tensors too.
    optimizer = make_optimizer(nn.Linear(2, 2), 1e-3, 0.0, torch.device("cuda"))
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults["fused"] is True
    assert make_optimizer(nn.Linear(2, 2), 1e-3, 0.0, torch.device("meta")).defaults["fused"] is None


def test_threads_for_small_dense_batches_uses_one_thread_and_restores():
    before = torch.get_num_threads()
    dense = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 3))
    with threads_for(dense, 64, torch.device("cpu")) as used:
        assert used == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == before
    conv = nn.Sequential(nn.Conv2d(1, 8, 3), nn.Flatten())
    with threads_for(conv, 64, torch.device("cpu")) as used:
        assert used == before
    big = nn.Sequential(nn.Linear(30, 1024))
    with threads_for(big, 512, torch.device("cpu")) as used:
        assert used == before
