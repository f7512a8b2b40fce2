"""Keras's clipping arguments on every optimizer: ``clipnorm``, ``global_clipnorm``, ``clipvalue``.

Expected numbers come from Keras's documented definitions (each gradient scaled by
c / max(‖g‖, c); all of them by c / max(‖all‖, c); entries clipped to [-c, c]), worked out by
hand in the tests, and from PyTorch's ``clip_grad_norm_`` / ``clip_grad_value_`` followed by a
plain step, which is what a PyTorch user writes for the same thing.
"""

from __future__ import annotations

import numpy as np
import pytest

import optim
from autograd import Tensor, Value
from nn.layers import Dense
from nn.models import Sequential

OPTIMIZERS = [
    optim.SGD,
    optim.Momentum,
    optim.Nesterov,
    optim.Adam,
    optim.AdamW,
    optim.Adamax,
    optim.NAdam,
    optim.Adagrad,
    optim.RMSprop,
    optim.AdaDelta,
]


def _leaf(data: list[float], grad: list[float]) -> Tensor:
    t = Tensor(np.array(data), dtype="float64", requires_grad=True)
    t.grad = np.array(grad, dtype=np.float64)
    return t


def test_clipnorm_scales_each_gradient_to_the_norm_and_leaves_smaller_ones() -> None:
    big = _leaf([0.0, 0.0], [3.0, 4.0])  # norm 5 -> scaled by 1/5 to norm 1
    small = _leaf([0.0], [0.5])  # norm 0.5, under 1: untouched
    optim.SGD([big, small], learning_rate=1.0, clipnorm=1.0).step()
    np.testing.assert_allclose(big.data, [-0.6, -0.8], rtol=1e-15)
    np.testing.assert_allclose(small.data, [-0.5], rtol=1e-15)


def test_global_clipnorm_scales_every_gradient_by_the_norm_of_all() -> None:
    a, b = _leaf([0.0, 0.0], [3.0, 4.0]), _leaf([0.0], [12.0])  # all together: norm 13
    optim.SGD([a, b], learning_rate=1.0, global_clipnorm=2.0).step()
    np.testing.assert_allclose(a.data, [-6 / 13, -8 / 13], rtol=1e-15)
    np.testing.assert_allclose(b.data, [-24 / 13], rtol=1e-15)


def test_clipvalue_clips_every_entry() -> None:
    a = _leaf([0.0, 0.0, 0.0], [3.0, -0.2, -4.0])
    optim.SGD([a], learning_rate=1.0, clipvalue=0.5).step()
    np.testing.assert_allclose(a.data, [-0.5, 0.2, 0.5], rtol=1e-15)


def test_the_gradients_the_user_sees_are_not_changed() -> None:
    a = _leaf([1.0, 1.0], [3.0, 4.0])
    v = Value(1.0)
    v.grad = 7.0
    optim.Adam([a, v], clipnorm=1.0).step()
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    assert v.grad == 7.0


def test_each_value_is_a_parameter_of_its_own_for_clipnorm() -> None:
    values = [Value(0.0), Value(0.0), Value(0.0)]
    for v, g in zip(values, [3.0, -0.5, -4.0]):
        v.grad = g
    optim.SGD(values, learning_rate=1.0, clipnorm=1.0).step()
    assert [v.data for v in values] == [-1.0, 0.5, 1.0]


def test_global_clipnorm_counts_values_and_tensors_together() -> None:
    t = _leaf([0.0], [3.0])
    v = Value(0.0)
    v.grad = 4.0  # with the tensor's 3: norm 5
    optim.SGD([t, v], learning_rate=1.0, global_clipnorm=1.0).step()
    np.testing.assert_allclose(t.data, [-0.6], rtol=1e-15)
    assert v.data == pytest.approx(-0.8, rel=1e-15)


def test_a_nan_gradient_makes_its_parameter_nan_rather_than_hiding() -> None:
    a = _leaf([1.0, 1.0], [np.nan, 1.0])
    optim.SGD([a], learning_rate=1.0, clipnorm=1.0).step()
    assert np.isnan(a.data).all()


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("option", ["clipnorm", "global_clipnorm", "clipvalue"])
def test_every_optimizer_steps_on_the_clipped_gradients(optimizer: type, option: str) -> None:
    """Three steps with clipping equal three steps without it on gradients clipped by hand."""
    rng = np.random.default_rng(0)
    clipped = [_leaf(rng.normal(size=4).tolist(), [0.0] * 4) for _ in range(2)]
    plain = [_leaf(p.data.tolist(), [0.0] * 4) for p in clipped]
    with_clipping = optimizer(clipped, **{option: 0.7})
    without = optimizer(plain)
    for _ in range(3):
        grads = [rng.normal(scale=3.0, size=4) for _ in range(2)]
        if option == "clipnorm":
            by_hand = [g * 0.7 / max(np.linalg.norm(g), 0.7) for g in grads]
        elif option == "global_clipnorm":
            total = np.sqrt(sum(np.sum(g * g) for g in grads))
            by_hand = [g * 0.7 / max(total, 0.7) for g in grads]
        else:
            by_hand = [np.clip(g, -0.7, 0.7) for g in grads]
        for p, q, g, h in zip(clipped, plain, grads, by_hand):
            p.grad, q.grad = g, h
        with_clipping.step()
        without.step()
    for p, q in zip(clipped, plain):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-15)


def test_global_clipnorm_and_clipvalue_equal_pytorchs_clipping_before_the_step() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    start = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    grads = [rng.normal(scale=4.0, size=(3, 2)), rng.normal(scale=4.0, size=2)]
    for option, clip in (
        ("global_clipnorm", lambda ps: torch.nn.utils.clip_grad_norm_(ps, 1.5)),
        ("clipvalue", lambda ps: torch.nn.utils.clip_grad_value_(ps, 1.5)),
    ):
        ours = [_leaf(s.tolist(), g.tolist()) for s, g in zip(start, grads)]
        optim.Adam(ours, lr=0.1, **{option: 1.5}).step()
        theirs = [torch.tensor(s, requires_grad=True) for s in start]
        for p, g in zip(theirs, grads):
            p.grad = torch.tensor(g)
        clip(theirs)
        torch.optim.Adam(theirs, lr=0.1).step()
        for p, q in zip(ours, theirs):  # PyTorch divides by norm + 1e-6: equal to about 1e-6
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_a_compiled_model_takes_steps_no_longer_than_the_clipnorm_allows() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (100.0 * rng.normal(size=(32, 1))).astype(np.float32)  # a huge loss: huge gradients
    model = Sequential([Dense(1, input_shape=(4,))])
    model.compile(optimizer=optim.SGD(learning_rate=0.1, clipnorm=0.01), loss="mse")
    before = model.get_weights()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        assert np.linalg.norm(new - old) == pytest.approx(0.1 * 0.01, rel=1e-4)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"clipnorm": 1.0, "clipvalue": 0.5},
            "only one of clipnorm, clipvalue and global_clipnorm",
        ),
        ({"global_clipnorm": 0.0}, "global_clipnorm must be a positive number, got 0.0"),
        ({"clipvalue": -1}, "clipvalue must be a positive number, got -1"),
        ({"clipnorm": "1"}, "clipnorm must be a positive number, got '1'"),
    ],
)
def test_bad_clipping_arguments_are_named(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        optim.RMSprop(**options)


def test_a_misspelt_keyword_is_named_with_the_ones_that_exist() -> None:
    with pytest.raises(TypeError, match=r"\['clipnrom'\].*\['clipnorm', 'clipvalue', 'global"):
        optim.Adam(clipnrom=1.0)
