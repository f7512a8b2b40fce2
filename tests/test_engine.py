"""The backward engine's semantics: reuse, accumulation, seeds, no_grad, detach, deep graphs."""

from __future__ import annotations

import sys

import pytest

import autograd
from autograd import Value, enable_grad, is_grad_enabled, no_grad, topological_order


def test_non_uniform_reuse_sums_every_path() -> None:
    a = Value(3.0)
    b = a + a
    c = b * b + a  # c = 4a² + a, dc/da = 8a + 1
    c.backward()
    assert a.grad == 25.0
    assert b.grad == 2 * b.data  # intermediates keep the gradient of the pass


def test_diamond_graph_adds_both_branches() -> None:
    a = Value(2.0)
    left, right = a * 2.0, a.exp()
    d = left * right  # d = 2a·eᵃ, dd/da = 2eᵃ + 2a·eᵃ
    d.backward()
    assert a.grad == pytest.approx(2 * right.data + 2 * a.data * right.data)
    assert (left.grad, right.grad) == (right.data, left.data)


def test_backward_twice_doubles_leaf_gradients_exactly_and_no_more() -> None:
    a, b = Value(0.5), Value(-1.5)
    hidden = (a * b).tanh()
    loss = hidden * hidden + a
    loss.backward()
    first_a, first_b, first_hidden = a.grad, b.grad, hidden.grad
    loss.backward()
    assert (a.grad, b.grad) == (2 * first_a, 2 * first_b)
    assert hidden.grad == first_hidden  # an intermediate holds the last pass, not a sum


def test_a_new_graph_over_used_intermediates_starts_from_fresh_gradients() -> None:
    a = Value(2.0)
    shared = a * a
    (shared * 3.0).backward()
    a.grad = 0.0
    (shared + 1.0).backward()  # `shared` had grad 3 from the first pass; it must not leak
    assert shared.grad == 1.0
    assert a.grad == 4.0


def test_backward_takes_a_seed_gradient() -> None:
    a = Value(3.0)
    (a * a).backward(0.5)
    assert a.grad == 3.0


def test_backward_on_a_leaf_accumulates_the_seed() -> None:
    a = Value(3.0)
    a.backward()
    a.backward(2.0)
    assert a.grad == 3.0


def test_no_grad_records_nothing_and_restores_the_mode() -> None:
    a = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        b = a * a + 1.0
        with enable_grad():
            recorded = a * 3.0
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert b._parents == () and b.data == 5.0
    assert recorded._parents == (a,)
    b.backward()
    assert a.grad == 0.0


def test_no_grad_works_as_a_decorator_and_survives_exceptions() -> None:
    @no_grad()
    def square(v: Value) -> Value:
        return v * v

    assert square(Value(3.0))._parents == ()
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0.0
    assert is_grad_enabled()


def test_detach_cuts_the_graph() -> None:
    a = Value(2.0)
    b = a * a
    c = b.detach() * a
    c.backward()
    assert a.grad == b.data  # only the direct `* a` path reaches a
    assert b.grad == 0.0
    assert c._parents[0] is not b


def test_topological_order_lists_parents_before_children_each_once() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len({id(node) for node in order}) == 5
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for parent in node._parents:
            assert position[id(parent)] < position[id(node)]
    assert order[-1] is e


def test_a_million_node_chain_backpropagates_without_recursion() -> None:
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    assert len(topological_order(y)) == 1_000_001
    y.backward()
    assert x.grad == 1.0
    assert sys.getrecursionlimit() == limit


def test_engine_backward_is_the_same_function_the_value_calls() -> None:
    a = Value(4.0)
    autograd.backward(a.sqrt(), 1.0)
    assert a.grad == 0.25
