"""Keras's ``Dropout``: zero a random fraction ``rate`` of the inputs while training."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from autograd import Tensor, dropout
from nn.layers.base import Layer
from nn.random import global_rng, make_rng

__all__ = ["Dropout"]


class Dropout(Layer):
    """Inverted dropout: in training each input is zeroed with probability ``rate`` and the rest
    are scaled by 1 / (1 − rate), so that evaluation (``model.eval()``) is the identity.

    Each call draws a fresh mask. ``seed`` (an int) makes the sequence of masks reproducible: it
    seeds this layer's own generator once; without it masks come from ``nn.random.global_rng()``
    (which ``nn.random.set_random_seed`` seeds). ``noise_shape`` shares one mask entry along the
    axes where it is 1, as in Keras: ``noise_shape=(None, 1, 1, None)`` on (N, H, W, C) drops whole
    channels; None entries take the input's size.
    """

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(
                f"Dropout: rate is the fraction of inputs to drop and must be in [0, 1), got "
                f"{rate!r}"
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = None if seed is None else make_rng(seed)
        self._build_if_declared()

    def call(self, x: Tensor) -> Tensor:
        if not self.training or self.rate == 0:
            return x
        rng = self._rng if self._rng is not None else global_rng()
        if self.noise_shape is None:
            return dropout(x, self.rate, training=True, rng=rng)
        shape = self._mask_shape(x.shape)
        keep = rng.random(shape) >= self.rate
        return x * (keep * (1 / (1 - self.rate))).astype(x.dtype)

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        noise = self.noise_shape or ()
        mask = tuple(size if n is None else int(n) for n, size in zip(noise, shape))
        if len(noise) != len(shape) or any(m not in (1, size) for m, size in zip(mask, shape)):
            raise ValueError(
                f"Dropout {self.name!r}: noise_shape {self.noise_shape} does not fit the input "
                f"shape {shape} (each entry must be None, 1 or the input's size)"
            )
        return mask

    def extra_repr(self) -> str:
        return f"rate={self.rate}, name={self.name!r}"

