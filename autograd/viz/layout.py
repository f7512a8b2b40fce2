"""From a drawing to DOT text: the direction chosen by an estimate of the picture's size, then
the graph settings, nodes (tables, ellipses, dashed boxes, notes), edges and the legend.
"""

from __future__ import annotations

import html

from autograd.viz.drawing import GRAD_COLOURS, KIND_COLOURS, KIND_NAMES, Cell, Drawing, Node

MANY_EDGES = 100  # beyond this many edges (a collapsed network's layers) edges are drawn light
LIGHT_EDGES = '  edge [arrowsize=0.5, penwidth=0.6, color="#868e96"];'
# Graphviz spacing (inches) and this module's estimate of Helvetica 11 pt text (points).
NODE_SEPARATION, RANK_SEPARATION = 0.2, 0.3
CHARACTER_WIDTH, LINE_HEIGHT, CELL_PADDING = 6.3, 14.0, 8.0


def choose_rankdir(drawing: Drawing, budget: float, legend: bool, show_grad: bool) -> str:
    """Left to right if it fits ``budget`` points, else top to bottom if that fits, else the
    direction that needs less shrinking."""
    if legend:
        drawing = Drawing(
            [*drawing.nodes, _legend_node(show_grad)],
            [*drawing.edges, (drawing.root, "legend", "")],
        )
    widths = {direction: _estimated_size(drawing, direction)[0] for direction in ("LR", "TB")}
    if widths["LR"] <= budget:
        return "LR"
    if widths["TB"] <= budget:
        return "TB"
    return "LR" if widths["LR"] <= widths["TB"] else "TB"


def _estimated_size(drawing: Drawing, rankdir: str) -> tuple[float, float]:
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


def _node_size(node: Node, across: bool) -> tuple[float, float]:
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


def dot_source(
    drawing: Drawing, rankdir: str, size: str | None, legend: bool, show_grad: bool
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


def _node_attributes(node: Node, across: bool) -> str:
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


def _table(cells: list[Cell], stacked: bool) -> str:
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


def _legend_node(show_grad: bool) -> Node:
    """The key: one row per kind of value in its colour, and the two gradient tints."""
    cells = [Cell([KIND_NAMES[kind]], colour) for kind, colour in KIND_COLOURS.items()]
    if show_grad:
        cells.append(Cell(["grad > 0: raising it raises the root"], GRAD_COLOURS["positive"]))
        cells.append(Cell(["grad < 0: raising it lowers the root"], GRAD_COLOURS["negative"]))
    return Node("legend", "value", cells, "legend")


def _quoted(text: str) -> str:
    """``text`` as a DOT string: backslashes and quotes escaped, line breaks as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
