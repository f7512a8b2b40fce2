"""Training diagnostics: what each layer's activations, gradients and updates look like while a
network learns, and pictures of them (Karpathy's "building makemore" checks, Keras-style).

``LayerStats`` records, per layer and per step, the figures that tell a healthy network from a
sick one:

- ``activation_mean``, ``activation_std``: of the layer's output (after its activation);
- ``saturated_fraction``: the share of outputs where the activation has gone flat — |tanh| >
  0.97, sigmoid < 0.03 or > 0.97, ReLU exactly 0 (dead); NaN for other activations;
- ``gradient_mean``, ``gradient_std``, ``gradient_abs_mean``: of the kernel's gradient;
- ``grad_data_ratio``: std(gradient) / std(kernel), the kernel taken before the step;
- ``update_data_ratio_log10``: log10(std(update) / std(kernel)), the update being the change
  the optimizer made to the kernel in this step; around −3 (updates a thousandth of the
  weights) is the customary healthy value, far below means learning too slowly.

With ``fit`` it is a callback::

    stats = LayerStats()
    model.fit(x, y, epochs=3, callbacks=[stats])
    plot_update_ratios(stats)

In a hand-written loop, attach it to the model and mark each step::

    stats = LayerStats(model)          # wraps the layers' call to see their outputs
    for step in range(100):
        with stats.step():             # kernels saved on entry, figures recorded on exit
            loss = loss_fn(y, model(x))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    stats.detach()                     # the layers' own call again

``with stats.step():`` is the same as calling ``stats.before_step()`` before
``optimizer.step()`` (anywhere in the step: before the forward pass or after ``backward``)
and ``stats.after_step()`` after it. ``with LayerStats(model) as stats:`` detaches on exit.

The plots return a matplotlib ``Figure``. They are drawn with ``pyplot`` and then closed
(detached from pyplot), so none piles up in a loop, a script or a test; in Jupyter a figure
shows when it is a cell's value (``plot_history(history)`` as the last line), or with
``display(fig)``; ``fig.savefig(path)`` writes it anywhere. matplotlib is imported only when a
plot is drawn: ``pip install 'chainrule[notebooks]'``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from autograd import Tensor, is_grad_enabled, no_grad
from nn.callbacks import Callback, History
from nn.layers.activation import ReLU
from nn.layers.base import Layer

__all__ = [
    "LayerStats",
    "plot_activation_histograms",
    "plot_decision_boundary",
    "plot_gradient_flow",
    "plot_gradient_histograms",
    "plot_history",
    "plot_update_ratios",
]

# Where an activation counts as saturated (Karpathy's thresholds).
SATURATION_LIMIT = 0.97
UPDATE_GUIDE_LOG10 = -3.0  # the customary update:data ratio, 1e-3

RECORD_KEYS = (
    "step",
    "layer",
    "activation_mean",
    "activation_std",
    "saturated_fraction",
    "gradient_mean",
    "gradient_std",
    "gradient_abs_mean",
    "grad_data_ratio",
    "update_data_ratio_log10",
)


# ----- which layers, which weight, which activation -----


def _model_layers(model: Any) -> list[Layer]:
    """The model's layers: ``Sequential.layers``, or every Layer below a subclassed model."""
    layers = getattr(model, "layers", None)
    if isinstance(layers, (list, tuple)) and all(isinstance(layer, Layer) for layer in layers):
        return list(layers)
    if not hasattr(model, "modules"):
        raise TypeError(
            f"LayerStats: expected a model of nn.layers layers (such as a Sequential), got "
            f"{type(model).__name__}"
        )
    return [m for m in model.modules() if isinstance(m, Layer) and m is not model]


def _kernel(layer: Layer) -> Tensor | None:
    """The layer's weight matrix: ``kernel`` (Dense, Conv2D) or ``weight`` (Linear)."""
    for name in ("kernel", "weight"):
        weight = layer.__dict__.get(name)
        if isinstance(weight, Tensor):
            return weight
    return None


