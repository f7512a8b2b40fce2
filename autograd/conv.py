"""Convolution-family Tensor ops: padding, 2-D convolution and pooling, and dropout.

Images are (N, C, H, W) as in PyTorch, or (N, H, W, C) with ``data_format="NHWC"`` as in
TensorFlow and Keras; both layouts run the same code, which only slices the two spatial axes.

A convolution is im2col and one matrix product: the KH×KW windows of the image are copied into
a contiguous (N·OH·OW, KH·KW·C) matrix by one strided slice per kernel offset, and that matrix
times the (KH·KW·C, F) kernel gives the (N·OH·OW, F) output, which already is (N, OH, OW, F),
channels last. The product is one BLAS call (multi-threaded), and the matrix is kept for the
kernel's gradient, ``colsᵀ @ g``. The input's gradient ``g @ kernelᵀ`` is added back into the
image by the same per-offset slices (col2im). Pooling reduces the same per-offset slices with
elementwise numpy calls, each covering every window at once; max pooling notes which offset won
each window (one byte per output), so its gradient is a comparison and a product per offset.

Why channels last is the fast layout: the product's rows are the output pixels, so its result is
an NHWC image as it stands, while NCHW costs a transposing copy of the output and of its gradient.
An earlier version (NCHW only) ran ``tensordot`` over a strided window view and argmax over each
pooling window: one training step of the guide's CNN (batch 64, 28×28×1, Conv2D(32, 3×3),
MaxPooling2D(2), Dense(64), Dense(10)) took about 38 ms with it, about 11 ms now, on par with
PyTorch on 2 threads (benchmarks/cnn_step.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd.tensor import Tensor, _result, as_tensor

__all__ = ["avg_pool2d", "conv2d", "dropout", "max_pool2d", "pad"]

Pair = int | tuple[int, int]
Padding = int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]]
LAYOUTS = ("NCHW", "NHWC")


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


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Pair = 1,
    padding: Padding = 0,
    data_format: str = "NCHW",
) -> Tensor:
    """2-D cross-correlation as torch's ``F.conv2d``: (N, C, H, W) input, (F, C, KH, KW) weight,
    (N, F, OH, OW) output. With ``data_format="NHWC"``, TensorFlow's layout: (N, H, W, C) input,
    (KH, KW, C, F) weight (as Keras stores a kernel), (N, OH, OW, F) output.

    ``padding`` is an int, an (h, w) pair (both sides alike), or ((top, bottom), (left, right)).
    """
    x, weight = as_tensor(x), as_tensor(weight)
    layout = _layout("conv2d", data_format)
    channels_last = layout == "NHWC"
    if x.ndim != 4:
        raise ValueError(f"conv2d: input must be 4-D ({_axes(layout)}), got shape {x.shape}")
    expected = "(KH, KW, C, F)" if channels_last else "(F, C, KH, KW)"
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D {expected}, got shape {weight.shape}")
    n, h, w, c = _nhwc(x.shape, layout)
    if channels_last:
        kh, kw, wc, f = weight.shape
    else:
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
    (top, bottom), (left, right) = _padding("conv2d", padding)
    hp, wp = h + top + bottom, w + left + right
    if kh > hp or kw > wp:
        raise ValueError(
            f"conv2d: kernel ({kh}, {kw}) of weight {weight.shape} is larger than the padded "
            f"input ({hp}, {wp}) (input {x.shape}, padding ({top}, {bottom}), ({left}, {right}))"
        )
    oh, ow = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    spatial = ((top, bottom), (left, right))
    padded = _pad_spatial(x.data, spatial, layout)
    # The kernel as a (KH·KW·C, F) matrix, rows in the order of a window's im2col row.
    k = weight.data if channels_last else weight.data.transpose(2, 3, 1, 0)
    kernel = k.reshape(kh * kw * c, f)
    cols = _im2col(padded, layout, kh, kw, sh, sw, oh, ow)  # (N·OH·OW, KH·KW·C)
    out = cols @ kernel  # (N·OH·OW, F): the output, channels last
    if bias is not None:
        out += bias.data.astype(out.dtype, copy=False)
    data = _from_rows(out, (n, oh, ow, f), layout)

    def d_x(g: np.ndarray) -> np.ndarray:
        pieces = (_rows(g, layout) @ kernel.T).reshape(n, oh, ow, kh, kw, c)
        grad = _col2im(padded.shape, layout, pieces.dtype, kh, kw, sh, sw, oh, ow,
                       lambda i, j, out: _copy(_to_layout(pieces[:, :, :, i, j], layout), out))
        return _crop_spatial(grad, spatial, layout)

    def d_weight(g: np.ndarray) -> np.ndarray:
        grad = (cols.T @ _rows(g, layout)).reshape(kh, kw, c, f)
        return grad if channels_last else grad.transpose(3, 2, 0, 1)

    def d_bias(g: np.ndarray) -> np.ndarray:
        if not channels_last:
            return g.sum(axis=(0, 2, 3))
        rows = _rows(g, layout)
        return np.ones(len(rows), rows.dtype) @ rows  # a column sum by BLAS, ~4x numpy's

    if bias is None:
        return _result(data, "conv2d", x, d_x, weight, d_weight)
    return _result(data, "conv2d", x, d_x, weight, d_weight, bias, d_bias)


def _im2col(
    a: np.ndarray, layout: str, kh: int, kw: int, sh: int, sw: int, oh: int, ow: int
) -> np.ndarray:
    """The (N·OH·OW, KH·KW·C) matrix whose rows are the windows of ``a``, each flattened in
    (KH, KW, C) order: one strided copy per kernel offset."""
    n, _, _, c = _nhwc(a.shape, layout)
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=a.dtype)
    for i in range(kh):
        for j in range(kw):
            piece = a[_window(layout, i, j, sh, sw, oh, ow)]
            cols[:, :, :, i, j] = piece if layout == "NHWC" else piece.transpose(0, 2, 3, 1)
    return cols.reshape(n * oh * ow, kh * kw * c)


def _rows(g: np.ndarray, layout: str) -> np.ndarray:
    """A gradient of the output as (N·OH·OW, F) rows, the shape of the product ``cols @ kernel``
    (a free reshape channels last, one transposing copy channels first)."""
    if layout == "NCHW":
        g = g.transpose(0, 2, 3, 1)
    return g.reshape(-1, g.shape[-1])


def _from_rows(out: np.ndarray, shape: tuple[int, int, int, int], layout: str) -> np.ndarray:
    """The (N·OH·OW, F) product as an image of ``layout``."""
    out = out.reshape(shape)
    return out if layout == "NHWC" else np.ascontiguousarray(out.transpose(0, 3, 1, 2))


# ----- pooling -----


def max_pool2d(
    x: Any, kernel_size: Pair, stride: Pair | None = None, data_format: str = "NCHW"
) -> Tensor:
    """Max over each window, as torch's F.max_pool2d: the gradient goes to the first max of a
    tied window, and a window holding nan outputs nan and sends its gradient to its last nan."""
    x = as_tensor(x)
    layout = _layout("max_pool2d", data_format)
    (kh, kw), (sh, sw), (oh, ow) = _pool_geometry("max_pool2d", x, kernel_size, stride, layout)
    a = x.data
    windows = [a[_window(layout, i, j, sh, sw, oh, ow)] for i in range(kh) for j in range(kw)]
    # A running max over the offsets, noting which offset holds it. An offset wins a window when
    # it beats the max so far (ties keep the earlier one); as offsets count up, the winner is
    # the largest offset that ever won, a running max of offset · won.
    data = windows[0].copy()
    first = np.zeros(data.shape, dtype=np.uint8 if kh * kw <= 256 else np.intp)
    for offset in range(1, kh * kw):
        won = windows[offset] > data
        np.maximum(first, won * first.dtype.type(offset), out=first)
        np.maximum(data, windows[offset], out=data)  # nan spreads, as in torch
    if np.isnan(data).any():  # torch's rule: a nan wins whatever came before it
        for offset, piece in enumerate(windows):
            np.maximum(first, np.isnan(piece) * first.dtype.type(offset), out=first)

    def vjp(g: np.ndarray) -> np.ndarray:
        return _col2im(a.shape, layout, g.dtype, kh, kw, sh, sw, oh, ow,
                       lambda i, j, out: np.multiply(g, first == i * kw + j, out=out))

    return _result(data, "max_pool2d", x, vjp)


def avg_pool2d(
    x: Any, kernel_size: Pair, stride: Pair | None = None, data_format: str = "NCHW"
) -> Tensor:
    """Mean over each window (no padding), as torch's F.avg_pool2d."""
    x = as_tensor(x)
    layout = _layout("avg_pool2d", data_format)
    (kh, kw), (sh, sw), (oh, ow) = _pool_geometry("avg_pool2d", x, kernel_size, stride, layout)
    a = x.data
    windows = [a[_window(layout, i, j, sh, sw, oh, ow)] for i in range(kh) for j in range(kw)]
    total = windows[0].copy()
    for piece in windows[1:]:
        total += piece
    data = total / (kh * kw)

    def vjp(g: np.ndarray) -> np.ndarray:
        share = g / (kh * kw)  # every pixel of a window gets an equal share
        return _col2im(a.shape, layout, g.dtype, kh, kw, sh, sw, oh, ow,
                       lambda i, j, out: _copy(share, out))

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


