"""Activations as layers, as Keras has them: ``Activation("relu")``, ``ReLU``, ``LeakyReLU``,
``PReLU`` (whose negative slope is learned) and ``Softmax``. Each is elementwise (Softmax along
an axis), so the output has the input's shape."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from autograd import Tensor
from nn import activations, initializers
from nn.layers.base import Layer, Shape

__all__ = ["Activation", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


class Activation(Layer):
    """Applies an activation function: ``Activation("relu")``, or any name or callable that
    ``nn.activations.get`` accepts."""

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self._build_if_declared()

    def call(self, x: Tensor) -> Tensor:
        return self.activation(x)

    def extra_repr(self) -> str:
        return f"{getattr(self.activation, '__name__', 'custom')!r}, name={self.name!r}"


class ReLU(Layer):
    """Keras's ReLU layer: max(x, 0) by default. Its options follow Keras's formula,

        clip(x · [x > threshold], 0, max_value) − negative_slope · relu(threshold − x),

    so ``ReLU(max_value=6)`` is relu6 and ``ReLU(negative_slope=0.1)`` a leaky relu."""

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if max_value is not None and not max_value >= 0:
            raise ValueError(f"ReLU: max_value must be >= 0 or None, got {max_value!r}")
        if not negative_slope >= 0:
            raise ValueError(f"ReLU: negative_slope must be >= 0, got {negative_slope!r}")
        if threshold is None:
            raise ValueError("ReLU: threshold must be a number, got None")
        self.max_value = max_value
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)
        self._build_if_declared()

    def call(self, x: Tensor) -> Tensor:
        slope, threshold = self.negative_slope, self.threshold
        if self.max_value is None and threshold == 0:
            return x.relu() if slope == 0 else x.leaky_relu(slope)
        y = x * (x > threshold).data.astype(x.dtype) if threshold != 0 else x.relu()
        if self.max_value is not None:
            y = y.clip(0, self.max_value)
        if slope:
            y = y - (threshold - x).relu() * slope
        return y

    def extra_repr(self) -> str:
        return (
            f"max_value={self.max_value}, negative_slope={self.negative_slope}, "
            f"threshold={self.threshold}, name={self.name!r}"
        )


class LeakyReLU(Layer):
    """x for x > 0, ``negative_slope`` · x otherwise. The default slope is Keras's layer's 0.3
    (the function ``nn.activations.leaky_relu`` defaults to PyTorch's 0.01); ``alpha=`` is
    Keras 2's name for it."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            alpha = kwargs.pop("alpha")
            if negative_slope != 0.3 and negative_slope != alpha:
                raise ValueError(
                    f"LeakyReLU: got negative_slope={negative_slope!r} and alpha={alpha!r}, two "
                    "names for the same slope; give one"
                )
            negative_slope = alpha
        super().__init__(**kwargs)
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
            raise TypeError(f"LeakyReLU: negative_slope must be a number, got {negative_slope!r}")
        if not negative_slope >= 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)
        self._build_if_declared()

    def call(self, x: Tensor) -> Tensor:
        return activations.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}, name={self.name!r}"


class PReLU(Layer):
    """A leaky ReLU whose negative slope α is learned: relu(x) + α · min(x, 0).

    As in Keras, α has one entry per input feature (the shape of a sample), except along
    ``shared_axes`` (axis numbers counting the batch as 0), where one α serves the whole axis:
    on (N, H, W, C) images ``shared_axes=[1, 2]`` learns one α per channel, as PyTorch's
    ``nn.PReLU(C)`` does. α starts at ``alpha_initializer`` (Keras's zeros; PyTorch's is 0.25).
    """

    def __init__(
        self,
        alpha_initializer: Any = "zeros",
        alpha_regularizer: Any = None,
        shared_axes: int | Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = alpha_regularizer
        if shared_axes is None:
            self.shared_axes: tuple[int, ...] = ()
        else:
            axes = (shared_axes,) if isinstance(shared_axes, int) else tuple(shared_axes)
            if any(isinstance(a, bool) or not isinstance(a, int) or a < 1 for a in axes):
                raise ValueError(
                    f"PReLU: shared_axes are axis numbers >= 1 (0 is the batch), got "
                    f"{shared_axes!r}"
                )
            self.shared_axes = axes
        self._build_if_declared()

    def build(self, input_shape: Shape) -> None:
        rank = len(input_shape)
        if rank < 2:
            raise ValueError(
                f"PReLU {self.name!r}: expected a batch of samples (at least 2-D), got input "
                f"shape {tuple(input_shape)}"
            )
        if any(a >= rank for a in self.shared_axes):
            raise ValueError(
                f"PReLU {self.name!r}: shared_axes {self.shared_axes} do not fit input shape "
                f"{tuple(input_shape)} (axes 1 to {rank - 1})"
            )
        shape = [1 if axis in self.shared_axes else n for axis, n in enumerate(input_shape)][1:]
        if None in shape:
            raise ValueError(
                f"PReLU {self.name!r}: axis sizes must be known to make alpha, got input shape "
                f"{tuple(input_shape)}; share the unknown axes (shared_axes)"
            )
        self.alpha = self.add_weight(
            "alpha", shape, self.alpha_initializer, self.alpha_regularizer
        )

    def call(self, x: Tensor) -> Tensor:
        alpha_shape = self.alpha.shape
        sample = x.shape[1:]
        if len(sample) != len(alpha_shape) or any(
            a not in (1, n) for a, n in zip(alpha_shape, sample)
        ):
            raise ValueError(
                f"PReLU {self.name!r}: alpha of shape {alpha_shape} does not fit input shape "
                f"{x.shape}"
            )
        return activations.prelu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"shared_axes={list(self.shared_axes) or None}, name={self.name!r}"


class Softmax(Layer):
    """e^x / Σ e^x along ``axis`` (the last by default): each slice sums to 1."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Softmax: axis must be an int, got {axis!r}")
        self.axis = axis
        self._build_if_declared()

    def call(self, x: Tensor) -> Tensor:
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(
                f"Softmax {self.name!r}: axis {self.axis} is out of range for input shape "
                f"{x.shape}"
            )
        return activations.softmax(x, self.axis)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def extra_repr(self) -> str:
        return f"axis={self.axis}, name={self.name!r}"
