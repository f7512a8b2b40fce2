"""Hyper-parameter search: train one model per setting and keep the best, optionally scored by
k-fold cross-validation.

    def build_model(params):
        model = Sequential([Dense(params["units"], activation="relu", input_shape=(30,)),
                            Dense(8, activation="relu"), Dense(1, activation="sigmoid")])
        model.compile(optimizer=optim.Adam(learning_rate=params["learning_rate"]),
                      loss="binary_crossentropy", metrics=["accuracy"])
        return model

    search = GridSearch(build_model, {"learning_rate": [1e-3, 1e-2], "units": [8, 16]})
    search.search(x, y, cv=3, epochs=20)     # the other keyword arguments go to fit
    print(search.results)                    # one row per trial, best first
    search.best_params, search.best_model

``GridSearch`` tries every combination of the lists it is given; ``RandomSearch`` draws
``n_trials`` settings from lists and from ``uniform``, ``log_uniform`` (learning rates) and
``int_range`` (both ends included). A trial is scored by ``objective``, read from the *last*
epoch of ``fit``'s history ("val_loss" by default, as Keras Tuner does); with ``cv=k`` by the
mean and the standard deviation of that score over k folds, every sample validating once.

``build_model`` receives a mapping that records which keys it reads: a parameter it never
reads (a misspelt key in a grid tunes nothing) stops the search after the first build.
"""

from __future__ import annotations

import difflib
import itertools
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd import Tensor
from nn.random import SeedLike, global_rng, make_rng
from nn.training import Model

__all__ = [
    "Distribution",
    "GridSearch",
    "IntRange",
    "LogUniform",
    "RandomSearch",
    "SearchResults",
    "TrialParams",
    "TrialResult",
    "Uniform",
    "int_range",
    "k_fold_splits",
    "log_uniform",
    "uniform",
]

BuildModel = Callable[[Mapping[str, Any]], Model]

# How an objective's name says which way is better (after dropping "val_"); a name that says
# neither takes the direction of the compiled metric of that name, else needs direction=.
_MINIMIZED = ("loss", "error")
_MAXIMIZED = ("acc", "auc", "precision", "recall", "f1", "r2")


# ----- distributions -----


class Distribution:
    """A range that ``RandomSearch`` draws one parameter value from: ``sample(rng)``."""

    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, repr=False)
class Uniform(Distribution):
    """Floats spread evenly over [low, high); made by ``uniform(low, high)``."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def __repr__(self) -> str:
        return f"uniform({self.low!r}, {self.high!r})"


@dataclass(frozen=True, repr=False)
class LogUniform(Distribution):
    """Floats whose logarithm is spread evenly: each decade between low and high is drawn as
    often (1e-4..1e-3 as often as 1e-2..1e-1), what learning rates need. ``log_uniform``."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return min(max(value, self.low), self.high)  # exp(log(x)) may round past an end

    def __repr__(self) -> str:
        return f"log_uniform({self.low!r}, {self.high!r})"


@dataclass(frozen=True, repr=False)
class IntRange(Distribution):
    """Integers from low to high, both included, each as likely; made by ``int_range``."""

    low: int
    high: int

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high, endpoint=True))

    def __repr__(self) -> str:
        return f"int_range({self.low!r}, {self.high!r})"


def uniform(low: float, high: float) -> Uniform:
    """Draw floats evenly from [low, high) (``low < high``)."""
    low, high = _finite_bounds("uniform", low, high)
    return Uniform(low, high)


def log_uniform(low: float, high: float) -> LogUniform:
    """Draw floats between low and high evenly on a log scale (``0 < low < high``): the range
    for a learning rate, e.g. ``log_uniform(1e-4, 1e-1)``."""
    low, high = _finite_bounds("log_uniform", low, high)
    if low <= 0:
        raise ValueError(
            f"log_uniform: low must be above 0 (a logarithm's range), got low={low}, high={high}"
        )
    return LogUniform(low, high)


def int_range(low: int, high: int) -> IntRange:
    """Draw integers from low to high, *both included*: ``int_range(8, 64)`` may give 64."""
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"int_range: {name} must be an int, got {value!r}")
    if low > high:
        raise ValueError(f"int_range: low must be at most high, got low={low}, high={high}")
    return IntRange(int(low), int(high))


