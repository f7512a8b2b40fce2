"""Metrics: numpy functions equal to scikit-learn's, and Keras-style stateful metric objects.

The functions take anything ``numpy.asarray`` takes, and ``Tensor``s or ``Value``s (their
``.data``); they return a float (``confusion_matrix``: an array) and accept ``sample_weight=``
as scikit-learn does. Predictions may be probabilities: binary ones are thresholded at 0.5
(``y_pred > 0.5``, Keras's rule), several columns are argmaxed.

The objects (``Metric``) are what ``Model.fit`` and ``evaluate`` report, Keras-style:
``update_state(y_true, y_pred, sample_weight=None)`` once per batch, ``result()`` at any time,
``reset_state()`` at the start of each epoch. Two kinds:

- batch-averaged (accuracies, mae, mse, any wrapped function): a weighted mean over every
  sample seen, so the epoch's value is the one computed on the whole epoch at once;
- epoch-wide (precision, recall, F1, AUC, R²): these are not means over samples, so the
  object keeps the epoch's labels and predictions and computes the function on all of them
  (averaging per-batch precisions would give a different, wrong number).

``get("accuracy")`` etc. resolves the names ``compile(metrics=[...])`` accepts; the metric's
``name`` is the key in ``History`` and in the logs ("accuracy", "val_accuracy").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograd import Tensor, Value

__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "F1Score",
    "MeanAbsoluteError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "Precision",
    "R2Score",
    "Recall",
    "SparseCategoricalAccuracy",
    "accuracy",
    "auc",
    "binary_accuracy",
    "categorical_accuracy",
    "confusion_matrix",
    "f1_score",
    "get",
    "mean_absolute_error",
    "mean_squared_error",
    "precision",
    "r2_score",
    "recall",
    "sparse_categorical_accuracy",
]


# ----- inputs -----


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a numpy array: a Tensor's or Value's ``.data``, a list of Values element-wise."""
    if isinstance(x, np.ndarray):
        array = x
    elif isinstance(x, (Tensor, Value)):
        array = np.asarray(x.data)
    else:
        array = np.asarray(x)
    if array.dtype == object:
        numbers = [item.data if isinstance(item, Value) else item for item in array.ravel()]
        array = np.asarray(numbers, dtype=np.float64).reshape(array.shape)
    return array


