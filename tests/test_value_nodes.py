"""How a Value node is stored: one object for the garbage collector, parents and local derivatives
read back as tuples, names of ops on numbers, and the engine's walk over every layout."""

from __future__ import annotations

import copy
import gc
import random
import sys
from collections.abc import Callable

import pytest

import autograd
from autograd import Value, no_grad, topological_order
from autograd.value import amax, logsumexp, softmax

CHAIN = 2_000

RECORDED_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "a * b": lambda y, w: y * w,
    "a + b": lambda y, w: y + w,
    "a - b": lambda y, w: y - w,
    "a / b": lambda y, w: y / w,
    "a * number": lambda y, w: y * 0.999,
    "number - a": lambda y, w: 0.5 - y,
    "a ** number": lambda y, w: y**1.0,
    "relu": lambda y, w: y.relu(),
    "tanh": lambda y, w: y.tanh(),
    "exp": lambda y, w: (y * 1e-9).exp(),
}


def tracked_objects() -> int:
    return len(gc.get_objects())


CPYTHON = sys.implementation.name == "cpython"


@pytest.mark.skipif(not CPYTHON, reason="untracking is CPython's (autograd/value.py)")
@pytest.mark.parametrize("op", list(RECORDED_OPS))
def test_a_recorded_op_leaves_nothing_for_the_cyclic_garbage_collector(op: str) -> None:
    """The node is one object, not tracked by the collector, and no tuple is made beside it."""
    step = RECORDED_OPS[op]
    y, w = Value(0.5), Value(1.0001)
    gc.collect()
    gc.disable()  # count the objects as an op leaves them, before a collection untracks any
    try:
        before = tracked_objects()
        for _ in range(CHAIN):
            y = step(y, w)
        extra = tracked_objects() - before
    finally:
        gc.enable()
    nodes = [node for node in topological_order(y) if node._parents]
    assert CHAIN <= len(nodes) <= 2 * CHAIN
    assert extra <= 5  # without untracking: one per node at least
    assert not any(gc.is_tracked(node) for node in nodes)
    assert gc.is_tracked(w)  # a leaf made by Value() stays tracked


@pytest.mark.skipif(not CPYTHON, reason="untracking is CPython's (autograd/value.py)")
def test_an_n_ary_node_and_its_tuple_of_parents_are_untracked_too() -> None:
    a, b = Value(1.0), Value(2.0)
    for node in (autograd.sum([a, b]), autograd.dot([a, b], [b, 3.0]), *softmax([a, b])):
        assert not gc.is_tracked(node) and not gc.is_tracked(node._a)


def test_untracked_graphs_survive_collections_and_backpropagate_the_same() -> None:
    def loss_and_grads(collect: bool) -> tuple[float, list[float]]:
        xs = [Value(0.1 * i) for i in range(20)]
        y = Value(0.0)
        for i, x in enumerate(xs):
            y = (y + x * x).tanh() if i % 2 else y * 0.5 + x
            if collect:
                gc.collect()  # collections while the graph grows must not touch it
        y.backward()
        return y.data, [x.grad for x in xs]

    assert loss_and_grads(collect=True) == loss_and_grads(collect=False)


def test_parents_and_local_derivatives_read_back_in_argument_order() -> None:
    a, b, c = Value(2.0), Value(-3.0), Value(0.5)
    assert (a._parents, a._local_grads) == ((), ())
    assert (a * b)._parents == (a, b) and (a * b)._local_grads == (-3.0, 2.0)
    assert (a - b)._parents == (a, b) and (a - b)._local_grads == (1.0, -1.0)
    assert (a * 4.0)._parents == (a,) and (a * 4.0)._local_grads == (4.0,)
    assert (a * a)._parents == (a, a) and (a * a)._local_grads == (2.0, 2.0)
    assert b.relu()._local_grads == (0.0,)
    dotted = autograd.dot([a, b], [c, 10.0])
    assert dotted._parents == (a, c, b) and dotted._local_grads == (0.5, 2.0, 10.0)


def test_the_parents_of_a_node_are_the_same_objects_each_time_they_are_read() -> None:
    a, b = Value(1.0), Value(2.0)
    node = a + b
    first, second = node._parents, node._parents
    assert all(x is y for x, y in zip(first, second)) and first[0] is a and first[1] is b


