"""Tensor errors name the op and the shapes; edge values (0, nan, inf, ±1e4) behave and stay quiet.

pytest turns every warning into an error for this suite (pyproject.toml), so a numpy
RuntimeWarning anywhere in these tests fails them: "quiet" is checked by every test here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograd import Tensor, tensor_ops


@pytest.mark.parametrize(
    ("op", "f"),
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("pow", lambda a, b: a**b),
        ("maximum", tensor_ops.maximum),
        ("minimum", tensor_ops.minimum),
    ],
)
def test_elementwise_shape_mismatch_names_the_op_and_both_shapes(op: str, f: object) -> None:
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones(5))
    message = f"{op}: shapes (3, 4) and (5,) do not broadcast together"
    with pytest.raises(ValueError, match=re.escape(message)):
        f(a, b)


def test_where_shape_mismatch_names_every_shape() -> None:
    with pytest.raises(ValueError, match=re.escape("where: shapes (3,) and (2,) and (4,)")):
        tensor_ops.where(np.ones(3, dtype=bool), Tensor(np.ones(2)), Tensor(np.ones(4)))


def test_matmul_inner_dimension_mismatch_names_both_shapes() -> None:
    message = "matmul: (3, 4) @ (5, 2) — inner dimensions 4 and 5 differ"
    with pytest.raises(ValueError, match=re.escape(message)):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))


def test_matmul_batch_mismatch_names_both_shapes() -> None:
    message = "matmul: (2, 3, 4) @ (3, 4, 5) — batch dimensions differ"
    with pytest.raises(ValueError, match=re.escape(message)):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))


def test_matmul_of_a_0d_tensor_raises() -> None:
    with pytest.raises(ValueError, match=re.escape("matmul: () @ (3,)")):
        Tensor(2.0) @ Tensor(np.ones(3))


def test_concatenate_mismatch_names_every_shape_and_the_axis() -> None:
    message = "concatenate: shapes (2, 3), (3, 3) must agree on every axis but axis 1"
    with pytest.raises(ValueError, match=re.escape(message)):
        tensor_ops.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((3, 3)))], axis=1)


def test_reshape_mismatch_names_both_shapes_and_the_size() -> None:
    message = "reshape: cannot reshape (3, 4) (12 elements) into (5, 2)"
    with pytest.raises(ValueError, match=re.escape(message)):
        Tensor(np.ones((3, 4))).reshape(5, 2)


def test_stack_mismatch_names_the_shapes() -> None:
    message = "stack: all tensors need one shape, got [(2,), (3,)]"
    with pytest.raises(ValueError, match=re.escape(message)):
        tensor_ops.stack([Tensor(np.ones(3)), Tensor(np.ones(2))])


def test_split_into_unequal_parts_names_the_axis_length_and_the_count() -> None:
    message = "split: axis 1 of length 5 does not split into 2 parts"
    with pytest.raises(ValueError, match=re.escape(message)):
        tensor_ops.split(Tensor(np.ones((2, 5))), 2, axis=1)


def test_broadcast_to_mismatch_names_both_shapes() -> None:
    message = "broadcast_to: cannot broadcast (3,) to (2, 4)"
    with pytest.raises(ValueError, match=re.escape(message)):
        Tensor(np.ones(3)).broadcast_to((2, 4))


def test_index_out_of_range_names_the_shape() -> None:
    with pytest.raises(IndexError, match=re.escape("tensor of shape (3,)")):
        Tensor(np.ones(3))[5]


@pytest.mark.parametrize("op", ["log", "sqrt"])
def test_negative_input_to_log_and_sqrt_raises(op: str) -> None:
    with pytest.raises(ValueError, match=rf"{op}: 2 negative input\(s\), the smallest -3"):
        getattr(Tensor([1.0, -3.0, -0.5]), op)()


@pytest.mark.parametrize("op", ["log", "sqrt"])
def test_a_nan_does_not_hide_a_negative_input(op: str) -> None:
    with pytest.raises(ValueError, match=f"{op}: 1 negative input"):
        getattr(Tensor([np.nan, -1.0]), op)()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_of_zero_is_minus_inf_with_infinite_slope(dtype: str) -> None:
    x = Tensor([0.0, 1.0], dtype=dtype, requires_grad=True)
    y = x.log()
    y.backward(np.ones(2))
    np.testing.assert_array_equal(y.data, [-np.inf, 0.0])
    np.testing.assert_array_equal(x.grad, [np.inf, 1.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sqrt_of_zero_is_zero_with_infinite_slope(dtype: str) -> None:
    x = Tensor([0.0, 4.0], dtype=dtype, requires_grad=True)
    y = x.sqrt()
    y.backward(np.ones(2))
    np.testing.assert_array_equal(y.data, [0.0, 2.0])
    np.testing.assert_array_equal(x.grad, [np.inf, 0.25])


ELEMENTWISE = [
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "leaky_relu", "gelu", "softplus",
]  # fmt: skip


@pytest.mark.parametrize("op", ELEMENTWISE)
def test_nan_input_propagates_nan(op: str) -> None:
    y = getattr(Tensor([np.nan, 0.0, 1.0], dtype="float64"), op)()
    assert np.isnan(y.data[0]) and not np.isnan(y.data[1:]).any()


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "tanh", "sigmoid", "gelu", "softplus"])
def test_nan_input_gets_a_nan_gradient_from_smooth_ops(op: str) -> None:
    # Not relu and leaky_relu: they give nan a finite slope (0 and alpha here; PyTorch 1 and alpha).
    x = Tensor([np.nan, 1.0], dtype="float64", requires_grad=True)
    getattr(x, op)().backward(np.ones(2))
    assert np.isnan(x.grad[0]) and np.isfinite(x.grad[1])


@pytest.mark.parametrize(
    ("op", "expected"),
    [("exp", np.inf), ("log", np.inf), ("sqrt", np.inf), ("abs", np.inf), ("relu", np.inf),
     ("softplus", np.inf), ("tanh", 1.0), ("sigmoid", 1.0), ("gelu", np.inf)],
)  # fmt: skip
def test_plus_infinity_input_gives_the_limit(op: str, expected: float) -> None:
    y = getattr(Tensor([np.inf, 1.0], dtype="float64"), op)()
    assert y.data[0] == expected


def test_infinity_passes_through_arithmetic() -> None:
    x = Tensor([np.inf])
    assert (x + 1.0).data[0] == np.inf
    assert (x * 2.0).data[0] == np.inf
    assert (-x).data[0] == -np.inf


STABLE = {
    "sigmoid": tensor_ops.sigmoid,
    "tanh": tensor_ops.tanh,
    "softplus": tensor_ops.softplus,
    "softmax": tensor_ops.softmax,
    "log_softmax": tensor_ops.log_softmax,
    "logsumexp": tensor_ops.logsumexp,
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", sorted(STABLE))
def test_saturating_ops_stay_finite_at_plus_and_minus_1e4(op: str, dtype: str) -> None:
    x = Tensor([-1e4, -1.0, 0.0, 1e4], dtype=dtype, requires_grad=True)
    y = STABLE[op](x)
    assert np.isfinite(y.data).all()
    y.backward(np.linspace(-1.0, 2.0, y.size).reshape(y.shape))
    assert np.isfinite(x.grad).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softplus_at_1e4_is_the_identity_and_at_minus_1e4_is_zero(dtype: str) -> None:
    y = tensor_ops.softplus(Tensor([-1e4, 1e4], dtype=dtype))
    np.testing.assert_array_equal(y.data, [0.0, 1e4])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_of_large_entries_is_the_max_plus_the_log_of_the_count(dtype: str) -> None:
    y = tensor_ops.logsumexp(Tensor([1e4, 1e4], dtype=dtype))
    assert y.data == pytest.approx(1e4 + np.log(2), rel=1e-6)
