"""``Value``: one float, its gradient, and the local derivatives that link it to its parents.

For a scalar the derivative of an op with respect to each input is just a number, known at forward
time. So every op below is one line of forward and one tuple of local derivatives, and the backward
step is ``parent.grad += local * grad`` with no closures. Numbers mixed into an expression are
constants: they become part of the local derivative, not nodes of the graph.

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
from collections.abc import Iterable, Sequence
from typing import Union

from autograd import graph
from autograd.graph import grad_mode

__all__ = ["Value", "amax", "dot", "logsumexp", "softmax", "sum"]

Scalar = Union["Value", float, int]

_new = object.__new__


def _result(data: float, parents: tuple, local_grads: tuple, op: str | tuple) -> Value:
    """A new Value computed by ``op``; it records its parents only while grad mode is on.

    ``op`` is a name, or a template and the constant it was applied to, ``("* {}", 0.5)``: the
    picture shows the constant, yet no string is formatted in the hot path.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    if grad_mode.enabled:
        out._parents = parents
        out._local_grads = local_grads
    else:
        out._parents = ()
        out._local_grads = ()
    return out


def _constant(other: object) -> float | None:
    """``other`` as a float if it is a plain real number, else None (the op is not supported)."""
    if isinstance(other, (float, int)):
        return float(other)
    if isinstance(other, numbers.Real):  # numpy scalars too; arrays are not Real
        return float(other)
    return None


