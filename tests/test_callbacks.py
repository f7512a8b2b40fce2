"""nn.callbacks and nn.progress, driven by a scripted training loop and a fake model (weights
that record the epoch, a real optim.SGD), so that they are tested apart from Model.fit."""

from __future__ import annotations

import io
import os
import re
import sys

import numpy as np
import pytest

import optim
from autograd import Tensor
from nn import metrics
from nn.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from nn.progress import ProgressBar, write_line


class FakeModel:
    """What a callback may use of a model. ``state_dict`` returns the live array (as a Module
    may), which the loop overwrites in place each epoch, so a callback must copy it."""

    def __init__(self, learning_rate: float = 1.0) -> None:
        self.weight = np.zeros(3)
        self.stop_training = False
        self.optimizer = optim.SGD([Tensor(np.zeros(2))], lr=learning_rate)
        self.history = None
        self.saved: list[str] = []

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"dense.weight": self.weight}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.weight[...] = state["dense.weight"]

    def save(self, path: str) -> None:
        with open(path, "wb") as file:
            np.savez(file, **self.state_dict())
        self.saved.append(os.fspath(path))

    @property
    def learning_rate(self) -> float:
        return self.optimizer.param_groups[0]["lr"]


def fit(callbacks, epoch_logs, model=None, steps=1, batch_loss=None, verbose=0):
    """Run the callbacks as Model.fit does: epoch e trains to weights all equal to e and ends
    with logs ``epoch_logs[e]``; stop when model.stop_training is set after an epoch.
    Returns the model, the epochs run and the logs dicts after the callbacks saw them."""
    model = FakeModel() if model is None else model
    params = {"epochs": len(epoch_logs), "steps": steps, "verbose": verbose}
    callback_list = CallbackList(callbacks, model, params, add_history=True)
    callback_list.on_train_begin()
    ran, seen_logs = [], []
    for epoch, scripted in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            model.weight[...] = epoch
            loss = scripted.get("loss", 0.0) if batch_loss is None else batch_loss(epoch, batch)
            callback_list.on_train_batch_end(batch, {"loss": loss})
        logs = dict(scripted)
        callback_list.on_epoch_end(epoch, logs)
        ran.append(epoch)
        seen_logs.append(logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return model, ran, seen_logs


def val_losses(*values: float) -> list[dict[str, float]]:
    return [{"loss": value + 0.1, "val_loss": value} for value in values]


# ----- CallbackList and History -----


class Recorder(Callback):
    def __init__(self, name: str, calls: list) -> None:
        super().__init__()
        self.name, self.calls = name, calls

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append((self.name, epoch))
        logs[self.name] = epoch


def test_callback_list_calls_each_hook_on_every_callback_in_order():
    calls = []
    fit([Recorder("a", calls), Recorder("b", calls)], val_losses(1.0, 0.9))
    assert calls == [("a", 0), ("b", 0), ("a", 1), ("b", 1)]


def test_callback_list_shares_one_logs_dict_so_later_callbacks_see_earlier_additions():
    model, _, logs = fit([Recorder("a", [])], val_losses(1.0, 0.9))
    assert [entry["a"] for entry in logs] == [0, 1]
    assert model.history.history["a"] == [0, 1]  # History, appended last, recorded it


def test_callback_list_gives_every_callback_the_model_and_params():
    callback, model = Callback(), FakeModel()
    CallbackList([callback], model, {"epochs": 3, "steps": 5, "verbose": 0})
    assert callback.model is model
    assert callback.params == {"epochs": 3, "steps": 5, "verbose": 0}


def test_callback_list_refuses_what_is_not_a_callback():
    with pytest.raises(TypeError, match="expected Callback objects, got function"):
        CallbackList([lambda epoch, logs: None])


def test_callback_list_adds_history_and_progress_bar_only_when_missing():
    history = History()
    callback_list = CallbackList([history], add_history=True, add_progress_bar=True)
    assert callback_list.history is history
    assert [type(c) for c in callback_list] == [History, ProgressBar]


def test_history_records_each_epochs_logs_and_sets_model_history():
    history = History()
    model, _, _ = fit([history], val_losses(1.0, 0.9, 0.8))
    assert history.epoch == [0, 1, 2]
    assert history.history == {
        "loss": pytest.approx([1.1, 1.0, 0.9]),
        "val_loss": [1.0, 0.9, 0.8],
    }
    assert model.history is history
    assert history.model is model
    assert history.params["epochs"] == 3


def test_train_batch_hooks_call_keras_older_batch_hook_names():
    seen = []

    class OldStyle(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    fit([OldStyle()], val_losses(1.0), steps=3)
    assert seen == [0, 1, 2]


# ----- EarlyStopping -----


def test_early_stopping_matches_keras_reference_run():
    # Keras 3: EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True) on these
    # val losses stops at epoch index 5 and restores the weights of epoch index 3.
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model, ran, _ = fit([stopper], val_losses(1.0, 0.9, 0.95, 0.85, 0.86, 0.87, 0.8, 0.7))
    assert ran == [0, 1, 2, 3, 4, 5]
    assert stopper.stopped_epoch == 5
    assert stopper.best_epoch == 3
    assert stopper.best == 0.85
    np.testing.assert_array_equal(model.weight, [3, 3, 3])


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, ran, _ = fit([EarlyStopping(patience=2)], val_losses(1.0, 0.9, 0.95, 0.85, 0.86, 0.87))
    assert ran[-1] == 5
    np.testing.assert_array_equal(model.weight, [5, 5, 5])


def test_early_stopping_restores_best_weights_even_when_it_never_stopped():
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    model, ran, _ = fit([stopper], val_losses(1.0, 0.5, 0.7, 0.8))
    assert ran == [0, 1, 2, 3]
    assert stopper.stopped_epoch == 0
    np.testing.assert_array_equal(model.weight, [1, 1, 1])


def test_early_stopping_with_patience_0_stops_at_the_first_epoch_without_improvement():
    _, ran, _ = fit([EarlyStopping()], val_losses(1.0, 0.9, 0.9, 0.8))
    assert ran == [0, 1, 2]


def test_early_stopping_min_delta_requires_a_large_enough_improvement():
    _, ran, _ = fit([EarlyStopping(min_delta=0.1, patience=1)], val_losses(1.0, 0.95, 0.91))
    assert ran == [0, 1]  # 0.95 is not better than 1.0 by more than 0.1
    _, ran, _ = fit([EarlyStopping(min_delta=-0.01, patience=1)], val_losses(1.0, 0.95, 0.9))
    assert ran == [0, 1, 2]  # the sign of min_delta does not matter


def test_early_stopping_baseline_not_beaten_stops_after_patience_epochs():
    # Improvements that do not beat the baseline do not reset the wait: 0.9 and 0.8 improve
    # but stay above 0.5, so the wait reaches 3 >= patience at the first epoch that does not
    # improve.
    _, ran, _ = fit([EarlyStopping(patience=2, baseline=0.5)], val_losses(0.9, 0.8, 0.85, 0.7))
    assert ran == [0, 1, 2]


def test_early_stopping_baseline_beaten_resets_the_wait():
    _, ran, _ = fit([EarlyStopping(patience=2, baseline=0.95)], val_losses(0.9, 0.8, 0.85, 0.7))
    assert ran == [0, 1, 2, 3]


def test_early_stopping_auto_mode_maximizes_accuracy():
    epochs = [{"val_accuracy": value} for value in (0.5, 0.6, 0.55, 0.58, 0.57)]
    stopper = EarlyStopping(monitor="val_accuracy", patience=2)
    _, ran, _ = fit([stopper], epochs)
    assert ran == [0, 1, 2, 3]  # minimizing would stop at epoch 2
    assert stopper.best == 0.6


def test_early_stopping_explicit_mode_max():
    epochs = [{"val_score": value} for value in (0.5, 0.6, 0.55, 0.58, 0.57)]
    _, ran, _ = fit([EarlyStopping(monitor="val_score", patience=2, mode="max")], epochs)
    assert ran == [0, 1, 2, 3]


def test_early_stopping_auto_mode_reads_the_models_metric_direction():
    model = FakeModel()
    model.metrics = [metrics.MeanMetricWrapper(lambda t, p: t, name="score")]
    model.metrics[0].direction = "up"
    epochs = [{"val_score": value} for value in (0.5, 0.6, 0.55, 0.58, 0.57)]
    _, ran, _ = fit([EarlyStopping(monitor="val_score", patience=2)], epochs, model=model)
    assert ran == [0, 1, 2, 3]


def test_early_stopping_start_from_epoch_ignores_the_warm_up_epochs():
    _, ran, _ = fit([EarlyStopping(start_from_epoch=2)], val_losses(1.0, 2.0, 3.0, 2.5, 2.6))
    assert ran == [0, 1, 2, 3, 4]


def test_early_stopping_on_an_unknown_monitor_warns_once_listing_keys_and_never_stops():
    with pytest.warns(
        UserWarning, match=r"'val_acc' is not in the logs; available keys: loss, val_loss"
    ) as records:
        model, ran, _ = fit([EarlyStopping(monitor="val_acc")], val_losses(1.0, 2.0, 3.0, 4.0))
    assert len(records) == 1
    assert ran == [0, 1, 2, 3]
    assert model.stop_training is False


def test_early_stopping_can_be_reused_for_a_second_training_run():
    stopper = EarlyStopping(patience=1)
    fit([stopper], val_losses(0.1, 0.2, 0.3))
    _, ran, _ = fit([stopper], val_losses(1.0, 0.9, 0.8))
    assert ran == [0, 1, 2]


def test_early_stopping_verbose_reports_the_stop_and_the_restore(capsys):
    fit([EarlyStopping(patience=1, restore_best_weights=True, verbose=1)], val_losses(1, 2, 3))
    assert capsys.readouterr().out == (
        "Epoch 2: early stopping\nRestoring model weights from the end of the best epoch: 1.\n"
    )


def test_early_stopping_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max', got 'maximum'"):
        EarlyStopping(mode="maximum")


# ----- ModelCheckpoint -----


def saved_epoch(path) -> float:
    with np.load(path) as saved:
        return float(saved["dense.weight"][0])


def test_model_checkpoint_formats_epoch_from_1_and_log_values_into_the_path(tmp_path):
    pattern = os.fspath(tmp_path / "w-{epoch:02d}-{val_loss:.2f}.npz")
    fit([ModelCheckpoint(pattern)], val_losses(1.0, 0.9, 0.95))
    assert sorted(os.listdir(tmp_path)) == ["w-01-1.00.npz", "w-02-0.90.npz", "w-03-0.95.npz"]
    assert saved_epoch(tmp_path / "w-03-0.95.npz") == 2


def test_model_checkpoint_save_best_only_saves_only_improvements(tmp_path):
    path = tmp_path / "best.npz"
    model, _, _ = fit([ModelCheckpoint(path, save_best_only=True)], val_losses(1, 0.9, 0.95, 0.85))
    assert len(model.saved) == 3  # epochs 0, 1 and 3
    assert saved_epoch(path) == 3


def test_model_checkpoint_save_best_only_with_epoch_names(tmp_path):
    pattern = tmp_path / "e{epoch}.npz"
    fit([ModelCheckpoint(pattern, save_best_only=True)], val_losses(1.0, 0.9, 0.95, 0.85, 0.9))
    assert sorted(os.listdir(tmp_path)) == ["e1.npz", "e2.npz", "e4.npz"]


def test_model_checkpoint_auto_mode_maximizes_accuracy(tmp_path):
    epochs = [{"val_accuracy": value} for value in (0.5, 0.7, 0.6, 0.8)]
    fit([ModelCheckpoint(tmp_path / "e{epoch}.npz", "val_accuracy", save_best_only=True)], epochs)
    assert sorted(os.listdir(tmp_path)) == ["e1.npz", "e2.npz", "e4.npz"]


def test_model_checkpoint_initial_value_threshold_is_the_first_best(tmp_path):
    callback = ModelCheckpoint(
        tmp_path / "e{epoch}.npz", save_best_only=True, initial_value_threshold=0.92
    )
    fit([callback], val_losses(1.0, 0.9, 0.95))
    assert os.listdir(tmp_path) == ["e2.npz"]


def test_model_checkpoint_integer_save_freq_saves_every_n_batches(tmp_path):
    pattern = tmp_path / "e{epoch}b{batch}.npz"
    fit([ModelCheckpoint(pattern, save_freq=2)], val_losses(1.0, 0.9), steps=3)
    assert sorted(os.listdir(tmp_path)) == ["e1b2.npz", "e2b1.npz", "e2b3.npz"]


def test_model_checkpoint_creates_missing_directories(tmp_path):
    fit([ModelCheckpoint(tmp_path / "runs" / "a" / "w{epoch}.npz")], val_losses(1.0))
    assert os.listdir(tmp_path / "runs" / "a") == ["w1.npz"]


def test_model_checkpoint_verbose_reports_improvements(tmp_path, capsys):
    path = os.fspath(tmp_path / "best.npz")
    fit([ModelCheckpoint(path, save_best_only=True, verbose=1)], val_losses(1.0, 1.5))
    assert capsys.readouterr().out == (
        f"Epoch 1: val_loss improved from None to 1.00000, saving model to {path}\n"
        "Epoch 2: val_loss did not improve from 1.00000\n"
    )


def test_model_checkpoint_path_must_be_npz():
    with pytest.raises(ValueError, match=r"must end in \.npz.*'model\.keras'"):
        ModelCheckpoint("model.keras")


def test_model_checkpoint_path_naming_a_missing_key_is_an_error(tmp_path):
    callback = ModelCheckpoint(tmp_path / "w{val_acc:.2f}.npz")
    with pytest.raises(KeyError, match=r"names 'val_acc'.*available: epoch, loss, val_loss"):
        fit([callback], val_losses(1.0))


def test_model_checkpoint_rejects_a_bad_save_freq():
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive number"):
        ModelCheckpoint("w.npz", save_freq="batch")


# ----- ReduceLROnPlateau -----


def test_reduce_lr_on_plateau_follows_a_hand_computed_run():
    # patience 2, factor 0.5, cooldown 1, min_lr 0.2, lr 1. By hand (Keras's rules):
    # e0 best=1; e1 wait 1; e2 wait 2 -> lr 0.5, cooldown 1; e3 cooldown ends, wait 1;
    # e4 wait 2 -> lr 0.25; e5 cooldown ends, wait 1; e6 0.5 improves; e7 wait 1;
    # e8 wait 2 -> lr max(0.125, 0.2) = 0.2; e9 cooldown ends, wait 1; e10 wait 2, lr is at
    # min_lr: no cut; e11 wait 3, no cut.
    callback = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2, min_delta=0)
    model = FakeModel(learning_rate=1.0)
    rates = []
    tracker = LambdaCallback(on_epoch_end=lambda epoch, logs: rates.append(model.learning_rate))
    losses = [1.0] * 6 + [0.5] * 6
    _, _, logs = fit([callback, tracker], val_losses(*losses), model=model)
    assert rates == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]
    # logs["learning_rate"] is the rate the epoch trained with (before that epoch's cut)
    assert [entry["learning_rate"] for entry in logs] == [1, 1, 1, 0.5, 0.5] + [0.25] * 4 + [
        0.2
    ] * 3


