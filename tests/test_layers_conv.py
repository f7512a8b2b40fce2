"""Conv2D, MaxPooling2D, AveragePooling2D and Flatten: Keras's shapes and layouts, PyTorch parity
in float64 (values and gradients), finite-difference gradients, and errors that name the problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograd import Tensor, gradcheck
from nn import regularizers
from nn.layers.convolutional import Conv2D
from nn.layers.pooling import AveragePooling2D, AvgPool2D, MaxPool2D, MaxPooling2D
from nn.layers.reshaping import Flatten
from nn.random import set_random_seed

RNG = np.random.default_rng(0)


def keras_same_pads(size: int, window: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "SAME" padding (its documentation's formula): ceil(size / stride) outputs,
    the total padding split in half with the odd pixel after."""
    outputs = -(-size // stride)
    total = max((outputs - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def to_nchw(a: np.ndarray) -> np.ndarray:
    return a.transpose(0, 3, 1, 2)


def to_nhwc(a: np.ndarray) -> np.ndarray:
    return a.transpose(0, 2, 3, 1)


def float64_input(shape: tuple[int, ...]) -> Tensor:
    return Tensor(RNG.standard_normal(shape), dtype="float64", requires_grad=True)


# ----- Conv2D: construction and weights -----


def test_conv2d_builds_at_construction_with_input_shape_as_the_guide_writes_it() -> None:
    layer = Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))
    assert layer.built
    assert layer.kernel.shape == (3, 3, 1, 32)  # Keras's (kh, kw, in_channels, filters)
    assert layer.bias.shape == (32,)
    assert layer.count_params() == 3 * 3 * 1 * 32 + 32  # 320, as Keras's summary shows


def test_conv2d_builds_lazily_on_the_first_call() -> None:
    layer = Conv2D(4, 3)
    assert not layer.built
    out = layer(np.ones((2, 6, 6, 3)))
    assert layer.built and layer.kernel.shape == (3, 3, 3, 4) and out.shape == (2, 4, 4, 4)
    assert layer.input_shape == (None, 6, 6, 3)


def test_conv2d_channels_first_keeps_the_keras_kernel_layout() -> None:
    layer = Conv2D(5, (2, 3), data_format="channels_first", input_shape=(3, 8, 8))
    assert layer.kernel.shape == (2, 3, 3, 5)
    assert layer(np.ones((1, 3, 8, 8))).shape == (1, 5, 7, 6)


def test_conv2d_kernel_is_glorot_uniform_with_keras_fans() -> None:
    layer = Conv2D(64, (5, 5), input_shape=(10, 10, 16))
    fan_in, fan_out = 5 * 5 * 16, 5 * 5 * 64  # the receptive field times the channels
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert np.abs(layer.kernel.data).max() <= limit
    np.testing.assert_allclose(layer.kernel.data.std(), limit / np.sqrt(3), rtol=0.03)
    assert not layer.bias.data.any()


def test_conv2d_without_bias_has_only_a_kernel() -> None:
    layer = Conv2D(2, 3, use_bias=False, input_shape=(5, 5, 1))
    assert [name for name, _ in layer.named_parameters()] == ["kernel"]


def test_conv2d_regularizers_add_penalties_on_kernel_and_bias() -> None:
    layer = Conv2D(3, 2, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.5),
                   bias_initializer="ones", input_shape=(4, 4, 2))
    kernel_penalty, bias_penalty = (p.item() for p in layer.penalties())
    np.testing.assert_allclose(kernel_penalty, 0.01 * np.sum(layer.kernel.data**2), rtol=1e-6)
    np.testing.assert_allclose(bias_penalty, 0.5 * 3, rtol=1e-6)


def test_conv2d_applies_its_activation() -> None:
    layer = Conv2D(1, 1, activation="relu", input_shape=(2, 2, 1))
    layer.kernel.data[...] = 1.0
    out = layer(np.array([[[[-1.0], [2.0]], [[3.0], [-4.0]]]]))
    np.testing.assert_array_equal(out.data[0, :, :, 0], [[0.0, 2.0], [3.0, 0.0]])


def test_conv2d_same_padding_puts_the_extra_pixel_at_the_bottom_and_right() -> None:
    # 4x4 input, 3x3 kernel, stride 2: 2x2 outputs need 1 pixel of padding, which Keras puts
    # after the image, so the windows start at rows/columns 0 and 2 of the unpadded image.
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    layer = Conv2D(1, 3, strides=2, padding="same", use_bias=False, input_shape=(4, 4, 1))
    layer.kernel.data[...] = 1.0
    out = layer(x).data[0, :, :, 0]
    image = x[0, :, :, 0]
    expected = [
        [image[0:3, 0:3].sum(), image[0:3, 2:4].sum()],
        [image[2:4, 0:3].sum(), image[2:4, 2:4].sum()],
    ]
    np.testing.assert_array_equal(out, expected)


