"""Keras's losses, each written once for a ``Tensor`` batch and for ``Value``s.

A loss *function* is Keras's: ``loss(y_true, y_pred)`` gives one number per sample, the mean
(for the categorical losses, KL divergence and cosine similarity the sum) over the last axis. A
``Loss`` *object* reduces those numbers to one: ``"sum_over_batch_size"`` (Keras 3's default,
``"mean"`` is the same), ``"sum"``, ``"none"`` (or Keras's ``"mean_with_sample_weight"``),
weighting each sample by ``sample_weight`` if given (Keras's ``class_weight`` becomes one with
``sample_weight_from_class_weight``).

What a batch is:

- a ``Tensor`` (or anything ``numpy.asarray`` takes): Keras's rules. The last axis holds one
  sample's outputs, so ``y_pred`` of shape (32, 1) gives 32 losses, and one of shape (3,) is one
  sample with 3 outputs. ``y_true`` may differ from ``y_pred`` only by a last axis of size 1, as
  in Keras: (32,) against (32, 1) is read as (32, 1); any other difference is a ValueError (a
  quiet broadcast of (32, 1) against (32,) would give a (32, 32) loss).
- ``Value``s: a single Value is one sample with one output; a list of Values is a batch of
  samples with one output each (micrograd's ``[model(x) for x in xs]``, like a (N, 1) Tensor); a
  list of lists of Values is a batch of samples with several outputs each (like (N, K); write
  ``[outputs]`` for one sample). A list holding no Value is an array, as above.

Results come back in the kind that went in: Tensors for a Tensor, a Value for a single Value, a
list of Values (one per sample) for a list. ``y_true`` is always a constant.

How it is written once (ARCHITECTURE.md, "Written once"): a Value batch is held as a numpy array
of Values (dtype object), so ``y_pred - y_true`` is elementwise on both kinds, and only two
helpers look at the kind: ``_apply`` (an elementwise method: ``log``, ``clip``, ``relu``, ...) and
``_reduce`` (a reduction over an axis). One reduction helper, ``_reduce_weighted``, turns
per-sample losses of either kind into the loss. Nothing here has a derivative of its own; the
stability primitives are autograd's, on both kinds: ``softplus`` (binary cross-entropy from
logits), ``logsumexp`` (categorical cross-entropy from logits), ``clip`` (probabilities kept in
[1e-7, 1 - 1e-7] before ``log``, as Keras) and ``max`` (``autograd.value.amax`` for Values;
categorical hinge).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autograd.tensor import Tensor
from autograd.value import Value, amax, logsumexp
from autograd.value import sum as value_sum
from nn.layers.base import snake_case

__all__ = [
    "LOSSES",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "mae",
    "mean_absolute_error",
    "mean_squared_error",
    "mse",
    "poisson",
    "sample_weight_from_class_weight",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]

EPSILON = 1e-7  # Keras's backend.epsilon(): how far probabilities are kept from 0 and 1

REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "none", "mean_with_sample_weight")

Batch = Any  # a Tensor, or a numpy array of Values (dtype object), or a constant numpy array


# ----- the two helpers that know the kind of batch -----


def _holds_values(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == object


def _apply(x: Batch, method: str, *args: Any) -> Batch:
    """``x.method(*args)`` elementwise: the Tensor's method, each Value's method, or for a
    constant array the numpy function of that name (``clip``, ``log``, ``sqrt``)."""
    if isinstance(x, Tensor):
        return getattr(x, method)(*args)
    if _holds_values(x):
        out = np.empty(x.shape, dtype=object)
        for index, value in np.ndenumerate(x):
            out[index] = getattr(value, method)(*args)
        return out
    return getattr(np, method)(x, *args)


_VALUE_REDUCTIONS: dict[str, Callable[[list], Value]] = {
    "sum": value_sum,
    "mean": lambda values: value_sum(values) / len(values),
    "max": amax,
    "logsumexp": logsumexp,
}


def _reduce(x: Batch, how: str, axis: int = -1, keepdims: bool = False) -> Batch:
    """``x.sum/mean/max/logsumexp(axis)``: the Tensor's method, one n-ary Value node per
    reduced row of Values, or numpy's function for a constant array."""
    if isinstance(x, Tensor):
        if how in ("sum", "mean") and axis == -1 and x.ndim and x.shape[-1] == 1:
            # one entry per row (a binary output): dropping the axis is the reduction, and a
            # reshape is cheaper than a mean, going forward and back
            return x if keepdims else x.reshape(x.shape[:-1])
        return getattr(x, how)(axis=axis, keepdims=keepdims)
    if not _holds_values(x):
        return getattr(np, how)(x, axis=axis, keepdims=keepdims)
    rows = np.moveaxis(x, axis, -1)
    out = np.empty(rows.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = _VALUE_REDUCTIONS[how](list(rows[index]))
    return np.expand_dims(out, axis) if keepdims else out


def _log_softmax(x: Batch) -> Batch:
    """x − logsumexp(x) over the last axis: the Tensor's one-node ``log_softmax``, or the
    difference with one ``logsumexp`` node per row of Values."""
    if isinstance(x, Tensor):
        return x.log_softmax(axis=-1)
    return x - _reduce(x, "logsumexp", keepdims=True)


# ----- the losses, each once: y_true a constant array, y_pred a batch of the same shape -----


def _mean_squared_error(y_true: np.ndarray, y_pred: Batch) -> Batch:
    return _reduce((y_true - y_pred) ** 2, "mean")


def _mean_absolute_error(y_true: np.ndarray, y_pred: Batch) -> Batch:
    return _reduce(_apply(y_true - y_pred, "abs"), "mean")


def _huber(y_true: np.ndarray, y_pred: Batch, delta: float = 1.0) -> Batch:
    # ½e² where |e| <= δ, δ|e| − ½δ² beyond: with q = min(|e|, δ) = |e| − relu(|e| − δ) both
    # pieces are ½q² + δ(|e| − q), so no comparison on data is needed.
    error = _apply(y_pred - y_true, "abs")
    quadratic = error - _apply(error - delta, "relu")
    return _reduce(0.5 * quadratic**2 + delta * (error - quadratic), "mean")


def _binary_crossentropy(
    y_true: np.ndarray, y_pred: Batch, from_logits: bool = False, label_smoothing: float = 0.0
) -> Batch:
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        # −[t·log σ(x) + (1 − t)·log(1 − σ(x))] = softplus(x) − t·x: finite for any logit.
        return _reduce(_apply(y_pred, "softplus") - y_true * y_pred, "mean")
    p = _apply(y_pred, "clip", EPSILON, 1.0 - EPSILON)
    log_likelihood = y_true * _apply(p, "log") + (1.0 - y_true) * _apply(1.0 - p, "log")
    return -_reduce(log_likelihood, "mean")


def _categorical_crossentropy(
    y_true: np.ndarray, y_pred: Batch, from_logits: bool = False, label_smoothing: float = 0.0
) -> Batch:
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        log_probabilities = _log_softmax(y_pred)
    else:  # as Keras: rescaled to sum to 1, then kept inside [ε, 1 − ε]
        p = y_pred / _reduce(y_pred, "sum", keepdims=True)
        log_probabilities = _apply(_apply(p, "clip", EPSILON, 1.0 - EPSILON), "log")
    return -_reduce(y_true * log_probabilities, "sum")


def _kl_divergence(y_true: np.ndarray, y_pred: Batch) -> Batch:
    y_true = _apply(y_true, "clip", EPSILON, 1.0)
    y_pred = _apply(y_pred, "clip", EPSILON, 1.0)
    return _reduce(y_true * _apply(y_true / y_pred, "log"), "sum")


def _hinge_labels(y_true: np.ndarray) -> np.ndarray:
    """Keras's rule: labels that are all 0 or 1 become -1 or 1."""
    return 2.0 * y_true - 1.0 if np.all((y_true == 0) | (y_true == 1)) else y_true


def _hinge(y_true: np.ndarray, y_pred: Batch) -> Batch:
    return _reduce(_apply(1.0 - _hinge_labels(y_true) * y_pred, "relu"), "mean")


def _squared_hinge(y_true: np.ndarray, y_pred: Batch) -> Batch:
    return _reduce(_apply(1.0 - _hinge_labels(y_true) * y_pred, "relu") ** 2, "mean")


def _poisson(y_true: np.ndarray, y_pred: Batch) -> Batch:
    return _reduce(y_pred - y_true * _apply(y_pred + EPSILON, "log"), "mean")


def _categorical_hinge(y_true: np.ndarray, y_pred: Batch) -> Batch:
    positive = _reduce(y_true * y_pred, "sum")
    negative = _reduce((1.0 - y_true) * y_pred, "max")
    return _apply(negative - positive + 1.0, "relu")


def _l2_normalize(x: Batch, axis: int) -> Batch:
    """x / max(‖x‖, ε) along ``axis``, as Keras: a zero vector stays zero, with slope 0."""
    squares = _reduce(x * x, "sum", axis, keepdims=True)
    return x / _apply(_apply(squares, "clip", EPSILON * EPSILON, None), "sqrt")


def _cosine_similarity(y_true: np.ndarray, y_pred: Batch, axis: int = -1) -> Batch:
    return -_reduce(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), "sum", axis)