def test_reduce_lr_on_plateau_min_delta_is_absolute():
    model = FakeModel(learning_rate=1.0)
    callback = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1)
    fit([callback], val_losses(1.0, 0.95), model=model)
    assert model.learning_rate == 0.5  # 0.95 is not below 1.0 - 0.1


def test_reduce_lr_on_plateau_cuts_every_parameter_group():
    model = FakeModel()
    model.optimizer = optim.SGD(
        [{"params": [Tensor(np.zeros(1))], "lr": 0.4}, {"params": [Tensor(np.zeros(1))]}], lr=0.8
    )
    fit([ReduceLROnPlateau(factor=0.5, patience=1)], val_losses(1.0, 1.0), model=model)
    assert [group["lr"] for group in model.optimizer.param_groups] == [0.2, 0.4]


def test_reduce_lr_on_plateau_verbose_reports_the_cut(capsys):
    fit([ReduceLROnPlateau(factor=0.5, patience=1, verbose=1)], val_losses(1.0, 1.0))
    assert capsys.readouterr().out == "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.5.\n"


def test_reduce_lr_on_plateau_rejects_a_factor_of_1_or_more():
    with pytest.raises(ValueError, match=r"factor must be in \[0, 1\), got 1.5"):
        ReduceLROnPlateau(factor=1.5)


