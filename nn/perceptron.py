"""Rosenblatt's perceptron on ``Value``s: step(w·x + b), trained one sample at a time by the rule
w ← w + lr·(target − prediction)·x.

That rule is gradient descent on the perceptron criterion L = (prediction − target)·(w·x + b):
the step has derivative 0, so ∂L/∂w = (prediction − target)·x and w − lr·∂L/∂w is the rule.
``criterion`` builds L as a graph so that a test (and a notebook) can show it.

The guide's calls work as printed: ``Perceptron(input_size=2)``, ``perceptron.train(X, y)``,
``perceptron.predict(sample)``. ``train(X, y)`` learns; ``train(True)`` / ``eval()`` still set
the training mode that every ``Module`` has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd import Value, dot, no_grad
from nn.module import Module

__all__ = ["Perceptron"]


class Perceptron(Module):
    """A single threshold neuron with 0/1 outputs; weights and bias start at 0 as in the seed."""

    def __init__(self, input_size: int, learning_rate: float = 0.1, epochs: int = 10):
        if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < 1:
            raise ValueError(f"Perceptron: input_size must be a positive int, got {input_size!r}")
        if not learning_rate > 0:
            raise ValueError(f"Perceptron: learning_rate must be positive, got {learning_rate}")
        self.weights = [Value(0.0, label=f"w{i}") for i in range(input_size)]
        self.bias = Value(0.0, label="b")
        self.learning_rate = learning_rate
        self.epochs = epochs

    def net_input(self, x: Sequence[float]) -> Value:
        """w·x + b."""
        if len(x) != len(self.weights):
            raise ValueError(f"Perceptron: expected {len(self.weights)} inputs, got {len(x)}")
        return dot(self.weights, x) + self.bias

    def __call__(self, x: Sequence[float]) -> Value:
        return self.net_input(x).step()

    def predict(self, x: Sequence[float]) -> int:
        """1 if w·x + b >= 0 else 0."""
        with no_grad():
            return int(self(x).data)

    def criterion(self, x: Sequence[float], target: float) -> Value:
        """The perceptron criterion (prediction − target)·(w·x + b): 0 when the sample is right,
        else how far it lies on the wrong side of the boundary."""
        z = self.net_input(x)
        return (z.step() - _check_target(target)) * z

    def update(self, x: Sequence[float], target: float) -> float:
        """One step of the perceptron rule; returns the error target − prediction (0 if right)."""
        error = _check_target(target) - self.predict(x)
        if error:
            for w, xi in zip(self.weights, x):
                w.data += self.learning_rate * error * float(xi)
            self.bias.data += self.learning_rate * error
        return error

    def train(self, X: Any = True, y: Sequence[float] | None = None) -> Any:  # type: ignore[override]
        """``train(X, y)``: the guide's training call, the same as ``fit(X, y)``.
        ``train()`` / ``train(True)`` / ``train(False)``: set the training mode, as on any
        module."""
        if y is None and isinstance(X, bool):
            return super().train(X)
        if y is None:
            raise TypeError(
                "Perceptron.train needs the targets too: train(X, y); train(mode) takes a bool"
            )
        return self.fit(X, y)

    def fit(self, X: Sequence[Sequence[float]], y: Sequence[float]) -> list[int]:
        """Train for ``epochs`` passes over the data; returns the number of misclassified
        samples in each epoch, which reaches 0 only if the data are separable."""
        if len(X) != len(y):
            raise ValueError(f"Perceptron.fit: {len(X)} samples but {len(y)} targets")
        mistakes_per_epoch = []
        for _ in range(self.epochs):
            mistakes = sum(self.update(x, target) != 0 for x, target in zip(X, y))
            mistakes_per_epoch.append(mistakes)
        return mistakes_per_epoch

    def accuracy(self, X: Sequence[Sequence[float]], y: Sequence[float]) -> float:
        """The fraction of samples classified correctly."""
        correct = sum(self.predict(x) == _check_target(t) for x, t in zip(X, y))
        return correct / len(y)

    def extra_repr(self) -> str:
        return f"{len(self.weights)}, learning_rate={self.learning_rate}, epochs={self.epochs}"


def _check_target(target: float) -> float:
    if target not in (0, 1):
        raise ValueError(f"Perceptron: targets must be 0 or 1, got {target!r}")
    return float(target)
