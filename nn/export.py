"""Graduation: a trained chainrule model taken to PyTorch and to ONNX, and a PyTorch model
brought back.

    from nn.export import from_torch, to_onnx, to_torch

    torch_model = to_torch(model)                        # a torch.nn.Sequential, in eval mode
    to_onnx(model, "e19.onnx", input_shape=(30,))        # a file onnxruntime can run
    model = from_torch(torch_model)                      # a chainrule Sequential

``model`` is a ``Sequential`` of ``nn.layers`` (or a list of them) or the scalar ``nn.MLP``,
whose neurons are gathered into weight matrices (each ``NeuronLayer`` becomes a Dense layer with
kernel (in, out)). The outputs agree in evaluation mode, float32.

Both exports go through one plan (``_Op`` steps), so the layout work is done once: Keras keeps
images channels-last (N, H, W, C) where PyTorch's and ONNX's convolutions take (N, C, H, W). A
channels-last model therefore takes the same channels-last input everywhere: the plan permutes
to NCHW before the first convolution and back before ``Flatten``, so that Keras's (H, W, C)
flatten order, which the next Dense's weights were trained on, is kept. Keras's "same" padding
puts the odd pixel at the bottom and right; PyTorch pads symmetrically, so an explicit pad
module comes first where the two differ (ONNX takes asymmetric pads directly).

torch and onnx are optional extras (``pip install 'chainrule[torch]'``, ``'chainrule[onnx]'``),
imported only when these functions run.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from nn import activations
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

__all__ = ["ExportError", "from_torch", "to_onnx", "to_torch"]

DEFAULT_OPSET = 17
TO_NCHW = (0, 3, 1, 2)  # a channels-last image batch to channels-first
TO_NHWC = (0, 2, 3, 1)
_NHWC_AXIS_IN_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}  # where each NHWC axis sits after TO_NCHW
_AUGMENTATION = (RandomFlip, RandomRotation, RandomTranslation, RandomZoom)

TO_LAYERS = (
    "Dense, Linear, Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dropout, BatchNormalization, "
    "Activation, ReLU, LeakyReLU, PReLU, Softmax, Random* augmentation (identity at inference)"
)
FROM_MODULES = (
    "Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, Dropout2d, BatchNorm1d, "
    "BatchNorm2d, ReLU, ReLU6, Hardtanh(0, m), LeakyReLU, PReLU, ELU(alpha=1), SELU, GELU, SiLU, "
    "Sigmoid, Tanh, Softmax, Softplus, Softsign, Identity, nested Sequential"
)


class ExportError(ValueError):
    """A layer or module with no equivalent on the other side, named with its index."""


# ----- optional imports -----


def _import_torch(caller: str) -> Any:
    """torch, or an ImportError that names the extra to install."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            f"{caller} needs PyTorch, an optional extra of chainrule: "
            f"pip install 'chainrule[torch]' (it pins torch==2.13.0, the CPU build) ({error})"
        ) from error
    return torch


def _import_onnx(caller: str) -> Any:
    """onnx, or an ImportError that names the extra to install."""
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
    except ImportError as error:
        raise ImportError(
            f"{caller} needs the onnx package, an optional extra of chainrule: "
            f"pip install 'chainrule[onnx]' ({error})"
        ) from error
    return onnx


# ----- the plan: one list of steps that both exports read -----


@dataclass
class _Op:
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


def _float32(array: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(array, dtype=np.float32))


_ACTIVATION_NAMES = {id(function): name for name, function in activations.ACTIVATIONS.items()}


class _Planner:
    """Walks a chainrule model's layers in order and writes the steps, keeping track of the
    Keras shape and of whether the exported tensor is a channels-last image moved to NCHW."""

    def __init__(self, caller: str, input_shape: Shape) -> None:
        self.caller = caller
        self.shape: Shape = input_shape
        self.permuted = False  # True: the exported tensor is NCHW, the chainrule one NHWC
        self.steps: list[_Op] = []
        self.where = ""  # "layer 2 'dense_1' (Dense)", for errors

    def add(self, kind: str, name: str, weights: dict | None = None, **options: Any) -> None:
        self.steps.append(_Op(kind, name, weights or {}, options))

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


def _plan(
    model: Any, caller: str, input_shape: Sequence[int] | None
) -> tuple[list[_Op], Shape, Shape]:
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
        name = _module_name(layer.name)
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


def _module_name(name: str) -> str:
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
    weights = {"kernel": _float32(kernel)}
    if bias is not None:
        weights["bias"] = _float32(bias)
    planner.add("linear", name, weights, rank=len(planner.shape))


def _plan_conv(planner: _Planner, layer: Conv2D, name: str) -> None:
    channels_axis = -1 if layer.data_format == "channels_last" else 1
    planner.channels_at_axis_1(channels_axis, name)
    if planner.shape[channels_axis] != layer.kernel.shape[2]:
        raise planner.fail(
            f"expects {layer.kernel.shape[2]} input channels, but the input shape is "
            f"{planner.shape}"
        )
    weights = {"kernel": _float32(layer.kernel.data.transpose(3, 2, 0, 1))}  # (out, in, kh, kw)
    if layer.use_bias:
        weights["bias"] = _float32(layer.bias.data)
    pads = _pads(planner, layer.kernel_size, layer.strides, layer.padding, layer.data_format)
    planner.add("conv", name, weights, strides=layer.strides, pads=pads)
    planner.activation(layer.activation, name, 4)


