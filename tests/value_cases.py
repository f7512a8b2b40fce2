"""The table of scalar ops that the gradcheck and PyTorch-parity tests both iterate over.

Each case is a name, a function of Values (written with the same method names torch uses, so the
same function runs on torch tensors) and the points at which to check it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    f: Callable[..., Any]
    points: tuple[tuple[float, ...], ...]

    def __str__(self) -> str:
        return self.name


UNARY = [
    Case("neg", lambda a: -a, ((-1.5,), (0.0,), (2.0,))),
    Case("exp", lambda a: a.exp(), ((-3.0,), (0.0,), (2.5,), (30.0,))),
    Case("log", lambda a: a.log(), ((1e-3,), (0.5,), (3.0,), (1e4,))),
    Case("sqrt", lambda a: a.sqrt(), ((1e-3,), (0.25,), (9.0,))),
    Case("tanh", lambda a: a.tanh(), ((-2.0,), (0.0,), (0.7,), (5.0,))),
    Case("sigmoid", lambda a: a.sigmoid(), ((-8.0,), (-0.3,), (0.0,), (4.0,))),
    Case("relu", lambda a: a.relu(), ((-1.0,), (0.5,), (3.0,))),
    Case("leaky_relu", lambda a: a.leaky_relu(0.1), ((-2.0,), (0.5,))),
    Case("abs", lambda a: a.abs(), ((-2.0,), (0.75,))),
    Case("sin", lambda a: a.sin(), ((-2.0,), (0.0,), (1.0,))),
    Case("cos", lambda a: a.cos(), ((-2.0,), (0.0,), (1.0,))),
    Case("pow 3", lambda a: a**3, ((-2.0,), (0.0,), (1.5,))),
    Case("pow -2", lambda a: a**-2, ((-2.0,), (0.1,), (1.5,))),
    Case("pow 0.5", lambda a: a**0.5, ((0.01,), (4.0,))),
    Case("pow 0", lambda a: a**0, ((-2.0,), (0.0,), (3.0,))),
    Case("number ** a", lambda a: 2.5**a, ((-1.0,), (0.0,), (2.0,))),
    Case("add number", lambda a: a + 3.0, ((-1.0,), (2.0,))),
    Case("number - a", lambda a: 3.0 - a, ((-1.0,), (2.0,))),
    Case("a - number", lambda a: a - 3.0, ((-1.0,), (2.0,))),
    Case("mul number", lambda a: 3.0 * a, ((-1.0,), (2.0,))),
    Case("div by number", lambda a: a / 1e-3, ((-1.0,), (2.0,))),
    Case("number / a", lambda a: 2.0 / a, ((-0.5,), (1e-2,), (4.0,))),
]

BINARY = [
    Case("add", lambda a, b: a + b, ((1.0, -2.0), (0.0, 0.0))),
    Case("sub", lambda a, b: a - b, ((1.0, -2.0), (3.0, 3.0))),
    Case("mul", lambda a, b: a * b, ((1.5, -2.0), (0.0, 3.0))),
    Case("div", lambda a, b: a / b, ((1.0, -2.0), (3.0, 1e-3), (-2.0, 0.5))),
    Case("pow", lambda a, b: a**b, ((2.0, 3.0), (0.5, -1.5), (3.0, 0.0), (1.5, 2.5))),
    Case("a ** a", lambda a, b: a**a * b, ((1.5, 1.0), (0.7, -2.0))),
    Case("reuse", lambda a, b: (a * b + a) * (b - a).tanh(), ((0.3, -1.2), (2.0, 0.5))),
]
