"""Dropout, BatchNormalization and the activation layers (Activation, ReLU, LeakyReLU, PReLU,
Softmax): Keras's behaviour, PyTorch parity in float64, finite-difference gradients, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from nn import activations
from nn.layers.activation import Activation, LeakyReLU, PReLU, ReLU, Softmax
from nn.layers.normalization import BatchNormalization
from nn.layers.regularization import Dropout
from nn.random import set_random_seed

RNG = np.random.default_rng(0)


def float64_input(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape), dtype="float64", requires_grad=True)


# ----- Dropout -----


def test_dropout_zeroes_about_rate_and_scales_the_rest_by_one_over_keep() -> None:
    x = Tensor(np.full((200, 100), 2.0), requires_grad=True)
    out = Dropout(0.3, seed=0)(x)
    dropped = out.data == 0
    assert abs(dropped.mean() - 0.3) < 0.02
    np.testing.assert_allclose(out.data[~dropped], 2.0 / 0.7, rtol=1e-6)
    out.backward(np.ones(out.shape, np.float32))
    np.testing.assert_allclose(x.grad, np.where(dropped, 0.0, 1 / 0.7), rtol=1e-6)


def test_dropout_draws_a_fresh_mask_at_every_call_even_when_seeded() -> None:
    layer = Dropout(0.5, seed=1)
    x = np.ones((10, 10))
    masks = [layer(x).data != 0 for _ in range(3)]
    assert not np.array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[1], masks[2])


def test_dropout_with_the_same_seed_repeats_the_same_sequence_of_masks() -> None:
    first, second = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    x = np.ones((8, 8))
    for _ in range(3):
        np.testing.assert_array_equal(first(x).data, second(x).data)


def test_dropout_without_a_seed_follows_the_global_seed() -> None:
    x = np.ones((8, 8))
    set_random_seed(3)
    before = [Dropout(0.5)(x).data for _ in range(2)]
    set_random_seed(3)
    after = [Dropout(0.5)(x).data for _ in range(2)]
    np.testing.assert_array_equal(before, after)
    assert not np.array_equal(before[0], before[1])


def test_dropout_is_the_identity_in_evaluation() -> None:
    layer = Dropout(0.9)
    layer.eval()
    x = Tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    out = layer(x)
    np.testing.assert_array_equal(out.data, x.data)
    out.backward(np.ones((4, 5), np.float32))
    np.testing.assert_array_equal(x.grad, np.ones((4, 5)))
    layer.train()
    assert (layer(x).data == 0).any()


def test_dropout_with_rate_zero_is_the_identity() -> None:
    x = RNG.standard_normal((3, 4))
    np.testing.assert_array_equal(Dropout(0)(x).data, x.astype(np.float32))


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan"), "0.5"])
def test_dropout_rejects_a_rate_outside_zero_to_one(rate: Any) -> None:
    with pytest.raises(ValueError, match=r"Dropout: rate .* must be in \[0, 1\), got"):
        Dropout(rate)


def test_dropout_noise_shape_shares_the_mask_along_axes_of_size_one() -> None:
    out = Dropout(0.5, noise_shape=(None, 1, 1, None), seed=2)(np.ones((4, 3, 3, 6))).data
    per_channel = out[:, :1, :1, :]
    np.testing.assert_array_equal(out, np.broadcast_to(per_channel, out.shape))
    assert set(np.unique(out)) == {0.0, 2.0}


def test_dropout_rejects_a_noise_shape_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match=r"noise_shape \(None, 2\) does not fit .* \(4, 3\)"):
        Dropout(0.5, noise_shape=(None, 2), name="drop")(np.ones((4, 3)))


def test_dropout_gradient_matches_finite_differences() -> None:
    # A layer with a fixed seed per evaluation: the same mask for every finite difference.
    result = gradcheck(lambda x: Dropout(0.4, seed=5, dtype="float64")(x), [float64_input(5, 6)])
    assert result, str(result)


# ----- BatchNormalization -----


def torch_batch_norm(features: int, dims: int, momentum: float, layer: BatchNormalization) -> Any:
    """torch's BatchNorm1d/2d with the layer's gamma and beta and Keras's momentum converted."""
    torch = pytest.importorskip("torch")
    module_class = torch.nn.BatchNorm1d if dims == 2 else torch.nn.BatchNorm2d
    module = module_class(features, eps=layer.epsilon, momentum=1 - momentum).double()
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.gamma.data))
        module.bias.copy_(torch.tensor(layer.beta.data))
    return module


