"""nn.export: a chainrule model taken to PyTorch (to_torch) and ONNX (to_onnx), and a PyTorch
model brought back (from_torch). Each export is checked by running it: PyTorch's outputs and
onnxruntime's equal chainrule's to 1e-5 in float32, in evaluation mode, on random inputs."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn import activations
from nn.export import ExportError, from_torch, to_onnx, to_torch
from nn.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LeakyReLU,
    Linear,
    MaxPooling2D,
    PReLU,
    RandomFlip,
    ReLU,
    Softmax,
)
from nn.models import Sequential
from nn.random import set_random_seed
from nn.scalar import MLP

TOLERANCE = 1e-5


@pytest.fixture
def torch() -> Any:
    return pytest.importorskip("torch")


@pytest.fixture
def ort() -> Any:
    pytest.importorskip("onnx")
    return pytest.importorskip("onnxruntime")


def inputs(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def randomize_biases(model: Sequential, seed: int = 1) -> Sequential:
    """Non-zero biases (fresh layers have zeros), so that a dropped bias shows."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if getattr(layer, "use_bias", False):
            layer.bias.data[...] = rng.standard_normal(layer.bias.shape)
    return model


def torch_output(torch: Any, torch_model: Any, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return torch_model(torch.from_numpy(x)).numpy()


def onnx_output(ort: Any, path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE)


def assert_torch_matches(torch: Any, model: Any, x: np.ndarray) -> Any:
    torch_model = to_torch(model)
    assert_close(torch_output(torch, torch_model, x), model.predict(x, verbose=0))
    return torch_model


def assert_onnx_matches(ort: Any, model: Any, x: np.ndarray, tmp_path: Path) -> Any:
    path = tmp_path / "model.onnx"
    proto = to_onnx(model, path, input_shape=x.shape[1:])
    assert_close(onnx_output(ort, path, x), model.predict(x, verbose=0))
    return proto


# ----- the models -----


def e19_model() -> Sequential:
    """The guide's breast-cancer network (E19), trained two epochs on random data."""
    set_random_seed(19)
    model = Sequential([
        Dense(16, activation="relu", input_shape=(30,)),
        Dense(8, activation="relu"),
        Dense(1, activation="sigmoid"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = inputs(64, 30)
    model.fit(x, (x[:, 0] > 0).astype(np.float32), epochs=2, verbose=0)
    return model


def e9_model() -> Sequential:
    """The guide's CNN (E9), channels-last."""
    set_random_seed(9)
    return randomize_biases(Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ]))  # fmt: skip


def channels_first_same_padding_model() -> Sequential:
    """Channels-first, "same" padding with stride 2 on a 10 x 9 image: Keras pads the rows
    (0, 1), the odd pixel at the bottom, and the columns (1, 1); then "same" pools whose
    padding is asymmetric too."""
    set_random_seed(2)
    first = "channels_first"
    return randomize_biases(Sequential([
        Conv2D(4, 3, strides=2, padding="same", data_format=first, activation="tanh",
               input_shape=(3, 10, 9)),
        Conv2D(5, 3, padding="same", data_format=first),
        MaxPooling2D(2, padding="same", data_format=first),
        AveragePooling2D(2, strides=1, padding="same", data_format=first),
        Flatten(data_format=first),
        Dense(3),
    ]))  # fmt: skip


def trained(model: Sequential, x: np.ndarray, outputs: int) -> Sequential:
    """A few steps of fit, so that BatchNormalization's moving statistics move."""
    y = np.random.default_rng(5).standard_normal((len(x), outputs)).astype(np.float32)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    return model


# ----- to_torch and to_onnx: the guide's models -----


def test_e19_mlp_to_torch_gives_the_same_probabilities(torch):
    assert_torch_matches(torch, e19_model(), inputs(20, 30, seed=3))


def test_e19_mlp_to_torch_is_linear_modules_with_the_kernel_transposed(torch):
    model = e19_model()
    torch_model = to_torch(model)
    linears = [m for m in torch_model if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(16, 30), (8, 16), (1, 8)]
    np.testing.assert_array_equal(linears[0].weight.detach().numpy(), model.layers[0].kernel.data.T)
    assert not torch_model.training


def test_e19_mlp_to_onnx_gives_the_same_probabilities(ort, tmp_path):
    assert_onnx_matches(ort, e19_model(), inputs(20, 30, seed=3), tmp_path)


def test_onnx_batch_axis_is_dynamic(ort, tmp_path):
    model = e19_model()
    path = tmp_path / "e19.onnx"
    to_onnx(model, path, input_shape=(30,))
    for batch in (1, 7):
        x = inputs(batch, 30, seed=batch)
        assert_close(onnx_output(ort, path, x), model.predict(x, verbose=0))


def test_onnx_file_passes_the_checker_and_declares_opset_17(ort, tmp_path):
    import onnx

    path = tmp_path / "e19.onnx"
    to_onnx(e19_model(), path, input_shape=(30,))
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert [(o.domain, o.version) for o in loaded.opset_import] == [("", 17)]
    batch = loaded.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param == "batch"
    names = sorted(name.rsplit(".", 1)[1] for name in (t.name for t in loaded.graph.initializer))
    assert names == ["bias"] * 3 + ["kernel"] * 3  # the weights are initializers


def test_e9_cnn_channels_last_to_torch_takes_channels_last_images(torch):
    torch_model = assert_torch_matches(torch, e9_model(), inputs(4, 28, 28, 1))
    kinds = [type(m).__name__ for m in torch_model]
    assert kinds[:3] == ["Permute", "Conv2d", "ReLU"]
    assert kinds[kinds.index("Flatten") - 1] == "Permute"  # back to (H, W, C) before Flatten


def test_e9_cnn_channels_last_to_onnx(ort, tmp_path):
    proto = assert_onnx_matches(ort, e9_model(), inputs(4, 28, 28, 1), tmp_path)
    ops = [node.op_type for node in proto.graph.node]
    assert ops[:4] == ["Transpose", "Conv", "Relu", "MaxPool"]
    assert ops[ops.index("Flatten") - 1] == "Transpose"


def test_channels_first_same_padding_with_stride_2_to_torch(torch):
    model = channels_first_same_padding_model()
    torch_model = assert_torch_matches(torch, model, inputs(3, 3, 10, 9))
    pads = [m.padding for m in torch_model if isinstance(m, torch.nn.ZeroPad2d)]
    assert pads[0] == (1, 1, 0, 1)  # (left, right, top, bottom): Keras's extra row at the bottom


def test_channels_first_same_padding_with_stride_2_to_onnx(ort, tmp_path):
    proto = assert_onnx_matches(ort, channels_first_same_padding_model(), inputs(3, 3, 10, 9),
                                tmp_path)  # fmt: skip
    conv = next(node for node in proto.graph.node if node.op_type == "Conv")
    pads = next(a.ints for a in conv.attribute if a.name == "pads")
    assert list(pads) == [0, 1, 1, 1]  # [top, left, bottom, right]


def test_same_average_pooling_averages_real_pixels_only(torch, ort, tmp_path):
    set_random_seed(4)
    model = Sequential([AveragePooling2D(3, strides=2, padding="same", input_shape=(5, 6, 2))])
    x = np.ones((2, 5, 6, 2), dtype=np.float32)  # the mean of ones is 1 wherever the window is
    assert_close(model.predict(x, verbose=0), np.ones((2, 3, 3, 2), dtype=np.float32))
    assert_torch_matches(torch, model, inputs(2, 5, 6, 2))
    assert_onnx_matches(ort, model, inputs(2, 5, 6, 2), tmp_path)


def test_augmentation_layers_are_left_out_as_the_identity_at_inference(torch, ort, tmp_path):
    set_random_seed(6)
    model = Sequential([RandomFlip(input_shape=(6, 6, 1)), Conv2D(2, 3), Flatten(), Dense(2)])
    torch_model = assert_torch_matches(torch, model, inputs(2, 6, 6, 1))
    assert "random_flip" not in dict(torch_model.named_children())
    assert_onnx_matches(ort, model, inputs(2, 6, 6, 1), tmp_path)


# ----- BatchNormalization -----


def dense_batch_norm_model() -> Sequential:
    set_random_seed(7)
    model = Sequential([
        Dense(8, input_shape=(6,)),
        BatchNormalization(momentum=0.9, epsilon=1e-2),
        Activation("relu"),
        Dense(2),
    ])  # fmt: skip
    return trained(model, inputs(32, 6, seed=8) * 3 + 1, 2)


def conv_batch_norm_model(data_format: str) -> Sequential:
    set_random_seed(8)
    shape = (6, 6, 2) if data_format == "channels_last" else (2, 6, 6)
    axis = -1 if data_format == "channels_last" else 1
    model = Sequential([
        Conv2D(3, 3, data_format=data_format, input_shape=shape),
        BatchNormalization(axis=axis, center=False),
        Flatten(data_format=data_format),
        Dense(2),
    ])  # fmt: skip
    return trained(model, inputs(32, *shape, seed=9) * 2 + 1, 2)


def test_trained_batch_norm_has_moving_statistics_to_carry():
    layer = dense_batch_norm_model().layers[1]
    assert np.abs(layer.moving_mean.data).max() > 0.05
    assert np.abs(layer.moving_variance.data - 1).max() > 0.05


def test_batch_norm_to_torch_carries_running_statistics_and_converts_momentum(torch):
    model = dense_batch_norm_model()
    torch_model = assert_torch_matches(torch, model, inputs(10, 6, seed=4) * 3 + 1)
    norm = next(m for m in torch_model if isinstance(m, torch.nn.BatchNorm1d))
    keras = model.layers[1]
    assert norm.momentum == pytest.approx(1 - 0.9) and norm.eps == pytest.approx(1e-2)
    np.testing.assert_array_equal(norm.running_mean.numpy(), keras.moving_mean.data)
    np.testing.assert_array_equal(norm.running_var.numpy(), keras.moving_variance.data)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_batch_norm_to_torch(torch, data_format):
    model = conv_batch_norm_model(data_format)
    x = model.layers[0].input_shape[1:]
    assert_torch_matches(torch, model, inputs(4, *x, seed=2) * 2 + 1)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_batch_norm_to_onnx(ort, tmp_path, data_format):
    model = conv_batch_norm_model(data_format)
    x = model.layers[0].input_shape[1:]
    proto = assert_onnx_matches(ort, model, inputs(4, *x, seed=2) * 2 + 1, tmp_path)
    assert "BatchNormalization" in [node.op_type for node in proto.graph.node]


def test_dense_batch_norm_to_onnx(ort, tmp_path):
    assert_onnx_matches(ort, dense_batch_norm_model(), inputs(10, 6, seed=4) * 3 + 1, tmp_path)


# ----- activations -----


def activation_model(activation: Any) -> Sequential:
    set_random_seed(11)
    return randomize_biases(Sequential([Dense(7, activation=activation, input_shape=(5,))]))


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_every_dense_activation_to_torch(torch, name):
    assert_torch_matches(torch, activation_model(name), inputs(9, 5, seed=1) * 3)


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_every_dense_activation_to_onnx(ort, tmp_path, name):
    assert_onnx_matches(ort, activation_model(name), inputs(9, 5, seed=1) * 3, tmp_path)


ACTIVATION_LAYERS = {
    "Activation(gelu)": lambda: Activation("gelu"),
    "ReLU()": lambda: ReLU(),
    "ReLU(max_value=6)": lambda: ReLU(max_value=6),
    "ReLU(max_value=1.5)": lambda: ReLU(max_value=1.5),
    "ReLU(negative_slope=0.1)": lambda: ReLU(negative_slope=0.1),
    "ReLU(threshold=0.5)": lambda: ReLU(threshold=0.5),
    "ReLU(all options)": lambda: ReLU(max_value=2.0, negative_slope=0.2, threshold=-0.5),
    "LeakyReLU()": lambda: LeakyReLU(),
    "Softmax(axis=1)": lambda: Softmax(axis=1),
    "Softmax()": lambda: Softmax(),
}


def activation_layer_model(key: str) -> Sequential:
    """A channels-last conv map, so that Softmax's axis has to be translated to NCHW."""
    set_random_seed(12)
    return randomize_biases(
        Sequential([Conv2D(3, 2, input_shape=(4, 5, 2)), ACTIVATION_LAYERS[key]()])
    )


@pytest.mark.parametrize("key", list(ACTIVATION_LAYERS))
def test_every_activation_layer_to_torch(torch, key):
    assert_torch_matches(torch, activation_layer_model(key), inputs(3, 4, 5, 2, seed=2) * 3)


@pytest.mark.parametrize("key", list(ACTIVATION_LAYERS))
def test_every_activation_layer_to_onnx(ort, tmp_path, key):
    model = activation_layer_model(key)
    assert_onnx_matches(ort, model, inputs(3, 4, 5, 2, seed=2) * 3, tmp_path)


PRELU_MODELS = {
    "after Dense": lambda: [Dense(6, input_shape=(4,)), PReLU()],
    "one alpha per channel": lambda: [Conv2D(3, 2, input_shape=(5, 5, 2)),
                                      PReLU(shared_axes=[1, 2])],
    "one alpha per pixel and channel": lambda: [Conv2D(3, 2, input_shape=(5, 5, 2)), PReLU()],
    "one alpha": lambda: [Conv2D(3, 2, input_shape=(5, 5, 2)), PReLU(shared_axes=[1, 2, 3])],
}  # fmt: skip


def prelu_model(key: str) -> Sequential:
    set_random_seed(13)
    model = Sequential(PRELU_MODELS[key]())
    alpha = model.layers[-1].alpha
    alpha.data[...] = np.random.default_rng(3).uniform(0.05, 0.5, alpha.shape)
    return model


@pytest.mark.parametrize("key", list(PRELU_MODELS))
def test_prelu_to_torch(torch, key):
    model = prelu_model(key)
    assert_torch_matches(torch, model, inputs(3, *model.input_shape[1:], seed=4))


@pytest.mark.parametrize("key", list(PRELU_MODELS))
def test_prelu_to_onnx(ort, tmp_path, key):
    model = prelu_model(key)
    assert_onnx_matches(ort, model, inputs(3, *model.input_shape[1:], seed=4), tmp_path)


def test_prelu_with_one_alpha_per_channel_is_torch_prelu(torch):
    torch_model = to_torch(prelu_model("one alpha per channel"))
    assert any(isinstance(m, torch.nn.PReLU) and m.num_parameters == 3 for m in torch_model)


# ----- Dropout -----


def dropout_model() -> Sequential:
    set_random_seed(14)
    return randomize_biases(Sequential([
        Dense(12, activation="relu", input_shape=(5,)), Dropout(0.5), Dense(2),
    ]))  # fmt: skip


def test_dropout_becomes_torch_dropout_inactive_in_eval_mode(torch):
    torch_model = assert_torch_matches(torch, dropout_model(), inputs(8, 5))
    dropouts = [m for m in torch_model if isinstance(m, torch.nn.Dropout)]
    assert len(dropouts) == 1 and dropouts[0].p == 0.5 and not dropouts[0].training


def test_dropout_is_left_out_of_the_onnx_graph(ort, tmp_path):
    proto = assert_onnx_matches(ort, dropout_model(), inputs(8, 5), tmp_path)
    assert "Dropout" not in [node.op_type for node in proto.graph.node]


# ----- the scalar MLP -----


def scalar_mlp() -> MLP:
    mlp = MLP(3, [4, 4, 2], activation="tanh", output_activation="sigmoid", seed=0)
    rng = np.random.default_rng(2)
    for layer in mlp.layers:
        for neuron in layer.neurons:
            neuron.b.data = float(rng.standard_normal())
    return mlp


def scalar_outputs(mlp: MLP, x: np.ndarray) -> np.ndarray:
    return np.array([[value.data for value in mlp(list(map(float, row)))] for row in x])


def test_scalar_mlp_to_torch_gathers_its_neurons_into_linear_layers(torch):
    mlp = scalar_mlp()
    x = inputs(5, 3)
    torch_model = to_torch(mlp)
    assert_close(torch_output(torch, torch_model, x), scalar_outputs(mlp, x).astype(np.float32))
    first = next(m for m in torch_model if isinstance(m, torch.nn.Linear))
    assert first.weight[1, 2].item() == pytest.approx(mlp.layers[0].neurons[1].w[2].data)


def test_scalar_mlp_to_onnx(ort, tmp_path):
    mlp = scalar_mlp()
    x = inputs(5, 3)
    to_onnx(mlp, tmp_path / "mlp.onnx", input_shape=(3,))
    assert_close(onnx_output(ort, tmp_path / "mlp.onnx", x), scalar_outputs(mlp, x))


def test_scalar_mlp_with_one_output_gives_a_column(torch):
    mlp = MLP(2, [3, 1], seed=1)
    x = inputs(4, 2)
    expected = np.array([[mlp(list(map(float, row))).data] for row in x], dtype=np.float32)
    assert_close(torch_output(torch, to_torch(mlp), x), expected)


# ----- from_torch -----


def torch_cnn(torch: Any) -> Any:
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 5, 2),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(5 * 2 * 2, 6),
        nn.ReLU(),
        nn.Linear(6, 3),
        nn.Softmax(dim=1),
    )
    norm = model[1]
    with torch.no_grad():
        norm.running_mean.uniform_(-1, 1)
        norm.running_var.uniform_(0.5, 2)
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
    return model.eval()