def _plan_pool(planner: _Planner, layer: MaxPooling2D | AveragePooling2D, name: str) -> None:
    planner.channels_at_axis_1(-1 if layer.data_format == "channels_last" else 1, name)
    pads = _pads(planner, layer.pool_size, layer.strides, layer.padding, layer.data_format)
    kind = "max_pool" if isinstance(layer, MaxPooling2D) else "avg_pool"
    planner.add(kind, name, pool_size=layer.pool_size, strides=layer.strides, pads=pads)


def _pads(
    planner: _Planner, window: tuple[int, int], strides: tuple[int, int], padding: str,
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
    weights = {key: _float32(value) for key, value in weights.items()}
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
    alpha = _float32(layer.alpha.data)  # the sample's shape, 1 along shared axes
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
) -> tuple[list[_Op], Shape, Shape]:
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


# ----- to PyTorch -----


def to_torch(model: Any, input_shape: Sequence[int] | None = None) -> Any:
    """An equivalent ``torch.nn.Sequential`` of ``model`` (a Sequential, a list of layers or an
    ``nn.MLP``), in evaluation mode, float32, its children named after the layers.

    Dense becomes Linear with the kernel transposed (PyTorch's weight is (out, in)), Conv2D a
    Conv2d with the kernel as (out, in, kh, kw), BatchNormalization a BatchNorm1d/2d with its
    moving statistics and PyTorch's momentum (1 − Keras's), and every activation its module.
    A channels-last model keeps taking channels-last input (``Permute`` modules around the
    convolutions). ``input_shape`` (one sample, without the batch axis) defaults to the shape
    the model was built for; "same" padding is computed for it.
    """
    torch = _import_torch("to_torch")
    steps, _, _ = _plan(model, "to_torch", input_shape)
    children: OrderedDict[str, Any] = OrderedDict()
    for step in steps:
        for suffix, module in _torch_modules(step, torch):
            key = step.name + suffix
            while key in children:
                key += "_"
            children[key] = module
    return torch.nn.Sequential(children).eval()


def _torch_modules(step: _Op, torch: Any) -> list[tuple[str, Any]]:
    """The torch modules of one step, each with a suffix for its child name."""
    nn = torch.nn
    classes = _torch_classes()
    options = step.options
    if step.kind == "transpose":
        return [("", classes.Permute(*options["perm"]))]
    if step.kind == "linear":
        kernel = step.weights["kernel"]
        module = nn.Linear(*kernel.shape, bias="bias" in step.weights, dtype=torch.float32)
        return [("", _load(torch, module, weight=kernel.T, bias=step.weights.get("bias")))]
    if step.kind == "conv":
        return _torch_conv(step, torch)
    if step.kind in ("max_pool", "avg_pool"):
        return _torch_pool(step, torch)
    if step.kind == "flatten":
        return [("", nn.Flatten())]
    if step.kind == "dropout":
        return [("", nn.Dropout(options["rate"]))]
    if step.kind == "batch_norm":
        return [("", _torch_batch_norm(step, torch))]
    if step.kind == "activation":
        return [("", _torch_activation(options, torch))]
    if step.kind == "relu":
        return [("", _torch_relu(options, torch))]
    if step.kind == "prelu":
        return [("", _torch_prelu(step.weights["alpha"], torch))]
    raise AssertionError(f"unknown step {step.kind}")


def _load(torch: Any, module: Any, **arrays: np.ndarray | None) -> Any:
    """Copy numpy arrays into ``module``'s parameters and buffers of the same names."""
    with torch.no_grad():
        for name, array in arrays.items():
            if array is not None:
                getattr(module, name).copy_(torch.from_numpy(_float32(array)))
    return module


def _torch_conv(step: _Op, torch: Any) -> list[tuple[str, Any]]:
    kernel = step.weights["kernel"]
    (top, bottom), (left, right) = step.options["pads"]
    symmetric = top == bottom and left == right
    conv = torch.nn.Conv2d(
        kernel.shape[1],
        kernel.shape[0],
        kernel.shape[2:],
        stride=step.options["strides"],
        padding=(top, left) if symmetric else 0,
        bias="bias" in step.weights,
        dtype=torch.float32,
    )
    conv = _load(torch, conv, weight=kernel, bias=step.weights.get("bias"))
    if symmetric:
        return [("", conv)]
    return [("_pad", torch.nn.ZeroPad2d((left, right, top, bottom))), ("", conv)]


