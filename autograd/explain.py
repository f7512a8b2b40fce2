"""Explain one gradient: every path from a parameter to the root and every chain-rule factor.

``explain(loss, wrt=w)`` lists the paths along which ``w`` influences ``loss`` and, along each,
one factor per edge: the node, its op, its local derivative d(node)/d(input), the upstream
gradient d(loss)/d(node) *along this path* and their product d(loss)/d(input) along this path.
The last product of a path is its contribution; the contributions add up to the gradient that
``loss.backward()`` would give (the chain rule is "multiply along a path, add over paths").

Everything is computed from the graph's recorded local derivatives (``Value._local_grads``) or
VJPs (``Tensor._vjps``): nothing calls ``backward`` and no ``.grad`` is read or written. A
``Tensor`` parameter is explained one element at a time, ``wrt=(w, (0, 1))``: each path carries
an array, the gradient that reaches each node along that path (its VJP applied, broadcasting
summed back, exactly as the engine does); the path's contribution is the chosen element of the
array that arrives at ``w``. A non-scalar root is explained through its sum.

The number of paths can grow exponentially with depth when nodes are reused, so paths are first
counted by dynamic programming over the topological order (no recursion anywhere), and more than
``max_paths`` of them is a ``ValueError``, raised before any path is walked.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.graph import topological_order
from autograd.tensor import Tensor, _identity, format_number, unbroadcast
from autograd.value import Value

__all__ = ["Explanation", "Factor", "explain"]

Quantity = float | np.ndarray
Index = tuple[int, ...]

COUNT_CAP = 2**63  # path counts saturate here, so counting stays cheap on any graph
SHOWN_AT_EACH_END = 20  # a path longer than twice this is shown by its two ends in renderings
_CONSTANT_VJPS: dict[Any, float] = {_identity: 1.0, np.negative: -1.0}  # (a + b), (a - b)


@dataclass(eq=False, slots=True)
class Factor:
    """One edge of a path, from ``node`` back to its input ``input``, and its chain-rule step.

    ``local`` is d(node)/d(input): a number for a Value; for a Tensor the op's elementwise
    derivative (an array, or a number for + and -), or None where the op only records a VJP.
    ``upstream`` is d(root)/d(node) along this path and ``product`` is d(root)/d(input) along it
    (``upstream · local``; for a Tensor the VJP applied to ``upstream``, broadcasting summed back).
    An input used twice (``a * a``) is two edges, two paths: ``use`` of ``uses`` tells them apart.
    """

    node: str
    op: str
    input: str
    local: Quantity | None
    upstream: Quantity
    product: Quantity
    use: int = 1
    uses: int = 1


class Explanation:
    """The paths from a parameter to a root, their factors, and ``total``, their sum.

    ``print(explanation)`` shows the text table, Jupyter shows an HTML table; ``paths[k]`` is the
    list of factors of path k from the root down to the parameter, ``contributions[k]`` its part
    of ``total``.
    """

    def __init__(
        self,
        root_name: str,
        wrt_name: str,
        paths: list[list[Factor]],
        contributions: list[float],
        element: Index | None = None,
        root_shape: tuple[int, ...] | None = None,
    ) -> None:
        self.root_name = root_name
        self.wrt_name = wrt_name
        self.paths = paths
        self.contributions = contributions
        self.element = element
        self.root_shape = root_shape
        self.total = math.fsum(contributions)  # correctly rounded: no extra error from order

    @property
    def summed_root(self) -> bool:
        """True when the root is a Tensor of more than one element, explained through its sum."""
        return self.root_shape is not None and math.prod(self.root_shape) != 1

    @property
    def target(self) -> str:
        """The parameter (or its chosen element) as text: ``w1`` or ``w[0, 1]``."""
        if self.element is None:
            return self.wrt_name
        return f"{self.wrt_name}[{', '.join(str(i) for i in self.element)}]"

    @property
    def derivative(self) -> str:
        """What is explained, as text: ``d(loss)/d(w1)`` or ``d(sum of out)/d(w[0, 1])``."""
        root = f"sum of {self.root_name}" if self.summed_root else self.root_name
        return f"d({root})/d({self.target})"

    def __repr__(self) -> str:
        count = len(self.paths)
        return (
            f"Explanation({self.derivative} = {self.total!r} over {count} "
            f"path{'' if count == 1 else 's'}; print it for every factor)"
        )

    def __str__(self) -> str:
        return "\n".join(_text_lines(self))

    def _repr_html_(self) -> str:
        return _html(self)


def explain(root: Value | Tensor, wrt: Any, max_paths: int = 200) -> Explanation:
    """Every path from ``wrt`` to ``root`` with its chain-rule factors, and their sum.

    ``wrt`` is a Value of ``root``'s graph, or for a Tensor graph ``(tensor, index)`` (a bare
    Tensor if it has one element). The sum equals the gradient ``root.backward()`` gives
    (``root.sum().backward()`` for a non-scalar Tensor root); no ``.grad`` is changed.
    Raises ValueError if more than ``max_paths`` paths lead from ``wrt`` to ``root``.
    """
    if isinstance(max_paths, bool) or not isinstance(max_paths, int) or max_paths < 1:
        raise ValueError(f"explain: max_paths must be a positive integer, got {max_paths!r}")
    if isinstance(root, Value):
        return _explain_value(root, wrt, max_paths)
    if isinstance(root, Tensor):
        return _explain_tensor(root, wrt, max_paths)
    raise TypeError(f"explain: root must be a Value or a Tensor, got {type(root).__name__}")


# ----- scalars -----


def _explain_value(root: Value, wrt: Any, max_paths: int) -> Explanation:
    if not isinstance(wrt, Value):
        raise TypeError(
            f"explain: root is a Value, so wrt must be a Value of its graph, got "
            f"{type(wrt).__name__}"
        )

    def step(node: Value, index: int, upstream: float) -> tuple[float, float]:
        local = node._local_grads[index]
        return local, local * upstream  # the engine's own product: parent.grad += local * grad

    paths = _paths(root, wrt, max_paths, 1.0, step)
    contributions = [path[-1].product if path else 1.0 for path in paths]
    return Explanation(node_name(root), node_name(wrt), paths, contributions)


# ----- tensors -----


def _explain_tensor(root: Tensor, wrt: Any, max_paths: int) -> Explanation:
    param, element = _tensor_element(wrt)
    if not param.requires_grad:
        raise ValueError(
            f"explain: {node_name(param)} does not require grad, so the graph records no path "
            "to it; create it with requires_grad=True"
        )
    if not root.requires_grad:
        raise ValueError(
            "explain: the root tensor does not require grad (no input had requires_grad=True, "
            "or it was computed under no_grad), so no gradient flows to any parameter"
        )

    def step(node: Tensor, index: int, upstream: np.ndarray) -> tuple[Quantity | None, Any]:
        vjps = node._vjps
        vjp = vjps[index] if type(vjps) is tuple else vjps
        if type(vjp) is np.ndarray:
            local: Quantity | None = vjp
            sent = upstream * vjp
        else:
            local = _CONSTANT_VJPS.get(vjp)
            sent = vjp(upstream)
        return local, _received(sent, node._parents[index])

    seed = np.ones_like(root.data)  # d(sum of root)/d(root): 1 everywhere
    paths = _paths(root, param, max_paths, seed, step)
    contributions = [float(path[-1].product[element]) if path else 1.0 for path in paths]
    return Explanation(
        node_name(root), node_name(param), paths, contributions, element, tuple(root.shape)
    )


def _received(sent: Any, parent: Tensor) -> np.ndarray:
    """What ``parent`` receives of ``sent``, as in ``Tensor._receive``: broadcasting undone and
    the parent's dtype kept."""
    grad = np.asarray(sent)
    if grad.shape != parent.data.shape:
        grad = unbroadcast(grad, parent.data.shape)
    if grad.dtype != parent.data.dtype:
        grad = grad.astype(parent.data.dtype)
    return grad


