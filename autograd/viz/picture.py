"""A drawn graph as DOT text, and its rendering: the system ``dot`` if there is one, else the
``graphviz-pure`` binary of the ``viz`` extra, else the DOT source with a hint instead of an error.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["NO_RENDERER_HINT", "GraphPicture", "RendererNotFound", "find_renderer"]

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