def _saturation_rule(layer: Layer) -> str | None:
    """The saturation rule, "tanh", "sigmoid" or "relu", of the layer's activation, or None."""
    if isinstance(layer, ReLU):
        default = layer.max_value is None and layer.negative_slope == 0 and layer.threshold == 0
        return "relu" if default else None
    name = getattr(getattr(layer, "activation", None), "__name__", None)
    return name if name in ("tanh", "sigmoid", "relu") else None


def _saturated(values: np.ndarray, rule: str | None) -> float:
    """The fraction of ``values`` where the activation named ``rule`` is flat (NaN if none)."""
    if rule is None or values.size == 0:
        return math.nan
    if rule == "tanh":
        flat = np.abs(values) > SATURATION_LIMIT
    elif rule == "sigmoid":
        flat = (values < 1 - SATURATION_LIMIT) | (values > SATURATION_LIMIT)
    else:
        flat = values == 0
    return float(np.mean(flat))


def _labels(layers: Sequence[Layer]) -> list[str]:
    """Layer names, made unique with the layer's position when two share a name."""
    names = [layer.name for layer in layers]
    return [
        name if names.count(name) == 1 else f"{name}#{index}" for index, name in enumerate(names)
    ]


# ----- the numbers -----


def _mean_std(values: np.ndarray | None) -> tuple[float, float]:
    if values is None or values.size == 0:
        return math.nan, math.nan
    with np.errstate(all="ignore"):  # a diverged network's inf must not stop the diagnosis
        return float(np.mean(values)), float(np.std(values))


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is 0 or unknown."""
    if not denominator or math.isnan(denominator) or math.isnan(numerator):
        return math.nan
    return numerator / denominator


def _log10(value: float) -> float:
    """log10, −inf for 0 (no update at all), NaN when unknown."""
    if math.isnan(value):
        return math.nan
    return -math.inf if value == 0 else math.log10(value)


def _histogram(values: np.ndarray | None, bins: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(counts, bin edges) of the finite values, or None when there are none."""
    if values is None:
        return None
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    # Fewer bins for few values (a 16-weight kernel), so that the curve is not mostly gaps.
    return np.histogram(finite, bins=min(bins, max(5, math.isqrt(finite.size))))


def _float_array(values: Any) -> np.ndarray | None:
    return None if values is None else np.array(values, dtype=np.float64, copy=True).ravel()


# ----- LayerStats -----


