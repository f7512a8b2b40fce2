"""Gradient clipping, by the total norm and by value, on ``Value`` and ``Tensor`` parameters."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor, Value

__all__ = ["KerasClipping", "clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters: Any) -> tuple[list[Tensor], list[Value]]:
    """The Tensors that have a gradient, and the Values, of ``parameters`` (one or many)."""
    if isinstance(parameters, (Tensor, Value)):
        parameters = [parameters]
    tensors, values = [], []
    for p in parameters:
        if isinstance(p, Value):
            values.append(p)
        elif isinstance(p, Tensor):
            if p.grad is not None:
                tensors.append(p)
        else:
            raise TypeError(f"clip: expected Values or Tensors, got {type(p).__name__}")
    return tensors, values


def clip_grad_norm_(
    parameters: Iterable[Any] | Value | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together so that their total ``norm_type``-norm is at most
    ``max_norm``; return the norm they had (as ``torch.nn.utils.clip_grad_norm_``)."""
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type}")
    tensors, values = _with_grads(parameters)
    pieces = [np.abs(p.grad).ravel() for p in tensors]
    pieces.append(np.abs(np.array([v.grad for v in values], dtype=np.float64)))
    magnitudes = np.concatenate([piece.astype(np.float64) for piece in pieces])
    if magnitudes.size == 0:
        return 0.0
    if math.isinf(norm_type):
        total = float(magnitudes.max())
    else:
        total = float(np.sum(magnitudes**norm_type) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of the gradients is {total}; pass "
            "error_if_nonfinite=False to clip anyway"
        )
    scale = max_norm / (total + 1e-6)
    if not scale >= 1.0:  # also when the norm is nan: every gradient becomes nan, as in torch
        with np.errstate(invalid="ignore"):  # an inf gradient times 0 is nan, as in torch
            for p in tensors:
                p.grad = p.grad * np.asarray(scale, dtype=p.grad.dtype)
        for v in values:
            v.grad *= scale
    return total


def clip_grad_value_(parameters: Iterable[Any] | Value | Tensor, clip_value: float) -> None:
    """Clip every gradient entry to [-clip_value, clip_value]."""
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    tensors, values = _with_grads(parameters)
    for p in tensors:
        p.grad = np.clip(p.grad, -clip_value, clip_value)
    for v in values:
        v.grad = min(max(v.grad, -clip_value), clip_value)


class KerasClipping:
    """Keras's clipping arguments of an optimizer: ``Adam(learning_rate=1e-3, clipnorm=1.0)``.

    The gradients an update rule sees are clipped copies; ``.grad`` keeps what backward gave.

    - ``clipnorm``: each parameter's gradient g becomes g · c / max(‖g‖₂, c): its norm is at most
      c (each scalar ``Value`` is a parameter of its own, so its gradient is clipped to [-c, c]);
    - ``global_clipnorm``: every gradient is scaled by c / max(‖all gradients‖₂, c), as
      ``clip_grad_norm_`` does once per step in a PyTorch loop (without its 1e-6);
    - ``clipvalue``: every entry is clipped to [-c, c], as ``clip_grad_value_``.

    At most one may be set, and it must be positive (Keras's rules).
    """

    NAMES = ("clipnorm", "clipvalue", "global_clipnorm")

    def __init__(self, owner: str, options: dict[str, float | None]) -> None:
        """``options``: the keywords an optimizer was given beside its hyper-parameters; a name
        other than ``NAMES`` is a TypeError that lists them, as Python's own would."""
        unknown = sorted(set(options) - set(self.NAMES))
        if unknown:
            raise TypeError(
                f"{owner}: unexpected keyword argument(s) {unknown}; besides its "
                f"hyper-parameters it takes {sorted(self.NAMES)}"
            )
        given = {name: value for name, value in options.items() if value is not None}
        if len(given) > 1:
            raise ValueError(
                f"{owner}: only one of clipnorm, clipvalue and global_clipnorm can be set, got "
                + ", ".join(f"{name}={value!r}" for name, value in given.items())
            )
        for name, value in given.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{owner}: {name} must be a positive number, got {value!r}")
        self.clipnorm = options.get("clipnorm")
        self.clipvalue = options.get("clipvalue")
        self.global_clipnorm = options.get("global_clipnorm")

    def __bool__(self) -> bool:
        return any(c is not None for c in (self.clipnorm, self.clipvalue, self.global_clipnorm))

    def __call__(self, grads: list[np.ndarray], scalars: list[bool]) -> list[np.ndarray]:
        """The clipped gradients; ``scalars[i]`` says that ``grads[i]`` holds the gradients of
        separate scalar ``Value`` parameters (clipped one by one), not of one tensor."""
        if self.clipvalue is not None:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            limit = self.clipnorm
            return [
                np.clip(g, -limit, limit) if scalar else _scaled_to_norm(g, _norm(g), limit)
                for g, scalar in zip(grads, scalars)
            ]
        if self.global_clipnorm is not None:
            total = math.sqrt(math.fsum(_norm(g) ** 2 for g in grads))
            return [_scaled_to_norm(g, total, self.global_clipnorm) for g in grads]
        return grads


def _norm(g: np.ndarray) -> float:
    """‖g‖₂, summed in float64 so that a large float32 gradient loses no precision."""
    return math.sqrt(float(np.sum(np.square(g, dtype=np.float64))))


def _scaled_to_norm(g: np.ndarray, norm: float, limit: float) -> np.ndarray:
    """g · limit / max(norm, limit), as Keras: the same array when ``norm`` is within the limit;
    all nan when it is nan; an inf entry becomes nan and the others 0 when it is inf."""
    if norm <= limit:
        return g
    scale = limit / norm if norm == norm else math.nan
    with np.errstate(invalid="ignore"):  # inf · 0 is nan, as it is in Keras
        return g * np.asarray(scale, dtype=g.dtype)
