"""Training diagnostics: LayerStats's figures against numpy by hand, its fit and hand-written-loop
APIs, the plots, and the vanishing-gradient demonstration the issue asks for."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

try:  # the plots need matplotlib; the rest of this module does not
    import matplotlib

    matplotlib.use("Agg")  # tests only: library code never selects a backend
    import matplotlib.pyplot as pyplot
    from matplotlib.figure import Figure
except ImportError:
    matplotlib = None

import optim
from autograd import no_grad
from nn import initializers
from nn.callbacks import Callback, History
from nn.diagnostics import (
    RECORD_KEYS,
    LayerStats,
    plot_activation_histograms,
    plot_decision_boundary,
    plot_gradient_flow,
    plot_gradient_histograms,
    plot_history,
    plot_update_ratios,
)
from nn.layers import Activation, BatchNormalization, Dense
from nn.losses import MeanSquaredError
from nn.models import Sequential
from nn.random import set_random_seed
from nn.scalar import MLP

needs_matplotlib = pytest.mark.skipif(matplotlib is None, reason="matplotlib is not installed")

LEARNING_RATE = 0.1


# ----- a small network, one SGD step, and the same step by hand in numpy -----


def small_network() -> Sequential:
    """2 → relu(4) → tanh(3) → sigmoid(1), float64, the tanh layer wide enough to saturate."""
    return Sequential(
        [
            Dense(4, "relu", input_shape=(2,), dtype="float64", name="hidden_relu"),
            Dense(
                3,
                "tanh",
                kernel_initializer=initializers.RandomNormal(stddev=2.0),
                bias_initializer=initializers.RandomNormal(stddev=0.5),
                dtype="float64",
                name="hidden_tanh",
            ),
            Dense(1, "sigmoid", dtype="float64", name="output"),
        ]
    )


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def by_hand(weights: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray, y: np.ndarray) -> dict:
    """The forward pass and the kernel gradients of the mean squared error, in numpy."""
    (w1, b1), (w2, b2), (w3, b3) = weights
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    h2 = np.tanh(h1 @ w2 + b2)
    p = sigmoid(h2 @ w3 + b3)
    dz3 = 2 * (p - y) / len(x) * p * (1 - p)
    dz2 = (dz3 @ w3.T) * (1 - h2**2)
    dz1 = (dz2 @ w2.T) * (z1 > 0)
    return {"activations": [h1, h2, p], "gradients": [x.T @ dz1, h1.T @ dz2, h2.T @ dz3]}


@pytest.fixture
def one_step() -> dict:
    """One hand-written SGD step watched by LayerStats, with the numpy figures beside it."""
    set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(scale=2.0, size=(16, 2)).astype(np.float32).astype(np.float64)  # as fed
    y = (x[:, :1] * x[:, 1:] > 0).astype(np.float64)
    model = small_network()
    before = [(layer.kernel.data.copy(), layer.bias.data.copy()) for layer in model.layers]
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
    stats = LayerStats(model)
    with stats.step():
        loss = MeanSquaredError()(y, model(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    stats.detach()
    after = [layer.kernel.data.copy() for layer in model.layers]
    return {
        "stats": stats,
        "model": model,
        "hand": by_hand(before, x, y),
        "kernels_before": [kernel for kernel, _ in before],
        "kernels_after": after,
    }


def test_activation_mean_and_std_match_numpy(one_step) -> None:
    records = one_step["stats"].records
    for record, activation in zip(records, one_step["hand"]["activations"]):
        assert record["activation_mean"] == pytest.approx(activation.mean(), rel=1e-12)
        assert record["activation_std"] == pytest.approx(activation.std(), rel=1e-12)


def test_saturated_fraction_follows_each_layers_activation(one_step) -> None:
    relu, tanh, sigmoid_output = one_step["hand"]["activations"]
    expected = [
        np.mean(relu == 0),
        np.mean(np.abs(tanh) > 0.97),
        np.mean((sigmoid_output < 0.03) | (sigmoid_output > 0.97)),
    ]
    assert 0 < expected[0] < 1 and 0 < expected[1] < 1  # the data exercise both rules
    got = [record["saturated_fraction"] for record in one_step["stats"].records]
    assert got == pytest.approx(expected)


def test_gradient_mean_and_std_match_hand_backpropagation(one_step) -> None:
    for record, gradient in zip(one_step["stats"].records, one_step["hand"]["gradients"]):
        assert record["gradient_mean"] == pytest.approx(gradient.mean(), rel=1e-9, abs=1e-15)
        assert record["gradient_std"] == pytest.approx(gradient.std(), rel=1e-9)
        assert record["gradient_abs_mean"] == pytest.approx(np.abs(gradient).mean(), rel=1e-9)


def test_grad_data_ratio_is_gradient_std_over_the_kernel_std_before_the_step(one_step) -> None:
    hand = one_step["hand"]["gradients"]
    for record, gradient, kernel in zip(
        one_step["stats"].records, hand, one_step["kernels_before"]
    ):
        assert record["grad_data_ratio"] == pytest.approx(gradient.std() / kernel.std(), rel=1e-9)


def test_update_data_ratio_is_log10_of_the_sgd_update_std_over_the_kernel_std(one_step) -> None:
    pairs = zip(
        one_step["kernels_before"], one_step["kernels_after"], one_step["hand"]["gradients"]
    )
    for record, (before, after, gradient) in zip(one_step["stats"].records, pairs):
        np.testing.assert_allclose(after, before - LEARNING_RATE * gradient, rtol=1e-9)
        expected = math.log10((after - before).std() / before.std())
        assert record["update_data_ratio_log10"] == pytest.approx(expected, rel=1e-9)


def test_records_name_the_step_and_layer(one_step) -> None:
    records = one_step["stats"].records
    assert [(r["step"], r["layer"]) for r in records] == [
        (0, "hidden_relu"),
        (0, "hidden_tanh"),
        (0, "output"),
    ]


def test_a_linear_layer_has_no_saturation_rule() -> None:
    model = Sequential([Dense(3, input_shape=(2,))])
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with LayerStats(model) as stats, stats.step():
        loss = MeanSquaredError()(np.zeros((4, 3)), model(np.ones((4, 2))))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert math.isnan(stats.records[0]["saturated_fraction"])


# ----- as a fit callback -----


def compiled_model(seed: int = 0) -> tuple[Sequential, np.ndarray, np.ndarray]:
    set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(24, 3)).astype(np.float32)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)
    model = Sequential(
        [Dense(5, "tanh", input_shape=(3,)), Activation("relu"), Dense(1, "sigmoid")]
    )
    model.compile(optimizer=optim.SGD(learning_rate=0.1), loss="binary_crossentropy")
    return model, x, y


def test_fit_callback_records_every_step_and_every_weighted_layer() -> None:
    model, x, y = compiled_model()
    stats = LayerStats()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[stats])
    dense_names = [model.layers[0].name, model.layers[2].name]
    assert [(r["step"], r["layer"]) for r in stats.records] == [
        (step, name) for step in range(6) for name in dense_names
    ]
    assert all(tuple(record) == RECORD_KEYS for record in stats.records)


def test_every_records_only_every_nth_step() -> None:
    model, x, y = compiled_model()
    stats = LayerStats(every=4)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[stats])  # 12 steps
    assert stats.steps == [0, 4, 8]
    assert sorted(stats.histograms) == [0, 4, 8]


def test_steps_continue_across_fit_calls() -> None:
    model, x, y = compiled_model()
    stats = LayerStats()
    for _ in range(2):
        model.fit(x, y, batch_size=12, epochs=1, verbose=0, callbacks=[stats])
    assert stats.steps == [0, 1, 2, 3]


def test_validation_passes_are_not_recorded() -> None:
    model, x, y = compiled_model()
    stats = LayerStats()
    model.fit(
        x, y, batch_size=8, epochs=1, verbose=0, callbacks=[stats], validation_data=(x[:5], y[:5])
    )
    first = model.layers[0].name
    assert stats.last_activations[first].shape == (8 * 5,)  # the last training batch's outputs


def test_forward_passes_without_gradients_are_not_recorded() -> None:
    set_random_seed(0)
    model = Sequential([Dense(4, "tanh", input_shape=(3,), name="hidden")])
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with LayerStats(model) as stats, stats.step():
        loss = MeanSquaredError()(np.zeros((6, 4)), model(np.ones((6, 3))))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with no_grad():
            model(np.ones((2, 3)))  # an evaluation pass inside the step
    assert stats.last_activations["hidden"].shape == (6 * 4,)


def test_wrappers_are_removed_after_fit() -> None:
    model, x, y = compiled_model()
    stats = LayerStats()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[stats])
    for layer in model.layers:
        assert "call" not in vars(layer)
        assert layer.call.__func__ is type(layer).call
    assert not stats.attached


def test_wrappers_are_removed_when_fit_stops_on_an_error() -> None:
    model, x, y = compiled_model()
    stats = LayerStats()

    class Boom(Callback):  # fails mid-epoch
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[stats, Boom()])
    stats.detach()  # fit has no on_train_end on an error: detach is the user's way out
    assert all("call" not in vars(layer) for layer in model.layers)


def test_explicit_layers_may_include_layers_without_weights() -> None:
    model, x, y = compiled_model()
    relu = model.layers[1]
    stats = LayerStats(layers=[relu])
    model.fit(x, y, batch_size=24, epochs=1, verbose=0, callbacks=[stats])
    (record,) = stats.records
    assert record["layer"] == relu.name
    assert 0 < record["saturated_fraction"] < 1  # relu's rule: exactly zero
    assert math.isnan(record["gradient_std"]) and math.isnan(record["update_data_ratio_log10"])


# ----- the hand-written loop -----


def hand_loop(stats: LayerStats, model: Sequential, steps: int, use_context: bool) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 3))
    y = rng.uniform(size=(6, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        if use_context:
            with stats.step():
                loss = MeanSquaredError()(y, model(x))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        else:
            loss = MeanSquaredError()(y, model(x))
            optimizer.zero_grad()
            loss.backward()
            stats.before_step()
            optimizer.step()
            stats.after_step()


@pytest.mark.parametrize("use_context", [False, True], ids=["before_after", "context_manager"])
def test_hand_written_loop_records_each_step(use_context: bool) -> None:
    set_random_seed(0)
    model = Sequential([Dense(4, "sigmoid", input_shape=(3,)), Dense(1)])
    stats = LayerStats(model)
    hand_loop(stats, model, steps=3, use_context=use_context)
    assert stats.steps == [0, 1, 2]
    assert all(math.isfinite(r["update_data_ratio_log10"]) for r in stats.records)


def test_both_hand_written_forms_record_the_same_numbers() -> None:
    results = []
    for use_context in (False, True):
        set_random_seed(0)
        model = Sequential(
            [Dense(4, "sigmoid", input_shape=(3,), name="hidden"), Dense(1, name="output")]
        )
        with LayerStats(model) as stats:
            hand_loop(stats, model, steps=2, use_context=use_context)
        results.append(stats.records)
    assert results[0] == results[1]


def test_leaving_the_with_block_detaches() -> None:
    model = Sequential([Dense(4, "sigmoid", input_shape=(3,)), Dense(1)])
    with LayerStats(model) as stats:
        assert all("call" in vars(layer) for layer in model.layers)
    assert not stats.attached
    assert all(layer.call.__func__ is type(layer).call for layer in model.layers)


def test_after_step_without_before_step_says_what_to_call() -> None:
    stats = LayerStats(Sequential([Dense(2, input_shape=(3,))]))
    with pytest.raises(RuntimeError, match=r"before_step\(\)"):
        stats.after_step()


def test_before_step_on_a_detached_stats_says_to_attach() -> None:
    with pytest.raises(RuntimeError, match="attach"):
        LayerStats().before_step()


def test_an_unbuilt_model_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="input_shape"):
        LayerStats(Sequential([Dense(2)]))


def test_every_must_be_a_positive_int() -> None:
    with pytest.raises(ValueError, match="every must be a positive int, got 0"):
        LayerStats(every=0)


# ----- to_dataframe -----


def test_to_dataframe_without_pandas_names_pandas(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        LayerStats().to_dataframe()


def test_to_dataframe_has_one_row_per_record() -> None:
    pytest.importorskip("pandas")
    model, x, y = compiled_model()
    stats = LayerStats()
    model.fit(x, y, batch_size=12, epochs=1, verbose=0, callbacks=[stats])
    frame = stats.to_dataframe()
    assert list(frame.columns) == list(RECORD_KEYS)
    assert len(frame) == len(stats.records) == 4


# ----- the vanishing-gradient demonstration -----

WIDTH = 32


def deep_network(activation: str, initializer, batch_normalization: bool = False) -> list:
    """Nine hidden Dense layers and a sigmoid output: ten Dense layers in all."""
    layers = []
    for index in range(9):
        shape = {"input_shape": (16,)} if index == 0 else {}
        layers.append(Dense(WIDTH, activation, kernel_initializer=initializer, **shape))
        if batch_normalization:
            layers.append(BatchNormalization())
    return [*layers, Dense(1, "sigmoid", kernel_initializer=initializer)]


def gradient_stds(layers: list) -> list[float]:
    """Each Dense layer's kernel-gradient std after one full-batch fit step."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 16)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = Sequential(layers)
    model.compile(optimizer=optim.SGD(learning_rate=0.01), loss="binary_crossentropy")
    stats = LayerStats()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, shuffle=False, callbacks=[stats])
    assert len(stats.records) == 10
    return [record["gradient_std"] for record in stats.records]