class LayerStats(Callback):
    """Per-layer activation, gradient and update figures at every ``every``-th training step.

    ``records`` is a list of dicts with the keys ``RECORD_KEYS`` (one per step and layer; see
    the module's docstring for what each means), ``to_dataframe()`` makes it a pandas
    DataFrame. For the plots it also keeps, per recorded step and layer, histograms of the
    activations and kernel gradients (``histograms[step][layer]["activation" | "gradient"]``
    = ``(counts, bin_edges)``, at most ``bins`` bins, fewer for small arrays) and the last
    recorded raw arrays (``last_activations``, ``last_gradients``, by layer label).

    ``layers``: the layers to watch (default: those with a weight matrix — Dense, Linear,
    Conv2D); a layer without one (an ``Activation``, ``BatchNormalization``) gets NaN for the
    gradient and update figures. Layers are labelled by name. Steps are counted from 0 over
    the object's life (they continue across several ``fit`` calls).
    """

    def __init__(
        self,
        model: Any = None,
        every: int = 1,
        layers: Sequence[Layer] | None = None,
        bins: int = 50,
    ) -> None:
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"LayerStats: every must be a positive int, got {every!r}")
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ValueError(f"LayerStats: bins must be a positive int, got {bins!r}")
        self.every = every
        self.bins = bins
        self.records: list[dict[str, Any]] = []
        self.histograms: dict[int, dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]] = {}
        self.last_activations: dict[str, np.ndarray] = {}
        self.last_gradients: dict[str, np.ndarray] = {}
        self.step_count = 0  # the steps finished so far; the next one is numbered this
        self._chosen_layers = list(layers) if layers is not None else None
        self._layers: list[Layer] = []
        self._labels: list[str] = []
        self._wrappers: dict[int, Any] = {}  # id(layer) -> the recording call installed on it
        self._previous_calls: dict[int, Any] = {}  # the instance's own ``call`` before, if any
        self._outputs: dict[int, np.ndarray] = {}  # id(layer) -> its last output's data
        self._pending: tuple[int, dict[int, np.ndarray] | None] | None = None
        self._attached_to: Any = None
        if model is not None:
            self.attach(model)

    # ----- attaching to a model -----

    @property
    def attached(self) -> bool:
        """Whether recording wrappers are installed on the layers."""
        return bool(self._wrappers)

    @property
    def layer_labels(self) -> list[str]:
        """The labels of the watched layers, in order."""
        return list(self._labels)

    def attach(self, model: Any) -> LayerStats:
        """Watch ``model``: wrap each watched layer's ``call`` (on the instance) so that its
        output is seen. The model must be built (give ``input_shape``, or call it once)."""
        if self.attached:
            self.detach()
        self.model = self._attached_to = model
        layers = self._chosen_layers
        if layers is None:
            layers = [layer for layer in _model_layers(model) if _kernel(layer) is not None]
        if not layers:
            raise ValueError(
                f"LayerStats: {type(model).__name__} has no layer with a weight matrix to watch "
                "(build it first: give the first layer input_shape=, or call the model once)"
            )
        self._layers, self._labels = list(layers), _labels(layers)
        for layer in self._layers:
            self._wrap(layer)
        return self

    def detach(self) -> None:
        """Remove the wrappers: each layer's ``call`` is its class's (or its own) again."""
        for layer in self._layers:
            wrapper = self._wrappers.pop(id(layer), None)
            if wrapper is None or layer.__dict__.get("call") is not wrapper:
                continue  # not ours, or someone wrapped over ours: leave it
            previous = self._previous_calls.pop(id(layer), None)
            if previous is None:
                del layer.__dict__["call"]
            else:
                layer.__dict__["call"] = previous
        self._wrappers.clear()
        self._previous_calls.clear()
        self._outputs.clear()
        self._pending = None
        self._attached_to = None

    def _wrap(self, layer: Layer) -> None:
        original = layer.call
        outputs = self._outputs
        key = id(layer)

        def recording_call(x: Tensor) -> Tensor:
            output = original(x)
            if is_grad_enabled():  # training passes only: evaluation runs under no_grad
                outputs[key] = output.data
            return output

        if "call" in layer.__dict__:
            self._previous_calls[key] = layer.__dict__["call"]
        layer.__dict__["call"] = recording_call
        self._wrappers[key] = recording_call

    def __enter__(self) -> LayerStats:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.detach()

    # ----- the hand-written loop -----

    def before_step(self, step: int | None = None) -> None:
        """Call before ``optimizer.step()``: saves the kernels (on recorded steps) so that
        ``after_step`` can measure the update. ``step`` renumbers the step (default: the
        count of steps so far)."""
        if not self.attached:
            raise RuntimeError(
                "LayerStats: not attached to a model; use LayerStats(model) or "
                "stats.attach(model) before the first step"
            )
        step = self.step_count if step is None else int(step)
        saved = None
        if step % self.every == 0:
            saved = {}
            for layer in self._layers:
                kernel = _kernel(layer)
                if kernel is not None:
                    saved[id(layer)] = np.array(kernel.data, dtype=np.float64, copy=True)
        self._pending = (step, saved)

    def after_step(self) -> None:
        """Call after ``optimizer.step()``: records this step's figures (on recorded steps)."""
        if self._pending is None:
            raise RuntimeError(
                "LayerStats.after_step: call stats.before_step() before optimizer.step() "
                "(or use `with stats.step():` around the whole step)"
            )
        step, saved = self._pending
        self._pending = None
        if saved is not None:
            self._record(step, saved)
        self._outputs.clear()
        self.step_count = step + 1

    @contextmanager
    def step(self, step: int | None = None) -> Iterator[LayerStats]:
        """``with stats.step():`` around one training step (forward, backward and
        ``optimizer.step()``): ``before_step`` on entry, ``after_step`` on a normal exit."""
        self.before_step(step)
        try:
            yield self
        except BaseException:
            self._pending = None
            raise
        self.after_step()

    # ----- as a fit callback -----

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self.attached or self._attached_to is not self.model:
            self.attach(self.model)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.before_step()  # the kernels before fit's forward pass are those before its step

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.after_step()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.detach()

    # ----- recording -----

    def _record(self, step: int, saved: dict[int, np.ndarray]) -> None:
        histograms = self.histograms.setdefault(step, {})
        for layer, label in zip(self._layers, self._labels):
            activation = _float_array(self._outputs.get(id(layer)))
            kernel = _kernel(layer)
            gradient = _float_array(None if kernel is None else kernel.grad)
            before = saved.get(id(layer))
            self.records.append(
                self._figures(step, label, layer, activation, gradient, before, kernel)
            )
            kinds = {
                "activation": _histogram(activation, self.bins),
                "gradient": _histogram(gradient, self.bins),
            }
            histograms[label] = {kind: h for kind, h in kinds.items() if h is not None}
            if activation is not None:
                self.last_activations[label] = activation
            if gradient is not None:
                self.last_gradients[label] = gradient

    @staticmethod
    def _figures(
        step: int,
        label: str,
        layer: Layer,
        activation: np.ndarray | None,
        gradient: np.ndarray | None,
        before: np.ndarray | None,
        kernel: Tensor | None,
    ) -> dict[str, Any]:
        """One record: the figures of one layer at one step."""
        activation_mean, activation_std = _mean_std(activation)
        gradient_mean, gradient_std = _mean_std(gradient)
        _, weight_std = _mean_std(before)
        update_std = math.nan
        if before is not None and kernel is not None:
            _, update_std = _mean_std(np.asarray(kernel.data, dtype=np.float64) - before)
        return {
            "step": step,
            "layer": label,
            "activation_mean": activation_mean,
            "activation_std": activation_std,
            "saturated_fraction": (
                math.nan if activation is None else _saturated(activation, _saturation_rule(layer))
            ),
            "gradient_mean": gradient_mean,
            "gradient_std": gradient_std,
            "gradient_abs_mean": _mean_std(None if gradient is None else np.abs(gradient))[0],
            "grad_data_ratio": _ratio(gradient_std, weight_std),
            "update_data_ratio_log10": _log10(_ratio(update_std, weight_std)),
        }

    # ----- reading the records -----

    @property
    def steps(self) -> list[int]:
        """The recorded steps, in order."""
        return sorted({record["step"] for record in self.records})

    def series(self, key: str) -> dict[str, tuple[list[int], list[float]]]:
        """``{layer: (steps, values)}`` of one figure, e.g. ``series("gradient_std")``."""
        if key not in RECORD_KEYS[2:]:
            raise KeyError(
                f"LayerStats.series: unknown figure {key!r}; known: {', '.join(RECORD_KEYS[2:])}"
            )
        result: dict[str, tuple[list[int], list[float]]] = {}
        for record in self.records:
            steps, values = result.setdefault(record["layer"], ([], []))
            steps.append(record["step"])
            values.append(record[key])
        return result

    def at_step(self, step: int | None = None) -> list[dict[str, Any]]:
        """The records of one step (default: the last recorded), one per layer."""
        if not self.records:
            raise ValueError("LayerStats: nothing recorded yet; train a step first")
        step = self.records[-1]["step"] if step is None else step
        chosen = [record for record in self.records if record["step"] == step]
        if not chosen:
            raise ValueError(
                f"LayerStats: step {step} was not recorded; recorded steps: "
                f"{_describe_steps(self.steps)}"
            )
        return chosen

    def to_dataframe(self) -> Any:
        """The records as a pandas DataFrame, one row per (step, layer)."""
        try:
            import pandas
        except ImportError:
            raise ImportError(
                "LayerStats.to_dataframe needs pandas: pip install pandas "
                "(the records are also a plain list of dicts: stats.records)"
            ) from None
        return pandas.DataFrame(self.records, columns=list(RECORD_KEYS))

    def __repr__(self) -> str:
        return (
            f"LayerStats(layers={self._labels}, every={self.every}, "
            f"records={len(self.records)}, attached={self.attached})"
        )


