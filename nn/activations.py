"""Activation functions, written once: each calls the node's own method, so the same function
works on a ``Value`` and (through the same method names) on a ``Tensor``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "ACTIVATIONS",
    "get_activation",
    "leaky_relu",
    "linear",
    "relu",
    "sigmoid",
    "step",
    "tanh",
]

Node = TypeVar("Node")


def linear(x: Node) -> Node:
    """The identity: a layer with no non-linearity."""
    return x


def step(x: Any) -> Any:
    """1 if x >= 0 else 0: the perceptron's threshold; its gradient is 0 everywhere."""
    return x.step()


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), squashing to (0, 1); stable for any input."""
    return x.sigmoid()


def tanh(x: Any) -> Any:
    """(e^x - e^-x) / (e^x + e^-x), squashing to (-1, 1) and centred on 0."""
    return x.tanh()


def relu(x: Any) -> Any:
    """max(0, x); derivative 0 at 0."""
    return x.relu()


def leaky_relu(x: Any, alpha: float = 0.01) -> Any:
    """x for x > 0, alpha * x otherwise, so that a neuron never stops learning entirely."""
    return x.leaky_relu(alpha)


ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "linear": linear,
    "step": step,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
}


def get_activation(activation: str | Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """The activation named ``activation`` (``None`` means linear); a callable is returned as is."""
    if activation is None:
        return linear
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {activation!r}; known activations: {known}")
    return ACTIVATIONS[activation]
