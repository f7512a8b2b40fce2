"""``Module``: the base of every model, which finds its parameters in its attributes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from autograd import Tensor, Value

__all__ = ["Module"]


class Module:
    """A model or a part of one. Parameters are the ``Value`` leaves and the ``Tensor``s with
    ``requires_grad`` stored in its attributes, directly, in lists and tuples, or inside
    sub-modules (found in attribute order)."""

    training: bool = True

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value | Tensor]]:
        """``(dotted name, parameter)`` pairs, each parameter once even if it is shared."""
        seen: set[int] = set()
        for name, parameter in _walk(self, prefix.rstrip(".")):
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield name, parameter

    def parameters(self) -> list[Value | Tensor]:
        return [parameter for _, parameter in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module below it."""
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            yield module
            stack.extend(reversed(_children(module)))

    def zero_grad(self) -> None:
        """Forget the gradients of all parameters (leaves accumulate across ``backward`` calls)."""
        for parameter in self.parameters():
            parameter._reset_grad()

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``eval()`` unsets it) here and in every sub-module."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def extra_repr(self) -> str:
        """What the one-line ``repr`` shows between the brackets."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _children(module: Module) -> list[Module]:
    children = []
    for attribute in vars(module).values():
        items = attribute if isinstance(attribute, (list, tuple)) else [attribute]
        children.extend(item for item in items if isinstance(item, Module))
    return children


def _walk(module: Module, prefix: str) -> Iterator[tuple[str, Value | Tensor]]:
    """Parameters below ``module`` with dotted names; an explicit stack, parents before children."""
    stack: list[tuple[str, Any]] = [(prefix, module)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, Value) or (isinstance(item, Tensor) and item.requires_grad):
            yield name, item
            continue
        if isinstance(item, Module):
            entries = list(vars(item).items())
        elif isinstance(item, (list, tuple)):
            entries = [(str(index), element) for index, element in enumerate(item)]
        else:
            continue
        joined = [(f"{name}.{key}" if name else key, value) for key, value in entries]
        stack.extend(reversed(joined))
