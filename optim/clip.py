"""Gradient clipping, by the total norm and by value, on ``Value`` and ``Tensor`` parameters."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor, Value

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


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