# ----- turning what the caller gave into (y_true array, y_pred batch) and back -----


def _is_value_batch(y_pred: Any) -> bool:
    """A Value, or a list whose items are Values or lists holding a Value."""
    if isinstance(y_pred, Value):
        return True
    if not isinstance(y_pred, (list, tuple)):
        return False
    return any(
        isinstance(item, Value)
        or (isinstance(item, (list, tuple)) and any(isinstance(v, Value) for v in item))
        for item in y_pred
    )


def _value_rows(y_pred: Any) -> np.ndarray:
    """A Value batch as an (N, K) array of Values (numbers in it become constant Values)."""
    if isinstance(y_pred, Value):
        rows = [[y_pred]]
    else:
        nested = [isinstance(item, (list, tuple)) for item in y_pred]
        if all(nested):
            rows = [list(item) for item in y_pred]
        elif not any(nested):
            rows = [[item] for item in y_pred]
        else:
            raise ValueError(
                "y_pred mixes Values and lists of Values; give a list of Values (one output per "
                "sample) or a list of lists of Values (several outputs per sample)"
            )
        lengths = sorted({len(row) for row in rows})
        if lengths != [lengths[-1]] or lengths[-1] == 0:
            raise ValueError(
                f"y_pred's samples must each hold the same number (>= 1) of outputs, got rows of "
                f"lengths {lengths}"
            )
    out = np.empty((len(rows), len(rows[0])), dtype=object)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            out[i, j] = value if isinstance(value, Value) else Value(float(value))
    return out


