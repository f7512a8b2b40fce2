"""One training step of micrograd's moons demo: micrograd against chainrule in two graph shapes.

MLP(2, [16, 16, 1]) on 100 points of make_moons(noise=0.1); loss mean(relu(1 − y·score)) +
1e-4·Σp²; full batch; forward, backward and an SGD update per step, all three from the same
initial weights. The graph shapes:

- micrograd 0.1.0 itself: a neuron of n inputs is ``sum((wi * xi for ...), b)``, n ``*`` and
  n ``+`` nodes, and its ``relu``;
- chainrule's ``Value`` in that very shape, as a student who writes micrograd's code gets it
  (a small micrograd-style MLP class below, same expressions, same nodes);
- chainrule's ``nn.MLP``: one ``dot`` node per neuron, then ``+ b`` and the activation;
- a lean ``Value`` of forty lines (``LeanValue`` below: ``__slots__``, two parent slots, no
  per-node containers, no labels, no grad mode) in micrograd's shape: the cheapest plain Python
  scalar node, which tells how much of chainrule's cost is chainrule's own. Its nodes are
  tracked by the cyclic garbage collector as every object with slots is; chainrule's are not
  (autograd/value.py), which is why chainrule's node can cost less.

Python's garbage collector stays on, as users run it. Prints ms/step (median), graph nodes per
step, µs per node and the speed-up over micrograd, and checks that the losses agree step for
step. A step's time includes freeing its graph but not counting its nodes. Also printed: the
share of each step the cyclic collector took (it visits every tracked node, again and again
while a graph grows, although a graph of nodes that point only to their parents can never be a
cycle), and the load average: the numbers are only as quiet as the machine. The chainrule
and lean rows run in rounds that rotate them; micrograd runs last (its steps take a second).

    python benchmarks/scalar_mlp.py [--steps 20] [--micrograd-steps 3]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
import nn
from autograd import Value

TARGETS = {"micrograd-shaped": 13.0, "nn.MLP": 60.0}  # times faster than micrograd per step


def moons() -> tuple[list[list[float]], list[float]]:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return X.tolist(), (2.0 * y - 1.0).tolist()  # labels -1 / +1 for the hinge loss


# ----- chainrule's nn.MLP: one dot node per neuron -----


def chainrule_step(model: nn.MLP, X: list, y: list, learning_rate: float) -> Value:
    parameters = model.parameters()
    scores = [model(x) for x in X]
    losses = [(1 - yi * score).relu() for yi, score in zip(y, scores)]
    loss = autograd.sum(losses) * (1.0 / len(losses)) + 1e-4 * autograd.dot(parameters, parameters)
    model.zero_grad()
    loss.backward()
    for p in parameters:
        p.data -= learning_rate * p.grad
    return loss


# ----- a reference: the leanest plain scalar node -----


class LeanValue:
    """A scalar node and nothing more: data, grad, two parents and their local derivatives in
    slots (one object per node for the garbage collector), the ops the moons step needs, and
    an iterative backward. No labels, op names, n-ary ops, grad mode or checks."""

    __slots__ = ("_a", "_b", "_da", "_db", "data", "grad")

    def __init__(self, data: float, a: Any = None, da: float = 0.0, b: Any = None, db: float = 0.0):
        self.data, self.grad, self._a, self._da, self._b, self._db = data, 0.0, a, da, b, db

    def __add__(self, other: Any) -> LeanValue:
        if type(other) is LeanValue:
            return LeanValue(self.data + other.data, self, 1.0, other, 1.0)
        return LeanValue(self.data + other, self, 1.0)

    def __mul__(self, other: Any) -> LeanValue:
        if type(other) is LeanValue:
            return LeanValue(self.data * other.data, self, other.data, other, self.data)
        return LeanValue(self.data * other, self, other)

    __radd__, __rmul__ = __add__, __mul__

    def relu(self) -> LeanValue:
        return LeanValue(self.data, self, 1.0) if self.data > 0 else LeanValue(0.0, self, 0.0)

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # post-order depth-first walk: each node after its parents
            node, finished = stack.pop()
            if finished:
                order.append(node)
            elif node not in seen and node._a is not None:
                seen.add(node)
                node.grad = 0.0
                stack += [(node, True), (node._a, False)]
                if node._b is not None:
                    stack.append((node._b, False))
        self.grad = 1.0
        for node in reversed(order):
            node._a.grad += node._da * node.grad
            if node._b is not None:
                node._b.grad += node._db * node.grad


def count_lean_nodes(root: LeanValue) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for parent in (node._a, node._b):
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


# ----- micrograd's graph shape on chainrule's Value: micrograd's nn.py, line for line -----


class MicrogradShapedMLP:
    """micrograd's MLP written with chainrule's ``Value`` (or ``LeanValue``): a neuron is
    ``sum((wi * xi for wi, xi in zip(w, x)), b)`` and its relu, as in micrograd/nn.py."""

    def __init__(self, sizes: list[int], weights: list[float], value: type = Value) -> None:
        self.value = value
        values = iter(weights)  # micrograd's order: each neuron's weights, then its bias
        self.layers = [
            [
                ([value(next(values)) for _ in range(n_in)], value(next(values)))
                for _ in range(n_out)
            ]
            for n_in, n_out in itertools.pairwise(sizes)
        ]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]

    def __call__(self, x: list[Value]) -> Value:
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            out = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act.relu() if index != last else act)
            x = out
        return x[0]


def micrograd_shaped_step(
    model: MicrogradShapedMLP, X: list, y: list, learning_rate: float
) -> Value:
    inputs = [[model.value(v) for v in x] for x in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
    parameters = model.parameters()
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in parameters)
    for p in parameters:
        p.grad = 0.0
    loss.backward()
    for p in parameters:
        p.data -= learning_rate * p.grad
    return loss


# ----- micrograd itself -----


def micrograd_step(model: Any, X: list, y: list, learning_rate: float) -> Any:
    from micrograd.engine import Value as MicrogradValue

    inputs = [[MicrogradValue(v) for v in x] for x in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return loss


def count_micrograd_nodes(root: Any) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for parent in stack.pop()._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


# ----- timing -----


class CollectorClock:
    """Seconds Python's cyclic garbage collector spends while it is installed (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def __enter__(self) -> CollectorClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self)


