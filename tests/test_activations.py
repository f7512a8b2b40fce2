"""Activations are written once and give the same numbers and gradients on Values and Tensors."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

POINTS = [-2.5, -0.3, 0.4, 3.0]


@pytest.mark.parametrize("name", sorted(nn.activations.ACTIVATIONS))
def test_same_function_runs_on_values_and_tensors(name: str) -> None:
    activation = nn.get_activation(name)
    values = [Value(x) for x in POINTS]
    outputs = [activation(v) * 1.0 for v in values]  # `* 1.0`: linear returns its input
    for out in outputs:
        out.backward()

    tensor = Tensor(POINTS, dtype="float64", requires_grad=True)
    (activation(tensor) * 1.0).sum().backward()

    np.testing.assert_allclose([out.data for out in outputs], activation(tensor).data, rtol=1e-12)
    np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-12)
