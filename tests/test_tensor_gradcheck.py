"""Every Tensor op against central finite differences (float64), on fixed and generated shapes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor, gradcheck, tensor_ops
from autograd.tensor import _result
from tests.tensor_cases import CASES, OURS, Case

SETTINGS = settings(max_examples=25, deadline=None)


def _leaves(arrays: list[np.ndarray]) -> list[Tensor]:
    return [Tensor(a, dtype="float64", requires_grad=True) for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_backward_matches_finite_differences(case: Case) -> None:
    result = gradcheck(lambda *xs: case.f(OURS, *xs), _leaves(case.inputs()))
    assert result, result


def test_gradcheck_catches_a_wrong_gradient() -> None:
    # The check above can fail: a VJP that is off by a factor is reported.
    def wrong_square(x: Tensor) -> Tensor:
        return _result(x.data**2, "wrong", x, lambda g: g * x.data)  # should be 2x

    result = gradcheck(wrong_square, _leaves([np.array([1.0, -2.0, 0.5])]))
    assert not result


# ----- generated shapes -----

EDGE_PAIRS = [((), (3,)), ((1,), (3, 1)), ((3, 1), (1, 3)), ((2, 1, 3), (3,)), ((1, 4), ())]

broadcastable_pairs = st.one_of(
    st.sampled_from(EDGE_PAIRS),
    hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3).map(
        lambda shapes: shapes.input_shapes
    ),
)
seeds = st.integers(0, 2**32 - 1)

BINARY = {  # op: (function, domains of the two inputs)
    "add": (lambda a, b: a + b, ("real", "real")),
    "sub": (lambda a, b: a - b, ("real", "real")),
    "mul": (lambda a, b: a * b, ("real", "real")),
    "div": (lambda a, b: a / b, ("real", "positive")),
    "pow": (lambda a, b: a**b, ("positive", "real")),
    "maximum": (tensor_ops.maximum, ("real", "real")),
    "minimum": (tensor_ops.minimum, ("real", "real")),
}


def _draw(rng: np.random.Generator, domain: str, shape: tuple[int, ...]) -> Tensor:
    data = rng.uniform(0.5, 2.0, shape) if domain == "positive" else rng.uniform(-2, 2, shape)
    return Tensor(data, dtype="float64", requires_grad=True)


@SETTINGS
@given(shapes=broadcastable_pairs, op=st.sampled_from(sorted(BINARY)), seed=seeds)
@example(shapes=((3, 1), (1, 4)), op="mul", seed=0)
def test_broadcasting_binary_ops_match_finite_differences(
    shapes: tuple[tuple[int, ...], tuple[int, ...]], op: str, seed: int
) -> None:
    f, domains = BINARY[op]
    rng = np.random.default_rng(seed)
    a, b = (_draw(rng, domain, shape) for domain, shape in zip(domains, shapes))
    assert f(a, b).shape == np.broadcast_shapes(*shapes)
    result = gradcheck(f, [a, b])
    assert result, result


@st.composite
def shape_and_axis(draw: Any) -> tuple[tuple[int, ...], Any, bool]:
    """A shape (0-d to 4-d), an axis argument for it (None, int or tuple, maybe negative)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    ndim = len(shape)
    keepdims = draw(st.booleans())
    if ndim == 0 or draw(st.booleans()):
        return shape, None, keepdims
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    axes = [a - ndim if draw(st.booleans()) else a for a in axes]
    if len(axes) == 1 and draw(st.booleans()):
        return shape, axes[0], keepdims
    return shape, tuple(axes), keepdims


REDUCTIONS = ["sum", "mean", "max", "min", "var", "std", "logsumexp"]


@SETTINGS
@given(shape_axis=shape_and_axis(), op=st.sampled_from(REDUCTIONS), seed=seeds)
@example(shape_axis=((2, 3, 4), (0, -1), True), op="var", seed=0)
@example(shape_axis=((1,), None, True), op="max", seed=0)
def test_reductions_over_any_axes_match_finite_differences(
    shape_axis: tuple[tuple[int, ...], Any, bool], op: str, seed: int
) -> None:
    shape, axis, keepdims = shape_axis
    reduced = np.sum(np.ones(shape), axis=axis, keepdims=keepdims)
    if op == "std":
        assume(np.ones(shape).size // max(reduced.size, 1) >= 2)  # std of one number: slope inf
    x = _draw(np.random.default_rng(seed), "real", shape)
    out = getattr(tensor_ops, op)(x, axis, keepdims=keepdims)
    assert out.shape == reduced.shape
    result = gradcheck(lambda t: getattr(tensor_ops, op)(t, axis, keepdims=keepdims), [x])
    assert result, result


@SETTINGS
@given(
    batch=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
    sizes=st.tuples(*[st.integers(1, 3)] * 3),
    seed=seeds,
)
def test_batched_matmul_with_broadcast_batch_dims_matches_finite_differences(
    batch: Any, sizes: tuple[int, int, int], seed: int
) -> None:
    n, k, m = sizes
    rng = np.random.default_rng(seed)
    a = _draw(rng, "real", (*batch.input_shapes[0], n, k))
    b = _draw(rng, "real", (*batch.input_shapes[1], k, m))
    assert (a @ b).shape == (*batch.result_shape, n, m)
    result = gradcheck(lambda x, y: x @ y, [a, b])
    assert result, result
