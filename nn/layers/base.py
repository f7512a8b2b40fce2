"""``Layer``: Keras's three parts — ``__init__`` stores the configuration, ``build`` creates the
weights once the input's shape is known, ``call`` computes.

Weights are made on the first call (Keras's lazy build) unless ``input_shape`` (without the
batch axis, as Keras writes it) is given, in which case they are made at construction. A layer
runs on the numpy ``Tensor`` engine; arrays passed in become float32 constants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Tensor
from nn import initializers, regularizers
from nn.module import Module

__all__ = ["Layer", "Shape", "as_input", "snake_case"]

Shape = tuple[int | None, ...]  # with the batch axis first, None where it is not known

_name_counts: dict[str, int] = {}


def _unique_name(base: str) -> str:
    """Keras's automatic names: ``dense``, ``dense_1``, ``dense_2``, ..."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def snake_case(name: str) -> str:
    """Keras's names from class names: ``Conv2D`` → ``conv2d``, ``ReLU`` → ``re_lu``,
    ``KLDivergence`` → ``kl_divergence`` (layers and losses are named by it)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def as_input(x: Any, dtype: Any = np.float32) -> Tensor:
    """A layer's input as a Tensor: a Tensor as it is, anything else a constant of ``dtype``."""
    if isinstance(x, Tensor):
        return x
    try:
        array = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as error:
        message = f"a layer's input must be numbers, got {type(x).__name__}: {error}"
        raise TypeError(message) from None
    return Tensor._leaf(array)


class Layer(Module):
    """The base of every Keras-style layer (``Dense``, ``Conv2D``, ...)."""

    def __init__(
        self,
        input_shape: Sequence[int] | None = None,
        name: str | None = None,
        trainable: bool = True,
        dtype: Any = "float32",
    ) -> None:
        self.name = name or _unique_name(snake_case(type(self).__name__))
        self._weights_trainable: dict[str, bool] = {}  # each weight's own nature, by name
        self.trainable = trainable
        self.dtype = np.dtype(dtype)
        self.built = False
        self._regularizers: dict[str, Any] = {}
        self._input_shape: Shape | None = None
        if input_shape is not None:
            self._declared_input_shape: Shape | None = (None, *_check_shape(input_shape, self))
        else:
            self._declared_input_shape = None

    # ----- the three parts -----

    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis first); called once."""

    def call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define call(x)")

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output's shape for inputs of ``input_shape`` (batch axis first)."""
        return input_shape

    def __call__(self, x: Any) -> Tensor:
        x = as_input(x, self.dtype)
        if not self.built:
            self.build_for(x.shape)
        return self.call(x)

    def build_for(self, input_shape: Sequence[int | None]) -> None:
        """Build once for ``input_shape`` (batch axis first); a no-op when already built."""
        if self.built:
            return
        shape = tuple(input_shape)
        self.build(shape)
        self._input_shape = (None, *shape[1:])
        self.built = True

    # ----- weights -----

    def add_weight(
        self,
        name: str,
        shape: Sequence[int],
        initializer: Any = "glorot_uniform",
        regularizer: Any = None,
        trainable: bool = True,
    ) -> Tensor:
        """A new weight of ``shape``, drawn by ``initializer``; the caller stores it as attribute
        ``name``. A non-trainable weight is a buffer (saved, not optimized)."""
        shape = tuple(int(n) for n in shape)
        data = initializers.get(initializer)(shape, dtype=self.dtype)
        weight = Tensor(np.asarray(data, dtype=self.dtype), dtype=self.dtype, label=name)
        self._weights_trainable[name] = trainable
        self._freeze(name, weight, not (trainable and self.trainable))
        if regularizer is not None:
            self._regularizers[name] = regularizers.get(regularizer)
        return weight

    @property
    def trainable(self) -> bool:
        """Whether ``fit`` may change this layer's weights. Setting it (also after the build, as
        in Keras) freezes or thaws the weights of this layer and every layer inside it: a
        frozen weight is a buffer, saved but not optimized. Compile again after changing it."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for module in self.modules():
            if isinstance(module, Layer):
                module._trainable = bool(value)
                for name, own in module._weights_trainable.items():
                    weight = getattr(module, name, None)
                    if isinstance(weight, Tensor):
                        module._freeze(name, weight, not (own and value))

    def _freeze(self, name: str, weight: Tensor, frozen: bool) -> None:
        """Make ``weight`` a buffer (frozen) or a parameter, in place."""
        names = self.__dict__.setdefault("_buffer_names", [])
        weight.requires_grad = not frozen
        if frozen:
            weight.grad = None
            if name not in names:
                names.append(name)
        elif name in names:
            names.remove(name)

    def _own_penalties(self) -> list[Tensor]:
        """This layer's regularization penalties as graph nodes (one per regularized weight)."""
        return [rule(getattr(self, name)) for name, rule in self._regularizers.items()]

    def count_params(self) -> int:
        """The number of numbers in this layer's weights (trainable or not)."""
        return sum(int(np.size(w.data)) for w in self.parameters()) + sum(
            int(np.size(b.data if isinstance(b, Tensor) else b)) for b in self.buffers()
        )

    # ----- shapes -----

    @property
    def input_shape(self) -> Shape | None:
        """The input shape with ``None`` for the batch axis, once known."""
        return self._input_shape or self._declared_input_shape

    def _build_if_declared(self) -> None:
        """Build at construction when ``input_shape`` was given (call at the end of __init__)."""
        if self._declared_input_shape is not None:
            self.build_for(self._declared_input_shape)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def _check_shape(shape: Sequence[int], layer: Layer) -> tuple[int, ...]:
    try:
        dims = tuple(int(n) for n in shape)
    except TypeError:
        raise TypeError(
            f"{type(layer).__name__}: input_shape must be a tuple of sizes without the batch "
            f"axis, such as (30,) or (28, 28, 1); got {shape!r}"
        ) from None
    if any(n < 1 for n in dims):
        raise ValueError(f"{type(layer).__name__}: input_shape sizes must be positive, got {shape}")
    return dims

