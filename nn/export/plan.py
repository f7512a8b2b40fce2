"""The plan: one list of steps (``Op``) that both exports read, made by one planning function per
layer type, so that the layout work (channels-last to NCHW, Keras's flatten order, uneven "same"
padding) is done once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn import activations
from nn.export.common import ExportError, float32
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
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    ReLU,
    Softmax,
)
from nn.layers.base import Shape
from nn.layers.convolutional import same_padding, spatial_sizes
from nn.models import Sequential
from nn.scalar import MLP

TO_NCHW = (0, 3, 1, 2)  # a channels-last image batch to channels-first
TO_NHWC = (0, 2, 3, 1)
_NHWC_AXIS_IN_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}  # where each NHWC axis sits after TO_NCHW
_AUGMENTATION = (RandomFlip, RandomRotation, RandomTranslation, RandomZoom)

TO_LAYERS = (
    "Dense, Linear, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, BatchNormalization, "
    "Activation, ReLU, LeakyReLU, PReLU, Softmax, Random* augmentation (identity at inference)"
)


@dataclass
class Op:
    """One step of the exported computation, in PyTorch's / ONNX's layout (NCHW images).

    kinds: transpose(perm), linear(kernel (in, out), bias), conv(kernel (out, in, kh, kw), bias,
    strides, pads), max_pool / avg_pool(pool_size, strides, pads), flatten, batch_norm(gamma,
    beta, mean, variance, epsilon, momentum as Keras), activation(function, alpha, axis),
    relu(max_value, negative_slope, threshold: Keras's ReLU layer), prelu(alpha), dropout(rate).
    ``pads`` are ((top, bottom), (left, right)).
    """

    kind: str
    name: str
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


_ACTIVATION_NAMES = {id(function): name for name, function in activations.ACTIVATIONS.items()}


class _Planner:
    """Walks a chainrule model's layers in order and writes the steps, keeping track of the
    Keras shape and of whether the exported tensor is a channels-last image moved to NCHW."""

    def __init__(self, caller: str, input_shape: Shape) -> None:
        self.caller = caller
        self.shape: Shape = input_shape
        self.permuted = False  # True: the exported tensor is NCHW, the chainrule one NHWC
        self.steps: list[Op] = []
        self.where = ""  # "layer 2 'dense_1' (Dense)", for errors

    def add(self, kind: str, name: str, weights: dict | None = None, **options: Any) -> None:
        self.steps.append(Op(kind, name, weights or {}, options))

    def fail(self, problem: str) -> ExportError:
        return ExportError(f"{self.caller}: {self.where} {problem}")

    # ----- layout -----

    def channels_at_axis_1(self, chainrule_axis: int, name: str) -> None:
        """Arrange for ``chainrule_axis`` of a 4-D image to be axis 1 of the exported tensor
        (where PyTorch and ONNX read channels), inserting a transpose when needed."""
        if len(self.shape) != 4:
            raise self.fail(f"expected a 4-D image input, got shape {self.shape}")
        axis = chainrule_axis % 4
        if axis == 3 and not self.permuted:
            self.add("transpose", f"{name}_to_nchw", perm=TO_NCHW)
            self.permuted = True
        elif axis == 1 and self.permuted:
            self.unpermute(name)
        elif axis not in (1, 3):
            raise self.fail(f"works on axis {axis} of a 4-D image; only axis 1 or 3 (channels)")

    def unpermute(self, name: str) -> None:
        """Make the exported tensor the chainrule one again (NHWC back from NCHW)."""
        if self.permuted:
            self.add("transpose", f"{name}_to_nhwc", perm=TO_NHWC)
            self.permuted = False

    def axis(self, chainrule_axis: int, rank: int) -> int:
        """The exported tensor's axis that holds ``chainrule_axis`` of the chainrule tensor
        (-1 when it is the last, as PyTorch writes ``Softmax(dim=-1)``)."""
        axis = chainrule_axis % rank
        axis = _NHWC_AXIS_IN_NCHW[axis] if self.permuted else axis
        return -1 if axis == rank - 1 else axis

    # ----- activations -----

    def activation(self, function: Any, name: str, rank: int) -> None:
        """The steps of an activation function given as ``nn.activations`` has it."""
        known = _ACTIVATION_NAMES.get(id(function))
        if known is None:
            label = getattr(function, "__name__", repr(function))
            raise self.fail(
                f"uses the activation {label!r}, which is not one of nn.activations' named "
                f"functions ({', '.join(activations.ACTIVATIONS)})"
            )
        self.named_activation(known, name, rank)

    def named_activation(self, known: str, name: str, rank: int, alpha: float = 0.0) -> None:
        if known == "linear":
            return
        if known == "swish":
            known = "silu"
        if known == "softmax":
            self.add("activation", f"{name}_softmax", function="softmax", axis=self.axis(-1, rank))
        elif known in ("leaky_relu", "elu"):
            default = 0.01 if known == "leaky_relu" else 1.0  # nn.activations' defaults
            self.add("activation", f"{name}_{known}", function=known, alpha=alpha or default)
        else:
            self.add("activation", f"{name}_{known}", function=known)


def make_plan(
    model: Any, caller: str, input_shape: Sequence[int] | None
) -> tuple[list[Op], Shape, Shape]:
    """The steps of ``model``, its input shape and its output shape (batch axis first, None)."""
    if isinstance(model, MLP):
        return _plan_scalar_mlp(model, caller, input_shape)
    layers = _layers_of(model, caller)
    planner = _Planner(caller, _input_shape_of(model, layers, caller, input_shape))
    first_shape = planner.shape
    for index, layer in enumerate(layers):
        planner.where = f"layer {index} {layer.name!r} ({type(layer).__name__})"
        handler = _handler_for(layer)
        if handler is None:
            raise planner.fail(f"has no equivalent; the layers that export are: {TO_LAYERS}")
        if _WEIGHTED.get(handler) and not layer.built:
            raise planner.fail(
                "has no weights yet: build the model first (train it, or call it on a batch)"
            )
        name = module_name(layer.name)
        handler(planner, layer, name)
        planner.shape = layer.compute_output_shape(planner.shape)
    planner.unpermute("output")
    return planner.steps, first_shape, planner.shape


def _layers_of(model: Any, caller: str) -> list[Layer]:
    """The layers of a Sequential (nested ones flattened, with a stack) or of a list."""
    if isinstance(model, Layer) and not isinstance(model, Sequential):
        pending: list[Any] = [model]
    elif isinstance(model, Sequential):
        pending = list(model.layers)
    elif isinstance(model, Iterable):
        pending = list(model)
    else:
        raise TypeError(
            f"{caller}: expected a Sequential, a list of layers or an nn.MLP, got "
            f"{type(model).__name__}"
        )
    layers: list[Layer] = []
    pending.reverse()
    while pending:
        item = pending.pop()
        if isinstance(item, Sequential):
            pending.extend(reversed(item.layers))
        elif isinstance(item, Layer):
            layers.append(item)
        else:
            raise TypeError(f"{caller}: expected layers, got {type(item).__name__} {item!r}")
    return layers


def _input_shape_of(
    model: Any, layers: list[Layer], caller: str, input_shape: Sequence[int] | None
) -> Shape:
    """The input shape (batch axis first): the one given, else the one the model was built for."""
    if input_shape is not None:
        return (None, *_sample_shape(caller, input_shape))
    known = getattr(model, "input_shape", None) if isinstance(model, Layer) else None
    if known is None and layers:
        known = layers[0].input_shape
    if known is None or any(n is None for n in known[1:]):
        raise ValueError(
            f"{caller}: the model's input shape is not known (it has not been built); build it "
            f"or pass input_shape=(...) without the batch axis, e.g. (30,) or (28, 28, 1)"
        )
    return (None, *known[1:])


def _sample_shape(caller: str, input_shape: Sequence[int]) -> tuple[int, ...]:
    """One sample's shape as ints, or an error that shows the expected form."""
    try:
        dims = tuple(int(n) for n in input_shape)
    except (TypeError, ValueError):
        dims = ()
    if not dims or min(dims) < 1:
        raise ValueError(
            f"{caller}: input_shape is one sample's shape without the batch axis, such as "
            f"(30,) or (28, 28, 1); got {input_shape!r}"
        )
    return dims


def module_name(name: str) -> str:
    """A layer name usable as a torch child name (no dots) and in ONNX node names."""
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return cleaned or "layer"


# ----- one planning function per layer type -----


def _plan_dense(planner: _Planner, layer: Dense, name: str) -> None:
    kernel = layer.kernel.data
    bias = layer.bias.data if layer.use_bias else None
    _plan_linear_weights(planner, kernel, bias, name)
    planner.activation(layer.activation, name, len(planner.shape))


def _plan_torch_linear(planner: _Planner, layer: Linear, name: str) -> None:
    bias = layer.bias.data if layer.use_bias else None
    _plan_linear_weights(planner, layer.weight.data.T, bias, name)


def _plan_linear_weights(
    planner: _Planner, kernel: np.ndarray, bias: np.ndarray | None, name: str
) -> None:
    features = planner.shape[-1]
    if features != kernel.shape[0]:
        raise planner.fail(
            f"expects {kernel.shape[0]} input features, but the input shape is {planner.shape}"
        )
    planner.unpermute(name)
    weights = {"kernel": float32(kernel)}
    if bias is not None:
        weights["bias"] = float32(bias)
    planner.add("linear", name, weights, rank=len(planner.shape))


def _plan_conv(planner: _Planner, layer: Conv2D, name: str) -> None:
    channels_axis = -1 if layer.data_format == "channels_last" else 1
    planner.channels_at_axis_1(channels_axis, name)
    if planner.shape[channels_axis] != layer.kernel.shape[2]:
        raise planner.fail(
            f"expects {layer.kernel.shape[2]} input channels, but the input shape is "
            f"{planner.shape}"
        )
    weights = {"kernel": float32(layer.kernel.data.transpose(3, 2, 0, 1))}  # (out, in, kh, kw)
    if layer.use_bias:
        weights["bias"] = float32(layer.bias.data)
    pads = _pads(planner, layer.kernel_size, layer.strides, layer.padding, layer.data_format)
    planner.add("conv", name, weights, strides=layer.strides, pads=pads)
    planner.activation(layer.activation, name, 4)


def _plan_pool(planner: _Planner, layer: MaxPooling2D | AveragePooling2D, name: str) -> None:
    planner.channels_at_axis_1(-1 if layer.data_format == "channels_last" else 1, name)
    pads = _pads(planner, layer.pool_size, layer.strides, layer.padding, layer.data_format)
    kind = "max_pool" if isinstance(layer, MaxPooling2D) else "avg_pool"
    planner.add(kind, name, pool_size=layer.pool_size, strides=layer.strides, pads=pads)


def _pads(
    planner: _Planner,
    window: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    data_format: str,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)): Keras's "same" padding for this input, odd pixel after."""
    if padding == "valid":
        return (0, 0), (0, 0)
    height, width = spatial_sizes(planner.shape, data_format)
    if height is None or width is None:
        raise planner.fail(f"pads 'same' and needs the image size; got shape {planner.shape}")
    return same_padding(height, window[0], strides[0]), same_padding(width, window[1], strides[1])