def _describe_steps(steps: Sequence[int]) -> str:
    if len(steps) <= 8:
        return ", ".join(map(str, steps)) or "none"
    return f"{', '.join(map(str, steps[:4]))}, ..., {', '.join(map(str, steps[-2:]))}"


# ----- plots -----


def _pyplot() -> Any:
    """matplotlib.pyplot, imported only when a plot is drawn."""
    try:
        import matplotlib.pyplot as pyplot
    except ImportError:
        raise ImportError(
            "chainrule's plots need matplotlib: pip install 'chainrule[notebooks]'"
        ) from None
    return pyplot


def _finish(pyplot: Any, figure: Any) -> Any:
    """Lay out and detach the figure from pyplot (see the module docstring for why)."""
    figure.tight_layout()
    pyplot.close(figure)
    return figure


def _check_stats(stats: Any, caller: str) -> LayerStats:
    if not isinstance(stats, LayerStats):
        raise TypeError(f"{caller}: expected a LayerStats, got {type(stats).__name__}")
    if not stats.records:
        raise ValueError(f"{caller}: the LayerStats has recorded nothing yet; train a step first")
    return stats


def _plot_histograms(stats: LayerStats, step: int | None, kind: str, caller: str) -> Any:
    stats = _check_stats(stats, caller)
    records = stats.at_step(step)
    step = records[0]["step"]
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(9, 4))
    drawn = 0
    for record in records:
        histogram = stats.histograms.get(step, {}).get(record["layer"], {}).get(kind)
        if histogram is None:
            continue
        counts, edges = histogram
        density = counts / max(counts.sum(), 1) / np.diff(edges)
        centres = (edges[:-1] + edges[1:]) / 2
        axes.plot(centres, density, label=_histogram_legend(record, kind))
        drawn += 1
    if not drawn:
        raise ValueError(f"{caller}: no {kind} values were recorded at step {step}")
    name = "Activation" if kind == "activation" else "Kernel gradient"
    axes.set_title(f"{name} distribution per layer (step {step})")
    axes.set_xlabel("activation value" if kind == "activation" else "gradient value")
    axes.set_ylabel("density")
    axes.legend(fontsize="small")
    return _finish(pyplot, figure)