# ----- LearningRateScheduler -----


def epoch_rates(callback, epochs: int = 4, model=None):
    """The learning rate each epoch trained with, as LambdaCallback sees it after epoch begin,
    and the learning_rate the callback logged."""
    model = FakeModel(learning_rate=1.0) if model is None else model
    rates = []
    tracker = LambdaCallback(on_epoch_begin=lambda epoch, logs: rates.append(model.learning_rate))
    _, _, logs = fit([callback, tracker], val_losses(*[1.0] * epochs), model=model)
    return rates, [entry["learning_rate"] for entry in logs], model


def test_learning_rate_scheduler_with_a_keras_function_of_epoch_and_lr():
    callback = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5)
    rates, logged, _ = epoch_rates(callback)
    assert rates == [1.0, 1.0, 0.5, 0.25]
    assert logged == rates


def test_learning_rate_scheduler_steps_an_optim_schedule_at_each_epoch_end():
    model = FakeModel(learning_rate=1.0)
    schedule = optim.StepLR(model.optimizer, step_size=2, gamma=0.5)
    rates, logged, model = epoch_rates(LearningRateScheduler(schedule), model=model)
    assert rates == [1.0, 1.0, 0.5, 0.5]
    assert logged == rates
    assert schedule.last_epoch == 4
    assert model.learning_rate == 0.25