# ----- Conv2D: PyTorch parity in float64 -----

CONV_CASES = [
    # (input height, width, channels, filters, kernel, strides, padding)
    (7, 6, 3, 4, (3, 3), 1, "valid"),
    (7, 6, 3, 4, (3, 3), 1, "same"),
    (8, 7, 2, 3, (3, 2), 2, "valid"),
    (8, 7, 2, 3, (3, 2), 2, "same"),  # uneven "same" padding on both axes
    (9, 9, 1, 2, (4, 4), (2, 1), "same"),  # an even kernel
    (6, 5, 3, 2, (1, 1), 2, "valid"),
    (8, 6, 2, 3, (2, 3), (2, 3), "valid"),  # windows that tile the image (patches)
]


def torch_conv2d(x_nchw: Any, kernel: np.ndarray, bias: Any, strides: Any, pads: Any) -> Any:
    """torch's conv2d on explicitly padded input; kernel in Keras's (kh, kw, C, F) layout."""
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    (top, bottom), (left, right) = pads
    weight = torch.tensor(kernel.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    padded = functional.pad(x_nchw, (left, right, top, bottom))
    return functional.conv2d(padded, weight, bias, stride=strides), weight


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(("h", "w", "c", "f", "kernel", "strides", "padding"), CONV_CASES)
def test_conv2d_matches_torch_values_and_gradients(
    data_format: str, h: int, w: int, c: int, f: int, kernel: Any, strides: Any, padding: str
) -> None:
    torch = pytest.importorskip("torch")
    last = data_format == "channels_last"
    x_nhwc = RNG.standard_normal((2, h, w, c))
    x = Tensor(x_nhwc if last else to_nchw(x_nhwc), dtype="float64", requires_grad=True)
    layer = Conv2D(f, kernel, strides, padding, data_format=data_format, dtype="float64")
    layer.build_for(x.shape)
    layer.bias.data[...] = RNG.standard_normal(f)
    out = layer(x)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()

    strides2 = (strides, strides) if isinstance(strides, int) else strides
    if padding == "same":
        pads = tuple(keras_same_pads(n, k, s) for n, k, s in zip((h, w), kernel, strides2))
    else:
        pads = ((0, 0), (0, 0))
    torch_x = torch.tensor(to_nchw(x_nhwc).copy(), requires_grad=True)
    torch_bias = torch.tensor(layer.bias.data.copy(), requires_grad=True)
    torch_out, torch_weight = torch_conv2d(torch_x, layer.kernel.data, torch_bias, strides2, pads)
    torch_upstream = torch.tensor(to_nchw(upstream) if last else upstream)
    (torch_out * torch_upstream).sum().backward()

    expected_out = torch_out.detach().numpy()
    expected_x_grad = torch_x.grad.numpy()
    if last:
        expected_out, expected_x_grad = to_nhwc(expected_out), to_nhwc(expected_x_grad)
    np.testing.assert_allclose(out.data, expected_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, expected_x_grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        layer.kernel.grad, torch_weight.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(layer.bias.grad, torch_bias.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_gradients_match_finite_differences(data_format: str, padding: str) -> None:
    shape = (2, 6, 5, 3) if data_format == "channels_last" else (2, 3, 6, 5)
    x = float64_input(shape)
    layer = Conv2D(
        2, (3, 2), strides=2, padding=padding, data_format=data_format, activation="tanh",
        bias_initializer="random_normal", dtype="float64",
    )
    layer.build_for(x.shape)
    result = gradcheck(lambda x, k, b: layer(x), [x, layer.kernel, layer.bias])
    assert result, str(result)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(("h", "w", "c", "f", "kernel", "strides", "padding"), CONV_CASES)
def test_conv2d_compute_output_shape_equals_the_output(
    data_format: str, h: int, w: int, c: int, f: int, kernel: Any, strides: Any, padding: str
) -> None:
    shape = (3, h, w, c) if data_format == "channels_last" else (3, c, h, w)
    layer = Conv2D(f, kernel, strides, padding, data_format=data_format)
    out = layer(np.ones(shape))
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *out.shape[1:])


# ----- Conv2D: errors -----


def test_conv2d_rejects_an_image_without_a_channel_axis() -> None:
    layer = Conv2D(4, 3, name="conv")
    with pytest.raises(ValueError, match=r"Conv2D 'conv': expected a 4-D input \(batch, height, "
                       r"width, channels\), got shape \(2, 28, 28\).*channel axis"):
        layer(np.ones((2, 28, 28)))


def test_conv2d_rejects_a_wrong_channel_count_naming_both() -> None:
    layer = Conv2D(4, 3, input_shape=(8, 8, 1), name="conv")
    with pytest.raises(ValueError, match=r"expected 1 input channel\(s\) on axis -1 "
                       r"\(channels_last\), got 3 \(input shape \(2, 8, 8, 3\)\)"):
        layer(np.ones((2, 8, 8, 3)))


def test_conv2d_rejects_a_kernel_larger_than_a_valid_input() -> None:
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) is larger than the input's height "
                       r"and width \(4, 4\).*padding='same'"):
        Conv2D(1, 5, input_shape=(4, 4, 1))