def test_from_torch_cnn_is_a_channels_first_model_by_default(torch):
    torch_model = torch_cnn(torch)
    model = from_torch(torch_model)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D", "BatchNormalization", "Activation", "MaxPooling2D", "Conv2D", "Flatten",
        "Dropout", "Dense", "Dense",
    ]  # fmt: skip
    assert model.layers[0].data_format == "channels_first" and model.layers[0].padding == "same"
    x = inputs(4, 3, 6, 6)
    assert_close(model.predict(x, verbose=0), torch_output(torch, torch_model, x))


def test_from_torch_cnn_channels_last_takes_channels_last_images(torch):
    torch_model = torch_cnn(torch)
    model = from_torch(torch_model, data_format="channels_last")
    x = inputs(4, 3, 6, 6)
    assert_close(model.predict(x.transpose(0, 2, 3, 1), verbose=0),
                 torch_output(torch, torch_model, x))  # fmt: skip


def test_from_torch_batch_norm_converts_momentum(torch):
    norm = from_torch(torch_cnn(torch)).layers[1]
    assert norm.momentum == pytest.approx(0.9) and norm.epsilon == pytest.approx(1e-5)


def test_from_torch_mlp_folds_activations_into_dense(torch):
    torch.manual_seed(1)
    nn = torch.nn
    torch_model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 2), nn.Sigmoid()).eval()
    model = from_torch(torch_model)
    assert [layer.activation for layer in model.layers] == [activations.tanh, activations.sigmoid]
    np.testing.assert_array_equal(model.layers[0].kernel.data,
                                  torch_model[0].weight.detach().numpy().T)  # fmt: skip
    assert model.built and model.input_shape == (None, 5)
    x = inputs(6, 5)
    assert_close(model.predict(x, verbose=0), torch_output(torch, torch_model, x))


