"""Keras's ``plot_model`` for a ``Sequential``: one box per layer, drawn by Graphviz.

    nn.plot_model(model)                      # in Jupyter: the picture, as SVG
    nn.plot_model(model, to_file="model.png") # and a file (.png, .svg, or .dot/.gv DOT text)

Each box shows what ``summary()`` shows, with Keras's field names: the layer's name and type,
its activation, its input and output shapes and its parameter count; a first ``InputLayer`` box
shows the model's input shape, as Keras draws it. Boxes are stacked top to bottom, each value
cut to a few dozen characters, so a picture stays within 1,280 px (960 pt) wide; a graph too
wide all the same (say, ``rankdir="LR"`` on a long model) is scaled down to that width.

Colours (``PALETTE``): green for the input, blue for layers with weights, grey for layers
without (pools, ``Flatten``, ``Dropout``, activations, and any layer not built yet), purple for
a model used as a layer. A nested ``Sequential`` is one purple box with its total parameter
count; with ``expand_nested=True`` (Keras's argument) that box is followed by its layers, all
inside a purple frame.

An unbuilt model (no ``input_shape``, not yet fed a batch) is drawn too: shapes and counts show
as ``?`` under a note saying so. The result is an ``autograd.viz.GraphPicture``, which renders
with the system ``dot`` or ``graphviz-pure`` and falls back to its DOT text with a hint, so
drawing never breaks a notebook cell.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd.viz import GraphPicture
from nn.layers.base import Layer, Shape
from nn.training import Model

__all__ = ["PALETTE", "ModelPicture", "plot_model"]

# Header colours of the boxes, by kind of layer (light, so that black text reads on them).
PALETTE = {
    "input": "#d5e8d4",  # the InputLayer box
    "weights": "#dae8fc",  # layers with parameters (Dense, Conv2D, BatchNormalization, ...)
    "no_weights": "#eeeeee",  # layers without (pools, Flatten, Dropout, activation layers)
    "model": "#e1d5e7",  # a model used as a layer; the frame of an expanded one
}
NESTED_FRAME_FILL = "#f7f2f9"
BORDER_COLOUR = "#555555"
MAX_WIDTH_POINTS = 960  # 1,280 px at 96 px per inch
MAX_CHARS = 28  # a longer name, shape or activation is cut in the middle: "very_lo...name"
RANKDIRS = ("TB", "LR", "BT", "RL")
NOT_BUILT_NOTE = (
    "This model is not built yet: shapes and counts show as ?.",
    "Give the first layer input_shape=(...), or call fit",
    "or the model on a batch, to build it.",
)


class ModelPicture(GraphPicture):
    """A drawn model: a ``GraphPicture`` (``.source``, ``.render``, ``.save``, SVG in Jupyter)
    that also knows the model's name, its number of boxes and its parameter count."""

    def __init__(self, source: str, boxes: int, edges: int, name: str, params: int | None):
        super().__init__(source, boxes, edges)
        self.name = name
        self.boxes = boxes
        self.params = params

    def __repr__(self) -> str:
        params = "not built" if self.params is None else f"{self.params:,} parameters"
        return (
            f"ModelPicture({self.name!r}: {self.boxes} boxes, {params}; "
            ".source holds the DOT text)"
        )


@dataclass(frozen=True)
class _Box:
    """One layer's box: everything it may show, as text (``?`` where unknown)."""

    name: str
    type_name: str
    input_shape: str | None  # None: no such field (the InputLayer's)
    output_shape: str
    activation: str | None  # None: the layer has no ``activation``
    params: str | None  # None: no such field (the InputLayer's)
    dtype: str
    trainable: str | None
    kind: str  # a PALETTE key


@dataclass(frozen=True)
class _Frame:
    """The start of a nested model's frame (``expand_nested=True``): its own box comes first."""

    box: _Box


_END_FRAME = object()  # the end of the innermost open frame


