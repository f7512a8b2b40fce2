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
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograd.graph import enable_grad, topological_order
from autograd.tensor import Tensor, format_array, format_number, summarize

__all__ = ["GraphPicture", "RendererNotFound", "draw_graph", "find_renderer", "readable_name"]

NO_RENDERER_HINT = (
    "no Graphviz renderer found: `pip install 'chainrule[viz]'` (or install Graphviz's `dot`) "
    "to see pictures; here is the DOT source instead"
)

# What a value is, as the fill of its table; the grad field is tinted by the gradient's sign.
KIND_COLOURS = {
    "parameter": "#ffe8a3",  # amber: what training changes
    "input": "#dee2e6",  # grey: data and constants
    "intermediate": "#ffffff",
    "output": "#b2f2bb",  # green: the root
}
GRAD_COLOURS = {"positive": "#ffc9c9", "negative": "#a5d8ff"}
KIND_NAMES = {
    "parameter": "parameter",
    "input": "input / constant",
    "intermediate": "intermediate",
    "output": "output (the root)",
}

# Pixels (96 an inch): the output area of a notebook in a 1,280-pixel window, where a wider
# picture would scroll; 840 of Graphviz's points.
DEFAULT_MAX_WIDTH = 1120
PIXELS_PER_INCH = 96
POINTS_PER_PIXEL = 0.75
IN_FULL_UP_TO = 6  # a tensor of at most this many numbers is drawn in full, else summarised
WRAP_WIDTH = 34  # characters: longer lists of numbers are broken into lines
COLLAPSE_LEVELS = ("neuron", "layer")
# Tensor ops of two tensor operands: one recorded parent means the other was a constant.
BINARY_TENSOR_OPS = frozenset({"+", "-", "*", "/", "**", "matmul", "maximum", "minimum", "where"})

MANY_EDGES = 100  # beyond this many edges (a collapsed network's layers) edges are drawn light
LIGHT_EDGES = '  edge [arrowsize=0.5, penwidth=0.6, color="#868e96"];'
# Graphviz spacing (inches) and this module's estimate of Helvetica 11 pt text (points).
NODE_SEPARATION, RANK_SEPARATION = 0.2, 0.3
CHARACTER_WIDTH, LINE_HEIGHT, CELL_PADDING = 6.3, 14.0, 8.0


class RendererNotFound(RuntimeError):
    """Neither the system ``dot`` nor ``graphviz-pure`` is available."""


def find_renderer() -> str | None:
    """The path of a Graphviz ``dot`` program: the system's first, then ``graphviz-pure``.

    ``graphviz-pure`` is also looked for beside the running Python, since a virtual environment's
    scripts folder is on PATH only while the environment is activated.
    """
    for name in ("dot", "graphviz-pure"):
        path = shutil.which(name)
        if path:
            return path
    scripts = Path(sys.executable).parent
    for name in ("graphviz-pure", "graphviz-pure.exe"):
        if (scripts / name).is_file():
            return str(scripts / name)
    return None


class GraphPicture:
    """A drawn graph: ``.source`` is its DOT text; Jupyter shows it as SVG; ``save`` writes it."""

    def __init__(self, source: str, values: int, operations: int) -> None:
        self.source = source
        self.values = values
        self.operations = operations

    def __repr__(self) -> str:
        return (
            f"GraphPicture({self.values} values, {self.operations} operations; "
            ".source holds the DOT text)"
        )

    def render(self, format: str = "svg") -> bytes:
        """The picture as ``svg`` or ``png`` bytes; raises RendererNotFound without Graphviz."""
        renderer = find_renderer()
        if renderer is None:
            raise RendererNotFound(NO_RENDERER_HINT.split(";")[0])
        completed = subprocess.run(
            [renderer, f"-T{format}"],
            input=self.source.encode(),
            capture_output=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{Path(renderer).name} -T{format} failed: {completed.stderr.decode().strip()}"
            )
        return completed.stdout

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """SVG for Jupyter; the DOT source and a one-line hint if rendering is not possible."""
        try:
            svg = _fit_to_output(self.render("svg").decode())
            return {"image/svg+xml": svg, "text/plain": repr(self)}
        except Exception as error:  # a picture must never break a notebook cell
            reason = NO_RENDERER_HINT if isinstance(error, RendererNotFound) else str(error)
            return {"text/plain": f"({reason})\n{self.source}"}

    def save(self, path: str | Path) -> Path:
        """Write the picture to ``.svg``, ``.png`` or ``.dot``/``.gv`` (DOT text, no renderer)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".dot", ".gv"):
            path.write_text(self.source)
        elif suffix in (".svg", ".png"):
            path.write_bytes(self.render(suffix[1:]))
        else:
            raise ValueError(
                f"save: cannot write {path.name!r}; use a .svg, .png, .dot or .gv file name"
            )
        return path

    def to_graphviz(self) -> Any:
        """The same picture as a ``graphviz.Source`` (needs the ``graphviz`` package)."""
        import graphviz

        return graphviz.Source(self.source)


def _fit_to_output(svg: str) -> str:
    """Let a notebook shrink a picture wider than its output area (keeping its proportions)
    instead of scrolling it; ``render`` and ``save`` keep Graphviz's SVG as it is."""
    return svg.replace("<svg ", '<svg style="max-width: 100%; height: auto" ', 1)


