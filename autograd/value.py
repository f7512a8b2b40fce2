"""``Value``: one float, its gradient, and the local derivatives that link it to its parents.

For a scalar the derivative of an op with respect to each input is just a number, known at forward
time. So every op below is one line of forward and its local derivatives, and the backward step is
``parent.grad += local * grad`` with no closures. Numbers mixed into an expression are constants:
they become part of the local derivative, not nodes of the graph.

A node is one object: its parents and their local derivatives sit in four slots (``_a``, ``_da``
and ``_b``, ``_db``), not in tuples beside it. Python's garbage collector visits every object that
can hold other objects, again and again while a graph grows, and that was most of the cost of
building one: one object per node instead of three halves it. The n-ary ops (``sum``, ``dot``,
``softmax``, ``logsumexp``, ``amax``) keep a tuple of parents in ``_a`` and one of derivatives in
``_da``. The properties ``_parents``, ``_local_grads`` and ``_op`` give a node back as tuples for
pictures and explanations; the engine's walk reads the slots (autograd/graph.py).

And the collector need not visit a node at all. It exists to find reference cycles, and a node
an op makes cannot be in one: it points only to its parents, which existed before it, and to
numbers and strings. Reference counting frees a graph as soon as its root is dropped. So every
node an op makes is untracked (CPython's ``PyObject_GC_UnTrack``, through ctypes), as CPython
itself untracks tuples and dicts that hold only numbers and strings; a student's micrograd-shaped
training step is then about 1.6 times as fast (``benchmarks/scalar_mlp.py``), and the collector's
share of it is near 0 rather than half. Leaves made with ``Value(...)`` stay tracked. On other
Pythons nothing is untracked.

Conventions (the same as PyTorch): ``relu``, ``abs`` and ``step`` have derivative 0 at 0 and
``leaky_relu`` has derivative ``alpha`` there; ``relu`` of nan is nan (slope 1, not 0); ``x ** 0``
has derivative 0 everywhere; a negative base with a non-integer exponent gives ``nan``; ``exp``
past float range gives ``inf``.
Unlike PyTorch, ``log`` and ``sqrt`` of a negative number raise ``ValueError`` instead of giving
``nan`` (a scalar engine can afford the check), and division by zero raises ``ZeroDivisionError``
as Python's floats do.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Union

from autograd import graph
from autograd.graph import grad_mode

__all__ = ["Value", "amax", "dot", "logsumexp", "softmax", "sum"]

Scalar = Union["Value", float, int]

_new = object.__new__


def _untracker() -> Callable[[object], None]:
    """CPython's ``PyObject_GC_UnTrack`` through ctypes (a function pointer of our own, so that
    its argument types are ours alone), or a function that does nothing on other Pythons. See
    the module docstring: a Value an op makes can never be part of a reference cycle."""
    try:
        import ctypes  # absent from some builds of Python: then nothing is untracked
    except ImportError:
        return lambda value: None
    if sys.implementation.name != "cpython":
        return lambda value: None
    untrack = ctypes.pythonapi["PyObject_GC_UnTrack"]
    untrack.argtypes, untrack.restype = [ctypes.py_object], None
    return untrack


_untrack = _untracker()


def _result(
    data: float, op: str, a: Value, da: float, b: Value | None = None, db: float = 0.0
) -> Value:
    """A new Value computed by ``op`` from ``a`` (and ``b``), with the local derivatives
    ``da`` = d(result)/d(a) (and ``db``); it records its parents only while grad mode is on.

    An op applied to a number is named by a template, ``"* {}"``, and passes the number as
    ``db``: with no second parent that slot is free, the picture reads ``* 0.5`` from the two,
    and no tuple or string is made for it in the hot path.
    """
    out = _new(Value)  # skips __init__ and its checks: the data is already a float
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._name = op
    out._db = db
    if grad_mode.enabled:
        out._a = a
        out._da = da
        out._b = b
    else:
        out._a = out._b = out._da = None
    _untrack(out)
    return out


def _result_of_many(data: float, op: str, parents: tuple, local_grads: tuple) -> Value:
    """A new Value computed by an n-ary op: tuples of parents and of their local derivatives,
    kept in the first parent's slots (``_b`` stays None). No Value parent: a leaf."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._name = op
    out._b = out._db = None
    if grad_mode.enabled and parents:
        out._a = parents
        out._da = local_grads
        _untrack(parents)  # a tuple of Values only: no more able to be in a cycle than they are
    else:
        out._a = out._da = None
    _untrack(out)
    return out


