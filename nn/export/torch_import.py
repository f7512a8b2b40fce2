"""``from_torch``: a ``torch.nn.Sequential`` (nested ones too) read back as a chainrule
``Sequential``, module by module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nn import activations
from nn.export.common import ExportError, float32, import_torch
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
    MaxPooling2D,
    PReLU,
    ReLU,
    Softmax,
)
from nn.layers.base import Shape
from nn.models import Sequential

FROM_MODULES = (
    "Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, Dropout2d, BatchNorm1d, "
    "BatchNorm2d, ReLU, ReLU6, Hardtanh(0, m), LeakyReLU, PReLU, ELU(alpha=1), SELU, GELU, SiLU, "
    "Sigmoid, Tanh, Softmax, Softplus, Softsign, Identity, nested Sequential"
)


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
    torch = import_torch("from_torch")
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
    return float32(tensor.detach().cpu().numpy())


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
        """ "valid" or "same": symmetric padding p at stride 1 with a kernel of 2p + 1 is Keras's
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