# ----- what is drawn: nodes made of cells, and edges; DOT text is written from these -----


@dataclass
class _Cell:
    """One field of a table (or the text of an ellipse): lines of text and a fill colour."""

    lines: list[str]
    fill: str | None = None
    bold: bool = False


@dataclass
class _Node:
    """A node of the picture. ``shape``: value (a table), op (an ellipse), constant (a dashed
    box) or note; ``kind`` becomes its SVG class (parameter, input, operation, ...)."""

    name: str
    shape: str
    cells: list[_Cell]
    kind: str


@dataclass
class _Drawing:
    """What a picture shows, before it is DOT text: its nodes and edges, how many values and
    operations of the graph it stands for, and the DOT name of the root's node."""

    nodes: list[_Node] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # source, target, style
    values: int = 0
    operations: int = 0
    root: str = "v0"


@dataclass
class _Naming:
    """Display names by node id, the model's parameters (if a model was given), the inputs."""

    names: dict[int, str]
    parameters: set[int] | None
    inputs: set[int]


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
        drawing = _collapsed(root, model, collapse, show_grad)
    else:
        naming = _naming(model, names, inputs)
        drawing = _expanded(root, max_nodes, show_grad, naming, model is not None)
    budget = (max_width if max_width is not None else DEFAULT_MAX_WIDTH) * POINTS_PER_PIXEL
    if rankdir is None:
        rankdir = _choose_rankdir(drawing, budget, legend, show_grad)
    if size is None and max_width is not None:
        size = f"{max_width / PIXELS_PER_INCH:.3f},1000"
    source = _dot_source(drawing, rankdir, size, legend, show_grad)
    return GraphPicture(source, drawing.values, drawing.operations)


# ----- names -----


def readable_name(dotted: str, parameter: bool = True) -> str:
    """A module's dotted name as people say it, layers and neurons counted from 1:
    ``layers.0.neurons.1.w.0`` -> ``layer1.neuron2.w0`` (a parameter list's own index, ``w.0``,
    stays as the neuron labels it, from 0); ``layers.0.kernel`` -> ``layer1.kernel``.

    With ``parameter=False`` the name is a module's, and its last index counts from 1 as well.
    """
    parts = dotted.split(".") if dotted else []
    words: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        following = parts[index + 1] if index + 1 < len(parts) else ""
        if following.isdigit() and not part.isdigit():
            if parameter and index + 2 == len(parts):
                words.append(f"{part}{following}")
            else:
                words.append(f"{_singular(part)}{int(following) + 1}")
            index += 2
        else:
            words.append(part)
            index += 1
    return ".".join(words)


def _singular(word: str) -> str:
    """``layers`` -> ``layer``, ``neurons`` -> ``neuron``; other words unchanged."""
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _naming(model: Any, names: Any, inputs: Iterable[Any]) -> _Naming:
    """Collect display names from ``model`` and ``names`` (the latter wins) and the inputs."""
    display: dict[int, str] = {}
    parameters = None
    if model is not None:
        parameters = set()
        for name, parameter in model.named_parameters():
            display[id(parameter)] = readable_name(name)
            parameters.add(id(parameter))
    if names is not None:
        pairs = names.items() if isinstance(names, Mapping) else names
        for first, second in pairs:
            name, node = (first, second) if isinstance(first, str) else (second, first)
            display[id(node)] = readable_name(str(name))
    return _Naming(display, parameters, {id(node) for node in inputs})


def _kind(node: Any, root: Any, naming: _Naming) -> str:
    """parameter, input, intermediate or output (the root)."""
    if node is root:
        return "output"
    if node._parents:
        return "intermediate"
    if id(node) in naming.inputs:
        return "input"
    if naming.parameters is not None:
        return "parameter" if id(node) in naming.parameters else "input"
    if isinstance(node, Tensor):
        return "parameter" if node.requires_grad else "input"
    return "parameter"


# ----- the full view: every value and operation, nearest the root first -----