def _finite_bounds(name: str, low: Any, high: Any) -> tuple[float, float]:
    for bound, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: {bound} must be a number, got {value!r}")
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name}: the bounds must be finite, got low={low}, high={high}")
    if not low < high:
        raise ValueError(f"{name}: low must be below high, got low={low}, high={high}")
    return low, high


# ----- parameter spaces -----


def _check_space(caller: str, argument: str, space: Any, grid: bool) -> dict[str, Any]:
    """The space as a dict of name -> list of values (or a Distribution, for random search)."""
    if not isinstance(space, Mapping):
        raise TypeError(
            f"{caller}: {argument} must be a dict of parameter name -> list of values, got "
            f"{type(space).__name__}"
        )
    if not space:
        raise ValueError(
            f"{caller}: {argument} is empty; give at least one parameter, e.g. "
            "{'learning_rate': [1e-3, 1e-2]}"
        )
    checked: dict[str, Any] = {}
    for name, values in space.items():
        if not isinstance(name, str):
            raise TypeError(f"{caller}: parameter names must be strings, got {name!r}")
        checked[name] = _check_values(caller, f"{argument}[{name!r}]", values, grid)
    return checked


def _check_values(caller: str, where: str, values: Any, grid: bool) -> Any:
    if isinstance(values, Distribution):
        if grid:
            raise TypeError(
                f"{caller}: {where} is {values!r}, which a grid cannot enumerate; list the "
                "values, or use RandomSearch to draw from it"
            )
        return values
    if isinstance(values, np.ndarray) and values.ndim >= 1:
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, range)):
        hint = "" if grid else " or a distribution such as log_uniform(1e-4, 1e-1)"
        raise TypeError(
            f"{caller}: {where} must be a list of values{hint}, got {values!r} "
            f"({type(values).__name__}); write [{values!r}] for a fixed value"
        )
    if len(values) == 0:
        raise ValueError(f"{caller}: {where} is an empty list; give at least one value")
    return list(values)