def _constant(other: object) -> float | None:
    """``other`` as a float if it is a plain real number, else None (the op is not supported)."""
    if type(other) is float:  # the common case, first: no conversion to make
        return other
    if isinstance(other, (float, int)):
        return float(other)
    if isinstance(other, numbers.Real):  # numpy scalars too; arrays are not Real
        return float(other)
    return None


def _as_float(data: object, what: str) -> float:
    """Check that ``data`` is a real number and return it as a float, or name the problem."""
    if type(data) is float:
        return data
    if isinstance(data, Value):
        raise TypeError(
            f"{what} needs a number, got a Value; use v.data for its float or v.detach() for a "
            "copy cut from the graph"
        )
    number = _constant(data)
    if number is None:
        hint = "; for arrays use autograd.Tensor" if getattr(data, "ndim", 0) else ""
        raise TypeError(
            f"{what} needs a real number (int or float), got {type(data).__name__} {data!r}{hint}"
        )
    return number


def _power(base: float, exponent: float) -> float:
    """``base ** exponent`` as IEEE floats: inf on overflow or 0 ** negative, nan if complex."""
    try:
        result = base**exponent
    except ZeroDivisionError:
        return math.inf
    except OverflowError:
        odd_integer = math.isfinite(exponent) and exponent == int(exponent) and int(exponent) % 2
        return -math.inf if base < 0 and odd_integer else math.inf
    return math.nan if isinstance(result, complex) else result


def _log(x: float) -> float:
    """Natural log that gives -inf at 0 and nan below, for use inside derivatives."""
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


