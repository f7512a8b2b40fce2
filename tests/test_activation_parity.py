"""Every activation against PyTorch in float64: values and gradients on both engines, with
non-uniform upstream gradients, at points that include the kink at 0 and torch's softplus
threshold (20); PReLU's and swish's learned parameters get torch's gradients too."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value
from nn import activations
from tests.test_activations import CASES, Case, on_tensor, on_values

torch = pytest.importorskip("torch")
F = torch.nn.functional

POINTS = [-30.0, -3.7, -1.2, -0.4, 0.0, 0.3, 0.9, 2.1, 25.0]
UPSTREAM = [0.7, 0.5, -1.5, 2.0, 0.25, -0.75, 1.25, 3.0, -0.4]
# 1e-10: torch's softplus returns x itself above its threshold 20 (off by e^-25 ≈ 1e-11).
TOLERANCE = {"rtol": 1e-10, "atol": 1e-14}


def _float64(values: Any) -> Any:
    return torch.tensor(values, dtype=torch.float64)


REFERENCES: dict[str, Callable[[Any], Any]] = {
    "linear": lambda t: t * 1.0,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "leaky_relu 0.2": lambda t: F.leaky_relu(t, negative_slope=0.2),
    "prelu 0.25": lambda t: F.prelu(t, _float64([0.25])),
    "swish": F.silu,
    "swish beta 1.5": lambda t: t * torch.sigmoid(1.5 * t),
    "silu": F.silu,
    "gelu": lambda t: F.gelu(t, approximate="none"),
    "gelu tanh": lambda t: F.gelu(t, approximate="tanh"),
    "elu": F.elu,
    "elu 0.7": lambda t: F.elu(t, alpha=0.7),
    "selu": F.selu,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "softmax": lambda t: F.softmax(t, dim=-1),
    "softmax axis 0": lambda t: F.softmax(t, dim=0),
}
COMPARED = [case for case in CASES if case.name in REFERENCES]


def torch_reference(name: str, points: list[float], upstream: list[float]) -> tuple:
    """PyTorch's outputs and input gradient for the case called ``name``."""
    leaf = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    out = REFERENCES[name](leaf)
    out.backward(_float64(upstream))
    return out.detach().numpy(), leaf.grad.numpy()


def test_every_case_but_step_has_a_pytorch_reference() -> None:
    assert {case.name for case in CASES} - set(REFERENCES) == {"step"}


@pytest.mark.parametrize("engine", [on_values, on_tensor], ids=["value", "tensor"])
@pytest.mark.parametrize("case", COMPARED, ids=str)
def test_values_and_gradients_match_pytorch(case: Case, engine: Callable) -> None:
    outputs, grads = engine(case, POINTS, UPSTREAM)
    expected_outputs, expected_grads = torch_reference(case.name, POINTS, UPSTREAM)
    np.testing.assert_allclose(outputs, expected_outputs, **TOLERANCE)
    np.testing.assert_allclose(grads, expected_grads, **TOLERANCE)


def test_step_matches_heaviside_with_one_at_zero_and_has_no_gradient() -> None:
    x = Tensor(POINTS, dtype="float64", requires_grad=True)
    out = activations.step(x)
    out.backward(np.asarray(UPSTREAM))
    expected = torch.heaviside(_float64(POINTS), _float64(1.0)).numpy()
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal([activations.step(Value(p)).data for p in POINTS], expected)
    np.testing.assert_array_equal(x.grad, np.zeros(len(POINTS)))


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_of_a_matrix_matches_pytorch_along_each_axis(axis: int) -> None:
    rng = np.random.default_rng(1)
    data, upstream = rng.standard_normal((4, 5)) * 3, rng.standard_normal((4, 5))
    x = Tensor(data, dtype="float64", requires_grad=True)
    out = activations.softmax(x, axis=axis)
    out.backward(upstream)

    reference = torch.tensor(data, requires_grad=True)
    expected = F.softmax(reference, dim=axis)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCE)
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), **TOLERANCE)


def test_prelu_input_and_per_channel_slope_gradients_match_pytorch() -> None:
    rng = np.random.default_rng(2)
    data, upstream = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    slopes = np.array([0.1, 0.25, -0.3])
    x = Tensor(data, dtype="float64", requires_grad=True)
    alpha = Tensor(slopes, dtype="float64", requires_grad=True)
    out = activations.prelu(x, alpha)
    out.backward(upstream)

    reference_x = torch.tensor(data, requires_grad=True)
    weight = torch.tensor(slopes, requires_grad=True)  # channels on axis 1, as our last axis
    expected = F.prelu(reference_x, weight)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCE)
    np.testing.assert_allclose(x.grad, reference_x.grad.numpy(), **TOLERANCE)
    np.testing.assert_allclose(alpha.grad, weight.grad.numpy(), **TOLERANCE)


def test_prelu_with_a_slope_per_unit_keras_style_matches_pytorch() -> None:
    # Keras's PReLU learns one slope per input unit (shape input_shape[1:]), channels last.
    rng = np.random.default_rng(3)
    data, upstream = rng.standard_normal((5, 4, 3)), rng.standard_normal((5, 4, 3))
    slopes = rng.uniform(-0.5, 0.5, (4, 3))
    x = Tensor(data, dtype="float64", requires_grad=True)
    alpha = Tensor(slopes, dtype="float64", requires_grad=True)
    activations.prelu(x, alpha).backward(upstream)

    reference_x = torch.tensor(data, requires_grad=True)
    weight = torch.tensor(slopes, requires_grad=True)
    torch.where(reference_x > 0, reference_x, weight * reference_x).backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, reference_x.grad.numpy(), **TOLERANCE)
    np.testing.assert_allclose(alpha.grad, weight.grad.numpy(), **TOLERANCE)


def test_prelu_slope_gradient_on_values_matches_pytorch() -> None:
    alpha = Value(0.25)
    outputs = [activations.prelu(Value(p), alpha) for p in POINTS]
    autograd.dot(UPSTREAM, outputs).backward()

    weight = torch.tensor([0.25], dtype=torch.float64, requires_grad=True)
    F.prelu(_float64(POINTS), weight).backward(_float64(UPSTREAM))
    assert alpha.grad == pytest.approx(weight.grad.item(), rel=1e-12)


def test_swish_beta_gradient_matches_pytorch() -> None:
    beta = Tensor(1.5, dtype="float64", requires_grad=True)
    activations.swish(Tensor(POINTS, dtype="float64"), beta).backward(np.asarray(UPSTREAM))

    reference_beta = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    points = _float64(POINTS)
    (points * torch.sigmoid(reference_beta * points)).backward(_float64(UPSTREAM))
    assert float(beta.grad) == pytest.approx(reference_beta.grad.item(), rel=1e-12)


def test_relu_of_nan_is_nan_and_passes_the_gradient_as_pytorch() -> None:
    leaf = torch.tensor([math.nan], dtype=torch.float64, requires_grad=True)
    F.relu(leaf).backward(_float64([2.0]))

    value = Value(math.nan)
    out = activations.relu(value)
    out.backward(2.0)
    tensor = Tensor([math.nan], dtype="float64", requires_grad=True)
    activations.relu(tensor).backward(np.array([2.0]))

    assert math.isnan(out.data)
    assert value.grad == leaf.grad.item() == tensor.grad[0]