def _grid(space: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination, in itertools.product order: the keys in the order given, the last
    key changing fastest."""
    names = list(space)
    return [dict(zip(names, combination)) for combination in itertools.product(*space.values())]


# ----- the mapping build_model receives -----


class TrialParams(Mapping[str, Any]):
    """One trial's values, read-only, as ``build_model`` receives them; it records the keys
    read (``params[name]``, ``params.get(name)``, ``dict(params)``) so that a parameter
    ``build_model`` ignores can be reported, and the missing keys it asked for."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()
        self.missing: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            self.missing.add(name)
            raise KeyError(
                f"build_model read {name!r}, which this search does not set; its parameters "
                f"are: {', '.join(map(repr, self._values))}"
            )
        self.read.add(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values  # asking whether a key exists does not read its value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(self._values)


# ----- k-fold cross-validation -----


def k_fold_splits(
    y: Any, k: int, *, stratify: bool | None = None, seed: SeedLike = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """k (train_index, validation_index) pairs, each sample in exactly one validation fold and
    fold sizes within one of each other; the samples are shuffled from ``seed``.

    Stratified (every fold holds each class's fair share, n_c · fold size / n, to within one
    sample) when ``y`` holds class labels:
    integers, one column of 0/1, or one-hot rows. ``stratify=False`` forces plain k-fold,
    ``stratify=True`` treats y's distinct values as the classes."""
    labels = np.asarray(y.data if isinstance(y, Tensor) else y)
    if labels.ndim == 0:
        raise ValueError(f"k_fold_splits: y must have one entry per sample, got {labels!r}")
    n = len(labels)
    classes = _strata(labels) if stratify is None else (_classes(labels) if stratify else None)
    _check_folds(k, n, classes)
    rng = make_rng(seed) if seed is not None else global_rng()
    names, classes = np.unique(np.zeros(n) if classes is None else classes, return_inverse=True)
    counts = np.bincount(classes, minlength=len(names))
    fold_of = np.empty(n, dtype=np.int64)
    for c, per_fold in enumerate(_apportion(counts, k, rng)):
        members = rng.permutation(np.flatnonzero(classes == c))
        fold_of[members] = np.repeat(np.arange(k), per_fold)
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]


def _apportion(counts: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """How many samples of each class go to each fold (a classes × k table): fold sizes
    within one of each other, and every entry the class's fair share n_c · size_f / n rounded
    down or up, the round-ups placed so that rows and columns add up (Ryser's construction:
    each class's extra samples go to the folds still missing the most, ties at random)."""
    n = int(counts.sum())
    sizes = np.full(k, n // k)
    sizes[rng.permutation(k)[: n % k]] += 1
    table = counts[:, None] * sizes[None, :] // n
    class_left, fold_left = counts - table.sum(axis=1), sizes - table.sum(axis=0)
    for c in np.argsort(-class_left, kind="stable"):
        neediest = np.lexsort((rng.random(k), -fold_left))[: class_left[c]]
        table[c, neediest] += 1
        fold_left[neediest] -= 1
    return table


def _strata(y: np.ndarray) -> np.ndarray | None:
    """y's class labels if it holds labels (integers, one 0/1 column, one-hot rows), else None
    (regression targets, multi-label rows)."""
    column = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if column.ndim == 1:
        if column.dtype.kind in "biu":
            return column
        if column.dtype.kind == "f" and np.isin(column, (0.0, 1.0)).all():
            return column.astype(np.int64)
        return None
    if column.ndim == 2 and np.isin(column, (0, 1)).all() and (column.sum(axis=1) == 1).all():
        return column.argmax(axis=1)
    return None


def _classes(y: np.ndarray) -> np.ndarray:
    """Class labels for ``stratify=True``: one-hot rows' argmax, else y's values themselves."""
    strata = _strata(y)
    if strata is not None:
        return strata
    if y.ndim == 2 and y.shape[1] == 1:
        return y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"stratify=True: y of shape {y.shape} is neither labels nor one-hot rows; "
            "pass stratify=False"
        )
    return y


def _check_folds(k: Any, n: int, classes: np.ndarray | None) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"cv must be an int number of folds, got {k!r}")
    if k < 2:
        raise ValueError(f"cv must be at least 2 folds, got cv={k}")
    if k > n:
        raise ValueError(f"cv={k} folds need at least {k} samples, got {n}")
    if classes is not None:
        names, counts = np.unique(classes, return_counts=True)
        smallest = int(counts.argmin())
        if counts[smallest] < k:
            raise ValueError(
                f"cv={k} stratified folds need at least {k} samples of every class; class "
                f"{names[smallest].item()!r} has {counts[smallest]} (pass cv <= "
                f"{counts[smallest]}, or stratify=False for plain k-fold)"
            )


# ----- results -----


@dataclass(frozen=True)
class TrialResult:
    """One trial: its number (in the order run, from 1), its parameters, the objective's mean
    over the folds (the one score without cv), their population standard deviation (None
    without cv), every fold's score, and the seconds the trial took (all its folds)."""

    trial: int
    params: dict[str, Any]
    mean: float
    std: float | None
    scores: tuple[float, ...]
    seconds: float


class SearchResults(Sequence[TrialResult]):
    """The trials of one search, best first (NaN scores last, ties in the order run); prints
    as a table, and ``to_dataframe()`` gives a pandas DataFrame."""

    def __init__(
        self,
        trials: Sequence[TrialResult],
        objective: str,
        direction: str,
        folds: int | None,
    ) -> None:
        self.objective, self.direction, self.folds = objective, direction, folds
        sign = -1.0 if direction == "max" else 1.0
        self.rows = sorted(trials, key=lambda r: (math.isnan(r.mean), sign * r.mean))

    @property
    def best(self) -> TrialResult:
        return self.rows[0]

    def __getitem__(self, index: Any) -> Any:
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def _param_names(self) -> list[str]:
        return list(dict.fromkeys(name for row in self.rows for name in row.params))

    def to_dataframe(self) -> Any:
        """A pandas DataFrame, best first: trial, one column per parameter, the objective's
        mean (named after it), its std (with cv: "<objective>_std"), seconds."""
        try:
            import pandas
        except ImportError:
            raise ImportError(
                "SearchResults.to_dataframe needs pandas, which chainrule does not depend on; "
                "install it with `pip install pandas`, or print the results as a table"
            ) from None
        records = []
        for row in self.rows:
            record = {"trial": row.trial, **row.params, self.objective: row.mean}
            if self.folds is not None:
                record[f"{self.objective}_std"] = row.std
            records.append({**record, "seconds": row.seconds})
        return pandas.DataFrame.from_records(records)

    def table(self) -> str:
        """The results as a text table, best first."""
        names = self._param_names()
        header = ["rank", "trial", *names, self.objective]
        header += ["std", "seconds"] if self.folds is not None else ["seconds"]
        cells = [header]
        for rank, row in enumerate(self.rows, 1):
            line = [str(rank), str(row.trial)]
            line += [_format_value(row.params[n]) if n in row.params else "" for n in names]
            line.append(f"{row.mean:.4f}")
            line += [f"{row.std:.4f}"] if self.folds is not None else []
            cells.append([*line, f"{row.seconds:.2f}"])
        widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
        better = "lower" if self.direction == "min" else "higher"
        scored = f"mean ± std over {self.folds} folds" if self.folds is not None else "one fit each"
        title = (
            f"{len(self.rows)} trials by {self.objective} ({better} is better, {scored}), "
            "best first"
        )
        lines = ["  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in cells]
        return "\n".join([title, *lines])

    def __str__(self) -> str:
        return self.table()

    __repr__ = __str__


def _format_value(value: Any) -> str:
    """A parameter value for display: floats to 4 significant digits, the rest as repr."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return repr(value)


def _format_seconds(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _format_params(params: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{name!r}: {_format_value(v)}" for name, v in params.items()) + "}"


def _format_score(objective: str, mean: float, std: float | None) -> str:
    return f"{objective} {mean:.4f}" + ("" if std is None else f" ± {std:.4f}")


# ----- the searches -----


class _Search:
    """What both searches share: ``search`` runs ``candidates``, one trial each."""

    candidates: list[dict[str, Any]]

    def __init__(self, build_model: BuildModel, seed: SeedLike) -> None:
        if not callable(build_model):
            raise TypeError(
                f"{type(self).__name__}: build_model must be a function(params) returning a "
                f"compiled model, got {type(build_model).__name__}"
            )
        self.build_model = build_model
        self.seed = seed
        self._rng = make_rng(seed) if seed is not None else None
        self.fold_seed: int | None = None  # drawn at the first search: then the same folds
        self.best_params: dict[str, Any] | None = None
        self.best_model: Model | None = None
        self.best_score: float | None = None
        self.results: SearchResults | None = None
        self.folds: list[tuple[np.ndarray, np.ndarray]] | None = None

    def search(
        self,
        x: Any,
        y: Any,
        validation_data: tuple[Any, ...] | None = None,
        validation_split: float = 0.0,
        cv: int | None = None,
        objective: str = "val_loss",
        verbose: int = 1,
        *,
        direction: str | None = None,
        stratify: bool | None = None,
        **fit_kwargs: Any,
    ) -> _Search:
        """Train one model per candidate and keep the best; returns this searcher, whose
        ``best_params``, ``best_model``, ``best_score`` and ``results`` are then set.

        Without ``cv`` a trial is one ``fit`` (a "val_" objective needs ``validation_data`` or
        ``validation_split``) and ``best_model`` is the best trial's trained model. With
        ``cv=k`` a trial is k fits, one per fold (the same folds for every trial, stratified
        when y holds class labels, see ``k_fold_splits``), scored by the mean and population
        std of the folds' objectives; ``best_model`` is then *retrained on all of x* with the
        best parameters. ``direction`` ("min"/"max") overrides the one read from the name.
        ``verbose``: 0 silent, 1 a line per trial, 2 also fit's line per epoch. The other
        keyword arguments (epochs, batch_size, callbacks, seed, ...) go to every ``fit``."""
        caller = f"{type(self).__name__}.search"
        _check_search_args(caller, objective, verbose, direction)
        fit_kwargs = {**fit_kwargs, "verbose": 2 if verbose == 2 else 0}
        if cv is not None:
            if validation_data is not None or validation_split:
                raise ValueError(
                    f"{caller}: with cv={cv} every fold validates in turn; drop "
                    "validation_data / validation_split, or drop cv"
                )
            x, y = _arrays(caller, x, y)
            if self.fold_seed is None:
                self.fold_seed = int(self.rng().integers(2**63))
            self.folds = k_fold_splits(y, cv, stratify=stratify, seed=self.fold_seed)
        else:
            if stratify is not None:
                raise ValueError(f"{caller}: stratify applies to cv folds; pass cv as well")
            if objective.startswith("val_") and validation_data is None and not validation_split:
                raise ValueError(
                    f"{caller}: the objective {objective!r} is a validation score but there is "
                    "no validation data; pass validation_data=(x_val, y_val), "
                    "validation_split=0.2 or cv=5 (or a training objective such as 'loss')"
                )
            self.folds = None
        run = _Run(self, objective, direction, verbose, fit_kwargs)
        run.header(len(self.candidates))
        trials = [
            run.trial(number, params, x, y, validation_data, validation_split)
            for number, params in enumerate(self.candidates, 1)
        ]
        results = SearchResults(trials, objective, run.direction or "min", cv)
        best = results.best
        self.results, self.best_params, self.best_score = results, dict(best.params), best.mean
        note = ""
        if cv is None:
            self.best_model = run.best_model
        else:
            start = time.perf_counter()
            self.best_model = run.refit(best.params, x, y)
            seconds = _format_seconds(time.perf_counter() - start)
            note = f"; retrained on all {len(x)} samples ({seconds})"
        if verbose:
            print(
                f"best: trial {best.trial} {_format_params(best.params)}: "
                f"{_format_score(objective, best.mean, best.std)}{note}"
            )
        return self

    def rng(self) -> np.random.Generator:
        """The generator of this search's draws: from ``seed``, else the global one (read when
        needed, so that ``set_random_seed`` before the search counts)."""
        return self._rng if self._rng is not None else global_rng()

    def summary(self, print_fn: Callable[[str], Any] = print) -> None:
        """Print the results table (best first) and the best parameters."""
        if self.results is None:
            raise RuntimeError(f"{type(self).__name__}.summary: run .search(x, y, ...) first")
        best = self.results.best
        print_fn(
            f"{self.results}\nbest parameters: {_format_params(best.params)} "
            f"({_format_score(self.results.objective, best.mean, best.std)})"
        )


class _Run:
    """The state of one ``search`` call: the direction once known, the best model so far,
    whether build_model's reads were checked."""

    def __init__(
        self,
        search: _Search,
        objective: str,
        direction: str | None,
        verbose: int,
        fit_kwargs: dict[str, Any],
    ) -> None:
        self.search, self.objective, self.direction = search, objective, direction
        self.verbose, self.fit_kwargs = verbose, fit_kwargs
        self.caller = f"{type(search).__name__}.search"
        self.reads_checked = False
        self.best_model: Model | None = None
        self.best_mean: float | None = None

    def header(self, trials: int) -> None:
        if self.verbose:
            folds = self.search.folds
            fits = f" × {len(folds)} folds = {trials * len(folds)} fits" if folds else ""
            print(f"{type(self.search).__name__}: {trials} trials{fits}, by {self.objective}")

    def trial(
        self,
        number: int,
        params: dict[str, Any],
        x: Any,
        y: Any,
        validation_data: Any,
        validation_split: float,
    ) -> TrialResult:
        start = time.perf_counter()
        folds = self.search.folds
        if folds is None:
            model = self.build(params)
            history = model.fit(
                x,
                y,
                validation_data=validation_data,
                validation_split=validation_split,
                **self.fit_kwargs,
            )
            scores = [self.score(history.history, model)]
        else:
            scores = [self.fold_score(params, x, y, train, val) for train, val in folds]
        mean = float(np.mean(scores))
        std = float(np.std(scores)) if folds is not None else None
        result = TrialResult(
            number, dict(params), mean, std, tuple(scores), time.perf_counter() - start
        )
        if folds is None and self.is_better(mean):
            self.best_model, self.best_mean = model, mean
        if self.verbose:
            print(
                f"trial {number}/{len(self.search.candidates)} {_format_params(params)}: "
                f"{_format_score(self.objective, mean, std)} ({_format_seconds(result.seconds)})"
            )
        return result

    def fold_score(
        self, params: dict[str, Any], x: Any, y: Any, train: np.ndarray, validation: np.ndarray
    ) -> float:
        """One fold: a fresh model trained on the other folds, scored on this one."""
        model = self.build(params)
        kwargs, weights = _fold_weights(self.fit_kwargs, train, validation)
        history = model.fit(
            x[train], y[train], validation_data=(x[validation], y[validation], *weights), **kwargs
        )
        return self.score(history.history, model)

    def build(self, params: dict[str, Any]) -> Model:
        """build_model(params), checked: a compiled Model, every parameter read (once)."""
        recorder = TrialParams(params)
        model = self.search.build_model(recorder)
        if not isinstance(model, Model):
            raise TypeError(
                f"{self.caller}: build_model must return a compiled model (nn.models.Sequential "
                f"or another nn.Model), got {type(model).__name__}"
            )
        if model.optimizer is None or model.loss is None:
            raise ValueError(
                f"{self.caller}: build_model returned a {type(model).__name__} that is not "
                "compiled; call model.compile(optimizer=..., loss=...) before returning it"
            )
        if not self.reads_checked:
            self.reads_checked = True
            _check_reads(self.caller, recorder)
        return model

    def score(self, history: dict[str, list[Any]], model: Model) -> float:
        """The objective at the last epoch; the direction is settled at the first score."""
        if self.objective not in history:
            raise ValueError(
                f"{self.caller}: fit does not report the objective {self.objective!r}; its "
                f"history has: {', '.join(sorted(history)) or 'nothing'} (a metric must be in "
                "compile(metrics=[...]), a 'val_' key needs validation data)"
            )
        values = history[self.objective]
        if not values:
            raise ValueError(f"{self.caller}: fit ran no epochs, so {self.objective!r} is empty")
        if self.direction is None:
            self.direction = _infer_direction(self.caller, self.objective, model)
        return float(values[-1])

    def is_better(self, mean: float) -> bool:
        """A NaN score loses to any number; the first trial is the best so far."""
        if self.best_mean is None:
            return True
        if math.isnan(mean) or math.isnan(self.best_mean):
            return not math.isnan(mean)
        return mean > self.best_mean if self.direction == "max" else mean < self.best_mean

    def refit(self, params: dict[str, Any], x: np.ndarray, y: np.ndarray) -> Model:
        """The best parameters trained on all of x (with cv, no trial's model saw all of it)."""
        model = self.build(params)
        model.fit(x, y, **self.fit_kwargs)
        return model


class GridSearch(_Search):
    """Try every combination of the values listed in ``param_grid`` (a dict of name -> list).

    The order of the trials (``candidates``) is itertools.product's: the keys in the order
    given, the last key changing fastest; {"a": [1, 2], "b": [3, 4]} runs (1, 3), (1, 4),
    (2, 3), (2, 4). ``seed`` shuffles the cross-validation folds (None: the global generator
    of ``nn.random.set_random_seed``)."""

    def __init__(
        self,
        build_model: BuildModel,
        param_grid: Mapping[str, Sequence[Any]],
        seed: SeedLike = None,
    ) -> None:
        super().__init__(build_model, seed)
        self.param_grid = _check_space("GridSearch", "param_grid", param_grid, grid=True)
        self.candidates = _grid(self.param_grid)


class RandomSearch(_Search):
    """Try ``n_trials`` settings drawn from ``param_distributions``: each name maps to a list
    (one value drawn, each as likely) or a distribution (``uniform``, ``log_uniform``,
    ``int_range``). The draws (``candidates``, made at construction) and the folds are
    reproducible from ``seed``. When every entry is a list the settings are drawn without
    repetition (scikit-learn's rule), so n_trials may not exceed the number of combinations;
    with a distribution they are drawn independently."""

    def __init__(
        self,
        build_model: BuildModel,
        param_distributions: Mapping[str, Any],
        n_trials: int = 10,
        seed: SeedLike = None,
    ) -> None:
        super().__init__(build_model, seed)
        if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)):
            raise TypeError(f"RandomSearch: n_trials must be an int, got {n_trials!r}")
        if n_trials < 1:
            raise ValueError(f"RandomSearch: n_trials must be at least 1, got {n_trials}")
        self.n_trials = int(n_trials)
        self.param_distributions = _check_space(
            "RandomSearch", "param_distributions", param_distributions, grid=False
        )
        self.candidates = self._draw()

    def _draw(self) -> list[dict[str, Any]]:
        space, rng = self.param_distributions, self.rng()
        if not all(isinstance(values, list) for values in space.values()):
            return [
                {name: _draw_one(v, rng) for name, v in space.items()} for _ in range(self.n_trials)
            ]
        combinations = math.prod(len(values) for values in space.values())
        if self.n_trials > combinations:
            raise ValueError(
                f"RandomSearch: n_trials={self.n_trials} but the lists give only "
                f"{combinations} distinct combinations; pass n_trials <= {combinations} "
                "(or GridSearch to try them all)"
            )
        # Without repetition: a combination drawn again is drawn afresh (the grid itself may
        # be too large to list).
        drawn: dict[tuple[int, ...], None] = {}
        while len(drawn) < self.n_trials:
            drawn.setdefault(tuple(int(rng.integers(len(v))) for v in space.values()))
        return [
            {name: values[i] for (name, values), i in zip(space.items(), indices)}
            for indices in drawn
        ]