@pytest.mark.parametrize("module", ["ELU", "SELU", "GELU", "SiLU", "Softplus", "Softsign",
                                    "LeakyReLU", "ReLU6", "PReLU", "Identity"])  # fmt: skip
def test_from_torch_activation_modules(torch, module):
    torch.manual_seed(2)
    nn = torch.nn
    torch_model = nn.Sequential(nn.Linear(4, 6), getattr(nn, module)(), nn.Linear(6, 2)).eval()
    x = inputs(7, 4) * 4
    assert_close(from_torch(torch_model).predict(x, verbose=0),
                 torch_output(torch, torch_model, x))  # fmt: skip


def test_from_torch_flatten_first_needs_input_shape_and_keeps_torch_order(torch):
    torch.manual_seed(3)
    nn = torch.nn
    torch_model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5)).eval()
    with pytest.raises(ExportError, match=r"module 0 '0' \(Flatten\).*input_shape"):
        from_torch(torch_model)
    model = from_torch(torch_model, input_shape=(3, 4, 4))
    x = inputs(2, 3, 4, 4)
    assert_close(model.predict(x, verbose=0), torch_output(torch, torch_model, x))


def test_chainrule_to_torch_and_back_is_the_same_model(torch):
    model = e19_model()
    back = from_torch(to_torch(model))
    x = inputs(10, 30, seed=5)
    assert_close(back.predict(x, verbose=0), model.predict(x, verbose=0))


