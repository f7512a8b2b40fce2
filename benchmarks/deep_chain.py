"""Backpropagation through very deep chains: seconds per million nodes, forward and backward.

The engine sorts the graph with an explicit stack instead of recursion, so a chain of a million
``Value``s must backpropagate without raising the recursion limit. This builds the chain
y = tanh(0.999999 · y) from x = 0.5 (two nodes per step), times building it and ``backward()``
separately, counts the nodes with ``topological_order`` and checks that ``sys.getrecursionlimit()``
is the same before and after. Python's garbage collector stays on, as users run it.

    python benchmarks/deep_chain.py [--sizes 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import sys
import time

import autograd
from autograd import Value

DECAY = 0.999999


def build_chain(x: Value, nodes: int) -> Value:
    """About ``nodes`` Values in one line: a multiply by a constant, then a tanh, repeated."""
    y = x
    for _ in range(nodes // 2):
        y = (y * DECAY).tanh()
    return y


def run_chain(nodes: int) -> tuple[int, float, float, float]:
    """Build and backpropagate one chain: (node count, build s, backward s, dy/dx)."""
    x = Value(0.5, label="x")
    start = time.perf_counter()
    y = build_chain(x, nodes)
    built = time.perf_counter()
    y.backward()
    finished = time.perf_counter()
    node_count = len(autograd.topological_order(y))
    return node_count, built - start, finished - built, x.grad


def main() -> None:
    """Time each chain size and print one table row per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000, 1_000_000],
        help="approximate number of nodes in each chain",
    )
    args = parser.parse_args()

    recursion_limit = sys.getrecursionlimit()
    print(f"recursion limit: {recursion_limit} (Python's default, not raised)")
    print(f"chain: x = Value(0.5); y = tanh({DECAY} * y), repeated; garbage collector on")
    print()
    header = (
        f"{'nodes':>10}  {'build s':>8}  {'backward s':>10}  {'build s/M':>9}  "
        f"{'backward s/M':>12}  {'total s/M':>9}  {'dy/dx':>10}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        node_count, build_seconds, backward_seconds, gradient = run_chain(size)
        per_million = 1e6 / node_count
        print(
            f"{node_count:>10,}  {build_seconds:>8.3f}  {backward_seconds:>10.3f}  "
            f"{build_seconds * per_million:>9.3f}  {backward_seconds * per_million:>12.3f}  "
            f"{(build_seconds + backward_seconds) * per_million:>9.3f}  {gradient:>10.3e}"
        )
    print()
    unchanged = sys.getrecursionlimit() == recursion_limit
    print(f"recursion limit afterwards: {sys.getrecursionlimit()} (unchanged: {unchanged})")


if __name__ == "__main__":
    main()