def _expanded(
    root: Any, max_nodes: int, show_grad: bool, naming: _Naming, has_model: bool
) -> _Drawing:
    shown = _nearest_values(root, max_nodes)
    ids = {id(node): f"v{index}" for index, node in enumerate(shown)}
    drawing = _Drawing(values=len(shown))
    hidden_inputs = 0
    for node in shown:
        name = ids[id(node)]
        label = naming.names.get(id(node), node.label)
        kind = _kind(node, root, naming)
        drawing.nodes.append(_Node(name, "value", _value_cells(node, label, kind, show_grad), kind))
        if not node._parents:
            continue
        drawing.operations += 1
        op_name = f"{name}_op"
        drawing.nodes.append(_Node(op_name, "op", [_Cell(_op_lines(node))], "operation"))
        drawing.edges.append((op_name, name, ""))
        for parent in _unique(node._parents):
            if id(parent) in ids:
                drawing.edges.append((ids[id(parent)], op_name, ""))
            else:
                hidden_inputs += 1
                drawing.edges.append(("hidden", op_name, "style=dashed"))
        for index, constant in enumerate(_missing_operands(node)):
            constant_name = f"{name}_c{index}"
            drawing.nodes.append(
                _Node(constant_name, "constant", _constant_cells(constant), "input")
            )
            drawing.edges.append((constant_name, op_name, ""))
    if hidden_inputs:
        hint = (
            "draw_graph(..., collapse='layer') draws the whole network"
            if has_model
            else ("pass model= and collapse='layer' to draw a network whole")
        )
        note = f"{_count_values(root) - len(shown)} more values not drawn (max_nodes={max_nodes})"
        drawing.nodes.append(_Node("hidden", "note", [_Cell([note, hint])], "note"))
    return drawing


def _nearest_values(root: Any, limit: int) -> list[Any]:
    """Breadth-first from ``root`` towards the leaves: the first ``limit`` values reached."""
    seen = {id(root)}
    shown: list[Any] = []
    queue = deque([root])
    while queue and len(shown) < limit:
        node = queue.popleft()
        shown.append(node)
        for parent in node._parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    return shown


def _count_values(root: Any) -> int:
    """How many values ``root`` depends on, itself included (iteratively: no recursion)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in stack.pop()._parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def _unique(parents: tuple) -> list:
    """Parents without repeats (``a * a`` draws one edge from ``a``)."""
    seen: set[int] = set()
    unique = []
    for parent in parents:
        if id(parent) not in seen:
            seen.add(id(parent))
            unique.append(parent)
    return unique


# ----- labels -----


def _value_cells(node: Any, label: str, kind: str, show_grad: bool) -> list[_Cell]:
    """name | data | grad for a Value; name | shape dtype | data | grad for a Tensor."""
    fill = KIND_COLOURS[kind]
    cells = [_Cell([label], fill, bold=True)] if label else []
    if isinstance(node, Tensor):
        cells.append(_Cell([_shape_text(node.data)], fill))
        cells.append(_Cell(_array_lines("data", node.data), fill))
        if show_grad and node.grad is not None:
            cells.append(_Cell(_array_lines("grad", node.grad), _grad_fill(node.grad)))
        return cells
    cells.append(_Cell([f"data {format_number(node.data)}"], fill))
    if show_grad:
        cells.append(_Cell([f"grad {format_number(node.grad)}"], _grad_fill(node.grad)))
    return cells


def _shape_text(array: np.ndarray) -> str:
    """``(2, 3) float32``, or ``scalar float32`` for a 0-d array."""
    shape = "scalar" if array.ndim == 0 else str(array.shape)
    return f"{shape} {array.dtype}"


def _array_lines(prefix: str, array: np.ndarray) -> list[str]:
    """Small arrays in full; larger ones as ``summarize`` gives them, two numbers a line, the
    nan and inf counts only when there are any."""
    if array.size <= IN_FULL_UP_TO:
        return _wrapped(f"{prefix} {format_array(array)}")
    pairs = [
        f"{name} {text}"
        for name, text in summarize(array)
        if not (name in ("nan", "inf") and text == "0")
    ]
    lines = [" ".join(pairs[index : index + 2]) for index in range(0, len(pairs), 2)]
    return [f"{prefix} {lines[0]}", *lines[1:]]


def _wrapped(text: str, width: int = WRAP_WIDTH) -> list[str]:
    """``text`` broken after commas into lines of about ``width`` characters, so that a list of
    six numbers does not make its box (and the picture) twice as wide."""
    lines = [""]
    for piece in text.split(", "):
        if lines[-1] and len(lines[-1]) + 2 + len(piece) > width:
            lines[-1] += ","
            lines.append(piece)
        else:
            lines[-1] = f"{lines[-1]}, {piece}" if lines[-1] else piece
    return lines


def _grad_fill(grad: Any) -> str | None:
    """Red for a positive gradient, blue for a negative one (a tensor's: the sign of its mean
    over the finite entries), none for zero."""
    if isinstance(grad, np.ndarray):
        finite = grad[np.isfinite(grad)] if grad.dtype.kind == "f" else grad
        grad = float(finite.mean()) if finite.size else 0.0
    if grad > 0:
        return GRAD_COLOURS["positive"]
    if grad < 0:
        return GRAD_COLOURS["negative"]
    return None


def _op_text(node: Any) -> str:
    """The operation, its constant in ``format_number``'s format (``* 0.5``, ``1 -``)."""
    op = node._op
    if isinstance(op, str):
        return op
    template, constant = op
    return template.format(format_number(constant))