# ----- errors -----


class Doubling(Layer):
    """A custom layer, which no export knows."""

    def call(self, x):
        return x * 2.0


def test_a_custom_layer_is_an_error_naming_it_and_its_index(torch):
    model = Sequential([Dense(3, input_shape=(2,)), Doubling(name="doubling")])
    with pytest.raises(ExportError, match=r"to_torch: layer 1 'doubling' \(Doubling\) has no eq"):
        to_torch(model)


def test_a_custom_layer_is_an_error_in_to_onnx_and_writes_no_file(ort, tmp_path):
    model = Sequential([Dense(3, input_shape=(2,)), Doubling(name="doubling")])
    with pytest.raises(ExportError, match=r"to_onnx: layer 1 'doubling' \(Doubling\)"):
        to_onnx(model, tmp_path / "model.onnx", input_shape=(2,))
    assert os.listdir(tmp_path) == []


def test_a_custom_activation_function_is_an_error_naming_it(torch):
    def cube(x):
        return x * x * x

    model = Sequential([Dense(3, activation=cube, input_shape=(2,), name="cubed")])
    with pytest.raises(ExportError, match=r"layer 0 'cubed' \(Dense\) uses the activation 'cube'"):
        to_torch(model)


def test_an_unbuilt_model_is_an_error(torch):
    with pytest.raises(ValueError, match=r"not known .*input_shape"):
        to_torch(Sequential([Dense(3)]))


