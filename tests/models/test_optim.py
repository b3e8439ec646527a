"""LeanAdam must compute exactly what torch.optim.Adam computes, and step aside when its private kernel changes;
threads_for must restore the thread count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from bridge.models import optim
from bridge.models.optim import FUSED_ADAM_ARGUMENTS, LeanAdam, lean_adam_problem, make_optimizer, signature_problem, threads_for

SETTINGS = [
    {"lr": 1e-2, "weight_decay": 0.0, "betas": (0.9, 0.999), "eps": 1e-8},  # torch's defaults but the learning rate
    {"lr": 3e-2, "weight_decay": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.1, "weight_decay": 0.5, "betas": (0.5, 0.9), "eps": 1e-3},
]


@pytest.fixture
def fresh_check():
    """lean_adam_problem runs once per process; a test that changes torch needs it to look again, and after."""
    lean_adam_problem.cache_clear()
    yield
    lean_adam_problem.cache_clear()


def _train(optimizer_factory, steps: int = 7) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = optimizer_factory(list(model.parameters()))
    X, y = torch.randn(32, 5), torch.randint(0, 3, (32,))
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


def _steps_on_given_gradients(optimizer_factory, steps: int = 25) -> list[torch.Tensor]:
    """The same parameters and the same gradient at every step for each optimizer: only the update rule differs."""
    generator = torch.Generator().manual_seed(1)
    params = [nn.Parameter(torch.randn(7, 5, generator=generator)), nn.Parameter(torch.randn(5, generator=generator))]
    gradients = [[torch.randn(p.shape, generator=generator) for p in params] for _ in range(steps)]
    optimizer = optimizer_factory(params)
    for step_gradients in gradients:
        for p, gradient in zip(params, step_gradients):
            p.grad = gradient.clone()
        optimizer.step()
    return [p.detach().clone() for p in params]


def test_this_torch_passes_the_check():
    """torch is pinned (requirements.txt); an upgrade that fails here trains with torch's Adam until re-measured."""
    assert lean_adam_problem() is None
    assert LeanAdam.available(torch.device("cpu"))
    assert isinstance(make_optimizer(nn.Linear(2, 2), 1e-3, 0.0, torch.device("cpu")), LeanAdam)


@pytest.mark.parametrize("settings", SETTINGS, ids=["defaults", "decay", "large-eps"])
def test_lean_adam_steps_equal_torch_adam(settings):
    for run, tensors in ((_train, 4), (_steps_on_given_gradients, 2)):
        reference = run(lambda params: torch.optim.Adam(params, foreach=False, **settings))  # torch's reference for-loop
        fused = run(lambda params: torch.optim.Adam(params, fused=True, **settings))
        lean = run(lambda params: LeanAdam(params, **settings))
        start = run(lambda params: torch.optim.SGD(params, lr=0.0))
        assert len(lean) == len(reference) == tensors
        for ref, fused_weights, ours, before in zip(reference, fused, lean, start):
            torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-7)
            assert torch.equal(ours, fused_weights)  # the same kernel: bit for bit
            assert not torch.allclose(ours, before)  # the steps really moved the weights


def test_signature_check_names_what_changed():
    declared = [(name, kind, False) for name, kind in FUSED_ADAM_ARGUMENTS] + [("grad_scale", "Optional[Tensor]", True)]
    assert signature_problem(declared) is None
    renamed = [*declared[:6], ("learning_rate", "float", False), *declared[7:]]
    assert signature_problem(renamed) == "argument 7 of torch._fused_adam_ is float learning_rate, not float lr"
    retyped = [*declared[:6], ("lr", "Tensor", False), *declared[7:]]
    assert "is Tensor lr, not float lr" in signature_problem(retyped)
    assert signature_problem(declared[:12]) == "torch._fused_adam_ takes 12 arguments, not 13"
    required = [*declared, ("capturable", "bool", False)]
    assert signature_problem(required) == "torch._fused_adam_ requires arguments LeanAdam does not pass: capturable"


def _assert_falls_back(message: str) -> None:
    with pytest.warns(RuntimeWarning, match="training uses torch.optim.Adam"):
        assert message in lean_adam_problem()
    optimizer = make_optimizer(nn.Linear(2, 2), 1e-3, 0.0, torch.device("cpu"))
    assert type(optimizer) is torch.optim.Adam and optimizer.defaults["fused"] is True


def test_a_torch_without_the_kernel_trains_with_torch_adam(monkeypatch, fresh_check):
    monkeypatch.delattr(torch, "_fused_adam_")
    _assert_falls_back("this torch has no torch._fused_adam_")


def test_a_kernel_declared_otherwise_trains_with_torch_adam(monkeypatch, fresh_check):
    declared = [(name, kind, False) for name, kind in FUSED_ADAM_ARGUMENTS]
    monkeypatch.setattr(optim, "_declared_arguments", lambda: [*declared[:6], ("lr", "Tensor", False), *declared[7:]])
    _assert_falls_back("argument 7 of torch._fused_adam_ is Tensor lr")


def test_a_kernel_computing_otherwise_trains_with_torch_adam(monkeypatch, fresh_check):
    real = torch._fused_adam_
    monkeypatch.setattr(torch, "_fused_adam_", lambda *args, **kwargs: real(*args, **{**kwargs, "weight_decay": 0.0}))
    _assert_falls_back("torch._fused_adam_ no longer computes Adam")


def test_a_kernel_that_fails_trains_with_torch_adam(monkeypatch, fresh_check):
    def refuses(*args, **kwargs):
        raise TypeError("_fused_adam_() missing required argument 'capturable'")

    monkeypatch.setattr(torch, "_fused_adam_", refuses)
    _assert_falls_back("failed a trial step (_fused_adam_() missing required argument 'capturable')")


def test_the_check_leaves_the_random_state_alone(fresh_check):
    """make_optimizer runs after the network is seeded and built: the check must not move the seeds training relies on."""
    torch.manual_seed(3)
    before = torch.get_rng_state()
    assert lean_adam_problem() is None
    assert torch.equal(torch.get_rng_state(), before)


def test_lean_adam_spares_a_process_the_dynamo_import():
    """torch.optim's first optimizer imports torch._dynamo (seconds, once per training process); the check and LeanAdam do not."""
    script = ("import sys, torch\nfrom bridge.models.optim import make_optimizer\n"
              "optimizer = make_optimizer(torch.nn.Linear(3, 2), 1e-3, 0.0, torch.device('cpu'))\n"
              "torch.nn.Linear(3, 2)(torch.ones(1, 3)).sum().backward()\noptimizer.step()\n"
              "print(type(optimizer).__name__, 'torch._dynamo' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.split() == ["LeanAdam", "False"]


def test_make_optimizer_falls_back_to_torch_adam_on_other_devices():
    optimizer = make_optimizer(nn.Linear(2, 2), 1e-3, 0.0, torch.device("meta"))
    assert type(optimizer) is torch.optim.Adam and optimizer.defaults["fused"] is None  # no fused kernel there


def test_cuda_gets_torchs_documented_fused_adam():
    # The model stays on the CPU here (no GPU in CI); torch's fused Adam accepts CPU tensors too.
    optimizer = make_optimizer(nn.Linear(2, 2), 1e-3, 0.0, torch.device("cuda"))
    assert isinstance(optimizer, torch.optim.Adam) and optimizer.defaults["fused"] is True


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
