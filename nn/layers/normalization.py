"""Keras's ``BatchNormalization`` (Ioffe & Szegedy 2015): standardize each feature over the batch.

In training, each feature (a Dense unit, or a Conv2D channel: ``axis`` names it, the last by
default) is standardized with the batch's mean and biased variance, then scaled by ``gamma`` and
shifted by ``beta`` (both learned):

    y = gamma · (x − mean) / sqrt(variance + epsilon) + beta

and the moving statistics are updated as Keras updates them,

    moving = moving · momentum + batch statistic · (1 − momentum).

In evaluation (``model.eval()``) the moving statistics stand in for the batch's. The moving
statistics are buffers: saved with the weights, never optimized, counted as non-trainable.

Two conventions differ from PyTorch's ``BatchNorm1d/2d``: PyTorch's ``momentum`` is the weight
of the NEW statistic (torch_momentum = 1 − keras_momentum; Keras's 0.99 is PyTorch's 0.01,
PyTorch's default 0.1 is Keras's 0.9), and PyTorch updates its running variance with the
unbiased batch variance (divided by n − 1) where Keras uses the biased one (divided by n), the
one it normalizes with. The forward passes are the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import Tensor
from nn import initializers
from nn.layers.base import Layer, Shape

__all__ = ["BatchNormalization"]


class BatchNormalization(Layer):
    """``BatchNormalization()`` after ``Dense`` (one mean per unit) or ``Conv2D`` (one per
    channel; ``axis=1`` for channels-first images)."""

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"BatchNormalization: axis must be an int, got {axis!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization: momentum must be in [0, 1], got {momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"BatchNormalization: epsilon must be positive, got {epsilon!r}")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self._build_if_declared()

    def build(self, input_shape: Shape) -> None:
        axis = self._feature_axis(input_shape)
        features = input_shape[axis]
        if features is None:
            raise ValueError(
                f"BatchNormalization {self.name!r}: the size of axis {self.axis} must be known, "
                f"got input shape {tuple(input_shape)}"
            )
        shape = (features,)
        if self.scale:
            self.gamma = self.add_weight(
                "gamma", shape, self.gamma_initializer, self.gamma_regularizer
            )
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer)
        self.moving_mean = self.add_weight(
            "moving_mean", shape, self.moving_mean_initializer, trainable=False
        )
        self.moving_variance = self.add_weight(
            "moving_variance", shape, self.moving_variance_initializer, trainable=False
        )
        self._rank = len(input_shape)

    def call(self, x: Tensor) -> Tensor:
        axis = self._check_input(x.shape)
        others = tuple(i for i in range(x.ndim) if i != axis)
        features = x.shape[axis]
        # The (features,) weights, shaped to broadcast along ``axis`` (free when it is the last).
        broadcast = tuple(features if i == axis else 1 for i in range(x.ndim))
        if self.training and self.trainable:
            mean = x.mean(others, keepdims=True)
            variance = x.var(others, keepdims=True)  # biased (divided by n), as Keras
            self._update_moving_statistics(mean.data, variance.data)
            y = (x - mean) / (variance + self.epsilon).sqrt()
        else:  # Keras also runs a frozen (trainable=False) layer in inference mode
            mean = self.moving_mean.data.reshape(broadcast)
            inverse_std = 1 / np.sqrt(self.moving_variance.data.reshape(broadcast) + self.epsilon)
            y = (x - mean.astype(x.dtype)) * inverse_std.astype(x.dtype)
        if self.scale:
            y = y * _along(self.gamma, broadcast, axis)
        if self.center:
            y = y + _along(self.beta, broadcast, axis)
        return y

    def _update_moving_statistics(self, mean: np.ndarray, variance: np.ndarray) -> None:
        """moving = moving · momentum + batch · (1 − momentum), in place (outside the graph)."""
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            batch = batch.reshape(-1).astype(moving.dtype)
            moving.data[...] = moving.data * self.momentum + batch * (1 - self.momentum)

    def _feature_axis(self, shape: Shape) -> int:
        rank = len(shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"BatchNormalization {self.name!r}: axis {self.axis} is not a feature axis of "
                f"input shape {tuple(shape)} (axis 0 is the batch)"
            )
        return self.axis % rank

    def _check_input(self, shape: tuple[int, ...]) -> int:
        if len(shape) != self._rank:
            raise ValueError(
                f"BatchNormalization {self.name!r}: built for {self._rank}-D inputs, got shape "
                f"{shape}"
            )
        axis = self._feature_axis(shape)
        expected = self.moving_mean.shape[0]
        if shape[axis] != expected:
            raise ValueError(
                f"BatchNormalization {self.name!r}: expected {expected} features on axis "
                f"{self.axis}, got {shape[axis]} (input shape {shape})"
            )
        return axis

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        self._feature_axis(input_shape)
        return input_shape

    def extra_repr(self) -> str:
        return f"axis={self.axis}, momentum={self.momentum}, epsilon={self.epsilon}"


def _along(weight: Tensor, broadcast: tuple[int, ...], axis: int) -> Tensor:
    """A (features,) weight shaped to broadcast along ``axis`` of the input."""
    return weight if axis == len(broadcast) - 1 else weight.reshape(broadcast)