def _histogram_legend(record: Mapping[str, Any], kind: str) -> str:
    if kind == "activation":
        text = f"{record['layer']}: mean {record['activation_mean']:+.2f}, "
        text += f"std {record['activation_std']:.2f}"
        if not math.isnan(record["saturated_fraction"]):
            text += f", saturated {record['saturated_fraction']:.0%}"
        return text
    return (
        f"{record['layer']}: mean {record['gradient_mean']:+.2e}, std {record['gradient_std']:.2e}"
        f", grad:data {record['grad_data_ratio']:.2e}"
    )


def plot_activation_histograms(stats: LayerStats, step: int | None = None) -> Any:
    """Each watched layer's output distribution at ``step`` (default: the last recorded), with
    its mean, std and saturated fraction in the legend."""
    return _plot_histograms(stats, step, "activation", "plot_activation_histograms")


def plot_gradient_histograms(stats: LayerStats, step: int | None = None) -> Any:
    """Each watched layer's kernel-gradient distribution at ``step`` (default: the last
    recorded), with its mean, std and grad:data ratio in the legend."""
    return _plot_histograms(stats, step, "gradient", "plot_gradient_histograms")


def plot_update_ratios(stats: LayerStats) -> Any:
    """log10(std(update) / std(kernel)) of each layer over the steps, with the customary 1e-3
    guide line (−3): far below it a layer learns too slowly, far above it too fast."""
    stats = _check_stats(stats, "plot_update_ratios")
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(9, 4))
    for label, (steps, values) in stats.series("update_data_ratio_log10").items():
        if any(math.isfinite(value) for value in values):
            axes.plot(steps, values, label=label)
    axes.axhline(UPDATE_GUIDE_LOG10, color="black", linestyle="--", label="1e-3 guide")
    axes.set_title("Update:data ratio per layer")
    axes.set_xlabel("step")
    axes.set_ylabel("log10(std(update) / std(weight))")
    axes.legend(fontsize="small")
    return _finish(pyplot, figure)


