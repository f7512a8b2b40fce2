"""Activations are written once: the same function runs on Values and Tensors and agrees, needs
only the primitives both engines share, stays finite far from 0, and resolves Keras's names."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, gradcheck
from nn import activations
from nn.activations import SHARED_PRIMITIVES


@dataclass(frozen=True)
class Case:
    """An activation with its arguments fixed; ``vector`` cases take a whole list of Values."""

    name: str
    f: Callable[[Any], Any]
    vector: bool = False

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("linear", activations.linear),
    Case("step", activations.step),
    Case("sigmoid", activations.sigmoid),
    Case("tanh", activations.tanh),
    Case("relu", activations.relu),
    Case("leaky_relu", activations.leaky_relu),
    Case("leaky_relu 0.2", lambda x: activations.leaky_relu(x, alpha=0.2)),
    Case("prelu 0.25", lambda x: activations.prelu(x, 0.25)),
    Case("swish", activations.swish),
    Case("swish beta 1.5", lambda x: activations.swish(x, beta=1.5)),
    Case("silu", activations.silu),
    Case("gelu", activations.gelu),
    Case("gelu tanh", lambda x: activations.gelu(x, approximate=True)),
    Case("elu", activations.elu),
    Case("elu 0.7", lambda x: activations.elu(x, alpha=0.7)),
    Case("selu", activations.selu),
    Case("softplus", activations.softplus),
    Case("softsign", activations.softsign),
    Case("softmax", activations.softmax, vector=True),
    Case("softmax axis 0", lambda x: activations.softmax(x, axis=0), vector=True),
]
ELEMENTWISE = [case for case in CASES if not case.vector]

POINTS = [-3.7, -1.2, -0.4, 0.0, 0.3, 0.9, 2.1]
UPSTREAM = [0.5, -1.5, 2.0, 0.25, -0.75, 1.25, 3.0]  # non-uniform: each output weighted apart
KEYWORD_NAMES = {
    "linear", "step", "sigmoid", "tanh", "relu", "leaky_relu", "swish", "silu", "softmax",
    "gelu", "elu", "selu", "softplus", "softsign",
}  # fmt: skip


def on_values(case: Case, points: list[float], upstream: list[float]) -> tuple[list, list]:
    """Outputs and input gradients on the scalar engine, the backward pass seeded with
    ``upstream`` (one weighted sum of the outputs, so softmax's outputs are seeded together)."""
    leaves = [Value(x) for x in points]
    outputs = case.f(leaves) if case.vector else [case.f(leaf) for leaf in leaves]
    autograd.dot(upstream, outputs).backward()
    return [out.data for out in outputs], [leaf.grad for leaf in leaves]


def on_tensor(
    case: Case, points: Any, upstream: Any, dtype: str = "float64"
) -> tuple[np.ndarray, np.ndarray]:
    """Outputs and input gradient on the tensor engine, backward seeded with ``upstream``."""
    leaf = Tensor(points, dtype=dtype, requires_grad=True)
    out = case.f(leaf)
    out.backward(np.asarray(upstream))
    return out.data, leaf.grad


# ----- written once: one function, two engines -----


@pytest.mark.parametrize("case", CASES, ids=str)
def test_same_function_gives_same_values_and_gradients_on_values_and_tensors(case: Case) -> None:
    value_outputs, value_grads = on_values(case, POINTS, UPSTREAM)
    tensor_outputs, tensor_grads = on_tensor(case, POINTS, UPSTREAM)
    np.testing.assert_allclose(value_outputs, tensor_outputs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(value_grads, tensor_grads, rtol=1e-12, atol=1e-15)


def test_every_keras_name_has_a_case() -> None:
    covered = {case.name.split()[0] for case in CASES}
    assert set(activations.ACTIVATIONS) <= covered


def test_prelu_with_a_learned_slope_agrees_on_values_and_tensors() -> None:
    alpha_value = Value(0.3)
    outputs = [activations.prelu(Value(x), alpha_value) for x in POINTS]
    autograd.dot(UPSTREAM, outputs).backward()

    alpha_tensor = Tensor(0.3, dtype="float64", requires_grad=True)
    out = activations.prelu(Tensor(POINTS, dtype="float64"), alpha_tensor)
    out.backward(np.asarray(UPSTREAM))

    np.testing.assert_allclose([o.data for o in outputs], out.data, rtol=1e-12)
    assert alpha_value.grad == pytest.approx(float(alpha_tensor.grad), rel=1e-12)
    # d prelu / d alpha = min(x, 0): only the negative inputs teach the slope.
    assert alpha_value.grad == pytest.approx(sum(g * min(x, 0) for x, g in zip(POINTS, UPSTREAM)))


def test_swish_with_a_learned_beta_agrees_on_values_and_tensors() -> None:
    beta_value = Value(1.7)
    outputs = [activations.swish(Value(x), beta_value) for x in POINTS]
    autograd.dot(UPSTREAM, outputs).backward()

    beta_tensor = Tensor(1.7, dtype="float64", requires_grad=True)
    out = activations.swish(Tensor(POINTS, dtype="float64"), beta_tensor)
    out.backward(np.asarray(UPSTREAM))

    np.testing.assert_allclose([o.data for o in outputs], out.data, rtol=1e-12)
    assert beta_value.grad == pytest.approx(float(beta_tensor.grad), rel=1e-12)


class SharedOnly:
    """A node that offers only SHARED_PRIMITIVES and arithmetic, and refuses every comparison
    and truth test: what shared code may rely on, and nothing more."""

    def __init__(self, value: Value) -> None:
        self.value = value

    def __getattr__(self, name: str) -> Callable[..., SharedOnly]:
        if name not in SHARED_PRIMITIVES:
            raise AttributeError(f"{name!r} is not in SHARED_PRIMITIVES")
        method = getattr(self.value, name)
        return lambda *args: SharedOnly(method(*args))

    def __bool__(self) -> bool:
        raise TypeError("shared code branched on data")

    def _refuse(self, other: object) -> bool:
        raise TypeError("shared code compared data")

    __lt__ = __le__ = __gt__ = __ge__ = _refuse

    def __neg__(self) -> SharedOnly:
        return SharedOnly(-self.value)


def _forward(name: str) -> Callable[[SharedOnly, Any], SharedOnly]:
    def operator(self: SharedOnly, other: Any) -> SharedOnly:
        other = other.value if isinstance(other, SharedOnly) else other
        return SharedOnly(getattr(self.value, name)(other))

    return operator


for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "pow"):
    setattr(SharedOnly, f"__{_name}__", _forward(f"__{_name}__"))


@pytest.mark.parametrize("case", ELEMENTWISE, ids=str)
def test_activation_needs_only_shared_primitives_and_never_compares_data(case: Case) -> None:
    for x in POINTS:
        out = case.f(SharedOnly(Value(x)))
        assert out.value.data == case.f(Value(x)).data


@pytest.mark.parametrize("name", SHARED_PRIMITIVES)
def test_shared_primitive_agrees_on_values_and_tensors(name: str) -> None:
    points = [0.2, 0.9, 1.7, 3.1] if name in ("log", "sqrt") else [-2.3, -0.6, 0.7, 1.9]
    upstream = [0.5, -1.5, 2.0, 0.75]
    case = Case(name, lambda x: getattr(x, name)())
    value_outputs, value_grads = on_values(case, points, upstream)
    tensor_outputs, tensor_grads = on_tensor(case, points, upstream)
    np.testing.assert_allclose(value_outputs, tensor_outputs, rtol=1e-12)
    np.testing.assert_allclose(value_grads, tensor_grads, rtol=1e-12)


# ----- gradients against finite differences (float64) -----


@pytest.mark.parametrize("case", ELEMENTWISE, ids=str)
def test_value_gradient_matches_finite_differences(case: Case) -> None:
    for x in (-2.3, -0.7, 0.4, 1.9):  # away from the kinks at 0
        result = gradcheck(case.f, [Value(x)])
        assert result, f"at x = {x}: {result}"


def _away_from_zero(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random float64 entries at least 0.1 away from 0, where relu-like kinks are."""
    normal = np.random.default_rng(seed).standard_normal(shape)
    return np.sign(normal) * (0.1 + np.abs(normal)) * 2


@pytest.mark.parametrize("case", CASES, ids=str)
def test_tensor_gradient_matches_finite_differences(case: Case) -> None:
    x = Tensor(_away_from_zero((3, 4)), dtype="float64", requires_grad=True)
    result = gradcheck(case.f, [x])
    assert result, str(result)


def test_softmax_over_values_gradient_matches_finite_differences() -> None:
    weights = [0.3, -1.2, 2.0, 0.7]
    result = gradcheck(
        lambda *xs: autograd.dot(weights, activations.softmax(list(xs))),
        [Value(x) for x in (-1.3, 0.2, 0.9, 2.4)],
    )
    assert result, str(result)


def test_softmax_along_the_first_axis_matches_finite_differences() -> None:
    x = Tensor(_away_from_zero((3, 4)), dtype="float64", requires_grad=True)
    assert gradcheck(lambda t: activations.softmax(t, axis=0), [x])


def test_prelu_gradients_for_input_and_slope_match_finite_differences() -> None:
    x = Tensor(_away_from_zero((5, 3)), dtype="float64", requires_grad=True)
    alpha = Tensor([0.1, 0.25, -0.4], dtype="float64", requires_grad=True)
    assert gradcheck(activations.prelu, [x, alpha])
    assert gradcheck(activations.prelu, [Value(-1.3), Value(0.25)])


def test_swish_gradients_for_input_and_beta_match_finite_differences() -> None:
    x = Tensor(_away_from_zero((5, 3)), dtype="float64", requires_grad=True)
    beta = Tensor(1.3, dtype="float64", requires_grad=True)
    assert gradcheck(activations.swish, [x, beta])
    assert gradcheck(activations.swish, [Value(-1.3), Value(0.8)])


# ----- far from 0: finite, and no numpy warning -----

LARGE = [1e4, -1e4, 800.0, -800.0]


@pytest.mark.parametrize("engine", ["value", "float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_value_and_gradient_stay_finite_far_from_zero(case: Case, engine: str) -> None:
    upstream = [1.0, -2.0, 0.5, 3.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if engine == "value":
            outputs, grads = on_values(case, LARGE, upstream)
        else:
            outputs, grads = on_tensor(case, LARGE, upstream, dtype=engine)
    assert np.isfinite(outputs).all(), outputs
    assert np.isfinite(grads).all(), grads


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_tensor_activation_keeps_the_input_dtype(case: Case, dtype: str) -> None:
    assert case.f(Tensor(POINTS, dtype=dtype)).dtype == np.dtype(dtype)


# ----- nan propagates -----


def test_relu_of_nan_is_nan() -> None:
    assert math.isnan(Value(math.nan).relu().data)
    assert math.isnan(activations.relu(Value(math.nan)).data)
    assert np.isnan(activations.relu(Tensor([math.nan])).data).all()


@pytest.mark.parametrize("case", [c for c in ELEMENTWISE if c.name != "step"], ids=str)
def test_nan_input_gives_nan_output_on_both_engines(case: Case) -> None:
    assert math.isnan(case.f(Value(math.nan)).data)
    assert np.isnan(case.f(Tensor([math.nan, 1.0])).data[0])


def test_a_nan_makes_every_softmax_output_nan_on_both_engines() -> None:
    assert all(math.isnan(p.data) for p in activations.softmax([Value(1.0), Value(math.nan)]))
    assert np.isnan(activations.softmax(Tensor([1.0, math.nan])).data).all()


# ----- softmax's and gelu's arguments -----


def test_softmax_of_values_returns_one_value_per_input_summing_to_one() -> None:
    outputs = activations.softmax([Value(x) for x in (-1.0, 0.5, 2.0)])
    assert [type(out) for out in outputs] == [Value] * 3
    assert math.fsum(out.data for out in outputs) == pytest.approx(1.0, abs=1e-15)


def test_softmax_of_values_treats_numbers_as_constants() -> None:
    x = Value(0.5)
    first, second = activations.softmax([x, 2.0])
    first.backward()
    assert x.grad == pytest.approx(first.data * (1 - first.data))
    assert first.data + second.data == pytest.approx(1.0)


def test_softmax_of_a_single_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"got a single Value .*pass the list of Values"):
        activations.softmax(Value(1.0))


def test_softmax_of_a_list_rejects_an_axis_it_does_not_have() -> None:
    with pytest.raises(ValueError, match=r"one axis \(0 or -1\), got axis=1"):
        activations.softmax([Value(1.0), Value(2.0)], axis=1)


def test_softmax_of_an_empty_list_is_an_error() -> None:
    with pytest.raises(ValueError, match="softmax: needs at least one value"):
        activations.softmax([])


@pytest.mark.parametrize(("keras", "pytorch"), [(False, "none"), (True, "tanh")])
def test_gelu_accepts_keras_bools_and_pytorch_strings(keras: bool, pytorch: str) -> None:
    x = Tensor(POINTS, dtype="float64")
    np.testing.assert_array_equal(
        activations.gelu(x, approximate=keras).data, activations.gelu(x, approximate=pytorch).data
    )


def test_gelu_rejects_an_unknown_approximation() -> None:
    with pytest.raises(ValueError, match=r"approximate must be .* got 'fast'"):
        activations.gelu(Value(1.0), approximate="fast")


# ----- Keras's names -----


def test_keras_names_are_the_known_activations() -> None:
    assert set(activations.ACTIVATIONS) == KEYWORD_NAMES


@pytest.mark.parametrize("name", sorted(KEYWORD_NAMES))
def test_get_resolves_each_keras_name_to_the_function_of_that_name(name: str) -> None:
    assert activations.get(name) is getattr(activations, name)


def test_get_of_none_is_linear_and_of_a_callable_is_itself() -> None:
    def double(x: Any) -> Any:
        return x * 2.0

    assert activations.get(None) is activations.linear
    assert activations.get(double) is double


def test_get_activation_is_an_alias_of_get() -> None:
    assert activations.get_activation is activations.get


def test_get_of_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown activation 'mish'; known activations: ") as info:
        activations.get("mish")
    assert all(name in str(info.value) for name in KEYWORD_NAMES)


def test_get_suggests_the_nearest_name() -> None:
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        activations.get("ReLU")


def test_get_of_prelu_points_to_the_layer_that_learns_the_slope() -> None:
    with pytest.raises(ValueError, match="prelu learns its slope: use the PReLU layer"):
        activations.get("prelu")


def test_get_of_something_neither_a_name_nor_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="a name, a callable or None, got int 3"):
        activations.get(3)
