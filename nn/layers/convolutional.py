"""Keras's ``Conv2D``: ``Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))``.

Images are channels-last, (batch, height, width, channels), as in Keras; with
``data_format="channels_first"`` they are PyTorch's (batch, channels, height, width). The kernel
is stored as Keras stores it, (kernel height, kernel width, input channels, filters), so that
initializers read its fans as Keras does (fan_in = kh·kw·in_channels). The helpers below (pairs,
data formats, "same" padding, output sizes) are shared with the pooling layers.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

from autograd import Tensor, conv2d
from nn import activations, initializers
from nn.layers.base import Layer, Shape

__all__ = ["Conv2D"]

DATA_FORMATS = {"channels_last": "NHWC", "channels_first": "NCHW"}  # Keras's names, the engine's


class Conv2D(Layer):
    """A 2-D convolution (cross-correlation, as every deep-learning library computes it):
    ``filters`` kernels of ``kernel_size`` slide over the image with ``strides``; ``padding``
    is ``"valid"`` (none: the output shrinks) or ``"same"`` (zeros around the image, so that the
    output is ceil(input / stride) pixels, the extra pixel at the bottom and right as in Keras)."""

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str = "channels_last",
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        input_shape: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(input_shape=input_shape, **kwargs)
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters < 1:
            raise ValueError(f"Conv2D: filters must be a positive int, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = pair("Conv2D", "kernel_size", kernel_size)
        self.strides = pair("Conv2D", "strides", strides)
        self.padding = padding_name("Conv2D", padding)
        self.data_format = data_format_name("Conv2D", data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self._build_if_declared()

    def build(self, input_shape: Shape) -> None:
        check_image(self, input_shape)
        channels = input_shape[channel_axis(self.data_format)]
        if channels is None:
            raise ValueError(
                f"Conv2D {self.name!r}: the number of input channels must be known to make the "
                f"kernel, got input shape {input_shape}"
            )
        check_window_fits(self, "kernel", self.kernel_size, self.padding, input_shape)
        self.kernel = self.add_weight(
            "kernel",
            (*self.kernel_size, channels, self.filters),
            self.kernel_initializer,
            self.kernel_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", (self.filters,), self.bias_initializer, self.bias_regularizer
            )

    def call(self, x: Tensor) -> Tensor:
        check_image(self, x.shape)
        axis = channel_axis(self.data_format)
        expected = self.kernel.shape[2]
        if x.shape[axis] != expected:
            raise ValueError(
                f"Conv2D {self.name!r}: expected {expected} input channel(s) on axis {axis} "
                f"({self.data_format}), got {x.shape[axis]} (input shape {x.shape})"
            )
        check_window_fits(self, "kernel", self.kernel_size, self.padding, x.shape)
        padding: Any = 0
        if self.padding == "same":
            height, width = spatial_sizes(x.shape, self.data_format)
            padding = (
                same_padding(height, self.kernel_size[0], self.strides[0]),
                same_padding(width, self.kernel_size[1], self.strides[1]),
            )
        layout = DATA_FORMATS[self.data_format]
        # The engine takes Keras's kernel layout channels-last and PyTorch's channels-first.
        kernel = self.kernel if layout == "NHWC" else self.kernel.transpose(3, 2, 0, 1)
        bias = self.bias if self.use_bias else None
        y = conv2d(x, kernel, bias, stride=self.strides, padding=padding, data_format=layout)
        return self.activation(y)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_image(self, input_shape)
        check_window_fits(self, "kernel", self.kernel_size, self.padding, input_shape)
        height, width = spatial_sizes(input_shape, self.data_format)
        rows = output_size(height, self.kernel_size[0], self.strides[0], self.padding)
        columns = output_size(width, self.kernel_size[1], self.strides[1], self.padding)
        return image_shape(input_shape[0], rows, columns, self.filters, self.data_format)

    def extra_repr(self) -> str:
        name = getattr(self.activation, "__name__", "custom")
        return (
            f"{self.filters}, kernel_size={self.kernel_size}, strides={self.strides}, "
            f"padding={self.padding!r}, activation={name!r}, name={self.name!r}"
        )


# ----- helpers shared with the pooling layers -----


def pair(layer: str, name: str, value: Any) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each positive, as a pair."""
    try:
        values = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
        values = tuple(operator.index(v) for v in values)
    except TypeError:
        values = ()
    if len(values) != 2 or min(values) < 1 or any(isinstance(v, bool) for v in values):
        raise ValueError(
            f"{layer}: {name} must be a positive int or a pair of them (height, width), "
            f"got {value!r}"
        )
    return values  # type: ignore[return-value]


def padding_name(layer: str, padding: Any) -> str:
    """``"valid"`` or ``"same"`` (any case, as Keras accepts)."""
    name = padding.lower() if isinstance(padding, str) else padding
    if name not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return name


def data_format_name(layer: str, data_format: Any) -> str:
    """``"channels_last"`` (Keras's default; None means it too) or ``"channels_first"``."""
    name = "channels_last" if data_format is None else data_format
    if name not in DATA_FORMATS:
        raise ValueError(
            f"{layer}: data_format must be 'channels_last' (batch, height, width, channels) or "
            f"'channels_first' (batch, channels, height, width), got {data_format!r}"
        )
    return name


def channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else 1


def spatial_sizes(shape: Shape, data_format: str) -> tuple[int | None, int | None]:
    """(height, width) of a 4-D image shape."""
    return (shape[1], shape[2]) if data_format == "channels_last" else (shape[2], shape[3])


def image_shape(
    batch: int | None, height: int | None, width: int | None, channels: int | None,
    data_format: str,
) -> Shape:
    if data_format == "channels_last":
        return batch, height, width, channels
    return batch, channels, height, width


def check_image(layer: Layer, shape: Shape) -> None:
    """A 4-D image shape, or an error naming the layer, the expected axes and the shape."""
    if len(shape) != 4:
        axes = (
            "(batch, height, width, channels)"
            if layer.data_format == "channels_last"  # type: ignore[attr-defined]
            else "(batch, channels, height, width)"
        )
        hint = " (add a channel axis, e.g. x[..., None])" if len(shape) == 3 else ""
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r}: expected a 4-D input {axes}, got shape "
            f"{tuple(shape)}{hint}"
        )


def check_window_fits(
    layer: Layer, what: str, window: tuple[int, int], padding: str, shape: Shape
) -> None:
    """With "valid" padding a window larger than the image leaves no output: say so."""
    if padding != "valid":
        return
    height, width = spatial_sizes(shape, layer.data_format)  # type: ignore[attr-defined]
    if (height is not None and window[0] > height) or (width is not None and window[1] > width):
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r}: {what} {window} is larger than the input's "
            f"height and width ({height}, {width}) (input shape {tuple(shape)}); use "
            f"padding='same' or a smaller {what}"
        )


def output_size(size: int | None, window: int, stride: int, padding: str) -> int | None:
    """Output length along one axis: ceil(size / stride) for "same", else the number of whole
    windows, floor((size - window) / stride) + 1."""
    if size is None:
        return None
    if padding == "same":
        return math.ceil(size / stride)
    return (size - window) // stride + 1


def same_padding(size: int, window: int, stride: int) -> tuple[int, int]:
    """(before, after) padding that gives ceil(size / stride) outputs, as TensorFlow and Keras
    pad: as much as needed, split in half with the odd pixel after."""
    total = max((math.ceil(size / stride) - 1) * stride + window - size, 0)
    return total // 2, total - total // 2