def test_conv2d_same_padding_accepts_a_kernel_larger_than_the_input() -> None:
    layer = Conv2D(1, 5, padding="same", input_shape=(4, 4, 1))
    assert layer(np.ones((1, 4, 4, 1))).shape == (1, 4, 4, 1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"filters": 0, "kernel_size": 3}, "filters must be a positive int, got 0"),
        ({"filters": 2, "kernel_size": (3, 0)}, r"kernel_size must be .* got \(3, 0\)"),
        ({"filters": 2, "kernel_size": 3, "strides": (1, 2, 3)}, r"strides .* \(1, 2, 3\)"),
        ({"filters": 2, "kernel_size": 3, "padding": "full"}, "'valid' or 'same', got 'full'"),
        ({"filters": 2, "kernel_size": 3, "data_format": "NHWC"}, "data_format .* 'NHWC'"),
    ],
)
def test_conv2d_rejects_bad_arguments(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Conv2D(**arguments)


# ----- pooling -----

POOL_CASES = [
    # (height, width, pool_size, strides)
    (8, 6, 2, None),
    (9, 7, (3, 2), 1),
    (9, 8, 3, 2),
    (7, 9, (2, 3), (1, 2)),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(("h", "w", "pool_size", "strides"), POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "average"])
def test_valid_pooling_matches_torch_values_and_gradients(
    data_format: str, h: int, w: int, pool_size: Any, strides: Any, kind: str
) -> None:
    torch = pytest.importorskip("torch")
    last = data_format == "channels_last"
    x_nchw = RNG.standard_normal((2, 3, h, w))
    x = Tensor(to_nhwc(x_nchw) if last else x_nchw, dtype="float64", requires_grad=True)
    layer_class = MaxPooling2D if kind == "max" else AveragePooling2D
    out = layer_class(pool_size, strides, data_format=data_format, dtype="float64")(x)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()

    torch_x = torch.tensor(x_nchw, requires_grad=True)
    pool = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    torch_out = pool(torch_x, pool_size, strides)
    (torch_out * torch.tensor(to_nchw(upstream) if last else upstream)).sum().backward()
    expected_out, expected_grad = torch_out.detach().numpy(), torch_x.grad.numpy()
    if last:
        expected_out, expected_grad = to_nhwc(expected_out), to_nhwc(expected_grad)
    np.testing.assert_allclose(out.data, expected_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-12, atol=1e-12)


def naive_same_pool(x: np.ndarray, pool_size: tuple, strides: tuple, reduce: Any) -> np.ndarray:
    """Keras's "same" pooling by its definition, on (N, H, W, C): pad as TensorFlow does and
    reduce each window's real pixels only (the max ignores padding; the mean does not count it)."""
    n, h, w, c = x.shape
    (top, _), (left, _) = (
        keras_same_pads(size, k, s) for size, k, s in zip((h, w), pool_size, strides)
    )
    rows, columns = -(-h // strides[0]), -(-w // strides[1])
    out = np.empty((n, rows, columns, c))
    for i in range(rows):
        for j in range(columns):
            r0, c0 = i * strides[0] - top, j * strides[1] - left
            window = x[:, max(r0, 0) : r0 + pool_size[0], max(c0, 0) : c0 + pool_size[1]]
            out[:, i, j] = reduce(window, axis=(1, 2))
    return out


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    ("h", "w", "pool_size", "strides"),
    [(5, 6, 2, 2), (7, 8, 3, 2), (6, 5, (3, 2), (1, 3)), (4, 4, 3, 1)],
)
@pytest.mark.parametrize(("kind", "reduce"), [("max", np.max), ("average", np.mean)])
def test_same_pooling_reduces_the_real_pixels_of_each_window(
    data_format: str, h: int, w: int, pool_size: Any, strides: Any, kind: str, reduce: Any
) -> None:
    x_nhwc = RNG.standard_normal((2, h, w, 3))
    x = x_nhwc if data_format == "channels_last" else to_nchw(x_nhwc)
    layer_class = MaxPooling2D if kind == "max" else AveragePooling2D
    out = layer_class(pool_size, strides, "same", data_format=data_format, dtype="float64")(x)
    pairs = [(n, n) if isinstance(n, int) else n for n in (pool_size, strides)]
    expected = naive_same_pool(x_nhwc, *pairs, reduce)
    if data_format == "channels_first":
        expected = to_nchw(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


def test_same_average_pooling_matches_torch_without_counting_padding() -> None:
    torch = pytest.importorskip("torch")
    # 7 rows, pool 3, stride 2: Keras pads (1, 1), even, which torch's padding=1 can express.
    x_nchw = RNG.standard_normal((2, 3, 7, 7))
    x = Tensor(to_nhwc(x_nchw), dtype="float64", requires_grad=True)
    out = AveragePooling2D(3, 2, padding="same", dtype="float64")(x)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()
    torch_x = torch.tensor(x_nchw, requires_grad=True)
    torch_out = torch.nn.functional.avg_pool2d(torch_x, 3, 2, padding=1, count_include_pad=False)
    (torch_out * torch.tensor(to_nchw(upstream))).sum().backward()
    np.testing.assert_allclose(out.data, to_nhwc(torch_out.detach().numpy()), rtol=1e-12)
    np.testing.assert_allclose(x.grad, to_nhwc(torch_x.grad.numpy()), rtol=1e-12)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("layer_class", [MaxPooling2D, AveragePooling2D])
def test_pooling_gradients_match_finite_differences(
    data_format: str, padding: str, layer_class: type
) -> None:
    x = float64_input((2, 7, 6, 3) if data_format == "channels_last" else (2, 3, 7, 6))
    layer = layer_class((3, 2), 2, padding, data_format=data_format, dtype="float64")
    result = gradcheck(layer, [x])  # continuous random values: no tied maxima
    assert result, str(result)


def test_max_pooling_gives_a_tied_window_gradient_to_its_first_max() -> None:
    x = Tensor(np.zeros((1, 2, 2, 1)), dtype="float64", requires_grad=True)
    MaxPooling2D(2)(x).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, :, 0], [[1.0, 0.0], [0.0, 0.0]])


