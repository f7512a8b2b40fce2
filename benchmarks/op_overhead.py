"""Fixed cost of one Tensor op: microseconds to record it and to backpropagate through it.

On a tiny float32 tensor (shape (4,)) numpy's own work is negligible, so what is left is the
engine's bookkeeping per op. The chain starts at a leaf x (requires_grad) and repeats
y = y * c; y = y + d (N ops in all), with c = 1.0001 and d = 1e-4 either constant tensors or
Python floats (which chainrule and PyTorch both turn into constants on every op). Recording
(the forward loop) and ``y.backward(ones)`` (topological sort included) are timed separately;
freeing the graph afterwards is not timed. The same chain runs in PyTorch, and bare numpy
(``y = y * c``, no graph) shows the floor. Each figure is the median over --repeats chains;
x.grad is checked against PyTorch's and against 1.0001^(N/2). Target: recording plus backward
<= 2 us per op for chainrule. Python's garbage collector stays on unless --no-gc.

Threads: OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS are set to 1 (where unset)
before numpy is imported, and torch.set_num_threads(1): nothing here is big enough to thread.

    python benchmarks/op_overhead.py [--ops 10000] [--repeats 7] [--no-gc]
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before numpy is imported, or it is too late

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from autograd import Tensor  # noqa: E402

SHAPE = (4,)
FACTOR, SHIFT = 1.0001, 1e-4
TARGET_US = 2.0


def chain(x: Any, c: Any, d: Any, ops: int) -> Any:
    y = x
    for _ in range(ops // 2):
        y = y * c
        y = y + d
    return y


def time_chain(
    make_leaf: Callable[[], Any], c: Any, d: Any, ops: int, seed: Callable[[], Any] | None
) -> tuple[float, float, Any]:
    """Seconds to record the chain and (if ``seed``) to backpropagate; also x.grad."""
    x = make_leaf()
    start = time.perf_counter()
    y = chain(x, c, d, ops)
    recorded = time.perf_counter()
    if seed is None:
        return recorded - start, 0.0, None
    y.backward(seed())
    finished = time.perf_counter()
    del y  # freeing the graph is not timed
    return recorded - start, finished - recorded, x.grad


def measure(make_leaf, c, d, ops, seed, repeats) -> tuple[float, float, Any]:
    """Median µs per op for recording and backward over ``repeats`` chains (one warm-up)."""
    time_chain(make_leaf, c, d, min(ops, 1000), seed)
    records, backwards, grad = [], [], None
    for _ in range(repeats):
        record, back, grad = time_chain(make_leaf, c, d, ops, seed)
        records.append(record / ops * 1e6)
        backwards.append(back / ops * 1e6)
    return statistics.median(records), statistics.median(backwards), grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=10_000, help="ops in each chain (even)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-gc", action="store_true", help="disable the garbage collector")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = parser.parse_args()
    ops = args.ops - args.ops % 2
    if args.no_gc:
        gc.disable()

    rows: list[tuple[str, str, float, float | None, Any]] = []
    ones = np.ones(SHAPE, np.float32)

    def chainrule_leaf() -> Tensor:
        return Tensor(ones, requires_grad=True)

    c = Tensor(np.full(SHAPE, FACTOR, np.float32))
    d = Tensor(np.full(SHAPE, SHIFT, np.float32))
    for operands, (cc, dd) in (("constant Tensor", (c, d)), ("Python float", (FACTOR, SHIFT))):
        record, back, grad = measure(chainrule_leaf, cc, dd, ops, lambda: ones, args.repeats)
        rows.append(("chainrule", operands, record, back, grad))

    torch_version = "not used"
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            torch_version = "not installed - no PyTorch rows"
        else:
            torch.set_num_threads(1)
            torch_version = torch.__version__

            def torch_leaf() -> Any:
                return torch.ones(SHAPE, requires_grad=True)

            tc = torch.full(SHAPE, FACTOR)
            td = torch.full(SHAPE, SHIFT)
            for operands, (cc, dd) in (("constant tensor", (tc, td)),
                                       ("Python float", (FACTOR, SHIFT))):
                record, back, grad = measure(
                    torch_leaf, cc, dd, ops, lambda: torch.ones(SHAPE), args.repeats
                )
                rows.append(("PyTorch", operands, record, back, grad.numpy()))

    nc, nd = np.full(SHAPE, FACTOR, np.float32), np.full(SHAPE, SHIFT, np.float32)
    record, _, _ = measure(lambda: ones, nc, nd, ops, None, args.repeats)
    rows.append(("numpy, no graph", "ndarray", record, None, None))

    gc_state = "off" if args.no_gc else "on"
    print(f"numpy {np.__version__}; PyTorch {torch_version}; garbage collector {gc_state}")
    print(f"chain of {ops:,} ops on shape {SHAPE} float32: y = y * {FACTOR}; y = y + {SHIFT}; "
          f"median of {args.repeats} chains")
    print()
    header = (f"{'engine':<16} {'operands':<16} {'record us/op':>12} {'backward us/op':>14} "
              f"{'total us/op':>11} {'total ms':>9}")
    print(header)
    print("-" * len(header))
    for engine, operands, record, back, _ in rows:
        total = record + (back or 0.0)
        back_text = f"{back:>14.3f}" if back is not None else f"{'-':>14}"
        print(f"{engine:<16} {operands:<16} {record:>12.3f} {back_text} {total:>11.3f} "
              f"{total * ops / 1e3:>9.2f}")
    print()

    expected = FACTOR ** (ops // 2)
    grads = [(f"{engine} ({operands})", grad) for engine, operands, *_, grad in rows
             if grad is not None]
    worst = max(float(np.max(np.abs(g / expected - 1))) for _, g in grads)
    print(f"x.grad: expected {FACTOR}^{ops // 2} = {expected:.6f}; "
          + ", ".join(f"{name} {float(g[0]):.6f}" for name, g in grads)
          + f"; max relative difference {worst:.1e} (float32 rounding over the chain)")

    ours = rows[0][2] + rows[0][3]
    verdict = "met" if ours <= TARGET_US else "NOT met"
    print(f"chainrule, constant Tensor: record + backward {ours:.3f} us/op "
          f"(target <= {TARGET_US:.1f} us/op: {verdict})")
    torch_rows = [r for r in rows if r[0] == "PyTorch"]
    if torch_rows:
        theirs = torch_rows[0][2] + torch_rows[0][3]
        print(f"chainrule/PyTorch per op: {ours / theirs:.2f}x "
              f"(record {rows[0][2] / torch_rows[0][2]:.2f}x, "
              f"backward {rows[0][3] / torch_rows[0][3]:.2f}x)")
    numpy_op = rows[-1][2]
    print(f"chainrule record / bare numpy op: {rows[0][2] / numpy_op:.1f}x "
          f"(numpy {numpy_op:.3f} us/op)")


if __name__ == "__main__":
    main()
