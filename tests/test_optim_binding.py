"""Optimizers the Keras way: made before the model (``Adam(learning_rate=1e-3)``), bound later."""

from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor

OPTIMIZERS = [
    optim.SGD,
    optim.Momentum,
    optim.Nesterov,
    optim.Adagrad,
    optim.RMSprop,
    optim.AdaDelta,
    optim.Adam,
    optim.AdamW,
    optim.Adamax,
    optim.NAdam,
]


def _parameter() -> Tensor:
    weight = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    weight.grad = np.array([0.5, 0.25], dtype=np.float32)
    return weight


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_learning_rate_is_keras_spelling_of_lr(cls) -> None:
    a, b = _parameter(), _parameter()
    cls([a], lr=0.05).step()
    cls([b], learning_rate=0.05).step()
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_an_optimizer_made_without_parameters_steps_like_one_made_with_them(cls) -> None:
    a, b = _parameter(), _parameter()
    cls([a], lr=0.05).step()
    unbound = cls(learning_rate=0.05)
    assert unbound.param_groups == []
    unbound.bind([b]).step()
    np.testing.assert_array_equal(a.data, b.data)


def test_a_number_in_place_of_parameters_is_keras_positional_learning_rate() -> None:
    assert optim.SGD(0.1).learning_rate == 0.1


def test_step_without_parameters_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match=r"no parameters yet.*bind\(model\.parameters\(\)\)"):
        optim.Adam(learning_rate=1e-3).step()


def test_binding_twice_is_an_error() -> None:
    optimizer = optim.SGD([_parameter()], lr=0.1)
    with pytest.raises(RuntimeError, match="already has parameters"):
        optimizer.bind([_parameter()])


def test_learning_rate_property_reads_and_sets_every_group() -> None:
    optimizer = optim.SGD([{"params": [_parameter()]}, {"params": [_parameter()], "lr": 0.5}])
    assert optimizer.learning_rate == 1e-3
    optimizer.learning_rate = 0.2
    assert [group["lr"] for group in optimizer.param_groups] == [0.2, 0.2]
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate = -1.0


def test_pytorch_style_construction_keeps_working() -> None:
    weight = _parameter()
    optim.SGD([weight], 0.1).step()
    np.testing.assert_allclose(weight.data, [0.95, -2.025])