def test_max_pooling_of_a_window_with_nan_is_nan_and_its_gradient_goes_to_the_last_nan() -> None:
    torch = pytest.importorskip("torch")
    nan = float("nan")
    image = [[1.0, nan, 5.0], [nan, 2.0, 9.0], [0.0, 0.0, 0.0]]  # windows: nan, nan / nan, 9
    x = Tensor(np.array(image)[None, :, :, None], dtype="float64", requires_grad=True)
    out = MaxPooling2D(2, 1)(x)
    out.sum().backward()
    torch_x = torch.tensor(np.array(image)[None, None], requires_grad=True)
    torch_out = torch.nn.functional.max_pool2d(torch_x, 2, 1)
    torch_out.sum().backward()
    np.testing.assert_array_equal(out.data[0, :, :, 0], torch_out.detach().numpy()[0, 0])
    np.testing.assert_array_equal(x.grad[0, :, :, 0], torch_x.grad.numpy()[0, 0])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("h", "w", "pool_size", "strides"), POOL_CASES)
def test_pooling_compute_output_shape_equals_the_output(
    data_format: str, padding: str, h: int, w: int, pool_size: Any, strides: Any
) -> None:
    shape = (2, h, w, 3) if data_format == "channels_last" else (2, 3, h, w)
    for layer_class in (MaxPooling2D, AveragePooling2D):
        layer = layer_class(pool_size, strides, padding, data_format)
        out = layer(np.ones(shape))
        assert layer.compute_output_shape((None, *shape[1:])) == (None, *out.shape[1:])


def test_pooling_layers_have_keras_short_names() -> None:
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D


def test_pooling_strides_default_to_the_pool_size() -> None:
    layer = MaxPooling2D((3, 2))
    assert layer.strides == (3, 2)
    assert layer.compute_output_shape((None, 9, 8, 4)) == (None, 3, 4, 4)


