"""Training the Keras way: ``compile``, ``fit``, ``evaluate``, ``predict``.

This is the one place where ``nn`` meets ``optim``. A training step is the loop a student writes
by hand — forward, loss (plus the layers' regularization penalties), ``zero_grad``,
``backward``, ``step`` — and ``fit`` wraps it in mini-batches, epochs, metrics, validation and
callbacks (``History``, the progress display, ``EarlyStopping``, ...). Validation and
prediction run in evaluation mode and record no graph.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

import optim
from autograd import Tensor
from nn import losses as losses_module
from nn import metrics as metrics_module
from nn.callbacks import Callback, CallbackList, History
from nn.layers.base import Layer
from nn.module import Module, evaluation_mode
from nn.progress import ProgressBar
from nn.random import SeedLike, global_rng, make_rng

__all__ = ["OPTIMIZERS", "Model"]

# Keras's optimizers by name, with Keras's defaults (learning rates and epsilons differ from
# PyTorch's, which the optim classes keep when they are created directly).
OPTIMIZERS: dict[str, tuple[type[optim.Optimizer], dict[str, Any]]] = {
    "sgd": (optim.SGD, {"lr": 0.01}),
    "adam": (optim.Adam, {"lr": 0.001, "eps": 1e-7}),
    "adamw": (optim.AdamW, {"lr": 0.001, "eps": 1e-7, "weight_decay": 0.004}),
    "rmsprop": (optim.RMSprop, {"lr": 0.001, "alpha": 0.9, "eps": 1e-7}),
    "adagrad": (optim.Adagrad, {"lr": 0.001, "initial_accumulator_value": 0.1, "eps": 1e-7}),
    "adadelta": (optim.AdaDelta, {"lr": 0.001, "rho": 0.95, "eps": 1e-7}),
    "adamax": (optim.Adamax, {"lr": 0.001, "eps": 1e-7}),
    "nadam": (optim.NAdam, {"lr": 0.001, "eps": 1e-7}),
}


class Model(Layer):
    """A layer that can be trained: ``compile`` it, then ``fit``, ``evaluate``, ``predict``.
    Subclass it and define ``call`` (or use ``Sequential``)."""

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.optimizer: optim.Optimizer | None = None
        self.loss: losses_module.Loss | None = None
        self.compiled_metrics: list[Any] = []
        self.stop_training = False
        self.history: History | None = None

    def build(self, input_shape: Any) -> None:
        """A subclassed model creates its layers' weights by running one zero sample through
        ``call`` (in evaluation mode, with no graph); ``Sequential`` builds layer by layer."""
        with evaluation_mode(self):
            self.call(Tensor(np.zeros((1, *input_shape[1:]), dtype=self.dtype)))

    # ----- compile -----

    def compile(
        self,
        optimizer: str | optim.Optimizer = "rmsprop",
        loss: Any = None,
        metrics: Sequence[Any] | None = None,
    ) -> None:
        """Choose how to learn: an optimizer (a Keras name such as ``"adam"``, with Keras's
        defaults, or an ``optim`` optimizer, bound or not), a loss (a name, a function or an
        ``nn.losses`` object) and metrics to report."""
        self.optimizer = _optimizer(optimizer)
        if loss is None:
            raise ValueError("compile: give a loss, such as loss='binary_crossentropy'")
        self.loss = losses_module.get(loss)
        if isinstance(metrics, (str, Mapping)) or callable(metrics):
            raise TypeError(
                f"compile: metrics must be a list, such as ['accuracy'], got {metrics!r}"
            )
        self.compiled_metrics = [metrics_module.get(m) for m in metrics or []]
        if self.built:
            self._bind_optimizer()

    def _bind_optimizer(self) -> None:
        """Give the optimizer this model's parameters (once the weights exist)."""
        optimizer = _require(self.optimizer, "fit")
        parameters = self.parameters()
        if not parameters:
            raise ValueError(f"{self.name} has no trainable parameters to optimize")
        if not optimizer.param_groups:
            optimizer.bind(parameters)
            return
        bound = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if not all(id(p) in bound for p in parameters):
            raise ValueError(
                f"compile: the {type(optimizer).__name__} given is bound to parameters that are "
                f"not all this model's; create it without parameters, e.g. "
                f"{type(optimizer).__name__}(learning_rate=...), and compile binds it"
            )

    # ----- fit -----

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = 32,
        epochs: int = 1,
        verbose: int | str = "auto",
        callbacks: Sequence[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: tuple[Any, ...] | None = None,
        shuffle: bool = True,
        class_weight: Mapping[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        seed: SeedLike = None,
    ) -> History:
        """Train for ``epochs`` passes over (x, y) in mini-batches of ``batch_size`` (the last
        one smaller: ⌈N / batch_size⌉ steps an epoch), shuffled each epoch from ``seed``.

        ``x`` may instead be a data source (``y`` left out), Keras's ``PyDataset`` protocol:
        ``len(source)`` batches an epoch, ``source[i]`` gives ``(x, y)`` or ``(x, y,
        sample_weight)``, and ``source.on_epoch_end()``, if it exists, runs after every epoch
        (``ImageDataGenerator.flow`` is one); the source orders its own batches.

        ``validation_split`` holds out the *last* fraction of the samples, taken before any
        shuffling, as Keras does; ``validation_data=(x_val, y_val)`` (or a data source) wins
        over it. The epoch's ``loss`` is the mean of its batch losses weighted by batch size
        (as Keras 3 reports it) and includes the regularization penalties. Returns the
        ``History``, also kept as ``model.history``."""
        loss_fn = _require(self.loss, "fit")
        batch_size = 32 if batch_size is None else _positive_int("batch_size", batch_size)
        epochs = _positive_int("epochs", epochs, allow_zero=True)
        rng = make_rng(seed) if seed is not None else global_rng()
        if _is_data_source(x, y):
            if sample_weight is not None or validation_split:
                raise ValueError(
                    "fit: with a data source as x, give sample weights as the third item of "
                    "each batch and validation as validation_data (sample_weight and "
                    "validation_split work on arrays only)"
                )
            batches: _ArrayBatches | _SourceBatches = _SourceBatches(x, class_weight, "fit")
            validation = validation_data
        else:
            x, y = _check_data(x, y, "fit")
            weights = _sample_weights(y, sample_weight, class_weight, len(x))
            x, y, weights, validation = _split_validation(
                x, y, weights, validation_split, validation_data
            )
            batches = _ArrayBatches(x, y, weights, batch_size, rng if shuffle else None)
        self._prepare(batches.first_inputs())
        steps = len(batches)
        train_metrics = [copy.deepcopy(m) for m in self.compiled_metrics]
        self.history = History()
        callback_list = CallbackList(
            [*(callbacks or []), self.history, ProgressBar(verbose=_verbosity(verbose))],
            model=self,
            params={"epochs": epochs, "steps": steps, "verbose": _verbosity(verbose)},
        )
        self.stop_training = False
        regularized = [m for m in self.modules() if getattr(m, "_regularizers", None)]
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            self.train(True)  # validation switches to evaluation mode at the end of each epoch
            for metric in train_metrics:
                metric.reset_state()
            loss_sum, seen = 0.0, 0
            for step, (x_batch, y_batch, w_batch) in enumerate(batches.epoch()):
                callback_list.on_train_batch_begin(step)
                loss, output = self._train_step(loss_fn, x_batch, y_batch, w_batch, regularized)
                loss_sum += loss * len(x_batch)
                seen += len(x_batch)
                for metric in train_metrics:
                    metric.update_state(y_batch, output, sample_weight=w_batch)
                logs = {"loss": loss_sum / seen, **_results(train_metrics, running=True)}
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            logs = {"loss": loss_sum / seen, **_results(train_metrics)}
            if validation is not None:
                x_val, y_val, w_val = _unpack_validation(validation)
                scores = self.evaluate(
                    x_val,
                    y_val,
                    batch_size=batch_size,
                    verbose=0,
                    sample_weight=w_val,
                    return_dict=True,
                )
                logs.update({f"val_{name}": value for name, value in scores.items()})
            callback_list.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def _train_step(
        self,
        loss_fn: Any,
        x: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None,
        regularized: Sequence[Module],
    ) -> tuple[float, np.ndarray]:
        """One step of gradient descent on one batch; returns the loss and the outputs.
        ``regularized`` lists the modules with penalties (found once per ``fit``)."""
        optimizer = _require(self.optimizer, "fit")
        output = self(x)
        loss = loss_fn(y, output, sample_weight=sample_weight)
        penalties = [penalty for module in regularized for penalty in module._own_penalties()]
        if penalties:
            loss = loss + _total(penalties)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        value = float(loss.data)
        if not math.isfinite(value) and not np.isfinite(x).all():
            raise ValueError("fit: the inputs contain NaN or inf")
        return value, output.data

    def _prepare(self, x: np.ndarray) -> None:
        """Build the weights for samples shaped like x's, check x fits, bind the optimizer."""
        self._build_and_check(x)
        self._bind_optimizer()

    def _check_input(self, x: np.ndarray) -> None:
        """Subclasses that know their input shape refuse a batch that does not fit it."""

    # ----- evaluate and predict -----

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = 32,
        verbose: int | str = "auto",
        sample_weight: Any = None,
        callbacks: Sequence[Callback] | None = None,
        return_dict: bool = False,
    ) -> float | list[float] | dict[str, float]:
        """The loss (with regularization, as in training) and the metrics on (x, y), in
        evaluation mode with no graph: a number, ``[loss, *metrics]``, or a dict with
        ``return_dict``. ``verbose`` shows one progress line, as Keras does."""
        loss_fn = _require(self.loss, "evaluate")
        batch_size = 32 if batch_size is None else _positive_int("batch_size", batch_size)
        if _is_data_source(x, y):
            batches: _ArrayBatches | _SourceBatches = _SourceBatches(x, None, "evaluate")
        else:
            x, y = _check_data(x, y, "evaluate")
            weights = _sample_weights(y, sample_weight, None, len(x))
            batches = _ArrayBatches(x, y, weights, batch_size, None)
        self._build_and_check(batches.first_inputs())
        hooks = self._hooks(callbacks, verbose, len(batches))
        test_metrics = [copy.deepcopy(m) for m in self.compiled_metrics]
        for metric in test_metrics:
            metric.reset_state()
        loss_sum, seen = 0.0, 0
        hooks.on_test_begin()
        with evaluation_mode(self):
            extra = float(self.regularization_loss().data)
            for step, (x_batch, y_batch, w_batch) in enumerate(batches.epoch()):
                hooks.on_test_batch_begin(step)
                output = self(x_batch)
                loss = loss_fn(y_batch, output, sample_weight=w_batch)
                loss_sum += (float(loss.data) + extra) * len(output.data)
                seen += len(output.data)
                for metric in test_metrics:
                    metric.update_state(y_batch, output.data, sample_weight=w_batch)
                running = _results(test_metrics, running=True)
                hooks.on_test_batch_end(step, {"loss": loss_sum / seen, **running})
        scores = {"loss": loss_sum / seen, **_results(test_metrics)}
        hooks.on_test_end(scores)
        if return_dict:
            return scores
        return scores["loss"] if len(scores) == 1 else list(scores.values())

    def predict(
        self,
        x: Any,
        batch_size: int | None = 32,
        verbose: int | str = "auto",
        callbacks: Sequence[Callback] | None = None,
    ) -> np.ndarray:
        """The model's outputs for x as a numpy array, in evaluation mode, with no graph."""
        batch_size = 32 if batch_size is None else _positive_int("batch_size", batch_size)
        if _is_data_source(x, None):
            batches: _ArrayBatches | _SourceBatches = _SourceBatches(x, None, "predict", True)
        else:
            x = _as_inputs(x, "predict")
            batches = _ArrayBatches(x, None, None, batch_size, None)
        self._build_and_check(batches.first_inputs())
        hooks = self._hooks(callbacks, verbose, len(batches))
        outputs = []
        hooks.on_predict_begin()
        with evaluation_mode(self):
            for step, (x_batch, _, _) in enumerate(batches.epoch()):
                hooks.on_predict_batch_begin(step)
                outputs.append(self(x_batch).data)
                hooks.on_predict_batch_end(step, {"outputs": outputs[-1]})
        hooks.on_predict_end()
        return np.concatenate(outputs)

    def _build_and_check(self, x: np.ndarray) -> None:
        if not self.built:
            self.build_for((None, *x.shape[1:]))
        self._check_input(x)

    def _hooks(self, callbacks: Sequence[Callback] | None, verbose: int | str, steps: int) -> Any:
        """The callbacks of one evaluate or predict call, the progress line last."""
        level = _verbosity(verbose)
        listed = [*(callbacks or []), *([ProgressBar(verbose=level)] if level else [])]
        return CallbackList(
            listed, model=self, params={"epochs": 1, "steps": steps, "verbose": level}
        )

    # ----- Keras's weight lists -----

    def get_weights(self) -> list[np.ndarray]:
        """Every weight (parameters and buffers) as a list of arrays, in ``state_dict`` order."""
        return list(self.state_dict().values())

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every weight from a list like ``get_weights()`` gives."""
        names = list(self.state_dict())
        if len(weights) != len(names):
            raise ValueError(
                f"set_weights: the model has {len(names)} weights, got {len(weights)}"
            )
        self.load_state_dict(dict(zip(names, weights)))


# ----- helpers -----


def _optimizer(optimizer: Any) -> optim.Optimizer:
    if isinstance(optimizer, optim.Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key not in OPTIMIZERS:
            raise ValueError(
                f"compile: unknown optimizer {optimizer!r}; known: {', '.join(sorted(OPTIMIZERS))}"
            )
        cls, defaults = OPTIMIZERS[key]
        return cls(**defaults)
    if isinstance(optimizer, type) and issubclass(optimizer, optim.Optimizer):
        return optimizer()
    raise TypeError(
        f"compile: optimizer must be a name such as 'adam' or an optim optimizer, got "
        f"{type(optimizer).__name__}"
    )


def _require(thing: Any, caller: str) -> Any:
    if thing is None:
        raise RuntimeError(
            f"{caller}: compile the model first, e.g. model.compile(optimizer='adam', "
            "loss='binary_crossentropy')"
        )
    return thing


def _positive_int(name: str, value: Any, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < (0 if allow_zero else 1):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else 'positive'}, got {value}")
    return int(value)


def _verbosity(verbose: int | str) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def _as_inputs(x: Any, caller: str) -> np.ndarray:
    if x is None:
        raise ValueError(f"{caller}: x is missing")
    if isinstance(x, Tensor):
        x = x.data
    try:
        array = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{caller}: x must be numbers, got {type(x).__name__}: {error}") from None
    if array.ndim == 0:
        raise ValueError(f"{caller}: x must have a batch axis, got a single number")
    if len(array) == 0:
        raise ValueError(f"{caller}: x is empty (0 samples)")
    if array.ndim == 1:
        array = array[:, None]  # one feature per sample, as Keras reads a 1-D x
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.isfinite(array).sum())
        raise ValueError(f"{caller}: x contains {bad} NaN or infinite value(s)")
    return array


def _check_data(x: Any, y: Any, caller: str) -> tuple[np.ndarray, np.ndarray]:
    x = _as_inputs(x, caller)
    if y is None:
        raise ValueError(f"{caller}: y (the targets) is missing")
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{caller}: y must be numbers, got dtype {y.dtype}")
    if y.ndim == 0 or len(y) != len(x):
        raise ValueError(
            f"{caller}: x has {len(x)} samples but y has {len(y) if y.ndim else 'no axis'} "
            f"(x shape {x.shape}, y shape {y.shape})"
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{caller}: y contains NaN or infinite values")
    return x, y


def _sample_weights(
    y: np.ndarray, sample_weight: Any, class_weight: Mapping[int, float] | None, n: int
) -> np.ndarray | None:
    """Per-sample weights from ``sample_weight`` and ``class_weight`` (multiplied if both)."""
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float32).reshape(-1)
        if len(weights) != n:
            raise ValueError(f"sample_weight has {len(weights)} entries for {n} samples")
    if class_weight is not None:
        from_classes = losses_module.sample_weight_from_class_weight(y, class_weight)
        from_classes = np.asarray(from_classes, dtype=np.float32)
        weights = from_classes if weights is None else weights * from_classes
    return weights


def _split_validation(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    split: float,
    data: tuple[Any, ...] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[Any, ...] | None]:
    if data is not None:
        if _is_data_source(data, None):
            return x, y, weights, data
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, weights)")
        x_val, y_val = _check_data(data[0], data[1], "fit: validation_data")
        return x, y, weights, (x_val, y_val, *data[2:])
    if not 0 <= split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {split}")
    if split == 0:
        return x, y, weights, None
    held_out = int(len(x) * split)
    if held_out == 0 or held_out == len(x):
        raise ValueError(
            f"validation_split={split} of {len(x)} samples leaves {held_out} for validation "
            f"and {len(x) - held_out} for training; both must be at least 1"
        )
    cut = len(x) - held_out
    validation = (x[cut:], y[cut:]) + (() if weights is None else (weights[cut:],))
    return x[:cut], y[:cut], None if weights is None else weights[:cut], validation


Batch = tuple[np.ndarray, Any, Any]  # inputs, targets (None in predict), weights or None


class _ArrayBatches:
    """The mini-batches of arrays: ⌈N / batch_size⌉ a pass, in a fresh random order each pass
    when given a generator (``rng``), else in order."""

    def __init__(
        self, x: np.ndarray, y: Any, weights: Any, batch_size: int, rng: Any = None
    ) -> None:
        self.x, self.y, self.weights, self.batch_size, self.rng = x, y, weights, batch_size, rng

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def first_inputs(self) -> np.ndarray:
        return self.x

    def epoch(self) -> Iterator[Batch]:
        n = len(self.x)
        order = self.rng.permutation(n) if self.rng is not None else None
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            batch = order[start:stop] if order is not None else slice(start, stop)
            yield (
                self.x[batch],
                None if self.y is None else self.y[batch],
                None if self.weights is None else self.weights[batch],
            )


class _SourceBatches:
    """The batches of a data source (Keras's ``PyDataset`` protocol), checked as they come."""

    def __init__(
        self, source: Any, class_weight: Any, caller: str, inputs_only: bool = False
    ) -> None:
        if len(source) == 0:
            raise ValueError(f"{caller}: the data source has no batches (len 0)")
        self.source, self.class_weight = source, class_weight
        self.caller, self.inputs_only = caller, inputs_only

    def __len__(self) -> int:
        return len(self.source)

    def _batch(self, index: int) -> Batch:
        item = self.source[index]
        where = f"{self.caller}: batch {index} of the data source"
        if self.inputs_only:
            inputs = item[0] if isinstance(item, (tuple, list)) else item
            return _as_inputs(inputs, where), None, None
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise ValueError(f"{where} must be (x, y) or (x, y, sample_weight)")
        x, y = _check_data(item[0], item[1], where)
        weights = _sample_weights(y, item[2] if len(item) == 3 else None, self.class_weight, len(x))
        return x, y, weights

    def first_inputs(self) -> np.ndarray:
        return self._batch(0)[0]

    def epoch(self) -> Iterator[Batch]:
        for index in range(len(self.source)):
            yield self._batch(index)
        on_epoch_end = getattr(self.source, "on_epoch_end", None)
        if callable(on_epoch_end):
            on_epoch_end()


def _is_data_source(x: Any, y: Any) -> bool:
    """Whether ``x`` is a data source of batches rather than an array of samples."""
    plain = (np.ndarray, list, tuple, Tensor, str, bytes)
    return y is None and hasattr(x, "__len__") and hasattr(x, "__getitem__") and not isinstance(
        x, plain
    )


def _unpack_validation(validation: Any) -> tuple[Any, Any, Any]:
    """(x, y, weights) from ``(x, y)``, ``(x, y, weights)`` or a data source (x, None, None)."""
    if _is_data_source(validation, None):
        return validation, None, None
    x_val, y_val, *rest = validation
    return x_val, y_val, rest[0] if rest else None


def _total(terms: Sequence[Tensor]) -> Tensor:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _results(metrics: Sequence[Any], running: bool = False) -> dict[str, float]:
    """Each metric's value; ``running`` (the logs after each batch) leaves out the metrics
    of the whole epoch (precision, AUC, ...), which would be recomputed over every sample
    seen at every batch, and reports them at the epoch's end only."""
    return {
        metric.name: float(metric.result())
        for metric in metrics
        if not running or isinstance(metric, metrics_module.MeanMetricWrapper)
    }
