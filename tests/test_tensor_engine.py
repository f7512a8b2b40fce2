"""The backward engine for Tensors: accumulation, retained grads, seeds, dtypes, graph cuts."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from autograd import Tensor, Value, no_grad, topological_order


def _leaf(data: object) -> Tensor:
    return Tensor(data, dtype="float64", requires_grad=True)


def test_leaf_gradients_accumulate_exactly_twice_over_two_backward_calls() -> None:
    a, b = _leaf([[0.5, -1.0], [2.0, 0.3]]), _leaf([1.5, -0.7])
    hidden = (a * b).tanh()
    loss = (hidden * hidden + a).sum()
    loss.backward()
    first_a, first_b = a.grad.copy(), b.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(a.grad, 2 * first_a)
    np.testing.assert_array_equal(b.grad, 2 * first_b)


def test_intermediate_gradients_are_freed_after_backward() -> None:
    a = _leaf([1.0, 2.0, 3.0])
    hidden = a.exp()
    (hidden * a).sum().backward()
    assert hidden.grad is None
    assert a.grad is not None


def test_retain_grad_keeps_the_intermediate_gradient() -> None:
    a = _leaf([1.0, 2.0, 3.0])
    hidden = a.exp().retain_grad()
    (hidden * a).sum().backward()
    np.testing.assert_array_equal(hidden.grad, a.data)  # d(Σ h·a)/dh = a
    np.testing.assert_allclose(a.grad, hidden.data * a.data + hidden.data)


def test_retained_gradient_holds_the_last_pass_not_a_sum() -> None:
    a = _leaf([1.0, -2.0])
    hidden = (a * 3.0).retain_grad()
    loss = (hidden * hidden).sum()
    loss.backward()
    first = hidden.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(hidden.grad, first)


def test_backward_without_grad_on_a_non_scalar_names_the_shape() -> None:
    y = _leaf(np.ones((2, 3))) * 2.0
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*grad="):
        y.backward()


def test_backward_on_a_single_element_tensor_of_any_rank_seeds_one() -> None:
    a = _leaf([[2.0]])
    (a * a).backward()
    np.testing.assert_array_equal(a.grad, [[4.0]])


def test_backward_with_a_seed_of_the_wrong_shape_raises() -> None:
    y = _leaf(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"grad has shape \(3, 2\).*\(2, 3\)"):
        y.backward(np.ones((3, 2)))


def test_backward_takes_a_seed_gradient() -> None:
    a = _leaf([1.0, 2.0])
    (a * a).backward(np.array([0.5, -1.0]))
    np.testing.assert_array_equal(a.grad, [1.0, -4.0])


def test_backward_on_a_tensor_that_does_not_require_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0, 2.0]) * 2.0).sum().backward()


def test_no_grad_records_nothing() -> None:
    a = _leaf([1.0, 2.0])
    with no_grad():
        b = (a * a).exp()
    assert not b.requires_grad
    assert b._parents == ()
    np.testing.assert_allclose(b.data, np.exp(a.data**2))


def test_detach_cuts_the_graph() -> None:
    a = _leaf([1.0, 2.0])
    b = a * a
    c = (b.detach() * a).sum()
    c.backward()
    np.testing.assert_array_equal(a.grad, b.data)  # only the direct `* a` path reaches a
    assert not b.detach().requires_grad
    assert c._parents[0]._parents[0] is not b


def test_requires_grad_underscore_turns_a_leaf_into_a_trainable_one() -> None:
    a = Tensor([1.0, 2.0], dtype="float64")
    assert not a.requires_grad
    assert a.requires_grad_() is a
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 4.0])


def test_requires_grad_underscore_refuses_non_leaves() -> None:
    b = _leaf([1.0]) * 2.0
    with pytest.raises(RuntimeError, match="only leaves"):
        b.requires_grad_(False)


@pytest.mark.parametrize("data", [[1, 2, 3], [True, False]], ids=["int", "bool"])
def test_integer_and_bool_tensors_cannot_require_grad(data: list) -> None:
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(data).requires_grad_()


def test_an_integer_index_tensor_gets_no_gradient() -> None:
    x = _leaf([10.0, 20.0, 30.0])
    index = Tensor([2, 0, 2])
    x[index].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 2.0])
    assert index.grad is None and not index.requires_grad


def test_a_float_tensor_times_an_int_tensor_gives_no_gradient_to_the_int_tensor() -> None:
    x, counts = _leaf([1.5, 2.5]), Tensor([3, 4])
    (x * counts).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert counts.grad is None


@pytest.mark.parametrize(
    "data",
    [[1.0, 2.0], 2.5, np.array([1.0, 2.0], dtype=np.float64), np.float64(3.0)],
    ids=["list", "python float", "float64 array", "numpy float64"],
)
def test_float_data_defaults_to_float32(data: object) -> None:
    assert Tensor(data).dtype == np.float32


def test_float64_on_request() -> None:
    assert Tensor([1.0, 2.0], dtype="float64").dtype == np.float64
    assert Tensor(np.ones(2), dtype=np.float64).dtype == np.float64


def test_integer_data_stays_integer() -> None:
    assert Tensor([1, 2]).dtype.kind == "i"
    assert Tensor([True, False]).dtype == np.bool_


def test_python_numbers_keep_the_tensor_dtype() -> None:
    assert (Tensor([1.0]) * 2.5).dtype == np.float32
    assert (2.5 * Tensor([1.0], dtype="float64")).dtype == np.float64


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("op", "number", "label"),
    [
        (lambda a, b: a + b, 0.3, "+ 0.3"),
        (lambda a, b: b + a, 0.3, "+ 0.3"),
        (lambda a, b: a - b, 3, "- 3"),
        (lambda a, b: b - a, 0.3, "0.3 -"),
        (lambda a, b: a * b, 0.3, "* 0.3"),
        (lambda a, b: b * a, 3, "* 3"),
        (lambda a, b: a / b, 0.3, "/ 0.3"),
    ],
)
def test_a_python_number_is_folded_into_the_op_with_the_same_numbers_as_a_constant_tensor(
    op: object, number: float, label: str, dtype: str
) -> None:
    data = np.array([[0.7, -1.3, 2.1]])
    folded = Tensor(data, dtype=dtype, requires_grad=True)
    out = op(folded, number)
    assert out.op == label and out._parents == (folded,)
    plain = Tensor(data, dtype=dtype, requires_grad=True)
    reference = op(plain, Tensor(number, dtype=dtype))
    assert out.dtype == reference.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.data, reference.data)
    seed = np.array([[1.0, -2.0, 0.5]])
    out.backward(seed)
    reference.backward(seed)
    np.testing.assert_array_equal(folded.grad, plain.grad)


def test_numbers_with_tensors_that_need_no_gradient_keep_numpy_dtypes() -> None:
    assert (Tensor([1, 2]) * 2).dtype == np.int64
    assert (Tensor([1, 2]) * 2.5).dtype == np.float64  # an int tensor and a float number
    assert (Tensor([1.0, 2.0]) * 2).dtype == np.float32


@pytest.mark.parametrize(
    "f", [lambda p: p * p, lambda p: p.tanh(), lambda p: (p * 3.0).exp(), lambda p: p + p]
)
def test_a_zero_dimensional_leaf_gets_an_ndarray_gradient_even_when_accumulated(f: object) -> None:
    p = Tensor(0.5, dtype="float64", requires_grad=True)
    f(p).backward()
    first = p.grad
    f(p).backward()
    for grad in (first, p.grad):
        assert type(grad) is np.ndarray and grad.shape == ()
    np.testing.assert_allclose(p.grad, 2 * first)


@pytest.mark.parametrize("compare", [lambda p: p > 1.0, lambda p: p <= 3.0, lambda p: p >= p])
def test_a_zero_dimensional_comparison_is_an_array_mask_that_multiplies(compare: object) -> None:
    p = Tensor(2.0, dtype="float64", requires_grad=True)
    mask = compare(p)
    assert type(mask.data) is np.ndarray and mask.dtype == np.bool_ and mask.shape == ()
    (p * mask * p).backward()
    assert p.grad == pytest.approx(4.0)  # d(p² · 1)/dp at p = 2


def test_gradients_have_the_dtype_of_their_leaf() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    (a * 3.0).sum().backward()
    assert a.grad.dtype == np.float32


def test_leaves_of_one_sum_get_separate_gradient_arrays() -> None:
    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (a + b).backward(np.array([1.0, 1.0]))
    assert a.grad is not b.grad
    a.grad *= 10.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_a_leaf_gradient_is_not_a_view_of_another_array() -> None:
    a = _leaf([[1.0, 2.0], [3.0, 4.0]])
    b = _leaf([[1.0, 2.0], [3.0, 4.0]])
    seed = np.array([[1.0, 2.0], [3.0, 4.0]])
    (a.T + b.reshape(2, 2) + a.sum(axis=0)).backward(seed)
    for grad in (a.grad, b.grad):
        assert grad.base is None and grad.flags.writeable
    assert not np.shares_memory(a.grad, b.grad)
    b.grad += 1.0
    np.testing.assert_array_equal(seed, [[1.0, 2.0], [3.0, 4.0]])  # the caller's seed untouched


@pytest.mark.parametrize("order", ["tensor first", "value first"])
def test_mixing_a_tensor_and_a_value_raises_type_error(order: str) -> None:
    t, v = Tensor([1.0, 2.0]), Value(3.0)
    with pytest.raises(TypeError, match="Tensor and a Value"):
        _ = t + v if order == "tensor first" else v + t
    with pytest.raises(TypeError):
        _ = t * v if order == "tensor first" else v * t


def test_a_value_cannot_become_a_tensor_directly() -> None:
    with pytest.raises(TypeError, match="Value"):
        Tensor(Value(1.0))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "@"])
def test_ndarray_on_the_left_of_a_tensor_gives_a_tensor(op: str) -> None:
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    array = np.array([[0.5, 1.5], [2.5, 3.5]])
    out = {
        "+": lambda: array + x,
        "-": lambda: array - x,
        "*": lambda: array * x,
        "/": lambda: array / x,
        "@": lambda: array @ x,
    }[op]()
    assert isinstance(out, Tensor)
    assert out.requires_grad
    expected = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "@": np.matmul}
    np.testing.assert_allclose(out.data, expected[op](array, x.data), rtol=1e-6)


def test_a_chain_of_100_000_tensor_ops_backpropagates_without_recursion() -> None:
    limit = sys.getrecursionlimit()
    x = _leaf([1.0, 2.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    assert len(topological_order(y)) == 100_001
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    assert sys.getrecursionlimit() == limit


def test_array_operands_take_the_float_tensors_dtype() -> None:
    exact = Tensor(np.zeros(1), dtype="float64") + np.array([0.1])
    assert exact.dtype == np.float64 and exact.data[0] == 0.1
    assert (Tensor([1.0]) + np.array([0.1])).dtype == np.float32  # no silent float64 promotion


def test_fractional_powers_at_zero_and_of_negatives_are_quiet() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    (x**0.5).sum().backward()  # warnings are errors in this suite
    assert x.grad[0] == np.inf and x.grad[1] == 0.25
    assert np.isnan((Tensor([-8.0]) ** (1 / 3)).data[0])