def _op_lines(node: Any) -> list[str]:
    """The op's name; a Value ``dot`` also names the numbers it was given (the local
    derivatives of the Values they multiply), in parent order."""
    text = _op_text(node)
    if text != "dot" or isinstance(node, Tensor):
        return [text]
    constants = _dot_constants(node)
    if not constants:
        return [text]
    if len(constants) <= IN_FULL_UP_TO:
        return [text, f"with {format_array(np.array(constants))}"]
    return [text, f"with {len(constants)} numbers"]


def _dot_constants(node: Any) -> list[float]:
    """The numbers a Value ``dot`` multiplied its Value parents by. ``dot`` records a Value
    weight and a Value input of one product as neighbours whose local derivatives are each
    other's data; a parent without such a partner was multiplied by a number, its local
    derivative."""
    parents, local = node._parents, node._local_grads
    constants = []
    index = 0
    while index < len(parents):
        if index + 1 < len(parents):
            first, second = parents[index], parents[index + 1]
            same = first is second
            if same or (local[index] == second.data and local[index + 1] == first.data):
                index += 2
                continue
        constants.append(local[index])
        index += 1
    return constants


def _missing_operands(node: Any) -> list[np.ndarray | None]:
    """The constant operands a Tensor op did not record (it records only parents that require
    grad), as far as the op shows them: ``*`` keeps the other operand as its local derivative;
    other ops only show that there was one (None). Nothing is recorded for this: no cost."""
    if not isinstance(node, Tensor):
        return []
    op, parents = node._op, node._parents
    if op in BINARY_TENSOR_OPS and len(parents) == 1:
        vjp = node._vjps
        return [vjp if op == "*" and isinstance(vjp, np.ndarray) else None]
    if op in ("concatenate", "stack") and sum(p.data.size for p in parents) < node.data.size:
        return [None]
    return []


def _constant_cells(constant: np.ndarray | None) -> list[_Cell]:
    """The text of a constant operand's box: its numbers if the op kept them, else a marker."""
    if constant is None:
        return [_Cell(["constant"])]
    return [_Cell(["constant", _shape_text(constant), *_array_lines("data", constant)])]


# ----- the collapsed view: one box per neuron or layer -----


@dataclass
class _Group:
    """A box of the collapsed view: a module's parameters and the values it computed, the
    inputs, or values outside the model that one operation computed from the same boxes."""

    key: str
    title: str
    kind: str  # parameter (a module), input, intermediate, output
    members: list[Any] = field(default_factory=list)
    parameters: list[Any] = field(default_factory=list)
    neurons: set[str] = field(default_factory=set)
    operations: list[str] = field(default_factory=list)
    calls: int = 0
    numbers_per_call: int = 0
    read: set[int] = field(default_factory=set)  # ids of the parameters a "parameters" box holds


@dataclass
class _Network:
    """Which neuron owns each parameter, the box each neuron belongs to, and how many nodes
    deep each neuron's activation is (None when the neuron could not be probed)."""

    owner: dict[int, str]
    box_of: dict[str, str]
    titles: dict[str, str]
    activation_depth: dict[str, int | None]


def _network(model: Any, level: str) -> _Network:
    """Read the model's structure: a neuron is the module that owns scalar parameters (the
    longest module name their dotted names start with); a layer is that neuron's parent module,
    or the module that owns Tensor parameters (a ``Dense``)."""
    modules = dict(model.named_modules())
    owner: dict[int, str] = {}
    parameters_of: dict[str, set[int]] = {}
    scalar: dict[str, bool] = {}
    for name, parameter in model.named_parameters():
        path = _enclosing_module(name, modules)
        owner[id(parameter)] = path
        parameters_of.setdefault(path, set()).add(id(parameter))
        scalar[path] = scalar.get(path, True) and not isinstance(parameter, Tensor)
    box_of, titles, depths = {}, {}, {}
    for path, own in parameters_of.items():
        is_layer = level == "neuron" or not scalar[path] or not path
        box = path if is_layer else _enclosing_module(path, modules)
        box_of[path] = box
        titles[box] = readable_name(box, parameter=False) or type(model).__name__
        depths[path] = _activation_depth(modules[path], own)
    return _Network(owner, box_of, titles, depths)


