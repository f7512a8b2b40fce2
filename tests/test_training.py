"""Model.compile / fit / evaluate / predict (nn.training) through Sequential, as Keras defines
them: the guide's breast-cancer run (E19), History, batching, the epoch loss, validation,
weights, regularization, modes, optimizers, callbacks in a real fit, metrics against
scikit-learn, errors that name the problem, the progress display, and weights round trips."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pytest

import nn.layers
import optim
from autograd import Tensor, is_grad_enabled
from nn.callbacks import Callback, EarlyStopping, History, LambdaCallback, ModelCheckpoint
from nn.layers import Dense, Layer
from nn.models import Sequential
from nn.random import global_rng, set_random_seed
from nn.regularizers import l2
from nn.training import Model

# ----- helpers -----


class Call(NamedTuple):
    """What a Recorder saw in one call."""

    inputs: np.ndarray
    training: bool
    grad_enabled: bool
    requires_grad: bool


class Recorder(Layer):
    """An identity layer that records every batch passing through it: the inputs, the mode,
    whether a graph is being recorded, and whether its input is part of a graph."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._calls: list[Call] = []  # private: the module walker does not look inside

    @property
    def calls(self) -> list[Call]:
        return self._calls

    def call(self, x: Tensor) -> Tensor:
        self._calls.append(
            Call(np.array(x.data, copy=True), self.training, is_grad_enabled(), x.requires_grad)
        )
        return x


