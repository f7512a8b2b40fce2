"""``gradcheck``: compare the engine's gradients with central finite differences in float64.

The numeric derivative of f at x is (f(x + eps) - f(x - eps)) / (2 eps), with an error of order
eps², so backward and finite differences must agree to ``atol + rtol * |numeric|``. The defaults
are PyTorch's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd.graph import no_grad
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
    f: Callable[..., Value],
    inputs: Sequence[Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> GradcheckResult:
    """Check d f(*inputs) / d input for every input against central differences.

    ``f`` must return a single Value. The inputs' data and gradients are left as they were.
    """
    inputs = list(inputs)
    for index, value in enumerate(inputs):
        if not isinstance(value, Value):
            raise TypeError(
                f"gradcheck: input {index} is a {type(value).__name__}; inputs must be Values"
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
