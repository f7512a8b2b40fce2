"""One training step of micrograd's moons demo, chainrule against micrograd, same weights.

MLP(2, [16, 16, 1]) on 100 points of make_moons(noise=0.1); loss mean(relu(1 − y·score)) +
1e-4·Σp²; full batch; forward, backward and an SGD update per step. Python's garbage collector
stays on, as users run it. Prints ms/step for each engine, graph nodes per step and the ratio.

    python benchmarks/scalar_mlp.py [--steps 20] [--micrograd-steps 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import autograd
import nn


def moons() -> tuple[list[list[float]], list[float]]:
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return X.tolist(), (2.0 * y - 1.0).tolist()  # labels -1 / +1 for the hinge loss


def chainrule_step(model: nn.MLP, X: list, y: list, learning_rate: float) -> tuple[float, int]:
    parameters = model.parameters()
    scores = [model(x) for x in X]
    losses = [(1 - yi * score).relu() for yi, score in zip(y, scores)]
    loss = autograd.sum(losses) * (1.0 / len(losses)) + 1e-4 * autograd.dot(parameters, parameters)
    model.zero_grad()
    loss.backward()
    for p in parameters:
        p.data -= learning_rate * p.grad
    return loss.data, len(autograd.topological_order(loss))


def micrograd_step(model, X: list, y: list, learning_rate: float) -> tuple[float, int]:
    from micrograd.engine import Value

    inputs = [[Value(v) for v in x] for x in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return loss.data, _count_nodes(loss)


def _count_nodes(root) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for parent in stack.pop()._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def time_steps(step, model, X, y, steps: int) -> tuple[list[float], list[float], int]:
    times, losses, nodes = [], [], 0
    for k in range(steps):
        start = time.perf_counter()
        loss, nodes = step(model, X, y, 1.0 - 0.9 * k / 100)
        times.append(time.perf_counter() - start)
        losses.append(loss)
    return times, losses, nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--micrograd-steps", type=int, default=3)
    args = parser.parse_args()

    X, y = moons()
    model = nn.MLP(2, [16, 16, 1], seed=0)
    initial = [p.data for p in model.parameters()]
    times, losses, nodes = time_steps(chainrule_step, model, X, y, args.steps)
    ours = statistics.median(times)
    print(f"chainrule : {ours * 1e3:8.1f} ms/step  ({nodes} graph nodes/step, median of "
          f"{args.steps}; loss {losses[0]:.4f} -> {losses[-1]:.4f})")
    try:
        from micrograd import nn as micrograd_nn
    except ImportError:
        print("micrograd : not installed (pip install micrograd==0.1.0) - no ratio")
        return
    reference = micrograd_nn.MLP(2, [16, 16, 1])
    for p, value in zip(reference.parameters(), initial, strict=True):
        p.data = value
    times, ref_losses, ref_nodes = time_steps(
        micrograd_step, reference, X, y, args.micrograd_steps
    )
    theirs = statistics.median(times)
    print(f"micrograd : {theirs * 1e3:8.1f} ms/step  ({ref_nodes} graph nodes/step, median of "
          f"{args.micrograd_steps}; loss {ref_losses[0]:.4f} -> {ref_losses[-1]:.4f})")
    same = np.allclose(losses[: len(ref_losses)], ref_losses, rtol=1e-9)
    print(f"same losses step for step: {same}")
    print(f"speed-up  : {theirs / ours:.1f}x faster per step (target: at least 20x)")


if __name__ == "__main__":
    main()