def _plan_flatten(planner: _Planner, layer: Flatten, name: str) -> None:
    rank = len(planner.shape)
    planner.unpermute(name)  # Keras flattens the chainrule tensor: (H, W, C) channels innermost
    if layer.data_format == "channels_first" and rank > 2:
        planner.add("transpose", f"{name}_channels_last", perm=(0, *range(2, rank), 1))
    planner.add("flatten", name)


def _plan_dropout(planner: _Planner, layer: Dropout, name: str) -> None:
    planner.add("dropout", name, rate=layer.rate)


def _plan_batch_norm(planner: _Planner, layer: BatchNormalization, name: str) -> None:
    rank = len(planner.shape)
    if rank == 4:
        planner.channels_at_axis_1(layer.axis, name)
    elif rank == 2:
        planner.unpermute(name)
    else:
        raise planner.fail(f"on a {rank}-D input has no export; 2-D (features) or 4-D (images)")
    features = layer.moving_mean.data.shape[0]
    weights = {
        "gamma": layer.gamma.data if layer.scale else np.ones(features),
        "beta": layer.beta.data if layer.center else np.zeros(features),
        "mean": layer.moving_mean.data,
        "variance": layer.moving_variance.data,
    }
    weights = {key: float32(value) for key, value in weights.items()}
    planner.add(
        "batch_norm", name, weights, epsilon=layer.epsilon, momentum=layer.momentum, rank=rank
    )