def test_deep_sigmoid_network_with_unit_normal_init_has_vanishing_gradients() -> None:
    set_random_seed(0)
    stds = gradient_stds(deep_network("sigmoid", initializers.RandomNormal(stddev=1.0)))
    assert stds[0] / stds[-1] < 1e-2  # the first layer learns over 100 times slower


def test_deep_sigmoid_network_with_tiny_init_has_vanishing_gradients() -> None:
    set_random_seed(0)
    stds = gradient_stds(deep_network("sigmoid", initializers.RandomNormal(stddev=0.01)))
    assert stds[0] / stds[-1] < 1e-10


def test_unit_normal_init_saturates_the_hidden_sigmoids() -> None:
    set_random_seed(0)
    model = Sequential(deep_network("sigmoid", initializers.RandomNormal(stddev=1.0)))
    stats = LayerStats(model)
    with stats.step():
        model(np.random.default_rng(0).normal(size=(64, 16)))
    hidden = [record["saturated_fraction"] for record in stats.records[:-1]]
    assert min(hidden) > 0.15


def test_glorot_init_with_batch_normalization_cures_the_vanishing_gradients() -> None:
    set_random_seed(0)
    stds = gradient_stds(deep_network("sigmoid", "glorot_uniform", batch_normalization=True))
    assert stds[0] / stds[-1] > 0.1
    assert max(stds) / min(stds) < 10  # every layer within an order of magnitude