def _gradient_flow_from_model(model: Any) -> list[tuple[str, float]]:
    layers = [layer for layer in _model_layers(model) if _kernel(layer) is not None]
    flow = []
    for label, layer in zip(_labels(layers), layers):
        gradient = _kernel(layer).grad
        if gradient is not None:
            flow.append((label, float(np.mean(np.abs(np.asarray(gradient, dtype=np.float64))))))
    return flow


def plot_gradient_flow(stats_or_model: Any) -> Any:
    """Mean |gradient| of each layer's kernel, first layer to last, on a log scale: vanishing
    gradients show as bars falling away towards the input. Takes a ``LayerStats`` (its last
    recorded step) or a model whose gradients are set (after ``backward`` or ``fit``)."""
    if isinstance(stats_or_model, LayerStats):
        records = _check_stats(stats_or_model, "plot_gradient_flow").at_step()
        flow = [(r["layer"], r["gradient_abs_mean"]) for r in records]
        flow = [(label, value) for label, value in flow if not math.isnan(value)]
        where = f"step {records[0]['step']}"
    else:
        flow = _gradient_flow_from_model(stats_or_model)
        where = "current gradients"
    if not flow:
        raise ValueError(
            "plot_gradient_flow: no kernel gradients to show; run loss.backward() (or fit) first"
        )
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(max(6, len(flow) * 0.7), 4))
    labels, values = zip(*flow)
    positions = np.arange(len(values))
    axes.bar(positions, [max(value, np.finfo(float).tiny) for value in values])
    axes.set_yscale("log")
    axes.set_xticks(positions)
    axes.set_xticklabels(labels, rotation=45, ha="right")
    axes.set_title(f"Gradient flow: mean |gradient| per layer ({where})")
    axes.set_xlabel("layer (input → output)")
    axes.set_ylabel("mean |gradient| (log scale)")
    return _finish(pyplot, figure)


def plot_history(history: Any) -> Any:
    """Training and validation curves from ``fit``: one subplot per quantity (loss first, then
    each metric), the ``val_`` partner drawn on the same axes. Takes the ``History`` that
    ``fit`` returns or its ``history`` dict."""
    curves, epochs = _history_curves(history)
    names = [key for key in curves if not key.startswith("val_")]
    names += [key for key in curves if key.startswith("val_") and key[4:] not in curves]
    names.sort(key=lambda key: key.removeprefix("val_") != "loss")  # loss first, stable
    pyplot = _pyplot()
    columns = min(len(names), 3)
    rows = math.ceil(len(names) / columns)
    figure, grid = pyplot.subplots(
        rows, columns, figsize=(4.5 * columns, 3.5 * rows), squeeze=False
    )
    for axes, name in zip(grid.flat, names):
        quantity = name.removeprefix("val_")
        for key, label, style in (
            (quantity, "training", "-"),
            (f"val_{quantity}", "validation", "--"),
        ):
            if key in curves:
                axes.plot(epochs[: len(curves[key])], curves[key], style, marker="o", label=label)
        axes.set_title(quantity)
        axes.set_xlabel("epoch")
        axes.set_ylabel(quantity)
        axes.legend(fontsize="small")
    for axes in list(grid.flat)[len(names) :]:
        axes.set_visible(False)
    figure.suptitle("Training history")
    return _finish(pyplot, figure)