def _layout(op: str, data_format: str) -> str:
    if data_format not in LAYOUTS:
        raise ValueError(f"{op}: data_format must be 'NCHW' or 'NHWC', got {data_format!r}")
    return data_format


def _axes(layout: str) -> str:
    return "N, C, H, W" if layout == "NCHW" else "N, H, W, C"


def _nhwc(shape: tuple[int, ...], layout: str) -> tuple[int, int, int, int]:
    """(N, H, W, C) of a 4-D image shape in ``layout``."""
    if layout == "NHWC":
        return shape  # type: ignore[return-value]
    n, c, h, w = shape
    return n, h, w, c


def _to_layout(piece: np.ndarray, layout: str) -> np.ndarray:
    """An (N, OH, OW, C) array as a view in ``layout``."""
    return piece if layout == "NHWC" else piece.transpose(0, 3, 1, 2)


def _window(
    layout: str, i: int, j: int, sh: int, sw: int, oh: int, ow: int
) -> tuple[slice, ...]:
    """The index of every window's element at kernel offset (i, j): a strided slice of the two
    spatial axes, OH×OW elements of each image and channel."""
    rows, columns = slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw)
    return _spatial(layout, rows, columns)


def _spatial(layout: str, rows: slice, columns: slice) -> tuple[slice, ...]:
    """An index that slices the rows and columns of an image in ``layout``, nothing else."""
    everything = slice(None)
    if layout == "NHWC":
        return everything, rows, columns, everything
    return everything, everything, rows, columns


