"""``Tensor``: a numpy array that records how it was computed, on the same engine as ``Value``.

Each op computes its result with numpy and records, for every input that needs a gradient, a
vector-Jacobian product (VJP): a function from the gradient of the result to the gradient of that
input. Where the op is elementwise and its local derivative is an array at hand (``b`` for
``a * b``, ``e^a`` for ``exp``), the VJP is that array itself, meaning "multiply by it": the
diagonal of the Jacobian, as ``Value`` keeps its local derivatives as numbers. Broadcasting is
undone once, centrally, in ``_backward`` (``unbroadcast``), so no VJP has to remember it.
Method names are the same as ``Value``'s, so activations and losses written once run on both.

Floating-point data is stored as float32 unless ``dtype`` says otherwise (``dtype="float64"`` for
gradient checks); integer and boolean tensors hold labels and masks and never get gradients.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import graph
from autograd.graph import grad_mode

__all__ = ["Tensor", "unbroadcast"]

_new = object.__new__
_ndarray = np.ndarray
VJP = Callable[[np.ndarray], np.ndarray] | np.ndarray  # a function, or local derivatives


def _as_array(data: Any, dtype: Any) -> np.ndarray:
    """``data`` as a numpy array: floats become float32 unless ``dtype`` is given."""
    if isinstance(data, Tensor):
        raise TypeError("Tensor() got a Tensor; use t.detach() for a copy cut from the graph")
    if type(data).__name__ == "Value":
        raise TypeError("Tensor() got a Value; use Tensor(v.data) (Value and Tensor do not mix)")
    try:
        array = np.array(data, dtype=dtype)
    except (TypeError, ValueError) as error:
        name = type(data).__name__
        raise TypeError(f"Tensor() cannot make an array of {name}: {error}") from None
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor() needs numbers (bool, int or float), got {type(data).__name__} of "
            f"dtype {array.dtype}"
        )
    if dtype is None and array.dtype.kind == "f" and array.dtype != np.float32:
        array = array.astype(np.float32)
    return array


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` back to ``shape``: the adjoint of numpy broadcasting ``shape`` up to it."""
    if grad.shape == shape:
        return grad
    if grad.shape[1:] == shape:  # the common case: a bias added to every row of a batch
        return np.asarray(grad.sum(axis=0))  # asarray: a sum to shape () is a numpy scalar
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"unbroadcast: gradient of shape {grad.shape} cannot reduce to {shape}")
    return np.asarray(grad)


def _result(
    data: np.ndarray,
    op: str | tuple[str, float],
    a: Tensor,
    vjp_a: VJP,
    b: Tensor | None = None,
    vjp_b: VJP | None = None,
    *more: Any,
) -> Tensor:
    """A new Tensor computed by ``op`` from parent ``a`` (and ``b``, and ``more`` as further
    parent, vjp pairs), with the VJP that maps the result's gradient to each parent's (a
    function, or an array of local derivatives to multiply it by).

    Only parents that require a gradient are recorded, and nothing is recorded under no_grad.
    ``op`` is a name, or a template and the constant it applied, ``("* {}", 0.5)``, formatted
    only when the picture asks for it. One and two parents, the hot cases, build no lists.
    """
    out = _new(Tensor)
    out.data = data if type(data) is _ndarray else np.asarray(data)  # numpy gives 0-d scalars
    out.grad = None
    out.label = ""
    out._op = op
    out._retains_grad = False
    if grad_mode.enabled:
        if more:
            pairs = [(a, vjp_a), (b, vjp_b), *zip(more[0::2], more[1::2])]
            pairs = [(p, v) for p, v in pairs if p.requires_grad]
            if pairs:
                out._parents = tuple(p for p, _ in pairs)
                out._vjps = tuple(v for _, v in pairs) if len(pairs) > 1 else pairs[0][1]
                out.requires_grad = True
                return out
        elif a.requires_grad:
            if b is not None and b.requires_grad:
                out._parents, out._vjps = (a, b), (vjp_a, vjp_b)
            else:
                out._parents, out._vjps = (a,), vjp_a
            out.requires_grad = True
            return out
        elif b is not None and b.requires_grad:
            out._parents, out._vjps = (b,), vjp_b
            out.requires_grad = True
            return out
    out._parents = ()
    out._vjps = ()
    out.requires_grad = False
    return out