def test_from_torch_custom_module_is_an_error_naming_it_and_its_index(torch):
    class Twice(torch.nn.Module):
        def forward(self, x):
            return 2 * x

    nn = torch.nn
    torch_model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), Twice()))
    with pytest.raises(ExportError, match=r"module 2 '1\.1' \(Twice\) has no chainrule equiv"):
        from_torch(torch_model)


def test_from_torch_padding_keras_cannot_express_is_an_error(torch):
    torch_model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, stride=2, padding=1))
    with pytest.raises(ExportError, match=r"pads \(1, 1\) with kernel \(3, 3\) and stride"):
        from_torch(torch_model)


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[torch\]'"):
        to_torch(Sequential([Dense(2, input_shape=(3,))]))
    with pytest.raises(ImportError, match=r"from_torch needs PyTorch.*chainrule\[torch\]"):
        from_torch(object())


def test_missing_onnx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"to_onnx needs the onnx package.*chainrule\[onnx\]"):
        to_onnx(Sequential([Dense(2, input_shape=(3,))]), tmp_path / "m.onnx", (3,))


# ----- the file and the torch model as artifacts -----


def test_to_onnx_replaces_the_file_and_leaves_no_temporary(ort, tmp_path):
    path = tmp_path / "e19.onnx"
    path.write_bytes(b"old")
    to_onnx(e19_model(), path, input_shape=(30,))
    assert os.listdir(tmp_path) == ["e19.onnx"] and path.read_bytes() != b"old"


