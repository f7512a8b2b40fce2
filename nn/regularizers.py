"""Weight penalties added to the loss: Keras's ``L1``, ``L2`` and ``L1L2``.

``reg(weight)`` is Keras's penalty l1·Σ|w| + l2·Σw² (no ½), built from graph operations, so a
Tensor weight gives a 0-d Tensor whose gradient l1·sign(w) + 2·l2·w flows back to the weight
(a Value, or a list of Values such as a scalar MLP's parameters, gives a Value). A term whose
factor is 0 is left out, as Keras leaves it out.

How ``l2(λ)`` relates to an optimizer's ``weight_decay``: the penalty adds d/dw λΣw² = 2λw to
the gradient, and SGD's (coupled, PyTorch-style) ``weight_decay=wd`` adds wd·w to it, so
``l2(λ)`` under SGD is the same update as ``weight_decay=2λ`` (the same holds for Adam's coupled
``weight_decay``: the extra gradient is then rescaled by Adam's per-weight step size). AdamW's
decoupled decay is different: it shrinks the weights directly, w ← w·(1 − lr·wd), outside the
gradient and Adam's rescaling, so no L2 penalty reproduces it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value
from autograd import sum as sum_values

__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2"]

Weight = Tensor | Value | Sequence[Value]


class Regularizer:
    """Base class: ``reg(weight)`` returns a penalty to add to the loss (here, none)."""

    def __call__(self, weight: Weight) -> Tensor | Value:
        return _zero(weight)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, so that ``type(reg)(**reg.get_config())`` rebuilds it."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class L1L2(Regularizer):
    """l1·Σ|w| + l2·Σw²: L1 drives weights to exactly 0 (Lasso), L2 shrinks them all (Ridge)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor(type(self).__name__, "l1", l1)
        self.l2 = _factor(type(self).__name__, "l2", l2)

    def __call__(self, weight: Weight) -> Tensor | Value:
        terms = []
        if self.l1:
            terms.append(self.l1 * _total(weight, lambda w: w.abs()))
        if self.l2:
            terms.append(self.l2 * _total(weight, lambda w: w * w))
        if not terms:
            return _zero(weight)
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1·Σ|w| (Lasso): its gradient l1·sign(w) pushes every weight towards 0 at the same speed."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(L1L2):
    """l2·Σw² (Ridge, weight decay): its gradient 2·l2·w shrinks each weight in proportion."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


# Keras's lowercase names are the classes themselves: ``kernel_regularizer=l2(0.01)``.
l1, l2, l1_l2 = L1, L2, L1L2

_NAMES: dict[str, type[Regularizer]] = {
    "L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2,
}  # fmt: skip


def get(identifier: Any) -> Regularizer | None:
    """A regularizer from a name (``"l2"``, made with its defaults), a class, an instance or
    callable (returned as is), a Keras config dict, or None (returned as is: no penalty)."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        return _class_named(identifier)()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return _class_named(identifier["class_name"]).from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    raise ValueError(
        f"Could not interpret regularizer identifier {identifier!r}: expected a name, a "
        "Regularizer class or instance, a callable, a config dict or None"
    )


def _class_named(name: str) -> type[Regularizer]:
    if name not in _NAMES:
        raise ValueError(f"Unknown regularizer {name!r}; known names: {', '.join(sorted(_NAMES))}")
    return _NAMES[name]


def _factor(name: str, argument: str, value: Any) -> float:
    """A penalty factor: a finite non-negative number (None means 0, as in Keras)."""
    if value is None:
        return 0.0
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"{name}: {argument} must be a non-negative finite number, got {argument}={value!r}"
        )
    return float(value)


def _total(weight: Weight, term: Any) -> Tensor | Value:
    """Σ term(w) over a Tensor's entries (a 0-d Tensor) or over Values (one Value node)."""
    if isinstance(weight, Tensor):
        return term(weight).sum()
    return sum_values(term(value) for value in _values(weight))


def _zero(weight: Weight) -> Tensor | Value:
    """A zero penalty of the kind the weight asks for (a constant: it has no gradient)."""
    if isinstance(weight, Tensor):
        return Tensor(np.zeros(()), dtype=weight.dtype)
    _values(weight)
    return Value(0.0)


def _values(weight: Any) -> list[Value]:
    values = [weight] if isinstance(weight, Value) else weight
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, Value) for v in values):
        raise TypeError(
            "a regularizer takes a Tensor, a Value or a list of Values, got "
            f"{type(weight).__name__}"
        )
    return list(values)