class Value:
    """A scalar that records how it was computed, so that ``backward()`` can find its gradient.

    >>> a = Value(2.0, label="a"); b = a * a + a; b.backward(); a.grad
    5.0
    """

    # Parents and local derivatives: see the module docstring. `_a` is None for a leaf (and for
    # anything computed under no_grad), `_b` is None unless the op has exactly two parents. With
    # one parent, `_db` holds the number the op was applied to, if any: `_name` "* {}" and 0.5.
    __slots__ = ("_a", "_b", "_da", "_db", "_name", "data", "grad", "label")
    __array_ufunc__ = None  # numpy must not turn `array + Value` into an array of Values
    _parents_in_slots = True  # tells the engine's walk to read `_a` and `_b` (autograd/graph.py)
    _start_grad = 0.0  # what a computed Value's gradient is reset to before a backward pass

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _as_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self._name = ""
        self._a = self._b = self._da = self._db = None  # a leaf: no parents

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"

    def __float__(self) -> float:
        return self.data

    @property
    def op(self) -> str:
        """The operation that made this value, constants included (``"* 0.5"``); "" for a leaf."""
        name = self._name
        return name.format(f"{self._db:g}") if "{}" in name else name

    # ----- the node as tuples, for readers (pictures, explain, tests); the walk reads slots -----

    @property
    def _parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in argument order; () for a leaf."""
        a, b = self._a, self._b
        if b is not None:
            return (a, b)
        if a is None:
            return ()
        return a if type(a) is tuple else (a,)

    @property
    def _op(self) -> str | tuple[str, float]:
        """The op's name, or its template and constant (``("* {}", 0.5)``), as Tensor keeps it."""
        name = self._name
        return (name, self._db) if "{}" in name else name

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each of ``_parents``, in the same order."""
        a = self._a
        if self._b is not None:
            return (self._da, self._db)
        if a is None:
            return ()
        return self._da if type(a) is tuple else (self._da,)

    # ----- the backward engine's protocol (autograd.graph) -----

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every Value this one depends on with d(self)/d(value) times ``grad``.

        Leaves accumulate across calls (call ``zero_grad`` between steps); intermediate Values
        hold the gradient of the last call.
        """
        graph.backward(self, _as_float(grad, "backward(grad)"))

    def _backward(self) -> None:
        """The chain rule, one step: each parent gets its local derivative times this gradient."""
        grad = self.grad
        a, b = self._a, self._b
        if b is not None:
            a.grad += self._da * grad
            b.grad += self._db * grad
        elif type(a) is tuple:  # an n-ary op
            for parent, local in zip(a, self._da):
                parent.grad += local * grad
        else:
            a.grad += self._da * grad

    def _accumulate(self, grad: float) -> None:
        self.grad += grad

    def detach(self) -> Value:
        """A new leaf with the same data, cut from the graph."""
        return Value(self.data, self.label)

    # ----- arithmetic: a Value or a number on either side -----

    def __add__(self, other: Scalar) -> Value:
        if type(other) is Value:
            return _result(self.data + other.data, "+", self, 1.0, other, 1.0)
        number = _constant(other)
        if number is None:
            return NotImplemented
        return _result(self.data + number, "+ {}", self, 1.0, None, number)

    __radd__ = __add__

    def __sub__(self, other: Scalar) -> Value:
        if type(other) is Value:
            return _result(self.data - other.data, "-", self, 1.0, other, -1.0)
        number = _constant(other)
        if number is None:
            return NotImplemented
        return _result(self.data - number, "- {}", self, 1.0, None, number)

    def __rsub__(self, other: Scalar) -> Value:
        number = _constant(other)
        if number is None:
            return NotImplemented
        return _result(number - self.data, "{} -", self, -1.0, None, number)

    def __mul__(self, other: Scalar) -> Value:
        if type(other) is Value:
            return _result(self.data * other.data, "*", self, other.data, other, self.data)
        number = _constant(other)
        if number is None:
            return NotImplemented
        return _result(self.data * number, "* {}", self, number, None, number)

    __rmul__ = __mul__

    def __truediv__(self, other: Scalar) -> Value:
        if type(other) is Value:
            denominator = other.data
            _check_denominator(denominator)
            quotient = self.data / denominator
            d_other = -quotient / denominator
            return _result(quotient, "/", self, 1.0 / denominator, other, d_other)
        number = _constant(other)
        if number is None:
            return NotImplemented
        _check_denominator(number)
        return _result(self.data / number, "/ {}", self, 1.0 / number, None, number)

    def __rtruediv__(self, other: Scalar) -> Value:
        number = _constant(other)
        if number is None:
            return NotImplemented
        _check_denominator(self.data)
        quotient = number / self.data
        return _result(quotient, "{} /", self, -quotient / self.data, None, number)

    def __pow__(self, exponent: Scalar) -> Value:
        base = self.data
        if type(exponent) is Value:
            power = exponent.data
            out = _power(base, power)
            # d/d(exponent) = base ** exponent * log(base); taken as 0 at base 0 (as PyTorch).
            d_exponent = 0.0 if base == 0 and power >= 0 else out * _log(base)
            d_base = _power_derivative(base, power)
            return _result(out, "**", self, d_base, exponent, d_exponent)
        power = _constant(exponent)
        if power is None:
            return NotImplemented
        local_grad = _power_derivative(base, power)
        return _result(_power(base, power), "** {}", self, local_grad, None, power)

    def __rpow__(self, other: Scalar) -> Value:
        base = _constant(other)
        if base is None:
            return NotImplemented
        out = _power(base, self.data)
        d_exponent = 0.0 if base == 0 and self.data >= 0 else out * _log(base)
        return _result(out, "{} **", self, d_exponent, None, base)

    def __neg__(self) -> Value:
        return _result(-self.data, "neg", self, -1.0)

    def __pos__(self) -> Value:
        return self

    # Comparisons look at the data and return plain bools; identity stays the hash.
    def __lt__(self, other: Scalar) -> bool:
        return self.data < _compared(other)

    def __le__(self, other: Scalar) -> bool:
        return self.data <= _compared(other)

    def __gt__(self, other: Scalar) -> bool:
        return self.data > _compared(other)

    def __ge__(self, other: Scalar) -> bool:
        return self.data >= _compared(other)

    def __eq__(self, other: object) -> bool:
        if type(other) is Value:
            return self.data == other.data
        number = _constant(other)
        return number is not None and self.data == number

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = object.__hash__

    # ----- elementary functions -----

    def exp(self) -> Value:
        """e ** x; past about 709.78 the result is ``inf`` (float range), never an error."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            out = math.inf
        return _result(out, "exp", self, out)

    def log(self) -> Value:
        """Natural logarithm: -inf at 0, a ValueError for negative input."""
        x = self.data
        if x > 0:
            return _result(math.log(x), "log", self, 1.0 / x)
        if x == 0:
            return _result(-math.inf, "log", self, math.inf)
        if x != x:
            return _result(math.nan, "log", self, math.nan)
        raise ValueError(f"log: input {x!r} is negative; log is defined for x >= 0")

    def sqrt(self) -> Value:
        """Square root: derivative inf at 0, a ValueError for negative input."""
        x = self.data
        if x > 0:
            out = math.sqrt(x)
            return _result(out, "sqrt", self, 0.5 / out)
        if x == 0:
            return _result(0.0, "sqrt", self, math.inf)
        if x != x:
            return _result(math.nan, "sqrt", self, math.nan)
        raise ValueError(f"sqrt: input {x!r} is negative; sqrt is defined for x >= 0")

    def tanh(self) -> Value:
        out = math.tanh(self.data)
        return _result(out, "tanh", self, 1.0 - out * out)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), computed without overflow for any x (exp of a non-positive number)."""
        x = self.data
        if x >= 0:
            out = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            out = e / (1.0 + e)
        return _result(out, "sigmoid", self, out * (1.0 - out))

    def relu(self) -> Value:
        """max(0, x); the slope is 0 only where x <= 0, so nan passes through (as in PyTorch)."""
        x = self.data
        if x <= 0:
            return _result(0.0, "relu", self, 0.0)
        return _result(x, "relu", self, 1.0)

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        """x for x > 0, alpha * x otherwise."""
        x = self.data
        if x > 0:
            return _result(x, "leaky_relu", self, 1.0)
        return _result(alpha * x, "leaky_relu", self, alpha)

    def abs(self) -> Value:
        x = self.data
        sign = 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
        return _result(abs(x), "abs", self, sign)

    __abs__ = abs

    def sin(self) -> Value:
        return _result(math.sin(self.data), "sin", self, math.cos(self.data))

    def cos(self) -> Value:
        return _result(math.cos(self.data), "cos", self, -math.sin(self.data))

    def step(self) -> Value:
        """1 if x >= 0 else 0 (the perceptron's threshold); its derivative is 0 everywhere."""
        return _result(1.0 if self.data >= 0 else 0.0, "step", self, 0.0)

    # Stability primitives: a composite of the ops above would overflow or cannot be written.

    def softplus(self) -> Value:
        """log(1 + e^x) as max(x, 0) + log1p(e^-|x|), finite for any x (the composite
        ``(1 + x.exp()).log()`` is inf at 800), and so is its slope σ(x) = e^(x - softplus(x))."""
        x = self.data
        out = (x if x > 0 else 0.0) + math.log1p(math.exp(-abs(x)))
        return _result(out, "softplus", self, math.exp(x - out))

    def erf(self) -> Value:
        """The error function (2/√π)∫₀ˣ e^(-t²) dt, for the exact GELU; no composite of the other
        ops gives it. Its slope (2/√π)·e^(-x²) is 0, not an overflow, at large |x|."""
        x = self.data
        return _result(math.erf(x), "erf", self, _TWO_OVER_ROOT_PI * math.exp(-x * x))

    def clip(self, low: float | None = None, high: float | None = None) -> Value:
        """x limited to [low, high] (a loss's guard on probabilities before log); the slope is 1
        where low <= x <= high and 0 outside, as ``Tensor.clip`` and PyTorch's clamp."""
        x = self.data
        if low is not None and x < low:
            return _result(float(low), "clip", self, 0.0)
        if high is not None and x > high:
            return _result(float(high), "clip", self, 0.0)
        return _result(x, "clip", self, 1.0)


