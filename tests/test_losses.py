"""Losses: Keras's formulas (written out here in numpy), PyTorch's gradients, finite differences,
the same numbers on Values and Tensors, Keras's reductions and weights, and loud shape errors."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from autograd import Tensor, Value, gradcheck
from autograd.value import amax, logsumexp
from nn import losses

EPS = 1e-7  # Keras's backend.epsilon()
N, K = 6, 4  # samples, outputs per sample


# ----- Keras's per-sample formulas, in numpy (from the Keras 3 docstrings and source) -----


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def keras_mse(t, p):
    return np.mean(np.square(t - p), axis=-1)


def keras_mae(t, p):
    return np.mean(np.abs(t - p), axis=-1)


def keras_huber(t, p, delta=1.0):
    error = p - t
    small = np.abs(error) <= delta
    return np.mean(np.where(small, 0.5 * error**2, delta * np.abs(error) - 0.5 * delta**2), -1)


def keras_bce(t, p, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    p = np.clip(p, EPS, 1 - EPS)
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p), axis=-1)


def keras_bce_logits(t, x):
    # tf.nn.sigmoid_cross_entropy_with_logits: max(x, 0) - x·t + log(1 + e^-|x|)
    return np.mean(np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))), axis=-1)


def keras_cce(t, p, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(t * np.log(p), axis=-1)


def keras_cce_logits(t, x, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    return -np.sum(t * log_softmax(x), axis=-1)


def keras_sparse(labels, p):
    return keras_cce(np.eye(p.shape[-1])[labels], p)


def keras_sparse_logits(labels, x):
    return -log_softmax(x)[np.arange(len(labels)), labels]


def keras_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def keras_hinge(t, p):
    return np.mean(np.maximum(1 - t * p, 0), axis=-1)


def keras_squared_hinge(t, p):
    return np.mean(np.maximum(1 - t * p, 0) ** 2, axis=-1)


def keras_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def keras_categorical_hinge(t, p):
    positive = np.sum(t * p, axis=-1)
    negative = np.max((1 - t) * p, axis=-1)
    return np.maximum(negative - positive + 1, 0)


def keras_cosine(t, p):
    def l2_normalize(x):
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)

    return -np.sum(l2_normalize(t) * l2_normalize(p), axis=-1)


# ----- data: non-uniform, away from kinks and clipping bounds -----


def regression(rng):
    return rng.normal(size=(N, K)), rng.normal(scale=1.5, size=(N, K))


def binary_probabilities(rng):
    return rng.integers(0, 2, (N, K)).astype(float), rng.uniform(0.05, 0.95, (N, K))


def binary_logits(rng):
    return rng.integers(0, 2, (N, K)).astype(float), rng.normal(scale=2.0, size=(N, K))


def one_hot_probabilities(rng):  # rows not summing to 1: Keras rescales them
    return np.eye(K)[rng.integers(0, K, N)], rng.uniform(0.1, 1.0, (N, K))


def one_hot_logits(rng):
    return np.eye(K)[rng.integers(0, K, N)], rng.normal(scale=2.0, size=(N, K))


def labels_probabilities(rng):
    return rng.integers(0, K, N), rng.uniform(0.1, 1.0, (N, K))


def labels_logits(rng):
    return rng.integers(0, K, N), rng.normal(scale=2.0, size=(N, K))


def distributions(rng):
    return softmax(rng.normal(size=(N, K))), softmax(rng.normal(size=(N, K)))


def signs(rng):
    return rng.choice([-1.0, 1.0], (N, K)), rng.normal(size=(N, K))


def counts(rng):
    return rng.poisson(2.0, (N, K)).astype(float), rng.uniform(0.5, 3.0, (N, K))


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[..., losses.Loss]  # the Loss class with its options; takes reduction=
    function: Callable[..., Any]  # the per-sample function with the same options
    keras: Callable[[np.ndarray, np.ndarray], np.ndarray]  # Keras's formula, per sample
    data: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]


P = functools.partial
CASES = [
    Case("mse", losses.MeanSquaredError, losses.mse, keras_mse, regression),
    Case("mae", losses.MeanAbsoluteError, losses.mae, keras_mae, regression),
    Case("huber", losses.Huber, losses.huber, keras_huber, regression),
    Case(
        "huber_delta",
        P(losses.Huber, delta=0.5),
        P(losses.huber, delta=0.5),
        P(keras_huber, delta=0.5),
        regression,
    ),
    Case(
        "bce",
        losses.BinaryCrossentropy,
        losses.binary_crossentropy,
        keras_bce,
        binary_probabilities,
    ),
    Case(
        "bce_logits",
        P(losses.BinaryCrossentropy, from_logits=True),
        P(losses.binary_crossentropy, from_logits=True),
        keras_bce_logits,
        binary_logits,
    ),
    Case(
        "bce_smoothing",
        P(losses.BinaryCrossentropy, label_smoothing=0.2),
        P(losses.binary_crossentropy, label_smoothing=0.2),
        P(keras_bce, label_smoothing=0.2),
        binary_probabilities,
    ),
    Case(
        "cce",
        losses.CategoricalCrossentropy,
        losses.categorical_crossentropy,
        keras_cce,
        one_hot_probabilities,
    ),
    Case(
        "cce_logits",
        P(losses.CategoricalCrossentropy, from_logits=True),
        P(losses.categorical_crossentropy, from_logits=True),
        keras_cce_logits,
        one_hot_logits,
    ),
    Case(
        "cce_logits_smoothing",
        P(losses.CategoricalCrossentropy, from_logits=True, label_smoothing=0.2),
        P(losses.categorical_crossentropy, from_logits=True, label_smoothing=0.2),
        P(keras_cce_logits, label_smoothing=0.2),
        one_hot_logits,
    ),
    Case(
        "sparse",
        losses.SparseCategoricalCrossentropy,
        losses.sparse_categorical_crossentropy,
        keras_sparse,
        labels_probabilities,
    ),
    Case(
        "sparse_logits",
        P(losses.SparseCategoricalCrossentropy, from_logits=True),
        P(losses.sparse_categorical_crossentropy, from_logits=True),
        keras_sparse_logits,
        labels_logits,
    ),
    Case("kld", losses.KLDivergence, losses.kl_divergence, keras_kld, distributions),
    Case("hinge", losses.Hinge, losses.hinge, keras_hinge, signs),
    Case("squared_hinge", losses.SquaredHinge, losses.squared_hinge, keras_squared_hinge, signs),
    Case("poisson", losses.Poisson, losses.poisson, keras_poisson, counts),
    Case(
        "categorical_hinge",
        losses.CategoricalHinge,
        losses.categorical_hinge,
        keras_categorical_hinge,
        one_hot_logits,
    ),
    Case("cosine", losses.CosineSimilarity, losses.cosine_similarity, keras_cosine, regression),
]
IDS = [case.name for case in CASES]
ELEMENTWISE = {"mse", "mae", "huber", "bce", "bce_logits", "hinge", "squared_hinge", "poisson"}
REDUCTIONS = ["sum_over_batch_size", "mean", "sum", "none", "mean_with_sample_weight"]
WEIGHTS = np.array([0.5, 2.0, 1.0, 0.0, 3.0, 0.25])


def data_of(case: Case, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return case.data(np.random.default_rng(seed))


def value_rows(array: np.ndarray) -> list[list[Value]]:
    return [[Value(float(x)) for x in row] for row in array]


def keras_reduction(per_sample: np.ndarray, weights: np.ndarray | None, reduction: str):
    """Keras 3's reduce_weighted_values, written out."""
    w = np.ones_like(per_sample) if weights is None else weights
    weighted = per_sample * w
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight":
        return weighted.sum() / w.sum()
    return weighted.sum() / per_sample.size