def _predictions(y_pred: Any) -> tuple[Batch, str]:
    """``y_pred`` as a Tensor or an (N, K) array of Values, and the kind it came as."""
    if isinstance(y_pred, Tensor):
        if y_pred.dtype.kind != "f":
            return Tensor(y_pred.data.astype(np.float32)), "tensor"
        return y_pred, "tensor"
    if _is_value_batch(y_pred):
        return _value_rows(y_pred), "value" if isinstance(y_pred, Value) else "values"
    try:
        array = np.asarray(y_pred)
    except ValueError:
        array = np.asarray(0, dtype=object)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"y_pred must be a Tensor, a Value, a list of Values or an array of numbers, got "
            f"{type(y_pred).__name__}"
        )
    return Tensor(array, dtype=array.dtype if array.dtype.kind == "f" else np.float32), "tensor"


def _describe(y_pred: Batch, kind: str) -> str:
    if kind == "tensor":
        return f"y_pred of shape {y_pred.shape}"
    samples, outputs = y_pred.shape
    return f"y_pred of shape {y_pred.shape} ({samples} sample(s) of {outputs} Value output(s))"


def _targets(y_true: Any, y_pred: Batch, who: str) -> np.ndarray:
    """``y_true`` as a constant array in y_pred's float type (Values: float64)."""
    dtype = y_pred.dtype if isinstance(y_pred, Tensor) else np.float64
    data = y_true.data if isinstance(y_true, (Tensor, Value)) else y_true
    try:
        return np.asarray(data, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"{who}: y_true must hold numbers, got {type(y_true).__name__} {y_true!r:.80}"
        ) from None