def _not_empty(function: str, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_true.size == 0 or y_pred.size == 0 or y_true.ndim == 0 or y_pred.ndim == 0:
        raise ValueError(
            f"{function}: expected one value or row per sample, got y_true of shape "
            f"{y_true.shape} and y_pred of shape {y_pred.shape}"
        )


def _pair(function: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """y_true and y_pred as float64 arrays of one shape; (n,) against (n, 1) is accepted (as
    Keras does) by dropping the trailing axis of 1."""
    true, pred = to_numpy(y_true), to_numpy(y_pred)
    _not_empty(function, true, pred)
    if true.shape != pred.shape:
        if true.shape == (*pred.shape, 1):
            true = true[..., 0]
        elif pred.shape == (*true.shape, 1):
            pred = pred[..., 0]
        else:
            raise ValueError(
                f"{function}: y_true and y_pred must have the same shape, got y_true "
                f"{true.shape} and y_pred {pred.shape}"
            )
    return true.astype(np.float64, copy=False), pred.astype(np.float64, copy=False)


def _weights(function: str, sample_weight: Any, samples: int) -> np.ndarray | None:
    """One weight per sample (a trailing axis of 1 is accepted), or None."""
    if sample_weight is None:
        return None
    weights = to_numpy(sample_weight).astype(np.float64)
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.shape != (samples,):
        raise ValueError(
            f"{function}: sample_weight must hold one weight per sample, shape ({samples},), "
            f"got shape {weights.shape}"
        )
    return weights


def _weighted_mean(function: str, values: np.ndarray, weights: np.ndarray | None) -> float:
    """The mean of per-sample values (a row's values averaged first), weighted per sample."""
    per_sample = values.reshape(len(values), -1).mean(axis=1)
    if weights is None:
        return float(per_sample.mean())
    total = weights.sum()
    if total == 0:
        raise ValueError(f"{function}: the sample weights sum to zero")
    return float(np.dot(weights, per_sample) / total)


def _is_integral(array: np.ndarray) -> bool:
    """Whether every entry is a whole number (labels, not probabilities)."""
    if np.issubdtype(array.dtype, np.integer) or array.dtype == bool:
        return True
    return bool(np.all(np.isfinite(array)) and np.all(array == np.round(array)))


def _binary_labels(function: str, y_true: np.ndarray) -> np.ndarray:
    """y_true as booleans, refusing anything but 0 and 1."""
    values = np.unique(y_true)
    if not np.all(np.isin(values, (0.0, 1.0))):
        raise ValueError(
            f"{function}: y_true must hold binary labels 0 and 1, got the values "
            f"{values[:10].tolist()}"
        )
    return y_true == 1


# ----- per-sample correctness (what the accuracies average) -----


def _binary_correct(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """1 where the thresholded prediction equals the label, as Keras's binary_accuracy."""
    true, pred = _pair("binary_accuracy", y_true, y_pred)
    return (true == (pred > threshold)).astype(np.float64)


def _categorical_correct(y_true: Any, y_pred: Any) -> np.ndarray:
    """1 where the argmax of the one-hot label equals the argmax of the prediction."""
    true, pred = _pair("categorical_accuracy", y_true, y_pred)
    if true.ndim < 2:
        raise ValueError(
            "categorical_accuracy: expected one-hot labels and one column per class, "
            f"got y_true and y_pred of shape {true.shape}"
        )
    return (true.argmax(axis=-1) == pred.argmax(axis=-1)).astype(np.float64)


def _sparse_correct(y_true: Any, y_pred: Any) -> np.ndarray:
    """1 where the integer label equals the argmax of the prediction."""
    true, pred = to_numpy(y_true), to_numpy(y_pred)
    _not_empty("sparse_categorical_accuracy", true, pred)
    if pred.ndim >= 2 and true.shape == (*pred.shape[:-1], 1):
        true = true[..., 0]
    if pred.ndim < 2 or true.shape != pred.shape[:-1]:
        raise ValueError(
            "sparse_categorical_accuracy: expected y_true of shape (n,) with class indices and "
            f"y_pred of shape (n, classes), got y_true {true.shape} and y_pred {pred.shape}"
        )
    if not _is_integral(true):
        raise ValueError(
            "sparse_categorical_accuracy: y_true must hold class indices (whole numbers), got "
            f"{true.ravel()[:5].tolist()}..."
        )
    return (true == pred.argmax(axis=-1)).astype(np.float64)


def _accuracy_correct(y_true: Any, y_pred: Any) -> np.ndarray:
    """Keras's "accuracy": binary for one output column, sparse for integer labels against
    several columns, categorical for one-hot labels. One column of whole-number predictions
    (labels, not probabilities) is compared as labels, as scikit-learn's accuracy_score."""
    true, pred = to_numpy(y_true), to_numpy(y_pred)
    _not_empty("accuracy", true, pred)
    if pred.ndim == 1 or pred.shape[-1] == 1:
        # Probabilities in [0, 1] are thresholded (whole numbers there, 0 and 1, give the same
        # answer as comparing labels), so only other outputs need the whole-number check.
        probabilities = pred.dtype.kind == "f" and pred.min() >= 0 and pred.max() <= 1
        if not probabilities and _is_integral(pred):
            true, pred = _pair("accuracy", true, pred)
            return (true == pred).astype(np.float64)
        return _binary_correct(true, pred)
    if true.ndim == pred.ndim - 1 or true.shape[-1] == 1:
        return _sparse_correct(true, pred)
    return _categorical_correct(true, pred)


# ----- functions -----


def accuracy(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The fraction of correct predictions, binary, categorical or sparse chosen from the
    shapes as Keras's "accuracy" string does (see ``_accuracy_correct``)."""
    correct = _accuracy_correct(y_true, y_pred)
    return _weighted_mean("accuracy", correct, _weights("accuracy", sample_weight, len(correct)))


def binary_accuracy(
    y_true: Any, y_pred: Any, threshold: float = 0.5, *, sample_weight: Any = None
) -> float:
    """The fraction of labels equal to ``y_pred > threshold`` (several columns: per-sample
    means over the columns, then their mean, as Keras)."""
    correct = _binary_correct(y_true, y_pred, threshold)
    weights = _weights("binary_accuracy", sample_weight, len(correct))
    return _weighted_mean("binary_accuracy", correct, weights)


def categorical_accuracy(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The fraction of samples whose one-hot label and prediction share their argmax."""
    correct = _categorical_correct(y_true, y_pred)
    weights = _weights("categorical_accuracy", sample_weight, len(correct))
    return _weighted_mean("categorical_accuracy", correct, weights)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The fraction of samples whose class index equals the argmax of the prediction."""
    correct = _sparse_correct(y_true, y_pred)
    weights = _weights("sparse_categorical_accuracy", sample_weight, len(correct))
    return _weighted_mean("sparse_categorical_accuracy", correct, weights)


def _binary_counts(
    function: str, y_true: Any, y_pred: Any, sample_weight: Any, threshold: float
) -> tuple[float, float, float]:
    """Weighted true positives, false positives and false negatives of ``y_pred > threshold``."""
    true, pred = _pair(function, y_true, y_pred)
    weights = _weights(function, sample_weight, len(true))
    if weights is None:
        weights = np.ones(len(true))
    # A sample's weight applies to each of its columns (multi-label), as Keras broadcasts it.
    weights = np.broadcast_to(weights.reshape((-1,) + (1,) * (true.ndim - 1)), true.shape)
    actual, predicted = _binary_labels(function, true.ravel()), pred.ravel() > threshold
    weights = weights.ravel()
    true_positives = float(weights[actual & predicted].sum())
    false_positives = float(weights[~actual & predicted].sum())
    false_negatives = float(weights[actual & ~predicted].sum())
    return true_positives, false_positives, false_negatives


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, 0 when the denominator is 0 (scikit-learn's zero_division=0)."""
    return numerator / denominator if denominator > 0 else 0.0


def precision(
    y_true: Any, y_pred: Any, *, sample_weight: Any = None, threshold: float = 0.5
) -> float:
    """TP / (TP + FP) of binary labels; 0 when nothing is predicted positive."""
    tp, fp, _ = _binary_counts("precision", y_true, y_pred, sample_weight, threshold)
    return _ratio(tp, tp + fp)


def recall(y_true: Any, y_pred: Any, *, sample_weight: Any = None, threshold: float = 0.5) -> float:
    """TP / (TP + FN) of binary labels; 0 when there is no positive label."""
    tp, _, fn = _binary_counts("recall", y_true, y_pred, sample_weight, threshold)
    return _ratio(tp, tp + fn)


def f1_score(
    y_true: Any, y_pred: Any, *, sample_weight: Any = None, threshold: float = 0.5
) -> float:
    """The harmonic mean of precision and recall, 2TP / (2TP + FP + FN); 0 when undefined."""
    tp, fp, fn = _binary_counts("f1_score", y_true, y_pred, sample_weight, threshold)
    return _ratio(2 * tp, 2 * tp + fp + fn)


def _roc_auc(true: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> float:
    """Exact ROC AUC: the weighted share of (positive, negative) pairs that the scores order
    correctly, a tie counting one half (the trapezoids of scikit-learn's roc_auc_score).
    NaN when one class is missing."""
    positive = true == 1
    positive_total, negative_total = weights[positive].sum(), weights[~positive].sum()
    if positive_total == 0 or negative_total == 0:
        return float("nan")
    unique_scores, group = np.unique(scores, return_inverse=True)
    groups = len(unique_scores)
    positives = np.bincount(group, weights=weights * positive, minlength=groups)
    negatives = np.bincount(group, weights=weights * ~positive, minlength=groups)
    negatives_below = np.cumsum(negatives) - negatives
    pairs = np.sum(positives * (negatives_below + 0.5 * negatives))
    return float(pairs / (positive_total * negative_total))


def _auc_inputs(
    function: str, y_true: Any, y_pred: Any, sample_weight: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    true, pred = _pair(function, y_true, y_pred)
    weights = _weights(function, sample_weight, len(true))
    if weights is None:
        weights = np.ones(len(true))
    weights = np.broadcast_to(weights.reshape((-1,) + (1,) * (true.ndim - 1)), true.shape)
    if not np.all(np.isfinite(pred)):
        raise ValueError(f"{function}: y_pred holds NaN or infinite scores")
    actual = _binary_labels(function, true.ravel())
    return actual.astype(np.float64), pred.ravel(), weights.ravel()


def auc(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The area under the ROC curve of binary labels against scores, exact, ties counted as in
    scikit-learn's roc_auc_score; undefined (ValueError) when y_true holds one class only."""
    true, scores, weights = _auc_inputs("auc", y_true, y_pred, sample_weight)
    result = _roc_auc(true, scores, weights)
    if np.isnan(result):
        raise ValueError(
            f"auc: ROC AUC is undefined when y_true holds one class only (all {int(true[0])})"
        )
    return result


def _r2(true: np.ndarray, pred: np.ndarray, weights: np.ndarray) -> float:
    """R² per output column, averaged over the columns (scikit-learn's "uniform_average");
    a constant column scores 1 if predicted exactly, else 0 (its force_finite)."""
    true, pred = true.reshape(len(true), -1), pred.reshape(len(pred), -1)
    column = weights[:, None]
    mean = (column * true).sum(axis=0) / weights.sum()
    residual = (column * (true - pred) ** 2).sum(axis=0)
    total = (column * (true - mean) ** 2).sum(axis=0)
    scores = np.where(residual == 0, 1.0, 0.0)
    varying = total != 0
    scores[varying] = 1 - residual[varying] / total[varying]
    return float(scores.mean())


def r2_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The coefficient of determination 1 − SS_res / SS_tot (several outputs: their mean)."""
    true, pred = _pair("r2_score", y_true, y_pred)
    if len(true) < 2:
        raise ValueError(f"r2_score: needs at least two samples, got shape {true.shape}")
    weights = _weights("r2_score", sample_weight, len(true))
    return _r2(true, pred, np.ones(len(true)) if weights is None else weights)


def _absolute_errors(y_true: Any, y_pred: Any) -> np.ndarray:
    true, pred = _pair("mean_absolute_error", y_true, y_pred)
    return np.abs(true - pred)


def _squared_errors(y_true: Any, y_pred: Any) -> np.ndarray:
    true, pred = _pair("mean_squared_error", y_true, y_pred)
    return (true - pred) ** 2


def mean_absolute_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The mean of |y_true − y_pred| (per-sample means over the columns, weighted)."""
    errors = _absolute_errors(y_true, y_pred)
    weights = _weights("mean_absolute_error", sample_weight, len(errors))
    return _weighted_mean("mean_absolute_error", errors, weights)


def mean_squared_error(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The mean of (y_true − y_pred)² (per-sample means over the columns, weighted)."""
    errors = _squared_errors(y_true, y_pred)
    weights = _weights("mean_squared_error", sample_weight, len(errors))
    return _weighted_mean("mean_squared_error", errors, weights)


def _class_labels(name: str, array: np.ndarray) -> tuple[np.ndarray, int]:
    """Class indices from labels, one-hot rows or probabilities, and the classes they show:
    several columns are argmaxed, one column of non-integers is thresholded at 0.5."""
    columns = 0
    if array.ndim >= 2 and array.shape[-1] > 1:
        columns = array.shape[-1]
        labels = array.argmax(axis=-1)
    else:
        if array.ndim >= 2:
            array = array[..., 0]
        labels = array if _is_integral(array) else array > 0.5
    labels = np.asarray(labels).astype(np.int64).ravel()
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"confusion_matrix: {name} holds the negative label {labels.min()}; "
            "labels are 0 .. num_classes - 1"
        )
    return labels, max(columns, int(labels.max()) + 1 if labels.size else 0)


def confusion_matrix(
    y_true: Any, y_pred: Any, num_classes: int | None = None, *, sample_weight: Any = None
) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: row i, column j counts samples of class i
    predicted j, as scikit-learn. Labels are 0 .. num_classes − 1 (default: the number of
    columns, or 1 + the largest label seen); probabilities are argmaxed or thresholded."""
    true, pred = to_numpy(y_true), to_numpy(y_pred)
    _not_empty("confusion_matrix", true, pred)
    true_labels, true_classes = _class_labels("y_true", true)
    pred_labels, pred_classes = _class_labels("y_pred", pred)
    if len(true_labels) != len(pred_labels):
        raise ValueError(
            f"confusion_matrix: y_true and y_pred hold different numbers of samples, y_true "
            f"{true.shape} and y_pred {pred.shape}"
        )
    seen = max(true_classes, pred_classes)
    classes = seen if num_classes is None else num_classes
    if seen > classes:
        raise ValueError(
            f"confusion_matrix: num_classes={num_classes} but the labels go up to {seen - 1}"
        )
    weights = _weights("confusion_matrix", sample_weight, len(true_labels))
    counts = np.bincount(true_labels * classes + pred_labels, weights, minlength=classes**2)
    return counts.reshape(classes, classes)


# ----- stateful metrics -----


class Metric:
    """A quantity accumulated over batches: ``update_state`` per batch, ``result`` at the end,
    ``reset_state`` each epoch. ``direction`` says which way is better ("up" or "down"); the
    callbacks' ``mode="auto"`` reads it."""

    default_name = "metric"
    direction: str | None = "up"

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.default_name
        self.reset_state()

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch of labels and predictions."""
        raise NotImplementedError

    def result(self) -> float:
        """The metric over everything added since the last reset."""
        raise NotImplementedError

    def reset_state(self) -> None:
        """Forget every batch (called at the start of each epoch)."""
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
        """Add one batch and return the result so far (Keras's ``metric(y_true, y_pred)``)."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class MeanMetricWrapper(Metric):
    """A function of (y_true, y_pred) averaged over every sample seen, weighted.

    The function may return one value per sample (shape (n,) or (n, ...), averaged per row) or
    one number for the batch, which counts as the mean of its n samples (weight n, or the
    batch's total sample weight).
    """

    direction: str | None = None

    def __init__(
        self, function: Callable[..., Any], name: str | None = None, **function_kwargs: Any
    ) -> None:
        self.function = function
        self.function_kwargs = function_kwargs
        super().__init__(name or getattr(function, "__name__", type(function).__name__))

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        true, pred = to_numpy(y_true), to_numpy(y_pred)
        _not_empty(self.name, true, pred)
        values = to_numpy(self.function(true, pred, **self.function_kwargs)).astype(np.float64)
        samples = len(values) if values.ndim else len(true)
        weights = _weights(self.name, sample_weight, samples)
        if values.ndim == 0:
            weight = samples if weights is None else float(weights.sum())
            self.total += float(values) * weight
            self.count += weight
            return
        per_sample = values if values.ndim == 1 else values.reshape(samples, -1).mean(axis=1)
        if weights is None:
            self.total += float(per_sample.sum())
            self.count += samples
        else:
            self.total += float(np.dot(weights, per_sample))
            self.count += float(weights.sum())

    def result(self) -> float:
        """The weighted mean so far; 0 before any sample (Keras's convention)."""
        return self.total / self.count if self.count else 0.0


class Accuracy(MeanMetricWrapper):
    """Keras's "accuracy" string: binary, categorical or sparse accuracy chosen from the shapes
    of each batch (see ``accuracy``). Unlike ``keras.metrics.Accuracy`` it does not compare
    probabilities for exact equality."""

    direction = "up"

    def __init__(self, name: str | None = "accuracy") -> None:
        super().__init__(_accuracy_correct, name)


class BinaryAccuracy(MeanMetricWrapper):
    """The fraction of labels equal to ``y_pred > threshold``."""

    direction = "up"

    def __init__(self, name: str | None = "binary_accuracy", threshold: float = 0.5) -> None:
        super().__init__(_binary_correct, name, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """The fraction of one-hot labels whose argmax the prediction's argmax matches."""

    direction = "up"

    def __init__(self, name: str | None = "categorical_accuracy") -> None:
        super().__init__(_categorical_correct, name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """The fraction of class indices equal to the prediction's argmax."""

    direction = "up"

    def __init__(self, name: str | None = "sparse_categorical_accuracy") -> None:
        super().__init__(_sparse_correct, name)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean absolute error over every sample seen."""

    direction = "down"

    def __init__(self, name: str | None = "mean_absolute_error") -> None:
        super().__init__(_absolute_errors, name)


class MeanSquaredError(MeanMetricWrapper):
    """The mean squared error over every sample seen."""

    direction = "down"

    def __init__(self, name: str | None = "mean_squared_error") -> None:
        super().__init__(_squared_errors, name)


class _EpochMetric(Metric):
    """A metric of the whole epoch at once: keeps every batch's labels, predictions and
    weights, and ``result`` applies ``compute`` to all of them."""

    def reset_state(self) -> None:
        self._true: list[np.ndarray] = []
        self._pred: list[np.ndarray] = []
        self._weights: list[np.ndarray] = []

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        true, pred = _pair(self.name, y_true, y_pred)
        weights = _weights(self.name, sample_weight, len(true))
        if self._true and true.shape[1:] != self._true[0].shape[1:]:
            raise ValueError(
                f"{self.name}: this batch's samples have shape {true.shape[1:]}, the earlier "
                f"batches' {self._true[0].shape[1:]}"
            )
        self._true.append(true)
        self._pred.append(pred)
        self._weights.append(np.ones(len(true)) if weights is None else weights)

    def result(self) -> float:
        """The metric of every sample since the last reset; 0 before any (Keras's convention)."""
        if not self._true:
            return 0.0
        true, pred = np.concatenate(self._true), np.concatenate(self._pred)
        return self.compute(true, pred, np.concatenate(self._weights))

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> float:
        raise NotImplementedError


class _ThresholdedMetric(_EpochMetric):
    """An epoch-wide metric of binary labels against ``y_pred > threshold``."""

    def __init__(self, name: str | None = None, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__(name)


class Precision(_ThresholdedMetric):
    """The epoch's precision TP / (TP + FP), predictions thresholded at ``threshold``."""

    default_name = "precision"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> float:
        return precision(y_true, y_pred, sample_weight=weights, threshold=self.threshold)


class Recall(_ThresholdedMetric):
    """The epoch's recall TP / (TP + FN), predictions thresholded at ``threshold``."""

    default_name = "recall"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> float:
        return recall(y_true, y_pred, sample_weight=weights, threshold=self.threshold)


class F1Score(_ThresholdedMetric):
    """The epoch's F1 score 2TP / (2TP + FP + FN) (binary), thresholded at ``threshold``."""

    default_name = "f1_score"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> float:
        return f1_score(y_true, y_pred, sample_weight=weights, threshold=self.threshold)


class AUC(_EpochMetric):
    """The epoch's exact ROC AUC (Keras's ``AUC`` approximates it with 200 thresholds); NaN
    when the epoch's labels hold one class only (the function ``auc`` raises instead)."""

    default_name = "auc"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> float:
        return _roc_auc(*_auc_inputs(self.name, y_true, y_pred, weights))


class R2Score(_EpochMetric):
    """The epoch's coefficient of determination; NaN with fewer than two samples."""

    default_name = "r2_score"

    def compute(self, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> float:
        return _r2(y_true, y_pred, weights) if len(y_true) >= 2 else float("nan")


# ----- lookup -----

_BY_NAME: dict[str, Callable[[str], Metric]] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "precision": Precision,
    "recall": Recall,
    "f1_score": F1Score,
    "auc": AUC,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "r2_score": R2Score,
}

# This module's own functions resolve to their objects, so that ``metrics=[precision]`` is
# computed over the epoch rather than averaged over batches.
_BY_FUNCTION: dict[Callable[..., Any], type[Metric]] = {
    accuracy: Accuracy,
    binary_accuracy: BinaryAccuracy,
    categorical_accuracy: CategoricalAccuracy,
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    precision: Precision,
    recall: Recall,
    f1_score: F1Score,
    auc: AUC,
    mean_absolute_error: MeanAbsoluteError,
    mean_squared_error: MeanSquaredError,
    r2_score: R2Score,
}


def get(identifier: str | Metric | Callable[..., Any]) -> Metric:
    """A Metric from a Keras name ("accuracy", "mae", "auc", ...; named as given), a Metric
    (returned as is), a Metric class, or a function(y_true, y_pred) (batch-averaged, named
    after the function)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        factory = _BY_NAME.get(identifier.lower())
        if factory is None and identifier in _loss_names():
            return _loss_metric(identifier)
        if factory is None:
            raise ValueError(
                f"metrics.get: unknown metric {identifier!r}; known names: "
                f"{', '.join(sorted(_BY_NAME))}, and every loss name of nn.losses"
            )
        return factory(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        known = _BY_FUNCTION.get(identifier)
        return known() if known is not None else MeanMetricWrapper(identifier)
    raise TypeError(
        f"metrics.get: expected a metric name, a Metric or a function (y_true, y_pred), "
        f"got {type(identifier).__name__} {identifier!r}"
    )


def _loss_names() -> set[str]:
    from nn import losses  # losses never import metrics; imported here to keep this module light

    return {name for name in losses.LOSSES if name.islower()}


def _loss_metric(name: str) -> Metric:
    """A loss used as a metric, as Keras allows (``metrics=["binary_crossentropy"]``): its
    per-sample values averaged over every sample seen."""
    from nn import losses

    loss = losses.get(name)
    return MeanMetricWrapper(lambda y_true, y_pred: loss.call(y_true, y_pred), name=name)