_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


def _check_denominator(denominator: float) -> None:
    if denominator == 0:
        raise ZeroDivisionError("Value division: the denominator is 0")


def _power_derivative(base: float, power: float) -> float:
    """d(base ** power)/d(base) = power * base ** (power - 1), and 0 when power is 0."""
    if power == 0:
        return 0.0
    return power * _power(base, power - 1.0)


def _compared(other: object) -> float:
    if type(other) is Value:
        return other.data
    number = _constant(other)
    if number is None:
        raise TypeError(f"cannot compare a Value with {type(other).__name__} {other!r}")
    return number


def sum(values: Iterable[Scalar]) -> Value:
    """One node for a sum of many Values (numbers among them are constants).

    ``sum`` of n Values makes one node instead of the n - 1 of Python's built-in ``sum``.
    """
    parents: list[Value] = []
    total = 0.0
    for value in values:
        if type(value) is Value:
            parents.append(value)
            total += value.data
        else:
            total += _as_float(value, "sum()")
    return _result_of_many(total, "sum", tuple(parents), (1.0,) * len(parents))


def softmax(values: Iterable[Scalar]) -> list[Value]:
    """e^xᵢ / Σⱼ e^xⱼ of a list of Values: one node per output, each a child of every input.

    A stability primitive: the inputs are shifted by their largest before exp, so no exp
    overflows (a composite would have to compare data to find the shift). dyᵢ/dxⱼ = yᵢ(δᵢⱼ − yⱼ);
    numbers among the inputs are constants; a nan anywhere makes every output nan.
    """
    values = list(values)
    if not values:
        raise ValueError("softmax: needs at least one value, got an empty sequence")
    data = [v.data if type(v) is Value else _as_float(v, "softmax()") for v in values]
    shift = max(data)
    exps = [math.exp(x - shift) for x in data]  # x - shift <= 0 (or nan): never overflows
    total = math.fsum(exps)
    probabilities = [e / total for e in exps]
    inputs = [j for j, v in enumerate(values) if type(v) is Value]
    parents = tuple(values[j] for j in inputs)
    return [
        _result_of_many(
            p,
            "softmax",
            parents,
            tuple(p * ((1.0 if j == i else 0.0) - probabilities[j]) for j in inputs),
        )
        for i, p in enumerate(probabilities)
    ]


