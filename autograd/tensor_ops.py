"""Tensor operations, each its forward and its vector-Jacobian products side by side.

A VJP maps the gradient of the result to the gradient of one input; broadcasting is undone for
every op by ``Tensor._backward``. Composite ops (var, std, log_softmax via logsumexp, split via
indexing) are built from the others unless stability needs a rule of their own.
"""

from __future__ import annotations

import builtins
import contextlib
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd.tensor import Tensor, _identity, _result, as_tensor

__all__ = [
    "abs",
    "broadcast_to",
    "clip",
    "concatenate",
    "cos",
    "erf",
    "exp",
    "expand_dims",
    "flatten",
    "gelu",
    "getitem",
    "leaky_relu",
    "log",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "one_hot",
    "permute",
    "relu",
    "reshape",
    "sigmoid",
    "sin",
    "softmax",
    "softplus",
    "split",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "step",
    "sum",
    "tanh",
    "transpose",
    "unsqueeze",
    "var",
    "where",
]

Axis = int | tuple[int, ...] | None

# ----- elementwise, one input -----


def exp(x: Tensor) -> Tensor:
    with np.errstate(over="ignore"):  # overflow gives inf, as documented for Value
        data = np.asarray(np.exp(x.data))  # asarray: a 0-d result is a numpy scalar
    return _result(data, "exp", x, data)  # d/da e^a = e^a: the VJP multiplies by the result


def _check_domain(x: Tensor, op: str) -> bool:
    """Raise for negative input (as Value does); True if some input is exactly 0."""
    negative = x.data < 0  # comparisons, not min(): a NaN anywhere must not hide a negative
    if negative.any():
        count = int(negative.sum())
        smallest = x.data[negative].min()
        raise ValueError(
            f"{op}: {count} negative input(s), the smallest {smallest:g}; "
            f"{op} is defined for x >= 0"
        )
    return bool((x.data == 0).any())


def log(x: Tensor) -> Tensor:
    """Natural log: -inf at 0 (slope inf), nan for nan, a ValueError for negative input."""
    a = x.data
    with np.errstate(divide="ignore") if _check_domain(x, "log") else contextlib.nullcontext():
        data = np.log(a)
    return _result(data, "log", x, lambda g: _divide(g, a))


def sqrt(x: Tensor) -> Tensor:
    """Square root: slope inf at 0, nan for nan, a ValueError for negative input."""
    _check_domain(x, "sqrt")
    data = np.sqrt(x.data)
    return _result(data, "sqrt", x, lambda g: _divide(g * 0.5, data))


def abs(x: Tensor) -> Tensor:
    a = x.data
    return _result(np.abs(a), "abs", x, lambda g: g * np.sign(a))


def sin(x: Tensor) -> Tensor:
    a = x.data
    return _result(np.sin(a), "sin", x, lambda g: g * np.cos(a))


def cos(x: Tensor) -> Tensor:
    a = x.data
    return _result(np.cos(a), "cos", x, lambda g: -g * np.sin(a))


