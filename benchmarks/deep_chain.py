"""Backpropagation through very deep chains: a million nodes under the default recursion limit.

The engine sorts the graph with an explicit stack instead of recursion, so a chain of a million
``Value``s backpropagates without raising the recursion limit. The chain is y = relu(w · y) from
x = 0.5 with one shared weight w = 0.999999: two nodes per step (``*`` and ``relu``), and since
every relu input is positive, dy/dx = w^steps, which is checked. Building and ``backward()`` are
timed separately, nodes are counted with ``topological_order`` (not timed), and
``sys.getrecursionlimit()`` must be the same afterwards. Python's garbage collector stays on, as
users run it.

micrograd 0.1.0 builds the very same graph. Its topological sort is recursive, so under the
default limit it raises RecursionError past about a thousand nodes; to measure its cost per node
on the longer chains all the same, it runs them with the limit raised, in a thread with a large
stack (at most ``--micrograd-max`` nodes; the limit is restored afterwards).

    python benchmarks/deep_chain.py [--sizes 1000 10000 100000 1000000] [--micrograd-max 100000]
        [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import autograd
from autograd import Value

WEIGHT = 0.999999
BIG_STACK = 512 * 1024 * 1024  # bytes: room for micrograd's recursion on Python 3.10


def build_chain(make: Callable[[float], Any], nodes: int) -> tuple[Any, Any, Any]:
    """x, w and y = relu(w · y) repeated from x: about ``nodes`` nodes in one line."""
    x, w = make(0.5), make(WEIGHT)
    y = x
    for _ in range((nodes - 2) // 2):
        y = (w * y).relu()
    return x, w, y


def run_chain(
    make: Callable[[float], Any], nodes: int, repeats: int
) -> tuple[float, float, float, Any]:
    """Build and backpropagate a chain ``repeats`` times: (median build s, median backward s,
    dy/dx, the last y). Freeing a chain is not timed."""
    builds, backwards = [], []
    for _ in range(repeats):
        y = None  # free the previous chain before the clock starts
        start = time.perf_counter()
        x, _, y = build_chain(make, nodes)
        built = time.perf_counter()
        y.backward()
        finished = time.perf_counter()
        builds.append(built - start)
        backwards.append(finished - built)
    return statistics.median(builds), statistics.median(backwards), x.grad, y


def count_micrograd_nodes(root: Any) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for parent in stack.pop()._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def run_micrograd(nodes: int, repeats: int, raise_limit: bool) -> tuple[float, float, float, int]:
    """micrograd on the same chain: (build s, backward s, dy/dx, node count). Raises
    RecursionError under the default limit; with ``raise_limit`` it runs in a thread with a large
    stack and a limit above the chain's length."""
    from micrograd.engine import Value as MicrogradValue

    if not raise_limit:
        build_seconds, backward_seconds, gradient, y = run_chain(MicrogradValue, nodes, repeats)
        return build_seconds, backward_seconds, gradient, count_micrograd_nodes(y)
    outcome: list[Any] = []
    limit = sys.getrecursionlimit()
    stack_size = threading.stack_size(BIG_STACK)
    sys.setrecursionlimit(nodes + 1000)
    try:
        worker = threading.Thread(
            target=lambda: outcome.append(run_micrograd(nodes, repeats, False))
        )
        worker.start()
        worker.join()
    finally:
        sys.setrecursionlimit(limit)
        threading.stack_size(stack_size)
    if not outcome:
        raise RuntimeError(f"micrograd failed on a chain of {nodes} nodes")
    return outcome[0]


def expected_gradient(nodes: int) -> float:
    return WEIGHT ** ((nodes - 2) // 2)


def line(
    engine: str,
    nodes: int,
    build_seconds: float,
    backward_seconds: float,
    gradient: float,
    note: str = "",
) -> str:
    per_node = 1e6 / nodes
    error = abs(gradient - expected_gradient(nodes)) / expected_gradient(nodes)
    return (
        f"{engine:<10} {nodes:>10,}  {build_seconds:>8.3f}  {backward_seconds:>10.3f}  "
        f"{build_seconds * per_node:>10.3f}  {backward_seconds * per_node:>10.3f}  "
        f"{(build_seconds + backward_seconds) * per_node:>10.3f}  {error:>9.1e}  {note}"
    )


def main() -> None:
    """Time each chain size on both engines and print one table row per engine and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1_000, 10_000, 100_000, 1_000_000],
        help="approximate number of nodes in each chain",
    )
    parser.add_argument(
        "--micrograd-max",
        type=int,
        default=100_000,
        help="longest chain to run micrograd on (with its recursion limit raised)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="chains per size (median)")
    args = parser.parse_args()
    try:
        import micrograd.engine  # noqa: F401
    except ImportError:
        micrograd_available = False
    else:
        micrograd_available = True

    recursion_limit = sys.getrecursionlimit()
    print(f"recursion limit: {recursion_limit} (Python's default; chainrule never raises it)")
    print(
        f"chain: x = 0.5, w = {WEIGHT}; y = relu(w * y), repeated; garbage collector on; "
        f"median of {args.repeats} chains"
    )
    print("rel. error: |dy/dx - w^steps| / w^steps")
    print()
    header = (
        f"{'engine':<10} {'nodes':>10}  {'build s':>8}  {'backward s':>10}  "
        f"{'build µs/n':>10}  {'bwd µs/n':>10}  {'total µs/n':>10}  {'rel. error':>9}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        build_seconds, backward_seconds, gradient, y = run_chain(Value, size, args.repeats)
        nodes = len(autograd.topological_order(y))
        del y
        print(line("chainrule", nodes, build_seconds, backward_seconds, gradient))
        if not micrograd_available:
            continue
        try:
            result = run_micrograd(size, args.repeats, raise_limit=False)
            note = ""
        except RecursionError:
            if size > args.micrograd_max:
                print(
                    f"{'micrograd':<10} {size:>10,}  RecursionError (not run with a raised limit:"
                    f" over --micrograd-max {args.micrograd_max:,})"
                )
                continue
            result = run_micrograd(size, args.repeats, raise_limit=True)
            note = "RecursionError at the default limit; timed with it raised"
        micrograd_build, micrograd_backward, micrograd_gradient, micrograd_nodes = result
        print(
            line(
                "micrograd",
                micrograd_nodes,
                micrograd_build,
                micrograd_backward,
                micrograd_gradient,
                note,
            )
        )
    if not micrograd_available:
        print("micrograd: not installed (pip install micrograd==0.1.0) - no comparison")
    print()
    unchanged = sys.getrecursionlimit() == recursion_limit
    print(f"recursion limit afterwards: {sys.getrecursionlimit()} (unchanged: {unchanged})")


if __name__ == "__main__":
    main()