def _history_curves(history: Any) -> tuple[dict[str, list[float]], list[int]]:
    """The per-epoch lists and the epoch numbers (from 1) of a History or its dict."""
    if isinstance(history, History):
        curves, epochs = history.history, [epoch + 1 for epoch in history.epoch]
    elif isinstance(history, Mapping):
        curves, epochs = dict(history), []
    else:
        raise TypeError(
            f"plot_history: expected the History that fit returns or its .history dict, got "
            f"{type(history).__name__}"
        )
    curves = {key: [float(value) for value in values] for key, values in curves.items()}
    if not curves or not any(curves.values()):
        raise ValueError("plot_history: the history is empty; train at least one epoch")
    longest = max(len(values) for values in curves.values())
    if len(epochs) < longest:
        epochs = list(range(1, longest + 1))
    return curves, epochs


# ----- decision boundary -----


def _labels_of(y: Any) -> np.ndarray:
    """Class labels from y: a vector, a column, or one-hot rows."""
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    return y.reshape(-1)


def _predict_grid(model: Any, grid: np.ndarray) -> np.ndarray:
    """The model's outputs on the grid's points, one row per point."""
    if hasattr(model, "predict") and isinstance(model, Layer):
        return np.asarray(model.predict(grid, verbose=0), dtype=np.float64).reshape(len(grid), -1)
    if isinstance(model, Layer):
        with no_grad():
            return np.asarray(model(grid).data, dtype=np.float64).reshape(len(grid), -1)
    rows = []
    with no_grad():
        for point in grid:
            output = model([float(v) for v in point])
            outputs = output if isinstance(output, (list, tuple)) else [output]
            rows.append([float(getattr(value, "data", value)) for value in outputs])
    return np.asarray(rows, dtype=np.float64)


def plot_decision_boundary(
    model: Any,
    X: Any,
    y: Any,
    resolution: int | None = None,
    threshold: float | None = None,
) -> Any:
    """The regions a model assigns to each class over 2-D inputs, with the data on top.

    ``model``: a tensor model (a ``Sequential``: ``predict`` on a grid) or a scalar one (an
    ``nn.MLP`` on Values: called point by point under ``no_grad``; its output a Value or a list
    of them). One output is a score split at ``threshold`` (default 0.5 when every output lies
    in [0, 1], such as a sigmoid's, else 0, such as a ±1 hinge model's); several outputs are
    class scores (argmax). ``resolution`` is the grid's points per axis (default 200, or 50 for
    scalar models, which are slow)."""
    X = np.asarray(X.data if isinstance(X, Tensor) else X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have 2 features, got shape {X.shape}")
    labels = _labels_of(y)
    if len(labels) != len(X):
        raise ValueError(f"plot_decision_boundary: X has {len(X)} samples but y has {len(labels)}")
    if resolution is None:
        resolution = 200 if isinstance(model, Layer) else 50
    margin = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = (np.linspace(low[i], high[i], resolution) for i in range(2))
    grid_x, grid_y = np.meshgrid(xs, ys)
    outputs = _predict_grid(model, np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(6, 5))
    if outputs.shape[1] == 1:
        score = outputs[:, 0].reshape(grid_x.shape)
        if threshold is None:
            threshold = 0.5 if outputs.min() >= 0 and outputs.max() <= 1 else 0.0
        regions = (score > threshold).astype(np.float64)
        axes.contourf(grid_x, grid_y, regions, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.3)
        if score.min() < threshold < score.max():
            axes.contour(grid_x, grid_y, score, levels=[threshold], colors="black")
        colour_range: dict[str, float] = {}
    else:
        classes = np.argmax(outputs, axis=1).reshape(grid_x.shape)
        levels = np.arange(outputs.shape[1] + 1) - 0.5
        axes.contourf(grid_x, grid_y, classes, levels=levels, cmap="coolwarm", alpha=0.3)
        colour_range = {"vmin": 0, "vmax": outputs.shape[1] - 1}
    axes.scatter(
        X[:, 0], X[:, 1], c=labels, cmap="coolwarm", edgecolors="black", s=25, **colour_range
    )
    axes.set_title(f"Decision boundary of {type(model).__name__}")
    axes.set_xlabel("x₁")
    axes.set_ylabel("x₂")
    return _finish(pyplot, figure)