def test_learning_rate_scheduler_builds_an_optim_schedule_from_a_factory():
    factory = LearningRateScheduler(lambda optimizer: optim.StepLR(optimizer, 2, gamma=0.5))
    rates, logged, _ = epoch_rates(factory)
    assert rates == [1.0, 1.0, 0.5, 0.5]
    assert logged == rates


def test_learning_rate_scheduler_refuses_a_schedule_of_another_optimizer():
    other = optim.SGD([Tensor(np.zeros(1))], lr=1.0)
    callback = LearningRateScheduler(optim.ExponentialLR(other, gamma=0.5))
    with pytest.raises(ValueError, match=r"another optimizer than model\.optimizer"):
        fit([callback], val_losses(1.0))


def test_learning_rate_scheduler_refuses_optims_reduce_lr_on_plateau():
    plateau = optim.ReduceLROnPlateau(optim.SGD([Tensor(np.zeros(1))], lr=1.0))
    with pytest.raises(TypeError, match=r"use nn\.callbacks\.ReduceLROnPlateau"):
        LearningRateScheduler(plateau)


def test_learning_rate_scheduler_factory_must_return_a_schedule():
    callback = LearningRateScheduler(lambda optimizer: 0.1)
    with pytest.raises(TypeError, match=r"returned float 0\.1; a Keras schedule takes"):
        fit([callback], val_losses(1.0))