def _enclosing_module(name: str, modules: Mapping[str, Any]) -> str:
    """The longest module name that ``name`` lies strictly inside ("" for the model itself)."""
    path = name.rpartition(".")[0]
    while path and path not in modules:
        path = path.rpartition(".")[0]
    return path


def _activation_depth(module: Any, own: set[int]) -> int | None:
    """How many nodes a neuron computes after the ones that read its parameters (``dot`` and
    ``+ b``): 1 for tanh, 0 for linear. Found by calling the neuron once on zeros (its weight
    list ``w`` gives the input count); None if it cannot be called so."""
    weights = getattr(module, "w", None)
    if not isinstance(weights, list) or not callable(module):
        return None
    try:
        with enable_grad():
            output = module([0.0] * len(weights))
    except Exception:  # a module that is not a scalar neuron: fall back to the simple rule
        return None
    if not hasattr(output, "_parents") or isinstance(output, Tensor):
        return None
    depth: dict[int, int] = {}
    for node in topological_order(output):
        if not node._parents:
            continue
        if any(id(parent) in own for parent in node._parents):
            depth[id(node)] = 0
        elif all(id(parent) in depth for parent in node._parents):
            depth[id(node)] = 1 + max(depth[id(parent)] for parent in node._parents)
        else:
            return None
    return depth.get(id(output))


def _collapsed(root: Any, model: Any, level: str, show_grad: bool) -> _Drawing:
    """Group every node of the graph into boxes and draw the boxes and the edges between them.

    A node belongs to a neuron if the only parameters among its parents are that neuron's
    (``dot``, ``+ b``), or if all its parents are that neuron's and it lies within the
    neuron's activation depth. Other nodes fold into one box per operation and set of source
    boxes (100 samples' ``relu`` of the loss are one box); the root is always a box of its own.
    """
    network = _network(model, level)
    groups: dict[str, _Group] = {}
    group_of: dict[int, str] = {}
    neuron_of: dict[int, str] = {}
    depth: dict[int, int] = {}
    edges: dict[tuple[str, str], None] = {}  # a dict keeps the order edges were found in
    nodes = 0
    for node in topological_order(root):
        nodes += 1
        key = _place(node, root, network, groups, group_of, neuron_of, depth)
        group_of[id(node)] = key
        for source in _sources(node, key, network, groups, group_of):
            edges[(source, key)] = None
    drawing = _Drawing(values=nodes, root=_box_name(groups, group_of[id(root)]))
    for group in sorted(groups.values(), key=_reading_order):
        cells = _group_cells(group, show_grad)
        drawing.nodes.append(_Node(_box_name(groups, group.key), "value", cells, group.kind))
        drawing.operations += sum(1 for member in group.members if member._parents)
    for source, target in edges:
        drawing.edges.append((_box_name(groups, source), _box_name(groups, target), ""))
    return drawing


def _sources(
    node: Any,
    key: str,
    network: _Network,
    groups: dict[str, _Group],
    group_of: dict[int, str],
) -> list[str]:
    """The boxes that feed ``node``'s box through ``node``. Parameters read outside their own
    neuron (a weight penalty reads them all) come from one shared "parameters" box rather than
    one edge from every neuron; numbers given to a neuron's ``dot`` come from an "inputs" box."""
    in_model = groups[key].kind == "parameter"
    sources = []
    for parent in _unique(node._parents):
        source = group_of[id(parent)]
        if id(parent) in network.owner and not in_model:
            read = _new_group(groups, "read", "parameters", "parameter")
            if id(parent) not in read.read:
                read.read.add(id(parent))
                read.parameters.append(parent)
            source = read.key
        if source != key:
            sources.append(source)
    if in_model and node._op == "dot":
        constants = _dot_constants(node)
        if constants:
            numbers = _new_group(groups, "numbers", "inputs", "input")
            numbers.numbers_per_call = len(constants)
            sources.append(numbers.key)
    return sources