def test_relu_with_he_init_cures_the_vanishing_gradients() -> None:
    set_random_seed(0)
    stds = gradient_stds(deep_network("relu", "he_normal"))
    assert stds[0] / stds[-1] > 0.05
    assert max(stds) / min(stds) < 20


# ----- plots -----


@pytest.fixture
def trained() -> tuple[Sequential, LayerStats, History, np.ndarray, np.ndarray]:
    model, x, y = compiled_model()
    model.compile(
        optimizer=optim.SGD(learning_rate=0.1), loss="binary_crossentropy", metrics=["accuracy"]
    )
    stats = LayerStats()
    history = model.fit(
        x, y, batch_size=8, epochs=3, verbose=0, callbacks=[stats], validation_split=0.25
    )
    return model, stats, history, x, y


@needs_matplotlib
@pytest.mark.parametrize(
    "plot", [plot_activation_histograms, plot_gradient_histograms, plot_update_ratios]
)
def test_stats_plots_return_a_titled_labelled_figure(trained, plot) -> None:
    _, stats, *_ = trained
    figure = plot(stats)
    assert isinstance(figure, Figure)
    (axes,) = figure.axes
    assert axes.get_title() and axes.get_xlabel() and axes.get_ylabel()
    assert len(axes.get_legend().get_texts()) >= 2