def _torch_pool(step: _Op, torch: Any) -> list[tuple[str, Any]]:
    """PyTorch's pools pad symmetrically; Keras's odd pixel after needs a pad module (-inf for
    the max) or, for the average over real pixels only, SamePaddingAvgPool2d."""
    nn = torch.nn
    size, strides = step.options["pool_size"], step.options["strides"]
    (top, bottom), (left, right) = step.options["pads"]
    is_max = step.kind == "max_pool"
    if top == bottom and left == right:
        if is_max:
            return [("", nn.MaxPool2d(size, strides, padding=(top, left)))]
        return [("", nn.AvgPool2d(size, strides, padding=(top, left), count_include_pad=False))]
    pads = (left, right, top, bottom)
    if is_max:
        return [("_pad", nn.ConstantPad2d(pads, -math.inf)), ("", nn.MaxPool2d(size, strides))]
    return [("", _torch_classes().SamePaddingAvgPool2d(size, strides, pads))]


def _torch_batch_norm(step: _Op, torch: Any) -> Any:
    kind = torch.nn.BatchNorm2d if step.options["rank"] == 4 else torch.nn.BatchNorm1d
    module = kind(
        len(step.weights["mean"]),
        eps=step.options["epsilon"],
        momentum=1 - step.options["momentum"],  # PyTorch weighs the new statistic
        dtype=torch.float32,
    )
    weights = step.weights
    return _load(
        torch,
        module,
        weight=weights["gamma"],
        bias=weights["beta"],
        running_mean=weights["mean"],
        running_var=weights["variance"],
    )


def _torch_activation(options: dict[str, Any], torch: Any) -> Any:
    nn = torch.nn
    function = options["function"]
    simple = {
        "relu": nn.ReLU,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "selu": nn.SELU,
        "gelu": nn.GELU,  # exact (erf), as nn.activations.gelu by default
        "silu": nn.SiLU,
        "softplus": nn.Softplus,
        "softsign": nn.Softsign,
        "step": _torch_classes().StepFunction,
    }
    if function in simple:
        return simple[function]()
    if function == "softmax":
        return nn.Softmax(dim=options["axis"])
    if function == "leaky_relu":
        return nn.LeakyReLU(options["alpha"])
    if function == "elu":
        return nn.ELU(options["alpha"])
    raise AssertionError(f"unknown activation {function}")


def _torch_relu(options: dict[str, Any], torch: Any) -> Any:
    """Keras's ReLU layer with options: ReLU6 / Hardtanh when it is a clipped relu."""
    max_value = options["max_value"]
    if options["threshold"] == 0 and options["negative_slope"] == 0 and max_value is not None:
        return torch.nn.ReLU6() if max_value == 6 else torch.nn.Hardtanh(0.0, float(max_value))
    return _torch_classes().KerasReLU(max_value, options["negative_slope"], options["threshold"])


def _torch_prelu(alpha: np.ndarray, torch: Any) -> Any:
    """nn.PReLU when α is one number or one per channel (axis 1); else BroadcastPReLU."""
    if alpha.size == 1 or (alpha.shape[0] == alpha.size):
        module = torch.nn.PReLU(alpha.size, dtype=torch.float32)
        return _load(torch, module, weight=alpha.reshape(-1))
    return _torch_classes().BroadcastPReLU(alpha)


_TORCH_CLASS_NAMES = ("BroadcastPReLU", "KerasReLU", "Permute", "SamePaddingAvgPool2d",
                      "StepFunction")  # fmt: skip


@functools.cache
def _torch_classes() -> SimpleNamespace:
    """The few torch modules PyTorch lacks, made on first use (torch is optional). They are
    attributes of this module (``nn.export.Permute``), so a saved torch model unpickles."""
    torch = _import_torch("to_torch")
    functional = torch.nn.functional

    class Permute(torch.nn.Module):
        """Reorders axes: Permute(0, 3, 1, 2) turns NHWC images into PyTorch's NCHW."""

        def __init__(self, *dims: int) -> None:
            super().__init__()
            self.dims = tuple(dims)

        def forward(self, x: Any) -> Any:
            return x.permute(*self.dims)

        def extra_repr(self) -> str:
            return f"dims={self.dims}"

    class SamePaddingAvgPool2d(torch.nn.Module):
        """Keras's padding="same" average pool: zeros padded (left, right, top, bottom) and
        each window averaged over its real pixels only."""

        def __init__(self, kernel_size: Any, stride: Any, padding: tuple[int, ...]) -> None:
            super().__init__()
            self.kernel_size, self.stride, self.padding = kernel_size, stride, tuple(padding)

        def forward(self, x: Any) -> Any:
            total = functional.avg_pool2d(
                functional.pad(x, self.padding), self.kernel_size, self.stride
            )
            ones = x.new_ones((1, 1, *x.shape[2:]))
            share = functional.avg_pool2d(
                functional.pad(ones, self.padding), self.kernel_size, self.stride
            )
            return total / share  # (sum / window) / (real / window)

        def extra_repr(self) -> str:
            return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    class KerasReLU(torch.nn.Module):
        """Keras's ReLU layer: clip(x·[x > threshold], 0, max_value) − slope·relu(threshold − x)."""

        def __init__(self, max_value: float | None, negative_slope: float, threshold: float):
            super().__init__()
            self.max_value, self.negative_slope, self.threshold = (
                max_value, negative_slope, threshold,
            )  # fmt: skip

        def forward(self, x: Any) -> Any:
            t = self.threshold
            y = x * (x > t).to(x.dtype) if t != 0 else torch.relu(x)
            if self.max_value is not None:
                y = y.clamp(0, self.max_value)
            if self.negative_slope:
                y = y - torch.relu(t - x) * self.negative_slope
            return y

        def extra_repr(self) -> str:
            return (
                f"max_value={self.max_value}, negative_slope={self.negative_slope}, "
                f"threshold={self.threshold}"
            )

    class StepFunction(torch.nn.Module):
        """The perceptron's step: 1 where x >= 0, else 0."""

        def forward(self, x: Any) -> Any:
            return (x >= 0).to(x.dtype)

    class BroadcastPReLU(torch.nn.Module):
        """PReLU with α of any shape that broadcasts against a sample (Keras's default: one α
        per feature and pixel), which nn.PReLU (one per channel) cannot hold."""

        def __init__(self, alpha: np.ndarray) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.from_numpy(_float32(alpha)))

        def forward(self, x: Any) -> Any:
            return x.clamp(min=0) + self.weight * x.clamp(max=0)

    classes = SimpleNamespace(
        BroadcastPReLU=BroadcastPReLU,
        KerasReLU=KerasReLU,
        Permute=Permute,
        SamePaddingAvgPool2d=SamePaddingAvgPool2d,
        StepFunction=StepFunction,
    )
    for name in _TORCH_CLASS_NAMES:
        kind = getattr(classes, name)
        kind.__module__, kind.__qualname__ = __name__, name
    return classes