def test_pooling_rejects_a_pool_larger_than_a_valid_input() -> None:
    with pytest.raises(ValueError, match=r"MaxPooling2D 'pool': pool_size \(3, 3\) is larger "
                       r"than the input's height and width \(2, 5\) \(input shape "
                       r"\(1, 2, 5, 4\)\)"):
        MaxPooling2D(3, name="pool")(np.ones((1, 2, 5, 4)))


def test_pooling_rejects_a_flat_input() -> None:
    with pytest.raises(ValueError, match=r"AveragePooling2D 'avg': expected a 4-D input .* got "
                       r"shape \(4, 10\)"):
        AveragePooling2D(name="avg")(np.ones((4, 10)))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"pool_size": 0}, r"pool_size must be a positive int .* got 0"),
        ({"strides": (2, -1)}, r"strides must be .* got \(2, -1\)"),
        ({"padding": "causal"}, "padding must be 'valid' or 'same', got 'causal'"),
        ({"data_format": "channels_middle"}, "data_format .* 'channels_middle'"),
    ],
)
def test_pooling_rejects_bad_arguments(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MaxPooling2D(**arguments)


# ----- Flatten -----


def test_flatten_reads_a_channels_last_map_as_a_reshape_of_nhwc() -> None:
    x = RNG.standard_normal((2, 3, 4, 5))
    out = Flatten()(x)
    # Keras's order: row by row, each pixel's channels together.
    np.testing.assert_array_equal(out.data, x.reshape(2, 60).astype(np.float32))
    np.testing.assert_array_equal(out.data[1, :5], x[1, 0, 0, :].astype(np.float32))


def test_flatten_moves_channels_last_first_as_keras_does() -> None:
    x_nhwc = RNG.standard_normal((2, 3, 4, 5))
    out = Flatten(data_format="channels_first", dtype="float64")(to_nchw(x_nhwc))
    np.testing.assert_array_equal(out.data, x_nhwc.reshape(2, 60))


def test_flatten_gives_a_batch_of_scalars_one_feature() -> None:
    layer = Flatten()
    assert layer(np.arange(4.0)).shape == (4, 1)
    assert layer.compute_output_shape((None,)) == (None, 1)


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 13, 13, 32), (1, 2, 3, 4, 5)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten_compute_output_shape_equals_the_output(shape: tuple, data_format: str) -> None:
    layer = Flatten(data_format=data_format)
    out = layer(np.ones(shape))
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *out.shape[1:])
    assert layer.compute_output_shape((None, None, 4)) == (None, None)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten_gradients_match_finite_differences(data_format: str) -> None:
    layer = Flatten(data_format=data_format, dtype="float64")
    result = gradcheck(lambda x: layer(x) * np.arange(24.0), [float64_input((2, 2, 3, 4))])
    assert result, str(result)


# ----- the guide's CNN (E9), end to end -----


def guide_cnn() -> list[Any]:
    from nn.layers.core import Dense

    return [
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ]


def test_the_guide_cnn_has_keras_shapes_and_parameter_counts() -> None:
    models = pytest.importorskip("nn.models")
    lines: list[str] = []
    model = models.Sequential(guide_cnn())
    model.summary(print_fn=lines.append)
    table = "\n".join(lines)
    for shape, count in [
        ("(None, 26, 26, 32)", "320"),
        ("(None, 13, 13, 32)", "0"),
        ("(None, 5408)", "0"),
        ("(None, 64)", "346,176"),
        ("(None, 10)", "650"),
    ]:
        rows = table.splitlines()
        assert any(shape in row and row.rstrip(" │").endswith(f" {count}") for row in rows), table
    assert "Total params: 347,146" in table


def test_the_guide_cnn_learns_a_toy_task_with_sgd() -> None:
    # Bright-left versus bright-right images: ten SGD steps must halve the loss.
    set_random_seed(0)
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 32)
    images = rng.random((32, 28, 28, 1)) * 0.1
    images[labels == 0, :, :14] += 1.0
    images[labels == 1, :, 14:] += 1.0
    one_hot = np.eye(10)[labels]
    layers = guide_cnn()

    def loss() -> Tensor:
        h: Any = images
        for layer in layers:
            h = layer(h)
        return -(h.log() * one_hot).sum() * (1 / len(images))

    parameters = [p for layer in layers for p in layer.parameters()]
    losses = []
    for _ in range(10):
        value = loss()
        value.backward()
        for p in parameters:
            p.data -= 0.3 * p.grad
            p.grad = None
        losses.append(value.item())
    assert losses[-1] < 0.5 * losses[0], losses
