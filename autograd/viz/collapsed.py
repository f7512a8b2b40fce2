"""The collapsed view: one box per neuron or layer of a model (``collapse="neuron"`` or
``"layer"``), and repeated computations outside the model folded into one box each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.graph import enable_grad, topological_order
from autograd.tensor import Tensor, format_number
from autograd.viz.drawing import (
    KIND_COLOURS,
    Cell,
    Drawing,
    Node,
    array_lines,
    dot_constants,
    grad_fill,
    op_text,
    unique_parents,
)
from autograd.viz.names import readable_name


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


def collapsed_drawing(root: Any, model: Any, level: str, show_grad: bool) -> Drawing:
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
    drawing = Drawing(values=nodes, root=_box_name(groups, group_of[id(root)]))
    for group in sorted(groups.values(), key=_reading_order):
        cells = _group_cells(group, show_grad)
        drawing.nodes.append(Node(_box_name(groups, group.key), "value", cells, group.kind))
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
    for parent in unique_parents(node._parents):
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
        constants = dot_constants(node)
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
        group = _new_group(groups, "output", node.label or op_text(node) or "output", "output")
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
        accepted = level == 1 and simple and len(unique_parents(parents)) == 1
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


def _group_cells(group: _Group, show_grad: bool) -> list[Cell]:
    """A module: its name, parameter count, what one call computes, its parameters' grads;
    other boxes: the operation (or name), how many values it computed, their data and grads."""
    fill = KIND_COLOURS[group.kind]
    if group.kind == "parameter":
        return _module_cells(group, fill, show_grad)
    if group.key == "numbers":
        return [Cell(["inputs"], fill, bold=True), Cell([f"{group.numbers_per_call} numbers"])]
    title = group.title if group.kind != "intermediate" else _shared_op_text(group.members)
    if len(group.members) > 1:
        title = f"{title} x {len(group.members)}"
    cells = [Cell([title], fill, bold=True)]
    cells.append(Cell(_members_lines("data", [m.data for m in group.members]), fill))
    if show_grad:
        grads = [m.grad for m in group.members]
        if all(grad is not None for grad in grads):
            cells.append(Cell(_members_lines("grad", grads), grad_fill(_stacked(grads))))
    return cells


def _module_cells(group: _Group, fill: str, show_grad: bool) -> list[Cell]:
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
    cells = [Cell([group.title], fill, bold=True), Cell(lines, fill)]
    grads = [p.grad for p in group.parameters if not isinstance(p, Tensor)]
    if show_grad and grads and group.key != "read":
        cells.append(Cell(array_lines("grad", np.array(grads)), grad_fill(np.array(grads))))
    return cells


def _shared_op_text(members: list[Any]) -> str:
    """The operation with its constant if every member used the same one (``1 -``), else with
    ``c`` in its place (``* c``)."""
    texts = {op_text(member) for member in members}
    if len(texts) == 1:
        return texts.pop()
    op = members[0]._op
    return op[0].format("c") if isinstance(op, tuple) else op


def _members_lines(prefix: str, items: list[Any]) -> list[str]:
    """The data (or grads) of a box's values: one tensor as a tensor; floats as an array."""
    if len(items) == 1:
        item = items[0]
        if isinstance(item, np.ndarray):
            return array_lines(prefix, item)
        return [f"{prefix} {format_number(item)}"]
    if any(isinstance(item, np.ndarray) for item in items):
        return [f"{prefix}: {len(items)} tensors"]
    return array_lines(prefix, np.array(items, dtype=np.float64))


def _stacked(items: list[Any]) -> np.ndarray:
    """Floats or arrays as one float64 array (for the sign of their mean)."""
    if all(not isinstance(item, np.ndarray) for item in items):
        return np.array(items, dtype=np.float64)
    return np.concatenate([np.asarray(item, dtype=np.float64).ravel() for item in items])