def _as_float(data: object, what: str) -> float:
    """Check that ``data`` is a real number and return it as a float, or name the problem."""
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

    __slots__ = ("_local_grads", "_op", "_parents", "data", "grad", "label")
    __array_ufunc__ = None  # numpy must not turn `array + Value` into an array of Values

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _as_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self._parents: tuple[Value, ...] = ()
        self._local_grads: tuple[float, ...] = ()
        self._op = ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"

    def __float__(self) -> float:
        return self.data

    @property
    def op(self) -> str:
        """The operation that made this value, constants included (``"* 0.5"``); "" for a leaf."""
        op = self._op
        return op if isinstance(op, str) else op[0].format(f"{op[1]:g}")

    # ----- the backward engine's protocol (autograd.graph) -----

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every Value this one depends on with d(self)/d(value) times ``grad``.

        Leaves accumulate across calls (call ``zero_grad`` between steps); intermediate Values
        hold the gradient of the last call.
        """
        graph.backward(self, _as_float(grad, "backward(grad)"))

    def _backward(self) -> None:
        grad = self.grad
        for parent, local in zip(self._parents, self._local_grads):
            parent.grad += local * grad

    def _reset_grad(self) -> None:
        self.grad = 0.0

    def _accumulate(self, grad: float) -> None:
        self.grad += grad

    def detach(self) -> Value:
        """A new leaf with the same data, cut from the graph."""
        return Value(self.data, self.label)

    # ----- arithmetic: a Value or a number on either side -----

    def __add__(self, other: Scalar) -> Value:
        if type(other) is Value:
            return _result(self.data + other.data, (self, other), (1.0, 1.0), "+")
        number = _constant(other)
        if number is None:
            return NotImplemented
        return _result(self.data + number, (self,), (1.0,), ("+ {}", number))

    __radd__ = __add__

    def __sub__(self, other: Scalar) -> Value:
        if type(other) is Value:
            return _result(self.data - other.data, (self, other), (1.0, -1.0), "-")
        number = _constant(other)
        if number is None:
            return NotImplemented
        return _result(self.data - number, (self,), (1.0,), ("- {}", number))

    def __rsub__(self, other: Scalar) -> Value:
        number = _constant(other)
        if number is None:
            return NotImplemented
        return _result(number - self.data, (self,), (-1.0,), ("{} -", number))

    def __mul__(self, other: Scalar) -> Value:
        if type(other) is Value:
            return _result(self.data * other.data, (self, other), (other.data, self.data), "*")
        number = _constant(other)
        if number is None:
            return NotImplemented
        return _result(self.data * number, (self,), (number,), ("* {}", number))

    __rmul__ = __mul__

    def __truediv__(self, other: Scalar) -> Value:
        if type(other) is Value:
            denominator = other.data
            _check_denominator(denominator)
            quotient = self.data / denominator
            return _result(
                quotient, (self, other), (1.0 / denominator, -quotient / denominator), "/"
            )
        number = _constant(other)
        if number is None:
            return NotImplemented
        _check_denominator(number)
        return _result(self.data / number, (self,), (1.0 / number,), ("/ {}", number))

    def __rtruediv__(self, other: Scalar) -> Value:
        number = _constant(other)
        if number is None:
            return NotImplemented
        _check_denominator(self.data)
        quotient = number / self.data
        return _result(quotient, (self,), (-quotient / self.data,), ("{} /", number))

    def __pow__(self, exponent: Scalar) -> Value:
        base = self.data
        if type(exponent) is Value:
            power = exponent.data
            out = _power(base, power)
            # d/d(exponent) = base ** exponent * log(base); taken as 0 at base 0 (as PyTorch).
            d_exponent = 0.0 if base == 0 and power >= 0 else out * _log(base)
            return _result(
                out, (self, exponent), (_power_derivative(base, power), d_exponent), "**"
            )
        power = _constant(exponent)
        if power is None:
            return NotImplemented
        local_grad = _power_derivative(base, power)
        return _result(_power(base, power), (self,), (local_grad,), ("** {}", power))

    def __rpow__(self, other: Scalar) -> Value:
        base = _constant(other)
        if base is None:
            return NotImplemented
        out = _power(base, self.data)
        d_exponent = 0.0 if base == 0 and self.data >= 0 else out * _log(base)
        return _result(out, (self,), (d_exponent,), ("{} **", base))

    def __neg__(self) -> Value:
        return _result(-self.data, (self,), (-1.0,), "neg")

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
        return _result(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """Natural logarithm: -inf at 0, a ValueError for negative input."""
        x = self.data
        if x > 0:
            return _result(math.log(x), (self,), (1.0 / x,), "log")
        if x == 0:
            return _result(-math.inf, (self,), (math.inf,), "log")
        if x != x:
            return _result(math.nan, (self,), (math.nan,), "log")
        raise ValueError(f"log: input {x!r} is negative; log is defined for x >= 0")

    def sqrt(self) -> Value:
        """Square root: derivative inf at 0, a ValueError for negative input."""
        x = self.data
        if x > 0:
            out = math.sqrt(x)
            return _result(out, (self,), (0.5 / out,), "sqrt")
        if x == 0:
            return _result(0.0, (self,), (math.inf,), "sqrt")
        if x != x:
            return _result(math.nan, (self,), (math.nan,), "sqrt")
        raise ValueError(f"sqrt: input {x!r} is negative; sqrt is defined for x >= 0")

    def tanh(self) -> Value:
        out = math.tanh(self.data)
        return _result(out, (self,), (1.0 - out * out,), "tanh")

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), computed without overflow for any x (exp of a non-positive number)."""
        x = self.data
        if x >= 0:
            out = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            out = e / (1.0 + e)
        return _result(out, (self,), (out * (1.0 - out),), "sigmoid")

    def relu(self) -> Value:
        """max(0, x); the slope is 0 only where x <= 0, so nan passes through (as in PyTorch)."""
        x = self.data
        if x <= 0:
            return _result(0.0, (self,), (0.0,), "relu")
        return _result(x, (self,), (1.0,), "relu")

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        """x for x > 0, alpha * x otherwise."""
        x = self.data
        if x > 0:
            return _result(x, (self,), (1.0,), "leaky_relu")
        return _result(alpha * x, (self,), (alpha,), "leaky_relu")

    def abs(self) -> Value:
        x = self.data
        sign = 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
        return _result(abs(x), (self,), (sign,), "abs")

    __abs__ = abs

    def sin(self) -> Value:
        return _result(math.sin(self.data), (self,), (math.cos(self.data),), "sin")

    def cos(self) -> Value:
        return _result(math.cos(self.data), (self,), (-math.sin(self.data),), "cos")

    def step(self) -> Value:
        """1 if x >= 0 else 0 (the perceptron's threshold); its derivative is 0 everywhere."""
        return _result(1.0 if self.data >= 0 else 0.0, (self,), (0.0,), "step")

    # Stability primitives: a composite of the ops above would overflow or cannot be written.

    def softplus(self) -> Value:
        """log(1 + e^x) as max(x, 0) + log1p(e^-|x|), finite for any x (the composite
        ``(1 + x.exp()).log()`` is inf at 800), and so is its slope σ(x) = e^(x - softplus(x))."""
        x = self.data
        out = (x if x > 0 else 0.0) + math.log1p(math.exp(-abs(x)))
        return _result(out, (self,), (math.exp(x - out),), "softplus")

    def erf(self) -> Value:
        """The error function (2/√π)∫₀ˣ e^(-t²) dt, for the exact GELU; no composite of the other
        ops gives it. Its slope (2/√π)·e^(-x²) is 0, not an overflow, at large |x|."""
        x = self.data
        return _result(math.erf(x), (self,), (_TWO_OVER_ROOT_PI * math.exp(-x * x),), "erf")

    def clip(self, low: float | None = None, high: float | None = None) -> Value:
        """x limited to [low, high] (a loss's guard on probabilities before log); the slope is 1
        where low <= x <= high and 0 outside, as ``Tensor.clip`` and PyTorch's clamp."""
        x = self.data
        if low is not None and x < low:
            return _result(float(low), (self,), (0.0,), "clip")
        if high is not None and x > high:
            return _result(float(high), (self,), (0.0,), "clip")
        return _result(x, (self,), (1.0,), "clip")


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
    return _result(total, tuple(parents), (1.0,) * len(parents), "sum")


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
        _result(
            p,
            parents,
            tuple(p * ((1.0 if j == i else 0.0) - probabilities[j]) for j in inputs),
            "softmax",
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
    return _result(total, tuple(parents), tuple(local_grads), "dot")


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
    return _result(out, parents, tuple(weights[j] for j in inputs), "logsumexp")


def amax(values: Iterable[Scalar]) -> Value:
    """One node for the largest of ``values`` (categorical hinge); ties share the gradient
    equally, as ``Tensor.max`` and PyTorch's amax. Numbers are constants."""
    items, data = _data_of(values, "amax")
    top = max(data)
    ties = data.count(top)
    inputs = [j for j, v in enumerate(items) if type(v) is Value]
    shares = tuple(1.0 / ties if data[j] == top else 0.0 for j in inputs)
    return _result(top, tuple(items[j] for j in inputs), shares, "amax")
