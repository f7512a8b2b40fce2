"""gradcheck itself: passes right gradients, catches wrong ones, leaves the inputs as they were."""

from __future__ import annotations

import pytest

from autograd import Value, gradcheck


def test_passes_when_backward_is_right() -> None:
    result = gradcheck(lambda a, b: a * b.exp(), [Value(0.3), Value(-1.2)])
    assert result.ok and bool(result)
    assert "passed: 2 input(s)" in str(result)


def test_names_the_input_and_the_size_of_a_wrong_gradient() -> None:
    # `a * a.detach()` hides one of the two paths, so backward gives a, not 2a.
    a, b = Value(1.5, label="a"), Value(2.0, label="b")
    result = gradcheck(lambda x, y: x * x.detach() + y, [a, b])
    assert not result
    (mismatch,) = result.mismatches
    assert (mismatch.index, mismatch.label) == (0, "a")
    assert mismatch.analytic == pytest.approx(1.5)
    assert mismatch.numeric == pytest.approx(3.0)
    assert "input 0 ('a'): backward gives 1.5, finite differences 3" in str(result)


def test_leaves_data_and_gradients_untouched() -> None:
    a = Value(0.7)
    a.grad = 42.0
    gradcheck(lambda x: x.tanh() * x, [a])
    assert (a.data, a.grad) == (0.7, 42.0)


def test_tolerances_are_used() -> None:
    # d/dx of x² at 1 is 2; with eps = 0.1 central differences are still exact for a quadratic,
    # but a cubic's numeric slope is off by eps² = 0.01, which rtol 0 and atol 1e-3 reject.
    assert gradcheck(lambda x: x * x, [Value(1.0)], eps=0.1, atol=1e-12, rtol=0.0)
    assert not gradcheck(lambda x: x**3, [Value(1.0)], eps=0.1, atol=1e-3, rtol=0.0)
    assert gradcheck(lambda x: x**3, [Value(1.0)], eps=0.1, atol=0.02, rtol=0.0)


def test_rejects_inputs_and_outputs_that_are_not_values() -> None:
    with pytest.raises(TypeError, match="input 1 is a float"):
        gradcheck(lambda a, b: a * b, [Value(1.0), 2.0])
    with pytest.raises(TypeError, match="f must return a Value, got float"):
        gradcheck(lambda a: a.data, [Value(1.0)])