def random_gamma_beta(layer: BatchNormalization) -> None:
    layer.gamma.data[...] = RNG.uniform(0.5, 2.0, layer.gamma.shape)
    layer.beta.data[...] = RNG.standard_normal(layer.beta.shape)


def test_batch_norm_after_dense_matches_torch_in_training() -> None:
    torch = pytest.importorskip("torch")
    x = float64_input(16, 5)
    layer = BatchNormalization(dtype="float64")
    layer.build_for(x.shape)
    random_gamma_beta(layer)
    out = layer(x)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()

    module = torch_batch_norm(5, 2, 0.99, layer)
    torch_x = torch.tensor(x.data, requires_grad=True)
    torch_out = module(torch_x)
    (torch_out * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, torch_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.gamma.grad, module.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.beta.grad, module.bias.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_batch_norm_after_conv2d_normalizes_each_channel_as_torch(data_format: str) -> None:
    torch = pytest.importorskip("torch")
    x_nchw = RNG.standard_normal((4, 3, 5, 6)) * 3 + 1
    last = data_format == "channels_last"
    x = Tensor(x_nchw.transpose(0, 2, 3, 1) if last else x_nchw, dtype="float64",
               requires_grad=True)
    layer = BatchNormalization(axis=-1 if last else 1, dtype="float64")
    layer.build_for(x.shape)
    random_gamma_beta(layer)
    out = layer(x)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()

    module = torch_batch_norm(3, 4, 0.99, layer)
    torch_x = torch.tensor(x_nchw, requires_grad=True)
    torch_out = module(torch_x)
    torch_upstream = upstream.transpose(0, 3, 1, 2) if last else upstream
    (torch_out * torch.tensor(torch_upstream)).sum().backward()
    expected_out, expected_grad = torch_out.detach().numpy(), torch_x.grad.numpy()
    if last:
        expected_out = expected_out.transpose(0, 2, 3, 1)
        expected_grad = expected_grad.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(out.data, expected_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.gamma.grad, module.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.beta.grad, module.bias.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.moving_mean.data, module.running_mean.numpy(), rtol=1e-12)


def test_batch_norm_moving_statistics_follow_keras_after_several_steps() -> None:
    torch = pytest.importorskip("torch")
    momentum = 0.9
    layer = BatchNormalization(momentum=momentum, dtype="float64")
    layer.build_for((8, 4))
    module = torch_batch_norm(4, 2, momentum, layer)
    mean, keras_variance, torch_variance = np.zeros(4), np.ones(4), np.ones(4)
    for step in range(5):
        x = RNG.standard_normal((8, 4)) * (step + 1) + step
        layer(x)
        module(torch.tensor(x))
        # Keras: the biased batch variance (÷ n); PyTorch: the unbiased one (÷ (n − 1)).
        mean = mean * momentum + x.mean(axis=0) * (1 - momentum)
        keras_variance = keras_variance * momentum + x.var(axis=0) * (1 - momentum)
        torch_variance = torch_variance * momentum + x.var(axis=0, ddof=1) * (1 - momentum)
    np.testing.assert_allclose(layer.moving_mean.data, mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_mean.data, module.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.data, keras_variance, rtol=1e-12)
    np.testing.assert_allclose(module.running_var.numpy(), torch_variance, rtol=1e-12)
    assert not np.allclose(layer.moving_variance.data, module.running_var.numpy())


def test_batch_norm_evaluation_uses_the_moving_statistics_as_torch() -> None:
    torch = pytest.importorskip("torch")
    layer = BatchNormalization(momentum=0.5, dtype="float64")
    layer.build_for((10, 3))
    random_gamma_beta(layer)
    module = torch_batch_norm(3, 2, 0.5, layer)
    # Equal running statistics in both (torch's variance convention differs, so copy it over).
    layer(RNG.standard_normal((10, 3)) * 2 + 3)
    with torch.no_grad():
        module.running_mean.copy_(torch.tensor(layer.moving_mean.data))
        module.running_var.copy_(torch.tensor(layer.moving_variance.data))
    layer.eval()
    module.eval()
    x = float64_input(6, 3)
    out = layer(x)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()
    torch_x = torch.tensor(x.data, requires_grad=True)
    torch_out = module(torch_x)
    (torch_out * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, torch_x.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.gamma.grad, module.weight.grad.numpy(), rtol=1e-10)


def test_batch_norm_evaluation_leaves_the_moving_statistics_alone() -> None:
    layer = BatchNormalization(input_shape=(3,))
    layer.eval()
    layer(RNG.standard_normal((10, 3)) + 5)
    np.testing.assert_array_equal(layer.moving_mean.data, np.zeros(3))
    np.testing.assert_array_equal(layer.moving_variance.data, np.ones(3))


def test_frozen_batch_norm_runs_in_inference_mode_as_keras() -> None:
    layer = BatchNormalization(input_shape=(3,), trainable=False)
    x = RNG.standard_normal((10, 3)) + 5
    out = layer(x)  # moving statistics 0 and 1: only epsilon changes x
    np.testing.assert_allclose(out.data, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.data, np.zeros(3))


def test_batch_norm_moving_statistics_are_saved_buffers_not_parameters() -> None:
    layer = BatchNormalization(input_shape=(6,))
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert [name for name, _ in layer.named_buffers()] == ["moving_mean", "moving_variance"]
    assert set(layer.state_dict()) == {"gamma", "beta", "moving_mean", "moving_variance"}
    assert layer.count_params() == 4 * 6  # Keras counts all four; two are non-trainable


def test_batch_norm_counts_its_moving_statistics_as_non_trainable_in_summary() -> None:
    models = pytest.importorskip("nn.models")
    from nn.layers.core import Dense

    model = models.Sequential([Dense(8, input_shape=(4,)), BatchNormalization()])
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    table = "\n".join(lines)
    assert "Trainable params: 56 " in table  # 4·8 + 8, then gamma and beta 8 + 8
    assert "Non-trainable params: 16 " in table


def test_batch_norm_without_center_and_scale_has_no_parameters() -> None:
    layer = BatchNormalization(center=False, scale=False, input_shape=(3,))
    assert layer.parameters() == []
    out = layer(RNG.standard_normal((50, 3)) * 4 + 2)
    np.testing.assert_allclose(out.data.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.data.var(axis=0), 16 / (16 + 1e-3), rtol=0.05)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("shape", "axis"), [((6, 4), -1), ((3, 4, 5, 2), -1), ((3, 2, 4, 5), 1)])
