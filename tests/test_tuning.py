"""nn.tuning: GridSearch and RandomSearch over build_model(params), scored on validation data or
by k-fold cross-validation; the distributions, the folds, the results table, and the errors
that catch a search that would tune nothing."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

import optim
from nn.callbacks import Callback
from nn.layers import Dense
from nn.models import Sequential
from nn.random import set_random_seed
from nn.tuning import (
    GridSearch,
    RandomSearch,
    SearchResults,
    TrialResult,
    int_range,
    k_fold_splits,
    log_uniform,
    uniform,
)

# ----- helpers -----


def binary_data(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A linearly separable two-feature problem with 0/1 integer labels."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)


def compiled(units: int, learning_rate: float, metrics: list[Any] | None = None) -> Sequential:
    model = Sequential(
        [Dense(units, activation="relu", input_shape=(2,)), Dense(1, activation="sigmoid")]
    )
    model.compile(
        optimizer=optim.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"] if metrics is None else metrics,
    )
    return model


class Builder:
    """A build_model that keeps every model it builds, with the parameters it was given."""

    def __init__(self, metrics: list[Any] | None = None) -> None:
        self.models: list[Sequential] = []
        self.params: list[dict[str, Any]] = []
        self.metrics = metrics

    def __call__(self, params: Mapping[str, Any]) -> Sequential:
        self.params.append(dict(params))
        self.models.append(compiled(params["units"], params["learning_rate"], self.metrics))
        return self.models[-1]


def last(model: Sequential, key: str = "val_loss") -> float:
    return model.history.history[key][-1]


GRID = {"learning_rate": [1e-3, 1e-1], "units": [2, 4]}


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    set_random_seed(0)
    return binary_data()


# ----- distributions -----


def test_int_range_includes_both_ends():
    rng = np.random.default_rng(0)
    draws = {int_range(1, 3).sample(rng) for _ in range(300)}
    assert draws == {1, 2, 3}


def test_int_range_draws_python_ints():
    assert type(int_range(0, 5).sample(np.random.default_rng(0))) is int


def test_uniform_draws_floats_within_its_bounds():
    rng = np.random.default_rng(0)
    draws = np.array([uniform(0.2, 0.5).sample(rng) for _ in range(1000)])
    assert draws.min() >= 0.2 and draws.max() < 0.5
    assert draws.min() < 0.21 and draws.max() > 0.49


def test_random_search_samples_log_uniform_evenly_per_decade():
    """The log10 of the draws is uniform on [-4, -1]: its quantiles sit at -4 + 3q."""
    search = RandomSearch(
        lambda params: None, {"learning_rate": log_uniform(1e-4, 1e-1)}, n_trials=4000, seed=0
    )
    logs = np.log10([trial["learning_rate"] for trial in search.candidates])
    assert logs.min() >= -4 and logs.max() <= -1
    quantiles = np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(np.quantile(logs, quantiles), -4 + 3 * quantiles, atol=0.08)


@pytest.mark.parametrize("low", [0.0, -1e-3])
def test_log_uniform_refuses_a_low_bound_at_or_below_zero(low):
    with pytest.raises(ValueError, match=r"log_uniform: low must be above 0.*low=-?0\.0"):
        log_uniform(low, 1e-1)


def test_uniform_refuses_a_low_bound_not_below_the_high():
    with pytest.raises(ValueError, match=r"uniform: low must be below high, got low=0.5, high=0.5"):
        uniform(0.5, 0.5)


def test_int_range_refuses_low_above_high_and_float_bounds():
    with pytest.raises(ValueError, match="low=5, high=4"):
        int_range(5, 4)
    with pytest.raises(TypeError, match=r"high must be an int, got 4.5"):
        int_range(1, 4.5)


def test_distributions_show_how_they_were_made():
    assert repr(log_uniform(1e-4, 0.1)) == "log_uniform(0.0001, 0.1)"
    assert repr(int_range(8, 64)) == "int_range(8, 64)"


# ----- grid search -----


def test_grid_candidates_are_the_product_last_key_fastest():
    search = GridSearch(lambda params: None, {"a": [1, 2], "b": ["x", "y", "z"]})
    assert search.candidates == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
        {"a": 2, "b": "z"},
    ]


def test_grid_search_trains_every_combination_once_in_order(data):
    x, y = data
    build = Builder()
    GridSearch(build, {"units": [2, 3, 4], "learning_rate": [0.01, 0.1]}).search(
        x, y, validation_split=0.25, epochs=1, verbose=0
    )
    assert build.params == [
        {"units": 2, "learning_rate": 0.01},
        {"units": 2, "learning_rate": 0.1},
        {"units": 3, "learning_rate": 0.01},
        {"units": 3, "learning_rate": 0.1},
        {"units": 4, "learning_rate": 0.01},
        {"units": 4, "learning_rate": 0.1},
    ]


def test_grid_search_refuses_an_empty_grid():
    with pytest.raises(ValueError, match="param_grid is empty"):
        GridSearch(Builder(), {})


def test_grid_search_refuses_an_empty_list_naming_its_key():
    with pytest.raises(ValueError, match=r"param_grid\['units'\] is an empty list"):
        GridSearch(Builder(), {"learning_rate": [0.01], "units": []})


def test_grid_search_refuses_a_bare_value_and_shows_the_list_to_write():
    with pytest.raises(TypeError, match=r"param_grid\['units'\] must be a list.*write \[16\]"):
        GridSearch(Builder(), {"units": 16})


def test_grid_search_refuses_a_distribution_and_points_to_random_search():
    with pytest.raises(TypeError, match=r"log_uniform\(0.0001, 0.1\).*RandomSearch"):
        GridSearch(Builder(), {"learning_rate": log_uniform(1e-4, 1e-1)})


# ----- random search -----


SPACE = {"learning_rate": log_uniform(1e-4, 1e-1), "units": int_range(2, 8), "act": ["a", "b"]}


def test_random_search_draws_are_reproducible_from_the_seed():
    first = RandomSearch(Builder(), SPACE, n_trials=20, seed=7).candidates
    again = RandomSearch(Builder(), SPACE, n_trials=20, seed=7).candidates
    other = RandomSearch(Builder(), SPACE, n_trials=20, seed=8).candidates
    assert first == again
    assert first != other


def test_random_search_results_are_reproducible_from_the_seeds(data):
    x, y = data
    space = {"learning_rate": log_uniform(1e-3, 1e-1), "units": int_range(2, 4)}
    runs = []
    for _ in range(2):
        set_random_seed(3)
        search = RandomSearch(Builder(), space, n_trials=3, seed=5)
        search.search(x, y, cv=2, epochs=2, verbose=0)
        runs.append([(row.params, row.scores) for row in search.results])
    assert runs[0] == runs[1]


def test_random_search_draws_list_values_from_the_list():
    candidates = RandomSearch(Builder(), SPACE, n_trials=50, seed=0).candidates
    assert {trial["act"] for trial in candidates} == {"a", "b"}
    assert {trial["units"] for trial in candidates} <= set(range(2, 9))


def test_random_search_over_lists_only_never_repeats_a_combination():
    space = {"learning_rate": [1e-3, 1e-2, 1e-1], "units": [2, 4, 8]}
    candidates = RandomSearch(Builder(), space, n_trials=9, seed=0).candidates
    assert len({tuple(trial.items()) for trial in candidates}) == 9


def test_random_search_over_lists_refuses_more_trials_than_combinations():
    with pytest.raises(ValueError, match="n_trials=10 but the lists give only 9"):
        RandomSearch(Builder(), {"a": [1, 2, 3], "b": [1, 2, 3]}, n_trials=10)


@pytest.mark.parametrize("n_trials", [0, -2])
def test_random_search_refuses_fewer_than_one_trial(n_trials):
    with pytest.raises(ValueError, match=f"n_trials must be at least 1, got {n_trials}"):
        RandomSearch(Builder(), SPACE, n_trials=n_trials)


def test_random_search_refuses_an_empty_list_naming_its_key():
    with pytest.raises(ValueError, match=r"param_distributions\['act'\] is an empty list"):
        RandomSearch(Builder(), {"act": []}, n_trials=1)


# ----- k-fold splits -----


def imbalanced_labels() -> np.ndarray:
    """70 labels of three classes, 50 / 13 / 7, shuffled."""
    labels = np.repeat([0, 1, 2], [50, 13, 7])
    return np.random.default_rng(0).permutation(labels)


def test_k_fold_validates_each_sample_exactly_once():
    splits = k_fold_splits(np.arange(23, dtype=float) * 0.5, 4, seed=0)
    validation = np.concatenate([val for _, val in splits])
    np.testing.assert_array_equal(np.sort(validation), np.arange(23))
    for train, val in splits:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), np.arange(23))


def test_k_fold_sizes_differ_by_at_most_one():
    sizes = [len(val) for _, val in k_fold_splits(np.linspace(0, 1, 23), 4, seed=0)]
    assert sorted(sizes) == [5, 6, 6, 6]


@pytest.mark.parametrize(
    "encode",
    [lambda y: y, lambda y: np.eye(3)[y], lambda y: np.eye(3, dtype=np.float32)[y]],
    ids=["integers", "one-hot", "one-hot float32"],
)
@pytest.mark.parametrize("k", [2, 3, 5, 7])
def test_k_fold_keeps_every_class_share_to_within_one_sample(encode, k):
    labels = imbalanced_labels()
    counts = np.bincount(labels)
    for _, val in k_fold_splits(encode(labels), k, seed=1):
        fair = counts * len(val) / len(labels)
        assert np.abs(np.bincount(labels[val], minlength=3) - fair).max() <= 1


def test_k_fold_stratifies_one_column_of_float_zeros_and_ones():
    labels = np.repeat([0.0, 1.0], [45, 9])[:, None]
    for _, val in k_fold_splits(labels, 3, seed=0):
        assert labels[val].sum() == 3


def test_k_fold_does_not_stratify_regression_targets():
    """Continuous targets are not classes: 5 folds of 2 despite every value being unique."""
    splits = k_fold_splits(np.linspace(0, 1, 10), 5, seed=0)
    assert [len(val) for _, val in splits] == [2] * 5


def test_k_fold_is_reproducible_from_its_seed_and_shuffles():
    labels = imbalanced_labels()
    first = [val for _, val in k_fold_splits(labels, 3, seed=4)]
    again = [val for _, val in k_fold_splits(labels, 3, seed=4)]
    other = [val for _, val in k_fold_splits(labels, 3, seed=5)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


@pytest.mark.parametrize("k", [1, 0])
def test_k_fold_refuses_fewer_than_two_folds(k):
    with pytest.raises(ValueError, match=f"cv must be at least 2 folds, got cv={k}"):
        k_fold_splits(np.zeros(10), k)


def test_k_fold_refuses_more_folds_than_samples():
    with pytest.raises(ValueError, match="cv=11 folds need at least 11 samples, got 10"):
        k_fold_splits(np.linspace(0, 1, 10), 11)


def test_k_fold_refuses_more_stratified_folds_than_the_smallest_class_holds():
    with pytest.raises(ValueError, match=r"class 2 has 7.*cv <= 7.*stratify=False"):
        k_fold_splits(imbalanced_labels(), 8)


def test_k_fold_without_stratification_allows_more_folds_than_a_class_holds():
    assert len(k_fold_splits(imbalanced_labels(), 8, stratify=False, seed=0)) == 8


def test_k_fold_refuses_a_non_integer_number_of_folds():
    with pytest.raises(TypeError, match=r"cv must be an int number of folds, got 2.5"):
        k_fold_splits(np.zeros(10), 2.5)


# ----- search with cross-validation -----


def test_cv_reports_the_mean_and_std_of_the_folds_objectives(data):
    x, y = data
    build = Builder()
    search = GridSearch(build, GRID, seed=0).search(x, y, cv=3, epochs=2, verbose=0)
    assert len(build.models) == 4 * 3 + 1  # three folds per trial, then the retrained best
    for row in search.results:
        fold_models = build.models[(row.trial - 1) * 3 : row.trial * 3]
        assert all(params == row.params for params in build.params[(row.trial - 1) * 3 :][:3])
        scores = [last(model) for model in fold_models]
        assert row.scores == tuple(scores)
        assert row.mean == pytest.approx(np.mean(scores), rel=1e-12)
        assert row.std == pytest.approx(np.std(scores), rel=1e-12)


def test_cv_trains_each_fold_on_the_rest_and_validates_on_it(data):
    x, y = data
    search = GridSearch(Builder(), {"learning_rate": [0.01], "units": [2]}, seed=0)
    search.search(x, y, cv=4, epochs=1, verbose=0)
    validation = np.concatenate([val for _, val in search.folds])
    np.testing.assert_array_equal(np.sort(validation), np.arange(len(x)))
    class_counts = np.bincount(y)
    for _, val in search.folds:
        fair = class_counts * len(val) / len(y)
        assert np.abs(np.bincount(y[val], minlength=2) - fair).max() <= 1


class StepCounter(Callback):
    """Records the number of batches of every fit it takes part in."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[int] = []

    def on_train_begin(self, logs: Any = None) -> None:
        self.steps.append(self.params["steps"])


