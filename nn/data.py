"""Where training data comes from, when arrays held in memory are not the whole story.

- Data sources for ``fit``: ``PyDataset`` (Keras 3's name; ``Sequence`` is its older alias), the
  protocol ``model.fit(source, epochs=...)`` reads: ``len(source)`` batches an epoch,
  ``source[i]`` → ``(x_batch, y_batch)`` or ``(x_batch, y_batch, sample_weight_batch)``, and
  ``on_epoch_end()`` after every epoch (to reshuffle).
- Augmentation: ``ImageDataGenerator`` (Keras's classic API; the layers of
  ``nn.layers.augmentation`` are the newer way) with ``flow(x, y)``, a ``PyDataset`` whose
  batches are randomly rotated, shifted, zoomed and flipped copies of the images, made anew every
  time a batch is asked for. It shares the resampling of ``nn.image`` with the layers.
- Resampling for class imbalance: ``oversample`` (random duplicates of the smaller classes) and
  ``undersample`` (a random subset of the larger ones), two alternatives to ``class_weight``.

Runtime needs only numpy. Random draws come from the ``seed`` given, else from
``nn.random.global_rng()`` (which ``nn.random.set_random_seed`` seeds).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from nn.image import (
    FILL_MODES,
    affine_transform,
    check_choice,
    check_images,
    flip_images,
    rotation_matrices,
    translation_matrices,
    zoom_matrices,
)
from nn.random import SeedLike, global_rng, make_rng

__all__ = [
    "ImageDataGenerator",
    "NumpyArrayIterator",
    "PyDataset",
    "Sequence",
    "oversample",
    "undersample",
]


# ----- the data-source protocol -----


class PyDataset:
    """A source of batches for ``fit``: subclass it and define ``__len__`` (batches per epoch)
    and ``__getitem__(index)`` returning ``(x_batch, y_batch)`` (or with a third item, the
    batch's sample weights); ``on_epoch_end`` runs after each epoch.

    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted so that Keras code
    runs unchanged, and ignored: batches are made one at a time, in this process. Iterating
    (``for batch in source``) goes through one epoch, then calls ``on_epoch_end``."""

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (batches an epoch)")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def on_epoch_end(self) -> None:
        """Called after every epoch; override it to reshuffle."""

    @property
    def num_batches(self) -> int:
        """Batches in an epoch (Keras 3's property)."""
        return len(self)

    def __iter__(self) -> Iterator[Any]:
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()


Sequence = PyDataset  # Keras 2's name for the same protocol


# ----- ImageDataGenerator -----


class ImageDataGenerator:
    """Keras's classic augmentation: ``datagen.flow(x, y)`` gives batches of randomly changed
    copies of channels-last images (N, H, W, C), a new draw for every image every time.

    - ``rotation_range``: degrees; each image is turned by a uniform draw in [−r, r].
    - ``width_shift_range`` / ``height_shift_range``: a float < 1 is a fraction of the width /
      height, a float ≥ 1 a number of pixels (uniform in [−r, r]); an int r draws whole pixels
      from −(r−1) … r−1; a list draws one of its values, with a random sign. The width shift
      moves images sideways and the height shift up and down, as the names say (Keras's legacy
      code swaps the two: keras-team/keras#17398).
    - ``zoom_range``: a float z draws each image's width and height zooms independently from
      [1 − z, 1 + z], a pair (low, high) from [low, high]; above 1 zooms out, as in Keras.
    - ``horizontal_flip`` / ``vertical_flip``: mirror each image with probability 1/2.
    - ``fill_mode`` / ``cval``: how the border brought in from outside is filled (see
      ``nn.image``; ``cval`` for ``"constant"``). ``interpolation_order`` 1 is bilinear, 0
      nearest.
    - ``rescale``: multiply every pixel by it (e.g. 1/255), after the other changes.
    - ``featurewise_center`` / ``featurewise_std_normalization``: subtract the training set's
      per-channel mean / divide by its standard deviation, both measured by ``fit(x_train)``.

    The image is turned, then shifted, then zoomed (all about its centre), then flipped, as
    Keras does it. Every argument is keyword-only (Keras's first positional argument is
    ``featurewise_center``; a positional call would be read wrongly)."""

    def __init__(
        self,
        *,
        rotation_range: float = 0,
        width_shift_range: Any = 0.0,
        height_shift_range: Any = 0.0,
        zoom_range: Any = 0.0,
        horizontal_flip: bool = False,
        vertical_flip: bool = False,
        fill_mode: str = "nearest",
        cval: float = 0.0,
        rescale: float | None = None,
        featurewise_center: bool = False,
        featurewise_std_normalization: bool = False,
        interpolation_order: int = 1,
    ) -> None:
        self.rotation_range = _non_negative("rotation_range", rotation_range)
        self.width_shift_range = _check_shift_range("width_shift_range", width_shift_range)
        self.height_shift_range = _check_shift_range("height_shift_range", height_shift_range)
        self.zoom_range = _zoom_range(zoom_range)
        self.horizontal_flip = bool(horizontal_flip)
        self.vertical_flip = bool(vertical_flip)
        self.fill_mode = check_choice("ImageDataGenerator", "fill_mode", fill_mode, FILL_MODES)
        self.cval = float(cval)
        self.rescale = rescale
        self.featurewise_center = bool(featurewise_center or featurewise_std_normalization)
        self.featurewise_std_normalization = bool(featurewise_std_normalization)
        if interpolation_order not in (0, 1):
            raise ValueError(
                f"ImageDataGenerator: interpolation_order must be 0 (nearest) or 1 (bilinear), "
                f"got {interpolation_order!r}"
            )
        self.interpolation_order = interpolation_order
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    # ----- batches -----

    def flow(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = True,
        sample_weight: Any = None,
        seed: SeedLike = None,
    ) -> NumpyArrayIterator:
        """A ``PyDataset`` of augmented batches of (x, y), ⌈N / batch_size⌉ an epoch, in a new
        random order every epoch when ``shuffle``; ``seed`` makes the order and the changes
        reproducible."""
        return NumpyArrayIterator(x, y, self, batch_size, shuffle, sample_weight, seed)

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: SeedLike = None) -> None:
        """Measure the per-channel mean and standard deviation of the training images ``x``
        (after ``rescale``; over ``rounds`` augmented copies if ``augment``) for
        ``featurewise_center`` / ``featurewise_std_normalization``. Without those it only
        checks ``x``, as Keras's does nothing else."""
        images = check_images(x, "ImageDataGenerator.fit").astype(np.float32)
        if self.rescale:
            images = images * np.float32(self.rescale)
        if augment:
            rng = make_rng(seed) if seed is not None else global_rng()
            images = np.concatenate([self.transform_batch(images, rng) for _ in range(rounds)])
        if self.featurewise_center:
            self.mean = images.mean(axis=(0, 1, 2))
        if self.featurewise_std_normalization:
            self.std = images.std(axis=(0, 1, 2))

    def transform_batch(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Randomly changed float32 copies of a batch (N, H, W, C): one draw per image."""
        images = np.asarray(images, dtype=np.float32)
        n, height, width, _ = images.shape
        parameters = self._draw(n, height, width, rng)
        return self._apply(images, parameters)

    def standardize(self, images: np.ndarray) -> np.ndarray:
        """``rescale``, then the featurewise centring and scaling measured by ``fit``."""
        if self.rescale:
            images = images * np.float32(self.rescale)
        if self.featurewise_center:
            if self.mean is None:
                raise RuntimeError(
                    "ImageDataGenerator: featurewise_center needs the training set's mean; call "
                    "datagen.fit(x_train) before flow"
                )
            images = images - self.mean
        if self.featurewise_std_normalization:
            images = images / (self.std + 1e-6)
        return images.astype(np.float32, copy=False)

    # ----- one image, Keras's names -----

    def get_random_transform(self, img_shape: tuple[int, ...], seed: SeedLike = None) -> dict:
        """One image's random parameters: ``theta`` (degrees, counter-clockwise), ``tx`` /
        ``ty`` (pixels right / down), ``zx`` / ``zy`` (zooms, > 1 zooms out),
        ``flip_horizontal``, ``flip_vertical``."""
        rng = make_rng(seed) if seed is not None else global_rng()
        height, width = img_shape[0], img_shape[1]
        drawn = self._draw(1, height, width, rng)
        return {name: value[0].item() for name, value in drawn.items()}

    def apply_transform(self, x: Any, transform_parameters: dict) -> np.ndarray:
        """One image (H, W, C) changed by the parameters of ``get_random_transform`` (missing
        ones leave it as it is)."""
        image = np.asarray(x, dtype=np.float32)
        if image.ndim != 3:
            raise ValueError(
                f"ImageDataGenerator.apply_transform: expected one image (height, width, "
                f"channels), got shape {image.shape}"
            )
        defaults = {"theta": 0.0, "tx": 0.0, "ty": 0.0, "zx": 1.0, "zy": 1.0}
        defaults.update({"flip_horizontal": False, "flip_vertical": False})
        unknown = set(transform_parameters) - set(defaults)
        if unknown:
            raise ValueError(
                f"ImageDataGenerator.apply_transform: unknown parameters {sorted(unknown)}; "
                f"known: {sorted(defaults)}"
            )
        parameters = {**defaults, **transform_parameters}
        batch = {name: np.asarray([value]) for name, value in parameters.items()}
        return self._apply(image[None], batch)[0]

    def random_transform(self, x: Any, seed: SeedLike = None) -> np.ndarray:
        """One image (H, W, C) randomly changed."""
        image = np.asarray(x, dtype=np.float32)
        return self.apply_transform(image, self.get_random_transform(image.shape, seed))

    # ----- the work, vectorised over a batch -----

    def _draw(
        self, n: int, height: int, width: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Random parameters for n images of height × width (arrays of n values each)."""
        low, high = self.zoom_range
        zooms = np.ones((2, n)) if low == high == 1 else rng.uniform(low, high, size=(2, n))
        return {
            "theta": rng.uniform(-self.rotation_range, self.rotation_range, size=n),
            "tx": _draw_shift(self.width_shift_range, width, n, rng),
            "ty": _draw_shift(self.height_shift_range, height, n, rng),
            "zx": zooms[0],
            "zy": zooms[1],
            "flip_horizontal": self.horizontal_flip & (rng.random(n) < 0.5),
            "flip_vertical": self.vertical_flip & (rng.random(n) < 0.5),
        }

    def _apply(self, images: np.ndarray, parameters: dict[str, np.ndarray]) -> np.ndarray:
        """Turn, shift, zoom (one resampling), then flip each image of the batch."""
        _, height, width, _ = images.shape
        turned = rotation_matrices(parameters["theta"], height, width)
        shifted = translation_matrices(parameters["tx"], parameters["ty"])
        zoomed = zoom_matrices(parameters["zx"], parameters["zy"], height, width)
        matrices = turned @ shifted @ zoomed  # inverse maps: the first operation on the left
        if not (matrices == np.eye(3)).all():  # skip the resampling when nothing moves
            interpolation = "bilinear" if self.interpolation_order == 1 else "nearest"
            images = affine_transform(images, matrices, interpolation, self.fill_mode, self.cval)
        flipped = flip_images(images, parameters["flip_horizontal"], parameters["flip_vertical"])
        return flipped.astype(np.float32, copy=False)


class NumpyArrayIterator(PyDataset):
    """The batches of ``ImageDataGenerator.flow``: ``len(flow)`` = ⌈N / batch_size⌉,
    ``flow[i]`` = (augmented x batch, y batch[, sample_weight batch]) — just the x batch when
    y is None — with each label staying with its image; ``on_epoch_end()`` reshuffles.

    Every ``flow[i]`` draws new changes, so asking twice for batch i gives two different
    augmentations of the same images. Draws (order and changes) come from one generator, made
    from ``seed`` once, else ``nn.random.global_rng()``: the same seed and the same sequence of
    requests give the same batches.

    ``for batch in flow`` goes through one epoch (then reshuffles); ``next(flow)`` goes on
    forever, epoch after epoch, as Keras's iterator does."""

    def __init__(
        self,
        x: Any,
        y: Any,
        image_data_generator: ImageDataGenerator,
        batch_size: int = 32,
        shuffle: bool = True,
        sample_weight: Any = None,
        seed: SeedLike = None,
    ) -> None:
        super().__init__()
        self.x = check_images(x, "ImageDataGenerator.flow").astype(np.float32)
        if len(self.x) == 0:
            raise ValueError("ImageDataGenerator.flow: x is empty (0 images)")
        self.y = None if y is None else _same_length("y", y, len(self.x))
        self.sample_weight = None
        if sample_weight is not None:
            self.sample_weight = _same_length("sample_weight", sample_weight, len(self.x))
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(
                f"ImageDataGenerator.flow: batch_size must be an int, got {batch_size!r}"
            )
        if batch_size < 1:
            raise ValueError(
                f"ImageDataGenerator.flow: batch_size must be positive, got {batch_size}"
            )
        self.image_data_generator = image_data_generator
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self._own_rng = None if seed is None else make_rng(seed)
        self._order = self._new_order()
        self._next_index = 0

    @property
    def n(self) -> int:
        """The number of samples (Keras's name)."""
        return len(self.x)

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"batch index must be an int, got {index!r}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch {index} asked for, but the flow has {len(self)} batches")
        index = int(index) % len(self)
        chosen = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        generator = self.image_data_generator
        x_batch = generator.standardize(generator.transform_batch(self.x[chosen], self._rng()))
        if self.y is None:
            return x_batch
        if self.sample_weight is None:
            return x_batch, self.y[chosen]
        return x_batch, self.y[chosen], self.sample_weight[chosen]

    def on_epoch_end(self) -> None:
        """A new random order for the next epoch (when ``shuffle``)."""
        self._order = self._new_order()

    def __next__(self) -> Any:
        if self._next_index == len(self):
            self.on_epoch_end()
            self._next_index = 0
        batch = self[self._next_index]
        self._next_index += 1
        return batch

    def next(self) -> Any:
        """Keras 2's spelling of ``next(flow)``."""
        return next(self)

    def _rng(self) -> np.random.Generator:
        return self._own_rng if self._own_rng is not None else global_rng()

    def _new_order(self) -> np.ndarray:
        return self._rng().permutation(len(self.x)) if self.shuffle else np.arange(len(self.x))


# ----- argument checks for ImageDataGenerator -----


def _non_negative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"ImageDataGenerator: {name} must be a number >= 0, got {value!r}")
    return float(value)