def _place(
    node: Any,
    root: Any,
    network: _Network,
    groups: dict[str, _Group],
    group_of: dict[int, str],
    neuron_of: dict[int, str],
    depth: dict[int, int],
) -> str:
    """The key of the box ``node`` belongs to (creating the box); records its neuron."""
    node_id = id(node)
    if node_id in network.owner:
        neuron = network.owner[node_id]
        group = _module_group(groups, network, neuron)
        group.parameters.append(node)
        return group.key
    if node is root:
        group = _new_group(groups, "output", node.label or _op_text(node) or "output", "output")
        group.members.append(node)
        return group.key
    if not node._parents:
        group = _new_group(groups, "inputs", "inputs", "input")
        group.members.append(node)
        return group.key
    neuron = _neuron_of(node, network, neuron_of, depth)
    if neuron is not None:
        neuron_of[node_id] = neuron
        group = _module_group(groups, network, neuron)
        group.members.append(node)
        if not any(neuron_of.get(id(parent)) == neuron for parent in node._parents):
            group.calls += 1  # the first node of one call of the neuron
        if _op_key(node) not in group.operations:
            group.operations.append(_op_key(node))
        return group.key
    return _computed_group(node, groups, group_of).key


def _neuron_of(
    node: Any, network: _Network, neuron_of: dict[int, str], depth: dict[int, int]
) -> str | None:
    """The neuron that computed ``node``, or None for a node outside the model."""
    parents = node._parents
    owners = {network.owner[id(p)] for p in parents if id(p) in network.owner}
    if len(owners) == 1:
        depth[id(node)] = 0
        return owners.pop()
    if owners:
        return None  # reads parameters of several neurons: a penalty, not a neuron's work
    neurons = {neuron_of.get(id(parent)) for parent in parents}
    if len(neurons) != 1 or None in neurons:
        return None
    neuron = neurons.pop()
    level = 1 + max(depth[id(parent)] for parent in parents)
    limit = network.activation_depth.get(neuron)
    if limit is None:  # not probed: one activation function of one value, as in nn.Neuron
        simple = isinstance(node._op, str) and node._op not in ("sum", "dot")
        accepted = level == 1 and simple and len(_unique(parents)) == 1
    else:
        accepted = level <= limit
    if not accepted:
        return None
    depth[id(node)] = level
    return neuron


def _module_group(groups: dict[str, _Group], network: _Network, neuron: str) -> _Group:
    """The box of ``neuron``: its own, or its layer's."""
    box = network.box_of[neuron]
    group = _new_group(groups, f"module:{box}", network.titles[box], "parameter")
    group.neurons.add(neuron)
    return group


def _computed_group(node: Any, groups: dict[str, _Group], group_of: dict[int, str]) -> _Group:
    """The box of a node outside the model: one per operation and set of source boxes; a
    chain of one operation (Python's ``sum`` of many Values) folds into the box it continues."""
    op = _op_key(node)
    sources = sorted({group_of[id(parent)] for parent in node._parents})
    for source in sources:
        group = groups[source]
        if group.kind == "intermediate" and group.operations == [op]:
            group.members.append(node)
            return group
    group = _new_group(groups, f"op:{op}:{'|'.join(sources)}", op, "intermediate")
    group.operations = [op]
    group.members.append(node)
    return group


def _reading_order(group: _Group) -> tuple:
    """Inputs first, then the model's boxes by layer and neuron (numbers compared as numbers),
    then the rest as computed; Graphviz keeps this order within a rank."""
    if group.kind == "input":
        return (0,)
    if group.kind == "parameter":
        path = group.key.removeprefix("module:").split(".")
        return (1, *((0, int(part), "") if part.isdigit() else (1, 0, part) for part in path))
    return (2,)


def _op_key(node: Any) -> str:
    """The operation without its constant: ``* {}`` for every ``* c``."""
    op = node._op
    return op if isinstance(op, str) else op[0]


def _new_group(groups: dict[str, _Group], key: str, title: str, kind: str) -> _Group:
    """The box with ``key``, made on first use."""
    if key not in groups:
        groups[key] = _Group(key, title, kind)
    return groups[key]


def _box_name(groups: dict[str, _Group], key: str) -> str:
    """The DOT name of a box: g and its place among the boxes."""
    return f"g{list(groups).index(key)}"


def _group_cells(group: _Group, show_grad: bool) -> list[_Cell]:
    """A module: its name, parameter count, what one call computes, its parameters' grads;
    other boxes: the operation (or name), how many values it computed, their data and grads."""
    fill = KIND_COLOURS[group.kind]
    if group.kind == "parameter":
        return _module_cells(group, fill, show_grad)
    if group.key == "numbers":
        return [_Cell(["inputs"], fill, bold=True), _Cell([f"{group.numbers_per_call} numbers"])]
    title = group.title if group.kind != "intermediate" else _shared_op_text(group.members)
    if len(group.members) > 1:
        title = f"{title} x {len(group.members)}"
    cells = [_Cell([title], fill, bold=True)]
    cells.append(_Cell(_members_lines("data", [m.data for m in group.members]), fill))
    if show_grad:
        grads = [m.grad for m in group.members]
        if all(grad is not None for grad in grads):
            cells.append(_Cell(_members_lines("grad", grads), _grad_fill(_stacked(grads))))
    return cells