def _match_shapes(y_true: np.ndarray, y_pred: Batch, kind: str, who: str) -> tuple:
    """Keras's squeeze_or_expand_to_same_rank, then the shapes must be equal: no broadcasting."""
    true_shape, pred_shape = y_true.shape, y_pred.shape
    if kind == "value" and y_true.size == 1:
        y_true = y_true.reshape(1, 1)  # one sample, one output: a number is its target
    elif y_true.ndim == y_pred.ndim + 1 and true_shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = y_pred.reshape((*pred_shape, 1))
        else:
            y_true = y_true.reshape(true_shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and pred_shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = y_true.reshape((*true_shape, 1))
        else:
            y_pred = y_pred.reshape(pred_shape[:-1])
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{who}: y_true of shape {true_shape} does not match {_describe(y_pred, kind)}; the "
            "shapes must be equal, or differ only by a last axis of size 1"
        )
    return y_true, y_pred


def _user_kind(losses: Batch, kind: str) -> Any:
    """Per-sample losses in the kind y_pred came as: a Tensor, a Value, or a list of Values."""
    if kind == "tensor":
        return losses
    if kind == "value" and losses.size == 1:
        return losses.item()
    return losses.tolist()


def _per_sample(
    loss: Callable[..., Batch], who: str, y_true: Any, y_pred: Any, **options: Any
) -> Any:
    """``loss`` on y_true and y_pred, matched to one shape, returned in y_pred's kind."""
    predictions, kind = _predictions(y_pred)
    targets = _targets(y_true, predictions, who)
    targets, predictions = _match_shapes(targets, predictions, kind, who)
    return _user_kind(loss(targets, predictions, **options), kind)


def _one_hot_labels(y_true: Any, y_pred: Batch, kind: str, who: str) -> np.ndarray:
    """Integer class labels, shape (N,) or (N, 1), as one-hot rows in y_pred's float type."""
    labels = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    given = labels.shape
    sample_shape, classes = y_pred.shape[:-1], y_pred.shape[-1]
    if labels.ndim == y_pred.ndim and given[-1] == 1:
        labels = labels.reshape(given[:-1])
    elif labels.ndim == 0 and sample_shape == (1,):
        labels = labels.reshape(1)
    if labels.shape != sample_shape:
        raise ValueError(
            f"{who}: y_true of shape {given} should hold one class index per sample, shape "
            f"{sample_shape} or {(*sample_shape, 1)}, for {_describe(y_pred, kind)}"
        )
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{who}: y_true must hold integer class indices, got {labels.dtype}")
    outside = (labels < 0) | (labels >= classes)
    if outside.any():
        raise ValueError(
            f"{who}: class index {labels[outside][0]} is outside [0, {classes}) for "
            f"{_describe(y_pred, kind)}"
        )
    dtype = y_pred.dtype if isinstance(y_pred, Tensor) else np.float64
    return np.eye(classes, dtype=dtype)[labels]