def test_batch_norm_gradients_match_finite_differences(
    training: bool, shape: tuple, axis: int
) -> None:
    x = float64_input(*shape)
    layer = BatchNormalization(axis=axis, momentum=0.5, dtype="float64")
    layer.build_for(x.shape)
    random_gamma_beta(layer)
    layer(x * 2.0 + 1.0)  # moving statistics other than 0 and 1
    layer.train(training)
    result = gradcheck(lambda x, g, b: layer(x), [x, layer.gamma, layer.beta])
    assert result, str(result)


def test_batch_norm_rejects_a_wrong_feature_count_naming_both() -> None:
    layer = BatchNormalization(input_shape=(5,), name="bn")
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn': expected 5 features on axis "
                       r"-1, got 4 \(input shape \(2, 4\)\)"):
        layer(np.ones((2, 4)))


def test_batch_norm_rejects_the_batch_axis() -> None:
    with pytest.raises(ValueError, match=r"axis 0 is not a feature axis .* \(None, 5\)"):
        BatchNormalization(axis=0, input_shape=(5,))


def test_batch_norm_rejects_an_input_of_another_rank() -> None:
    layer = BatchNormalization(input_shape=(4, 4, 3), name="bn")
    with pytest.raises(ValueError, match=r"built for 4-D inputs, got shape \(2, 3\)"):
        layer(np.ones((2, 3)))


# ----- activation layers -----


def test_activation_layer_applies_the_named_function() -> None:
    x = RNG.standard_normal((3, 4))
    for name in ("relu", "tanh", "sigmoid", "gelu"):
        expected = activations.get(name)(Tensor(x)).data
        np.testing.assert_array_equal(Activation(name)(x).data, expected)


