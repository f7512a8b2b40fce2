"""Keras's ``Flatten``: every axis but the batch one in a row, ``(N, 13, 13, 32) -> (N, 5408)``."""

from __future__ import annotations

import math
from typing import Any

from autograd import Tensor
from nn.layers.base import Layer, Shape
from nn.layers.convolutional import data_format_name

__all__ = ["Flatten"]


class Flatten(Layer):
    """Flattens each sample in Keras's order: a channels-last (H, W, C) map is read row by row,
    channels innermost. With ``data_format="channels_first"`` a (C, H, W) map is first moved to
    (H, W, C), as Keras does, so that a model's Dense weights mean the same in either format. A
    batch of scalars, shape (N,), becomes (N, 1)."""

    def __init__(self, data_format: str = "channels_last", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format_name("Flatten", data_format)
        self._build_if_declared()

    def call(self, x: Tensor) -> Tensor:
        if x.ndim == 0:
            raise ValueError(
                f"Flatten {self.name!r}: expected a batch (at least 1-D), got a 0-d tensor"
            )
        if self.data_format == "channels_first" and x.ndim > 2:
            x = x.transpose(0, *range(2, x.ndim), 1)  # (N, C, ...) -> (N, ..., C)
        return x.reshape(x.shape[0], -1)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        sizes = input_shape[1:]
        if any(n is None for n in sizes):
            return input_shape[0], None
        return input_shape[0], math.prod(sizes)  # type: ignore[arg-type]
