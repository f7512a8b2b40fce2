"""Keras's callbacks: code that ``Model.fit`` runs at fixed points of training.

A callback overrides some of the hooks of ``Callback`` (``on_epoch_end(epoch, logs)`` ...).
``logs`` is a dict of floats: "loss", the metric names, and after each epoch "val_loss" and
"val_<metric>". One dict is passed to every callback in turn, so a callback may add a key
(``ReduceLROnPlateau`` adds "learning_rate") that the later ones, ``History`` and the progress
bar (both appended last), see.

What a callback may use of the model: ``model.stop_training`` (set it to stop after this
epoch), ``model.state_dict()`` / ``model.load_state_dict(d)``, ``model.save(path)`` (an .npz),
``model.optimizer`` (an ``optim.Optimizer``: its ``param_groups[i]["lr"]``) and
``model.history``. Tests drive callbacks with a small fake model that has just these.

Epochs are counted from 0 in hooks and logs, and shown from 1 in messages and file names, as
Keras does.
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import os
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from nn.metrics import Metric
from optim.schedules import LRScheduler
from optim.schedules import ReduceLROnPlateau as _PlateauSchedule

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]

Logs = dict[str, Any]


def _print(text: str) -> None:
    """Print a callback's message on a line of its own, even while a progress bar is drawn."""
    from nn.progress import write_line  # nn.progress imports this module

    write_line(text)


class Callback:
    """The base: every hook does nothing. Keras's hooks, in the order ``fit`` calls them::

        on_train_begin
          on_epoch_begin(epoch)
            on_train_batch_begin(batch) / on_train_batch_end(batch, logs)   per batch
            on_test_begin / on_test_batch_* / on_test_end                   validation
          on_epoch_end(epoch, logs)
        on_train_end

    ``evaluate`` calls the ``on_test_*`` hooks and ``predict`` the ``on_predict_*`` ones.
    ``on_batch_begin`` / ``on_batch_end`` are Keras's older names for the train-batch hooks.
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """The model being trained (called before ``on_train_begin``)."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """The run's parameters: "epochs", "steps" (batches per epoch), "verbose"."""
        self.params = params

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """At the start of epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """At the end of an epoch, after validation: ``logs`` holds the epoch's values."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Keras's older name of ``on_train_batch_begin``."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Keras's older name of ``on_train_batch_end``."""

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before a training batch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After a training batch: ``logs`` holds the epoch's running values."""
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        """Before evaluation (``evaluate``, or validation inside ``fit``)."""

    def on_test_end(self, logs: Logs | None = None) -> None:
        """After evaluation."""

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before an evaluation batch."""

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After an evaluation batch."""

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        """Before ``predict``."""

    def on_predict_end(self, logs: Logs | None = None) -> None:
        """After ``predict``."""

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before a prediction batch."""

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After a prediction batch."""


_HOOKS = tuple(name for name in vars(Callback) if name.startswith("on_"))