def plot_model(
    model: Any,
    to_file: str | Path | None = None,
    *,
    show_shapes: bool = True,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: float | None = None,
    show_layer_activations: bool = True,
    show_trainable: bool = False,
) -> ModelPicture:
    """Draw a ``Sequential`` as a stack of boxes (Keras's ``plot_model`` and its arguments);
    with ``to_file`` (.png, .svg, .dot or .gv) the picture is also saved there.

    ``rankdir`` is Graphviz's direction: ``"TB"`` (top to bottom, the narrow one) or ``"LR"``.
    ``dpi`` sets a saved PNG's resolution (Graphviz's 96 by default); the SVG keeps its size.
    Without a Graphviz renderer, a .png/.svg ``to_file`` is written as DOT text beside it (same
    name, .dot) with a warning, rather than an error.
    """
    from nn.models import Sequential  # here: nn.models imports this module for draw()

    if not isinstance(model, Sequential):
        raise TypeError(
            f"plot_model: expected a Sequential model, got {type(model).__name__}; to draw one "
            "layer, wrap it: Sequential([layer])"
        )
    if rankdir not in RANKDIRS:
        raise ValueError(f"plot_model: rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
    if dpi is not None and (isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or dpi <= 0):
        raise ValueError(f"plot_model: dpi must be a positive number or None, got {dpi!r}")
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    items = _items(model, Sequential, expand_nested)
    source, boxes, edges = _dot_source(model, items, rankdir, options)
    params = model.count_params() if model.built else None
    picture = ModelPicture(source, boxes, edges, model.name, params)
    if to_file is not None:
        path = Path(to_file)
        if dpi is not None and path.suffix.lower() == ".png":
            png_source = _dot_source(model, items, rankdir, options, dpi)[0]
            _save(GraphPicture(png_source, boxes, edges), path)
        else:
            _save(picture, path)
    return picture


# ----- what to draw -----


def _items(model: Any, sequential: type, expand_nested: bool) -> list[Any]:
    """The boxes in drawing order, the input first, with ``_Frame`` / ``_END_FRAME`` around the
    layers of each nested model that is expanded (an explicit stack: no recursion)."""
    shape = model.input_shape if model.built else None
    items: list[Any] = [_input_box(model, shape)]
    stack = [iter(model.layers)]
    while stack:
        layer = next(stack[-1], None)
        if layer is None:
            stack.pop()
            if stack:
                items.append(_END_FRAME)
            continue
        if expand_nested and isinstance(layer, sequential) and layer.layers:
            items.append(_Frame(_layer_box(layer, shape, _output_shape(layer, shape))))
            stack.append(iter(layer.layers))
            continue
        output_shape = _output_shape(layer, shape)
        items.append(_layer_box(layer, shape, output_shape))
        shape = output_shape
    return items


def _input_box(model: Any, shape: Shape | None) -> _Box:
    """Keras's first box: the model's input, with its output shape only."""
    return _Box(
        name="input_layer",
        type_name="InputLayer",
        input_shape=None,
        output_shape=_format_shape(shape),
        activation=None,
        params=None,
        dtype=str(model.dtype),
        trainable=None,
        kind="input",
    )


def _layer_box(layer: Layer, input_shape: Shape | None, output_shape: Shape | None) -> _Box:
    params = _params(layer)
    if isinstance(layer, Model):
        kind = "model"
    else:
        kind = "weights" if layer.built and layer.count_params() > 0 else "no_weights"
    return _Box(
        name=layer.name,
        type_name=type(layer).__name__,
        input_shape=_format_shape(input_shape),
        output_shape=_format_shape(output_shape),
        activation=_activation_name(layer),
        params=params,
        dtype=str(layer.dtype),
        trainable=str(bool(layer.trainable)),
        kind=kind,
    )


def _output_shape(layer: Layer, input_shape: Shape | None) -> Shape | None:
    """The layer's output shape, or None when its input shape is unknown or does not fit."""
    if input_shape is None:
        return None
    try:
        return tuple(layer.compute_output_shape(input_shape))
    except Exception:  # a picture shows "?" rather than fail on a model that cannot be built
        return None


def _params(layer: Layer) -> str:
    """``346,176`` as ``summary()`` prints it, or ``?`` before the layer has weights."""
    return f"{layer.count_params():,}" if layer.built else "?"


def _activation_name(layer: Layer) -> str | None:
    """Keras's rule: a layer with an ``activation`` shows its name (``linear`` for None)."""
    if not hasattr(layer, "activation"):
        return None
    function = layer.activation
    if function is None:
        return "linear"
    name = getattr(function, "name", None) or getattr(function, "__name__", None)
    return str(name or type(function).__name__)


def _format_shape(shape: Shape | None) -> str:
    """``(None, 26, 26, 32)`` as Keras prints it, or ``?`` when unknown."""
    if shape is None:
        return "?"
    inner = ", ".join("None" if n is None else str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


# ----- DOT text -----


def _dot_source(
    model: Any,
    items: list[Any],
    rankdir: str,
    options: dict[str, bool],
    dpi: float | None = None,
) -> tuple[str, int, int]:
    """The DOT text of ``items``, and its numbers of boxes and edges."""
    width_inches = MAX_WIDTH_POINTS / 72 - 0.2  # less Graphviz's 4 pt pad on each side
    resolution = "" if dpi is None else f"dpi={dpi:g}, "
    lines = [
        f"digraph {_quote(model.name)} {{",
        f'  graph [{resolution}rankdir={rankdir}, size="{width_inches:.2f},1000", nodesep=0.3, '
        'ranksep=0.3, fontname="Helvetica", fontsize=10];',
        '  node [shape=plain, fontname="Helvetica", fontsize=11];',
        f'  edge [color="{BORDER_COLOUR}", arrowsize=0.7];',
    ]
    if not model.built:
        note = "<br/>".join(html.escape(line) for line in NOT_BUILT_NOTE)
        lines.append(f"  label=<{note}>;")
        lines.append("  labelloc=t;")
    boxes = frames = 0
    indent = "  "
    previous: str | None = None
    edges: list[str] = []  # written last, outside every frame: an edge inside pulls its ends in
    for item in items:
        if item is _END_FRAME:
            indent = indent[:-2]
            lines.append(f"{indent}}}")
            continue
        if isinstance(item, _Frame):
            lines.extend(_frame_lines(frames, indent))
            frames += 1
            indent += "  "
            item = item.box
        node = f"layer{boxes}" if boxes else "input_layer"
        lines.append(f"{indent}{node} [label=<{_box_label(item, options)}>];")
        boxes += 1
        if previous is not None:
            edges.append(f"  {previous} -> {node};")
        previous = node
    lines.extend(edges)
    lines.append("}")
    return "\n".join(lines) + "\n", boxes, len(edges)


def _frame_lines(number: int, indent: str) -> list[str]:
    """The opening of a nested model's frame (its own box, the first inside, names it)."""
    return [
        f"{indent}subgraph cluster_{number} {{",
        f'{indent}  style="rounded,filled"; color="{PALETTE["model"]}"; '
        f'fillcolor="{NESTED_FRAME_FILL}"; penwidth=2;',
    ]


def _box_label(box: _Box, options: dict[str, bool]) -> str:
    """The HTML-like table of one box: a coloured title row, then one row per field."""
    rows: list[list[str]] = []
    if options["show_layer_activations"] and box.activation is not None:
        rows.append([_field("Activation", box.activation)])
    if options["show_shapes"]:
        shapes = [_field("Output shape", box.output_shape)]
        if box.input_shape is not None:
            shapes.insert(0, _field("Input shape", box.input_shape))
        rows.append(shapes)
    details = []
    if box.params is not None:
        details.append(_field("Param #", box.params))
    if options["show_dtype"]:
        details.append(_field("Dtype", box.dtype))
    if options["show_trainable"] and box.trainable is not None:
        details.append(_field("Trainable", box.trainable))
    if details:
        rows.append(details)
    columns = max([len(row) for row in rows], default=1)
    title = _title(box.name, box.type_name, options["show_layer_names"])
    table = [
        f'<table border="1" color="{BORDER_COLOUR}" cellborder="0" cellspacing="0" '
        'cellpadding="4">',
        _row([title], columns, PALETTE[box.kind]),
    ]
    table.extend(_row(row, columns, "white") for row in rows)
    table.append("</table>")
    return "".join(table)


def _title(name: str, type_name: str, show_name: bool) -> str:
    """``<b>dense</b> (Dense)``, or ``<b>Dense</b>`` without names, as Keras titles a box."""
    type_text = html.escape(_abbreviate(type_name))
    if not show_name:
        return f"<b>{type_text}</b>"
    return f"<b>{html.escape(_abbreviate(name))}</b> ({type_text})"


def _field(name: str, value: str) -> str:
    """``Output shape: <b>(None, 32)</b>``: Keras's field name, the value in bold."""
    return f"{name}: <b>{html.escape(_abbreviate(value))}</b>"


def _row(cells: Sequence[str], columns: int, colour: str) -> str:
    """One table row; its last cell spans the columns the row does not fill."""
    parts = []
    for index, cell in enumerate(cells):
        span = columns - len(cells) + 1 if index == len(cells) - 1 else 1
        parts.append(f'<td bgcolor="{colour}" colspan="{span}">{cell}</td>')
    return "<tr>" + "".join(parts) + "</tr>"


def _abbreviate(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` cut in the middle to ``limit`` characters (ASCII dots, which every renderer
    measures), keeping its end: a shape's last axis, a name's number."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[: limit - 3 - tail] + "..." + text[-tail:]


def _quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ----- files -----


def _save(picture: ModelPicture, path: Path) -> None:
    """Save the picture; if it cannot be rendered, write its DOT text as ``<name>.dot`` and warn
    (a missing renderer must not break a notebook cell)."""
    try:
        picture.save(path)
    except RuntimeError as error:  # RendererNotFound, or a renderer that failed
        fallback = path.with_suffix(".dot")
        fallback.write_text(picture.source)
        warnings.warn(
            f"plot_model: could not render {path.name} ({error}); wrote the DOT source to "
            f"{fallback} instead",
            RuntimeWarning,
            stacklevel=3,
        )