# ----- values: Keras's formulas -----


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_function_gives_keras_per_sample_losses(case: Case) -> None:
    y_true, y_pred = data_of(case)
    got = case.function(y_true, Tensor(y_pred, dtype="float64"))
    assert got.shape == (N,)
    np.testing.assert_allclose(got.data, case.keras(y_true, y_pred), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loss_object_reduces_as_keras(case: Case, reduction: str, weighted: bool) -> None:
    y_true, y_pred = data_of(case, seed=1)
    weights = WEIGHTS if weighted else None
    got = case.make(reduction=reduction)(y_true, Tensor(y_pred, dtype="float64"), weights)
    expected = keras_reduction(case.keras(y_true, y_pred), weights, reduction)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-15)


def test_default_reduction_is_sum_over_batch_size_and_gives_a_0d_tensor() -> None:
    loss = losses.MeanSquaredError()
    assert loss.reduction == "sum_over_batch_size"
    out = loss([[1.0, 2.0], [3.0, 4.0]], Tensor([[1.5, 2.0], [2.0, 4.0]]))
    assert out.shape == ()
    assert out.item() == pytest.approx((0.25 / 2 + 1.0 / 2) / 2)


def test_float32_in_float32_out() -> None:
    y_true, y_pred = data_of(CASES[0])
    assert losses.MeanSquaredError()(y_true, Tensor(y_pred)).dtype == np.float32


