"""Adam in one fused kernel call, guarded, and a thread count suited to the batch.

For a small network on the CPU, ``torch.optim.Adam(fused=True)`` spends more
time in Python bookkeeping (grouping tensors, hooks, checks) than in the
arithmetic of its single fused kernel. ``LeanAdam`` keeps the same state and
calls the same kernel directly: the same numbers, a fraction of the overhead
(torch's fused Adam made Bridge's MLP fit 1.2x-2.0x slower; BENCHMARKS.md, 'The optimizer'). It also
spares each training process the first ``torch.optim`` optimizer's import of
``torch._dynamo`` (seconds).

That kernel, ``torch._fused_adam_``, is private: a torch upgrade may remove it,
change its arguments or what it computes. ``lean_adam_problem`` checks all three
once per process (the declared arguments, then three steps against Adam's
formula); if any fails, training uses ``torch.optim.Adam(fused=True)``, with a warning.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import torch

SMALL_BATCH_WORK = 64 * 256  # batch rows x widest layer below which one thread beats two: the ops are too small to split
# The arguments LeanAdam passes to torch._fused_adam_, as torch 2.13 declares them: the first six by position, the
# rest by name. Any further argument must have a default, since LeanAdam does not pass it.
FUSED_ADAM_ARGUMENTS = (
    ("self", "List[Tensor]"), ("grads", "List[Tensor]"), ("exp_avgs", "List[Tensor]"), ("exp_avg_sqs", "List[Tensor]"),
    ("max_exp_avg_sqs", "List[Tensor]"), ("state_steps", "List[Tensor]"), ("lr", "float"), ("beta1", "float"),
    ("beta2", "float"), ("weight_decay", "float"), ("eps", "float"), ("amsgrad", "bool"), ("maximize", "bool"),
)


class LeanAdam:
    """Adam (Kingma & Ba) with L2 weight decay, as torch.optim.Adam computes it, via torch's fused kernel."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, weight_decay: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        # Every parameter is at the same step: one shared counter, incremented once per step, not once per tensor.
        # It lives in a NumPy scalar the tensor shares memory with (CPU only, as is LeanAdam): counting there
        # costs a fraction of a microsecond, where a tensor add_ goes through torch's dispatcher every step.
        self._count = np.zeros((), dtype=np.float32)
        self.step_count = torch.from_numpy(self._count)
        self.steps = [self.step_count] * len(self.params)

    @staticmethod
    def available(device: torch.device) -> bool:
        # CPU only: that is where the Python overhead dominates and where it was measured against torch's Adam.
        # On CUDA torch's documented fused Adam does the same in one kernel, and no GPU was at hand to check this one.
        return device.type == "cpu" and lean_adam_problem() is None

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        self._count += 1  # in place: step_count sees it
        # mypy is told to ignore the call: torch's stub for this private kernel asks for list[Tensor], and list is invariant, so a list of
        # Parameters (Tensor's subclass) is refused; the kernel only reads the list, and lean_adam_problem checks the real signature.
        torch._fused_adam_(self.params, grads, self.exp_avg, self.exp_avg_sq, [], self.steps,  # type: ignore[arg-type]
                           amsgrad=False, lr=self.lr, beta1=self.betas[0], beta2=self.betas[1], weight_decay=self.weight_decay,
                           eps=self.eps, maximize=False)


def signature_problem(arguments: list[tuple[str, str, bool]]) -> str | None:
    """How the kernel's declared (name, type, has a default) arguments differ from those LeanAdam passes; None if they fit."""
    for position, (expected, declared) in enumerate(zip(FUSED_ADAM_ARGUMENTS, arguments)):
        if expected != declared[:2]:
            return f"argument {position + 1} of torch._fused_adam_ is {declared[1]} {declared[0]}, not {expected[1]} {expected[0]}"
    if len(arguments) < len(FUSED_ADAM_ARGUMENTS):
        return f"torch._fused_adam_ takes {len(arguments)} arguments, not {len(FUSED_ADAM_ARGUMENTS)}"
    required = [name for name, _, has_default in arguments[len(FUSED_ADAM_ARGUMENTS) :] if not has_default]
    return f"torch._fused_adam_ requires arguments LeanAdam does not pass: {', '.join(required)}" if required else None


