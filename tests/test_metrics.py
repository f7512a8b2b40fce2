"""nn.metrics: each function equals scikit-learn's on the same inputs; the stateful metrics give
over several batches what the function gives on the whole epoch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autograd import Tensor, Value
from nn import metrics

sklearn_metrics = pytest.importorskip("sklearn.metrics")

SEEDS = [0, 1, 2]


def binary_data(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Binary labels and probabilities loosely related to them."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_prob = np.clip(0.3 * y_true + 0.7 * rng.random(n), 0, 1)
    return y_true, y_prob


def multiclass_data(seed: int, n: int = 150, classes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels and rows of class probabilities."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)) + 1.5 * np.eye(classes)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return labels, probs


def regression_data(seed: int, n: int = 120, outputs: int | None = None):
    rng = np.random.default_rng(seed)
    shape = (n,) if outputs is None else (n, outputs)
    y_true = rng.normal(size=shape) * 3 + 1
    y_pred = y_true + rng.normal(size=shape)
    return y_true, y_pred


def weights(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed + 100).random(n) + 0.1


# ----- accuracies -----


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_accuracy_equals_sklearn_on_probabilities_thresholded_at_half(seed):
    y_true, y_prob = binary_data(seed)
    expected = sklearn_metrics.accuracy_score(y_true, y_prob > 0.5)
    assert metrics.binary_accuracy(y_true, y_prob) == pytest.approx(expected, abs=1e-12)


def test_binary_accuracy_threshold_is_strict_and_configurable():
    assert metrics.binary_accuracy([1, 0], [0.5, 0.5]) == 0.5  # 0.5 is not > 0.5
    assert metrics.binary_accuracy([1, 0], [0.7, 0.6], threshold=0.65) == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_of_one_probability_column_is_binary(seed):
    y_true, y_prob = binary_data(seed)
    expected = sklearn_metrics.accuracy_score(y_true, y_prob > 0.5)
    assert metrics.accuracy(y_true, y_prob[:, None]) == pytest.approx(expected, abs=1e-12)
    assert metrics.accuracy(y_true[:, None], y_prob) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_of_integer_labels_against_columns_is_sparse(seed):
    labels, probs = multiclass_data(seed)
    expected = sklearn_metrics.accuracy_score(labels, probs.argmax(axis=1))
    assert metrics.accuracy(labels, probs) == pytest.approx(expected, abs=1e-12)
    assert metrics.accuracy(labels[:, None], probs) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_of_one_hot_labels_is_categorical(seed):
    labels, probs = multiclass_data(seed)
    one_hot = np.eye(probs.shape[1])[labels]
    expected = sklearn_metrics.accuracy_score(labels, probs.argmax(axis=1))
    assert metrics.accuracy(one_hot, probs) == pytest.approx(expected, abs=1e-12)


def test_accuracy_of_predicted_class_labels_compares_labels_as_sklearn():
    y_true, y_pred = [0, 2, 1, 3, 2], [0, 1, 1, 3, 2]
    assert metrics.accuracy(y_true, y_pred) == sklearn_metrics.accuracy_score(y_true, y_pred)


@pytest.mark.parametrize("seed", SEEDS)
def test_categorical_and_sparse_accuracy_equal_sklearn(seed):
    labels, probs = multiclass_data(seed)
    expected = sklearn_metrics.accuracy_score(labels, probs.argmax(axis=1))
    one_hot = np.eye(probs.shape[1])[labels]
    assert metrics.categorical_accuracy(one_hot, probs) == pytest.approx(expected, abs=1e-12)
    assert metrics.sparse_categorical_accuracy(labels, probs) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_accuracy_equals_sklearn(seed):
    y_true, y_prob = binary_data(seed)
    w = weights(seed, len(y_true))
    expected = sklearn_metrics.accuracy_score(y_true, y_prob > 0.5, sample_weight=w)
    assert metrics.accuracy(y_true, y_prob, sample_weight=w) == pytest.approx(expected, abs=1e-12)


def test_sparse_accuracy_refuses_fractional_labels():
    with pytest.raises(ValueError, match="class indices"):
        metrics.sparse_categorical_accuracy([0.5, 1.0], [[0.1, 0.9], [0.8, 0.2]])


# ----- precision, recall, F1, AUC -----


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (metrics.precision, "precision_score"),
        (metrics.recall, "recall_score"),
        (metrics.f1_score, "f1_score"),
    ],
)
def test_precision_recall_f1_equal_sklearn_on_thresholded_probabilities(seed, ours, theirs):
    y_true, y_prob = binary_data(seed)
    expected = getattr(sklearn_metrics, theirs)(y_true, (y_prob > 0.5).astype(int))
    assert ours(y_true, y_prob) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (metrics.precision, "precision_score"),
        (metrics.recall, "recall_score"),
        (metrics.f1_score, "f1_score"),
    ],
)
def test_weighted_precision_recall_f1_equal_sklearn(ours, theirs):
    y_true, y_prob = binary_data(5)
    w = weights(5, len(y_true))
    expected = getattr(sklearn_metrics, theirs)(y_true, y_prob > 0.5, sample_weight=w)
    assert ours(y_true, y_prob, sample_weight=w) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (metrics.precision, "precision_score"),
        (metrics.recall, "recall_score"),
        (metrics.f1_score, "f1_score"),
    ],
)
def test_undefined_precision_recall_f1_are_zero_as_sklearn_zero_division_0(ours, theirs):
    y_true, y_pred = [0, 0, 0], [0.1, 0.2, 0.3]  # no positive label, none predicted
    expected = getattr(sklearn_metrics, theirs)(y_true, [0, 0, 0], zero_division=0)
    assert ours(y_true, y_pred) == expected == 0.0


def test_precision_refuses_labels_other_than_0_and_1():
    with pytest.raises(ValueError, match=r"binary labels 0 and 1, got the values \[0.0, 2.0\]"):
        metrics.precision([0, 2], [0.1, 0.9])


@pytest.mark.parametrize("seed", SEEDS)
def test_auc_equals_sklearn_roc_auc_score(seed):
    y_true, y_prob = binary_data(seed)
    expected = sklearn_metrics.roc_auc_score(y_true, y_prob)
    assert metrics.auc(y_true, y_prob) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_auc_counts_tied_scores_as_sklearn(seed):
    y_true, y_prob = binary_data(seed)
    tied = np.round(y_prob, 1)  # about 11 distinct scores for 200 samples
    expected = sklearn_metrics.roc_auc_score(y_true, tied)
    assert metrics.auc(y_true, tied) == pytest.approx(expected, abs=1e-12)


def test_auc_of_all_tied_scores_is_one_half():
    assert metrics.auc([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3]) == 0.5


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_auc_with_ties_equals_sklearn(seed):
    y_true, y_prob = binary_data(seed)
    tied, w = np.round(y_prob, 1), weights(seed, len(y_true))
    expected = sklearn_metrics.roc_auc_score(y_true, tied, sample_weight=w)
    assert metrics.auc(y_true, tied, sample_weight=w) == pytest.approx(expected, abs=1e-12)


def test_auc_with_one_class_only_is_an_error_as_sklearn():
    with pytest.raises(ValueError, match="one class only"):
        metrics.auc([1, 1, 1], [0.2, 0.5, 0.9])


# ----- regression -----


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("outputs", [None, 3])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (metrics.r2_score, "r2_score"),
        (metrics.mean_absolute_error, "mean_absolute_error"),
        (metrics.mean_squared_error, "mean_squared_error"),
    ],
)
def test_regression_metrics_equal_sklearn(seed, outputs, ours, theirs):
    y_true, y_pred = regression_data(seed, outputs=outputs)
    expected = getattr(sklearn_metrics, theirs)(y_true, y_pred)
    assert ours(y_true, y_pred) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("outputs", [None, 2])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (metrics.r2_score, "r2_score"),
        (metrics.mean_absolute_error, "mean_absolute_error"),
        (metrics.mean_squared_error, "mean_squared_error"),
    ],
)
def test_weighted_regression_metrics_equal_sklearn(outputs, ours, theirs):
    y_true, y_pred = regression_data(7, outputs=outputs)
    w = weights(7, len(y_true))
    expected = getattr(sklearn_metrics, theirs)(y_true, y_pred, sample_weight=w)
    assert ours(y_true, y_pred, sample_weight=w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("y_pred", [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
def test_r2_of_a_constant_target_follows_sklearn(y_pred):
    y_true = [2.0, 2.0, 2.0]  # SS_tot = 0: 1 when predicted exactly, else 0
    assert metrics.r2_score(y_true, y_pred) == sklearn_metrics.r2_score(y_true, y_pred)


# ----- confusion matrix -----


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_of_labels_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 4, 100), rng.integers(0, 4, 100)
    expected = sklearn_metrics.confusion_matrix(y_true, y_pred, labels=range(4))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, 4), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_argmaxes_probabilities_and_one_hot_labels(seed):
    labels, probs = multiclass_data(seed)
    expected = sklearn_metrics.confusion_matrix(labels, probs.argmax(axis=1), labels=range(4))
    one_hot = np.eye(4)[labels]
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, probs), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(one_hot, probs), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_thresholds_binary_probabilities(seed):
    y_true, y_prob = binary_data(seed)
    expected = sklearn_metrics.confusion_matrix(y_true, y_prob > 0.5)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_prob), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_prob[:, None]), expected)


def test_weighted_confusion_matrix_equals_sklearn():
    y_true, y_pred = [0, 1, 2, 2, 1], [0, 2, 2, 1, 1]
    w = [0.5, 1.0, 2.0, 1.5, 3.0]
    expected = sklearn_metrics.confusion_matrix(y_true, y_pred, sample_weight=w)
    np.testing.assert_allclose(metrics.confusion_matrix(y_true, y_pred, sample_weight=w), expected)


def test_confusion_matrix_takes_num_classes_beyond_the_labels_seen():
    matrix = metrics.confusion_matrix([0, 1], [1, 1], num_classes=3)
    np.testing.assert_array_equal(matrix, [[0, 1, 0], [0, 1, 0], [0, 0, 0]])


def test_confusion_matrix_refuses_labels_beyond_num_classes():
    with pytest.raises(ValueError, match=r"num_classes=2 but the labels go up to 3"):
        metrics.confusion_matrix([0, 3], [0, 1], num_classes=2)


# ----- inputs and errors -----


def test_tensors_values_and_lists_are_accepted():
    y_true, y_prob = binary_data(3, n=20)
    expected = metrics.binary_accuracy(y_true, y_prob)
    assert metrics.binary_accuracy(Tensor(y_true), Tensor(y_prob, dtype="float64")) == expected
    assert metrics.binary_accuracy(list(y_true), [Value(p) for p in y_prob]) == expected


@pytest.mark.parametrize(
    "function",
    [
        metrics.accuracy,
        metrics.binary_accuracy,
        metrics.precision,
        metrics.auc,
        metrics.r2_score,
        metrics.mean_squared_error,
    ],
)
def test_mismatched_shapes_are_an_error_naming_both_shapes(function):
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        function([0, 1, 0, 1], [0.2, 0.7, 0.1])


@pytest.mark.parametrize(
    "function",
    [
        metrics.accuracy,
        metrics.precision,
        metrics.auc,
        metrics.mean_absolute_error,
        metrics.confusion_matrix,
    ],
)
def test_empty_input_is_an_error_naming_the_shapes(function):
    with pytest.raises(ValueError, match=r"shape \(0,\)"):
        function([], [])


def test_sample_weight_of_the_wrong_length_is_an_error():
    with pytest.raises(ValueError, match=r"shape \(3,\), got shape \(2,\)"):
        metrics.mean_absolute_error([1, 2, 3], [1, 2, 2], sample_weight=[1, 1])


# ----- stateful metrics -----


def batches(n: int, sizes=(7, 30, 1, 50, 12)):
    """Unequal batch slices covering range(n) (the last takes the rest)."""
    edges = np.cumsum((0, *sizes))
    edges = [*list(edges[edges < n]), n]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


def run_batches(metric, y_true, y_pred, sample_weight=None):
    metric.reset_state()
    for part in batches(len(y_true)):
        w = None if sample_weight is None else sample_weight[part]
        metric.update_state(y_true[part], y_pred[part], sample_weight=w)
    return metric.result()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    ("metric", "function", "data"),
    [
        (metrics.Accuracy(), metrics.accuracy, "binary"),
        (metrics.BinaryAccuracy(), metrics.binary_accuracy, "binary"),
        (metrics.SparseCategoricalAccuracy(), metrics.sparse_categorical_accuracy, "multi"),
        (metrics.MeanAbsoluteError(), metrics.mean_absolute_error, "regression"),
        (metrics.MeanSquaredError(), metrics.mean_squared_error, "regression"),
        (metrics.Precision(), metrics.precision, "binary"),
        (metrics.Recall(), metrics.recall, "binary"),
        (metrics.F1Score(), metrics.f1_score, "binary"),
        (metrics.AUC(), metrics.auc, "binary"),
        (metrics.R2Score(), metrics.r2_score, "regression"),
    ],
    ids=lambda value: getattr(value, "name", None) if isinstance(value, metrics.Metric) else None,
)
def test_metric_over_unequal_batches_equals_the_function_on_the_whole_epoch(
    metric, function, data, weighted
):
    y_true, y_pred = {"binary": binary_data, "multi": multiclass_data}.get(data, regression_data)(
        11
    )
    w = weights(11, len(y_true)) if weighted else None
    expected = function(y_true, y_pred, sample_weight=w)
    assert run_batches(metric, y_true, y_pred, w) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", ["precision", "recall", "f1_score", "auc"])
def test_epoch_wide_metrics_are_not_the_mean_of_batch_values(name):
    # Precision 0.4 over the epoch, but 1/3 and 1/2 in the two batches (mean 0.4167); the
    # other three differ likewise (recall 0.5 vs 0.667, F1 0.444 vs 0.45, AUC 0.5625 vs 0.667).
    y_true = np.array([1, 0, 0, 0, 1, 1, 0, 1])
    y_pred = np.array([0.9, 0.8, 0.7, 0.2, 0.3, 0.9, 0.6, 0.1])
    function, metric = getattr(metrics, name), metrics.get(name)
    per_batch = np.mean([function(y_true[:4], y_pred[:4]), function(y_true[4:], y_pred[4:])])
    metric.update_state(y_true[:4], y_pred[:4])
    metric.update_state(y_true[4:], y_pred[4:])
    assert metric.result() == pytest.approx(function(y_true, y_pred), abs=1e-12)
    assert metric.result() != pytest.approx(per_batch)


def test_reset_state_forgets_the_previous_epoch():
    metric = metrics.Precision()
    metric.update_state([1, 0], [0.9, 0.9])
    metric.reset_state()
    metric.update_state([1, 1], [0.9, 0.9])
    assert metric.result() == 1.0


def test_a_metric_before_any_batch_is_zero_as_keras():
    assert metrics.MeanSquaredError().result() == 0.0
    assert metrics.AUC().result() == 0.0


def test_auc_metric_of_one_class_epoch_is_nan_instead_of_an_error():
    metric = metrics.AUC()
    metric.update_state([1, 1], [0.2, 0.8])
    assert np.isnan(metric.result())


def test_calling_a_metric_updates_it_and_returns_the_result():
    metric = metrics.BinaryAccuracy()
    assert metric([1, 0], [0.9, 0.9]) == 0.5
    assert metric([1, 1], [0.9, 0.9]) == 0.75


def test_a_function_returning_one_number_per_batch_counts_as_its_samples_mean():
    metric = metrics.get(lambda y_true, y_pred: float(np.mean(np.abs(y_true - y_pred))))
    metric.update_state(np.zeros(1), np.ones(1))  # 1 sample, mean 1
    metric.update_state(np.zeros(3), np.zeros(3))  # 3 samples, mean 0
    assert metric.result() == 0.25


def test_a_function_returning_a_tensor_is_read_through_its_data():
    def tensor_abs_error(y_true, y_pred):
        return Tensor(np.abs(y_true - y_pred), dtype="float64")

    metric = metrics.get(tensor_abs_error)
    metric.update_state([0.0, 0.0], [1.0, 3.0])
    assert metric.result() == 2.0


# ----- get -----


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        ("accuracy", metrics.Accuracy),
        ("acc", metrics.Accuracy),
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("precision", metrics.Precision),
        ("recall", metrics.Recall),
        ("f1_score", metrics.F1Score),
        ("auc", metrics.AUC),
        ("mae", metrics.MeanAbsoluteError),
        ("mean_absolute_error", metrics.MeanAbsoluteError),
        ("mse", metrics.MeanSquaredError),
        ("mean_squared_error", metrics.MeanSquaredError),
        ("r2_score", metrics.R2Score),
    ],
)
def test_get_resolves_keras_names_to_metrics_named_as_given(identifier, kind):
    metric = metrics.get(identifier)
    assert type(metric) is kind
    assert metric.name == identifier


def test_get_returns_a_metric_object_as_is():
    metric = metrics.Precision(name="p")
    assert metrics.get(metric) is metric


def test_get_wraps_a_function_batch_averaged_and_named_after_it():
    def hits(y_true, y_pred):
        return (np.asarray(y_true) == np.asarray(y_pred)).astype(float)

    metric = metrics.get(hits)
    assert isinstance(metric, metrics.MeanMetricWrapper)
    assert metric.name == "hits"
    metric.update_state([1, 2], [1, 3])
    metric.update_state([5, 5, 5, 5], [5, 5, 5, 5])
    assert metric.result() == pytest.approx(5 / 6)


def test_get_of_this_modules_precision_function_is_epoch_wide():
    assert type(metrics.get(metrics.precision)) is metrics.Precision


def test_get_of_an_unknown_name_lists_the_known_names():
    with pytest.raises(ValueError, match=r"unknown metric 'accuracyy'.*binary_accuracy.*r2_score"):
        metrics.get("accuracyy")


def test_metric_directions_say_which_way_is_better():
    assert metrics.get("auc").direction == "up"
    assert metrics.get("mae").direction == "down"


def test_a_loss_name_is_a_metric_averaging_its_per_sample_values() -> None:
    y_true = np.array([[1.0], [0.0], [1.0], [0.0]])
    y_pred = np.array([[0.9], [0.2], [0.6], [0.4]])
    metric = metrics.get("binary_crossentropy")
    metric.update_state(y_true[:2], y_pred[:2])
    metric.update_state(y_true[2:], y_pred[2:])
    expected = -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
    assert metric.name == "binary_crossentropy"
    assert metric.result() == pytest.approx(expected, rel=1e-6)
