"""Keras 3's random image layers: ``RandomFlip``, ``RandomRotation``, ``RandomTranslation``,
``RandomZoom``. Put them first in a ``Sequential``, before ``Conv2D``: each batch of training
images (N, H, W, C) is then seen flipped, turned, moved or zoomed at random, a fresh draw per
image and per batch, which is data augmentation inside the model.

Like ``Dropout`` they act only in training mode: in evaluation (``model.eval()``, ``evaluate``,
``predict``) they return their input untouched. An int ``seed`` seeds the layer's own generator
once; without one the draws come from ``nn.random.global_rng()``.

The resampling (``nn.image.affine_transform``) is numpy, outside the graph: the output is a
constant Tensor, so no gradient flows back into the images. Nothing before an augmentation layer
can be trained through it, which is why it belongs at the very start of the model.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd import Tensor
from nn.image import (
    FILL_MODES,
    INTERPOLATIONS,
    affine_transform,
    check_choice,
    check_images,
    flip_images,
    rotation_matrices,
    translation_matrices,
    zoom_matrices,
)
from nn.layers.base import Layer
from nn.random import SeedLike, global_rng, make_rng

__all__ = ["RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom"]

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomImageLayer(Layer):
    """The shared part: identity in evaluation mode; in training, ``augment`` the batch's pixels
    as a numpy array with this layer's generator and return them as a constant Tensor."""

    def __init__(self, seed: SeedLike = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = None if seed is None else make_rng(seed)

    def call(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        images = check_images(x.data, f"{type(self).__name__} {self.name!r}")
        rng = self._rng if self._rng is not None else global_rng()
        augmented = self.augment(images, rng)
        return Tensor._leaf(augmented.astype(x.dtype, copy=False))  # a constant: no gradient

    def augment(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The randomly changed copy of ``images`` (N, H, W, C)."""
        raise NotImplementedError(f"{type(self).__name__} must define augment(images, rng)")


class RandomFlip(RandomImageLayer):
    """Mirror each training image left to right (``"horizontal"``), upside down
    (``"vertical"``) or either, independently (``"horizontal_and_vertical"``), each with
    probability 1/2. A flip moves pixels exactly, with no interpolation."""

    def __init__(
        self, mode: str = "horizontal_and_vertical", seed: SeedLike = None, **kwargs: Any
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.mode = check_choice("RandomFlip", "mode", mode, FLIP_MODES)
        self._build_if_declared()

    def augment(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(images)
        horizontal = self.mode != "vertical" and rng.random(n) < 0.5
        vertical = self.mode != "horizontal" and rng.random(n) < 0.5
        return flip_images(images, horizontal, vertical)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, name={self.name!r}"


class RandomAffineLayer(RandomImageLayer):
    """A random layer that moves pixels by an affine map: it draws one inverse map per image
    (``matrices``) and resamples with ``nn.image.affine_transform``."""

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: SeedLike = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        owner = type(self).__name__
        self.fill_mode = check_choice(owner, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = check_choice(owner, "interpolation", interpolation, INTERPOLATIONS)
        self.fill_value = float(fill_value)

    def augment(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, height, width, _ = images.shape
        matrices = self.matrices(n, height, width, rng)
        return affine_transform(
            images, matrices, self.interpolation, self.fill_mode, self.fill_value
        )

    def matrices(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        """One random inverse map (3, 3) for each of n images of height × width."""
        raise NotImplementedError(f"{type(self).__name__} must define matrices")


class RandomRotation(RandomAffineLayer):
    """Turn each training image by a random angle about its centre, counter-clockwise for
    positive angles. ``factor`` is a fraction of a full turn: a number f draws from
    [−f·360°, f·360°], a pair (low, high) from [low·360°, high·360°]; ``(15/360, 15/360)`` turns
    by exactly 15°. Corners brought in from outside the image are filled by ``fill_mode``."""

    def __init__(
        self,
        factor: float | tuple[float, float],
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: SeedLike = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = factor
        low, high = factor_range("RandomRotation", "factor", factor)
        self.angle_range = (low * 360.0, high * 360.0)  # degrees
        self._build_if_declared()

    def matrices(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        angles = rng.uniform(*self.angle_range, size=n)
        return rotation_matrices(angles, height, width)

    def extra_repr(self) -> str:
        return f"factor={self.factor!r}, name={self.name!r}"


class RandomTranslation(RandomAffineLayer):
    """Move each training image by a random fraction of its size: ``height_factor`` down (a
    negative draw: up), ``width_factor`` right (negative: left). A number f draws from [−f, f],
    a pair (low, high) from [low, high]; ``width_factor=(0.25, 0.25)`` moves a 32-pixel-wide
    image exactly 8 pixels right. The uncovered border is filled by ``fill_mode``."""

    def __init__(
        self,
        height_factor: float | tuple[float, float],
        width_factor: float | tuple[float, float],
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: SeedLike = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_range = factor_range("RandomTranslation", "height_factor", height_factor)
        self.width_range = factor_range("RandomTranslation", "width_factor", width_factor)
        self._build_if_declared()

    def matrices(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        down = rng.uniform(*self.height_range, size=n) * height
        right = rng.uniform(*self.width_range, size=n) * width
        return translation_matrices(right, down)

    def extra_repr(self) -> str:
        return (
            f"height_factor={self.height_factor!r}, width_factor={self.width_factor!r}, "
            f"name={self.name!r}"
        )


class RandomZoom(RandomAffineLayer):
    """Zoom each training image about its centre by a random amount, Keras's way round: a
    positive factor zooms *out* (the picture shrinks, shown 1 + f times as wide), a negative one
    zooms in. A number f draws from [−f, f], a pair (low, high) from [low, high], each in
    [−1, 1]. Without ``width_factor`` the width is zoomed as the height (the aspect ratio is
    kept); with it, the two are drawn independently."""

    def __init__(
        self,
        height_factor: float | tuple[float, float],
        width_factor: float | tuple[float, float] | None = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: SeedLike = None,
        fill_value: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_range = factor_range("RandomZoom", "height_factor", height_factor)
        self.width_range = (
            None
            if width_factor is None
            else factor_range("RandomZoom", "width_factor", width_factor)
        )
        self._build_if_declared()

    def matrices(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        zoom_y = 1 + rng.uniform(*self.height_range, size=n)
        zoom_x = zoom_y if self.width_range is None else 1 + rng.uniform(*self.width_range, n)
        return zoom_matrices(zoom_x, zoom_y, height, width)

    def extra_repr(self) -> str:
        return (
            f"height_factor={self.height_factor!r}, width_factor={self.width_factor!r}, "
            f"name={self.name!r}"
        )


def factor_range(owner: str, argument: str, factor: Any) -> tuple[float, float]:
    """Keras's reading of a factor: a number f is the range [−|f|, |f|], a pair (low, high) the
    range itself (sorted, as Keras sorts it); every bound must lie in [−1, 1]."""
    expected = f"{owner}: {argument} must be a number or a pair (low, high) of numbers in [-1, 1]"
    if isinstance(factor, (tuple, list, np.ndarray)):
        bounds = list(factor)
        if len(bounds) != 2:
            raise ValueError(f"{expected}; got {len(bounds)} values: {factor!r}")
    else:
        bounds = [factor]
    for bound in bounds:
        if isinstance(bound, bool) or not isinstance(bound, numbers.Real):
            raise TypeError(f"{expected}; got {factor!r}")
        if not math.isfinite(bound) or abs(bound) > 1:
            raise ValueError(f"{expected}; got {factor!r}")
    if len(bounds) == 1:
        return -abs(float(bounds[0])), abs(float(bounds[0]))
    low, high = sorted(float(bound) for bound in bounds)
    return low, high