class NoiseWhenTraining(Layer):
    """Stand-in for Dropout(0.5) while nn.layers has none: zero half the inputs (and double
    the rest) in training mode, the identity otherwise."""

    def __init__(self, rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        keep = global_rng().random(x.shape) >= self.rate
        return x * Tensor((keep / (1 - self.rate)).astype(np.float32))


def binary_data(n: int = 100, features: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A linearly separable binary problem: float32 inputs, 0/1 labels of shape (n,)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = (x @ rng.normal(size=features) > 0).astype(np.float32)
    return x, y


def small_model(features: int = 4, seed: int = 0, *, first: Layer | None = None) -> Sequential:
    """features → 8 (relu) → 1 (sigmoid), weights drawn after set_random_seed(seed); ``first``
    is an extra layer (a Recorder) placed before the Dense layers."""
    set_random_seed(seed)
    if first is None:
        hidden = Dense(8, activation="relu", input_shape=(features,))
        return Sequential([hidden, Dense(1, activation="sigmoid")])
    return Sequential([first, Dense(8, activation="relu"), Dense(1, activation="sigmoid")])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def forward_by_hand(weights: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """The small_model forward pass in float64 numpy: relu(x W1 + b1) W2 + b2, then sigmoid."""
    k1, b1, k2, b2 = (np.asarray(w, dtype=np.float64) for w in weights)
    return sigmoid(np.maximum(x @ k1 + b1, 0) @ k2 + b2)


def bce_by_hand(y: np.ndarray, p: np.ndarray) -> float:
    """Keras's binary cross-entropy, probabilities clipped to [1e-7, 1 - 1e-7]."""
    p = np.clip(np.asarray(p, dtype=np.float64).reshape(-1), 1e-7, 1 - 1e-7)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@pytest.fixture(scope="module")
def breast_cancer() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The guide's E19 data: 80/20 split with random_state=42, standardized."""
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    data = datasets.load_breast_cancer()
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        data.data, data.target, test_size=0.2, random_state=42
    )
    scaler = preprocessing.StandardScaler()
    return scaler.fit_transform(x_train), scaler.transform(x_test), y_train, y_test


def guide_classifier(features: int = 30) -> Sequential:
    """E19's network: features → 16 (relu) → 8 (relu) → 1 (sigmoid)."""
    return Sequential(
        [
            Dense(16, activation="relu", input_shape=(features,)),
            Dense(8, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )


# ----- E19 end to end -----


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_guide_breast_cancer_classifier_reaches_95_percent_test_accuracy(breast_cancer, seed):
    x_train, x_test, y_train, y_test = breast_cancer
    set_random_seed(seed)
    model = guide_classifier()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(
        x_train, y_train, epochs=50, batch_size=32, validation_data=(x_test, y_test), verbose=0
    )
    predicted = (model.predict(x_test) > 0.5).astype(int).ravel()
    assert np.mean(predicted == y_test) >= 0.95


# ----- History -----


@pytest.fixture(scope="module")
def history_run() -> tuple[Sequential, History]:
    x, y = binary_data(n=60)
    x_val, y_val = binary_data(n=20, seed=1)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=16, validation_data=(x_val, y_val), verbose=0)
    return model, history


def test_history_has_loss_metric_and_validation_keys(history_run):
    _, history = history_run
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_history_holds_one_value_per_epoch_for_every_key(history_run):
    _, history = history_run
    assert {key: len(values) for key, values in history.history.items()} == dict.fromkeys(
        history.history, 4
    )
    assert all(math.isfinite(v) for values in history.history.values() for v in values)


def test_history_epoch_lists_the_epoch_indices_from_0(history_run):
    _, history = history_run
    assert history.epoch == [0, 1, 2, 3]


def test_fit_returns_the_history_it_keeps_as_model_history(history_run):
    model, history = history_run
    assert isinstance(history, History)
    assert model.history is history


# ----- batching -----


def test_each_epoch_takes_ceil_n_over_batch_size_steps():
    x, y = binary_data(n=100)
    model = small_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    steps: list[int] = []
    counter = LambdaCallback(on_train_batch_end=lambda batch, logs: steps.append(batch))
    model.fit(x, y, batch_size=32, epochs=3, callbacks=[counter], verbose=0)
    assert steps == [0, 1, 2, 3] * 3  # ⌈100 / 32⌉ = 4 steps an epoch


def test_fit_tells_callbacks_the_number_of_steps_per_epoch():
    x, y = binary_data(n=100)
    model = small_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    seen: list[dict[str, Any]] = []

    class Params(Callback):
        def on_train_begin(self, logs=None):
            seen.append(dict(self.params))

    model.fit(x, y, batch_size=32, epochs=2, callbacks=[Params()], verbose=0)
    assert seen[0]["steps"] == 4 and seen[0]["epochs"] == 2


def test_the_last_batch_of_an_epoch_holds_the_remaining_samples():
    x, y = binary_data(n=100)
    recorder = Recorder(input_shape=(4,))
    model = small_model(first=recorder)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert [len(call.inputs) for call in recorder.calls] == [32, 32, 32, 4] * 2


def test_every_sample_is_seen_once_an_epoch_in_a_shuffled_order():
    x, y = binary_data(n=50)
    x[:, 0] = np.arange(50)  # the first feature names the sample
    recorder = Recorder(input_shape=(4,))
    model = small_model(first=recorder)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, seed=0)
    seen = np.concatenate([call.inputs[:, 0] for call in recorder.calls])
    first_epoch, second_epoch = seen[:50], seen[50:]
    assert sorted(first_epoch) == sorted(second_epoch) == list(range(50))
    assert not np.array_equal(first_epoch, np.arange(50))
    assert not np.array_equal(first_epoch, second_epoch)


def test_shuffle_false_feeds_the_samples_in_order():
    x, y = binary_data(n=50)
    x[:, 0] = np.arange(50)
    recorder = Recorder(input_shape=(4,))
    model = small_model(first=recorder)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    seen = np.concatenate([call.inputs[:, 0] for call in recorder.calls])
    assert seen.tolist() == list(range(50))


def test_the_epoch_loss_is_the_batch_size_weighted_mean_of_the_batch_losses():
    x, y = binary_data(n=70)
    model = small_model()
    model.compile(optimizer=optim.SGD(learning_rate=0.5), loss="binary_crossentropy")
    weights_before: list[list[np.ndarray]] = []
    snapshot = LambdaCallback(
        on_train_batch_begin=lambda batch, logs: weights_before.append(model.get_weights())
    )
    history = model.fit(
        x, y, batch_size=32, epochs=1, shuffle=False, callbacks=[snapshot], verbose=0
    )
    batches = [slice(0, 32), slice(32, 64), slice(64, 70)]
    losses = [
        bce_by_hand(y[batch], forward_by_hand(weights, x[batch]))
        for weights, batch in zip(weights_before, batches)
    ]
    weighted = (32 * losses[0] + 32 * losses[1] + 6 * losses[2]) / 70
    assert abs(weighted - np.mean(losses)) > 1e-3  # the two means differ on this run
    assert history.history["loss"][0] == pytest.approx(weighted, rel=1e-5)


def test_set_random_seed_makes_a_whole_fit_reproducible():
    x, y = binary_data(n=50)
    runs = []
    for _ in range(2):
        model = small_model(seed=11)  # seeds the global generator, then draws the weights
        model.compile(optimizer="adam", loss="binary_crossentropy")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)  # shuffles from the same generator
        runs.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


# ----- validation -----


def indexed_data(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """x whose first feature is the sample's index, y = index parity."""
    x, _ = binary_data(n=n)
    x[:, 0] = np.arange(n)
    return x, (np.arange(n) % 2).astype(np.float32)


def test_validation_split_holds_out_the_last_samples_before_shuffling():
    x, y = indexed_data(100)
    recorder = Recorder(input_shape=(4,))
    model = small_model(first=recorder)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, validation_split=0.2, verbose=0, seed=0)
    trained = np.concatenate([c.inputs[:, 0] for c in recorder.calls if c.training])
    validated = np.concatenate([c.inputs[:, 0] for c in recorder.calls if not c.training])
    assert sorted(trained) == list(range(80))
    assert sorted(validated) == list(range(80, 100))


def test_val_loss_equals_evaluate_on_the_held_out_last_fraction():
    x, y = indexed_data(100)
    x[:, 0] /= 100  # keep the inputs small
    model = small_model()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=0)
    loss, accuracy = model.evaluate(x[75:], y[75:])
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy)


