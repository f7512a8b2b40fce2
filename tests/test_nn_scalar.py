"""Neuron, NeuronLayer, MLP and Module on Values."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from autograd import Value

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0.0, 1.0, 1.0, 0.0]


def test_mlp_has_micrograd_shapes_and_parameter_count() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1
    assert isinstance(model([0.5, -1.0]), Value)
    assert len(nn.MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0])) == 2
    assert len(nn.NeuronLayer(3, 5, seed=0)([1.0, 2.0, 3.0])) == 5


def test_weights_are_uniform_in_minus_one_one_and_biases_zero() -> None:
    neuron = nn.Neuron(1000, seed=1)
    weights = np.array([w.data for w in neuron.w])
    assert weights.min() >= -1.0 and weights.max() < 1.0 and abs(weights.mean()) < 0.1
    assert neuron.b.data == 0.0


def test_same_seed_same_weights_and_generators_are_accepted() -> None:
    def weights(model: nn.Module) -> list[float]:
        return [p.data for p in model.parameters()]

    assert weights(nn.MLP(2, [3, 1], seed=7)) == weights(nn.MLP(2, [3, 1], seed=7))
    assert weights(nn.MLP(2, [3, 1], seed=7)) != weights(nn.MLP(2, [3, 1], seed=8))
    from_generator = nn.MLP(2, [3, 1], seed=np.random.default_rng(7))
    assert weights(from_generator) == weights(nn.MLP(2, [3, 1], seed=7))
    with pytest.raises(TypeError, match="seed must be an int"):
        nn.MLP(2, [3, 1], seed="7")


def test_activations_are_selectable_by_name_or_function() -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    hidden = model.layers[0]([0.3, -0.2])
    assert all(-1 < h.data < 1 and h.op == "tanh" for h in hidden)
    assert model([0.3, -0.2]).op == "sigmoid"
    custom = nn.Neuron(2, activation=lambda z: z * 2.0, seed=0)
    assert custom([1.0, 1.0]).op == "* 2"
    with pytest.raises(ValueError, match="unknown activation 'swishy'; known activations: "):
        nn.Neuron(2, activation="swishy")


def test_wrong_number_of_inputs_is_named() -> None:
    with pytest.raises(ValueError, match="MLP: expected 2 inputs, got 3"):
        nn.MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Neuron: expected 2 inputs, got 1"):
        nn.Neuron(2, seed=0)([1.0])
    with pytest.raises(ValueError, match="layer_sizes must name at least one layer"):
        nn.MLP(2, [])


def test_a_neuron_is_three_nodes_whatever_its_width() -> None:
    neuron = nn.Neuron(50, seed=0)
    out = neuron([1.0] * 50)
    internal = [node for node in autograd.topological_order(out) if node._parents]
    assert [node.op for node in internal] == ["dot", "+", "relu"]


def test_named_parameters_zero_grad_and_modes() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert len(names) == len(set(names)) == 9
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert len(list(model.modules())) == 1 + 2 + 3  # MLP, its layers, their neurons


def test_repr_says_what_the_model_is() -> None:
    assert repr(nn.MLP(2, [16, 16, 1], seed=0)) == (
        "MLP(2 → 16 → 16 → 1, activations=['relu', 'relu', 'linear'], parameters=337)"
    )
    assert repr(nn.NeuronLayer(3, 4, activation="tanh")) == "NeuronLayer(3 → 4, activation='tanh')"


def test_scalar_mlp_learns_xor() -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    for _ in range(300):
        predictions = [model(x) for x in XOR_X]
        loss = autograd.sum([(p - y) ** 2 for p, y in zip(predictions, XOR_Y)]) * 0.25
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    assert loss.data < 0.05
    assert [round(model(x).data) for x in XOR_X] == XOR_Y


def test_modules_find_tensor_parameters_but_not_constant_tensors() -> None:
    class Affine(nn.Module):
        def __init__(self) -> None:
            self.weight = autograd.Tensor(np.ones((2, 3)), requires_grad=True)
            self.bias = autograd.Tensor(np.zeros(3), requires_grad=True)
            self.mask = autograd.Tensor(np.ones(3))  # a constant, not a parameter

    model = Affine()
    assert [name for name, _ in model.named_parameters()] == ["weight", "bias"]
    model.weight.grad = np.ones((2, 3), dtype=np.float32)
    model.zero_grad()
    assert model.weight.grad is None
