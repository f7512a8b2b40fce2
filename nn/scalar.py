"""A multilayer perceptron on scalar ``Value``s, micrograd's shapes: small enough to draw.

These run on the scalar engine, one ``Value`` per weight, and take one sample at a time (a
list of numbers). The Keras-style layers in ``nn.layers`` (``Dense``, ...) run on the numpy
``Tensor`` engine and take batches; ``NeuronLayer`` is named so that neither is mistaken for the
other (``nn.layers.Layer`` is Keras's base class).

A neuron computes f(Σ wᵢxᵢ + b) with one ``dot`` node for the weighted sum, so its graph has
three nodes (dot, + b, activation) however many inputs it has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, dot
from nn.activations import get_activation
from nn.module import Module
from nn.random import SeedLike, make_rng

__all__ = ["MLP", "Neuron", "NeuronLayer"]

Activation = str | Callable[[Any], Any] | None


def _activation_name(activation: Activation) -> str:
    if activation is None:
        return "linear"
    return activation if isinstance(activation, str) else getattr(activation, "__name__", "custom")


def _check_inputs(owner: str, expected: int, x: Sequence[Any]) -> None:
    """One sample of ``expected`` numbers; a batch (a list of samples) is named as such."""
    try:
        count = len(x)
    except TypeError:
        raise TypeError(
            f"{owner}: expected one sample as a list of {expected} numbers, got "
            f"{type(x).__name__}"
        ) from None
    first = x[0] if count else None
    if count and not isinstance(first, (int, float, Value)) and hasattr(first, "__len__"):
        raise ValueError(
            f"{owner}: got a batch of {count} samples of {len(first)} inputs; the scalar "
            f"{owner} takes one sample (a list of {expected} numbers) at a time — loop over "
            "the samples, or use nn.models.Sequential of Dense layers for batches"
        )
    if count != expected:
        raise ValueError(f"{owner}: expected {expected} inputs, got {count}")


class Neuron(Module):
    """f(w·x + b): weights drawn uniformly from [-1, 1) as in micrograd, bias 0."""

    def __init__(self, n_inputs: int, activation: Activation = "relu", seed: SeedLike = None):
        if n_inputs < 1:
            raise ValueError(f"Neuron: n_inputs must be at least 1, got {n_inputs}")
        rng = make_rng(seed)
        self.w = [
            Value(float(w), label=f"w{i}") for i, w in enumerate(rng.uniform(-1.0, 1.0, n_inputs))
        ]
        self.b = Value(0.0, label="b")
        self.activation = _activation_name(activation)
        self._activate = get_activation(activation)

    def __call__(self, x: Sequence[Any]) -> Value:
        _check_inputs("Neuron", len(self.w), x)
        return self.forward(x)

    def forward(self, x: Sequence[Any]) -> Value:
        """f(w·x + b) of a sample already checked (a layer checks its input once for all its
        neurons: checking it again in each is a tenth of a training step)."""
        return self._activate(dot(self.w, x) + self.b)

    def extra_repr(self) -> str:
        return f"{len(self.w)}, activation={self.activation!r}"


class NeuronLayer(Module):
    """``n_outputs`` neurons reading the same inputs; returns one Value when ``n_outputs`` is 1."""

    def __init__(
        self, n_inputs: int, n_outputs: int, activation: Activation = "relu", seed: SeedLike = None
    ):
        if n_outputs < 1:
            raise ValueError(f"NeuronLayer: n_outputs must be at least 1, got {n_outputs}")
        rng = make_rng(seed)
        self.neurons = [Neuron(n_inputs, activation, rng) for _ in range(n_outputs)]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        _check_inputs("NeuronLayer", len(self.neurons[0].w), x)
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def forward(self, x: Sequence[Any]) -> list[Value]:
        """Every neuron's output for a sample already checked, as a list."""
        return [neuron.forward(x) for neuron in self.neurons]

    def extra_repr(self) -> str:
        first = self.neurons[0]
        return f"{len(first.w)} → {len(self.neurons)}, activation={first.activation!r}"


class MLP(Module):
    """Layers of neurons: ``MLP(2, [16, 16, 1])`` maps 2 inputs through two hidden layers of 16
    to one output. Hidden layers use ``activation``, the last ``output_activation``."""

    def __init__(
        self,
        n_inputs: int,
        layer_sizes: Sequence[int],
        activation: Activation = "relu",
        output_activation: Activation = "linear",
        seed: SeedLike = None,
    ):
        if isinstance(layer_sizes, (int, float)) or not isinstance(layer_sizes, Sequence):
            raise TypeError(
                f"MLP: layer sizes must be a list, such as MLP({n_inputs}, [{layer_sizes!r}]) "
                f"for one layer of {layer_sizes!r} neurons; got {type(layer_sizes).__name__}"
            )
        if not layer_sizes:
            raise ValueError("MLP: layer_sizes must name at least one layer")
        rng = make_rng(seed)
        sizes = [n_inputs, *layer_sizes]
        last = len(layer_sizes) - 1
        self.layers = [
            NeuronLayer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng)
            for i in range(len(layer_sizes))
        ]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        _check_inputs("MLP", len(self.layers[0].neurons[0].w), x)
        out: Any = x
        for layer in self.layers:  # each layer's output has the next one's input size
            out = layer.forward(out)
        return out[0] if len(out) == 1 else out

    def extra_repr(self) -> str:
        sizes = [len(self.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in self.layers]
        activations = [layer.neurons[0].activation for layer in self.layers]
        return (
            f"{' → '.join(map(str, sizes))}, activations={activations}, "
            f"parameters={len(self.parameters())}"
        )