def _plan_activation_layer(planner: _Planner, layer: Activation, name: str) -> None:
    planner.activation(layer.activation, name, len(planner.shape))


def _plan_relu(planner: _Planner, layer: ReLU, name: str) -> None:
    rank = len(planner.shape)
    if layer.max_value is None and layer.threshold == 0:
        known = "relu" if layer.negative_slope == 0 else "leaky_relu"
        planner.named_activation(known, name, rank, alpha=layer.negative_slope)
        return
    planner.add(
        "relu",
        name,
        max_value=layer.max_value,
        negative_slope=layer.negative_slope,
        threshold=layer.threshold,
    )


def _plan_leaky_relu(planner: _Planner, layer: LeakyReLU, name: str) -> None:
    if layer.negative_slope == 0:
        planner.named_activation("relu", name, len(planner.shape))
        return
    planner.add("activation", name, function="leaky_relu", alpha=layer.negative_slope)


def _plan_prelu(planner: _Planner, layer: PReLU, name: str) -> None:
    alpha = float32(layer.alpha.data)  # the sample's shape, 1 along shared axes
    if planner.permuted:
        alpha = alpha.transpose(2, 0, 1)  # (H, W, C) -> (C, H, W), as the exported tensor
    planner.add("prelu", name, {"alpha": alpha})


