"""Dense (Keras) and Linear (PyTorch): lazy and eager builds, PyTorch parity, gradients, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from nn import regularizers
from nn.layers import Dense, Linear

RNG = np.random.default_rng(0)


def test_dense_builds_lazily_on_the_first_call() -> None:
    layer = Dense(4)
    assert not layer.built and layer.parameters() == []
    out = layer(np.ones((5, 3)))
    assert layer.built and layer.kernel.shape == (3, 4) and layer.bias.shape == (4,)
    assert out.shape == (5, 4)
    assert layer.input_shape == (None, 3)


def test_dense_builds_at_construction_when_input_shape_is_given() -> None:
    layer = Dense(32, input_shape=(10,))
    assert layer.built and layer.kernel.shape == (10, 32)
    assert layer.count_params() == 10 * 32 + 32


def test_dense_without_bias_has_only_a_kernel() -> None:
    layer = Dense(3, use_bias=False, input_shape=(2,))
    assert [name for name, _ in layer.named_parameters()] == ["kernel"]


def test_dense_applies_its_activation_by_keras_name() -> None:
    layer = Dense(3, activation="relu", input_shape=(2,))
    layer.kernel.data[...] = [[1, -1, 0], [0, 0, -1]]
    out = layer(np.array([[2.0, 3.0]]))
    np.testing.assert_array_equal(out.data, [[2.0, 0.0, 0.0]])


def test_dense_kernel_is_glorot_uniform_by_default() -> None:
    layer = Dense(200, input_shape=(300,))
    limit = math.sqrt(6 / (300 + 200))
    assert np.abs(layer.kernel.data).max() <= limit
    assert np.abs(layer.kernel.data).max() > 0.95 * limit
    np.testing.assert_allclose(layer.kernel.data.std(), limit / math.sqrt(3), rtol=0.02)
    assert not layer.bias.data.any()


def test_dense_matches_torch_linear_with_the_kernel_transposed() -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((6, 4))
    layer = Dense(3, activation="tanh", input_shape=(4,), dtype="float64")
    reference = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(layer.kernel.data.T))
        reference.bias.copy_(torch.tensor(RNG.standard_normal(3)))
    layer.bias.data[...] = reference.bias.detach().numpy()
    x_ours = Tensor(x, dtype="float64", requires_grad=True)
    x_torch = torch.tensor(x, requires_grad=True)
    upstream = RNG.standard_normal((6, 3))
    out = layer(x_ours)
    expected = torch.tanh(reference(x_torch))
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x_ours.grad, x_torch.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.kernel.grad, reference.weight.grad.numpy().T, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, reference.bias.grad.numpy(), atol=1e-12)


def test_linear_matches_torch_linear_including_its_default_initialization_bounds() -> None:
    torch = pytest.importorskip("torch")
    layer = Linear(300, 200, dtype="float64")
    bound = 1 / math.sqrt(300)
    assert layer.weight.shape == (200, 300)
    assert np.abs(layer.weight.data).max() <= bound
    np.testing.assert_allclose(layer.weight.data.std(), bound / math.sqrt(3), rtol=0.02)
    reference = torch.nn.Linear(300, 200).double()
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(layer.weight.data))
        reference.bias.copy_(torch.tensor(layer.bias.data))
    x = RNG.standard_normal((5, 300))
    np.testing.assert_allclose(
        layer(Tensor(x, dtype="float64")).data,
        reference(torch.tensor(x)).detach().numpy(),
        atol=1e-12,
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: Dense(3, activation="sigmoid", dtype="float64"),
        lambda: Linear(4, 3, dtype="float64"),
    ],
)
def test_layer_gradients_agree_with_finite_differences(make) -> None:
    layer = make()
    layer.build_for((None, 4))
    assert all(weight.dtype == np.float64 for weight in layer.parameters())
    x = Tensor(RNG.standard_normal((5, 4)), dtype="float64", requires_grad=True)
    assert gradcheck(lambda x, *weights: layer(x), [x, *layer.parameters()])


def test_dense_names_the_feature_count_that_does_not_fit() -> None:
    layer = Dense(4, input_shape=(30,))
    message = r"expected 30 input features, got 31 \(input shape \(455, 31\)\)"
    with pytest.raises(ValueError, match=message):
        layer(np.zeros((455, 31)))


@pytest.mark.parametrize("units", [0, -3, 2.5, True, "8"])
def test_dense_units_must_be_a_positive_int(units) -> None:
    with pytest.raises(ValueError, match="units must be a positive int"):
        Dense(units)


def test_dense_input_shape_must_be_a_tuple_of_sizes() -> None:
    with pytest.raises(TypeError, match="input_shape must be a tuple of sizes"):
        Dense(3, input_shape=10)


def test_unknown_activation_and_initializer_names_are_errors() -> None:
    with pytest.raises(ValueError, match="relux"):
        Dense(3, activation="relux")
    with pytest.raises(ValueError, match="glorot_uniformm"):
        Dense(3, kernel_initializer="glorot_uniformm")


def test_kernel_and_bias_regularizers_add_penalties_with_keras_definition() -> None:
    layer = Dense(
        2,
        input_shape=(3,),
        kernel_regularizer=regularizers.l1(0.1),
        bias_regularizer=regularizers.l2(0.2),
        bias_initializer="ones",
    )
    expected = 0.1 * np.abs(layer.kernel.data).sum() + 0.2 * np.sum(layer.bias.data**2)
    np.testing.assert_allclose(float(layer.regularization_loss().data), expected, rtol=1e-6)


def test_layers_get_keras_style_unique_names() -> None:
    first, second = Dense(1), Dense(1)
    assert first.name.startswith("dense") and second.name != first.name
    assert Dense(1, name="output").name == "output"


def test_setting_trainable_after_the_build_freezes_and_thaws_the_weights() -> None:
    from nn.models import Sequential

    model = Sequential([Dense(4, input_shape=(2,)), Dense(1)])
    first = model.layers[0]
    first.trainable = False
    assert [name for name, _ in model.named_parameters()] == ["layers.1.kernel", "layers.1.bias"]
    assert "layers.0.kernel" in model.state_dict()  # frozen weights are still saved
    model.compile(optimizer="sgd", loss="mse")
    before = first.kernel.data.copy()
    x = np.random.default_rng(0).standard_normal((16, 2))
    model.fit(x, x.sum(axis=1), epochs=2, verbose=0)
    np.testing.assert_array_equal(first.kernel.data, before)
    model.trainable = True
    assert len(model.parameters()) == 4 and first.trainable


def test_a_frozen_batch_normalization_keeps_its_moving_statistics_frozen_when_thawed() -> None:
    from nn.layers import BatchNormalization

    layer = BatchNormalization(input_shape=(3,))
    layer.trainable = False
    layer.trainable = True
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert [name for name, _ in layer.named_buffers()] == ["moving_mean", "moving_variance"]