def test_activation_layer_accepts_a_callable() -> None:
    out = Activation(lambda t: t * 2)(np.ones((2, 2)))
    np.testing.assert_array_equal(out.data, np.full((2, 2), 2.0))


def test_activation_layer_rejects_an_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        Activation("rleu")


def test_relu_layer_is_max_of_x_and_zero() -> None:
    np.testing.assert_array_equal(ReLU()(np.array([[-2.0, 0.0, 3.0]])).data, [[0.0, 0.0, 3.0]])


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"max_value": 6.0}, [0.0, 0.0, 0.0, 0.5, 2.0, 6.0]),
        ({"negative_slope": 0.1}, [-0.4, -0.1, 0.0, 0.5, 2.0, 7.0]),
        ({"threshold": 1.0}, [0.0, 0.0, 0.0, 0.0, 2.0, 7.0]),
        # Keras's formula: clip(x·[x > t], 0, max) − slope · relu(t − x)
        ({"threshold": 1.0, "negative_slope": 0.5, "max_value": 5.0},
         [-2.5, -1.0, -0.5, -0.25, 2.0, 5.0]),
    ],
)
def test_relu_layer_options_follow_keras(arguments: dict, expected: list) -> None:
    x = np.array([[-4.0, -1.0, 0.0, 0.5, 2.0, 7.0]])
    np.testing.assert_allclose(ReLU(**arguments)(x).data[0], expected, rtol=1e-6)


def test_relu_layer_matches_torch_relu6_with_max_value_six() -> None:
    torch = pytest.importorskip("torch")
    x = float64_input(4, 5) * 5
    np.testing.assert_array_equal(
        ReLU(max_value=6, dtype="float64")(x).data,
        torch.nn.functional.relu6(torch.tensor(x.data)).numpy(),
    )


def test_leaky_relu_layer_defaults_to_keras_slope_and_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    layer = LeakyReLU(dtype="float64")
    assert layer.negative_slope == 0.3
    x = float64_input(4, 5)
    out = layer(x)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()
    torch_x = torch.tensor(x.data, requires_grad=True)
    torch_out = torch.nn.functional.leaky_relu(torch_x, 0.3)
    (torch_out * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.grad, torch_x.grad.numpy(), rtol=1e-15)


def test_leaky_relu_layer_accepts_keras_two_alpha() -> None:
    assert LeakyReLU(alpha=0.1).negative_slope == 0.1
    with pytest.raises(ValueError, match=r"negative_slope=0\.2 and alpha=0\.1"):
        LeakyReLU(negative_slope=0.2, alpha=0.1)
    with pytest.raises(ValueError, match="negative_slope must be >= 0, got -1"):
        LeakyReLU(-1)


def copy_torch_prelu(layer: PReLU, channels: int) -> Any:
    torch = pytest.importorskip("torch")
    module = torch.nn.PReLU(channels).double()
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.alpha.data.reshape(-1)))
    return module