def _module_cells(group: _Group, fill: str, show_grad: bool) -> list[_Cell]:
    """Name; parameter count (scalars, as Keras counts them) and the ops of one call x calls;
    the parameters' grads."""
    count = sum(p.data.size if isinstance(p, Tensor) else 1 for p in group.parameters)
    lines = [f"{count} parameters"]
    if group.key == "read":
        lines[0] += " read directly"
    elif len(group.neurons) > 1:
        lines[0] = f"{len(group.neurons)} neurons, {lines[0]}"
    if group.operations:
        calls = group.calls // max(len(group.neurons), 1)
        lines.append(", ".join(group.operations) + (f" x {calls}" if calls > 1 else ""))
    cells = [_Cell([group.title], fill, bold=True), _Cell(lines, fill)]
    grads = [p.grad for p in group.parameters if not isinstance(p, Tensor)]
    if show_grad and grads and group.key != "read":
        cells.append(_Cell(_array_lines("grad", np.array(grads)), _grad_fill(np.array(grads))))
    return cells


def _shared_op_text(members: list[Any]) -> str:
    """The operation with its constant if every member used the same one (``1 -``), else with
    ``c`` in its place (``* c``)."""
    texts = {_op_text(member) for member in members}
    if len(texts) == 1:
        return texts.pop()
    op = members[0]._op
    return op[0].format("c") if isinstance(op, tuple) else op


def _members_lines(prefix: str, items: list[Any]) -> list[str]:
    """The data (or grads) of a box's values: one tensor as a tensor; floats as an array."""
    if len(items) == 1:
        item = items[0]
        if isinstance(item, np.ndarray):
            return _array_lines(prefix, item)
        return [f"{prefix} {format_number(item)}"]
    if any(isinstance(item, np.ndarray) for item in items):
        return [f"{prefix}: {len(items)} tensors"]
    return _array_lines(prefix, np.array(items, dtype=np.float64))


def _stacked(items: list[Any]) -> np.ndarray:
    """Floats or arrays as one float64 array (for the sign of their mean)."""
    if all(not isinstance(item, np.ndarray) for item in items):
        return np.array(items, dtype=np.float64)
    return np.concatenate([np.asarray(item, dtype=np.float64).ravel() for item in items])


# ----- layout: choose the direction by an estimate of the picture's size -----


def _choose_rankdir(drawing: _Drawing, budget: float, legend: bool, show_grad: bool) -> str:
    """Left to right if it fits ``budget`` points, else top to bottom if that fits, else the
    direction that needs less shrinking."""
    if legend:
        drawing = _Drawing(
            [*drawing.nodes, _legend_node(show_grad)],
            [*drawing.edges, (drawing.root, "legend", "")],
        )
    widths = {direction: _estimated_size(drawing, direction)[0] for direction in ("LR", "TB")}
    if widths["LR"] <= budget:
        return "LR"
    if widths["TB"] <= budget:
        return "TB"
    return "LR" if widths["LR"] <= widths["TB"] else "TB"


def _estimated_size(drawing: _Drawing, rankdir: str) -> tuple[float, float]:
    """Width and height in points of the picture laid out in ``rankdir``: ranks side by side
    (left to right) or stacked (top to bottom), each as wide and tall as its nodes."""
    across = rankdir in ("LR", "RL")
    ranks = _ranks([node.name for node in drawing.nodes], drawing.edges)
    by_rank: dict[int, list[tuple[float, float]]] = {}
    for node in drawing.nodes:
        width, height = _node_size(node, across)
        by_rank.setdefault(ranks[node.name], []).append(
            (height, width) if across else (width, height)
        )
    node_gap, rank_gap = NODE_SEPARATION * 72, RANK_SEPARATION * 72
    along = sum(max(size[1] for size in sizes) for sizes in by_rank.values())
    along += rank_gap * (len(by_rank) - 1)
    breadth = max(
        sum(size[0] for size in sizes) + node_gap * (len(sizes) - 1) for sizes in by_rank.values()
    )
    return (along, breadth) if across else (breadth, along)