def test_learning_rate_scheduler_function_must_return_a_number():
    callback = LearningRateScheduler(lambda epoch, lr: "fast")
    with pytest.raises(TypeError, match=r"schedule\(0, lr\) must return a number, got str"):
        fit([callback], val_losses(1.0))


# ----- CSVLogger, TerminateOnNaN, LambdaCallback -----


def test_csv_logger_writes_a_header_of_sorted_keys_and_a_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    epochs = [{"val_loss": 0.5, "loss": 0.75, "accuracy": 0.25}, {"val_loss": 0.25, "loss": 0.5}]
    fit([CSVLogger(path)], epochs)
    assert path.read_text() == "epoch,accuracy,loss,val_loss\n0,0.25,0.75,0.5\n1,NA,0.5,0.25\n"


def test_csv_logger_separator(tmp_path):
    path = tmp_path / "log.csv"
    fit([CSVLogger(path, separator=";")], [{"loss": 0.5, "val_loss": 0.25}])
    assert path.read_text() == "epoch;loss;val_loss\n0;0.5;0.25\n"


def test_csv_logger_append_continues_the_file_without_a_second_header(tmp_path):
    path = tmp_path / "log.csv"
    fit([CSVLogger(path)], [{"loss": 0.5}])
    fit([CSVLogger(path, append=True)], [{"loss": 0.25}])
    assert path.read_text() == "epoch,loss\n0,0.5\n0,0.25\n"