# ----- Keras's loss functions: one loss per sample -----


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """mean((y_true − y_pred)²) over the last axis, per sample."""
    return _per_sample(_mean_squared_error, "mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """mean(|y_true − y_pred|) over the last axis, per sample."""
    return _per_sample(_mean_absolute_error, "mean_absolute_error", y_true, y_pred)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Squared error ½e² up to |e| = delta, linear δ|e| − ½δ² beyond (less swayed by outliers);
    mean over the last axis, per sample."""
    return _per_sample(_huber, "huber", y_true, y_pred, delta=delta)


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0
) -> Any:
    """−[t·log p + (1 − t)·log(1 − p)], mean over the last axis, per sample. Probabilities are
    clipped to [1e-7, 1 − 1e-7]; with ``from_logits`` it is softplus(x) − t·x, exact for any x.
    ``label_smoothing`` moves the targets towards 0.5: t·(1 − s) + s/2."""
    return _per_sample(
        _binary_crossentropy,
        "binary_crossentropy",
        y_true,
        y_pred,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
    )


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0
) -> Any:
    """−Σ t·log p over the classes (last axis), per sample; y_true one-hot (or a distribution).
    Probabilities are rescaled to sum to 1 and clipped to [1e-7, 1 − 1e-7]; with
    ``from_logits``, log p = x − logsumexp(x). ``label_smoothing`` s: t·(1 − s) + s/C."""
    return _per_sample(
        _categorical_crossentropy,
        "categorical_crossentropy",
        y_true,
        y_pred,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
    )


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Any:
    """Categorical cross-entropy with integer class labels, shape (N,) or (N, 1), for one-hot
    targets: −log p[label] per sample."""
    who = "sparse_categorical_crossentropy"
    predictions, kind = _predictions(y_pred)
    one_hot = _one_hot_labels(y_true, predictions, kind, who)
    losses = _categorical_crossentropy(one_hot, predictions, from_logits=from_logits)
    return _user_kind(losses, kind)


def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """Σ t·log(t / p) over the last axis, per sample, with both clipped to [1e-7, 1]."""
    return _per_sample(_kl_divergence, "kl_divergence", y_true, y_pred)


def hinge(y_true: Any, y_pred: Any) -> Any:
    """mean(max(1 − t·y, 0)) over the last axis, per sample; labels in {-1, 1} (labels that are
    all 0 or 1 are turned into -1 or 1, as Keras does)."""
    return _per_sample(_hinge, "hinge", y_true, y_pred)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """mean(max(1 − t·y, 0)²) over the last axis, per sample; labels as for ``hinge``."""
    return _per_sample(_squared_hinge, "squared_hinge", y_true, y_pred)


def poisson(y_true: Any, y_pred: Any) -> Any:
    """mean(y − t·log(y + 1e-7)) over the last axis, per sample: the negative log-likelihood of
    counts t under Poisson rates y (up to a term without y)."""
    return _per_sample(_poisson, "poisson", y_true, y_pred)


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """max(neg − pos + 1, 0) per sample, pos = Σ t·y (the true class's score), neg = max of
    (1 − t)·y (the best other class's score); y_true one-hot."""
    return _per_sample(_categorical_hinge, "categorical_hinge", y_true, y_pred)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """−Σ (t/‖t‖)·(y/‖y‖) along ``axis``, per sample: Keras's sign, so that minimising it brings
    the directions together (the study guide's "cosine proximity"); 0 for a zero vector."""
    return _per_sample(_cosine_similarity, "cosine_similarity", y_true, y_pred, axis=axis)


mse = mean_squared_error
mae = mean_absolute_error
kld = kl_divergence


# ----- the one reduction, for both kinds -----


def _check_reduction(reduction: str | None) -> str:
    if reduction is None:
        return "none"
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {', '.join(map(repr, REDUCTIONS))} or None, got "
            f"{reduction!r}"
        )
    return reduction


