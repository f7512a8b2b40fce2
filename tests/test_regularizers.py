"""Regularizers: Keras's penalty l1·Σ|w| + l2·Σw² (no ½), as graph nodes whose gradients flow,
checked against numpy, finite differences and PyTorch; names, configs, errors; and the
l2(λ) ≡ SGD(weight_decay=2λ) equivalence the module docstring states."""

from __future__ import annotations

import re

import numpy as np
import pytest

import optim
from autograd import Tensor, Value, gradcheck
from nn import regularizers
from nn.layers import Dense
from nn.regularizers import L1, L1L2, L2, Regularizer, get, l1, l1_l2, l2

WEIGHTS = np.array([[0.5, -1.5, 2.0], [-0.25, 3.0, -0.75]])  # no entry near 0, where |w| bends


def weight(values=WEIGHTS):
    return Tensor(values, requires_grad=True, dtype="float64")


# ----- values -----


def test_l1_is_l1_times_the_sum_of_absolute_values():
    assert L1(0.01)(weight()).item() == pytest.approx(0.01 * np.abs(WEIGHTS).sum(), rel=1e-12)


def test_l2_is_l2_times_the_sum_of_squares_without_a_half():
    assert L2(0.02)(weight()).item() == pytest.approx(0.02 * (WEIGHTS**2).sum(), rel=1e-12)


def test_l1l2_adds_both_penalties():
    expected = 0.01 * np.abs(WEIGHTS).sum() + 0.02 * (WEIGHTS**2).sum()
    assert L1L2(l1=0.01, l2=0.02)(weight()).item() == pytest.approx(expected, rel=1e-12)


def test_penalty_is_a_0d_graph_node_of_the_weights_dtype():
    penalty = L2(0.01)(weight())
    assert isinstance(penalty, Tensor)
    assert penalty.shape == ()
    assert penalty.dtype == np.float64
    assert penalty.requires_grad


def test_float32_weights_give_a_float32_penalty():
    assert L1L2(0.1, 0.1)(Tensor(WEIGHTS)).dtype == np.float32


def test_zero_factors_give_a_constant_zero():
    penalty = L1L2()(weight())
    assert penalty.item() == 0.0
    assert penalty.dtype == np.float64
    assert not penalty.requires_grad


def test_the_base_regularizer_adds_nothing():
    assert Regularizer()(weight()).item() == 0.0


def test_conv_kernel_penalty_sums_over_every_axis():
    kernel = np.random.default_rng(0).standard_normal((3, 3, 4, 8))
    assert L2(0.5)(Tensor(kernel, dtype="float64")).item() == pytest.approx(
        0.5 * np.sum(kernel**2), rel=1e-12
    )


# ----- gradients -----


@pytest.mark.parametrize(
    "regularizer", [L1(0.3), L2(0.2), L1L2(0.3, 0.2)], ids=lambda r: type(r).__name__
)
def test_gradient_agrees_with_finite_differences(regularizer):
    result = gradcheck(regularizer, [weight()])
    assert result, str(result)


def test_l2_gradient_is_two_l2_w():
    w = weight()
    L2(0.01)(w).backward()
    np.testing.assert_allclose(w.grad, 2 * 0.01 * WEIGHTS, rtol=1e-12)


def test_l1_gradient_is_l1_sign_w():
    w = weight()
    L1(0.01)(w).backward()
    np.testing.assert_allclose(w.grad, 0.01 * np.sign(WEIGHTS), rtol=1e-12)


def test_gradients_agree_with_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(WEIGHTS, requires_grad=True)
    (0.03 * theirs.abs().sum() + 0.01 * (theirs**2).sum()).backward()
    ours = weight()
    penalty = L1L2(l1=0.03, l2=0.01)(ours)
    penalty.backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(theirs.grad.numpy(), 0.03 * np.sign(WEIGHTS) + 2 * 0.01 * WEIGHTS)