def test_hinge_turns_0_1_labels_into_minus_1_plus_1() -> None:
    y_pred = np.array([[0.3, -1.2, 2.0], [-0.4, 0.8, 0.1]])
    zero_one = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    plus_minus = 2 * zero_one - 1
    for function in (losses.hinge, losses.squared_hinge):
        converted = function(zero_one, Tensor(y_pred, dtype="float64")).data
        expected = function(plus_minus, Tensor(y_pred, dtype="float64")).data
        np.testing.assert_array_equal(converted, expected)
    np.testing.assert_allclose(
        losses.hinge(zero_one, Tensor(y_pred, dtype="float64")).data,
        np.mean(np.maximum(1 - plus_minus * y_pred, 0), axis=-1),
    )


def test_probabilities_of_exactly_0_and_1_are_clipped_to_finite_losses() -> None:
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]])
    tensor = Tensor([[0.0, 1.0], [1.0, 0.0]], dtype="float64", requires_grad=True)
    for loss in (losses.BinaryCrossentropy(), losses.CategoricalCrossentropy()):
        out = loss(y_true, tensor)
        out.backward()
        assert np.isfinite(out.item())
        assert np.all(np.isfinite(tensor.grad))
    expected = -np.log(EPS)  # every entry is wrong at the clipping bound
    assert losses.binary_crossentropy(y_true, tensor).data == pytest.approx([expected] * 2)


def test_cosine_similarity_of_a_zero_vector_is_zero_with_a_finite_gradient() -> None:
    tensor = Tensor([[0.0, 0.0], [1.0, 1.0]], dtype="float64", requires_grad=True)
    out = losses.cosine_similarity([[1.0, 2.0], [2.0, 2.0]], tensor)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [0.0, -1.0])
    assert np.all(np.isfinite(tensor.grad))


def test_cosine_similarity_along_another_axis() -> None:
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    got = losses.cosine_similarity(y_true, Tensor(y_pred, dtype="float64"), axis=0)
    np.testing.assert_allclose(got.data, keras_cosine(y_true.T, y_pred.T), rtol=1e-12)


# ----- gradients: PyTorch's losses, in float64 -----


