"""The full view: every value and operation, nearest the root first, at most ``max_nodes`` values;
the constants a Tensor op did not record are drawn as dashed boxes.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from autograd.tensor import Tensor
from autograd.viz.drawing import (
    Cell,
    Drawing,
    Node,
    array_lines,
    op_lines,
    shape_text,
    unique_parents,
    value_cells,
)
from autograd.viz.names import Naming, value_kind

# Tensor ops of two tensor operands: one recorded parent means the other was a constant.
BINARY_TENSOR_OPS = frozenset({"+", "-", "*", "/", "**", "matmul", "maximum", "minimum", "where"})


def expanded_drawing(
    root: Any, max_nodes: int, show_grad: bool, naming: Naming, has_model: bool
) -> Drawing:
    """The values nearest ``root`` (at most ``max_nodes``), an ellipse for the operation of each
    computed one, a dashed box for each constant operand, and a note for what was left out."""
    shown = _nearest_values(root, max_nodes)
    ids = {id(node): f"v{index}" for index, node in enumerate(shown)}
    drawing = Drawing(values=len(shown))
    hidden_inputs = 0
    for node in shown:
        name = ids[id(node)]
        label = naming.names.get(id(node), node.label)
        kind = value_kind(node, root, naming)
        drawing.nodes.append(Node(name, "value", value_cells(node, label, kind, show_grad), kind))
        if not node._parents:
            continue
        drawing.operations += 1
        op_name = f"{name}_op"
        drawing.nodes.append(Node(op_name, "op", [Cell(op_lines(node))], "operation"))
        drawing.edges.append((op_name, name, ""))
        for parent in unique_parents(node._parents):
            if id(parent) in ids:
                drawing.edges.append((ids[id(parent)], op_name, ""))
            else:
                hidden_inputs += 1
                drawing.edges.append(("hidden", op_name, "style=dashed"))
        for index, constant in enumerate(_missing_operands(node)):
            constant_name = f"{name}_c{index}"
            drawing.nodes.append(
                Node(constant_name, "constant", _constant_cells(constant), "input")
            )
            drawing.edges.append((constant_name, op_name, ""))
    if hidden_inputs:
        hint = (
            "draw_graph(..., collapse='layer') draws the whole network"
            if has_model
            else ("pass model= and collapse='layer' to draw a network whole")
        )
        note = f"{_count_values(root) - len(shown)} more values not drawn (max_nodes={max_nodes})"
        drawing.nodes.append(Node("hidden", "note", [Cell([note, hint])], "note"))
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


def _constant_cells(constant: np.ndarray | None) -> list[Cell]:
    """The text of a constant operand's box: its numbers if the op kept them, else a marker."""
    if constant is None:
        return [Cell(["constant"])]
    return [Cell(["constant", shape_text(constant), *array_lines("data", constant)])]
