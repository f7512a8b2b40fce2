"""What a picture shows before it is DOT text: nodes made of cells (lines of text and a fill),
edges between them, and the labels of values and operations, shared by the full view
(``expanded.py``) and the collapsed one (``collapsed.py``).

Colours say what a value is (a parameter, an input or constant, an intermediate, the output)
and which way its gradient points (red: raising the value raises the output, blue: lowers it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.tensor import Tensor, format_array, format_number, summarize

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

IN_FULL_UP_TO = 6  # a tensor of at most this many numbers is drawn in full, else summarised
WRAP_WIDTH = 34  # characters: longer lists of numbers are broken into lines


@dataclass
class Cell:
    """One field of a table (or the text of an ellipse): lines of text and a fill colour."""

    lines: list[str]
    fill: str | None = None
    bold: bool = False


@dataclass
class Node:
    """A node of the picture. ``shape``: value (a table), op (an ellipse), constant (a dashed
    box) or note; ``kind`` becomes its SVG class (parameter, input, operation, ...)."""

    name: str
    shape: str
    cells: list[Cell]
    kind: str


@dataclass
class Drawing:
    """What a picture shows, before it is DOT text: its nodes and edges, how many values and
    operations of the graph it stands for, and the DOT name of the root's node."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # source, target, style
    values: int = 0
    operations: int = 0
    root: str = "v0"


def value_cells(node: Any, label: str, kind: str, show_grad: bool) -> list[Cell]:
    """name | data | grad for a Value; name | shape dtype | data | grad for a Tensor."""
    fill = KIND_COLOURS[kind]
    cells = [Cell([label], fill, bold=True)] if label else []
    if isinstance(node, Tensor):
        cells.append(Cell([shape_text(node.data)], fill))
        cells.append(Cell(array_lines("data", node.data), fill))
        if show_grad and node.grad is not None:
            cells.append(Cell(array_lines("grad", node.grad), grad_fill(node.grad)))
        return cells
    cells.append(Cell([f"data {format_number(node.data)}"], fill))
    if show_grad:
        cells.append(Cell([f"grad {format_number(node.grad)}"], grad_fill(node.grad)))
    return cells


def shape_text(array: np.ndarray) -> str:
    """``(2, 3) float32``, or ``scalar float32`` for a 0-d array."""
    shape = "scalar" if array.ndim == 0 else str(array.shape)
    return f"{shape} {array.dtype}"


def array_lines(prefix: str, array: np.ndarray) -> list[str]:
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


def grad_fill(grad: Any) -> str | None:
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


def op_text(node: Any) -> str:
    """The operation, its constant in ``format_number``'s format (``* 0.5``, ``1 -``)."""
    op = node._op
    if isinstance(op, str):
        return op
    template, constant = op
    return template.format(format_number(constant))


def op_lines(node: Any) -> list[str]:
    """The op's name; a Value ``dot`` also names the numbers it was given (the local
    derivatives of the Values they multiply), in parent order."""
    text = op_text(node)
    if text != "dot" or isinstance(node, Tensor):
        return [text]
    constants = dot_constants(node)
    if not constants:
        return [text]
    if len(constants) <= IN_FULL_UP_TO:
        return [text, f"with {format_array(np.array(constants))}"]
    return [text, f"with {len(constants)} numbers"]


def dot_constants(node: Any) -> list[float]:
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


def unique_parents(parents: tuple) -> list:
    """Parents without repeats (``a * a`` draws one edge from ``a``)."""
    seen: set[int] = set()
    unique = []
    for parent in parents:
        if id(parent) not in seen:
            seen.add(id(parent))
            unique.append(parent)
    return unique