def test_cv_best_model_is_the_best_params_retrained_on_all_samples(data):
    x, y = data  # 60 samples: folds train on 40 (4 batches of 10), the refit on 60 (6)
    build, counter = Builder(), StepCounter()
    search = GridSearch(build, GRID, seed=0)
    search.search(x, y, cv=3, epochs=1, batch_size=10, callbacks=[counter], verbose=0)
    assert counter.steps == [4] * 12 + [6]
    assert search.best_model is build.models[-1]
    assert build.params[-1] == search.best_params
    assert "val_loss" not in search.best_model.history.history


def test_cv_cuts_sample_weights_to_each_fold(data):
    """All-ones weights give the scores of no weights: each fold got its own samples' weights."""
    x, y = data
    runs = []
    for weights in (None, np.ones(len(x))):
        set_random_seed(1)
        search = GridSearch(Builder(), GRID, seed=0)
        search.search(x, y, cv=3, epochs=2, seed=0, sample_weight=weights, verbose=0)
        runs.append([row.mean for row in search.results])
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-6)


def test_cv_refuses_validation_data_as_well(data):
    x, y = data
    with pytest.raises(ValueError, match="with cv=3 every fold validates in turn"):
        GridSearch(Builder(), GRID).search(x, y, cv=3, validation_data=(x, y), verbose=0)