def _tensor_element(wrt: Any) -> tuple[Tensor, Index]:
    """The parameter tensor and the full index of the element to explain, checked."""
    if isinstance(wrt, Tensor):
        if wrt.data.size != 1:
            raise ValueError(
                f"explain: {node_name(wrt)} has shape {wrt.shape}; pass wrt=(tensor, index) to "
                "explain one element of it, e.g. wrt=(w, (0, 1))"
            )
        return wrt, (0,) * wrt.ndim
    if not (isinstance(wrt, tuple) and len(wrt) == 2 and isinstance(wrt[0], Tensor)):
        raise TypeError(
            "explain: root is a Tensor, so wrt must be (tensor, index), e.g. wrt=(w, (0, 1)), "
            f"or a one-element Tensor; got {type(wrt).__name__}"
        )
    param, index = wrt
    index = (index,) if isinstance(index, (int, np.integer)) else index
    if not isinstance(index, tuple) or not all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in index
    ):
        raise TypeError(f"explain: the element index must be a tuple of ints, got {index!r}")
    shape = param.shape
    if len(index) != len(shape) or any(not -n <= i < n for i, n in zip(index, shape)):
        raise IndexError(
            f"explain: index {index} does not pick one element of {node_name(param)} "
            f"of shape {shape}"
        )
    return param, tuple(int(i) % n for i, n in zip(index, shape))


