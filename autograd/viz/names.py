"""Names in pictures: a network's dotted parameter names as people say them, and what each
value is (parameter, input, intermediate or output), from ``model=``, ``names=`` and ``inputs=``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd.tensor import Tensor


@dataclass
class Naming:
    """Display names by node id, the model's parameters (if a model was given), the inputs."""

    names: dict[int, str]
    parameters: set[int] | None
    inputs: set[int]


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


def collect_names(model: Any, names: Any, inputs: Iterable[Any]) -> Naming:
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
    return Naming(display, parameters, {id(node) for node in inputs})


def value_kind(node: Any, root: Any, naming: Naming) -> str:
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