def test_cv_refuses_more_folds_than_the_smallest_class(data):
    x, _ = data
    y = np.zeros(len(x), dtype=np.int64)
    y[:2] = 1
    with pytest.raises(ValueError, match="class 1 has 2"):
        GridSearch(Builder(), GRID).search(x, y, cv=3, verbose=0)


# ----- search on validation data -----


def test_without_cv_the_best_model_is_the_best_trials_trained_model(data):
    x, y = data
    build = Builder()
    search = GridSearch(build, GRID).search(x, y, validation_split=0.25, epochs=3, verbose=0)
    scores = [last(model) for model in build.models]
    best = int(np.argmin(scores))
    assert search.best_model is build.models[best]
    assert search.best_params == build.params[best]
    assert search.best_score == scores[best]
    assert all(row.std is None and row.scores == (row.mean,) for row in search.results)


def test_a_validation_objective_without_validation_data_names_what_to_pass(data):
    x, y = data
    with pytest.raises(ValueError, match=r"validation_data=.*validation_split=.*cv="):
        GridSearch(Builder(), GRID).search(x, y, epochs=1, verbose=0)


def test_a_training_objective_needs_no_validation_data(data):
    x, y = data
    search = GridSearch(Builder(), GRID).search(x, y, objective="loss", epochs=2, verbose=0)
    assert len(search.results) == 4


