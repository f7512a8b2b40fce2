"""The one backward engine: a topological order of the graph and one loop applying the chain rule.

The engine knows nothing about floats or arrays. A node is anything with

- ``_parents``: the nodes it was computed from (empty for a leaf),
- ``grad``: its gradient, read and written by its own ``_backward`` and its children's,
- ``_backward()``: send ``self.grad`` to the parents (``parent.grad += local * grad``); a node
  that does not keep its gradient frees it here, once it has been sent on,
- ``_reset_grad()``: forget the gradient of an earlier pass before this one starts (called only
  on a node whose ``grad`` is not None),
- ``_accumulate(grad)``: add ``grad`` to a leaf's gradient (``backward`` called on a leaf),
- identity hashing: nodes are dict keys during the walk.

``Value`` (scalars) and ``Tensor`` (numpy arrays) both follow it, so both run on the same engine.

Semantics of ``backward`` (the same as PyTorch on leaves):

- leaves *accumulate*: two calls of ``loss.backward()`` give every leaf twice the gradient, no more;
- intermediate nodes are reset at the start of every pass, so a stale gradient from an earlier pass
  never feeds a later one (micrograd's second call gives more than ×2 for this reason);
- afterwards an intermediate node holds the gradient of the last pass if it keeps its gradient
  (every ``Value`` does, so the picture of the graph can show it; a ``Tensor`` only after
  ``retain_grad()``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["backward", "enable_grad", "is_grad_enabled", "no_grad", "topological_order"]

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """Whether operations record the graph; one flag that every op reads."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when operations record their parents so that ``backward`` can reach them."""
    return grad_mode.enabled


class _SetGradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets grad mode and restores the old mode on exit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(grad_mode.enabled)
        grad_mode.enabled = self.enabled

    def __exit__(self, *exc_info: object) -> None:
        grad_mode.enabled = self._previous.pop()


def no_grad() -> _SetGradMode:
    """Record nothing inside: ``with no_grad(): ...`` or ``@no_grad()`` on a function.

    Results computed inside are leaves, so evaluation and parameter updates build no graph.
    """
    return _SetGradMode(False)


def enable_grad() -> _SetGradMode:
    """Record again inside a ``no_grad`` block (a context manager and a decorator)."""
    return _SetGradMode(True)


_OPENED, _FINISHED = 1, 2


def topological_order(root: Any) -> list[Any]:
    """Every node that ``root`` depends on, each after all of its parents, ``root`` last.

    Iterative depth-first search with an explicit stack, so a chain of a million nodes needs no
    recursion. A node is pushed, opened (pushed again beneath its parents), and finished when it
    comes back up, by which time its parents are finished. Nodes are dict keys, so they must hash
    by identity (``Value`` and ``Tensor`` do), never by value.
    """
    order: list[Any] = []
    state: dict[Any, int] = {}
    stack = [root]
    push, pop, seen_as, finish = stack.append, stack.pop, state.get, order.append  # hot loop
    while stack:
        node = pop()
        seen = seen_as(node)
        if seen is None:
            state[node] = _OPENED
            push(node)
            for parent in node._parents:
                if parent not in state:
                    push(parent)
        elif seen == _OPENED:
            state[node] = _FINISHED
            finish(node)
    return order


def backward(root: Any, grad: Any) -> None:
    """Apply the chain rule from ``root`` (seeded with ``grad``) down to every leaf.

    The node classes check and convert ``grad``; here it is already the right kind of number.
    """
    order = topological_order(root)
    for node in order:
        if node._parents and node.grad is not None:
            node._reset_grad()
    if root._parents:
        root.grad = grad
    else:
        root._accumulate(grad)
        return
    for node in reversed(order):
        if node._parents:
            node._backward()