def _as_losses(losses: Any) -> tuple[Batch, str]:
    """Per-sample losses of any kind as a Tensor or an array of Values, and that kind."""
    if isinstance(losses, Tensor):
        return losses, "tensor"
    if isinstance(losses, Value):
        return np.array([losses], dtype=object), "value"
    if _is_value_batch(losses) or _holds_values(losses):
        return np.array(losses, dtype=object), "values"
    return Tensor(np.asarray(losses, dtype=np.float64)), "tensor"


def _weights(sample_weight: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``sample_weight`` shaped to multiply per-sample losses of ``shape``: a number, one weight
    per loss, or one per leading index (spread over the rest); (N, 1) counts as (N,)."""
    data = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    weights = np.asarray(data, dtype=np.float64)
    given = weights.shape
    if weights.ndim == len(shape) + 1 and given[-1] == 1:
        weights = weights.reshape(given[:-1])
    if weights.ndim and weights.shape != shape[: weights.ndim]:
        count = int(np.prod(shape))
        hint = (
            " (a 1-D y_pred is ONE sample with that many outputs, as in Keras; give N samples of "
            "one output as shape (N, 1))"
            if shape == ()
            else ""
        )
        raise ValueError(
            f"sample_weight of shape {given} does not match the {count} per-sample losses "
            f"(shape {shape}); give one weight per sample{hint}"
        )
    return weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim))


def _total(losses: Batch) -> Any:
    """The sum of every loss: a 0-d Tensor, or one Value node."""
    if isinstance(losses, Tensor):
        return losses.sum()
    return value_sum(losses.ravel().tolist())


def _reduce_weighted(
    losses: Any, sample_weight: Any = None, reduction: str = "sum_over_batch_size"
) -> Any:
    """Keras 3's ``reduce_weighted_values``: losses × weights, then summed ("sum"), or summed and
    divided by the number of losses ("sum_over_batch_size", "mean") or by the sum of the weights
    given to them ("mean_with_sample_weight"), or returned as they are ("none")."""
    reduction = _check_reduction(reduction)
    values, kind = _as_losses(losses)
    weights = None
    if sample_weight is not None:
        weights = _weights(sample_weight, values.shape)
        values = values * weights
    if reduction == "none":
        return _user_kind(values, kind)
    if isinstance(values, Tensor) and reduction != "sum" and weights is None:
        return values.mean()  # one node: the common case of an unweighted batch mean
    total = _total(values)
    if reduction == "sum":
        return total
    divisor = float(values.size)
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = float(np.sum(np.broadcast_to(weights, values.shape)))
    return total / divisor if divisor else total


# ----- Keras's Loss classes -----


class Loss:
    """A loss object: ``loss(y_true, y_pred, sample_weight=None)`` gives the reduced loss, a 0-d
    Tensor (a Value for Values; per-sample losses for ``reduction="none"``). A subclass defines
    ``call(y_true, y_pred)``, which returns one loss per sample."""

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size"):
        self.name = name or snake_case(type(self).__name__)
        self.reduction = _check_reduction(reduction)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        return _reduce_weighted(self.call(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({options})"


class LossFunctionWrapper(Loss):
    """A Loss around a per-sample function ``fn(y_true, y_pred, **options)``."""

    def __init__(
        self,
        fn: Callable[..., Any],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        **options: Any,
    ):
        super().__init__(name or getattr(fn, "__name__", None), reduction)
        self.fn = fn
        self.options = options

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self.fn(y_true, y_pred, **self.options)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.options}


class MeanSquaredError(LossFunctionWrapper):
    """The mean of (y_true − y_pred)²: regression's usual loss."""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction, name)


class MeanAbsoluteError(LossFunctionWrapper):
    """The mean of |y_true − y_pred|: regression less swayed by outliers."""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction, name)


