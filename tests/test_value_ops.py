"""Every scalar op against central finite differences (float64), plus the awkward points."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, gradcheck
from tests.value_cases import BINARY, UNARY, Case

CASES = [(case, point) for case in UNARY + BINARY for point in case.points]


@pytest.mark.parametrize(("case", "point"), CASES, ids=[f"{c}@{p}" for c, p in CASES])
def test_backward_matches_finite_differences(case: Case, point: tuple[float, ...]) -> None:
    result = gradcheck(case.f, [Value(x) for x in point])
    assert result, result


def test_relu_has_derivative_zero_at_zero_by_convention() -> None:
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0
    # Finite differences average the two slopes (0.5) there, and gradcheck says so.
    result = gradcheck(lambda a: a.relu(), [Value(0.0)])
    assert not result
    assert result.mismatches[0].numeric == pytest.approx(0.5)


@pytest.mark.parametrize(("op", "expected"), [("abs", 0.0), ("step", 0.0), ("leaky_relu", 0.01)])
def test_kinks_at_zero_follow_pytorch(op: str, expected: float) -> None:
    x = Value(0.0)
    getattr(x, op)().backward()
    assert x.grad == expected


def test_step_is_a_threshold_with_zero_gradient() -> None:
    assert [Value(v).step().data for v in (-0.5, 0.0, 2.0)] == [0.0, 1.0, 1.0]
    x = Value(3.0)
    (x.step() * x).backward()
    assert x.grad == 1.0  # only the `* x` branch carries a gradient


def test_power_zero_has_zero_derivative_even_at_zero() -> None:
    x = Value(0.0)
    y = x**0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)


def test_negative_base_with_integer_exponent_is_real() -> None:
    base, exponent = Value(-2.0), Value(3.0)
    y = base**exponent
    y.backward()
    assert y.data == -8.0
    assert base.grad == pytest.approx(12.0)  # 3 · (-2)²
    assert math.isnan(exponent.grad)  # (-2)³ · log(-2), as PyTorch


def test_negative_base_with_fractional_exponent_is_nan() -> None:
    assert math.isnan((Value(-8.0) ** Value(1 / 3)).data)
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)


def test_zero_to_a_negative_power_is_inf() -> None:
    assert (Value(0.0) ** -1).data == math.inf


def test_log_at_zero_is_minus_inf_with_infinite_slope() -> None:
    x = Value(0.0)
    y = x.log()
    y.backward()
    assert (y.data, x.grad) == (-math.inf, math.inf)


@pytest.mark.parametrize("x", [-1e4, -50.0, 50.0, 1e4])
def test_sigmoid_and_tanh_stay_finite_and_quiet_at_large_inputs(x: float) -> None:
    # pytest turns warnings into errors for the whole suite, so "quiet" is checked too.
    for op in ("sigmoid", "tanh"):
        v = Value(x)
        y = getattr(v, op)()
        y.backward()
        assert math.isfinite(y.data) and math.isfinite(v.grad)
    assert Value(x).sigmoid().data == (1.0 if x > 0 else pytest.approx(0.0, abs=1e-21))


def test_exp_overflow_gives_inf_and_underflow_gives_zero() -> None:
    assert Value(1e4).exp().data == math.inf
    assert Value(-1e4).exp().data == 0.0


def test_n_ary_sum_and_dot_are_single_nodes_with_the_right_gradients() -> None:
    ws = [Value(0.5), Value(-1.0), Value(2.0)]
    xs = [Value(1.5), 2.0, Value(-0.5)]
    out = autograd.dot(ws, xs) + autograd.sum([ws[0], 3.0, xs[0]])
    assert out._parents[0].op == "dot" and len(autograd.topological_order(out)) == 8
    assert gradcheck(lambda *v: autograd.dot(v[:3], [v[3], 2.0, v[4]]), [*ws, xs[0], xs[2]])
    out.backward()
    assert [w.grad for w in ws] == [2.5, 2.0, -0.5]
    assert (xs[0].grad, xs[2].grad) == (1.5, 2.0)


def test_dot_of_a_list_with_itself_counts_both_factors() -> None:
    xs = [Value(3.0), Value(-2.0)]
    autograd.dot(xs, xs).backward()
    assert [x.grad for x in xs] == [6.0, -4.0]


def test_comparisons_return_plain_bools() -> None:
    a, b = Value(1.0), Value(2.0)
    results = [a < b, a <= 1, a > b, b >= 2.0, a == 1, a != b, Value(2.0) == b]
    assert results == [True, True, False, True, True, True, True]
    assert all(type(r) is bool for r in results)
    assert len({a, Value(1.0)}) == 2  # hashing is by identity: equal data, different nodes


finite = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


@given(finite, finite, st.floats(min_value=0.2, max_value=3.0))
def test_composite_expressions_match_finite_differences(x: float, y: float, z: float) -> None:
    def f(a: Value, b: Value, c: Value) -> Value:
        return (a * b).tanh() + (c.log() - b / c) ** 2 + (a - c).sigmoid() * c.sqrt()

    result = gradcheck(f, [Value(x), Value(y), Value(z)])
    assert result, result