def _ranks(names: list[str], edges: list[tuple[str, str, str]]) -> dict[str, int]:
    """Graphviz-like ranks: a node one past its furthest parent; a source just before the
    first node it feeds (as Graphviz keeps edges short)."""
    successors: dict[str, list[str]] = {name: [] for name in names}
    indegree = dict.fromkeys(names, 0)
    for source, target, _ in edges:
        if source in successors and target in indegree:
            successors[source].append(target)
            indegree[target] += 1
    rank = dict.fromkeys(names, 0)
    sources = [name for name in names if indegree[name] == 0]
    ready = list(sources)
    while ready:
        name = ready.pop()
        for target in successors[name]:
            rank[target] = max(rank[target], rank[name] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    for name in sources:
        if successors[name]:
            rank[name] = min(rank[target] for target in successors[name]) - 1
    return rank


def _node_size(node: _Node, across: bool) -> tuple[float, float]:
    """Estimated width and height in points; a value's cells stack when the graph runs across
    (left to right) and sit side by side when it runs down."""
    cells = [
        (
            max(len(line) for line in cell.lines) * CHARACTER_WIDTH * (1.1 if cell.bold else 1.0)
            + CELL_PADDING,
            len(cell.lines) * LINE_HEIGHT + CELL_PADDING / 2,
        )
        for cell in node.cells
    ]
    if node.shape == "value":
        if across:
            return max(w for w, _ in cells), sum(h for _, h in cells)
        return sum(w for w, _ in cells), max(h for _, h in cells)
    width, height = cells[0]
    if node.shape == "op":
        return max(29.0, 1.3 * width), max(21.6, 1.3 * height)
    return width + CELL_PADDING, height + CELL_PADDING


# ----- DOT text -----


def _dot_source(
    drawing: _Drawing, rankdir: str, size: str | None, legend: bool, show_grad: bool
) -> str:
    """The DOT text: graph settings, nodes, edges, and the legend tied below the root."""
    across = rankdir in ("LR", "RL")
    size_attribute = f', size="{size}"' if size else ""
    lines = [
        "digraph computation {",
        f"  rankdir={rankdir};",
        (
            f"  graph [nodesep={NODE_SEPARATION}, ranksep={RANK_SEPARATION}, "
            f'fontname="Helvetica"{size_attribute}];'
        ),
        '  node [fontname="Helvetica", fontsize=11];',
        "  edge [arrowsize=0.7];" if len(drawing.edges) <= MANY_EDGES else LIGHT_EDGES,
    ]
    for node in drawing.nodes:
        lines.append(f"  {node.name} [{_node_attributes(node, across)}];")
    for source, target, style in drawing.edges:
        lines.append(f"  {source} -> {target}" + (f" [{style}]" if style else "") + ";")
    if legend:
        legend_node = _legend_node(show_grad)
        lines += [
            "  subgraph cluster_legend {",
            '    label="legend"; fontsize=10; style=rounded; color="#adb5bd";',
            f"    legend [{_node_attributes(legend_node, True)}];",
            "  }",
            f"  {drawing.root} -> legend [style=invis];",
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_attributes(node: _Node, across: bool) -> str:
    """A node's DOT attributes: an HTML-like table for a value, an ellipse for an operation,
    a dashed box for a constant, a note for what was left out."""
    kind = f'class="{node.kind}"'
    if node.shape == "value":
        return f"shape=plain, {kind}, label=<{_table(node.cells, stacked=across)}>"
    text = _quoted("\n".join(line for cell in node.cells for line in cell.lines))
    if node.shape == "op":
        return f'shape=ellipse, {kind}, margin="0.04,0.02", width=0.4, height=0.3, label={text}'
    if node.shape == "constant":
        colour = KIND_COLOURS["input"]
        return (
            f'shape=box, {kind}, style="dashed,rounded,filled", fillcolor="{colour}", '
            f"fontsize=10, label={text}"
        )
    return f"shape=note, {kind}, fontsize=10, label={text}"


def _table(cells: list[_Cell], stacked: bool) -> str:
    """An HTML-like table of the cells: one column (stacked) or one row."""
    parts = []
    for cell in cells:
        text = "<br/>".join(html.escape(line) for line in cell.lines)
        if cell.bold:
            text = f"<b>{text}</b>"
        fill = f' bgcolor="{cell.fill}"' if cell.fill else ""
        parts.append(f"<td{fill}>{text}</td>")
    rows = (
        "".join(f"<tr>{part}</tr>" for part in parts) if stacked else f"<tr>{''.join(parts)}</tr>"
    )
    return f'<table border="0" cellborder="1" cellspacing="0" cellpadding="3">{rows}</table>'


def _legend_node(show_grad: bool) -> _Node:
    """The key: one row per kind of value in its colour, and the two gradient tints."""
    cells = [_Cell([KIND_NAMES[kind]], colour) for kind, colour in KIND_COLOURS.items()]
    if show_grad:
        cells.append(_Cell(["grad > 0: raising it raises the root"], GRAD_COLOURS["positive"]))
        cells.append(_Cell(["grad < 0: raising it lowers the root"], GRAD_COLOURS["negative"]))
    return _Node("legend", "value", cells, "legend")


def _quoted(text: str) -> str:
    """``text`` as a DOT string: backslashes and quotes escaped, line breaks as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