@needs_matplotlib
def test_histograms_show_the_step_asked_for(trained) -> None:
    _, stats, *_ = trained
    assert "step 2" in plot_activation_histograms(stats, step=2).axes[0].get_title()
    with pytest.raises(ValueError, match="step 99 was not recorded; recorded steps: 0, 1, 2"):
        plot_gradient_histograms(stats, step=99)


@needs_matplotlib
def test_update_ratios_draw_the_one_in_a_thousand_guide(trained) -> None:
    _, stats, *_ = trained
    lines = plot_update_ratios(stats).axes[0].get_lines()
    guide = [line for line in lines if line.get_label() == "1e-3 guide"]
    assert len(guide) == 1 and set(guide[0].get_ydata()) == {-3}


@needs_matplotlib
@pytest.mark.parametrize("source", ["stats", "model"])
def test_gradient_flow_is_a_log_scale_bar_per_layer(trained, source) -> None:
    model, stats, *_ = trained
    figure = plot_gradient_flow(stats if source == "stats" else model)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert axes.get_yscale() == "log"
    assert len(axes.patches) == 2  # the two Dense layers


def test_gradient_flow_without_gradients_says_to_run_backward() -> None:
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"backward\(\)"):
        plot_gradient_flow(model)


@needs_matplotlib
def test_history_plot_has_a_subplot_per_quantity_with_its_validation_partner(trained) -> None:
    _, _, history, *_ = trained
    figure = plot_history(history)
    visible = [axes for axes in figure.axes if axes.get_visible()]
    assert [axes.get_title() for axes in visible] == ["loss", "accuracy"]
    for axes in visible:
        assert [line.get_label() for line in axes.get_lines()] == ["training", "validation"]
        assert list(axes.get_lines()[0].get_xdata()) == [1, 2, 3]