# ----- objective and direction -----


def test_an_objective_fit_does_not_report_lists_the_keys_that_exist(data):
    x, y = data
    with pytest.raises(
        ValueError, match=r"'val_auc'; its history has: accuracy, loss, val_accuracy, val_loss"
    ):
        GridSearch(Builder(), GRID).search(
            x, y, validation_split=0.25, objective="val_auc", verbose=0
        )


def test_losses_are_minimized_best_first(data):
    x, y = data
    search = GridSearch(Builder(), GRID).search(x, y, validation_split=0.25, epochs=2, verbose=0)
    means = [row.mean for row in search.results]
    assert means == sorted(means)
    assert sorted(row.trial for row in search.results) == [1, 2, 3, 4]


def test_accuracies_are_maximized_best_first(data):
    x, y = data
    search = GridSearch(Builder(), GRID).search(
        x, y, validation_split=0.25, objective="val_accuracy", epochs=2, verbose=0
    )
    means = [row.mean for row in search.results]
    assert means == sorted(means, reverse=True)
    assert search.best_score == max(means)


def test_an_explicit_direction_wins_over_the_name(data):
    x, y = data
    search = GridSearch(Builder(), GRID).search(
        x, y, validation_split=0.25, direction="max", epochs=2, verbose=0
    )
    assert search.best_score == max(row.mean for row in search.results)