def test_a_converted_cnn_pickles_with_its_helper_modules(torch):
    torch_model = to_torch(channels_first_same_padding_model())
    copy = pickle.loads(pickle.dumps(torch_model))
    x = inputs(2, 3, 10, 9)
    assert_close(torch_output(torch, copy, x), torch_output(torch, torch_model, x))


def test_dense_on_the_channels_of_an_image_is_matmul_in_onnx(torch, ort, tmp_path):
    set_random_seed(16)
    model = randomize_biases(Sequential([
        Conv2D(3, 2, input_shape=(4, 4, 2)), Dense(5, activation="elu"), Flatten(), Dense(2),
    ]))  # fmt: skip
    x = inputs(3, 4, 4, 2)
    assert_torch_matches(torch, model, x)
    proto = assert_onnx_matches(ort, model, x, tmp_path)
    assert [n.op_type for n in proto.graph.node].count("MatMul") == 1


def test_an_input_shape_the_model_cannot_take_is_an_error(ort, tmp_path):
    with pytest.raises(ExportError, match=r"layer 0 .* expects 30 input features, but the input"):
        to_onnx(e19_model(), tmp_path / "e19.onnx", input_shape=(31,))
    with pytest.raises(ValueError, match=r"the MLP takes 3 inputs, so input_shape is \(3,\)"):
        to_onnx(scalar_mlp(), tmp_path / "mlp.onnx", input_shape=(4,))


def test_linear_layer_exports_like_dense(torch, ort, tmp_path):
    set_random_seed(15)
    model = Sequential([Linear(4, 3), Activation("softsign")])
    x = inputs(5, 4)
    assert_torch_matches(torch, model, x)
    assert_onnx_matches(ort, model, x, tmp_path)