# ----- paths: counted first, then walked, both without recursion -----


def count_paths(root: Any, wrt: Any, cap: int = COUNT_CAP) -> tuple[int, dict[Any, int]]:
    """The number of paths from ``wrt`` up to ``root`` (at most ``cap``), and for every node that
    depends on ``wrt`` the number of paths from ``wrt`` to it.

    Dynamic programming over the topological order: a node's count is the sum of its parents'
    counts, an input used twice (``a * a``) counting twice. Counts saturate at ``cap``, so a
    graph with astronomically many paths costs no more than any other.
    """
    reaches: dict[Any, int] = {}
    for node in topological_order(root):
        if node is wrt:
            reaches[node] = 1
            continue
        count = 0
        for parent in node._parents:
            count += reaches.get(parent, 0)
        if count:
            reaches[node] = count if count < cap else cap
    return reaches.get(root, 0), reaches


def _paths(
    root: Any,
    wrt: Any,
    max_paths: int,
    seed: Quantity,
    step: Callable[[Any, int, Any], tuple[Quantity | None, Quantity]],
) -> list[list[Factor]]:
    """Every path from ``root`` down to ``wrt`` as its list of factors, by an explicit-stack
    depth-first walk that follows only the inputs that depend on ``wrt``.

    ``step(node, i, upstream)`` gives the local derivative of input ``i`` and the product sent
    to it. A shared prefix is computed once: the stack keeps the upstream gradient of each node
    on the current path.
    """
    count, reaches = count_paths(root, wrt)
    if count > max_paths:
        shown = f"more than {COUNT_CAP - 1}" if count >= COUNT_CAP else str(count)
        raise ValueError(
            f"explain: {shown} paths lead from {node_name(wrt)} to {node_name(root)}, more than "
            f"max_paths={max_paths} (reused nodes multiply paths); pass a larger max_paths, or "
            "explain a smaller graph (root.backward() gives the gradient itself)"
        )
    paths: list[list[Factor]] = []
    current: list[Factor] = []  # the factors from the root down to the top frame's node
    # A frame: node, its upstream gradient, the next input to try, its name, its op (formatted
    # once, when first needed).
    stack: list[list[Any]] = [[root, seed, 0, node_name(root), None]]
    while stack:
        frame = stack[-1]
        node, upstream, index, name, op = frame
        parents = node._parents
        if node is wrt:
            paths.append(list(current))
            index = len(parents)  # a path ends at wrt: nothing below it can reach wrt again
        while index < len(parents) and parents[index] not in reaches:
            index += 1
        if index == len(parents):
            stack.pop()
            if current:
                current.pop()
            continue
        if op is None:
            op = frame[4] = node.op
        frame[2] = index + 1
        parent = parents[index]
        parent_name = node_name(parent)
        local, product = step(node, index, upstream)
        factor = Factor(name, op, parent_name, local, upstream, product)
        if len(parents) > 1:
            _number_uses(factor, parents, index)
        current.append(factor)
        stack.append([parent, product, 0, parent_name, None])
    return paths