def margin(y_true: Any, y_pred: Any) -> np.ndarray:
    """A custom metric whose name says nothing about which way is better."""
    return np.abs(np.asarray(y_pred).reshape(-1) - 0.5)


def test_an_objective_of_unknown_direction_asks_for_direction(data):
    x, y = data
    search = GridSearch(Builder(metrics=[margin]), GRID)
    with pytest.raises(ValueError, match=r"'val_margin'.*direction='min' or direction='max'"):
        search.search(x, y, validation_split=0.25, objective="val_margin", verbose=0)
    search.search(x, y, validation_split=0.25, objective="val_margin", direction="max", verbose=0)
    assert search.best_score == max(row.mean for row in search.results)


def test_nan_scores_sort_last_whatever_the_direction():
    rows = [TrialResult(1, {}, float("nan"), None, (float("nan"),), 0.0)]
    rows += [TrialResult(2, {}, 0.5, None, (0.5,), 0.0), TrialResult(3, {}, 0.7, None, (0.7,), 0)]
    assert [r.trial for r in SearchResults(rows, "val_loss", "min", None)] == [2, 3, 1]
    assert [r.trial for r in SearchResults(rows, "val_auc", "max", None)] == [3, 2, 1]


# ----- build_model's parameters -----


def test_a_parameter_build_model_never_reads_is_named_after_the_first_build(data):
    x, y = data
    calls = []

    def build(params):
        calls.append(1)
        return compiled(params.get("units", 4), params["learning_rate"])

    search = GridSearch(build, {"learning_rate": [0.01, 0.1], "unitz": [2, 4]})
    with pytest.raises(ValueError, match=r"never read the parameter\(s\) 'unitz'") as error:
        search.search(x, y, validation_split=0.25, verbose=0)
    assert "'unitz' looks like 'units', which build_model asked for" in str(error.value)
    assert calls == [1]  # stopped before any training


def test_a_key_build_model_reads_but_the_search_lacks_lists_the_search_keys(data):
    x, y = data
    search = GridSearch(Builder(), {"learning_rate": [0.01], "unitz": [2]})
    with pytest.raises(KeyError, match=r"read 'units'.*parameters are: 'learning_rate', 'unitz'"):
        search.search(x, y, validation_split=0.25, verbose=0)


def test_build_model_receives_a_read_only_mapping_of_the_trials_values(data):
    x, y = data
    seen = []

    def build(params):
        seen.append((isinstance(params, Mapping), "units" in params, len(params)))
        return compiled(params["units"], params["learning_rate"])

    GridSearch(build, {"learning_rate": [0.01], "units": [2]}).search(
        x, y, validation_split=0.25, verbose=0
    )
    assert seen == [(True, True, 2)]


def test_build_model_must_return_a_compiled_model(data):
    x, y = data

    def uncompiled(params):
        params["units"], params["learning_rate"]
        return Sequential([Dense(1, input_shape=(2,))])

    with pytest.raises(ValueError, match=r"not compiled; call model.compile"):
        GridSearch(uncompiled, GRID).search(x, y, validation_split=0.25, verbose=0)
    with pytest.raises(TypeError, match=r"must return a compiled model.*got NoneType"):
        GridSearch(lambda params: None, GRID).search(x, y, validation_split=0.25, verbose=0)


# ----- results, progress, summary -----


@pytest.fixture
def finished(data) -> GridSearch:
    x, y = data
    return GridSearch(Builder(), GRID, seed=0).search(x, y, cv=3, epochs=2, verbose=0)