def tanh(x: Tensor) -> Tensor:
    data = np.tanh(x.data)
    return _result(data, "tanh", x, lambda g: g * (1 - data * data))


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e^-x) from e^-|x|, which never overflows."""
    a = x.data
    e = np.exp(-np.abs(a))
    data = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
    return _result(data, "sigmoid", x, lambda g: g * data * (1 - data))


def relu(x: Tensor) -> Tensor:
    """max(0, x); the slope is 0 only where x <= 0, so nan passes through (as in PyTorch)."""
    a = x.data
    return _result(np.maximum(a, 0), "relu", x, lambda g: g * ~(a <= 0))


def leaky_relu(x: Tensor, alpha: float = 0.01) -> Tensor:
    a = x.data
    positive = a > 0
    data = np.where(positive, a, alpha * a)
    return _result(data, "leaky_relu", x, lambda g: np.where(positive, g, alpha * g))


def step(x: Tensor) -> Tensor:
    """1 where x >= 0 else 0; its gradient is 0 everywhere."""
    return _result((x.data >= 0).astype(x.data.dtype), "step", x, np.zeros_like)


def softplus(x: Tensor) -> Tensor:
    """log(1 + e^x), computed as logaddexp(0, x) so that it never overflows."""
    a = x.data
    with np.errstate(invalid="ignore"):  # only a nan input is invalid here; it gives nan
        data = np.logaddexp(0, a)
    # sigmoid(x) = e^(x - softplus(x)), and x - softplus(x) <= 0 never overflows.
    return _result(data, "softplus", x, lambda g: g * np.exp(a - data))


def erf(x: Tensor) -> Tensor:
    """The error function (2/√π)∫₀ˣ e^(-t²) dt, for the exact GELU (``nn.activations.gelu``);
    its slope (2/√π)·e^(-x²) is 0, not an overflow, at large |x|."""
    a = x.data

    def vjp(g: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # x² past float range is inf, and e^-inf is 0
            return g * (np.exp(-(a * a)) * (2 / math.sqrt(math.pi)))

    return _result(_erf(a), "erf", x, vjp)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) with Φ the normal CDF (exact, via erf), or PyTorch's tanh approximation."""
    a = x.data
    if approximate == "tanh":
        c = math.sqrt(2 / math.pi)
        inner = c * (a + 0.044715 * a**3)
        t = np.tanh(inner)
        data = 0.5 * a * (1 + t)

        def vjp(g: np.ndarray) -> np.ndarray:
            return g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * c * (1 + 3 * 0.044715 * a * a))

        return _result(data, "gelu_tanh", x, vjp)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    cdf = 0.5 * (1 + _erf(a / math.sqrt(2)))
    data = a * cdf
    density = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    return _result(data, "gelu", x, lambda g: g * (cdf + a * density))


def clip(x: Tensor, low: float | None = None, high: float | None = None) -> Tensor:
    """Values limited to [low, high]; the gradient passes where low <= x <= high (as PyTorch)."""
    a = x.data
    inside = np.ones(a.shape, dtype=bool)
    if low is not None:
        inside &= a >= low
    if high is not None:
        inside &= a <= high
    return _result(np.clip(a, low, high), "clip", x, lambda g: g * inside)


# ----- elementwise, two or three inputs -----


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise max; where the two are equal each gets half the gradient (as PyTorch)."""
    return _extremum(x, y, np.greater, "maximum")


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise min; where the two are equal each gets half the gradient (as PyTorch)."""
    return _extremum(x, y, np.less, "minimum")


def _extremum(x: Any, y: Any, wins: Any, op: str) -> Tensor:
    x, y = _pair(x, y)
    a, b = x.data, y.data
    _check_broadcast(op, a, b)
    share = np.where(wins(a, b), 1.0, np.where(a == b, 0.5, 0.0)).astype(_float(a, b))
    data = np.where(wins(a, b) | (a == b), a, b)
    return _result(data, op, x, lambda g: g * share, y, lambda g: g * (1 - share))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where condition holds, else y; each gets the gradient of the places it filled."""
    mask = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    x, y = _pair(x, y)
    _check_broadcast("where", mask, x.data, y.data)
    data = np.where(mask, x.data, y.data)
    return _result(data, "where", x, lambda g: g * mask, y, lambda g: g * ~mask)


# ----- matrix product -----


def matmul(x: Any, y: Any) -> Tensor:
    """``x @ y`` with numpy's rules: 2-D, batched (broadcast leading dims), 1-D on either side."""
    x, y = _pair(x, y)
    a, b = x.data, y.data
    if a.ndim == 2 == b.ndim and a.shape[1] == b.shape[0]:
        return _matmul_2d(x, y)  # a layer's product: plain transposes, no views to build
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: {a.shape} @ {b.shape} — both operands need at least 1 dim")
    inner_a, inner_b = a.shape[-1], b.shape[0 if b.ndim == 1 else -2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: {a.shape} @ {b.shape} — inner dimensions {inner_a} and {inner_b} differ"
        )
    try:
        data = a @ b
    except ValueError:
        raise ValueError(f"matmul: {a.shape} @ {b.shape} — batch dimensions differ") from None
    # Work on at-least-2-D views so that one pair of formulas covers every case.
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b

    def as_2d(g: np.ndarray) -> np.ndarray:
        if b.ndim == 1:  # first, so that 1-D @ 1-D's 0-d gradient becomes (1,) then (1, 1)
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        return g

    def d_x(g: np.ndarray) -> np.ndarray:
        grad = as_2d(g) @ np.swapaxes(b2, -1, -2)
        return grad[..., 0, :] if a.ndim == 1 else grad

    def d_y(g: np.ndarray) -> np.ndarray:
        grad = np.swapaxes(a2, -1, -2) @ as_2d(g)
        return grad[..., 0] if b.ndim == 1 else grad

    return _result(data, "matmul", x, d_x, y, d_y)