def test_validation_data_wins_over_validation_split():
    x, y = indexed_data(100)
    x_val, y_val = indexed_data(10)
    x_val[:, 0] += 1000  # validation samples are told apart by their first feature
    recorder = Recorder(input_shape=(4,))
    model = small_model(first=recorder)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(
        x, y, batch_size=16, epochs=1, validation_split=0.5, validation_data=(x_val, y_val),
        verbose=0,
    )  # fmt: skip
    trained = np.concatenate([c.inputs[:, 0] for c in recorder.calls if c.training])
    validated = np.concatenate([c.inputs[:, 0] for c in recorder.calls if not c.training])
    assert sorted(trained) == list(range(100))
    assert sorted(validated) == list(range(1000, 1010))


# ----- weights -----


def test_class_weight_trains_exactly_as_the_equivalent_sample_weight():
    x, y = binary_data(n=64)
    class_weight = {0: 1.0, 1: 3.0}
    runs = []
    for kwargs in ({"class_weight": class_weight}, {"sample_weight": np.where(y == 1, 3.0, 1.0)}):
        model = small_model(seed=3)
        model.compile(optimizer=optim.SGD(learning_rate=0.1), loss="binary_crossentropy")
        model.fit(x, y, batch_size=16, epochs=3, verbose=0, seed=7, **kwargs)
        runs.append(model.get_weights())
    unweighted = small_model(seed=3)
    unweighted.compile(optimizer=optim.SGD(learning_rate=0.1), loss="binary_crossentropy")
    unweighted.fit(x, y, batch_size=16, epochs=3, verbose=0, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(*runs))
    assert not all(np.allclose(a, b) for a, b in zip(runs[0], unweighted.get_weights()))


def l2_model(factor: float) -> Sequential:
    set_random_seed(5)
    return Sequential(
        [Dense(4, kernel_regularizer=l2(factor), input_shape=(3,)), Dense(1, activation="linear")]
    )