def test_csv_logger_without_append_starts_afresh(tmp_path):
    path = tmp_path / "log.csv"
    fit([CSVLogger(path)], [{"loss": 0.5}])
    fit([CSVLogger(path)], [{"loss": 0.25}])
    assert path.read_text() == "epoch,loss\n0,0.25\n"


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_terminate_on_nan_stops_when_a_batch_loss_is_not_finite(bad, capsys):
    def batch_loss(epoch, batch):
        return bad if (epoch, batch) == (1, 1) else 0.5

    model, ran, _ = fit([TerminateOnNaN()], val_losses(1, 1, 1, 1), steps=3, batch_loss=batch_loss)
    assert model.stop_training is True
    assert ran == [0, 1]
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_terminate_on_nan_leaves_finite_losses_alone():
    model, ran, _ = fit([TerminateOnNaN()], val_losses(1.0, 2.0), steps=2)
    assert model.stop_training is False
    assert ran == [0, 1]


def test_lambda_callback_calls_the_given_functions_with_the_hooks_arguments():
    calls = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {logs['loss']}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {logs['val_loss']}"),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    fit([callback], [{"loss": 0.5, "val_loss": 0.25}])
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_end 0 0.5",
        "epoch_end 0 0.25",
        "train_end",
    ]


def test_lambda_callback_takes_other_hooks_by_name():
    calls = []
    callback = LambdaCallback(on_test_end=lambda logs: calls.append(logs["loss"]))
    CallbackList([callback]).on_test_end({"loss": 0.5})
    assert calls == [0.5]


def test_lambda_callback_rejects_an_unknown_hook():
    with pytest.raises(TypeError, match=r"unknown hook\(s\) \['on_epoch_finish'\]"):
        LambdaCallback(on_epoch_finish=print)


# ----- ProgressBar -----