def test_n_ary_ops_of_numbers_alone_are_leaves() -> None:
    total = autograd.sum([1.0, 2.0])
    assert total.data == 3.0 and total._parents == () and total.op == "sum"


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda a: a + 2, "+ 2"),
        (lambda a: a - 0.5, "- 0.5"),
        (lambda a: 2 - a, "2 -"),
        (lambda a: a * 0.25, "* 0.25"),
        (lambda a: a / 4, "/ 4"),
        (lambda a: 3 / a, "3 /"),
        (lambda a: a**3, "** 3"),
        (lambda a: 2.5**a, "2.5 **"),
    ],
)
def test_an_op_on_a_number_names_the_number(make: Callable[[Value], Value], name: str) -> None:
    a = Value(1.5)
    recorded = make(a)
    with no_grad():
        unrecorded = make(a)
    assert recorded.op == unrecorded.op == name
    template, number = recorded._op
    assert template.format(f"{number:g}") == name


def test_ops_between_values_are_named_without_a_number() -> None:
    a, b = Value(1.0), Value(2.0)
    assert [(a * b).op, (a + b).op, (a / b).op, (a**b).op] == ["*", "+", "/", "**"]
    assert (a * b)._op == "*" and a.op == ""


def test_no_grad_results_have_no_parents_and_no_local_derivatives() -> None:
    a, b = Value(1.0), Value(2.0)
    with no_grad():
        results = [a * b, a * 3.0, a.tanh(), autograd.dot([a], [b]), *softmax([a, b])]
    for result in results:
        assert (result._parents, result._local_grads) == ((), ())


def recursive_order(root: Value) -> list[Value]:
    """The definition the engine's walk must agree with (last input first, as in notebook 02)."""
    order: list[Value] = []
    visited: set[int] = set()

    def visit(node: Value) -> None:
        if id(node) not in visited:
            visited.add(id(node))
            for parent in reversed(node._parents):
                visit(parent)
            order.append(node)

    visit(root)
    return order


def random_graph(seed: int) -> Value:
    """A graph of every node layout: leaves, one and two parents, a parent used twice, ops on
    numbers and n-ary ops, reusing earlier nodes at random."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(0.5, 1.5)) for _ in range(4)]
    makers: list[Callable[[Value, Value], Value]] = [
        lambda a, b: a * b,
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * a,
        lambda a, b: a * 0.9,
        lambda a, b: (a * 0.1).tanh(),
        lambda a, b: a.relu(),
        lambda a, b: autograd.sum([a, b, 1.0]),
        lambda a, b: autograd.dot([a, b], [b, 0.5]),
        lambda a, b: softmax([a, b])[0],
        lambda a, b: logsumexp([a, b]),
        lambda a, b: amax([a, b]),
    ]
    for _ in range(60):
        make = rng.choice(makers)
        nodes.append(make(rng.choice(nodes), rng.choice(nodes)))
    return autograd.sum(nodes[-10:])


@pytest.mark.parametrize("seed", range(5))
def test_the_walk_matches_the_recursive_topological_order(seed: int) -> None:
    root = random_graph(seed)
    assert [id(node) for node in topological_order(root)] == [
        id(node) for node in recursive_order(root)
    ]


def test_backward_over_every_layout_matches_finite_differences() -> None:
    def f(a: Value, b: Value, c: Value) -> Value:
        mixed = autograd.dot([a, b], [c, a]) * (a - 0.5).tanh() + autograd.sum([a * a, b, 2.0])
        return mixed + logsumexp([a, b, c]) + amax([a, c]) + softmax([a, b, c])[1] * (2 - b)

    result = autograd.gradcheck(f, [Value(0.3), Value(-0.7), Value(1.1)])
    assert result.ok, str(result)


def test_backward_twice_doubles_leaf_gradients_through_every_layout() -> None:
    a, b = Value(0.4), Value(-1.2)
    loss = autograd.dot([a, b], [b, a]) * a.tanh() + autograd.sum([a * b, b * 3.0])
    loss.backward()
    first = (a.grad, b.grad)
    loss.backward()
    assert (a.grad, b.grad) == pytest.approx((2 * first[0], 2 * first[1]), rel=1e-12)


def test_a_deep_copy_of_a_graph_backpropagates_like_the_original() -> None:
    a, b = Value(0.4), Value(-1.2)
    loss = autograd.dot([a, b], [b, 2.0]) + (a * b).relu() + a * 0.5
    copied = copy.deepcopy(loss)
    loss.backward()
    copied.backward()
    copied_leaves = [node for node in topological_order(copied) if not node._parents]
    assert sorted(leaf.grad for leaf in copied_leaves) == sorted([a.grad, b.grad])
    assert copied.op == loss.op and copied.data == loss.data