def test_prelu_matches_torch_with_one_alpha_per_feature() -> None:
    torch = pytest.importorskip("torch")
    layer = PReLU(alpha_initializer="random_uniform", dtype="float64")
    x = float64_input(6, 4)
    out = layer(x)
    assert layer.alpha.shape == (4,)
    module = copy_torch_prelu(layer, 4)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()
    torch_x = torch.tensor(x.data, requires_grad=True)
    (module(torch_x) * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.data, module(torch_x).detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(x.grad, torch_x.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(layer.alpha.grad, module.weight.grad.numpy(), rtol=1e-12)


def test_prelu_with_shared_spatial_axes_matches_torch_per_channel() -> None:
    torch = pytest.importorskip("torch")
    layer = PReLU(alpha_initializer="random_uniform", shared_axes=[1, 2], dtype="float64")
    x_nchw = RNG.standard_normal((2, 3, 4, 5))
    x = Tensor(x_nchw.transpose(0, 2, 3, 1), dtype="float64", requires_grad=True)
    out = layer(x)
    assert layer.alpha.shape == (1, 1, 3)
    module = copy_torch_prelu(layer, 3)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()
    torch_x = torch.tensor(x_nchw, requires_grad=True)
    torch_out = module(torch_x)
    (torch_out * torch.tensor(upstream.transpose(0, 3, 1, 2))).sum().backward()
    np.testing.assert_allclose(
        out.data, torch_out.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-14
    )
    np.testing.assert_allclose(x.grad, torch_x.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-14)
    np.testing.assert_allclose(layer.alpha.grad.reshape(-1), module.weight.grad.numpy(),
                               rtol=1e-12)


def test_prelu_alpha_has_the_sample_shape_and_starts_at_zero_as_keras() -> None:
    layer = PReLU(input_shape=(5, 5, 3))
    assert layer.alpha.shape == (5, 5, 3) and not layer.alpha.data.any()
    assert layer.count_params() == 75


def test_prelu_rejects_shared_axes_outside_the_input() -> None:
    with pytest.raises(ValueError, match=r"shared_axes \(3,\) do not fit input shape"):
        PReLU(shared_axes=3, input_shape=(4, 5))
    with pytest.raises(ValueError, match="shared_axes are axis numbers >= 1"):
        PReLU(shared_axes=[0])


def test_prelu_rejects_an_input_its_alpha_does_not_fit() -> None:
    layer = PReLU(input_shape=(4,), name="prelu")
    message = r"PReLU 'prelu': alpha of shape \(4,\) does not fit input shape \(2, 5\)"
    with pytest.raises(ValueError, match=message):
        layer(np.ones((2, 5)))


@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_softmax_layer_matches_torch_along_its_axis(axis: int) -> None:
    torch = pytest.importorskip("torch")
    x = float64_input(3, 4, 5)
    out = Softmax(axis=axis, dtype="float64")(x)
    np.testing.assert_allclose(out.data.sum(axis=axis), 1.0, rtol=1e-12)
    expected = torch.softmax(torch.tensor(x.data), dim=axis).numpy()
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_softmax_layer_rejects_an_axis_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"Softmax 'sm': axis 2 is out of range .* \(3, 4\)"):
        Softmax(axis=2, name="sm")(np.ones((3, 4)))


ACTIVATION_LAYERS = [
    lambda: Activation("tanh", dtype="float64"),
    lambda: ReLU(dtype="float64"),
    lambda: ReLU(max_value=1.0, negative_slope=0.2, threshold=0.3, dtype="float64"),
    lambda: LeakyReLU(0.2, dtype="float64"),
    lambda: PReLU(alpha_initializer="random_normal", dtype="float64"),
    lambda: PReLU(alpha_initializer="random_normal", shared_axes=[1], dtype="float64"),
    lambda: Softmax(axis=1, dtype="float64"),
]


@pytest.mark.parametrize("make_layer", ACTIVATION_LAYERS)
def test_activation_layer_gradients_match_finite_differences(make_layer: Any) -> None:
    layer = make_layer()
    x = float64_input(4, 3, 5)
    layer.build_for(x.shape)
    weights = layer.parameters()
    result = gradcheck(lambda x, *w: layer(x), [x, *weights])
    assert result, str(result)


@pytest.mark.parametrize(
    "make_layer",
    [
        *ACTIVATION_LAYERS,
        lambda: Dropout(0.5),
        lambda: BatchNormalization(),
        lambda: BatchNormalization(axis=1),
    ],
)
def test_compute_output_shape_equals_the_output(make_layer: Any) -> None:
    layer = make_layer()
    x = RNG.standard_normal((4, 3, 5))
    out = layer(x)
    assert layer.compute_output_shape((None, 3, 5)) == (None, *out.shape[1:])


def test_fit_trains_dropout_and_batch_norm_and_predict_runs_them_in_inference_mode() -> None:
    models = pytest.importorskip("nn.models")
    from nn.layers.core import Dense

    set_random_seed(0)
    x = RNG.standard_normal((64, 4)) * 3 + 2
    y = (x[:, 0] > 2).astype(np.int64)
    model = models.Sequential([
        Dense(8, input_shape=(4,)), BatchNormalization(), Dropout(0.5), Dense(2, "softmax"),
    ])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    batch_norm = model.layers[1]
    assert batch_norm.moving_mean.data.any()  # updated by the 8 training steps
    moving = batch_norm.moving_mean.data.copy()
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, second)  # no dropout mask, no batch statistics
    np.testing.assert_array_equal(batch_norm.moving_mean.data, moving)