Step = Callable[[Any, list, list, float], Any]


def count_nodes(root: Value) -> int:
    return len(autograd.topological_order(root))


def time_steps(
    step: Step,
    model: Any,
    X: list,
    y: list,
    steps: int,
    count: Callable[[Any], int],
    first: int = 0,
) -> tuple[list[float], list[float], int, float]:
    """Seconds of each step, the losses, the graph's node count, and the seconds the garbage
    collector took in all, for steps ``first``, ``first + 1``, ... (the learning rate decays
    with the step number, as in micrograd's demo). A step's time includes freeing its graph, as
    a training loop does; counting the nodes is left out of it."""
    times, losses, nodes = [], [], 0
    with CollectorClock() as collector:
        for k in range(first, first + steps):
            start = time.perf_counter()
            loss = step(model, X, y, 1.0 - 0.9 * k / 100)
            stepped = time.perf_counter()
            losses.append(loss.data)
            if k == 0:
                gc.disable()  # counting is not timed, so its collections must not be either
                nodes = count(loss)
                gc.enable()
            freeing = time.perf_counter()
            del loss
            times.append(stepped - start + time.perf_counter() - freeing)
    return times, losses, nodes, collector.seconds


def row(name: str, seconds: float, nodes: int, reference: float | None) -> str:
    ratio = f"{reference / seconds:9.1f}x" if reference else f"{'':>10}"
    return f"{name:<44} {seconds * 1e3:9.1f} {nodes:>12,} {seconds / nodes * 1e6:9.3f} {ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="chainrule steps per graph shape")
    parser.add_argument("--micrograd-steps", type=int, default=3)
    args = parser.parse_args()

    X, y = moons()
    model = nn.MLP(2, [16, 16, 1], seed=0)
    initial = [p.data for p in model.parameters()]
    engines = {  # name: (step, model, node counter)
        "nn.MLP": (chainrule_step, model, count_nodes),
        "micrograd-shaped": (
            micrograd_shaped_step,
            MicrogradShapedMLP([2, 16, 16, 1], initial),
            count_nodes,
        ),
        "lean": (
            micrograd_shaped_step,
            MicrogradShapedMLP([2, 16, 16, 1], initial, LeanValue),
            count_lean_nodes,
        ),
    }
    print("load average before: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    # Rounds that rotate the engines, so that a machine growing busier slows them alike.
    rounds = max(1, min(4, args.steps))
    times: dict[str, list[float]] = {name: [] for name in engines}
    losses: dict[str, list[float]] = {name: [] for name in engines}
    collecting: dict[str, float] = dict.fromkeys(engines, 0.0)
    nodes: dict[str, int] = {}
    for k in range(rounds):
        for name, (step, net, count) in engines.items():
            steps = args.steps // rounds + (k < args.steps % rounds)
            round_times, round_losses, round_nodes, round_collecting = time_steps(
                step, net, X, y, steps, count, first=len(losses[name])
            )
            times[name] += round_times
            losses[name] += round_losses
            collecting[name] += round_collecting
            nodes.setdefault(name, round_nodes)  # counted on the first step
    results = {
        name: (statistics.median(times[name]), losses[name], nodes[name]) for name in engines
    }
    collector_share = {name: collecting[name] / sum(times[name]) for name in engines}
    try:
        from micrograd import nn as micrograd_nn
    except ImportError:
        micrograd_nn = None
    reference = None
    if micrograd_nn is not None:
        micrograd_model = micrograd_nn.MLP(2, [16, 16, 1])
        for p, value in zip(micrograd_model.parameters(), initial, strict=True):
            p.data = value
        their_times, their_losses, their_nodes, their_collecting = time_steps(
            micrograd_step, micrograd_model, X, y, args.micrograd_steps, count_micrograd_nodes
        )
        collector_share["micrograd"] = their_collecting / sum(their_times)
        reference = (statistics.median(their_times), their_losses, their_nodes)
    print("load average after:  " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    print()
    print(
        f"MLP(2, [16, 16, 1]), 100 moons, full batch; garbage collector on; median of "
        f"{args.steps} steps (micrograd: {args.micrograd_steps})"
    )
    print(
        f"{'engine and graph shape':<44} {'ms/step':>9} {'nodes/step':>12} {'µs/node':>9} "
        f"{'speed-up':>10}"
    )
    base = reference[0] if reference else None
    if reference:
        print(row("micrograd 0.1.0 (* and + nodes)", reference[0], reference[2], None))
    names = {
        "lean": "lean 40-line Value, micrograd's shape",
        "micrograd-shaped": "chainrule Value, micrograd's shape (* and +)",
        "nn.MLP": "chainrule nn.MLP (a dot node per neuron)",
    }
    for key in ("lean", "micrograd-shaped", "nn.MLP"):
        seconds, _, nodes = results[key]
        print(row(names[key], seconds, nodes, base))
    lean, shaped = results["lean"][0], results["micrograd-shaped"][0]
    print()
    print(
        f"chainrule's Value over the lean one, same graph: {shaped / lean:.2f}x the time "
        "(below 1: chainrule's node costs less, the collector skipping it)"
    )
    print(
        "of each step, the cyclic garbage collector took: "
        + ", ".join(f"{name} {share:.0%}" for name, share in collector_share.items())
    )
    if not reference:
        print("micrograd: not installed (pip install micrograd==0.1.0) - no speed-up")
        return
    theirs = np.array(reference[1])
    for key in ("lean", "micrograd-shaped", "nn.MLP"):
        ours = np.array(results[key][1][: len(theirs)])
        difference = float(np.max(np.abs(ours - theirs) / np.abs(theirs)))
        speed_up = base / results[key][0]
        print(
            f"{key}: losses of the first {len(theirs)} steps as micrograd's to a relative "
            f"{difference:.1e}; {speed_up:.1f}x faster per step"
            + (f" (target: at least {TARGETS[key]:g}x)" if key in TARGETS else "")
        )


if __name__ == "__main__":
    main()