def _draw_one(values: Any, rng: np.random.Generator) -> Any:
    """One value: a distribution's sample, or a list's entry, each as likely."""
    if isinstance(values, Distribution):
        return values.sample(rng)
    return values[int(rng.integers(len(values)))]


# ----- helpers -----


def _check_search_args(caller: str, objective: Any, verbose: Any, direction: Any) -> None:
    if not isinstance(objective, str) or not objective:
        raise TypeError(f"{caller}: objective must be a history key such as 'val_loss'")
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"{caller}: verbose must be 0, 1 or 2, got {verbose!r}")
    if direction not in (None, "min", "max"):
        raise ValueError(f"{caller}: direction must be 'min', 'max' or None, got {direction!r}")


def _arrays(caller: str, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """x and y as arrays that folds can index (fit checks their contents)."""
    x = np.asarray(x.data if isinstance(x, Tensor) else x)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"{caller}: x and y must hold the same number of samples, got shapes {x.shape} "
            f"and {y.shape}"
        )
    return x, y


def _fold_weights(
    fit_kwargs: dict[str, Any], train: np.ndarray, validation: np.ndarray
) -> tuple[dict[str, Any], tuple[np.ndarray, ...]]:
    """A fold's fit arguments: ``sample_weight`` cut to its training samples, and the
    validation samples' weights (for validation_data's third entry)."""
    if fit_kwargs.get("sample_weight") is None:
        return fit_kwargs, ()
    weights = np.asarray(fit_kwargs["sample_weight"]).reshape(-1)
    return {**fit_kwargs, "sample_weight": weights[train]}, (weights[validation],)