class Huber(LossFunctionWrapper):
    """Squared error for small errors, absolute error beyond ``delta``."""

    def __init__(
        self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size", name="huber_loss"
    ):
        super().__init__(huber, reduction, name, delta=delta)


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy of 0/1 labels and probabilities (or logits, ``from_logits=True``)."""

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
    ):
        super().__init__(
            binary_crossentropy,
            reduction,
            name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of one-hot labels and class probabilities (or logits)."""

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
    ):
        super().__init__(
            categorical_crossentropy,
            reduction,
            name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of integer class labels and class probabilities (or logits)."""

    def __init__(
        self,
        from_logits: bool = False,
        reduction: str | None = "sum_over_batch_size",
        name: str = "sparse_categorical_crossentropy",
    ):
        super().__init__(sparse_categorical_crossentropy, reduction, name, from_logits=from_logits)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence of the predicted distribution from the true one."""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction, name)


class Hinge(LossFunctionWrapper):
    """The SVM's margin loss for labels -1/1 (or 0/1)."""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name="hinge"):
        super().__init__(hinge, reduction, name)


class SquaredHinge(LossFunctionWrapper):
    """The hinge loss squared: smooth at the margin."""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name="squared_hinge"):
        super().__init__(squared_hinge, reduction, name)


class Poisson(LossFunctionWrapper):
    """Negative log-likelihood of counts under predicted Poisson rates."""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name="poisson"):
        super().__init__(poisson, reduction, name)


class CategoricalHinge(LossFunctionWrapper):
    """The multi-class margin loss: the true class's score against the best other one."""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name="categorical_hinge"):
        super().__init__(categorical_hinge, reduction, name)


class CosineSimilarity(LossFunctionWrapper):
    """Minus the cosine of the angle between y_true and y_pred along ``axis``."""

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
    ):
        super().__init__(cosine_similarity, reduction, name, axis=axis)


# ----- names, class weights -----

LOSSES: dict[str, type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kld": KLDivergence,
    "kl_divergence": KLDivergence,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "poisson": Poisson,
    "categorical_hinge": CategoricalHinge,
    "cosine_similarity": CosineSimilarity,
}
LOSSES.update({cls.__name__: cls for cls in set(LOSSES.values())})


def get(identifier: str | Loss | type[Loss] | Callable[..., Any] | None) -> Loss | None:
    """The Loss for a Keras name (``"mse"``, ``"binary_crossentropy"``, ``"MeanSquaredError"``),
    a Loss object (as it is), a Loss class (made with its defaults), or a per-sample function
    ``fn(y_true, y_pred)`` (wrapped in a Loss); None stays None, as in Keras."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        if identifier not in LOSSES:
            known = ", ".join(sorted(LOSSES))
            raise ValueError(f"unknown loss {identifier!r}; known losses: {known}")
        return LOSSES[identifier]()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(f"a loss must be a name, a Loss or a function, got {type(identifier).__name__}")


def sample_weight_from_class_weight(y_true: Any, class_weight: Mapping[int, float]) -> np.ndarray:
    """Keras's ``class_weight`` ({class index: weight}, e.g. larger for a rare class) as one
    weight per sample, for ``sample_weight``. Labels are class indices, shape (N,) or (N, 1)
    (0/1 for binary problems; rounded, as Keras), or one-hot rows (N, C) read by argmax."""
    if not isinstance(class_weight, Mapping):
        kind = type(class_weight).__name__
        raise TypeError(f"class_weight must be a dict {{class index: weight}}, got {kind}")
    labels = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    if labels.ndim == 2:
        labels = labels.argmax(axis=-1) if labels.shape[-1] > 1 else labels[:, 0]
    elif labels.ndim != 1:
        raise ValueError(
            f"class_weight needs labels of shape (N,), (N, 1) or one-hot (N, C), got y_true of "
            f"shape {labels.shape}"
        )
    classes = np.round(labels).astype(np.int64).tolist()
    weights = {int(key): float(weight) for key, weight in class_weight.items()}
    missing = sorted(set(classes) - set(weights))
    if missing:
        raise ValueError(
            f"class_weight has no weight for class(es) {missing} found in y_true; it has "
            f"weights for {sorted(weights)}"
        )
    return np.array([weights[c] for c in classes], dtype=np.float64)
