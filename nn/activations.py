"""Activation functions, written once for both engines: a scalar ``Value`` and a numpy ``Tensor``.

Every function is built from the methods and operators (+ − * / **) that ``Value`` and
``Tensor`` both have, listed in ``SHARED_PRIMITIVES``; its gradient comes from the graph it
builds, so swish draws as x · σ(βx), several nodes, which teaches. Nothing here compares or
branches on data (a Value comparison is a bool, a Tensor one a mask): elu and prelu take the
negative part of x as x − relu(x) instead.

Three activations need a primitive with its own derivative, in ``autograd`` (value.py for
Value, tensor_ops.py for Tensor); this is the list of that duplication:

- ``softplus``: the composite log(1 + e^x) is inf at x = 800 and its gradient nan;
- ``gelu``: the normal CDF needs ``erf``, which no composite of the other ops gives;
- ``softmax``: stable only when shifted by the largest input, a comparison; a Tensor has
  ``Tensor.softmax(axis)``, a list of Values the n-ary ``autograd.value.softmax(values)``.

Names and ``get`` follow Keras (``keras.activations``); ``prelu`` needs a learned slope, so it
has no string name (``nn.layers.PReLU`` owns that slope and calls ``prelu``).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any, TypeVar

from autograd import Tensor, Value
from autograd.value import softmax as _softmax_of_values

__all__ = [
    "ACTIVATIONS",
    "SELU_ALPHA",
    "SELU_SCALE",
    "SHARED_PRIMITIVES",
    "elu",
    "gelu",
    "get",
    "get_activation",
    "leaky_relu",
    "linear",
    "prelu",
    "relu",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "step",
    "swish",
    "tanh",
]

# The methods with their own derivative that Value and Tensor share under the same name (the
# operators + − * / ** and unary − too); a test checks each exists on both and that they agree.
SHARED_PRIMITIVES: tuple[str, ...] = (
    "abs",
    "cos",
    "erf",
    "exp",
    "leaky_relu",
    "log",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "tanh",
)

Node = TypeVar("Node", Value, Tensor)

# SELU's constants (Klambauer et al. 2017), as in PyTorch and Keras.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT_HALF = math.sqrt(0.5)
_SQRT_TWO_OVER_PI = math.sqrt(2.0 / math.pi)


def linear(x: Node) -> Node:
    """The identity: a layer with no non-linearity."""
    return x


def step(x: Node) -> Node:
    """1 if x >= 0 else 0: the perceptron's threshold; its gradient is 0 everywhere."""
    return x.step()


def sigmoid(x: Node) -> Node:
    """1 / (1 + e^-x), squashing to (0, 1); the primitive uses e^-|x| only, so never overflows."""
    return x.sigmoid()


def tanh(x: Node) -> Node:
    """(e^x - e^-x) / (e^x + e^-x), squashing to (-1, 1) and centred on 0."""
    return x.tanh()


def relu(x: Node) -> Node:
    """max(0, x); derivative 0 at 0, and nan stays nan (as PyTorch)."""
    return x.relu()


def leaky_relu(x: Node, alpha: float = 0.01) -> Node:
    """x for x > 0, alpha * x otherwise, so that a neuron never stops learning entirely.

    alpha defaults to PyTorch's 0.01 (Keras's function uses 0.2, its layer 0.3).
    """
    return x.leaky_relu(alpha)


def prelu(x: Node, alpha: Any) -> Node:
    """leaky_relu whose slope ``alpha`` is learned: relu(x) + alpha · min(x, 0).

    ``alpha`` is a Tensor broadcast against x (one slope per channel or per unit), a Value, or
    a number; its gradient is min(x, 0). The slope at x = 0 is alpha, as in PyTorch.
    """
    positive = x.relu()
    return positive + alpha * (x - positive)  # x - relu(x) = min(x, 0), slope 1 at 0


def swish(x: Node, beta: Any = 1.0) -> Node:
    """x · σ(βx) (Ramachandran et al. 2017): smooth, unbounded above, with a small dip below 0.

    beta = 1 is ``silu``; ``beta`` may be a number or a learned Value / Tensor.
    """
    scaled = x if _is_number(beta, 1.0) else x * beta
    return x * scaled.sigmoid()


def silu(x: Node) -> Node:
    """x · σ(x): swish with beta 1 (PyTorch's and Keras's name for the same function)."""
    return swish(x)