def _check_reads(caller: str, params: TrialParams) -> None:
    """Name the parameters build_model never read (after the first build)."""
    unread = [name for name in params if name not in params.read]
    if not unread:
        return
    hints = []
    for name in unread:
        close = difflib.get_close_matches(name, sorted(params.missing), n=1)
        if close:
            hints.append(f"{name!r} looks like {close[0]!r}, which build_model asked for")
    raise ValueError(
        f"{caller}: build_model never read the parameter(s) {', '.join(map(repr, unread))}"
        f" (it read: {', '.join(map(repr, sorted(params.read))) or 'nothing'}), so the search "
        "would not tune them"
        + (f"; {'; '.join(hints)}" if hints else "")
        + ". Read every parameter as params[name], in every trial."
    )


def _infer_direction(caller: str, objective: str, model: Model) -> str:
    """Minimize losses and errors, maximize accuracies, AUC, precision, recall, F1, R²;
    otherwise the compiled metric's own direction, else an error asking for direction=."""
    name = objective.removeprefix("val_")
    if any(part in name for part in _MINIMIZED):
        return "min"
    if any(part in name for part in _MAXIMIZED):
        return "max"
    for metric in getattr(model, "compiled_metrics", []):
        if getattr(metric, "name", None) == name and getattr(metric, "direction", None):
            return "max" if metric.direction == "up" else "min"
    raise ValueError(
        f"{caller}: cannot tell whether {objective!r} should be minimized or maximized; pass "
        "direction='min' or direction='max'"
    )
