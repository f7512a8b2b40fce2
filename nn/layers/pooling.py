"""Keras's 2-D pooling layers: ``MaxPooling2D`` and ``AveragePooling2D``.

Each output pixel is the max (or the mean) of a ``pool_size`` window, windows ``strides`` apart
(by default the pool size: windows side by side). With ``padding="same"`` the image is padded as
Keras pads it (to ceil(size / stride) outputs, the odd pixel at the bottom and right): with -inf
for the max, which no real pixel loses to; and the average is over the real pixels only, as in
Keras (PyTorch's ``count_include_pad=True`` would count the zeros).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, avg_pool2d, max_pool2d, pad
from nn.layers.base import Layer, Shape
from nn.layers.convolutional import (
    DATA_FORMATS,
    check_image,
    check_window_fits,
    data_format_name,
    image_shape,
    output_size,
    padding_name,
    pair,
    same_padding,
    spatial_sizes,
)

__all__ = ["AveragePooling2D", "AvgPool2D", "MaxPool2D", "MaxPooling2D"]


class _Pooling2D(Layer):
    """What both pools share: the arguments, the shapes, the errors and the "same" padding."""

    _pool: Callable[..., Tensor]  # the engine's op for "valid" windows

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str = "channels_last",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.pool_size = pair(kind, "pool_size", pool_size)
        self.strides = self.pool_size if strides is None else pair(kind, "strides", strides)
        self.padding = padding_name(kind, padding)
        self.data_format = data_format_name(kind, data_format)
        self._build_if_declared()

    def build(self, input_shape: Shape) -> None:
        check_image(self, input_shape)
        check_window_fits(self, "pool_size", self.pool_size, self.padding, input_shape)

    def call(self, x: Tensor) -> Tensor:
        check_image(self, x.shape)
        check_window_fits(self, "pool_size", self.pool_size, self.padding, x.shape)
        layout = DATA_FORMATS[self.data_format]
        if self.padding == "same":
            height, width = spatial_sizes(x.shape, self.data_format)
            rows = same_padding(height, self.pool_size[0], self.strides[0])
            columns = same_padding(width, self.pool_size[1], self.strides[1])
            if any((*rows, *columns)):
                return self._pool_same(x, rows, columns, layout)
        return self._pool(x, self.pool_size, self.strides, layout)

    def _pool_same(
        self, x: Tensor, rows: tuple[int, int], columns: tuple[int, int], layout: str
    ) -> Tensor:
        """Pool with ``rows`` and ``columns`` (before, after) of padding around the image."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        check_image(self, input_shape)
        check_window_fits(self, "pool_size", self.pool_size, self.padding, input_shape)
        height, width = spatial_sizes(input_shape, self.data_format)
        channels = input_shape[-1 if self.data_format == "channels_last" else 1]
        (kh, kw), (sh, sw) = self.pool_size, self.strides
        return image_shape(
            input_shape[0],
            output_size(height, kh, sh, self.padding),
            output_size(width, kw, sw, self.padding),
            channels,
            self.data_format,
        )

    def extra_repr(self) -> str:
        return (
            f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}, "
            f"name={self.name!r}"
        )


class MaxPooling2D(_Pooling2D):
    """The largest value of each window: ``MaxPooling2D((2, 2))`` halves height and width."""

    _pool = staticmethod(max_pool2d)

    def _pool_same(
        self, x: Tensor, rows: tuple[int, int], columns: tuple[int, int], layout: str
    ) -> Tensor:
        padded = pad(x, _spatial_widths(rows, columns, layout), value=-np.inf)
        return max_pool2d(padded, self.pool_size, self.strides, data_format=layout)


class AveragePooling2D(_Pooling2D):
    """The mean of each window: ``AveragePooling2D((2, 2))``; with padding="same" a window at
    the border averages only its real pixels."""

    _pool = staticmethod(avg_pool2d)

    def _pool_same(
        self, x: Tensor, rows: tuple[int, int], columns: tuple[int, int], layout: str
    ) -> Tensor:
        padded = pad(x, _spatial_widths(rows, columns, layout))
        mean_with_zeros = avg_pool2d(padded, self.pool_size, self.strides, data_format=layout)
        # The pool divided by kh·kw; a border window holds fewer real pixels, so rescale it.
        height, width = spatial_sizes(x.shape, self.data_format)
        counts = np.outer(
            _real_counts(height, self.pool_size[0], self.strides[0], rows[0]),
            _real_counts(width, self.pool_size[1], self.strides[1], columns[0]),
        )
        scale = (self.pool_size[0] * self.pool_size[1]) / counts  # (OH, OW)
        if layout == "NHWC":
            scale = scale[:, :, None]
        return mean_with_zeros * scale.astype(mean_with_zeros.dtype)


MaxPool2D = MaxPooling2D  # Keras's short names for the same classes
AvgPool2D = AveragePooling2D


def _spatial_widths(rows: tuple[int, int], columns: tuple[int, int], layout: str) -> tuple:
    """``pad``'s widths for padding only the height and width of an image in ``layout``."""
    none = (0, 0)
    return (none, rows, columns, none) if layout == "NHWC" else (none, none, rows, columns)


def _real_counts(size: int, window: int, stride: int, before: int) -> np.ndarray:
    """How many real (not padding) pixels each window holds along one axis."""
    starts = np.arange(output_size(size, window, stride, "same")) * stride - before
    return np.minimum(starts + window, size) - np.maximum(starts, 0)
