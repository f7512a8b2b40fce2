"""Moving the pixels of a batch of images: one affine resampler, written once, in numpy.

Both augmentation APIs use it: the random layers of ``nn.layers`` (``RandomRotation``,
``RandomTranslation``, ``RandomZoom``, ``RandomFlip``) and ``nn.data.ImageDataGenerator``.
Images are channels-last, (N, H, W, C), as ``Conv2D`` reads them.

The coordinate convention (Keras 3's, and scipy.ndimage's):
- a pixel is a point at its centre: column ``x`` = 0 … W−1 to the right, row ``y`` = 0 … H−1
  downwards; the image's centre is ((W − 1) / 2, (H − 1) / 2);
- a transform is given by its *inverse map*: the 3×3 matrix M sends each output pixel (x, y, 1)
  to the point of the input it shows, (x_in, y_in, 1) = M (x, y, 1), which is read by
  interpolation. Every output pixel gets exactly one value, with no holes (a forward map would
  leave some pixels unvisited and hit others twice);
- a positive angle turns the picture counter-clockwise as it is displayed (rows going down), as
  ``keras.layers.RandomRotation`` and ``scipy.ndimage.rotate`` do;
- a point outside the input is found by extending the input as ``fill_mode`` says (Keras's four
  modes, each equal to a scipy.ndimage mode at order ≤ 1):

  ===========  ==========================  =========================
  fill_mode    the row a b c d, extended   scipy.ndimage's mode
  ===========  ==========================  =========================
  "reflect"    d c b a | a b c d | d c b a  "reflect"
  "wrap"       a b c d | a b c d | a b c d  "grid-wrap"
  "nearest"    a a a a | a b c d | d d d d  "nearest"
  "constant"   k k k k | a b c d | k k k k  "grid-constant", cval=k
  ===========  ==========================  =========================

Composing transforms: to apply A to the picture and then B, use the inverse map M_A @ M_B (the
operation applied first is on the left). The matrices made here are inverse maps already.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "FILL_MODES",
    "INTERPOLATIONS",
    "affine_transform",
    "check_choice",
    "check_images",
    "flip_images",
    "rotation_matrices",
    "translation_matrices",
    "zoom_matrices",
]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def affine_transform(
    images: Any,
    matrices: Any,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
) -> np.ndarray:
    """Resample each image of a (N, H, W, C) batch through its inverse map (N, 3, 3) (or one
    (3, 3) matrix for all): output pixel (x, y) takes the input's value at M (x, y, 1),
    interpolated (``"bilinear"`` or ``"nearest"``) and extended beyond the edges by
    ``fill_mode``. Returns a new float array (float64 stays float64, anything else is float32)."""
    images = check_images(images, "affine_transform")
    check_choice("affine_transform", "interpolation", interpolation, INTERPOLATIONS)
    check_choice("affine_transform", "fill_mode", fill_mode, FILL_MODES)
    matrices = _check_matrices(matrices, len(images))
    dtype = np.result_type(images.dtype, np.float32)
    _, height, width, _ = images.shape
    rows, columns = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    m = matrices[:, :2, :, None, None]  # (N, 2, 3, 1, 1): broadcasts over the (H, W) grid
    x = m[:, 0, 0] * columns + m[:, 0, 1] * rows + m[:, 0, 2]  # (N, H, W) input coordinates
    y = m[:, 1, 0] * columns + m[:, 1, 1] * rows + m[:, 1, 2]
    source = images.astype(dtype, copy=False)
    if interpolation == "nearest":
        # floor(t + 0.5) rounds halves up, as scipy.ndimage does at order 0
        return _gather(source, np.floor(y + 0.5), np.floor(x + 0.5), fill_mode, fill_value)
    return _bilinear(source, x, y, fill_mode, fill_value)


def _bilinear(
    images: np.ndarray, x: np.ndarray, y: np.ndarray, fill_mode: str, fill_value: float
) -> np.ndarray:
    """Blend the four pixels around each point (x, y) by their distances along x and y."""
    left, top = np.floor(x), np.floor(y)
    along_x = (x - left)[..., None].astype(images.dtype)  # (N, H, W, 1): same for each channel
    along_y = (y - top)[..., None].astype(images.dtype)

    def pixel(row: np.ndarray, column: np.ndarray) -> np.ndarray:
        return _gather(images, row, column, fill_mode, fill_value)

    upper = (1 - along_x) * pixel(top, left) + along_x * pixel(top, left + 1)
    lower = (1 - along_x) * pixel(top + 1, left) + along_x * pixel(top + 1, left + 1)
    return (1 - along_y) * upper + along_y * lower


def _gather(
    images: np.ndarray, rows: np.ndarray, columns: np.ndarray, fill_mode: str, fill_value: float
) -> np.ndarray:
    """The pixels at integer (row, column) positions (N, H, W) of each image, with positions
    outside the image brought back in by ``fill_mode`` ("constant": ``fill_value`` there)."""
    n, height, width, _ = images.shape
    rows, columns = rows.astype(np.int64), columns.astype(np.int64)
    batch = np.arange(n)[:, None, None]
    values = images[batch, _extend(rows, height, fill_mode), _extend(columns, width, fill_mode)]
    if fill_mode == "constant":
        outside = (rows < 0) | (rows >= height) | (columns < 0) | (columns >= width)
        values[outside] = fill_value
    return values


def _extend(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Where position ``index`` of a row of ``size`` pixels reads under ``fill_mode``."""
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a repeats every 2·size pixels
        index = np.mod(index, 2 * size)
        return np.where(index < size, index, 2 * size - 1 - index)
    if fill_mode == "wrap":
        return np.mod(index, size)
    return np.clip(index, 0, size - 1)  # "nearest"; "constant" overwrites the outside after


