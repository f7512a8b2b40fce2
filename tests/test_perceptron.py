"""The classic perceptron: the seed's rule, its equivalence to gradient descent, AND/OR/XOR."""

from __future__ import annotations

import numpy as np
import pytest

import nn

X = [[0, 0], [0, 1], [1, 0], [1, 1]]
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}


def seed_perceptron_weights(X, y, learning_rate=0.1, epochs=10) -> np.ndarray:
    """The study guide's numpy perceptron (section 2), bias first."""
    weights = np.zeros(len(X[0]) + 1)
    for _ in range(epochs):
        for xi, target in zip(X, y):
            xi = np.insert(np.asarray(xi, dtype=float), 0, 1)
            prediction = 1 if np.dot(weights, xi) >= 0 else 0
            weights += learning_rate * (target - prediction) * xi
    return weights


@pytest.mark.parametrize("gate", ["AND", "OR"])
def test_learns_linearly_separable_gates_perfectly(gate: str) -> None:
    perceptron = nn.Perceptron(2)
    mistakes = perceptron.fit(X, GATES[gate])
    assert mistakes[-1] == 0
    assert perceptron.accuracy(X, GATES[gate]) == 1.0
    assert [perceptron.predict(x) for x in X] == GATES[gate]


@pytest.mark.parametrize("gate", ["AND", "OR", "XOR"])
def test_ends_with_the_same_weights_as_the_seeds_numpy_perceptron(gate: str) -> None:
    perceptron = nn.Perceptron(2)
    perceptron.fit(X, GATES[gate])
    ours = [perceptron.bias.data] + [w.data for w in perceptron.weights]
    np.testing.assert_allclose(ours, seed_perceptron_weights(X, GATES[gate]), atol=1e-12)


def test_cannot_learn_xor_however_long_it_trains() -> None:
    perceptron = nn.Perceptron(2, epochs=200)
    mistakes = perceptron.fit(X, GATES["XOR"])
    assert min(mistakes) > 0  # not one epoch without a mistake
    assert perceptron.accuracy(X, GATES["XOR"]) <= 0.75  # no line separates XOR


@pytest.mark.parametrize("seed", range(5))
def test_rule_equals_one_gradient_step_on_the_perceptron_criterion(seed: int) -> None:
    rng = np.random.default_rng(seed)
    perceptron = nn.Perceptron(3, learning_rate=0.25)
    for p in perceptron.parameters():
        p.data = float(rng.normal())
    for _ in range(10):
        x, target = rng.normal(size=3).tolist(), int(rng.integers(0, 2))
        perceptron.zero_grad()
        perceptron.criterion(x, target).backward()
        gradient_step = [p.data - 0.25 * p.grad for p in perceptron.parameters()]
        perceptron.update(x, target)
        assert [p.data for p in perceptron.parameters()] == pytest.approx(gradient_step, abs=1e-12)


def test_criterion_is_zero_when_right_and_positive_when_wrong() -> None:
    perceptron = nn.Perceptron(1)
    perceptron.weights[0].data = 2.0
    assert perceptron.criterion([1.0], 1).data == 0.0
    assert perceptron.criterion([1.0], 0).data == 2.0  # 2 on the wrong side
    assert perceptron.criterion([-1.5], 1).data == 3.0


def test_bad_targets_and_shapes_are_named() -> None:
    perceptron = nn.Perceptron(2)
    with pytest.raises(ValueError, match="targets must be 0 or 1, got -1"):
        perceptron.update([0, 1], -1)
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        perceptron.predict([0, 1, 1])
    with pytest.raises(ValueError, match="4 samples but 3 targets"):
        perceptron.fit(X, [0, 1, 1])
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        nn.Perceptron(2, learning_rate=0)


def test_the_guides_example_runs_as_printed(capsys) -> None:
    """E1: ``Perceptron(input_size=2)``, ``train(X, y)``, ``predict(sample)`` on AND."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 0, 0, 1])
    perceptron = nn.Perceptron(input_size=2)
    perceptron.train(X, y)
    for sample in X:
        print(f"Input: {sample} -> Output: {perceptron.predict(sample)}")
    assert capsys.readouterr().out.splitlines() == [
        "Input: [0 0] -> Output: 0",
        "Input: [0 1] -> Output: 0",
        "Input: [1 0] -> Output: 0",
        "Input: [1 1] -> Output: 1",
    ]


def test_train_with_a_bool_still_sets_the_mode_and_without_targets_is_an_error() -> None:
    perceptron = nn.Perceptron(input_size=2)
    perceptron.train(False)
    assert perceptron.training is False
    perceptron.eval().train()
    assert perceptron.training is True
    with pytest.raises(TypeError, match=r"train\(X, y\)"):
        perceptron.train(np.zeros((4, 2)))