def _constant(other: Any, like: Tensor, op: str) -> Tensor:
    """A number or array operand as a constant Tensor; with a floating ``like``, numbers and
    arrays take its dtype (so a float64 tensor keeps float64 operands exact, and a float32 one is
    not promoted to float64 by a float64 array)."""
    if isinstance(other, Tensor):
        return other
    if type(other).__name__ == "Value":
        raise TypeError(
            f"{op}: cannot mix a Tensor and a Value in one expression; use Tensor(v.data) or "
            "keep to one kind"
        )
    if isinstance(other, (numbers.Number, np.ndarray, np.generic, list, tuple)):
        array = _as_array(other, like.data.dtype if like.data.dtype.kind == "f" else None)
    else:
        raise TypeError(f"{op}: unsupported operand type {type(other).__name__}")
    return Tensor._leaf(array)


def _quiet() -> np.errstate:
    """Silence numpy's warnings about inf and nan results that the op means to give."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _broadcast_error(op: str, a: Tensor, b: Tensor) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast together")


class Tensor:
    """An n-dimensional array with gradients: ``Tensor([[1., 2.]], requires_grad=True)``."""

    __slots__ = (
        "_op",
        "_parents",
        "_retains_grad",
        "_vjps",
        "data",
        "grad",
        "label",
        "requires_grad",
    )
    __array_ufunc__ = None  # `ndarray + Tensor` must come to Tensor.__radd__, not to numpy
    _start_grad = None  # what a computed tensor's gradient is reset to before a backward pass

    def __init__(
        self, data: Any, dtype: Any = None, requires_grad: bool = False, label: str = ""
    ) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self.label = label
        self._parents: tuple[Tensor, ...] = ()
        self._vjps: VJP | tuple[VJP, ...] = ()  # bare when there is one parent
        self._op = ""
        self._retains_grad = False

    # ----- what it is -----

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def op(self) -> str:
        """The operation that made this tensor, constants included (``"* 0.5"``); "" for a leaf."""
        op = self._op
        return op if isinstance(op, str) else op[0].format(f"{op[1]:g}")

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        """The single element as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: tensor of shape {self.shape} has {self.size} elements, not 1")
        return self.data.item()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        """numpy's printout for a small tensor; shape, dtype and a summary for a large one
        (``summarize``; the numbers themselves are ``.numpy()`` away)."""
        extras = [f"dtype={self.dtype}"]
        if self.data.size <= REPR_IN_FULL_UP_TO:
            head = np.array2string(
                self.data, precision=4, separator=", ", threshold=10**6, prefix="Tensor("
            )
        else:
            head = f"shape={self.shape}"
            extras += [f"{name}={text}" for name, text in summarize(self.data)]
        if self.requires_grad:
            extras.append("requires_grad=True")
        if self.label:
            extras.append(f"label={self.label!r}")
        return f"Tensor({head}, {', '.join(extras)})"

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    __hash__ = object.__hash__

    # ----- gradients and the backward engine's protocol (autograd.graph) -----

    def backward(self, grad: Any = None) -> None:
        """Fill ``.grad`` of every leaf that requires a gradient with d(self)/d(leaf) · grad.

        ``grad`` defaults to 1 for a single-element tensor; any other shape needs it explicitly.
        Leaf gradients accumulate across calls; intermediate ones are freed unless
        ``retain_grad()`` was called.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input had requires_grad=True, "
                "or it was computed under no_grad)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the tensor has shape {self.shape}; pass grad= of that shape "
                    "(only a single-element tensor gets the default gradient 1)"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward: grad has shape {seed.shape} but the tensor has shape {self.shape}"
                )
        graph.backward(self, seed)

    def _backward(self) -> None:
        grad = self.grad
        if not self._retains_grad:
            self.grad = None
        vjps = self._vjps
        if type(vjps) is tuple:
            for parent, vjp in zip(self._parents, vjps):
                parent._receive(grad * vjp if type(vjp) is _ndarray else vjp(grad), grad)
        else:  # one parent, the common case: its VJP is stored bare, without a tuple
            self._parents[0]._receive(grad * vjps if type(vjps) is _ndarray else vjps(grad), grad)

    def _receive(self, grad: np.ndarray, sent: np.ndarray) -> None:
        """Add ``grad``, sent by a child whose own gradient is ``sent``, to this tensor's:
        broadcasting undone, the dtype kept, and a leaf given an array of its own."""
        data = self.data
        if grad.shape != data.shape:
            grad = unbroadcast(grad, data.shape)
        elif not self._parents and (
            type(grad) is not _ndarray  # numpy gives 0-d results as scalars
            or grad is sent
            or grad.base is not None
        ):
            grad = np.array(grad)  # a leaf's .grad is an array of its own
        if grad.dtype is not data.dtype and grad.dtype != data.dtype:
            grad = grad.astype(data.dtype)
        if self.grad is None:
            self.grad = grad
        else:
            total = self.grad + grad
            self.grad = total if total.ndim else np.asarray(total)

    def _accumulate(self, grad: np.ndarray) -> None:
        if self.grad is None:
            self.grad = grad
        else:
            self.grad = self.grad + grad

    def retain_grad(self) -> Tensor:
        """Keep this intermediate tensor's gradient after ``backward`` (leaves always keep it)."""
        self._retains_grad = True
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing a gradient (in place, as in PyTorch)."""
        if self._parents:
            raise RuntimeError("requires_grad_: only leaves can change requires_grad")
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def detach(self) -> Tensor:
        """A new leaf sharing the data, cut from the graph."""
        return Tensor._leaf(self.data)

    @staticmethod
    def _leaf(data: np.ndarray) -> Tensor:
        out = _new(Tensor)
        out.data = data if type(data) is _ndarray else np.asarray(data)  # 0-d: numpy scalars
        out.grad = None
        out.label = ""
        out._op = ""
        out._retains_grad = False
        out._parents = ()
        out._vjps = ()
        out.requires_grad = False
        return out

    # ----- arithmetic: a Tensor, a number or an array on either side -----

    # A Python number operand of a tensor that requires a gradient is a constant folded into
    # the op (as PyTorch's wrapped numbers): no constant tensor is made, the op records one
    # parent, and numpy's rules give the same dtype as a constant tensor would. The VJPs of
    # ``a * b`` are the arrays b and a (multiply by them), and that of ``a / b`` is numpy's
    # bound method ``b.__rtruediv__`` (g -> g / b): no Python frame to call, no closure for
    # the garbage collector to track.

    def __add__(self, other: Any) -> Tensor:
        if type(other) is not Tensor:
            if type(other) in _NUMBERS and self.requires_grad:
                return _result(self.data + other, ("+ {}", other), self, _identity)
            other = _constant(other, self, "add")
        try:
            data = self.data + other.data
        except ValueError:
            raise _broadcast_error("add", self, other) from None
        return _result(data, "+", self, _identity, other, _identity)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Tensor:
        if type(other) is not Tensor:
            if type(other) in _NUMBERS and self.requires_grad:
                return _result(self.data - other, ("- {}", other), self, _identity)
            other = _constant(other, self, "sub")
        try:
            data = self.data - other.data
        except ValueError:
            raise _broadcast_error("sub", self, other) from None
        return _result(data, "-", self, _identity, other, np.negative)

    def __rsub__(self, other: Any) -> Tensor:
        if type(other) in _NUMBERS and self.requires_grad:
            return _result(other - self.data, ("{} -", other), self, np.negative)
        return _constant(other, self, "sub") - self

    def __mul__(self, other: Any) -> Tensor:
        a = self.data
        if type(other) is not Tensor:
            if type(other) in _NUMBERS and self.requires_grad:
                return _result(a * other, ("* {}", other), self, _times(other))
            other = _constant(other, self, "mul")
        b = other.data
        try:
            data = a * b
        except ValueError:
            raise _broadcast_error("mul", self, other) from None
        return _result(data, "*", self, b, other, a)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Tensor:
        a = self.data
        if type(other) is not Tensor:
            if type(other) in _NUMBERS and self.requires_grad:
                return _result(a / other, ("/ {}", other), self, _divided_by(other))
            other = _constant(other, self, "div")
        b = other.data
        try:
            data = a / b
        except ValueError:
            raise _broadcast_error("div", self, other) from None
        # Each VJP is made only for an operand that needs it (`False` stands in for the other).
        vjp_a = self.requires_grad and b.__rtruediv__
        vjp_b = other.requires_grad and _d_denominator(data, b)
        return _result(data, "/", self, vjp_a, other, vjp_b)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _constant(other, self, "div") / self

    def __pow__(self, exponent: Any) -> Tensor:
        # A negative base with a fractional exponent gives nan and 0 ** negative gives inf, as
        # in PyTorch; numpy's warnings about them are silenced here and in the VJPs.
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, Tensor):
            a, p = self.data, exponent
            with _quiet():
                data = a**p
            if p == 0:
                return _result(data, f"** {p:g}", self, np.zeros_like)

            def d_power(g: np.ndarray) -> np.ndarray:
                with _quiet():
                    return g * (p * a ** (p - 1))

            return _result(data, f"** {p:g}", self, d_power)
        other = _constant(exponent, self, "pow")
        a, b = self.data, other.data
        try:
            with _quiet():
                data = a**b
        except ValueError:
            raise _broadcast_error("pow", self, other) from None

        def d_base(g: np.ndarray) -> np.ndarray:
            with _quiet():
                return g * np.where(b == 0, 0.0, b * a ** np.where(b == 0, 1.0, b - 1))

        def d_exponent(g: np.ndarray) -> np.ndarray:
            # base ** exponent · log(base), taken as 0 where base is 0 and exponent >= 0.
            safe = np.where(a == 0, 1.0, a)
            with _quiet():
                return g * np.where((a == 0) & (b >= 0), 0.0, data * np.log(safe))

        return _result(data, "**", self, d_base, other, d_exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return _constant(base, self, "pow") ** self

    def __neg__(self) -> Tensor:
        return _result(-self.data, "neg", self, np.negative)

    # Comparisons give boolean tensors (masks), which never require gradients.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._leaf(self.data < _constant(other, self, "lt").data)

    def __le__(self, other: Any) -> Tensor:
        return Tensor._leaf(self.data <= _constant(other, self, "le").data)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._leaf(self.data > _constant(other, self, "gt").data)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._leaf(self.data >= _constant(other, self, "ge").data)


def _identity(grad: np.ndarray) -> np.ndarray:
    return grad


def _times(c: float) -> VJP:
    """The VJP of multiplying by the constant ``c``, made outside the op so that the op's own
    frame keeps no closure cell."""
    return lambda g: g * c


def _divided_by(c: float) -> VJP:
    """The VJP of dividing by the constant ``c``."""
    return lambda g: g / c


def _d_denominator(quotient: np.ndarray, denominator: np.ndarray) -> VJP:
    """The VJP of a / b with respect to b: -g · (a / b) / b."""
    return lambda g: -g * quotient / denominator


_NUMBERS = (float, int)  # exact types: bool and numpy scalars take the general path


# ----- one summary of an array, for ``repr`` and for the pictures of ``autograd.viz`` -----

REPR_IN_FULL_UP_TO = 100  # a tensor of at most this many numbers prints them all


def format_number(x: float) -> str:
    """One number format for reprs and pictures: four significant digits (``0.1244``,
    ``-2``, ``1.235e+06``), ``nan``, ``inf``, and ``0`` for either zero."""
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.4g}"


def format_array(array: np.ndarray) -> str:
    """Every number of ``array`` in ``format_number``'s format, nested as numpy nests them."""
    formatter = {"all": format_number} if array.dtype.kind in "fiu" else None
    text = np.array2string(
        array, separator=", ", formatter=formatter, threshold=10**6, max_line_width=10**6
    )
    return " ".join(line.strip() for line in text.splitlines())