# ----- the inverse maps of the usual transforms, one (3, 3) matrix per image -----


def rotation_matrices(angles: Any, height: int, width: int) -> np.ndarray:
    """Inverse maps (N, 3, 3) that turn H×W pictures counter-clockwise by ``angles`` (N,)
    degrees about their centre."""
    theta = np.deg2rad(np.asarray(angles, dtype=np.float64).reshape(-1))
    cos, sin = np.cos(theta), np.sin(theta)
    center_x, center_y = (width - 1) / 2, (height - 1) / 2
    # (x_in, y_in) = centre + R(θ) · ((x, y) − centre), R(θ) = [[cos, −sin], [sin, cos]]
    return _stack(
        cos,
        -sin,
        center_x - cos * center_x + sin * center_y,
        sin,
        cos,
        center_y - sin * center_x - cos * center_y,
    )


def translation_matrices(shift_x: Any, shift_y: Any) -> np.ndarray:
    """Inverse maps (N, 3, 3) that move pictures ``shift_x`` pixels right and ``shift_y`` pixels
    down (negative: left and up)."""
    shift_x = np.asarray(shift_x, dtype=np.float64).reshape(-1)
    shift_y = np.asarray(shift_y, dtype=np.float64).reshape(-1)
    ones, zeros = np.ones_like(shift_x), np.zeros_like(shift_x)
    return _stack(ones, zeros, -shift_x, zeros, ones, -shift_y)


def zoom_matrices(zoom_x: Any, zoom_y: Any, height: int, width: int) -> np.ndarray:
    """Inverse maps (N, 3, 3) that read zoom_x times as wide and zoom_y times as tall a region
    about the centre: a zoom above 1 zooms out (the picture shrinks), below 1 zooms in."""
    zoom_x = np.asarray(zoom_x, dtype=np.float64).reshape(-1)
    zoom_y = np.asarray(zoom_y, dtype=np.float64).reshape(-1)
    center_x, center_y = (width - 1) / 2, (height - 1) / 2
    zeros = np.zeros_like(zoom_x)
    return _stack(zoom_x, zeros, center_x * (1 - zoom_x), zeros, zoom_y, center_y * (1 - zoom_y))


def _stack(*entries: np.ndarray) -> np.ndarray:
    """(N, 3, 3) matrices from their six top entries, row by row; the last row is (0, 0, 1)."""
    top = np.stack(np.broadcast_arrays(*entries), axis=-1).reshape(-1, 2, 3)
    bottom = np.broadcast_to([0.0, 0.0, 1.0], (len(top), 1, 3))
    return np.concatenate([top, bottom], axis=1)


def flip_images(images: np.ndarray, horizontal: Any = False, vertical: Any = False) -> np.ndarray:
    """A copy of a (N, H, W, C) batch with the images where ``horizontal`` (bool or (N,)) is true
    mirrored left to right, and those where ``vertical`` is true upside down. Exact: no
    interpolation."""
    n = len(images)
    horizontal = np.broadcast_to(np.asarray(horizontal, dtype=bool), (n,))[:, None, None, None]
    vertical = np.broadcast_to(np.asarray(vertical, dtype=bool), (n,))[:, None, None, None]
    images = np.where(horizontal, images[:, :, ::-1], images)
    return np.where(vertical, images[:, ::-1], images)


# ----- checks shared by the augmentation APIs -----


def check_images(images: Any, owner: str) -> np.ndarray:
    """``images`` as a numeric numpy array shaped (N, H, W, C), or an error naming ``owner``."""
    array = np.asarray(getattr(images, "data", images))
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: images must be numbers, got dtype {array.dtype}")
    if array.ndim != 4:
        raise ValueError(
            f"{owner}: expected a batch of channels-last images (N, height, width, channels), "
            f"got shape {array.shape}; add an axis for one channel, e.g. x[..., None]"
        )
    return array


def check_choice(owner: str, argument: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else an error naming all three."""
    if value not in choices:
        names = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{owner}: {argument} must be one of {names}; got {value!r}")
    return value


def _check_matrices(matrices: Any, n: int) -> np.ndarray:
    """(N, 3, 3) float64 inverse maps from one (3, 3) / (2, 3) matrix or N of them."""
    given = np.asarray(matrices, dtype=np.float64)
    array = given[None] if given.ndim == 2 else given
    if array.ndim != 3 or array.shape[1:] not in ((2, 3), (3, 3)) or len(array) not in (1, n):
        raise ValueError(
            f"affine_transform: expected one (3, 3) matrix or one per image ({n}, 3, 3), got "
            f"shape {given.shape}"
        )
    array = np.broadcast_to(array, (n, *array.shape[1:]))
    if not np.isfinite(array).all():
        raise ValueError("affine_transform: the matrices contain NaN or infinite values")
    return array