def _plan_softmax(planner: _Planner, layer: Softmax, name: str) -> None:
    rank = len(planner.shape)
    planner.add("activation", name, function="softmax", axis=planner.axis(layer.axis, rank))


def _plan_nothing(planner: _Planner, layer: Layer, name: str) -> None:
    """Augmentation layers are the identity at inference: nothing to export."""


_HANDLERS: list[tuple[type, Callable[[_Planner, Any, str], None], bool]] = [
    (Dense, _plan_dense, True),
    (Linear, _plan_torch_linear, True),
    (Conv2D, _plan_conv, True),
    (MaxPooling2D, _plan_pool, False),
    (AveragePooling2D, _plan_pool, False),
    (Flatten, _plan_flatten, False),
    (Dropout, _plan_dropout, False),
    (BatchNormalization, _plan_batch_norm, True),
    (Activation, _plan_activation_layer, False),
    (ReLU, _plan_relu, False),
    (LeakyReLU, _plan_leaky_relu, False),
    (PReLU, _plan_prelu, True),
    (Softmax, _plan_softmax, False),
    *((kind, _plan_nothing, False) for kind in _AUGMENTATION),
]
_WEIGHTED = {handler: weighted for _, handler, weighted in _HANDLERS}


def _handler_for(layer: Layer) -> Callable[[_Planner, Any, str], None] | None:
    """The planning function of ``layer``'s exact type (a subclass may compute otherwise)."""
    for kind, handler, _ in _HANDLERS:
        if type(layer) is kind:
            return handler
    return None


def _plan_scalar_mlp(
    mlp: MLP, caller: str, input_shape: Sequence[int] | None
) -> tuple[list[Op], Shape, Shape]:
    """The scalar MLP as Dense layers: each NeuronLayer's weights gathered into a kernel
    (in, out) and a bias (out,), its neurons' activation after it."""
    inputs = len(mlp.layers[0].neurons[0].w)
    if input_shape is not None and _sample_shape(caller, input_shape) != (inputs,):
        raise ValueError(
            f"{caller}: the MLP takes {inputs} inputs, so input_shape is ({inputs},); got "
            f"{tuple(input_shape)}"
        )
    planner = _Planner(caller, (None, inputs))
    for index, neuron_layer in enumerate(mlp.layers):
        planner.where = f"layer {index} (NeuronLayer of the MLP)"
        neurons = neuron_layer.neurons
        kernel = np.array([[w.data for w in neuron.w] for neuron in neurons], dtype=np.float64).T
        bias = np.array([neuron.b.data for neuron in neurons], dtype=np.float64)
        name = f"layer_{index}"
        _plan_linear_weights(planner, kernel, bias, name)
        planner.activation(_neuron_activation(planner, neurons), name, 2)
        planner.shape = (None, len(neurons))
    return planner.steps, (None, inputs), planner.shape


def _neuron_activation(planner: _Planner, neurons: list[Any]) -> Any:
    """The one activation function the layer's neurons share."""
    names = {neuron.activation for neuron in neurons}
    if len(names) != 1:
        raise planner.fail(f"mixes activations {sorted(names)}; a Dense layer has one")
    first = neurons[0]
    function = getattr(first, "_activate", None)
    return function if function is not None else activations.get(first.activation)