def summarize(array: np.ndarray) -> list[tuple[str, str]]:
    """``(name, text)`` pairs that stand for ``array``: mean, std, min and max of its finite
    numbers and how many are nan and inf (a boolean array: how many are true and false).

    Statistics skip nan and inf, so that one bad number does not hide the rest; the counts
    say they are there. Computed in float64, so float32 data of any size cannot overflow.
    """
    if array.size == 0:
        return [("size", "0")]
    if array.dtype.kind == "b":
        true = int(np.count_nonzero(array))
        return [("true", str(true)), ("false", str(array.size - true))]
    values = np.asarray(array, dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    nan = int(np.count_nonzero(np.isnan(values)))
    inf = values.size - finite.size - nan
    if finite.size:
        with np.errstate(over="ignore", invalid="ignore"):
            statistics = [finite.mean(), finite.std(), finite.min(), finite.max()]
    else:
        statistics = [np.nan] * 4
    names = ("mean", "std", "min", "max")
    pairs = [(name, format_number(value)) for name, value in zip(names, statistics)]
    return [*pairs, ("nan", str(nan)), ("inf", str(inf))]


def as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """``x`` if it is a Tensor, else a constant Tensor of it."""
    if isinstance(x, Tensor):
        return x
    return _constant(x, like if like is not None else Tensor._leaf(np.zeros((), np.float32)), "")