def torch_losses() -> dict[str, Callable[[Any, np.ndarray], Any]]:
    """PyTorch's equivalent of each case's default (mean) Loss, as f(y_pred, y_true)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional

    def tensor(a):
        return torch.as_tensor(a, dtype=torch.float64)

    def labels(a):
        return torch.as_tensor(a, dtype=torch.long)

    def log_rescaled(p):
        return torch.log(p / p.sum(-1, keepdim=True))

    def smooth(t, s):
        return tensor(t) * (1 - s) + 0.5 * s

    return {
        "mse": lambda p, t: F.mse_loss(p, tensor(t)),
        "mae": lambda p, t: F.l1_loss(p, tensor(t)),
        "huber": lambda p, t: F.huber_loss(p, tensor(t), delta=1.0),
        "huber_delta": lambda p, t: F.huber_loss(p, tensor(t), delta=0.5),
        "bce": lambda p, t: F.binary_cross_entropy(p, tensor(t)),
        "bce_logits": lambda p, t: F.binary_cross_entropy_with_logits(p, tensor(t)),
        "bce_smoothing": lambda p, t: F.binary_cross_entropy(p, smooth(t, 0.2)),
        "cce": lambda p, t: F.nll_loss(log_rescaled(p), labels(t.argmax(-1))),
        "cce_logits": lambda p, t: F.cross_entropy(p, tensor(t)),  # probabilities as targets
        "cce_logits_smoothing": lambda p, t: F.cross_entropy(p, tensor(t), label_smoothing=0.2),
        "sparse": lambda p, t: F.nll_loss(log_rescaled(p), labels(t)),
        "sparse_logits": lambda p, t: F.cross_entropy(p, labels(t)),  # class indices
        "kld": lambda p, t: F.kl_div(torch.log(p), tensor(t), reduction="batchmean"),
        "hinge": lambda p, t: torch.clamp(1 - tensor(t) * p, min=0).mean(),
        "squared_hinge": lambda p, t: (torch.clamp(1 - tensor(t) * p, min=0) ** 2).mean(),
        "poisson": lambda p, t: F.poisson_nll_loss(p, tensor(t), log_input=False, eps=EPS),
        "categorical_hinge": lambda p, t: torch.clamp(
            ((1 - tensor(t)) * p).amax(-1) - (tensor(t) * p).sum(-1) + 1, min=0
        ).mean(),
        "cosine": lambda p, t: -F.cosine_similarity(p, tensor(t), dim=-1).mean(),
    }


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value_and_gradient_equal_pytorch(case: Case) -> None:
    torch = pytest.importorskip("torch")
    y_true, y_pred = data_of(case, seed=2)
    reference = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    expected = torch_losses()[case.name](reference, y_true)
    expected.backward()

    tensor = Tensor(y_pred, dtype="float64", requires_grad=True)
    out = case.make()(y_true, tensor)
    out.backward()
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(tensor.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-14)


# ----- gradients: finite differences, on both kinds -----


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_tensor_gradients_pass_gradcheck(case: Case) -> None:
    y_true, y_pred = data_of(case, seed=3)
    per_sample = case.make(reduction="none")
    weighted = case.make()
    tensor = Tensor(y_pred, dtype="float64", requires_grad=True)
    assert gradcheck(lambda p: per_sample(y_true, p), [tensor])
    assert gradcheck(lambda p: weighted(y_true, p, sample_weight=WEIGHTS), [tensor])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value_gradients_pass_gradcheck(case: Case) -> None:
    y_true, y_pred = data_of(case, seed=4)
    loss = case.make()
    leaves = [Value(float(x)) for x in y_pred.ravel()]

    def f(*values: Value) -> Value:
        rows = [list(values[i * K : (i + 1) * K]) for i in range(N)]
        return loss(y_true, rows, sample_weight=WEIGHTS)

    assert gradcheck(f, leaves)


# ----- one loss, two kinds: the same numbers on Values and Tensors -----


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_tensors_agree(case: Case, reduction: str) -> None:
    y_true, y_pred = data_of(case, seed=5)
    loss = case.make(reduction=reduction)
    tensor = Tensor(y_pred, dtype="float64", requires_grad=True)
    tensor_loss = loss(y_true, tensor, sample_weight=WEIGHTS)
    tensor_loss.backward()
    rows = value_rows(y_pred)
    value_loss = loss(y_true, rows, sample_weight=WEIGHTS)
    value_loss.backward()

    assert isinstance(value_loss, Value)
    np.testing.assert_allclose(value_loss.data, tensor_loss.item(), rtol=1e-12)
    grads = np.array([[v.grad for v in row] for row in rows])
    np.testing.assert_allclose(grads, tensor.grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_per_sample_function_on_values_gives_a_list_of_values(case: Case) -> None:
    y_true, y_pred = data_of(case, seed=6)
    got = case.function(y_true, value_rows(y_pred))
    assert isinstance(got, list)
    assert len(got) == N
    assert all(isinstance(v, Value) for v in got)
    np.testing.assert_allclose([v.data for v in got], case.keras(y_true, y_pred), rtol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c.name in ELEMENTWISE], ids=str)
def test_list_of_values_is_a_batch_of_single_outputs_like_an_n_by_1_tensor(case: Case) -> None:
    y_true, y_pred = data_of(case, seed=7)
    y_true, y_pred = y_true[:, 0], y_pred[:, :1]  # (N,) targets, N samples of one output
    values = [Value(float(x)) for x in y_pred[:, 0]]
    tensor = Tensor(y_pred, dtype="float64", requires_grad=True)
    value_loss = case.make(reduction="sum")(y_true, values)
    tensor_loss = case.make(reduction="sum")(y_true, tensor)
    value_loss.backward()
    tensor_loss.backward()
    np.testing.assert_allclose(value_loss.data, tensor_loss.item(), rtol=1e-12)
    np.testing.assert_allclose([v.grad for v in values], tensor.grad[:, 0], rtol=1e-12)


def test_single_value_is_one_sample_and_takes_a_number_as_target() -> None:
    prediction = Value(0.5)
    per_sample = losses.mse(2.0, prediction)
    loss = losses.MeanSquaredError()(2.0, prediction)
    loss.backward()
    assert isinstance(per_sample, Value)
    assert per_sample.data == loss.data == 2.25
    assert prediction.grad == -3.0


def test_micrograd_walkthrough_loss_is_the_sum_of_squared_errors() -> None:
    ys = [1.0, -1.0, -1.0, 1.0]
    predictions = [Value(0.8), Value(-0.5), Value(-1.2), Value(0.1)]
    loss = losses.MeanSquaredError(reduction="sum")(ys, predictions)
    assert loss.data == pytest.approx(sum((p.data - y) ** 2 for y, p in zip(ys, predictions)))


def test_reduction_none_keeps_the_kind_of_the_input() -> None:
    y_true, y_pred = data_of(CASES[0])
    loss = losses.MeanSquaredError(reduction="none")
    as_tensor = loss(y_true, Tensor(y_pred, dtype="float64"))
    as_values = loss(y_true, value_rows(y_pred))
    assert isinstance(as_tensor, Tensor) and as_tensor.shape == (N,)
    assert isinstance(as_values, list) and len(as_values) == N
    np.testing.assert_allclose([v.data for v in as_values], as_tensor.data, rtol=1e-12)


def test_ragged_or_mixed_value_batches_are_errors() -> None:
    with pytest.raises(ValueError, match=r"lengths \[1, 2\]"):
        losses.mse([[0.0], [0.0, 1.0]], [[Value(1.0)], [Value(1.0), Value(2.0)]])
    with pytest.raises(ValueError, match="mixes Values and lists"):
        losses.mse([0.0, 0.0], [Value(1.0), [Value(2.0)]])


# ----- stability: logits of ±1e4 -----

LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
LABELS = np.array([1, 2])
ONE_HOT = np.eye(3)[LABELS]
BINARY = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
STABLE = [
    (
        "bce",
        P(losses.binary_crossentropy, from_logits=True),
        BINARY,
        np.mean(np.logaddexp(0, LOGITS) - BINARY * LOGITS, axis=-1),
    ),
    (
        "cce",
        P(losses.categorical_crossentropy, from_logits=True),
        ONE_HOT,
        [2e4, 1e4 - 5.0],  # logsumexp(row) is 1e4 to float precision in both rows
    ),
    ("sparse", P(losses.sparse_categorical_crossentropy, from_logits=True), LABELS, [2e4, 1e4 - 5]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("name", "function", "y_true", "expected"), STABLE, ids=[s[0] for s in STABLE]
)
def test_huge_logits_give_finite_losses_and_gradients_on_tensors(
    name: str, function: Callable, y_true: np.ndarray, expected: Any, dtype: str
) -> None:
    logits = Tensor(LOGITS, dtype=dtype, requires_grad=True)
    out = function(y_true, logits)
    out.sum().backward()
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)
    assert np.all(np.isfinite(logits.grad))
    assert np.all(np.abs(logits.grad) <= 1.0)


@pytest.mark.parametrize(
    ("name", "function", "y_true", "expected"), STABLE, ids=[s[0] for s in STABLE]
)
def test_huge_logits_give_finite_losses_and_gradients_on_values(
    name: str, function: Callable, y_true: np.ndarray, expected: Any
) -> None:
    rows = value_rows(LOGITS)
    out = function(y_true, rows)
    losses_ = [v.data for v in out]
    sum(out[1:], out[0]).backward()
    np.testing.assert_allclose(losses_, expected, rtol=1e-12)
    assert all(np.isfinite(v.grad) and abs(v.grad) <= 1.0 for row in rows for v in row)


# ----- shapes: Keras's one rank of slack, nothing else -----


def test_n_by_1_prediction_with_n_targets_gives_the_mean_over_samples() -> None:
    rng = np.random.default_rng(8)
    y_true, y_pred = rng.normal(size=32), rng.normal(size=(32, 1))
    per_sample = losses.mse(y_true, Tensor(y_pred, dtype="float64"))
    loss = losses.MeanSquaredError()(y_true, Tensor(y_pred, dtype="float64"))
    assert per_sample.shape == (32,)  # not (32, 32)
    assert loss.item() == pytest.approx(np.mean((y_pred[:, 0] - y_true) ** 2), rel=1e-12)
    flipped = losses.MeanSquaredError()(y_pred, Tensor(y_true, dtype="float64"))
    assert flipped.item() == pytest.approx(loss.item(), rel=1e-12)


def test_binary_crossentropy_of_an_n_by_1_prediction_with_n_labels() -> None:
    rng = np.random.default_rng(9)
    y_true, y_pred = rng.integers(0, 2, 32).astype(float), rng.uniform(0.1, 0.9, (32, 1))
    got = losses.BinaryCrossentropy()(y_true, Tensor(y_pred, dtype="float64"))
    p = y_pred[:, 0]
    expected = -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    assert got.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("true_shape", "pred_shape"), [((31,), (32, 1)), ((32,), (32, 2)), ((32, 3), (32, 2))]
)
def test_other_shape_mismatches_name_both_shapes(true_shape: tuple, pred_shape: tuple) -> None:
    with pytest.raises(ValueError) as error:
        losses.MeanSquaredError()(np.zeros(true_shape), Tensor(np.zeros(pred_shape)))
    assert str(true_shape) in str(error.value)
    assert str(pred_shape) in str(error.value)


def test_value_batch_of_the_wrong_length_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 1\)"):
        losses.mse([1.0, 2.0, 3.0], [Value(1.0), Value(2.0)])


def test_sample_weight_of_the_wrong_length_names_both() -> None:
    with pytest.raises(ValueError, match=r"sample_weight of shape \(31,\).*\(32,\)"):
        losses.MeanSquaredError()(np.zeros(32), Tensor(np.zeros((32, 1))), np.ones(31))


def test_sample_weight_may_be_n_by_1_or_a_number() -> None:
    y_true, y_pred = data_of(CASES[0])
    loss = losses.MeanSquaredError(reduction="sum")
    prediction = Tensor(y_pred, dtype="float64")
    by_column = loss(y_true, prediction, WEIGHTS[:, None]).item()
    assert by_column == pytest.approx(np.sum(keras_mse(y_true, y_pred) * WEIGHTS), rel=1e-12)
    assert loss(y_true, prediction, 2.0).item() == pytest.approx(
        2 * np.sum(keras_mse(y_true, y_pred)), rel=1e-12
    )


def test_sparse_labels_may_be_n_or_n_by_1_and_must_be_valid_classes() -> None:
    labels, y_pred = data_of(CASES[IDS.index("sparse")])
    prediction = Tensor(y_pred, dtype="float64")
    flat = losses.sparse_categorical_crossentropy(labels, prediction).data
    column = losses.sparse_categorical_crossentropy(labels[:, None], prediction).data
    np.testing.assert_array_equal(flat, column)
    with pytest.raises(ValueError, match=r"\(5,\).*\(6,\)"):
        losses.sparse_categorical_crossentropy(labels[:5], prediction)
    with pytest.raises(ValueError, match=r"class index 4 is outside \[0, 4\)"):
        losses.sparse_categorical_crossentropy(np.full(N, 4), prediction)
    with pytest.raises(TypeError, match="integer class indices"):
        losses.sparse_categorical_crossentropy(np.full(N, 0.5), prediction)


# ----- class weights -----

CLASS_WEIGHT = {0: 0.5, 1: 2.0, 2: 1.25}
CLASS_LABELS = np.array([0, 2, 1, 2, 0, 1])
CLASS_SAMPLE_WEIGHT = np.array([0.5, 1.25, 2.0, 1.25, 0.5, 2.0])  # CLASS_WEIGHT[label], by hand


@pytest.mark.parametrize(
    "labels",
    [CLASS_LABELS, CLASS_LABELS[:, None], np.eye(3)[CLASS_LABELS]],
    ids=["sparse", "column", "one_hot"],
)
def test_class_weight_gives_each_sample_its_class_weight(labels: np.ndarray) -> None:
    weights = losses.sample_weight_from_class_weight(labels, CLASS_WEIGHT)
    np.testing.assert_array_equal(weights, CLASS_SAMPLE_WEIGHT)


def test_binary_class_weight_for_n_by_1_float_labels() -> None:
    labels = np.array([[1.0], [0.0], [0.0], [1.0]])
    weights = losses.sample_weight_from_class_weight(labels, {0: 1.0, 1: 3.0})
    np.testing.assert_array_equal(weights, [3.0, 1.0, 1.0, 3.0])


def test_loss_with_class_weight_is_the_loss_with_the_matching_sample_weight() -> None:
    rng = np.random.default_rng(10)
    logits = rng.normal(size=(6, 3))
    weights = losses.sample_weight_from_class_weight(CLASS_LABELS, CLASS_WEIGHT)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    got = loss(CLASS_LABELS, Tensor(logits, dtype="float64"), sample_weight=weights).item()
    expected = np.sum(keras_sparse_logits(CLASS_LABELS, logits) * CLASS_SAMPLE_WEIGHT) / 6
    assert got == pytest.approx(expected, rel=1e-12)

    binary = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    probabilities = rng.uniform(0.1, 0.9, (6, 1))
    weights = losses.sample_weight_from_class_weight(binary, {0: 1.0, 1: 4.0})
    got = losses.BinaryCrossentropy()(binary, Tensor(probabilities, dtype="float64"), weights)
    by_hand = np.array([4.0, 1.0, 1.0, 4.0, 1.0, 1.0])
    expected = np.sum(keras_bce(binary[:, None], probabilities) * by_hand) / 6
    assert got.item() == pytest.approx(expected, rel=1e-12)


def test_class_missing_from_class_weight_is_named() -> None:
    with pytest.raises(ValueError, match=r"no weight for class\(es\) \[2\]"):
        losses.sample_weight_from_class_weight(CLASS_LABELS, {0: 1.0, 1: 2.0})


# ----- names, reductions, get -----


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("mse", losses.MeanSquaredError),
        ("mean_squared_error", losses.MeanSquaredError),
        ("mae", losses.MeanAbsoluteError),
        ("huber", losses.Huber),
        ("binary_crossentropy", losses.BinaryCrossentropy),
        ("categorical_crossentropy", losses.CategoricalCrossentropy),
        ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
        ("kld", losses.KLDivergence),
        ("kl_divergence", losses.KLDivergence),
        ("hinge", losses.Hinge),
        ("squared_hinge", losses.SquaredHinge),
        ("poisson", losses.Poisson),
        ("categorical_hinge", losses.CategoricalHinge),
        ("cosine_similarity", losses.CosineSimilarity),
        ("MeanSquaredError", losses.MeanSquaredError),
    ],
)
def test_get_resolves_keras_names(name: str, cls: type) -> None:
    assert type(losses.get(name)) is cls


def test_get_returns_a_loss_object_as_it_is_and_wraps_a_function() -> None:
    loss = losses.Huber(delta=2.0)
    assert losses.get(loss) is loss
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)

    def doubled_error(y_true, y_pred):
        return losses.mean_absolute_error(y_true, y_pred) * 2.0

    wrapped = losses.get(doubled_error)
    assert isinstance(wrapped, losses.Loss)
    assert wrapped.name == "doubled_error"
    assert wrapped([[1.0], [2.0]], Tensor([[2.0], [4.0]])).item() == pytest.approx(3.0)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown loss 'msq'.*binary_crossentropy.*mse"):
        losses.get("msq")


def test_bad_reduction_is_an_error_naming_the_choices() -> None:
    with pytest.raises(ValueError, match=r"sum_over_batch_size.*got 'average'"):
        losses.MeanSquaredError(reduction="average")


def test_reduction_none_may_be_spelled_none_as_in_keras() -> None:
    assert losses.MeanSquaredError(reduction=None).reduction == "none"


def test_loss_names_and_config_follow_keras() -> None:
    assert losses.Huber().name == "huber_loss"
    assert losses.BinaryCrossentropy(from_logits=True).get_config() == {
        "name": "binary_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": True,
        "label_smoothing": 0.0,
    }
    assert losses.mse is losses.mean_squared_error and losses.mae is losses.mean_absolute_error


def test_sample_weights_for_a_1d_prediction_explain_that_it_is_one_sample() -> None:
    with pytest.raises(ValueError, match=r"1-D y_pred is ONE sample.*\(N, 1\)"):
        losses.MeanSquaredError()(np.zeros(4), Tensor(np.zeros(4)), sample_weight=np.ones(4))


# ----- the Value primitives the losses added to autograd/value.py, against Tensor's -----


@pytest.mark.parametrize("x", [-1.0, 0.0, 0.5, 1.0, 2.0])
def test_value_clip_has_tensor_clips_value_and_slope(x: float) -> None:
    value = Value(x)
    out = value.clip(0.0, 1.0)
    out.backward()
    tensor = Tensor([x], dtype="float64", requires_grad=True)
    reference = tensor.clip(0.0, 1.0)
    reference.sum().backward()
    assert (out.data, value.grad) == (reference.item(), tensor.grad[0])


def test_value_logsumexp_matches_tensor_logsumexp_without_overflow() -> None:
    xs = [1e4, -1e4, 3.0, 9999.5]
    values = [Value(x) for x in xs]
    out = logsumexp(values)
    out.backward()
    tensor = Tensor(xs, dtype="float64", requires_grad=True)
    reference = tensor.logsumexp(axis=-1)
    reference.backward()
    assert out.data == pytest.approx(reference.item(), rel=1e-15)
    np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-12, atol=1e-300)
    assert logsumexp([-math.inf, -math.inf]).data == -math.inf


def test_value_amax_shares_ties_like_tensor_max() -> None:
    xs = [1.0, 3.0, 3.0, -2.0]
    values = [Value(x) for x in xs]
    out = amax(values)
    out.backward()
    tensor = Tensor(xs, dtype="float64", requires_grad=True)
    tensor.max().backward()
    assert out.data == 3.0
    np.testing.assert_array_equal([v.grad for v in values], tensor.grad)
