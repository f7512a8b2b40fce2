"""Convolution-family Tensor ops: padding, 2-D convolution and pooling (NCHW), and dropout.

Each op is vectorised with numpy: the windows of an image are a strided view
(``sliding_window_view``), so a convolution is one ``tensordot`` of those windows (im2col) with
the kernel. Gradients that flow back into the windows are added into the image by a loop over the
KH×KW kernel offsets (col2im), each step a strided slice covering every pixel at once.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd.tensor import Tensor, _result, as_tensor

__all__ = ["avg_pool2d", "conv2d", "dropout", "max_pool2d", "pad"]

Pair = int | tuple[int, int]


# ----- padding -----


def pad(x: Any, pad_width: Any, value: float = 0.0) -> Tensor:
    """Constant padding with ``numpy.pad``'s ``pad_width`` (an int, or (before, after) per axis)."""
    x = as_tensor(x)
    a = x.data
    try:
        widths = np.broadcast_to(np.asarray(pad_width), (a.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit a tensor of shape {a.shape}; give an int "
            "or (before, after) pairs, one per axis"
        ) from None
    if widths.dtype.kind not in "iu" or (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative ints, got {pad_width!r}")
    widths = widths.astype(int)
    data = np.pad(a, widths, mode="constant", constant_values=value)
    inside = tuple(slice(before, before + n) for (before, _), n in zip(widths, a.shape))
    return _result(data, "pad", x, lambda g: g[inside])


# ----- convolution -----


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Pair = 1, padding: Pair = 0) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) with (F, C, KH, KW) kernels, as torch's F.conv2d."""
    x, weight = as_tensor(x), as_tensor(weight)
    if x.ndim != 4:
        raise ValueError(f"conv2d: input must be 4-D (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (F, C, KH, KW), got shape {weight.shape}")
    n, c, h, w = x.shape
    f, wc, kh, kw = weight.shape
    if c != wc:
        raise ValueError(
            f"conv2d: input {x.shape} has {c} channels but weight {weight.shape} expects {wc}"
        )
    if bias is not None:
        bias = as_tensor(bias, x)
        if bias.shape != (f,):
            raise ValueError(
                f"conv2d: bias must have shape ({f},) for weight {weight.shape}, got {bias.shape}"
            )
    sh, sw = _pair("conv2d", "stride", stride, 1)
    ph, pw = _pair("conv2d", "padding", padding, 0)
    hp, wp = h + 2 * ph, w + 2 * pw
    if kh > hp or kw > wp:
        raise ValueError(
            f"conv2d: kernel ({kh}, {kw}) of weight {weight.shape} is larger than the padded "
            f"input ({hp}, {wp}) (input {x.shape}, padding ({ph}, {pw}))"
        )
    a, k = x.data, weight.data
    padded = np.pad(a, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else a
    windows = _windows(padded, kh, kw, sh, sw)  # (N, C, OH, OW, KH, KW), a strided view
    oh, ow = windows.shape[2:4]
    # (N, OH, OW, F) -> (N, F, OH, OW); tensordot copies the windows once (im2col).
    data = np.ascontiguousarray(
        np.tensordot(windows, k, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    )
    if bias is not None:
        data += bias.data.reshape(1, f, 1, 1).astype(data.dtype, copy=False)

    def d_x(g: np.ndarray) -> np.ndarray:
        cols = np.tensordot(g, k, axes=([1], [0]))  # (N, OH, OW, C, KH, KW)
        grad = np.zeros((n, hp, wp, c), dtype=cols.dtype)  # channels last, as cols
        for i in range(kh):
            for j in range(kw):
                grad[:, i : i + sh * oh : sh, j : j + sw * ow : sw] += cols[..., i, j]
        return grad[:, ph : ph + h, pw : pw + w].transpose(0, 3, 1, 2)

    def d_weight(g: np.ndarray) -> np.ndarray:
        return np.tensordot(g, windows, axes=([0, 2, 3], [0, 2, 3]))  # (F, C, KH, KW)

    if bias is None:
        return _result(data, "conv2d", x, d_x, weight, d_weight)
    return _result(data, "conv2d", x, d_x, weight, d_weight, bias, lambda g: g.sum(axis=(0, 2, 3)))


# ----- pooling -----


def max_pool2d(x: Any, kernel_size: Pair, stride: Pair | None = None) -> Tensor:
    """Max over each window; the gradient goes to the first max of a tied window (as PyTorch)."""
    x = as_tensor(x)
    (kh, kw), (sh, sw) = _pool_geometry("max_pool2d", x, kernel_size, stride)
    windows = _windows(x.data, kh, kw, sh, sw)
    n, c, oh, ow = windows.shape[:4]
    flat = windows.reshape(n, c, oh, ow, kh * kw)  # one copy of the windows
    # argmax scans each window row by row and keeps the first max (and the first nan).
    first = np.argmax(flat, axis=-1)
    data = np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]

    def vjp(g: np.ndarray) -> np.ndarray:
        return _col2im(
            x.shape, g.dtype, kh, kw, sh, sw, lambda i, j: np.where(first == i * kw + j, g, 0)
        )

    return _result(data, "max_pool2d", x, vjp)


def avg_pool2d(x: Any, kernel_size: Pair, stride: Pair | None = None) -> Tensor:
    """Mean over each window (no padding), as torch's F.avg_pool2d."""
    x = as_tensor(x)
    (kh, kw), (sh, sw) = _pool_geometry("avg_pool2d", x, kernel_size, stride)
    data = _windows(x.data, kh, kw, sh, sw).mean(axis=(-2, -1))

    def vjp(g: np.ndarray) -> np.ndarray:
        share = g / (kh * kw)
        return _col2im(x.shape, g.dtype, kh, kw, sh, sw, lambda i, j: share)

    return _result(data, "avg_pool2d", x, vjp)


# ----- dropout -----


def dropout(
    x: Any, p: float = 0.5, training: bool = True, rng: int | np.random.Generator | None = None
) -> Tensor:
    """Inverted dropout: zero each entry with probability p, scale the rest by 1/(1-p)."""
    if not 0 <= p < 1:  # also rejects nan
        raise ValueError(f"dropout: p must be in [0, 1), got p={p}")
    x = as_tensor(x)
    if not training or p == 0:
        return x
    generator = np.random.default_rng(rng)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    keep = generator.random(x.shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p
    mask = keep * dtype.type(1 / (1 - p))  # 0 or 1/(1-p), in x's float dtype
    return _result(x.data * mask, "dropout", x, lambda g: g * mask)


# ----- helpers -----


def _pair(op: str, name: str, value: Any, smallest: int) -> tuple[int, int]:
    """An int or an (h, w) pair as two ints, each at least ``smallest``."""
    try:
        pair = (value, value) if np.ndim(value) == 0 else tuple(value)
        pair = tuple(operator.index(v) for v in pair)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or an (h, w) pair, got {value!r}") from None
    if len(pair) != 2 or min(pair) < smallest:
        raise ValueError(
            f"{op}: {name} must be an int or an (h, w) pair of ints >= {smallest}, got {value!r}"
        )
    return pair  # type: ignore[return-value]


def _pool_geometry(
    op: str, x: Tensor, kernel_size: Pair, stride: Pair | None
) -> tuple[tuple[int, int], tuple[int, int]]:
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D (N, C, H, W), got shape {x.shape}")
    kernel = _pair(op, "kernel_size", kernel_size, 1)
    steps = kernel if stride is None else _pair(op, "stride", stride, 1)
    if kernel[0] > x.shape[2] or kernel[1] > x.shape[3]:
        raise ValueError(f"{op}: kernel {kernel} is larger than the input {x.shape}")
    return kernel, steps


def _windows(a: np.ndarray, kh: int, kw: int, sh: int, sw: int) -> np.ndarray:
    """The (N, C, OH, OW, KH, KW) strided view of every window of ``a`` (no copy)."""
    return sliding_window_view(a, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]


def _col2im(
    shape: tuple[int, ...],
    dtype: np.dtype,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    piece: Callable[[int, int], np.ndarray],
) -> np.ndarray:
    """Add ``piece(i, j)`` (N, C, OH, OW) for each kernel offset into an image of ``shape``."""
    grad = np.zeros(shape, dtype=dtype)
    oh, ow = (shape[2] - kh) // sh + 1, (shape[3] - kw) // sw + 1
    for i in range(kh):
        for j in range(kw):
            grad[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw] += piece(i, j)
    return grad