def _matmul_2d(x: Tensor, y: Tensor) -> Tensor:
    a, b = x.data, y.data
    return _result(a @ b, "matmul", x, lambda g: g @ b.T, y, lambda g: a.T @ g)


# ----- reductions -----


def _normalise_axis(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimension(s)")
    return tuple(sorted(a % ndim for a in axes)) if ndim else ()


def _expand_back(g: np.ndarray, axes: tuple[int, ...], keepdims: bool, shape: tuple) -> np.ndarray:
    """The gradient of a reduced result, brought back to the input's shape (a broadcast view)."""
    if not keepdims:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    if axis is None and not keepdims and x.data.dtype.kind == "f":
        return _total(x, np.add.reduce(x.data, axis=None), 1, "sum")
    axes = _normalise_axis(axis, x.ndim)
    shape = x.shape
    data = np.sum(x.data, axis=axes, keepdims=keepdims)
    return _result(data, "sum", x, lambda g: _expand_back(g, axes, keepdims, shape))


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    if axis is None and not keepdims and x.size and x.data.dtype.kind == "f":
        return _total(x, np.add.reduce(x.data, axis=None) / x.size, x.size, "mean")
    axes = _normalise_axis(axis, x.ndim)
    shape = x.shape
    count = math.prod(shape[a] for a in axes)
    data = np.mean(x.data, axis=axes, keepdims=keepdims)
    return _result(data, "mean", x, lambda g: _expand_back(g / count, axes, keepdims, shape))


def _total(x: Tensor, data: Any, count: int, op: str) -> Tensor:
    """A sum (count 1) or mean of every element, the loss's last op: its VJP fills the input's
    shape with g / count in one call."""
    shape, dtype = x.shape, x.dtype
    return _result(np.asarray(data), op, x, lambda g: np.full(shape, g / count, dtype))


def max(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The largest entries; ties share the gradient equally (as PyTorch's amax)."""
    return _extreme(x, axis, keepdims, np.max, "max")


def min(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """The smallest entries; ties share the gradient equally (as PyTorch's amin)."""
    return _extreme(x, axis, keepdims, np.min, "min")


def _extreme(x: Tensor, axis: Axis, keepdims: bool, reduce: Any, op: str) -> Tensor:
    if x.size == 0:
        raise ValueError(f"{op}: the tensor is empty")
    axes = _normalise_axis(axis, x.ndim)
    a = x.data
    kept = reduce(a, axis=axes, keepdims=True)
    data = kept if keepdims else np.squeeze(kept, axis=axes)

    def vjp(g: np.ndarray) -> np.ndarray:
        hit = a == kept
        share = hit / hit.sum(axis=axes, keepdims=True)
        return _expand_back(g, axes, keepdims, a.shape) * share

    return _result(data, op, x, vjp)


def var(x: Tensor, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance, Σ(x − mean)² / (n − ddof); ddof=0 as numpy and Keras (PyTorch's default is 1)."""
    axes = _normalise_axis(axis, x.ndim)
    count = math.prod(x.shape[a] for a in axes)
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) * (1.0 / (count - ddof))


def std(x: Tensor, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation, the square root of ``var``."""
    return sqrt(var(x, axis, keepdims, ddof))


def logsumexp(x: Tensor, axis: Axis = -1, keepdims: bool = False) -> Tensor:
    """log Σ e^x along ``axis``, shifted by the max so that it never overflows."""
    axes = _normalise_axis(axis, x.ndim)
    a = x.data
    shift = np.max(a, axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)
    exps = np.exp(a - shift)
    total = np.sum(exps, axis=axes, keepdims=True)
    kept = np.log(total) + shift
    data = kept if keepdims else np.squeeze(kept, axis=axes)
    weights = exps / total  # d logsumexp / dx is the softmax

    return _result(
        data, "logsumexp", x, lambda g: _expand_back(g, axes, keepdims, a.shape) * weights
    )


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """e^x / Σ e^x along ``axis`` (stable: shifted by the max)."""
    a = x.data
    exps = np.exp(a - np.max(a, axis=axis, keepdims=True))
    data = exps / np.sum(exps, axis=axis, keepdims=True)
    return _result(
        data, "softmax", x, lambda g: data * (g - np.sum(g * data, axis=axis, keepdims=True))
    )


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x − logsumexp(x) along ``axis``: finite even where softmax underflows to 0."""
    a = x.data
    shifted = a - np.max(a, axis=axis, keepdims=True)
    data = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    probabilities = np.exp(data)
    return _result(
        data,
        "log_softmax",
        x,
        lambda g: g - probabilities * np.sum(g, axis=axis, keepdims=True),
    )


# ----- shapes -----


def reshape(x: Tensor, *shape: Any) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    original = x.shape
    try:
        data = x.data.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape {original} ({x.size} elements) into {tuple(shape)}"
        ) from None
    return _result(data, "reshape", x, lambda g: g.reshape(original))


def flatten(x: Tensor, start_axis: int = 0) -> Tensor:
    """Merge the axes from ``start_axis`` on into one (``flatten(1)`` keeps the batch axis)."""
    start = start_axis % x.ndim if x.ndim else 0
    return reshape(x, (*x.shape[:start], -1))


def transpose(x: Tensor, *axes: int) -> Tensor:
    """Reverse the axes (``x.T``), or permute them in the order given."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    order = tuple(range(x.ndim))[::-1] if not axes else tuple(a % x.ndim for a in axes)
    if sorted(order) != list(range(x.ndim)):
        raise ValueError(f"transpose: {axes} is not a permutation of the axes of {x.shape}")
    inverse = tuple(np.argsort(order))
    return _result(np.transpose(x.data, order), "transpose", x, lambda g: np.transpose(g, inverse))


permute = transpose


def squeeze(x: Tensor, axis: Axis = None) -> Tensor:
    original = x.shape
    try:
        data = np.squeeze(x.data, axis=axis)
    except ValueError:
        raise ValueError(f"squeeze: axis {axis} of shape {original} is not of size 1") from None
    return _result(data, "squeeze", x, lambda g: g.reshape(original))


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    original = x.shape
    data = np.expand_dims(x.data, axis)
    return _result(data, "unsqueeze", x, lambda g: g.reshape(original))


expand_dims = unsqueeze


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    try:
        data = np.broadcast_to(x.data, tuple(shape))
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast {x.shape} to {tuple(shape)}") from None
    return _result(data, "broadcast_to", x, _identity)  # unbroadcast sums it back


# ----- indexing, joining, splitting -----


def _plain_index(index: Any) -> Any:
    """Tensors inside an index become their arrays; also report whether indexing is advanced."""
    parts = index if isinstance(index, tuple) else (index,)
    plain = tuple(p.data if isinstance(p, Tensor) else p for p in parts)
    advanced = any(isinstance(p, (np.ndarray, list)) for p in plain)
    return (plain if isinstance(index, tuple) else plain[0]), advanced


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with ints, slices, integer arrays and boolean masks; repeated indices add up."""
    index, advanced = _plain_index(index)
    a = x.data
    try:
        data = a[index]
    except IndexError as error:
        raise IndexError(f"getitem: {error} (tensor of shape {a.shape})") from None

    def vjp(g: np.ndarray) -> np.ndarray:
        grad = np.zeros(a.shape, dtype=g.dtype)
        if advanced:
            np.add.at(grad, index, g)  # scatter-add, so a repeated index gets every contribution
        else:
            grad[index] = g
        return grad

    if not advanced and isinstance(data, np.ndarray) and data.base is not None:
        data = data.copy()  # a result never shares memory with its input
    return _result(np.asarray(data), "getitem", x, vjp)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    try:
        data = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(
            f"concatenate: shapes {shapes} must agree on every axis but axis {axis}"
        ) from None
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]
    inputs: list[Any] = []
    for i, t in enumerate(tensors):
        inputs += [t, lambda g, i=i: np.split(g, bounds, axis=axis)[i]]
    return _result(data, "concatenate", *inputs)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need one shape, got {sorted(shapes)}")
    data = np.stack([t.data for t in tensors], axis=axis)
    inputs: list[Any] = []
    for i, t in enumerate(tensors):
        inputs += [t, lambda g, i=i: np.take(g, i, axis=axis)]
    return _result(data, "stack", *inputs)


def split(x: Tensor, sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """numpy's split: ``sections`` equal parts, or cut before each index in ``sections``."""
    length = x.shape[axis]
    if isinstance(sections, int):
        if sections <= 0 or length % sections:
            raise ValueError(
                f"split: axis {axis} of length {length} does not split into {sections} parts"
            )
        cuts = list(range(0, length, length // sections))[1:]
    else:
        cuts = list(sections)
    edges = [0, *cuts, length]
    prefix = (slice(None),) * (axis % x.ndim)
    return [getitem(x, (*prefix, slice(lo, hi))) for lo, hi in itertools.pairwise(edges)]


def one_hot(labels: Any, num_classes: int) -> Tensor:
    """Float32 rows with a 1 at each label: integer labels in, a constant Tensor out."""
    indices = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), got {indices.min()}..{indices.max()}"
        )
    return Tensor(np.eye(num_classes, dtype=np.float32)[indices])


# ----- helpers -----


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, giving inf at 0 without a warning (the slope of log and sqrt)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return numerator / denominator


def _erf(a: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
    except ImportError:  # numpy has no erf; math.erf is exact but elementwise
        return np.vectorize(math.erf, otypes=[a.dtype])(a)
    return erf(a).astype(a.dtype, copy=False)


def _float(*arrays: np.ndarray) -> np.dtype:
    return np.result_type(*arrays, np.float32)


def _pair(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    if isinstance(x, Tensor):
        return x, as_tensor(y, x)
    y = as_tensor(y)
    return as_tensor(x, y), y


def _check_broadcast(op: str, *arrays: np.ndarray) -> None:
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = " and ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{op}: shapes {shapes} do not broadcast together") from None


# ----- the same functions as Tensor methods: `x.exp()`, `x.sum(axis=0)`, `x @ w`, `x[0]` -----

for _name in (
    "abs", "clip", "cos", "erf", "exp", "flatten", "gelu", "leaky_relu", "log", "log_softmax",
    "logsumexp", "max", "mean", "min", "permute", "relu", "reshape", "sigmoid", "sin",
    "softmax", "softplus", "sqrt", "squeeze", "std", "step", "sum", "tanh", "transpose",
    "unsqueeze", "expand_dims", "broadcast_to", "var",
):  # fmt: skip
    setattr(Tensor, _name, globals()[_name])
Tensor.__abs__ = abs
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(as_tensor(other, self), self)
Tensor.__getitem__ = getitem
Tensor.T = property(transpose, doc="The tensor with its axes reversed.")
