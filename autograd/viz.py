"""Pictures of computation graphs: micrograd's drawing as DOT text, rendered by Graphviz.

Each value is a record ``label | data | grad`` and each operation a small node between its
inputs and its result. We write the DOT text ourselves (it is a few lines), so drawing needs no
Python package; rendering runs the system ``dot`` if there is one, else the ``graphviz-pure``
binary of the ``viz`` extra, else a picture shows its DOT source with a hint instead of failing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["GraphPicture", "RendererNotFound", "draw_graph", "find_renderer"]

NO_RENDERER_HINT = (
    "no Graphviz renderer found: `pip install 'chainrule[viz]'` (or install Graphviz's `dot`) "
    "to see pictures; here is the DOT source instead"
)


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
            return {"image/svg+xml": self.render("svg").decode(), "text/plain": repr(self)}
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


def draw_graph(
    root: Any, rankdir: str = "LR", max_nodes: int = 200, show_grad: bool = True
) -> GraphPicture:
    """Draw every value ``root`` depends on, nearest first, at most ``max_nodes`` of them.

    Values beyond the cap are summarised in one node that says how many were left out.
    ``rankdir`` is Graphviz's direction: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    shown = _nearest_values(root, max_nodes)
    names = {id(node): f"v{index}" for index, node in enumerate(shown)}
    horizontal_records = rankdir in ("LR", "RL")
    lines = [
        "digraph computation {",
        f"  rankdir={rankdir};",
        '  node [fontname="Helvetica", fontsize=11];',
    ]
    operations = 0
    hidden_inputs = 0
    for node in shown:
        name = names[id(node)]
        fields = _record_fields(node, show_grad)
        label = " | ".join(_escape(field) for field in fields)
        if horizontal_records:
            label = "{ " + label + " }"
        lines.append(f'  {name} [shape=record, label="{label}"];')
        if not node._parents:
            continue
        operations += 1
        lines.append(f'  {name}_op [shape=ellipse, label="{_escape(node.op)}"];')
        lines.append(f"  {name}_op -> {name};")
        for parent in _unique(node._parents):
            if id(parent) in names:
                lines.append(f"  {names[id(parent)]} -> {name}_op;")
            else:
                hidden_inputs += 1
                lines.append(f"  hidden -> {name}_op [style=dashed];")
    if hidden_inputs:
        total = _count_values(root)
        lines.append(
            f'  hidden [shape=note, label="{total - len(shown)} more values not drawn '
            f'(max_nodes={max_nodes})"];'
        )
    lines.append("}")
    return GraphPicture("\n".join(lines) + "\n", len(shown), operations)


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


def _record_fields(node: Any, show_grad: bool) -> list[str]:
    """label | data | grad for a Value; label | shape dtype | data | grad for a Tensor."""
    fields = [node.label] if node.label else []
    if hasattr(node.data, "shape"):
        fields.append(f"{node.data.shape} {node.data.dtype}")
        fields.append(f"data {_array(node.data)}")
        if show_grad and node.grad is not None:
            fields.append(f"grad {_array(node.grad)}")
        return fields
    fields.append(f"data {_number(node.data)}")
    if show_grad:
        fields.append(f"grad {_number(node.grad)}")
    return fields


def _array(array: np.ndarray) -> str:
    """Small arrays in full, larger ones as their range."""
    if array.size <= 4:
        return np.array2string(array.ravel(), precision=4, separator=", ")
    if array.dtype.kind == "b":
        return f"{int(array.sum())} of {array.size} true"
    return f"[{_number(float(array.min()))} … {_number(float(array.max()))}]"


def _number(x: float) -> str:
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _escape(text: str) -> str:
    """Escape the characters that mean something inside a DOT record label."""
    for special in ("\\", "{", "}", "|", "<", ">", '"'):
        text = text.replace(special, "\\" + special)
    return text