def mse_by_hand(model: Sequential, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(data loss, penalty) for l2_model: the mean squared error of the linear network and
    factor · Σ kernel² of its first layer, in float64."""
    k1, b1, k2, b2 = (np.asarray(w, dtype=np.float64) for w in model.get_weights())
    predictions = (x @ k1 + b1) @ k2 + b2
    return float(np.mean((predictions[:, 0] - y) ** 2)), float(np.sum(k1**2))


def test_evaluate_reports_the_data_loss_plus_the_regularization_penalty():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model = l2_model(0.05)
    model.compile(optimizer="sgd", loss="mse")
    data_loss, squares = mse_by_hand(model, x, y)
    assert model.evaluate(x, y) == pytest.approx(data_loss + 0.05 * squares, rel=1e-5)


def test_the_training_loss_includes_the_regularization_penalty():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model = l2_model(0.05)
    model.compile(optimizer=optim.SGD(learning_rate=0.0), loss="mse")  # weights stay put
    data_loss, squares = mse_by_hand(model, x, y)
    history = model.fit(x, y, batch_size=40, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(data_loss + 0.05 * squares, rel=1e-5)


def test_the_penalty_gradient_shrinks_the_kernel():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    plain, penalized = l2_model(0.0), l2_model(1.0)
    for model in (plain, penalized):
        model.compile(optimizer=optim.SGD(learning_rate=0.05), loss="mse")
        model.fit(x, y, batch_size=40, epochs=5, verbose=0)
    assert np.sum(penalized.get_weights()[0] ** 2) < np.sum(plain.get_weights()[0] ** 2)


# ----- training and evaluation modes -----


def mode_run() -> tuple[Sequential, Recorder, Recorder]:
    """A model with Recorders before and after its Dense layers, fitted for 2 epochs on 64
    samples in batches of 64, validated on 10 samples (so batch sizes tell the calls apart)."""
    x, y = binary_data(n=64)
    x_val, y_val = binary_data(n=10, seed=1)
    before, after = Recorder(input_shape=(4,)), Recorder()
    set_random_seed(0)
    model = Sequential([before, Dense(8, activation="relu"), Dense(1, activation="sigmoid"), after])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, batch_size=64, epochs=2, validation_data=(x_val, y_val), verbose=0)
    return model, before, after


def test_training_steps_run_in_training_mode_and_record_a_graph():
    _, before, after = mode_run()
    steps = [call for call in before.calls if len(call.inputs) == 64]
    outputs = [call for call in after.calls if len(call.inputs) == 64]
    assert len(steps) == 2 and all(call.training and call.grad_enabled for call in steps)
    assert all(call.requires_grad for call in outputs)


def test_validation_runs_in_evaluation_mode_without_a_graph():
    _, before, after = mode_run()
    validation = [call for call in before.calls if len(call.inputs) == 10]
    outputs = [call for call in after.calls if len(call.inputs) == 10]
    assert len(validation) == 2
    assert not any(call.training or call.grad_enabled for call in validation)
    assert not any(call.requires_grad for call in outputs)


@pytest.mark.parametrize("method", ["predict", "evaluate"])
def test_predict_and_evaluate_run_in_evaluation_mode_without_a_graph(method):
    model, before, after = mode_run()
    x, y = binary_data(n=7, seed=2)
    count = len(before.calls)
    if method == "predict":
        model.predict(x)
    else:
        model.evaluate(x, y)
    new_inputs, new_outputs = before.calls[count:], after.calls[count:]
    assert [len(call.inputs) for call in new_inputs] == [7]
    assert not new_inputs[0].training and not new_inputs[0].grad_enabled
    assert not new_outputs[0].requires_grad


@pytest.mark.parametrize("mode", [True, False])
def test_predict_and_evaluate_leave_the_models_mode_as_it_was(mode):
    x, y = binary_data(n=8)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.train(mode)
    model.predict(x)
    model.evaluate(x, y)
    assert all(module.training is mode for module in model.modules())


def dropout_model() -> Sequential:
    """4 → 16 (relu) → Dropout(0.5) → 1 (sigmoid): nn.layers.Dropout, or a stand-in."""
    dropout = getattr(nn.layers, "Dropout", NoiseWhenTraining)
    set_random_seed(0)
    return Sequential(
        [
            Dense(16, activation="relu", input_shape=(4,)),
            dropout(0.5),
            Dense(1, activation="sigmoid"),
        ]
    )


def test_predict_with_dropout_is_deterministic_and_equals_the_forward_pass_without_it():
    x, y = binary_data(n=50)
    model = dropout_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    expected = forward_by_hand(model.get_weights(), x)
    model.train(True)
    assert not np.allclose(model(x).data, expected, atol=1e-4)  # dropout acts in training
    first, second = model.predict(x), model.predict(x)
    assert np.array_equal(first, second)
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-6)


# ----- predict and evaluate -----


def test_predict_returns_a_numpy_array_of_one_row_per_sample():
    x, _ = binary_data(n=45)
    set_random_seed(0)
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(3)])
    predictions = model.predict(x, batch_size=32)
    assert isinstance(predictions, np.ndarray)
    assert predictions.shape == (45, 3)
    np.testing.assert_allclose(predictions, model(x).data, rtol=1e-6)


def test_predict_needs_no_compile():
    x, _ = binary_data(n=5)
    assert small_model().predict(x).shape == (5, 1)


def test_evaluate_without_metrics_returns_the_loss_as_a_number():
    x, y = binary_data(n=30)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    loss = model.evaluate(x, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(bce_by_hand(y, forward_by_hand(model.get_weights(), x)), 1e-5)


def test_evaluate_with_metrics_returns_the_loss_then_each_metric():
    x, y = binary_data(n=30)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    scores = model.evaluate(x, y)
    probabilities = forward_by_hand(model.get_weights(), x)[:, 0]
    assert isinstance(scores, list) and len(scores) == 2
    assert scores[0] == pytest.approx(bce_by_hand(y, probabilities), rel=1e-5)
    assert scores[1] == pytest.approx(np.mean((probabilities > 0.5) == y))


def test_evaluate_with_return_dict_names_each_value():
    x, y = binary_data(n=30)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    scores = model.evaluate(x, y, return_dict=True)
    assert list(scores) == ["loss", "accuracy"]
    assert [scores["loss"], scores["accuracy"]] == model.evaluate(x, y)


# ----- optimizers -----


@pytest.mark.parametrize(
    ("name", "cls", "learning_rate"),
    [
        ("adam", optim.Adam, 1e-3),
        ("sgd", optim.SGD, 0.01),
        ("rmsprop", optim.RMSprop, 1e-3),
        ("adagrad", optim.Adagrad, 1e-3),
        ("adamax", optim.Adamax, 1e-3),
        ("nadam", optim.NAdam, 1e-3),
        ("adamw", optim.AdamW, 1e-3),
        ("adadelta", optim.AdaDelta, 1e-3),
        ("Adam", optim.Adam, 1e-3),
    ],
)
def test_an_optimizer_name_gives_that_optimizer_with_keras_defaults(name, cls, learning_rate):
    model = small_model()
    model.compile(optimizer=name, loss="binary_crossentropy")
    assert type(model.optimizer) is cls
    assert model.optimizer.learning_rate == pytest.approx(learning_rate)


@pytest.mark.parametrize(
    ("name", "setting", "value"),
    [("adam", "eps", 1e-7), ("adam", "betas", (0.9, 0.999)), ("rmsprop", "alpha", 0.9),
     ("rmsprop", "eps", 1e-7), ("sgd", "momentum", 0.0)],
)  # fmt: skip
def test_an_optimizer_name_takes_keras_other_defaults_too(name, setting, value):
    model = small_model()
    model.compile(optimizer=name, loss="binary_crossentropy")
    assert model.optimizer.param_groups[0][setting] == pytest.approx(value)


def bound_ids(optimizer: optim.Optimizer) -> list[int]:
    return [id(p) for group in optimizer.param_groups for p in group["params"]]


def test_compile_binds_an_unbound_optimizer_to_a_built_models_parameters():
    model = small_model()
    optimizer = optim.SGD(learning_rate=0.1)
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    assert model.optimizer is optimizer
    assert bound_ids(optimizer) == [id(p) for p in model.parameters()]
    assert optimizer.learning_rate == 0.1


def test_an_unbound_optimizer_on_a_lazy_model_is_bound_at_the_first_batch_and_steps_by_its_rate():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=16).astype(np.float32)
    model = Sequential([Dense(1)])  # no input_shape: built by the first batch
    optimizer = optim.SGD(learning_rate=0.1)
    model.compile(optimizer=optimizer, loss="mse")
    assert not model.built and not optimizer.param_groups
    before: list[list[np.ndarray]] = []
    snapshot = LambdaCallback(
        on_train_batch_begin=lambda batch, logs: before.append(model.get_weights())
    )
    model.fit(x, y, batch_size=16, epochs=1, callbacks=[snapshot], verbose=0)
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in before[0])
    residual = x @ kernel + bias - y[:, None]  # d mean(r²) / d w = 2/N xᵀ r
    expected_kernel = kernel - 0.1 * 2 / 16 * x.T @ residual
    expected_bias = bias - 0.1 * 2 * residual.mean(axis=0)
    assert bound_ids(optimizer) == [id(p) for p in model.parameters()]
    np.testing.assert_allclose(model.get_weights()[0], expected_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], expected_bias, rtol=1e-5, atol=1e-6)


def test_an_optimizer_bound_to_the_models_parameters_is_used_as_it_is():
    x, y = binary_data(n=32)
    model = small_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert model.optimizer is optimizer
    assert not np.array_equal(before[0], model.get_weights()[0])


def test_an_optimizer_bound_to_another_models_parameters_is_refused():
    other = small_model(seed=1)
    optimizer = optim.SGD(other.parameters(), lr=0.1)
    model = small_model()
    with pytest.raises(ValueError, match="bound to parameters that are not all this model's"):
        model.compile(optimizer=optimizer, loss="binary_crossentropy")


def test_an_unbound_optimizer_already_used_by_another_model_is_refused():
    x, y = binary_data(n=16)
    optimizer = optim.Adam(learning_rate=0.01)
    first, second = small_model(), small_model(seed=1)
    first.compile(optimizer=optimizer, loss="binary_crossentropy")
    first.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="not all this model's"):
        second.compile(optimizer=optimizer, loss="binary_crossentropy")


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_fit_or_evaluate_before_compile_is_an_error_that_says_to_compile(method):
    x, y = binary_data(n=8)
    with pytest.raises(RuntimeError, match=r"compile the model first"):
        getattr(small_model(), method)(x, y, verbose=0)


# ----- callbacks in a real fit -----


class ScriptedValLoss(Callback):
    """Overwrites logs["val_loss"] at each epoch's end with the next scripted value, and keeps
    a copy of the weights each epoch ended with."""

    def __init__(self, losses: list[float]) -> None:
        super().__init__()
        self.losses = losses
        self.weights: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.losses[epoch]
        self.weights.append(self.model.get_weights())


def test_early_stopping_stops_after_patience_and_restores_the_best_epochs_weights():
    x, y = binary_data(n=32)
    model = small_model()
    model.compile(optimizer=optim.SGD(learning_rate=0.5), loss="binary_crossentropy")
    script = ScriptedValLoss([1.0, 0.9, 0.95, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91])
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, batch_size=8, epochs=10, callbacks=[script, stop], verbose=0)
    assert history.epoch == [0, 1, 2, 3, 4, 5]  # stopped after epoch index 5
    assert stop.stopped_epoch == 5
    assert history.history["val_loss"] == [1.0, 0.9, 0.95, 0.85, 0.86, 0.87]
    best, last = script.weights[3], script.weights[5]
    assert all(np.array_equal(w, b) for w, b in zip(model.get_weights(), best))
    assert not all(np.array_equal(b, w) for b, w in zip(best, last))


def test_model_checkpoint_writes_files_named_by_epoch_and_val_loss_that_load_back(tmp_path):
    x, y = binary_data(n=40)
    x_val, y_val = binary_data(n=10, seed=1)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    checkpoint = ModelCheckpoint(str(tmp_path / "model_{epoch:02d}-{val_loss:.2f}.npz"))
    history = model.fit(
        x, y, epochs=3, validation_data=(x_val, y_val), callbacks=[checkpoint], verbose=0
    )
    expected = [f"model_{e + 1:02d}-{v:.2f}.npz" for e, v in enumerate(history.history["val_loss"])]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(expected)
    restored = small_model(seed=9)
    restored.load(tmp_path / expected[-1])
    assert np.array_equal(restored.predict(x_val), model.predict(x_val))


# ----- metrics against scikit-learn -----


@pytest.fixture(scope="module")
def metric_run(breast_cancer) -> tuple[dict[str, list[float]], np.ndarray, np.ndarray]:
    """The E19 network fitted for 2 epochs with four metrics; the history, predict(x_val) and
    y_val."""
    x_train, x_test, y_train, y_test = breast_cancer
    set_random_seed(0)
    model = guide_classifier()
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=["accuracy", "precision", "recall", "auc"],
    )
    history = model.fit(
        x_train, y_train, epochs=2, batch_size=32, validation_data=(x_test, y_test), verbose=0
    )
    return history.history, model.predict(x_test)[:, 0], y_test


@pytest.mark.parametrize(
    ("name", "sklearn_name", "thresholded"),
    [
        ("accuracy", "accuracy_score", True),
        ("precision", "precision_score", True),
        ("recall", "recall_score", True),
        ("auc", "roc_auc_score", False),
    ],
)
def test_validation_metrics_equal_sklearn_on_the_predictions(
    metric_run, name, sklearn_name, thresholded
):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    history, probabilities, y_val = metric_run
    predictions = (probabilities > 0.5).astype(int) if thresholded else probabilities
    expected = getattr(sklearn_metrics, sklearn_name)(y_val, predictions)
    assert history[f"val_{name}"][-1] == pytest.approx(expected, rel=1e-9)


def test_training_precision_is_computed_over_the_whole_epoch_not_averaged_over_batches():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    x, y = binary_data(n=90, seed=4)
    outputs = Recorder()
    set_random_seed(0)
    model = Sequential(
        [Dense(8, activation="relu", input_shape=(4,)), Dense(1, activation="sigmoid"), outputs]
    )
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["precision"])
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    batches = [call.inputs[:, 0] > 0.5 for call in outputs.calls]
    whole_epoch = sklearn_metrics.precision_score(y, np.concatenate(batches))
    per_batch = np.mean(
        [
            sklearn_metrics.precision_score(y[i * 16 : (i + 1) * 16], b, zero_division=0)
            for i, b in enumerate(batches)
        ]
    )
    assert abs(whole_epoch - per_batch) > 1e-3  # the two readings differ on this run
    assert history.history["precision"][0] == pytest.approx(whole_epoch)


# ----- errors that name the problem -----


def test_x_and_y_of_different_lengths_is_an_error_naming_both_counts():
    x, y = binary_data(n=100)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"x has 100 samples but y has 99"):
        model.fit(x, y[:99], verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_wrong_feature_count_is_an_error_naming_both_counts(method):
    model = guide_classifier(features=30)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = np.zeros((455, 31), dtype=np.float32), np.zeros(455)
    arguments = (x,) if method == "predict" else (x, y)
    with pytest.raises(ValueError, match=r"31 features per sample, the model takes 30"):
        getattr(model, method)(*arguments, verbose=0)


def test_a_lazily_built_model_refuses_a_later_batch_with_another_feature_count():
    set_random_seed(0)
    model = Sequential([Dense(16, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(np.zeros((8, 30)), np.zeros(8), verbose=0)
    with pytest.raises(ValueError, match=r"31 features per sample, the model takes 30"):
        model.predict(np.zeros((8, 31)))


def test_an_empty_dataset_is_an_error():
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"x is empty \(0 samples\)"):
        model.fit(np.zeros((0, 4)), np.zeros(0), verbose=0)


def test_nan_in_x_is_an_error_counting_the_bad_values():
    x, y = binary_data(n=20)
    x[3, 1] = np.nan
    x[7, 2] = np.inf
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"x contains 2 NaN or infinite value"):
        model.fit(x, y, verbose=0)


def test_labels_that_do_not_fit_the_loss_are_an_error_naming_both_shapes():
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x, y = np.zeros((10, 4), dtype=np.float32), np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"\(10, 3\) does not match y_pred of shape \(10, 1\)"):
        model.fit(x, y, verbose=0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"optimizer": "adamm", "loss": "mse"}, r"unknown optimizer 'adamm'; known: .*adam"),
        ({"optimizer": "adam", "loss": "binary_crossentropyy"}, r"unknown loss 'binary_cr"),
        ({"optimizer": "adam", "loss": "mse", "metrics": ["acuracy"]}, r"unknown metric 'acur"),
    ],
)
def test_unknown_names_in_compile_are_errors_listing_the_known_ones(arguments, message):
    with pytest.raises(ValueError, match=message):
        small_model().compile(**arguments)


def test_metrics_given_as_a_string_instead_of_a_list_is_an_error():
    with pytest.raises(TypeError, match=r"metrics must be a list, such as \['accuracy'\]"):
        small_model().compile(optimizer="adam", loss="mse", metrics="accuracy")


@pytest.mark.parametrize("split", [-0.1, 1.0, 1.5])
def test_validation_split_outside_0_to_1_is_an_error_naming_the_value(split):
    x, y = binary_data(n=20)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=rf"validation_split must be in \[0, 1\), got {split}"):
        model.fit(x, y, validation_split=split, verbose=0)


# ----- the progress display -----


def fit_printing(verbose: int, epochs: int = 3) -> None:
    x, y = binary_data(n=100)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=verbose)


def test_verbose_0_prints_nothing(capsys):
    fit_printing(verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_2_prints_the_epoch_header_and_one_result_line_per_epoch(capsys):
    fit_printing(verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]  # as Keras prints them
    results = lines[1::2]
    assert len(lines) == 6
    assert all(line.startswith("4/4 - ") and "━" not in line for line in results)
    assert all("accuracy: " in line and "loss: " in line for line in results)


def test_verbose_1_off_a_terminal_prints_one_finished_bar_per_epoch_without_redraws(capsys):
    fit_printing(verbose=1)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "\r" not in out
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert len(lines) == 6
    assert all(line.startswith("4/4 " + "━" * 20) for line in lines[1::2])


# ----- weights round trips -----


def test_set_weights_of_get_weights_reproduces_the_predictions():
    x, y = binary_data(n=30)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    copy = small_model(seed=1)
    assert not np.array_equal(copy.predict(x), model.predict(x))
    copy.set_weights(model.get_weights())
    assert np.array_equal(copy.predict(x), model.predict(x))


def test_get_weights_returns_copies_in_layer_order():
    model = small_model()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 8), (8,), (8, 1), (1,)]
    weights[0][...] = 0
    assert np.any(model.get_weights()[0] != 0)


def test_set_weights_with_the_wrong_count_is_an_error_naming_both_counts():
    with pytest.raises(ValueError, match=r"the model has 4 weights, got 3"):
        small_model().set_weights(small_model().get_weights()[:3])


def test_save_then_load_of_a_trained_model_gives_identical_predictions(tmp_path):
    x, y = binary_data(n=30)
    model = small_model()
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "trained.npz")
    restored = small_model(seed=1)
    restored.load(tmp_path / "trained.npz")
    assert np.array_equal(restored.predict(x), model.predict(x))


def test_a_subclassed_model_builds_its_layers_on_the_first_batch_and_trains() -> None:
    """Keras's subclassing: layers made in __init__, used in call, weights made by fit."""

    class TwoLayers(Model):
        def __init__(self) -> None:
            super().__init__()
            self.hidden = Dense(8, activation="tanh")
            self.out = Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], dtype=np.float32)
    model = TwoLayers()
    model.compile(optimizer=optim.Adam(learning_rate=0.05), loss="mse")
    history = model.fit(x, y, epochs=30, verbose=0, seed=0)
    assert [name for name, _ in model.named_parameters()] == [
        "hidden.kernel",
        "hidden.bias",
        "out.kernel",
        "out.bias",
    ]
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]