def _col2im(
    shape: tuple[int, ...],
    layout: str,
    dtype: np.dtype,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    oh: int,
    ow: int,
    piece: Callable[[int, int, np.ndarray | None], np.ndarray],
) -> np.ndarray:
    """An image of ``shape`` that sums, over the kernel offsets (i, j), the windows' gradient at
    that offset: ``piece(i, j, out)`` (OH×OW per image and channel, in ``layout``) returns it,
    written into ``out`` when it is given one."""
    # Windows that neither overlap nor leave gaps cover each pixel once: each piece is written
    # straight into its place, with no zeros to start from, no adding and no temporary.
    tiles = (sh, sw) == (kh, kw) and _nhwc(shape, layout)[1:3] == (oh * kh, ow * kw)
    grad = np.empty(shape, dtype=dtype) if tiles else np.zeros(shape, dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            index = _window(layout, i, j, sh, sw, oh, ow)
            if tiles:
                piece(i, j, grad[index])
            else:
                grad[index] += piece(i, j, None)
    return grad


def _copy(a: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """``a`` itself, or copied into ``out`` when there is one."""
    if out is None:
        return a
    out[...] = a
    return out


def _pad_spatial(a: np.ndarray, spatial: tuple, layout: str) -> np.ndarray:
    """``a`` with zeros around its spatial axes (``a`` itself when there are none)."""
    if not any(sum(pair) for pair in spatial):
        return a
    none = (0, 0)
    widths = (none, *spatial, none) if layout == "NHWC" else (none, none, *spatial)
    return np.pad(a, widths)


def _crop_spatial(a: np.ndarray, spatial: tuple, layout: str) -> np.ndarray:
    """The inside of an image padded by ``_pad_spatial``."""
    (top, bottom), (left, right) = spatial
    _, hp, wp, _ = _nhwc(a.shape, layout)
    return a[_spatial(layout, slice(top, hp - bottom), slice(left, wp - right))]


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


def _padding(op: str, padding: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """``padding`` as ((top, bottom), (left, right)): from an int, an (h, w) pair (both sides
    alike, as torch) or the two (before, after) pairs (uneven, as TensorFlow's "same")."""
    if np.ndim(padding) == 2:
        try:
            (top, bottom), (left, right) = padding
            pairs = ((operator.index(top), operator.index(bottom)),
                     (operator.index(left), operator.index(right)))
        except (TypeError, ValueError):
            pairs = ((-1, -1), (-1, -1))
        if min(min(pairs)) < 0:
            raise ValueError(
                f"{op}: padding must be an int, an (h, w) pair or ((top, bottom), (left, right)) "
                f"of ints >= 0, got {padding!r}"
            )
        return pairs
    ph, pw = _pair(op, "padding", padding, 0)
    return (ph, ph), (pw, pw)


def _pool_geometry(
    op: str, x: Tensor, kernel_size: Pair, stride: Pair | None, layout: str
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """The kernel, the stride (the kernel's when None) and the output's (OH, OW)."""
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be 4-D ({_axes(layout)}), got shape {x.shape}")
    kh, kw = _pair(op, "kernel_size", kernel_size, 1)
    sh, sw = (kh, kw) if stride is None else _pair(op, "stride", stride, 1)
    _, h, w, _ = _nhwc(x.shape, layout)
    if kh > h or kw > w:
        raise ValueError(f"{op}: kernel {(kh, kw)} is larger than the input {x.shape}")
    return (kh, kw), (sh, sw), ((h - kh) // sh + 1, (w - kw) // sw + 1)