def dot(weights: Sequence[Scalar], inputs: Sequence[Scalar]) -> Value:
    """One node for Σ wᵢ·xᵢ: a neuron's weighted sum without 2n small nodes.

    Either side may hold Values or numbers; numbers are constants.
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot: {len(weights)} weights and {len(inputs)} inputs; the lengths must match"
        )
    parents: list[Value] = []
    local_grads: list[float] = []
    total = 0.0
    for w, x in zip(weights, inputs):
        w_is_value = type(w) is Value
        x_is_value = type(x) is Value
        w_data = w.data if w_is_value else _as_float(w, "dot()")
        x_data = x.data if x_is_value else _as_float(x, "dot()")
        total += w_data * x_data
        if w_is_value:
            parents.append(w)
            local_grads.append(x_data)
        if x_is_value:
            parents.append(x)
            local_grads.append(w_data)
    return _result_of_many(total, "dot", tuple(parents), tuple(local_grads))


def _data_of(values: Iterable[Scalar], what: str) -> tuple[list, list[float]]:
    """The items of ``values`` and their floats; an empty sequence is an error."""
    items = list(values)
    if not items:
        raise ValueError(f"{what}: needs at least one value, got an empty sequence")
    return items, [v.data if type(v) is Value else _as_float(v, f"{what}()") for v in items]


def logsumexp(values: Iterable[Scalar]) -> Value:
    """One node for log Σ e^xᵢ (cross-entropy from logits), shifted by the largest xᵢ so that no
    exp overflows; its local derivatives are the softmax of the inputs. Numbers are constants.

    A stability primitive: the composite ``sum(x.exp() for x in values).log()`` is inf past 709.
    """
    items, data = _data_of(values, "logsumexp")
    shift = max(data)
    if not math.isfinite(shift):  # all -inf (or an inf/nan): the result is that, not nan
        shift = 0.0
    exps = [math.exp(x - shift) for x in data]
    total = math.fsum(exps)
    out = (math.log(total) if total > 0 else -math.inf) + shift
    weights = tuple(e / total if total > 0 else math.nan for e in exps)
    inputs = [j for j, v in enumerate(items) if type(v) is Value]
    parents = tuple(items[j] for j in inputs)
    return _result_of_many(out, "logsumexp", parents, tuple(weights[j] for j in inputs))


def amax(values: Iterable[Scalar]) -> Value:
    """One node for the largest of ``values`` (categorical hinge); ties share the gradient
    equally, as ``Tensor.max`` and PyTorch's amax. Numbers are constants."""
    items, data = _data_of(values, "amax")
    top = max(data)
    ties = data.count(top)
    inputs = [j for j, v in enumerate(items) if type(v) is Value]
    shares = tuple(1.0 / ties if data[j] == top else 0.0 for j in inputs)
    return _result_of_many(top, "amax", tuple(items[j] for j in inputs), shares)