def _check_shift_range(name: str, value: Any) -> Any:
    """A shift range as Keras reads it: a number >= 0 or a non-empty list of numbers."""
    if isinstance(value, (list, tuple, np.ndarray)):
        values = np.asarray(value, dtype=np.float64).reshape(-1)
        if len(values) == 0 or not np.isfinite(values).all():
            raise ValueError(
                f"ImageDataGenerator: {name} as a list must hold finite numbers, got {value!r}"
            )
        return values
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(
            f"ImageDataGenerator: {name} must be a number >= 0 (a fraction of the size if < 1, "
            f"pixels if >= 1) or a list of shifts, got {value!r}"
        )
    return value


def _draw_shift(shift_range: Any, size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n shifts in pixels for images ``size`` pixels long along the shift, Keras's rules."""
    if isinstance(shift_range, np.ndarray):  # one of the listed values, with a random sign
        shifts = rng.choice(shift_range, size=n) * rng.choice([-1, 1], size=n)
        return shifts * size if shift_range.max() < 1 else shifts
    if isinstance(shift_range, numbers.Integral):  # whole pixels, −(r−1) … r−1
        if shift_range == 0:
            return np.zeros(n)
        return rng.integers(0, shift_range, size=n) * rng.choice([-1, 1], size=n).astype(float)
    shifts = rng.uniform(-shift_range, shift_range, size=n)
    return shifts * size if shift_range < 1 else shifts


def _zoom_range(zoom_range: Any) -> tuple[float, float]:
    """Keras's zoom range: z → [1 − z, 1 + z] (0 ≤ z < 1), or a pair (low, high), 0 < low ≤ high."""
    expected = (
        "ImageDataGenerator: zoom_range must be a number z in [0, 1) (zooms from 1 − z to 1 + z) "
        "or a pair (low, high) of zooms with 0 < low <= high"
    )
    if isinstance(zoom_range, (list, tuple)):
        if len(zoom_range) != 2 or not all(_is_number(z) for z in zoom_range):
            raise ValueError(f"{expected}; got {zoom_range!r}")
        low, high = float(zoom_range[0]), float(zoom_range[1])
    elif _is_number(zoom_range):
        low, high = 1 - float(zoom_range), 1 + float(zoom_range)
    else:
        raise ValueError(f"{expected}; got {zoom_range!r}")
    if not (0 < low <= high and math.isfinite(high)):
        raise ValueError(f"{expected}; got {zoom_range!r}")
    return low, high


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _same_length(name: str, values: Any, n: int) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 0 or len(array) != n:
        raise ValueError(
            f"ImageDataGenerator.flow: x has {n} images but {name} has "
            f"{len(array) if array.ndim else 'no axis'} entries (shape {array.shape})"
        )
    return array


# ----- resampling for class imbalance -----


def oversample(x: Any, y: Any, seed: SeedLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Balance the classes by random duplicates: every class is topped up to the largest
    class's count with samples of its own drawn with replacement; every original is kept.

    ``y`` holds int labels (N,), 0/1 labels (N, 1) or one-hot rows (N, C) (the class is the
    argmax) and is returned in the same form. The result is shuffled (from ``seed``, else
    ``nn.random.global_rng()``), so a batch mixes the classes. Oversample the training split
    only: duplicates in a validation or test split would overstate the score."""
    x, y, classes = _check_labelled("oversample", x, y)
    rng = make_rng(seed) if seed is not None else global_rng()
    members = _members(classes)
    target = max(len(indices) for indices in members)
    chosen = [
        np.concatenate([indices, rng.choice(indices, size=target - len(indices), replace=True)])
        for indices in members
    ]
    order = rng.permutation(np.concatenate(chosen))
    return x[order], y[order]


def undersample(x: Any, y: Any, seed: SeedLike = None) -> tuple[np.ndarray, np.ndarray]:
    """Balance the classes by keeping, of every class, a random subset as large as the smallest
    class (which is kept whole); no sample appears twice.

    ``y`` as for ``oversample``, returned in the same form; the result is shuffled."""
    x, y, classes = _check_labelled("undersample", x, y)
    rng = make_rng(seed) if seed is not None else global_rng()
    members = _members(classes)
    target = min(len(indices) for indices in members)
    chosen = [rng.choice(indices, size=target, replace=False) for indices in members]
    order = rng.permutation(np.concatenate(chosen))
    return x[order], y[order]


def _members(classes: np.ndarray) -> list[np.ndarray]:
    """The indices of the samples of each class present, class by class."""
    return [np.flatnonzero(classes == label) for label in np.unique(classes)]


def _check_labelled(caller: str, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x and y as arrays of equal length, and each sample's class as an int."""
    x, y = np.asarray(getattr(x, "data", x)), np.asarray(getattr(y, "data", y))
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"{caller}: x and y must have one entry per sample; got x shape {x.shape} and y "
            f"shape {y.shape}"
        )
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{caller}: y must be numbers, got dtype {y.dtype}")
    if y.ndim == 2 and y.shape[1] > 1:
        classes = np.argmax(y, axis=1)  # one-hot rows
    elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
        labels = y.reshape(-1)
        if not np.array_equal(labels, np.round(labels)):
            raise ValueError(
                f"{caller}: y must hold class labels (whole numbers) or one-hot rows; got "
                f"values such as {labels[labels != np.round(labels)][:3]}"
            )
        classes = labels.astype(np.int64)
    else:
        raise ValueError(
            f"{caller}: y must be labels (N,), (N, 1) or one-hot rows (N, C); got shape {y.shape}"
        )
    found = np.unique(classes)
    if len(found) < 2:
        raise ValueError(
            f"{caller}: y has a single class ({found.tolist()}); there is nothing to balance"
        )
    return x, y, classes