def test_torch_l2_gradient_is_two_l2_w_as_ours():
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(WEIGHTS, requires_grad=True)
    (0.05 * (theirs**2).sum()).backward()
    ours = weight()
    L2(0.05)(ours).backward()
    np.testing.assert_allclose(theirs.grad.numpy(), 2 * 0.05 * WEIGHTS, rtol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


def test_values_give_a_value_penalty_with_gradients():
    values = [Value(0.5), Value(-2.0), Value(1.5)]
    penalty = L1L2(l1=0.1, l2=0.5)(values)
    penalty.backward()
    assert isinstance(penalty, Value)
    assert penalty.data == pytest.approx(0.1 * 4.0 + 0.5 * (0.25 + 4.0 + 2.25))
    assert [v.grad for v in values] == pytest.approx([0.1 + 0.5, -0.1 - 2.0, 0.1 + 1.5])


def test_a_number_is_not_a_weight():
    with pytest.raises(TypeError, match="float"):
        L2(0.1)(3.0)


# ----- weight decay -----


def test_l2_under_sgd_equals_weight_decay_of_twice_l2():
    inputs = np.array([[1.0, 2.0], [3.0, -1.0]])
    start = np.array([[0.5, -0.2], [0.1, 0.4]])
    strength = 0.05

    def data_loss(w):
        return ((Tensor(inputs, dtype="float64") @ w) ** 2).mean()

    penalised = Tensor(start, requires_grad=True, dtype="float64")
    (data_loss(penalised) + L2(strength)(penalised)).backward()
    optim.SGD([penalised], lr=0.1).step()

    decayed = Tensor(start, requires_grad=True, dtype="float64")
    data_loss(decayed).backward()
    optim.SGD([decayed], lr=0.1, weight_decay=2 * strength).step()

    np.testing.assert_allclose(penalised.data, decayed.data, rtol=1e-12)


# ----- Keras's names, get and configs -----


def test_lowercase_names_are_called_as_keras_writes_them():
    assert isinstance(l2(0.01), L2)
    assert l2(0.01).l2 == 0.01
    assert l1(0.02).l1 == 0.02
    penalty = l1_l2(l1=0.01, l2=0.02)
    assert isinstance(penalty, L1L2)
    assert (penalty.l1, penalty.l2) == (0.01, 0.02)


def test_keras_defaults():
    assert L1().l1 == 0.01
    assert L2().l2 == 0.01
    assert (L1L2().l1, L1L2().l2) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("name", "cls"),
    [("l1", L1), ("l2", L2), ("l1_l2", L1L2), ("L1", L1), ("L2", L2), ("L1L2", L1L2)],
)
def test_get_resolves_names(name, cls):
    assert type(get(name)) is cls


def test_get_returns_instances_and_none_as_they_are_and_makes_classes():
    instance = L2(0.3)
    assert get(instance) is instance
    assert get(None) is None
    assert type(get(L1)) is L1


def test_get_of_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"'l3'.*l1, l1_l2.*l2"):
        get("l3")


def test_get_of_something_else_is_an_error():
    with pytest.raises(ValueError, match=r"0\.5"):
        get(0.5)


@pytest.mark.parametrize(
    ("regularizer", "config"),
    [(L1(0.2), {"l1": 0.2}), (L2(0.3), {"l2": 0.3}), (L1L2(0.1, 0.4), {"l1": 0.1, "l2": 0.4})],
    ids=lambda item: type(item).__name__,
)
def test_get_config_names_the_arguments_and_rebuilds(regularizer, config):
    assert regularizer.get_config() == config
    rebuilt = get({"class_name": type(regularizer).__name__, "config": config})
    assert type(rebuilt) is type(regularizer)
    assert rebuilt(weight()).item() == regularizer(weight()).item()


def test_repr_shows_the_factors():
    assert repr(regularizers.l2(0.01)) == "L2(l2=0.01)"


# ----- bad factors -----


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: L1(-0.01), "l1=-0.01"),
        (lambda: L2(-1), "l2=-1"),
        (lambda: L1L2(l1=0.1, l2=-0.5), "l2=-0.5"),
        (lambda: L2(float("nan")), "l2=nan"),
        (lambda: L2(float("inf")), "l2=inf"),
        (lambda: L1("0.1"), "l1='0.1'"),
        (lambda: L2(True), "l2=True"),
    ],
)
def test_bad_factors_are_errors_naming_the_value(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_none_factor_means_zero_as_in_keras():
    assert L1L2(l1=None, l2=0.1).l1 == 0.0


# ----- in a layer, as the study guide writes it -----


def test_dense_kernel_regularizer_l2_penalises_its_kernel():
    layer = Dense(64, activation="relu", kernel_regularizer=l2(0.01), input_shape=(10,))
    (penalty,) = layer.penalties()
    kernel = layer.kernel.data.astype(np.float64)
    assert penalty.item() == pytest.approx(0.01 * np.sum(kernel**2), rel=1e-5)
    penalty.backward()
    np.testing.assert_allclose(layer.kernel.grad, 2 * 0.01 * kernel, rtol=1e-5)


def test_dense_kernel_regularizer_by_name():
    layer = Dense(8, kernel_regularizer="l1", input_shape=(3,))
    (penalty,) = layer.penalties()
    assert penalty.item() == pytest.approx(0.01 * np.abs(layer.kernel.data).sum(), rel=1e-5)
