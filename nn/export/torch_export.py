"""``to_torch``: the plan as a ``torch.nn.Sequential``, with the few modules PyTorch lacks."""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from nn.export.common import float32, import_torch
from nn.export.plan import Op, make_plan


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
    torch = import_torch("to_torch")
    steps, _, _ = make_plan(model, "to_torch", input_shape)
    children: OrderedDict[str, Any] = OrderedDict()
    for step in steps:
        for suffix, module in _torch_modules(step, torch):
            key = step.name + suffix
            while key in children:
                key += "_"
            children[key] = module
    return torch.nn.Sequential(children).eval()


def _torch_modules(step: Op, torch: Any) -> list[tuple[str, Any]]:
    """The torch modules of one step, each with a suffix for its child name."""
    nn = torch.nn
    classes = torch_classes()
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
                getattr(module, name).copy_(torch.from_numpy(float32(array)))
    return module


def _torch_conv(step: Op, torch: Any) -> list[tuple[str, Any]]:
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


def _torch_pool(step: Op, torch: Any) -> list[tuple[str, Any]]:
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
    return [("", torch_classes().SamePaddingAvgPool2d(size, strides, pads))]


def _torch_batch_norm(step: Op, torch: Any) -> Any:
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
        "step": torch_classes().StepFunction,
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
    return torch_classes().KerasReLU(max_value, options["negative_slope"], options["threshold"])


def _torch_prelu(alpha: np.ndarray, torch: Any) -> Any:
    """nn.PReLU when α is one number or one per channel (axis 1); else BroadcastPReLU."""
    if alpha.size == 1 or (alpha.shape[0] == alpha.size):
        module = torch.nn.PReLU(alpha.size, dtype=torch.float32)
        return _load(torch, module, weight=alpha.reshape(-1))
    return torch_classes().BroadcastPReLU(alpha)


TORCH_CLASS_NAMES = ("BroadcastPReLU", "KerasReLU", "Permute", "SamePaddingAvgPool2d",
                      "StepFunction")  # fmt: skip


@functools.cache
def torch_classes() -> SimpleNamespace:
    """The few torch modules PyTorch lacks, made on first use (torch is optional). They are
    attributes of the package (``nn.export.Permute``), so a saved torch model unpickles."""
    torch = import_torch("to_torch")
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
            self.weight = torch.nn.Parameter(torch.from_numpy(float32(alpha)))

        def forward(self, x: Any) -> Any:
            return x.clamp(min=0) + self.weight * x.clamp(max=0)

    classes = SimpleNamespace(
        BroadcastPReLU=BroadcastPReLU,
        KerasReLU=KerasReLU,
        Permute=Permute,
        SamePaddingAvgPool2d=SamePaddingAvgPool2d,
        StepFunction=StepFunction,
    )
    for name in TORCH_CLASS_NAMES:
        kind = getattr(classes, name)
        kind.__module__, kind.__qualname__ = "nn.export", name
    return classes