class CallbackList:
    """Calls each hook on every callback, in order, with one shared ``logs`` dict.

    ``add_history`` / ``add_progress_bar`` append a ``History`` / ``ProgressBar`` (after the
    user's callbacks, as Keras) unless the list has one already; ``fit`` uses both.
    """

    def __init__(
        self,
        callbacks: Iterable[Callback] | None = None,
        model: Any = None,
        params: dict[str, Any] | None = None,
        *,
        add_history: bool = False,
        add_progress_bar: bool = False,
    ) -> None:
        self.callbacks: list[Callback] = []
        for callback in callbacks or []:
            self.append(callback)
        if add_history and self.history is None:
            self.append(History())
        if add_progress_bar and not any(_is_progress_bar(c) for c in self.callbacks):
            from nn.progress import ProgressBar  # nn.progress imports this module

            self.append(ProgressBar())
        self.model: Any = None
        self.params: dict[str, Any] = {}
        if model is not None:
            self.set_model(model)
        if params is not None:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        """Add a callback at the end."""
        if not isinstance(callback, Callback):
            raise TypeError(
                f"CallbackList: expected Callback objects, got {type(callback).__name__} "
                f"{callback!r}"
            )
        self.callbacks.append(callback)

    @property
    def history(self) -> History | None:
        """The list's ``History`` callback, if it has one."""
        return next((c for c in self.callbacks if isinstance(c, History)), None)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_model(self, model: Any) -> None:
        """Give every callback the model."""
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        """Give every callback the run's parameters."""
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def _call(self, hook: str, *args: Any, logs: Logs | None) -> None:
        # ``if logs is None`` (not ``logs or {}``): an empty dict from the loop must stay the
        # same object, so that what callbacks add to it reaches the loop.
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._call("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call("on_train_batch_end", batch, logs=logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        self._call("on_test_end", logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call("on_test_batch_end", batch, logs=logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._call("on_predict_end", logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call("on_predict_batch_end", batch, logs=logs)


def _is_progress_bar(callback: Callback) -> bool:
    from nn.progress import ProgressBar

    return isinstance(callback, ProgressBar)


# ----- the monitored quantity -----

_MAXIMIZED = ("acc", "auc", "precision", "recall", "f1", "r2")


def _direction(callback: str, monitor: str, mode: str, model: Any) -> str:
    """The direction, "min" or "max": the mode, or for "auto" the monitored metric's own
    ``direction`` if the model has that metric, else from the name: losses go down; names
    with acc, auc, precision, recall, f1 or r2 in them go up; the rest (mae, mse) go down."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"{callback}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    name = monitor.removeprefix("val_")
    if name.endswith("loss"):
        return "min"
    model_metrics = getattr(model, "metrics", None) or getattr(model, "compiled_metrics", None)
    if isinstance(model_metrics, Iterable):
        for metric in model_metrics:
            if isinstance(metric, Metric) and metric.name == name and metric.direction:
                return "max" if metric.direction == "up" else "min"
    return "max" if any(part in name for part in _MAXIMIZED) else "min"


def _monitored_value(callback: Any, logs: Logs | None) -> float | None:
    """logs[callback.monitor] as a float, or None with one warning per training run that lists
    the keys the logs do have."""
    logs = logs or {}
    value = logs.get(callback.monitor)
    if value is None:
        if not callback._warned:
            callback._warned = True
            warnings.warn(
                f"{type(callback).__name__}: the monitored {callback.monitor!r} is not in the "
                f"logs; available keys: {', '.join(sorted(logs)) or 'none'}",
                UserWarning,
                stacklevel=3,
            )
        return None
    return float(value)


def _better(direction: str, value: float, reference: float | None, min_delta: float) -> bool:
    """Whether ``value`` beats ``reference`` by more than ``min_delta`` (None: always)."""
    if reference is None:
        return True
    if direction == "max":
        return value - min_delta > reference
    return value + min_delta < reference


def _copy_weights(model: Any) -> dict[str, np.ndarray]:
    """A copy of the model's state: ``state_dict`` may return the live arrays that the
    optimizer updates in place."""
    return {name: np.array(value, copy=True) for name, value in model.state_dict().items()}


# ----- learning rates -----


def _learning_rates(optimizer: Any) -> list[float]:
    """Each parameter group's learning rate (one, from ``learning_rate``, without groups)."""
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return [float(group["lr"]) for group in groups]
    if hasattr(optimizer, "learning_rate"):
        return [float(optimizer.learning_rate)]
    raise TypeError(
        f"{type(optimizer).__name__} has neither param_groups nor learning_rate; the "
        "learning-rate callbacks need an optim.Optimizer"
    )


def _set_learning_rates(optimizer: Any, rates: list[float]) -> None:
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        for group, rate in zip(groups, rates):
            group["lr"] = rate
    else:
        optimizer.learning_rate = rates[0]


def _optimizer(callback: Callback) -> Any:
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None:
        raise ValueError(f"{type(callback).__name__}: the model has no optimizer; compile it first")
    return optimizer


# ----- the callbacks -----


class History(Callback):
    """Records the logs of every epoch: ``history.history["loss"]`` is the list of epoch
    losses, ``history.epoch`` the epochs (0-based); ``fit`` returns it and sets
    ``model.history`` to it.

    It holds its model weakly: the model holds it, and a strong link back would be a cycle
    that only the cyclic garbage collector could free (weights and optimizer state with it)."""

    @property
    def model(self) -> Any:
        return None if self._model_ref is None else self._model_ref()

    @model.setter
    def model(self, model: Any) -> None:
        self._model_ref = None if model is None else weakref.ref(model)

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class EarlyStopping(Callback):
    """Stop training when the monitored quantity has stopped improving (Keras 3's rules).

    Each epoch counts one more in ``wait``; an improvement (better than the best so far by more
    than ``min_delta``) records the best and resets ``wait`` to 0, but only if it also beats
    ``baseline`` when one is given. Training stops once ``wait >= patience`` at an epoch that
    did not improve (never at epoch 0). Epochs before ``start_from_epoch`` are ignored.
    With ``restore_best_weights`` the weights of the best epoch are loaded back at the end of
    training, whether or not training was stopped early. ``mode="auto"``: see ``_direction``.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.verbose = monitor, mode, verbose
        self.min_delta, self.patience, self.baseline = abs(min_delta), patience, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self._reset()

    def _reset(self) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best: float | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self._warned = False
        self.direction: str | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        # Decided at the first epoch's end, as Keras, when the model's metrics exist.
        self.direction = self.direction or _direction(
            "EarlyStopping", self.monitor, self.mode, self.model
        )
        current = _monitored_value(self, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = _copy_weights(self.model), epoch
        self.wait += 1
        if _better(self.direction, current, self.best, self.min_delta):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = _copy_weights(self.model)
            if self.baseline is None or _better(
                self.direction, current, self.baseline, self.min_delta
            ):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(
                    f"Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model's weights (``model.save``, an .npz file) after each epoch, or every
    ``save_freq`` batches when it is an int.

    ``filepath`` may name the epoch (1-based) and any key of the logs:
    "ckpt/epoch{epoch:02d}-{val_loss:.2f}.npz" (and ``{batch}``, 1-based, with an int
    ``save_freq``). With ``save_best_only`` a file is written only when the monitored quantity
    beats the best so far (or ``initial_value_threshold``); with a fixed file name that file
    always holds the best model.
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        if not self.filepath.endswith(".npz"):
            raise ValueError(
                f"ModelCheckpoint: filepath must end in .npz (model.save writes numpy's .npz "
                f"format), got {self.filepath!r}"
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches, "
                f"got {save_freq!r}"
            )
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"ModelCheckpoint: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.verbose, self.mode = monitor, verbose, mode
        self.save_best_only, self.save_freq = save_best_only, save_freq
        self.best: float | None = initial_value_threshold
        self.saved: list[str] = []
        self._epoch = 0
        self._batches_since_save = 0
        self._warned = False
        self.direction: str | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._batches_since_save = 0
        self._warned = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _path(self, epoch: int, batch: int | None, logs: Logs) -> str:
        fields = {**logs, "epoch": epoch + 1}
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint: filepath {self.filepath!r} names {error}, which is not in the "
                f"logs; available: epoch, {', '.join(sorted(logs))}"
            ) from None

    def _save(self, epoch: int, batch: int | None, logs: Logs) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only and not self._improved(epoch, path, logs):
            return
        if self.verbose > 0 and not self.save_best_only:
            _print(f"Epoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self.model.save(path)
        self.saved.append(path)

    def _improved(self, epoch: int, path: str, logs: Logs) -> bool:
        """Whether the monitored value beats the best (and record it). A missing value warns
        once and saves anyway, as Keras 3."""
        self.direction = self.direction or _direction(
            "ModelCheckpoint", self.monitor, self.mode, self.model
        )
        current = _monitored_value(self, logs)
        if current is None:
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if _better(self.direction, current, self.best, 0.0):
            if self.verbose > 0:
                _print(
                    f"Epoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {path}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            _print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when the monitored quantity has not improved
    (by more than ``min_delta``) for ``patience`` epochs, then wait ``cooldown`` epochs; never
    below ``min_lr``. Keras's rules; the epoch's rate (before any cut) goes into
    ``logs["learning_rate"]``. Each parameter group is cut by the same factor.

    (``optim.ReduceLROnPlateau`` is the PyTorch form, for a hand-written loop.)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f"ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', got {mode!r}"
            )
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.mode, self.min_delta, self.cooldown, self.min_lr = mode, min_delta, cooldown, min_lr
        self._reset()

    def _reset(self) -> None:
        self.wait, self.cooldown_counter = 0, 0
        self.best = math.nan  # set from the direction at the first epoch's end
        self._warned = False
        self.direction: str | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def in_cooldown(self) -> bool:
        """Whether the last cut was less than ``cooldown`` epochs ago."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = {} if logs is None else logs
        optimizer = _optimizer(self)
        logs["learning_rate"] = _learning_rates(optimizer)[0]
        if self.direction is None:
            self.direction = _direction("ReduceLROnPlateau", self.monitor, self.mode, self.model)
            self.best = -math.inf if self.direction == "max" else math.inf
        current = _monitored_value(self, logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if _better(self.direction, current, self.best, self.min_delta):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._cut(epoch, optimizer)

    def _cut(self, epoch: int, optimizer: Any) -> None:
        """Cut every rate above ``min_lr``; if one was cut, start the cooldown."""
        rates = _learning_rates(optimizer)
        cut = [
            max(rate * self.factor, self.min_lr) if rate > self.min_lr else rate for rate in rates
        ]
        if cut == rates:
            return
        _set_learning_rates(optimizer, cut)
        if self.verbose > 0:
            _print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {cut[0]}.")
        self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate each epoch from a schedule; the epoch's rate goes into
    ``logs["learning_rate"]``. ``schedule`` is one of:

    - a Keras schedule: a function of two parameters ``(epoch, lr) -> new lr``, called at the
      start of each epoch (epoch 0-based) and applied to every parameter group;
    - an ``optim`` schedule already bound to the model's optimizer,
      ``optim.StepLR(optimizer, step_size=10)``: it set the rate of epoch 0 when created and
      is stepped at the end of each epoch (PyTorch's convention);
    - a factory of one parameter, ``lambda optimizer: optim.StepLR(optimizer, step_size=10)``:
      called with ``model.optimizer`` at the start of training to make that schedule.

    The rule: an ``LRScheduler`` instance is a schedule; other callables are told apart by
    their number of positional parameters (``inspect.signature``): one is a factory, two a
    Keras function. (Keras's older one-parameter ``schedule(epoch)`` is therefore not accepted:
    write ``lambda epoch, lr: ...``.)
    """

    def __init__(self, schedule: Callable[..., Any] | LRScheduler, verbose: int = 0) -> None:
        super().__init__()
        self.kind = _schedule_kind(schedule)
        if self.kind == "scheduler":
            _check_scheduler(schedule)
        self.schedule = schedule
        self.verbose = verbose
        self.scheduler: LRScheduler | None = schedule if self.kind == "scheduler" else None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        optimizer = _optimizer(self)
        if self.kind == "factory":
            try:
                made = self.schedule(optimizer)
            except TypeError as error:
                raise TypeError(
                    f"LearningRateScheduler: a one-parameter schedule is taken for a factory "
                    f"optimizer -> optim.LRScheduler, and calling it with the optimizer failed "
                    f"({error}); a Keras schedule takes (epoch, lr)"
                ) from error
            if not isinstance(made, LRScheduler):
                raise TypeError(
                    f"LearningRateScheduler: a one-parameter schedule is taken for a factory "
                    f"optimizer -> optim.LRScheduler, but it returned {type(made).__name__} "
                    f"{made!r}; a Keras schedule takes (epoch, lr)"
                )
            _check_scheduler(made)
            self.scheduler = made
        if self.scheduler is not None and self.scheduler.optimizer is not optimizer:
            raise ValueError(
                f"LearningRateScheduler: the {type(self.scheduler).__name__} was made for "
                "another optimizer than model.optimizer; build it on model.optimizer, or pass "
                "a factory: lambda optimizer: optim.StepLR(optimizer, ...)"
            )

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = _optimizer(self)
        if self.kind == "function":
            rate = self.schedule(epoch, _learning_rates(optimizer)[0])
            if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
                raise TypeError(
                    f"LearningRateScheduler: schedule({epoch}, lr) must return a number, got "
                    f"{type(rate).__name__} {rate!r}"
                )
            if not math.isfinite(rate) or rate < 0:
                raise ValueError(
                    f"LearningRateScheduler: schedule({epoch}, lr) returned {rate}; a learning "
                    "rate is a finite number >= 0"
                )
            _set_learning_rates(optimizer, [float(rate)] * len(_learning_rates(optimizer)))
        if self.verbose > 0:
            rate = _learning_rates(optimizer)[0]
            _print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = {} if logs is None else logs
        logs["learning_rate"] = _learning_rates(_optimizer(self))[0]
        if self.scheduler is not None:
            self.scheduler.step()


def _schedule_kind(schedule: Any) -> str:
    """The kind of schedule: "scheduler", "factory" or "function" (see LearningRateScheduler)."""
    if isinstance(schedule, LRScheduler):
        return "scheduler"
    if not callable(schedule):
        raise TypeError(
            f"LearningRateScheduler: schedule must be a function (epoch, lr), an "
            f"optim.LRScheduler or a factory optimizer -> LRScheduler, got "
            f"{type(schedule).__name__} {schedule!r}"
        )
    try:
        parameters = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: take them as (epoch, lr)
        return "function"
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    if len(positional) == 1 and not variadic:
        return "factory"
    if len(positional) >= 2 or variadic:
        return "function"
    raise TypeError(
        "LearningRateScheduler: schedule must take (epoch, lr), or be a factory taking the "
        "optimizer; it takes no positional parameter"
    )


def _check_scheduler(scheduler: LRScheduler) -> None:
    if isinstance(scheduler, _PlateauSchedule):
        raise TypeError(
            "LearningRateScheduler: optim.ReduceLROnPlateau needs the monitored metric at each "
            "step; use nn.callbacks.ReduceLROnPlateau(monitor='val_loss', ...) instead"
        )


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: a header ``epoch,<keys sorted>`` (the
    keys of the first epoch), then one row per epoch (epoch 0-based, as Keras); a key missing
    from a later epoch is written NA. ``append=True`` continues an existing file (no second
    header)."""

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys: list[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.keys = None
        if self.append:
            self._write_header = (
                not os.path.exists(self.filename) or os.path.getsize(self.filename) == 0
            )
        else:
            with open(self.filename, "w", newline=""):
                pass  # start the file afresh
            self._write_header = True

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        # The file is opened per epoch, so it is complete on disk after every epoch and never
        # left open when training is interrupted.
        with open(self.filename, "a", newline="") as file:
            writer = csv.writer(file, delimiter=self.separator, lineterminator="\n")
            if self._write_header:
                writer.writerow(["epoch", *self.keys])
                self._write_header = False
            writer.writerow([epoch, *(_csv_value(logs.get(key, "NA")) for key in self.keys)])


def _csv_value(value: Any) -> Any:
    """A log value for the CSV: numbers as they are, a sequence as "[a, b]" (Keras)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return f"[{', '.join(map(str, value))}]"
    return value


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            _print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.
    The functions take the hook's arguments: (logs) for on_train_begin/end, (epoch, logs) for
    the epoch hooks, (batch, logs) for the batch hooks. Other hooks (on_test_begin, ...) may be
    given by name as keywords."""

    def __init__(
        self,
        on_epoch_begin: Callable[[int, Logs], Any] | None = None,
        on_epoch_end: Callable[[int, Logs], Any] | None = None,
        on_train_begin: Callable[[Logs], Any] | None = None,
        on_train_end: Callable[[Logs], Any] | None = None,
        on_train_batch_begin: Callable[[int, Logs], Any] | None = None,
        on_train_batch_end: Callable[[int, Logs], Any] | None = None,
        **other_hooks: Callable[..., Any],
    ) -> None:
        super().__init__()
        unknown = sorted(set(other_hooks) - set(_HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback: unknown hook(s) {unknown}; the hooks are {', '.join(_HOOKS)}"
            )
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **other_hooks,
        }
        for name, function in hooks.items():
            if function is not None:
                leading = int("epoch" in name or "batch" in name)
                setattr(self, name, _hook(function, leading))


def _hook(function: Callable[..., Any], leading: int) -> Callable[..., None]:
    """The hook calling ``function(*leading arguments, logs)`` (the epoch or batch number, if
    the hook has one, then the logs), whether logs come positionally or by keyword."""

    def hook(*args: Any, logs: Logs | None = None) -> None:
        if len(args) > leading:
            logs = args[leading]
        function(*args[:leading], logs)

    return hook