def __getattr__(name: str) -> Any:
    """``nn.export.Permute`` and the other torch modules above, made when first asked for."""
    if name in _TORCH_CLASS_NAMES:
        return getattr(_torch_classes(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----- to ONNX -----


def to_onnx(
    model: Any,
    path: str | os.PathLike[str],
    input_shape: Sequence[int] | None = None,
    opset: int = DEFAULT_OPSET,
) -> Any:
    """Write ``model`` as an ONNX file at ``path`` and return the ``onnx.ModelProto``.

    ``input_shape`` is one sample's shape as Keras writes it (``(30,)``, ``(28, 28, 1)``;
    default: the shape the model was built for); the batch axis is dynamic ("batch"). The
    graph's input is "input", its output "output", its weights initializers, Dropout and
    augmentation omitted (inference). The model is checked with ``onnx.checker`` and written
    to a temporary file that is then renamed, so a failure leaves no half-written file.
    """
    onnx = _import_onnx("to_onnx")
    steps, first_shape, output_shape = _plan(model, "to_onnx", input_shape)
    graph = _OnnxGraph(onnx, "input")
    for step in steps:
        _onnx_step(graph, step)
    graph.nodes.append(onnx.helper.make_node("Identity", [graph.current], ["output"], "output"))
    float32 = onnx.TensorProto.FLOAT
    onnx_graph = onnx.helper.make_graph(
        graph.nodes,
        _module_name(getattr(model, "name", "") or "chainrule"),
        [onnx.helper.make_tensor_value_info("input", float32, ["batch", *first_shape[1:]])],
        [onnx.helper.make_tensor_value_info("output", float32, ["batch", *output_shape[1:]])],
        initializer=graph.initializers,
    )
    opsets = [onnx.helper.make_opsetid("", opset)]
    onnx_model = onnx.helper.make_model(
        onnx_graph,
        opset_imports=opsets,
        producer_name="chainrule",
        ir_version=onnx.helper.find_min_ir_version_for(opsets),
    )
    onnx.checker.check_model(onnx_model, full_check=True)
    _write_atomically(path, onnx_model.SerializeToString())
    return onnx_model


def _write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".chainrule-", suffix=".onnx.tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


class _OnnxGraph:
    """The nodes and initializers being written, and the name of the current tensor."""

    def __init__(self, onnx: Any, input_name: str) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.current = input_name
        self.names: set[str] = set()

    def unique(self, name: str) -> str:
        while name in self.names:
            name += "_"
        self.names.add(name)
        return name

    def constant(self, name: str, array: Any) -> str:
        """An initializer holding ``array`` (float32), by name."""
        unique = self.unique(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(_float32(array), unique))
        return unique

    def node(self, op: str, inputs: Sequence[str], name: str, **attributes: Any) -> str:
        """Add one node; return its output's name."""
        output = self.unique(f"{name}/{op}")
        node = self.onnx.helper.make_node(op, list(inputs), [output], name=output, **attributes)
        self.nodes.append(node)
        return output

    def apply(self, op: str, name: str, *inputs: str, **attributes: Any) -> None:
        """A node on the current tensor (and ``inputs``), which becomes the current tensor."""
        self.current = self.node(op, [self.current, *inputs], name, **attributes)


def _onnx_step(graph: _OnnxGraph, step: _Op) -> None:
    options, weights, name = step.options, step.weights, step.name
    if step.kind == "transpose":
        graph.apply("Transpose", name, perm=list(options["perm"]))
    elif step.kind == "linear":
        _onnx_linear(graph, step)
    elif step.kind == "conv":
        kernel = weights["kernel"]
        inputs = [graph.constant(f"{name}.kernel", kernel)]
        if "bias" in weights:
            inputs.append(graph.constant(f"{name}.bias", weights["bias"]))
        graph.apply(
            "Conv", name, *inputs, kernel_shape=list(kernel.shape[2:]),
            strides=list(options["strides"]), pads=_onnx_pads(options["pads"]),
        )  # fmt: skip
    elif step.kind in ("max_pool", "avg_pool"):
        extra = {"count_include_pad": 0} if step.kind == "avg_pool" else {}
        graph.apply(
            "MaxPool" if step.kind == "max_pool" else "AveragePool", name,
            kernel_shape=list(options["pool_size"]), strides=list(options["strides"]),
            pads=_onnx_pads(options["pads"]), **extra,
        )  # fmt: skip
    elif step.kind == "flatten":
        graph.apply("Flatten", name, axis=1)
    elif step.kind == "batch_norm":
        inputs = [graph.constant(f"{name}.{key}", weights[key])
                  for key in ("gamma", "beta", "mean", "variance")]  # fmt: skip
        # ONNX's momentum is Keras's (the weight of the old statistic); it matters only in training.
        graph.apply(
            "BatchNormalization", name, *inputs, epsilon=options["epsilon"],
            momentum=options["momentum"],
        )  # fmt: skip
    elif step.kind == "activation":
        _onnx_activation(graph, options, name)
    elif step.kind == "relu":
        _onnx_keras_relu(graph, options, name)
    elif step.kind == "prelu":
        graph.apply("PRelu", name, graph.constant(f"{name}.alpha", weights["alpha"]))
    elif step.kind != "dropout":  # dropout is the identity at inference
        raise AssertionError(f"unknown step {step.kind}")


def _onnx_pads(pads: tuple[tuple[int, int], tuple[int, int]]) -> list[int]:
    """ONNX's order: [top, left, bottom, right] (all the begins, then all the ends)."""
    (top, bottom), (left, right) = pads
    return [top, left, bottom, right]


def _onnx_linear(graph: _OnnxGraph, step: _Op) -> None:
    """Gemm on a batch of vectors; MatMul (+ Add) when Dense acts on the last axis of more."""
    name = step.name
    kernel = graph.constant(f"{name}.kernel", step.weights["kernel"])
    bias = [graph.constant(f"{name}.bias", step.weights["bias"])] if "bias" in step.weights else []
    if step.options["rank"] == 2:
        graph.apply("Gemm", name, kernel, *bias)
        return
    graph.apply("MatMul", name, kernel)
    if bias:
        graph.apply("Add", name, *bias)


_ONNX_SIMPLE = {
    "relu": "Relu",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "softplus": "Softplus",
    "softsign": "Softsign",
}


def _onnx_activation(graph: _OnnxGraph, options: dict[str, Any], name: str) -> None:
    function = options["function"]
    if function in _ONNX_SIMPLE:
        graph.apply(_ONNX_SIMPLE[function], name)
    elif function == "softmax":
        graph.apply("Softmax", name, axis=options["axis"])
    elif function == "leaky_relu":
        graph.apply("LeakyRelu", name, alpha=float(options["alpha"]))
    elif function == "elu":
        graph.apply("Elu", name, alpha=float(options["alpha"]))
    elif function == "selu":
        graph.apply("Selu", name, alpha=activations.SELU_ALPHA, gamma=activations.SELU_SCALE)
    elif function == "silu":  # x · σ(x)
        x = graph.current
        graph.apply("Sigmoid", name)
        graph.current = graph.node("Mul", [x, graph.current], name)
    elif function == "gelu":  # x · (1 + erf(x / √2)) / 2: opset 17 has no Gelu op
        x = graph.current
        graph.apply("Mul", name, graph.constant(f"{name}.one_over_sqrt2", math.sqrt(0.5)))
        graph.apply("Erf", name)
        graph.apply("Add", name, graph.constant(f"{name}.one", 1.0))
        graph.current = graph.node("Mul", [x, graph.current], name)
        graph.apply("Mul", name, graph.constant(f"{name}.half", 0.5))
    elif function == "step":  # 1 where x >= 0
        graph.apply("GreaterOrEqual", name, graph.constant(f"{name}.zero", 0.0))
        graph.apply("Cast", name, to=graph.onnx.TensorProto.FLOAT)
    else:
        raise AssertionError(f"unknown activation {function}")


def _onnx_keras_relu(graph: _OnnxGraph, options: dict[str, Any], name: str) -> None:
    """Keras's ReLU layer: clip(x·[x > threshold], 0, max_value) − slope·relu(threshold − x)."""
    x = graph.current
    threshold = options["threshold"]
    if threshold != 0:
        graph.apply("Greater", name, graph.constant(f"{name}.threshold", threshold))
        graph.apply("Cast", name, to=graph.onnx.TensorProto.FLOAT)
        graph.current = graph.node("Mul", [x, graph.current], name)
    else:
        graph.apply("Relu", name)
    if options["max_value"] is not None:
        low = graph.constant(f"{name}.min", 0.0)
        graph.apply("Clip", name, low, graph.constant(f"{name}.max", options["max_value"]))
    if options["negative_slope"]:
        below = graph.node("Sub", [graph.constant(f"{name}.t", threshold), x], name)
        below = graph.node("Relu", [below], name)
        slope = graph.constant(f"{name}.slope", options["negative_slope"])
        graph.apply("Sub", name, graph.node("Mul", [below, slope], name))


# ----- from PyTorch -----


def from_torch(
    torch_model: Any,
    data_format: str = "channels_first",
    input_shape: Sequence[int] | None = None,
) -> Sequential:
    """A chainrule ``Sequential`` equivalent to ``torch_model`` (a ``torch.nn.Sequential``,
    nested ones allowed), in evaluation mode.

    Linear becomes Dense with the weight transposed (an activation module right after it
    becomes the Dense's ``activation``), Conv2d becomes Conv2D with the kernel as Keras's
    (kh, kw, in, out), BatchNorm Keras's momentum (1 − PyTorch's). A CNN stays channels-first
    unless ``data_format="channels_last"``: then the chainrule model takes (N, H, W, C) images.
    PyTorch flattens (C, H, W) where Keras flattens (H, W, C), so the Dense after a Flatten gets
    its rows reordered. ``input_shape`` (one sample, in ``data_format``) builds the model at
    once; it is needed when the model starts with a Flatten of images.
    """
    torch = _import_torch("from_torch")
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            f"from_torch: data_format must be 'channels_first' or 'channels_last', got "
            f"{data_format!r}"
        )
    shape = None if input_shape is None else (None, *(int(n) for n in input_shape))
    reader = _TorchReader(torch, data_format, shape)
    modules = _torch_leaves(torch, torch_model)
    for index, (path, module) in enumerate(modules):
        reader.where = f"module {index} {path!r} ({type(module).__name__})"
        reader.read(module)
    if reader.flattened_channels is not None and reader.flattened_channels_matter():
        raise reader.fail(
            "leaves a Flatten of images without a Linear after it: PyTorch's order (C, H, W) "
            "and Keras's (H, W, C) differ, so the outputs would be reordered"
        )
    model = Sequential(reader.layers)
    if not model.built and reader.input_shape_known():
        model.build_for(reader.first_shape)
    return model.eval()  # type: ignore[return-value]


def _torch_leaves(torch: Any, root: Any) -> list[tuple[str, Any]]:
    """The modules of a Sequential in order, nested Sequentials opened (with a stack)."""
    if not isinstance(root, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(root).__name__}")
    if not isinstance(root, torch.nn.Sequential):
        return [(type(root).__name__, root)]
    leaves: list[tuple[str, Any]] = []
    pending = list(reversed([(name, child) for name, child in root.named_children()]))
    while pending:
        path, module = pending.pop()
        if isinstance(module, torch.nn.Sequential):
            children = [(f"{path}.{name}", child) for name, child in module.named_children()]
            pending.extend(reversed(children))
        else:
            leaves.append((path, module))
    return leaves


def _numpy(tensor: Any) -> np.ndarray:
    return _float32(tensor.detach().cpu().numpy())


def _flatten_order(channels: int, features: int) -> np.ndarray:
    """For each Keras feature (H, W, C order) the PyTorch feature (C, H, W order) it holds."""
    pixels = features // channels
    return np.arange(features).reshape(channels, pixels).T.reshape(-1)


class _TorchReader:
    """Turns torch modules into chainrule layers, tracking the (partly known) Keras shape."""

    def __init__(self, torch: Any, data_format: str, shape: Shape | None) -> None:
        self.torch = torch
        self.data_format = data_format
        self.shape: Shape | None = shape
        self.first_shape: Shape | None = shape
        self.layers: list[Layer] = []
        self.flattened_channels: int | None = None  # set by a Flatten of C-channel images
        self.foldable: Dense | Conv2D | None = None  # the layer an activation may join
        self.where = ""

    def fail(self, problem: str) -> ExportError:
        return ExportError(f"from_torch: {self.where} {problem}")

    def input_shape_known(self) -> bool:
        return self.first_shape is not None and None not in self.first_shape[1:]

    def flattened_channels_matter(self) -> bool:
        """False when the flattened images were 1 x 1 pixel: both orders are then the same."""
        return self.shape is None or self.shape[-1] != self.flattened_channels

    # ----- adding layers -----

    def add(self, layer: Layer, shape: Shape, **weights: np.ndarray | None) -> Layer:
        """Make ``layer``'s weights for ``shape``, copy ``weights`` in and append it."""
        if self.first_shape is None:
            self.first_shape = shape
        if None in shape[1:]:
            layer.build(shape)  # weights now; the input shape is fixed by the first batch
            layer.built = True
        else:
            layer.build_for(shape)
        for name, array in weights.items():
            if array is not None:
                getattr(layer, name).data[...] = array
        self.layers.append(layer)
        self.shape = layer.compute_output_shape(shape)
        self.foldable = None
        return layer

    def with_size(self, axis: int, size: int, rank: int) -> Shape:
        """The current shape with ``size`` on ``axis``, checked where it was known."""
        shape = self.shape if self.shape is not None else (None,) * rank
        if len(shape) != rank:
            raise self.fail(f"expects a {rank}-D input, got shape {shape}")
        known = shape[axis]
        if known is not None and known != size:
            raise self.fail(f"expects {size} features on axis {axis % rank}, got shape {shape}")
        dims = list(shape)
        dims[axis] = size
        return tuple(dims)

    def channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    # ----- reading modules -----

    def read(self, module: Any) -> None:
        nn = self.torch.nn
        readers: list[tuple[type, Callable[[Any], None]]] = [
            (nn.Linear, self.linear),
            (nn.Conv2d, self.conv),
            (nn.MaxPool2d, self.pool),
            (nn.AvgPool2d, self.pool),
            (nn.Flatten, self.flatten),
            ((nn.Dropout, nn.Dropout2d), self.dropout),
            ((nn.BatchNorm1d, nn.BatchNorm2d), self.batch_norm),
            (nn.PReLU, self.prelu),
            (nn.Softmax, self.softmax),
            ((nn.LeakyReLU, nn.ReLU6, nn.Hardtanh), self.relu_variant),
            (nn.Identity, lambda module: None),
        ]
        for kind, reader in readers:
            if type(module) in (kind if isinstance(kind, tuple) else (kind,)):
                reader(module)
                return
        name = self.activation_name(module)
        if name is None:
            raise self.fail(f"has no chainrule equivalent; the modules that convert are: "
                            f"{FROM_MODULES}")  # fmt: skip
        self.activation(name)

    def linear(self, module: Any) -> None:
        rank = self.rank() or 2
        shape = self.with_size(-1, module.in_features, rank)
        kernel = _numpy(module.weight).T  # (in, out)
        if self.flattened_channels is not None:
            kernel = kernel[_flatten_order(self.flattened_channels, module.in_features)]
            self.flattened_channels = None
        bias = None if module.bias is None else _numpy(module.bias)
        layer = Dense(module.out_features, use_bias=module.bias is not None)
        self.foldable = self.add(layer, shape, kernel=kernel, bias=bias)  # type: ignore[assignment]

    def conv(self, module: Any) -> None:
        if module.groups != 1 or tuple(module.dilation) != (1, 1):
            raise self.fail("with groups or dilation has no Keras Conv2D equivalent here")
        if module.padding_mode != "zeros":
            raise self.fail(f"pads with {module.padding_mode!r}; Keras pads with zeros")
        shape = self.with_size(self.channel_axis(), module.in_channels, 4)
        layer = Conv2D(
            module.out_channels,
            tuple(module.kernel_size),
            strides=tuple(module.stride),
            padding=self.conv_padding(module),
            data_format=self.data_format,
            use_bias=module.bias is not None,
        )
        kernel = _numpy(module.weight).transpose(2, 3, 1, 0)  # (kh, kw, in, out)
        bias = None if module.bias is None else _numpy(module.bias)
        self.foldable = self.add(layer, shape, kernel=kernel, bias=bias)  # type: ignore[assignment]

    def conv_padding(self, module: Any) -> str:
        """"valid" or "same": symmetric padding p at stride 1 with a kernel of 2p + 1 is Keras's
        "same"; other paddings place the image differently from Keras and are refused."""
        padding = module.padding
        if isinstance(padding, str):
            return padding
        kernel, stride = tuple(module.kernel_size), tuple(module.stride)
        if tuple(padding) == (0, 0):
            return "valid"
        if stride == (1, 1) and all(k == 2 * p + 1 for k, p in zip(kernel, padding)):
            return "same"
        raise self.fail(
            f"pads {tuple(padding)} with kernel {kernel} and stride {stride}; Keras has only "
            f"'valid' (no padding) and 'same' (kernel 2p + 1 at stride 1)"
        )

    def pool(self, module: Any) -> None:
        size = _pair(module.kernel_size)
        stride = _pair(module.stride if module.stride is not None else module.kernel_size)
        if _pair(module.padding) != (0, 0) or module.ceil_mode:
            raise self.fail(
                f"pads {module.padding} (ceil_mode={module.ceil_mode}); only unpadded pools "
                "have a Keras equivalent"
            )
        if getattr(module, "dilation", 1) not in (1, (1, 1)) or getattr(
            module, "divisor_override", None
        ):
            raise self.fail("with dilation or divisor_override has no Keras equivalent")
        kind = MaxPooling2D if isinstance(module, self.torch.nn.MaxPool2d) else AveragePooling2D
        shape = self.shape if self.shape is not None else (None,) * 4
        if len(shape) != 4:
            raise self.fail(f"expects a 4-D image input, got shape {shape}")
        self.add(kind(size, stride, data_format=self.data_format), shape)

    def flatten(self, module: Any) -> None:
        if module.start_dim != 1 or module.end_dim != -1:
            raise self.fail("must flatten every axis after the batch (start_dim=1, end_dim=-1)")
        if self.shape is None:
            raise self.fail(
                "flattens an input of unknown shape; pass input_shape=(channels, height, width) "
                "(or (features,)) so that PyTorch's (C, H, W) order can be kept"
            )
        if len(self.shape) == 4:
            channels = self.shape[self.channel_axis()]
            if channels is None:
                raise self.fail("flattens images of unknown channels; pass input_shape")
            self.flattened_channels = channels if channels > 1 else None
        elif len(self.shape) != 2:
            raise self.fail(f"on a {len(self.shape)}-D input has no conversion here")
        self.add(Flatten(data_format=self.data_format), self.shape)

    def dropout(self, module: Any) -> None:
        shape = self.shape if self.shape is not None else (None, None)
        noise = None
        if isinstance(module, self.torch.nn.Dropout2d):  # whole channels
            noise = (None, None, 1, 1) if self.data_format == "channels_first" else (
                None, 1, 1, None)  # fmt: skip
        self.add(Dropout(module.p, noise_shape=noise), shape)

    def batch_norm(self, module: Any) -> None:
        if not module.track_running_stats or module.running_mean is None:
            raise self.fail("has no running statistics (track_running_stats=False)")
        features = module.num_features
        is_2d = isinstance(module, self.torch.nn.BatchNorm2d)
        axis = self.channel_axis() if is_2d else -1
        shape = self.with_size(axis, features, 4 if is_2d else 2)
        momentum = 0.99 if module.momentum is None else 1 - module.momentum
        layer = BatchNormalization(
            axis=axis, momentum=momentum, epsilon=module.eps, center=module.affine,
            scale=module.affine,
        )  # fmt: skip
        arrays = {
            "moving_mean": _numpy(module.running_mean),
            "moving_variance": _numpy(module.running_var),
        }
        if module.affine:
            arrays.update(gamma=_numpy(module.weight), beta=_numpy(module.bias))
        if self.flattened_channels is not None and not is_2d:
            order = _flatten_order(self.flattened_channels, features)
            arrays = {key: value[order] for key, value in arrays.items()}
        self.add(layer, shape, **arrays)

    def prelu(self, module: Any) -> None:
        alpha = _numpy(module.weight)
        shape = self.shape or (None, None if alpha.size == 1 else alpha.size)
        rank = len(shape)
        if alpha.size == 1:
            shared = tuple(range(1, rank))
        else:
            axis = self.channel_axis() % rank if rank == 4 else 1
            shape = self.with_size(axis, alpha.size, rank)
            shared = tuple(a for a in range(1, rank) if a != axis)
            if self.flattened_channels is not None and rank == 2:
                alpha = alpha[_flatten_order(self.flattened_channels, alpha.size)]
        layer = PReLU(shared_axes=shared or None)
        self.add(layer, shape)
        layer.alpha.data[...] = alpha.reshape(layer.alpha.shape)

    def softmax(self, module: Any) -> None:
        if module.dim is None:
            raise self.fail("has dim=None (an implicit axis); give nn.Softmax a dim")
        rank = self.rank()
        dim = module.dim
        if rank == 2 and dim in (1, -1) and isinstance(self.foldable, Dense):
            self.activation("softmax")
            return
        if self.data_format == "channels_last" and rank == 4:
            dim = {0: 0, 1: 3, 2: 1, 3: 2}[dim % 4]  # NCHW axis -> NHWC axis
        elif self.data_format == "channels_last" and rank is None and dim != -1:
            raise self.fail("on an input of unknown rank; pass input_shape")
        self.add(Softmax(axis=dim), self.shape or (None, None))

    def relu_variant(self, module: Any) -> None:
        nn = self.torch.nn
        shape = self.shape or (None, None)
        if isinstance(module, nn.LeakyReLU):
            if module.negative_slope == 0.01:  # nn.activations.leaky_relu's slope
                self.activation("leaky_relu")
            else:
                self.add(LeakyReLU(negative_slope=module.negative_slope), shape)
            return
        if module.min_val != 0:  # ReLU6 is Hardtanh(0, 6)
            raise self.fail(f"clips below at {module.min_val}; only a clip at 0 is a Keras ReLU")
        self.add(ReLU(max_value=float(module.max_val)), shape)

    def activation_name(self, module: Any) -> str | None:
        """The nn.activations name of an activation module, or None when it has none."""
        nn = self.torch.nn
        exact = {
            nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.SELU: "selu",
            nn.SiLU: "silu", nn.Softsign: "softsign",
        }  # fmt: skip
        kind = type(module)
        if kind in exact:
            return exact[kind]
        if kind is nn.GELU:
            if module.approximate != "none":
                raise self.fail("approximate='tanh' has no named chainrule activation")
            return "gelu"
        if kind is nn.ELU:
            if module.alpha != 1.0:
                raise self.fail(f"alpha={module.alpha} has no named chainrule activation (1.0)")
            return "elu"
        if kind is nn.Softplus:
            if module.beta != 1 or module.threshold < 20:
                raise self.fail("beta != 1 or threshold < 20 differs from chainrule's softplus")
            return "softplus"
        return None

    def activation(self, name: str) -> None:
        """Join the Dense / Conv2D just made (Keras's ``activation=``), else an Activation.
        Softmax joins only a Dense: a Conv2D's would run along its last axis, not channels."""
        layer = self.foldable
        joins = name != "softmax" or isinstance(layer, Dense)
        if layer is not None and layer.activation is activations.linear and joins:
            layer.activation = activations.get(name)
            self.foldable = None
            return
        self.add(Activation(name), self.shape or (None, None))


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))
