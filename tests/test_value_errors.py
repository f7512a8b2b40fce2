"""Bad input gets a clear error that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("a", r"Value\(\) needs a real number \(int or float\), got str 'a'"),
        (None, r"got NoneType None"),
        ([1.0], r"got list \[1.0\]"),
        (1 + 2j, r"got complex"),
        (np.array([1.0, 2.0]), r"for arrays use autograd.Tensor"),
        (Value(1.0), r"got a Value; use v.data"),
    ],
)
def test_value_rejects_what_is_not_a_real_number(data: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Value(data)


def test_value_accepts_ints_bools_and_numpy_scalars_as_floats() -> None:
    for data in (3, True, np.float32(0.5), np.int64(7), np.float64(2.5)):
        assert type(Value(data).data) is float


@pytest.mark.parametrize("other", ["a", None, [1.0], {"x": 1}])
def test_unsupported_operands_raise_type_error_naming_both_types(other: object) -> None:
    with pytest.raises(TypeError, match=rf"'Value' and '{type(other).__name__}'"):
        Value(1.0) + other
    with pytest.raises(TypeError, match=rf"'{type(other).__name__}' and 'Value'"):
        other - Value(1.0)


def test_numpy_arrays_do_not_silently_become_arrays_of_values() -> None:
    with pytest.raises(TypeError):
        np.array([1.0, 2.0]) + Value(1.0)
    with pytest.raises(TypeError):
        Value(1.0) * np.array([1.0, 2.0])


@pytest.mark.parametrize("op", ["log", "sqrt"])
def test_log_and_sqrt_of_a_negative_number_raise_value_error(op: str) -> None:
    with pytest.raises(ValueError, match=rf"{op}: input -2.0 is negative"):
        getattr(Value(-2.0), op)()


@pytest.mark.parametrize("op", ["log", "sqrt"])
def test_log_and_sqrt_propagate_nan(op: str) -> None:
    assert np.isnan(getattr(Value(float("nan")), op)().data)


def test_division_by_zero_raises_like_python_floats() -> None:
    with pytest.raises(ZeroDivisionError, match="denominator is 0"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        1.0 / Value(0.0)


def test_comparison_with_a_non_number_names_the_type() -> None:
    with pytest.raises(TypeError, match="cannot compare a Value with str"):
        _ = Value(1.0) < "2"


def test_dot_with_different_lengths_names_both() -> None:
    with pytest.raises(ValueError, match="dot: 2 weights and 3 inputs"):
        autograd.dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])


def test_dot_and_sum_reject_non_numbers() -> None:
    with pytest.raises(TypeError, match=r"dot\(\) needs a real number"):
        autograd.dot([Value(1.0)], ["x"])
    with pytest.raises(TypeError, match=r"sum\(\) needs a real number"):
        autograd.sum([Value(1.0), None])


def test_backward_seed_must_be_a_number() -> None:
    with pytest.raises(TypeError, match=r"backward\(grad\) needs a real number"):
        (Value(1.0) * 2.0).backward("1")