def _number_uses(factor: Factor, parents: tuple, index: int) -> None:
    """Tell apart the edges of an input its node uses more than once (by identity: Values
    compare by data)."""
    parent = parents[index]
    uses = [position for position, other in enumerate(parents) if other is parent]
    if len(uses) > 1:
        factor.use, factor.uses = uses.index(index) + 1, len(uses)


def node_name(node: Any) -> str:
    """A node as the picture names it: its label, else its op (``tanh``), else ``leaf``."""
    return node.label or node.op or "leaf"


# ----- renderings -----

_COLUMNS = ("node", "op", "input", "local", "upstream", "product")


def _quantity(value: Quantity | None) -> str:
    """A factor's number or array as text: arrays of up to 4 elements in full, larger ones as
    shape and range, ``VJP`` where the op records no local derivative of its own."""
    if value is None:
        return "VJP"
    if not isinstance(value, np.ndarray):
        return format_number(float(value))
    if value.size <= 4:
        body = ", ".join(format_number(float(x)) for x in value.ravel())
        return f"[{body}]" if value.ndim else body
    low, high = format_number(float(value.min())), format_number(float(value.max()))
    return f"{value.shape} all {low}" if low == high else f"{value.shape} in [{low}, {high}]"


def _rows(path: list[Factor]) -> list[tuple[str, ...] | None]:
    """The table rows of a path; None stands for the factors left out of a long path."""

    def cells(f: Factor) -> tuple[str, ...]:
        return (
            f.node,
            f.op,
            _input(f),
            _quantity(f.local),
            _quantity(f.upstream),
            _quantity(f.product),
        )

    if len(path) > 2 * SHOWN_AT_EACH_END:
        ends = path[:SHOWN_AT_EACH_END], path[-SHOWN_AT_EACH_END:]
        return [*map(cells, ends[0]), None, *map(cells, ends[1])]
    return [cells(f) for f in path]


def _input(factor: Factor) -> str:
    """The input's name, and which use of it this edge is when its node uses it more than once."""
    if factor.uses == 1:
        return factor.input
    return f"{factor.input} (use {factor.use} of {factor.uses})"


def _chain(result: Explanation, path: list[Factor]) -> str:
    """A path's nodes from the parameter up to the root: ``w1 → x1·w1 → z → loss``."""
    if not path:
        return result.wrt_name
    shown = SHOWN_AT_EACH_END
    if len(path) + 1 > 2 * shown:
        first = [path[-1].input, *(f.node for f in path[:-shown:-1])]
        last = [f.node for f in path[shown - 1 :: -1]]
        names = [*first, f"({len(path) + 1 - 2 * shown} more)", *last]
    else:
        names = [path[-1].input, *(f.node for f in reversed(path))]
    return " → ".join(names)


