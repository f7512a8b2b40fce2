"""``gradcheck``: compare the engine's gradients with central finite differences in float64.

The numeric derivative of f at x is (f(x + eps) - f(x - eps)) / (2 eps), with an error of order
eps², so backward and finite differences must agree to ``atol + rtol * |numeric|``. The defaults
are PyTorch's.

For Tensors, checking every element costs two forward passes per element; instead (as HIPS
autograd does) the output is weighted by a random tensor u and each input is moved along a random
direction v: backward with grad=u gives ∇⟨u, f⟩, whose dot product with v must equal the numeric
slope of ⟨u, f(x + t·v)⟩ at t = 0. A few directions catch any wrong entry with probability 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.graph import no_grad
from autograd.tensor import Tensor
from autograd.value import Value

__all__ = ["GradcheckResult", "GradientMismatch", "gradcheck"]


@dataclass(frozen=True)
class GradientMismatch:
    """One input whose backward gradient disagrees with the numeric one."""

    index: int
    label: str
    analytic: float
    numeric: float
    allowed: float

    def __str__(self) -> str:
        name = f"input {self.index}" + (f" ({self.label!r})" if self.label else "")
        difference = abs(self.analytic - self.numeric)
        return (
            f"{name}: backward gives {self.analytic:.10g}, finite differences {self.numeric:.10g}"
            f" (|difference| {difference:.3g} > allowed {self.allowed:.3g})"
        )


@dataclass(frozen=True)
class GradcheckResult:
    """True when every input agrees; otherwise ``mismatches`` says which input and by how much."""

    checked: int
    mismatches: tuple[GradientMismatch, ...]

    def __bool__(self) -> bool:
        return not self.mismatches

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        if self.ok:
            return f"gradcheck passed: {self.checked} input(s) agree with finite differences"
        lines = [f"gradcheck failed for {len(self.mismatches)} of {self.checked} input(s):"]
        lines += [f"  {mismatch}" for mismatch in self.mismatches]
        return "\n".join(lines)

    __repr__ = __str__


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    directions: int = 3,
    seed: int = 0,
) -> GradcheckResult:
    """Check d f(*inputs) / d input for every input against central differences.

    Inputs are all Values (``f`` returns a Value) or all float64 Tensors that require grad
    (``f`` returns a Tensor of any shape; checked along ``directions`` random directions).
    The inputs' data and gradients are left as they were.
    """
    inputs = list(inputs)
    if inputs and all(isinstance(t, Tensor) for t in inputs):
        return _gradcheck_tensors(f, inputs, eps, atol, rtol, directions, seed)
    for index, value in enumerate(inputs):
        if not isinstance(value, Value):
            raise TypeError(
                f"gradcheck: input {index} is a {type(value).__name__}; inputs must be all "
                "Values or all Tensors"
            )
    analytic = _backward_gradients(f, inputs)
    mismatches = []
    for index, value in enumerate(inputs):
        numeric = _central_difference(f, inputs, value, eps)
        allowed = atol + rtol * abs(numeric)
        # `not <=` also flags nan on either side.
        if not abs(analytic[index] - numeric) <= allowed:
            mismatches.append(
                GradientMismatch(index, value.label, analytic[index], numeric, allowed)
            )
    return GradcheckResult(len(inputs), tuple(mismatches))


def _evaluate(f: Callable[..., Value], inputs: list[Value]) -> Value:
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out


def _backward_gradients(f: Callable[..., Value], inputs: list[Value]) -> list[float]:
    saved = [value.grad for value in inputs]
    try:
        for value in inputs:
            value.grad = 0.0
        _evaluate(f, inputs).backward()
        return [value.grad for value in inputs]
    finally:
        for value, grad in zip(inputs, saved):
            value.grad = grad


def _central_difference(
    f: Callable[..., Value], inputs: list[Value], value: Value, eps: float
) -> float:
    original = value.data
    try:
        with no_grad():
            value.data = original + eps
            above = _evaluate(f, inputs).data
            value.data = original - eps
            below = _evaluate(f, inputs).data
    finally:
        value.data = original
    return (above - below) / (2 * eps)


def _gradcheck_tensors(
    f: Callable[..., Tensor],
    inputs: list[Tensor],
    eps: float,
    atol: float,
    rtol: float,
    directions: int,
    seed: int,
) -> GradcheckResult:
    for index, tensor in enumerate(inputs):
        if tensor.dtype != np.float64 or not tensor.requires_grad:
            raise TypeError(
                f"gradcheck: input {index} is {tensor.dtype} with requires_grad="
                f"{tensor.requires_grad}; finite differences need float64 tensors that require grad"
            )
    rng = np.random.default_rng(seed)
    saved = [tensor.grad for tensor in inputs]
    try:
        for tensor in inputs:
            tensor.grad = None
        out = f(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
        weights = rng.standard_normal(out.shape)
        out.backward(weights)
        analytic = [
            np.zeros(t.shape) if t.grad is None else np.array(t.grad, dtype=np.float64)
            for t in inputs
        ]
    finally:
        for tensor, grad in zip(inputs, saved):
            tensor.grad = grad

    def weighted_output() -> float:
        with no_grad():
            return float(np.sum(weights * f(*inputs).data))

    mismatches = []
    for index, tensor in enumerate(inputs):
        for _ in range(directions):
            direction = rng.standard_normal(tensor.shape)
            direction /= np.linalg.norm(direction) or 1.0
            original = tensor.data
            try:
                tensor.data = original + eps * direction
                above = weighted_output()
                tensor.data = original - eps * direction
                below = weighted_output()
            finally:
                tensor.data = original
            numeric = (above - below) / (2 * eps)
            predicted = float(np.sum(analytic[index] * direction))
            allowed = atol + rtol * abs(numeric)
            if not abs(predicted - numeric) <= allowed:
                mismatches.append(
                    GradientMismatch(index, tensor.label, predicted, numeric, allowed)
                )
                break
    return GradcheckResult(len(inputs), tuple(mismatches))