def softmax(x: Any, axis: int = -1) -> Any:
    """e^x / Σ e^x along ``axis``: non-negative numbers that sum to 1, shifted so no exp overflows.

    A Tensor is normalised along ``axis`` (Keras's default, the last); a list of Values is one
    vector and gives a list of Values, through the n-ary primitive ``autograd.value.softmax``.
    """
    if isinstance(x, Tensor):
        return x.softmax(axis)
    if isinstance(x, Value):
        raise TypeError(
            f"softmax: got a single Value ({x.data:g}); pass the list of Values to normalise "
            "together (a softmax of one number is always 1)"
        )
    if axis not in (0, -1):
        raise ValueError(f"softmax: a list of Values has one axis (0 or -1), got axis={axis}")
    return _softmax_of_values(x)


def gelu(x: Node, approximate: bool | str = False) -> Node:
    """x · Φ(x), Φ the standard normal CDF: exactly x · (1 + erf(x/√2)) / 2, or with
    ``approximate=True`` (PyTorch's ``"tanh"``) x · (1 + tanh(√(2/π)(x + 0.044715x³))) / 2.

    ``approximate`` is Keras's bool or PyTorch's string, ``"none"`` or ``"tanh"``. The exact form
    needs the primitive ``erf``; the approximation is a composite of tanh.
    """
    if _gelu_is_approximate(approximate):
        inner = (x + x * x * x * 0.044715) * _SQRT_TWO_OVER_PI
        return x * 0.5 * (inner.tanh() + 1.0)
    return x * 0.5 * ((x * _SQRT_HALF).erf() + 1.0)


def elu(x: Node, alpha: float = 1.0) -> Node:
    """x for x > 0, alpha · (e^x − 1) otherwise (Clevert et al. 2015), without a branch:
    relu(x) + alpha · (e^min(x, 0) − 1). exp never sees a positive number, so never overflows.
    """
    positive = x.relu()
    return positive + alpha * ((x - positive).exp() - 1.0)


def selu(x: Node) -> Node:
    """SELU_SCALE · elu(x, SELU_ALPHA): keeps activations near mean 0, variance 1 in deep
    stacks of Dense layers initialised with lecun_normal (Klambauer et al. 2017)."""
    return elu(x, SELU_ALPHA) * SELU_SCALE


def softplus(x: Node) -> Node:
    """log(1 + e^x), a smooth relu; the stability primitive of both engines (see the module
    docstring), finite with a finite gradient for any x."""
    return x.softplus()


def softsign(x: Node) -> Node:
    """x / (1 + |x|), squashing to (-1, 1) like tanh but with polynomial tails."""
    return x / (x.abs() + 1.0)


def _is_number(value: Any, number: float) -> bool:
    """True if ``value`` is a plain number equal to ``number`` (a Value or Tensor never is)."""
    return isinstance(value, (int, float)) and value == number


def _gelu_is_approximate(approximate: bool | str) -> bool:
    """Keras's bool or PyTorch's "none" / "tanh" as a bool; anything else is an error."""
    if approximate is True or approximate == "tanh":
        return True
    if approximate is False or approximate == "none":
        return False
    raise ValueError(
        f"gelu: approximate must be False or 'none' (exact), True or 'tanh', got {approximate!r}"
    )


ACTIVATIONS: dict[str, Callable[..., Any]] = {
    "linear": linear,
    "step": step,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "swish": swish,
    "silu": silu,
    "softmax": softmax,
    "gelu": gelu,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
}


def get(identifier: str | Callable[..., Any] | None) -> Callable[..., Any]:
    """The activation named ``identifier`` (Keras's names); ``None`` means linear, and a callable
    is returned as it is."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(
            "activation must be a name, a callable or None, got "
            f"{type(identifier).__name__} {identifier!r}"
        )
    if identifier not in ACTIVATIONS:
        raise ValueError(_unknown_name_message(identifier))
    return ACTIVATIONS[identifier]


get_activation = get


def _unknown_name_message(name: str) -> str:
    message = f"unknown activation {name!r}; known activations: {', '.join(sorted(ACTIVATIONS))}"
    if name.lower() == "prelu":
        return message + " (prelu learns its slope: use the PReLU layer, or call prelu(x, alpha))"
    close = difflib.get_close_matches(name.lower(), ACTIVATIONS, n=1)
    return message + (f" (did you mean {close[0]!r}?)" if close else "")
