"""The one backward engine: a topological order of the graph and one loop applying the chain rule.

The engine knows nothing about floats or arrays. A node is anything with

- ``_parents``: the nodes it was computed from (empty for a leaf); or, if its class says
  ``_parents_in_slots = True``, the slots ``_a`` and ``_b``: its parents when it has one or two
  (``_b`` None for one, both None for a leaf), and for more a tuple of them in ``_a``,
- ``grad``: its gradient, read and written by its own ``_backward`` and its children's,
- ``_backward()``: send ``self.grad`` to the parents (``parent.grad += local * grad``); a node
  that does not keep its gradient frees it here, once it has been sent on,
- ``_start_grad``: a class attribute, the gradient a computed node starts a pass from (0.0 for a
  ``Value``, None for a ``Tensor``); the walk sets it, forgetting an earlier pass's gradient,
- ``_accumulate(grad)``: add ``grad`` to a leaf's gradient (``backward`` called on a leaf),
- identity hashing: nodes are set members during the walk.

``Value`` (scalars) and ``Tensor`` (numpy arrays) both follow it, so both run on the same engine.
A ``Value`` keeps its parents in slots, so that a node is one object for the garbage collector
rather than three (autograd/value.py); its ``_parents`` is a property that makes the tuple for
readers (pictures, explanations). The walk reads the slots instead: a tuple made for every node
would make it about 1.6 times as slow.

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


_FINISH = object()  # on the walk's stack: "the node beneath me is finished"


def topological_order(root: Any) -> list[Any]:
    """Every node that ``root`` depends on, each after all of its parents, ``root`` last."""
    return _order(root, for_backward=False)


def _order(root: Any, for_backward: bool) -> list[Any]:
    """``topological_order``; ``for_backward``: without the leaves (they have nothing to send
    on), and each computed node's gradient reset to ``_start_grad`` as it is found, so that a
    stale gradient of an earlier pass never feeds this one (one loop over the graph fewer).

    Iterative depth-first search with an explicit stack, so a chain of a million nodes needs no
    recursion. A node is opened when it is first popped: it goes back on the stack under a
    ``_FINISH`` mark, with its unseen parents above. When the mark comes back up, its parents are
    all in the order, and so the node goes in next. A leaf goes in as soon as it is opened. Nodes
    are set members, so they must hash by identity (``Value`` and ``Tensor`` do), never by value.
    """
    order: list[Any] = []
    seen: set[Any] = set()
    stack = [root]
    push, pop, finish, visit = stack.append, stack.pop, order.append, seen.add  # hot loop
    in_slots = getattr(root, "_parents_in_slots", False)  # a graph is all Values or all Tensors
    leaves = not for_backward
    start = root._start_grad
    a = parents = None  # a Value's first parent slot, or a Tensor's parents: set per node
    while stack:
        node = pop()
        if node is _FINISH:
            finish(pop())
            continue
        if node in seen:  # pushed by two children before either opened it
            continue
        visit(node)
        if in_slots:  # a Value: see the module docstring
            a = node._a
            is_leaf = a is None
        else:  # a Tensor
            parents = node._parents
            is_leaf = not parents
        if is_leaf:
            if leaves:
                finish(node)
            continue
        if for_backward:
            node.grad = start
        push(node)
        push(_FINISH)
        if not in_slots:
            for parent in parents:
                if parent not in seen:
                    push(parent)
            continue
        b = node._b
        if b is not None:  # two parents: nearly every node
            if a not in seen:
                push(a)
            if b not in seen:
                push(b)
        elif type(a) is tuple:  # an n-ary op
            for parent in a:
                if parent not in seen:
                    push(parent)
        elif a not in seen:
            push(a)
    return order


def backward(root: Any, grad: Any) -> None:
    """Apply the chain rule from ``root`` (seeded with ``grad``) down to every leaf.

    The node classes check and convert ``grad``; here it is already the right kind of number.
    """
    if not root._parents:
        root._accumulate(grad)
        return
    computed = _order(root, for_backward=True)  # and every computed gradient reset
    root.grad = grad
    for node in reversed(computed):
        node._backward()
