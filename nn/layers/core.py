"""Fully connected layers: Keras's ``Dense`` (kernel of shape (in, out), ``x @ W + b``) and
PyTorch's ``Linear`` (weight of shape (out, in), ``x @ Wᵀ + b``), for either habit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autograd import Tensor
from nn import activations, initializers
from nn.layers.base import Layer, Shape

__all__ = ["Dense", "Linear"]


class Dense(Layer):
    """``activation(x @ kernel + bias)`` on the last axis: ``Dense(16, activation="relu")``."""

    def __init__(
        self,
        units: int,
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
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self._build_if_declared()

    def build(self, input_shape: Shape) -> None:
        features = input_shape[-1]
        self.kernel = self.add_weight(
            "kernel", (features, self.units), self.kernel_initializer, self.kernel_regularizer
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", (self.units,), self.bias_initializer, self.bias_regularizer
            )

    def call(self, x: Tensor) -> Tensor:
        expected = self.kernel.shape[0]
        if x.ndim < 1 or x.shape[-1] != expected:
            raise ValueError(
                f"Dense {self.name!r}: expected {expected} input features, got "
                f"{x.shape[-1] if x.ndim else 0} (input shape {x.shape})"
            )
        y = x @ self.kernel
        if self.use_bias:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def extra_repr(self) -> str:
        name = getattr(self.activation, "__name__", "custom")
        return f"{self.units}, activation={name!r}, name={self.name!r}"


class Linear(Layer):
    """PyTorch's ``nn.Linear(in_features, out_features)``: ``x @ weight.T + bias``, weight and
    bias drawn from U(−1/√in, 1/√in) as PyTorch's default initialization does."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, **kwargs: Any):
        super().__init__(input_shape=(in_features,), **kwargs)
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Linear: {name} must be a positive int, got {value!r}")
        self.in_features, self.out_features, self.use_bias = in_features, out_features, bias
        self._build_if_declared()

    def build(self, input_shape: Shape) -> None:
        bound = 1 / math.sqrt(self.in_features)
        uniform = initializers.RandomUniform(-bound, bound)
        self.weight = self.add_weight("weight", (self.out_features, self.in_features), uniform)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.out_features,), uniform)

    def call(self, x: Tensor) -> Tensor:
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: expected {self.in_features} input features, got "
                f"{x.shape[-1] if x.ndim else 0} (input shape {x.shape})"
            )
        y = x @ self.weight.T
        return y + self.bias if self.use_bias else y

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