def _headline(result: Explanation) -> list[str]:
    """What is explained, its value, and where the same number appears after backward."""
    count = len(result.paths)
    lines = [
        f"{result.derivative} = {result.total!r}, the sum over {count} "
        f"path{'' if count == 1 else 's'} from {result.wrt_name} to {result.root_name}"
    ]
    backward = "sum().backward()" if result.summed_root else "backward()"
    if result.summed_root:
        lines.append(
            f"{result.root_name} has shape {result.root_shape}, so this explains the derivative "
            "of its sum"
        )
    lines.append(
        f"(the gradient {result.root_name}.{backward} puts in {result.target} starting from "
        "zero, to rounding)"
    )
    if result.element is None:
        lines += [
            "local = d(node)/d(input), upstream = d(root)/d(node) along the path,",
            "product = upstream × local = d(root)/d(input) along the path",
        ]
    else:
        lines += [
            "local = the op's elementwise derivative (VJP: its Jacobian is applied to upstream),",
            "upstream = the gradient reaching node along the path, product = the gradient node",
            "sends to input along the path (VJP applied, broadcasting summed back);",
            f"a path's contribution is its last product at {result.target}",
        ]
    if not count:
        lines.append(f"no path leads from {result.wrt_name} to {result.root_name}: the sum is 0")
    return lines


def _contribution(result: Explanation, index: int) -> str:
    what = "contribution" if result.element is None else f"contribution to {result.target}"
    return f"{what}: {format_number(result.contributions[index])}"


def _table(path: list[Factor]) -> list[str]:
    """A path's factors as aligned text rows under the column names."""
    rows = _rows(path)
    shown = [row for row in rows if row is not None]
    widths = [
        max([len(column)] + [len(row[i]) for row in shown]) for i, column in enumerate(_COLUMNS)
    ]

    def line(cells: tuple[str, ...]) -> str:
        return "  " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

    lines = [line(_COLUMNS)]
    for row in rows:
        if row is None:
            lines.append(f"  … {len(path) - 2 * SHOWN_AT_EACH_END} factors not shown …")
        else:
            lines.append(line(row))
    return lines


def _sum_line(result: Explanation) -> str:
    """The sum over paths, term by term (the first dozen), and its value in full."""
    terms = [format_number(c) for c in result.contributions[:12]] or ["0"]
    text = terms[0] + "".join(f" - {t[1:]}" if t[0] == "-" else f" + {t}" for t in terms[1:])
    more = " + …" if len(result.contributions) > 12 else ""
    return f"sum over paths: {text}{more} = {result.total!r}"


def _text_lines(result: Explanation) -> list[str]:
    lines = _headline(result)
    for number, path in enumerate(result.paths):
        lines += ["", f"path {number + 1} of {len(result.paths)}: {_chain(result, path)}"]
        if path:
            lines += _table(path)
        else:
            lines.append(f"  {result.wrt_name} is the root itself: the derivative is 1")
        lines.append(f"  {_contribution(result, number)}")
    return [*lines, "", _sum_line(result)]


def _html(result: Explanation) -> str:
    escape = html.escape
    parts = ['<div class="chainrule-explain">']
    head = _headline(result)
    parts.append(f"<p><b>{escape(head[0])}</b><br>")
    parts.append("<br>".join(escape(line) for line in head[1:]) + "</p>")
    header = "".join(f"<th>{escape(column)}</th>" for column in _COLUMNS)
    for number, path in enumerate(result.paths):
        caption = f"path {number + 1} of {len(result.paths)}: {_chain(result, path)}"
        parts.append(f"<table><caption>{escape(caption)}</caption>")
        parts.append(f"<thead><tr>{header}</tr></thead><tbody>")
        for row in _rows(path):
            if row is None:
                hidden = len(path) - 2 * SHOWN_AT_EACH_END
                parts.append(f'<tr><td colspan="6">… {hidden} factors not shown …</td></tr>')
            else:
                cells = "".join(f"<td>{escape(cell)}</td>" for cell in row)
                parts.append(f"<tr>{cells}</tr>")
        parts.append(
            f'</tbody><tfoot><tr><td colspan="6">{escape(_contribution(result, number))}'
            "</td></tr></tfoot></table>"
        )
    parts.append(f"<p>{escape(_sum_line(result))}</p></div>")
    return "".join(parts)
