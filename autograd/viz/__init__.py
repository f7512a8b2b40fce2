"""Pictures of computation graphs: micrograd's drawing as DOT text, rendered by Graphviz.

Each value is a small table (name, data, grad) and each operation an ellipse between its inputs
and its result. Colours say what a value is (a parameter, an input or constant, an intermediate,
the output) and which way its gradient points (red: raising the value raises the output, blue:
lowers it); ``legend=True`` adds the key. A picture fits a notebook page: the direction is chosen
by the graph's shape (left to right while that fits, else top to bottom) and Graphviz scales it
down to ``max_width`` pixels (1120 by default). ``model=`` names a network's parameters by layer
and neuron (``layer1.neuron2.w0``), and ``collapse="neuron"`` or ``"layer"`` draws one box per
neuron or layer instead of every value.

We write the DOT text ourselves (a few lines), so drawing needs no Python package; rendering runs
the system ``dot`` if there is one, else the ``graphviz-pure`` binary of the ``viz`` extra, else a
picture shows its DOT source with a hint instead of failing.

The package: ``picture`` renders, ``drawing`` holds what is drawn and its labels, ``names`` the
names and kinds of values, ``expanded`` and ``collapsed`` the two views, ``layout`` the DOT text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from autograd.viz.collapsed import collapsed_drawing
from autograd.viz.drawing import GRAD_COLOURS, KIND_COLOURS
from autograd.viz.expanded import expanded_drawing
from autograd.viz.layout import choose_rankdir, dot_source
from autograd.viz.names import collect_names, readable_name
from autograd.viz.picture import GraphPicture, RendererNotFound, find_renderer

__all__ = [
    "GRAD_COLOURS",
    "KIND_COLOURS",
    "GraphPicture",
    "RendererNotFound",
    "draw_graph",
    "find_renderer",
    "readable_name",
]

# Pixels (96 an inch): the output area of a notebook in a 1,280-pixel window, where a wider
# picture would scroll; 840 of Graphviz's points.
DEFAULT_MAX_WIDTH = 1120
PIXELS_PER_INCH = 96
POINTS_PER_PIXEL = 0.75
COLLAPSE_LEVELS = ("neuron", "layer")


def draw_graph(
    root: Any,
    rankdir: str | None = None,
    max_nodes: int = 200,
    show_grad: bool = True,
    *,
    model: Any = None,
    names: Mapping[Any, Any] | Iterable[tuple[str, Any]] | None = None,
    inputs: Iterable[Any] = (),
    collapse: str | None = None,
    legend: bool = False,
    max_width: float | None = DEFAULT_MAX_WIDTH,
    size: str | None = None,
) -> GraphPicture:
    """Draw every value ``root`` depends on, nearest first, at most ``max_nodes`` of them.

    - ``rankdir``: Graphviz's direction, ``"LR"``, ``"RL"``, ``"TB"`` or ``"BT"``; by default
      left to right if the picture fits ``max_width`` that way, else top to bottom (a long
      chain), else whichever needs less shrinking.
    - ``max_width``: the widest the picture may be, in pixels (96 an inch); larger pictures are
      scaled down by Graphviz's ``size`` attribute. ``None`` keeps the natural size; ``size=``
      passes Graphviz's own attribute (inches, ``"8,6"`` or ``"13.33,!"``) instead.
    - ``model=``: a ``Module`` whose ``named_parameters()`` name the parameters
      (``layers.0.neurons.1.w.0`` is drawn ``layer1.neuron2.w0``); its other leaves are drawn as
      inputs. ``names=``: more names, ``{value: "name"}``, ``{"name": value}`` or pairs.
    - ``inputs=``: leaves to colour as inputs (without a model every Value leaf and every
      Tensor leaf that requires grad is a parameter).
    - ``collapse="neuron"`` or ``"layer"`` (needs ``model=``): one box per neuron or layer with
      its parameter count, and repeated computations outside the model folded into one box each,
      instead of every value (``max_nodes`` does not apply).
      ``names=`` and ``inputs=`` apply to the full view.
    - ``legend=True`` adds a key of the colours.

    A Tensor's gradient is drawn where it is kept: on leaves, and on intermediate tensors (the
    root included) after ``retain_grad()``, as in PyTorch.

    Values beyond ``max_nodes`` are summarised in one node that says how many were left out.
    """
    if rankdir is not None and rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    if max_width is not None and not max_width > 0:
        raise ValueError(
            f"draw_graph: max_width must be a positive number of pixels, got {max_width}"
        )
    if collapse is not None and collapse not in COLLAPSE_LEVELS:
        raise ValueError(
            f"draw_graph: collapse must be 'neuron', 'layer' or None, got {collapse!r}"
        )
    if collapse is not None:
        if model is None:
            raise ValueError(
                f"draw_graph: collapse={collapse!r} needs model=, the network whose neurons and "
                "layers the boxes stand for"
            )
        drawing = collapsed_drawing(root, model, collapse, show_grad)
    else:
        naming = collect_names(model, names, inputs)
        drawing = expanded_drawing(root, max_nodes, show_grad, naming, model is not None)
    budget = (max_width if max_width is not None else DEFAULT_MAX_WIDTH) * POINTS_PER_PIXEL
    if rankdir is None:
        rankdir = choose_rankdir(drawing, budget, legend, show_grad)
    if size is None and max_width is not None:
        size = f"{max_width / PIXELS_PER_INCH:.3f},1000"
    source = dot_source(drawing, rankdir, size, legend, show_grad)
    return GraphPicture(source, drawing.values, drawing.operations)