class FakeClock:
    """2 ms per call: the bar reads the clock once at its start, once per batch and once at
    the end; the time per step leaves out the first step once there are more (Keras), so
    n steps show (2n + 2 - 2) ms / (n - 1) per step."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> float:
        self.calls += 1
        return (self.calls - 1) * 0.002


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


BAR = "━" * 20
KERAS_LOGS = {"loss": 0.0712, "accuracy": 0.9736, "val_loss": 0.0603, "val_accuracy": 0.9825}


def progress_run(epochs=3, steps=15, verbose=1, extra=(), clock=None, interval=0.05):
    """A training run with a ProgressBar; batches log running values, epochs KERAS_LOGS."""
    bar = ProgressBar(clock=clock or FakeClock(), interval=interval)
    model = FakeModel()
    params = {"epochs": epochs, "steps": steps, "verbose": verbose}
    callback_list = CallbackList([*extra, bar], model, params)
    callback_list.on_train_begin()
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            callback_list.on_train_batch_end(batch, {"loss": 0.5 / (batch + 1), "accuracy": 0.9})
        callback_list.on_test_begin()
        callback_list.on_test_batch_end(0, {"loss": 0.06})
        callback_list.on_test_end({"loss": 0.06})
        callback_list.on_epoch_end(epoch, dict(KERAS_LOGS))
    callback_list.on_train_end()


def test_progress_verbose_0_prints_nothing(capsys):
    progress_run(verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_verbose_1_off_a_terminal_prints_one_keras_line_per_epoch(capsys):
    progress_run(epochs=3, steps=15, verbose=1)
    expected_line = (
        f"15/15 {BAR} 0s 2ms/step - accuracy: 0.9736 - loss: 0.0712 - val_accuracy: 0.9825 "
        "- val_loss: 0.0603"
    )
    lines = capsys.readouterr().out.split("\n")
    assert lines == [
        "Epoch 1/3",
        expected_line,
        "Epoch 2/3",
        expected_line,
        "Epoch 3/3",
        expected_line,
        "",
    ]


def test_progress_verbose_1_with_the_real_clock_keeps_the_format(capsys):
    bar = ProgressBar()
    callback_list = CallbackList([bar], FakeModel(), {"epochs": 2, "steps": 4, "verbose": 1})
    callback_list.on_train_begin()
    for epoch in range(2):
        callback_list.on_epoch_begin(epoch)
        for batch in range(4):
            callback_list.on_train_batch_end(batch, {"loss": 0.5})
        callback_list.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.25})
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4
    assert re.fullmatch(
        rf"4/4 {BAR} \d+s \d+(us|ms|s)/step - loss: 0.5000 - val_loss: 0.2500", out[1]
    )


def test_progress_single_epoch_has_no_epoch_line_as_keras(capsys):
    progress_run(epochs=1, steps=15, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("15/15 ")
    assert out.count("\n") == 1


def test_progress_verbose_2_prints_the_short_line(capsys):
    progress_run(epochs=2, steps=15, verbose=2)
    expected_line = (
        "15/15 - 0s - 2ms/step - accuracy: 0.9736 - loss: 0.0712 - val_accuracy: 0.9825 "
        "- val_loss: 0.0603"
    )
    assert capsys.readouterr().out == f"Epoch 1/2\n{expected_line}\nEpoch 2/2\n{expected_line}\n"


def test_progress_shows_keys_added_by_callbacks_after_the_validation_values(capsys):
    reduce = ReduceLROnPlateau(monitor="val_loss")
    progress_run(epochs=1, steps=3, verbose=2, extra=[reduce])
    assert capsys.readouterr().out.endswith("val_loss: 0.0603 - learning_rate: 1.0000\n")


def test_progress_shows_small_values_in_scientific_notation(capsys):
    bar = ProgressBar(clock=FakeClock())
    callback_list = CallbackList([bar], FakeModel(), {"epochs": 1, "steps": 1, "verbose": 2})
    callback_list.on_epoch_begin(0)
    callback_list.on_train_batch_end(0, {"loss": 1.23456e-5})
    callback_list.on_epoch_end(0, {"loss": 1.23456e-5, "val_loss": -0.5})
    assert capsys.readouterr().out == "1/1 - 0s - 4ms/step - loss: 1.2346e-05 - val_loss: -0.5000\n"


def test_progress_on_a_terminal_redraws_in_place_and_ends_each_epoch_with_a_newline(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    progress_run(epochs=2, steps=15, verbose=1, interval=0)
    out = terminal.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    epochs = plain.split("\n")
    assert epochs[0] == "Epoch 1/2"
    redraws = epochs[1].split("\r")[1:]
    assert len(redraws) == 16  # 15 batches and the final line
    assert redraws[0].startswith(f" 1/15 {BAR} 0s 2ms/step - accuracy: 0.9000 - loss: 0.5000")
    assert redraws[-1].rstrip() == (
        f"15/15 {BAR} 0s 2ms/step - accuracy: 0.9736 - loss: 0.0712 - val_accuracy: 0.9825 "
        "- val_loss: 0.0603"
    )
    assert epochs[2] == "Epoch 2/2"
    assert out.endswith("\n")


def test_progress_on_a_terminal_redraws_at_most_every_interval(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    progress_run(epochs=1, steps=15, verbose=1, interval=0.05)  # the clock moves 2 ms a step
    assert terminal.getvalue().count("\r") == 2  # the first batch and the final line


def test_messages_during_a_terminal_bar_start_on_a_new_line(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    bar = ProgressBar(clock=FakeClock(), interval=0)
    callback_list = CallbackList([bar], FakeModel(), {"epochs": 1, "steps": 2, "verbose": 1})
    callback_list.on_epoch_begin(0)
    callback_list.on_train_batch_end(0, {"loss": 0.5})
    write_line("Epoch 1: saving model")
    callback_list.on_epoch_end(0, {"loss": 0.5})
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue()).split("\n")
    assert lines[1] == "Epoch 1: saving model"
    assert lines[2].startswith("\r2/2 ")


def test_progress_of_evaluate_outside_fit_shows_one_bar(capsys):
    bar = ProgressBar(clock=FakeClock())
    callback_list = CallbackList([bar], FakeModel(), {"epochs": 1, "steps": 4, "verbose": 1})
    callback_list.on_test_begin()
    for batch in range(4):
        callback_list.on_test_batch_end(batch, {"loss": 0.25})
    callback_list.on_test_end({"loss": 0.25, "accuracy": 0.75})
    assert capsys.readouterr().out == f"4/4 {BAR} 0s 3ms/step - loss: 0.2500 - accuracy: 0.7500\n"


def test_progress_with_unknown_steps_counts_them_at_the_end(capsys):
    bar = ProgressBar(clock=FakeClock())
    callback_list = CallbackList([bar], FakeModel(), {"epochs": 1, "steps": None, "verbose": 1})
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    for batch in range(3):
        callback_list.on_train_batch_end(batch, {"loss": 0.25})
    callback_list.on_epoch_end(0, {"loss": 0.25})
    assert capsys.readouterr().out == f"3/3 {BAR} 0s 3ms/step - loss: 0.2500\n"