class ListSource:
    """A minimal Keras-style data source: fixed batches, counting its on_epoch_end calls."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, weights=None) -> None:
        self.x, self.y, self.batch_size, self.weights = x, y, batch_size, weights
        self.epochs_ended = 0

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.weights is None:
            return self.x[part], self.y[part]
        return self.x[part], self.y[part], self.weights[part]

    def on_epoch_end(self) -> None:
        self.epochs_ended += 1


def _regression_data(n: int = 50):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, x @ np.array([1.0, -1.0, 2.0], dtype=np.float32)


def _linear_model(seed: int = 0) -> Sequential:
    set_random_seed(seed)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer=optim.SGD(learning_rate=0.05), loss="mse")
    return model


def test_fit_on_a_data_source_equals_fit_on_the_same_batches_in_order() -> None:
    x, y = _regression_data()
    from_arrays, from_source = _linear_model(), _linear_model()
    source = ListSource(x, y, batch_size=16)
    a = from_arrays.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    b = from_source.fit(source, epochs=3, verbose=0)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-6)
    np.testing.assert_array_equal(
        from_arrays.layers[0].kernel.data, from_source.layers[0].kernel.data
    )
    assert source.epochs_ended == 3


def test_a_data_source_gives_the_steps_per_epoch_and_its_sample_weights() -> None:
    x, y = _regression_data(50)
    steps: list[int] = []
    counter = LambdaCallback(on_train_batch_end=lambda batch, logs: steps.append(batch))
    weights = np.zeros(50, dtype=np.float32)  # all-zero weights: nothing to learn
    model = _linear_model()
    before = model.layers[0].kernel.data.copy()
    model.fit(ListSource(x, y, 16, weights), epochs=1, verbose=0, callbacks=[counter])
    assert steps == [0, 1, 2, 3]
    np.testing.assert_array_equal(model.layers[0].kernel.data, before)


def test_evaluate_and_predict_take_a_data_source_and_validation_data_may_be_one() -> None:
    x, y = _regression_data()
    model = _linear_model()
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=ListSource(x, y, 20))
    assert len(history.history["val_loss"]) == 2
    assert model.evaluate(ListSource(x, y, 20), verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-6
    )
    np.testing.assert_allclose(
        model.predict(ListSource(x, y, 20), verbose=0), model.predict(x, verbose=0), rtol=1e-5
    )


def test_a_data_source_with_sample_weight_or_validation_split_is_an_error() -> None:
    x, y = _regression_data()
    model = _linear_model()
    with pytest.raises(ValueError, match="data source"):
        model.fit(ListSource(x, y, 10), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match=r"batch 0 of the data source must be \(x, y\)"):
        model.fit(_BadSource(), verbose=0)


class _BadSource:
    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int):
        return np.zeros((2, 3))