def _declared_arguments() -> list[tuple[str, str, bool]] | None:
    try:
        schema = torch.ops.aten._fused_adam_.default._schema
    except (AttributeError, RuntimeError):
        return None
    return [(argument.name, str(argument.type), argument.has_default_value()) for argument in schema.arguments]


def formula_problem(steps: int = 3) -> str | None:
    """How LeanAdam's steps stray from Adam's formula (Kingma & Ba, L2 weight decay, as torch.optim.Adam documents it), or None.

    Fixed numbers, no random generator (training's seeds stay where they were), and no torch.optim optimizer, whose
    first construction in a process imports torch._dynamo (seconds). Computed again in float64 to compare.
    """
    lr, betas, eps, weight_decay = 0.1, (0.8, 0.9), 0.01, 0.1  # eps and weight decay large enough to show if ignored
    start = torch.linspace(-1.0, 1.0, 6)
    weight = torch.nn.Parameter(start.clone())
    expected, exp_avg, exp_avg_sq = start.double(), torch.zeros(6, dtype=torch.float64), torch.zeros(6, dtype=torch.float64)
    optimizer = LeanAdam([weight], lr=lr, weight_decay=weight_decay, betas=betas, eps=eps)
    for step in range(1, steps + 1):
        weight.grad = torch.linspace(0.5, -0.5 * step, 6)
        try:
            optimizer.step()
        except (RuntimeError, TypeError) as exc:
            return f"torch._fused_adam_ failed a trial step ({(str(exc).splitlines() or [type(exc).__name__])[0]})"
        grad = weight.grad.double() + weight_decay * expected
        exp_avg = betas[0] * exp_avg + (1 - betas[0]) * grad
        exp_avg_sq = betas[1] * exp_avg_sq + (1 - betas[1]) * grad**2
        denominator = (exp_avg_sq / (1 - betas[1] ** step)).sqrt() + eps
        expected = expected - lr * (exp_avg / (1 - betas[0] ** step)) / denominator
    error = float((weight.detach().double() - expected).abs().max())
    return None if error <= 1e-5 and math.isfinite(error) else f"torch._fused_adam_ no longer computes Adam (off by {error:.2g})"


@functools.cache
def lean_adam_problem() -> str | None:
    """Why LeanAdam cannot be trusted with this torch, or None: checked once per process."""
    problem: str | None
    if not hasattr(torch, "_fused_adam_"):
        problem = "this torch has no torch._fused_adam_"
    else:
        arguments = _declared_arguments()
        problem = "torch._fused_adam_ declares no arguments Bridge can read" if arguments is None else signature_problem(arguments)
        problem = problem or formula_problem()
    if problem:
        warnings.warn(f"{problem}; training uses torch.optim.Adam(fused=True) instead of LeanAdam", RuntimeWarning, stacklevel=2)
    return problem


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float, device: torch.device) -> LeanAdam | torch.optim.Adam:
    """LeanAdam on the CPU when its kernel passes the checks; else torch's Adam, fused where torch has a fused kernel."""
    if LeanAdam.available(device):
        return LeanAdam(model.parameters(), lr=lr, weight_decay=weight_decay)
    fused = True if device.type in ("cpu", "cuda") else None
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, fused=fused)


def widest_layer(model: torch.nn.Module) -> int:
    """The most outputs of any weight matrix; an embedding table is left out: a lookup costs per word read, not per word known."""
    tables = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    return max((p.shape[0] for p in model.parameters() if p.dim() >= 2 and id(p) not in tables), default=1)


@contextmanager
def threads_for(model: torch.nn.Module, batch_size: int, device: torch.device) -> Iterator[int]:
    """One CPU thread for small batches of a small dense network, the default otherwise; restored afterwards.

    Convolutions do work per pixel, so they keep every thread.
    """
    before = torch.get_num_threads()
    dense = not any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    small = batch_size * widest_layer(model) <= SMALL_BATCH_WORK
    wanted = 1 if device.type == "cpu" and dense and small else before
    torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        torch.set_num_threads(before)