def test_results_print_as_a_table_with_one_row_per_trial_best_first(finished):
    lines = str(finished.results).splitlines()
    assert lines[0] == "4 trials by val_loss (lower is better, mean ± std over 3 folds), best first"
    assert lines[1].split() == [
        "rank",
        "trial",
        "learning_rate",
        "units",
        "val_loss",
        "std",
        "seconds",
    ]
    rows = [line.split() for line in lines[2:]]
    by_score = sorted(finished.results.rows, key=lambda row: row.mean)
    assert [int(row[1]) for row in rows] == [row.trial for row in by_score]
    assert [row[4] for row in rows] == [f"{row.mean:.4f}" for row in by_score]
    assert [row[2:4] for row in rows] == [
        [f"{row.params['learning_rate']:g}", str(row.params["units"])] for row in by_score
    ]


def test_summary_prints_the_table_and_the_best_parameters(finished):
    printed = []
    finished.summary(print_fn=printed.append)
    assert printed[0].startswith(str(finished.results))
    best = finished.results.best
    assert printed[0].endswith(
        f"best parameters: {{'learning_rate': {best.params['learning_rate']:g}, "
        f"'units': {best.params['units']}}} (val_loss {best.mean:.4f} ± {best.std:.4f})"
    )


def test_verbose_prints_one_line_per_trial(data, capsys):
    x, y = data
    GridSearch(Builder(), GRID, seed=0).search(x, y, cv=3, epochs=1, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "GridSearch: 4 trials × 3 folds = 12 fits, by val_loss"
    assert re.fullmatch(
        r"trial 1/4 \{'learning_rate': 0\.001, 'units': 2\}: val_loss \d\.\d{4} ± \d\.\d{4} "
        r"\(\d+\.\d\d s\)",
        lines[1],
    )
    assert [line.split(" {")[0] for line in lines[1:5]] == [f"trial {i}/4" for i in range(1, 5)]
    assert lines[5].startswith("best: trial ") and "retrained on all 60 samples" in lines[5]
    assert len(lines) == 6


def test_verbose_zero_prints_nothing(data, capsys):
    x, y = data
    GridSearch(Builder(), GRID).search(x, y, cv=3, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_to_dataframe_without_pandas_names_pandas(finished, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match=r"needs pandas.*pip install pandas"):
        finished.results.to_dataframe()


def test_to_dataframe_has_a_row_per_trial_best_first(finished):
    pytest.importorskip("pandas")
    frame = finished.results.to_dataframe()
    assert list(frame.columns) == [
        "trial",
        "learning_rate",
        "units",
        "val_loss",
        "val_loss_std",
        "seconds",
    ]
    assert list(frame["trial"]) == [row.trial for row in finished.results]


def test_summary_before_a_search_says_to_search_first():
    with pytest.raises(RuntimeError, match=r"run \.search\(x, y, \.\.\.\) first"):
        GridSearch(Builder(), GRID).summary()


# ----- the guide's breast-cancer classifier (E19) -----


def test_grid_search_with_cv_on_breast_cancer_picks_the_learning_rate_that_trains():
    """Two learning rates × two hidden sizes, 3 folds, 5 epochs: 1e-4 barely moves in 5
    epochs, 1e-2 learns; the retrained best model classifies the held-out 20 %."""
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    data = datasets.load_breast_cancer()
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        data.data, data.target, test_size=0.2, random_state=42
    )
    scaler = preprocessing.StandardScaler()
    x_train, x_test = scaler.fit_transform(x_train), scaler.transform(x_test)

    def build_model(params):
        model = Sequential(
            [
                Dense(params["units"], activation="relu", input_shape=(30,)),
                Dense(8, activation="relu"),
                Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(
            optimizer=optim.Adam(learning_rate=params["learning_rate"]),
            loss="binary_crossentropy",
            metrics=["accuracy"],
        )
        return model

    set_random_seed(0)
    search = GridSearch(build_model, {"learning_rate": [1e-4, 1e-2], "units": [8, 16]}, seed=0)
    search.search(x_train, y_train, cv=3, epochs=5, batch_size=32, verbose=0)
    assert search.best_params["learning_rate"] == 1e-2
    assert search.best_score < 0.3
    assert [row.params["learning_rate"] for row in search.results[:2]] == [1e-2, 1e-2]
    _, accuracy = search.best_model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.94