@needs_matplotlib
def test_history_plot_takes_the_history_dict() -> None:
    figure = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    assert [axes.get_title() for axes in figure.axes] == ["loss"]


@needs_matplotlib
def test_decision_boundary_of_a_tensor_model(trained) -> None:
    *_, x, y = trained
    figure = plot_decision_boundary(
        Sequential([Dense(1, "sigmoid", input_shape=(2,))]), x[:, :2], y
    )
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert axes.get_title() and axes.get_xlabel() and axes.get_ylabel()
    assert len(axes.collections[-1].get_offsets()) == len(x)  # the data points on top


@needs_matplotlib
def test_decision_boundary_of_a_multiclass_tensor_model() -> None:
    set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.arange(30) % 3
    model = Sequential([Dense(3, "softmax", input_shape=(2,))])
    figure = plot_decision_boundary(model, x, np.eye(3)[labels], resolution=30)
    assert isinstance(figure, Figure)


@needs_matplotlib
def test_decision_boundary_of_a_scalar_mlp() -> None:
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = np.where(x[:, 0] > 0, 1, -1)
    figure = plot_decision_boundary(MLP(2, [4, 1], seed=0), x, y, resolution=15)
    assert isinstance(figure, Figure)
    assert len(figure.axes[0].collections[-1].get_offsets()) == 20


def test_decision_boundary_needs_two_features() -> None:
    with pytest.raises(ValueError, match=r"X must have 2 features, got shape \(4, 3\)"):
        plot_decision_boundary(MLP(3, [1], seed=0), np.zeros((4, 3)), np.zeros(4))


@needs_matplotlib
def test_plots_leave_no_figure_open_in_pyplot(trained) -> None:
    model, stats, history, *_ = trained
    open_before = pyplot.get_fignums()
    plot_activation_histograms(stats)
    plot_gradient_flow(model)
    plot_history(history)
    assert pyplot.get_fignums() == open_before


def test_plots_without_matplotlib_name_the_extra(monkeypatch, trained) -> None:
    _, stats, *_ = trained
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[notebooks\]'"):
        plot_update_ratios(stats)
