"""Does training leak? The process's memory over 10,000 training steps, printed at intervals.

Three workloads, each trained for --steps steps after --warmup untimed ones:

- scalar: ``nn.MLP(2, [16, 16, 1])`` on ``Value``s, the four XOR points, squared error summed
  with ``autograd.sum``, ``optim.SGD``: ``zero_grad``, ``backward``, ``step`` by hand;
- loop: ``nn.models.Sequential`` of ``nn.layers.Dense`` 2-16-16-1 on 64 points, the
  ``nn.losses.MeanSquaredError`` loss, ``optim.Adam``, the same hand loop on ``Tensor``s;
- fit: the same model, ``compile(optim.SGD(momentum=0.9), "mse")`` and ``fit`` on 3,200 points
  in batches of 32 (100 steps an epoch), measured by a callback after every batch.

Every step builds a new graph and drops the last one, so if a step's graph (or anything
made per step: optimizer state, logs, callbacks) outlived it, memory would grow with the steps.
At every --every steps the script prints: the memory ``tracemalloc`` traces (every Python and
numpy allocation; --no-tracemalloc to skip it, and the 2-3x slowdown it costs), the resident
size of the process (VmRSS), the number of live ``Value`` or ``Tensor`` objects that the
collector tracks (every Tensor; of the Values only the leaves, since CPython is told not to track
the Values an op makes, autograd/value.py: for the scalar workload the traced memory is what
shows a leak), and how many objects Python's cyclic garbage collector has found since the
start (each is garbage that reference counting could not free, i.e. part of a reference cycle).
The growth is the change from the first line to the last. ``--gc off`` runs with the collector
disabled, so that any cycle made per step would pile up: flat memory then shows that reference
counting alone frees every graph.

    python benchmarks/memory_growth.py [--steps 10000] [--every 1000] [--warmup 200]
                                       [--only scalar loop fit] [--gc on|off] [--no-tracemalloc]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd
import nn
import optim
from autograd import Tensor, Value
from nn.callbacks import Callback
from nn.layers import Dense
from nn.losses import MeanSquaredError
from nn.models import Sequential

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0.0, 1.0, 1.0, 0.0]


def resident_mib() -> float:
    """The resident set size of this process now (Linux's VmRSS), else its peak (getrusage)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def live(kind: type) -> int:
    """How many objects of exactly this type are alive and tracked by the collector."""
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def collected() -> int:
    """Objects the cyclic garbage collector has freed so far, over all generations."""
    return sum(generation["collected"] for generation in gc.get_stats())


@dataclass
class Probe:
    """Takes a reading every ``every`` steps."""

    kind: type
    every: int
    rows: list[tuple[int, float, float, int, int, float]] = field(default_factory=list)
    start: float = field(default_factory=time.perf_counter)

    def read(self, step: int) -> None:
        traced = tracemalloc.get_traced_memory()[0] / 1024 if tracemalloc.is_tracing() else 0.0
        elapsed = time.perf_counter() - self.start
        self.rows.append((step, traced, resident_mib(), live(self.kind), collected(), elapsed))


# ----- the workloads: each runs ``steps`` steps and calls probe.read(step) every so often -----


def scalar_workload(steps: int, warmup: int, probe: Probe) -> str:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.05)

    def step() -> None:
        loss = autograd.sum([(model(x) - y) ** 2 for x, y in zip(XOR_X, XOR_Y)])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    run_loop(step, steps, warmup, probe)
    return f"scalar MLP 2-16-16-1 on Values ({len(model.parameters())} parameters), 4 points, SGD"


def _tensor_model() -> Sequential:
    nn.random.set_random_seed(0)
    return Sequential([Dense(16, activation="relu"), Dense(16, activation="relu"), Dense(1)])


def _regression(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    return x, (x[:, :1] * x[:, 1:] + 0.5 * x[:, :1]).astype(np.float32)


def loop_workload(steps: int, warmup: int, probe: Probe) -> str:
    model = _tensor_model()
    x, y = _regression(64)
    model(x)  # builds the weights
    optimizer = optim.Adam(model.parameters(), lr=1e-2)  # state arrays for every parameter
    loss_fn = MeanSquaredError()

    def step() -> None:
        loss = loss_fn(y, model(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    run_loop(step, steps, warmup, probe)
    return "Tensor MLP 2-16-16-1 (Sequential of Dense), batch 64, hand loop, Adam"


def run_loop(step: Callable[[], None], steps: int, warmup: int, probe: Probe) -> None:
    for _ in range(warmup):
        step()
    for k in range(1, steps + 1):
        step()
        if k % probe.every == 0:
            probe.read(k)


class _ProbeCallback(Callback):
    """Reads the probe every ``every`` training batches, after ``warmup`` of them."""

    def __init__(self, probe: Probe, warmup: int) -> None:
        super().__init__()
        self.probe, self.warmup, self.count = probe, warmup, 0

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.count += 1
        k = self.count - self.warmup
        if k > 0 and k % self.probe.every == 0:
            self.probe.read(k)


def fit_workload(steps: int, warmup: int, probe: Probe) -> str:
    model = _tensor_model()
    batch, per_epoch = 32, 100
    x, y = _regression(batch * per_epoch)
    model.compile(optimizer=optim.SGD(learning_rate=0.05, momentum=0.9), loss="mse")
    epochs = -(-(steps + warmup) // per_epoch)
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, seed=0,
              callbacks=[_ProbeCallback(probe, warmup)])
    return (f"Tensor MLP 2-16-16-1, compile + fit, SGD momentum: {epochs} epochs x "
            f"{per_epoch} batches of {batch} (the History keeps one loss per epoch)")


WORKLOADS: dict[str, tuple[Callable[[int, int, Probe], str], type]] = {
    "scalar": (scalar_workload, Value),
    "loop": (loop_workload, Tensor),
    "fit": (fit_workload, Tensor),
}


def report(title: str, probe: Probe, steps: int) -> None:
    kind = probe.kind.__name__
    print(title)
    print(f"  {'step':>6} {'traced KiB':>11} {'RSS MiB':>8} {kind + 's alive':>13} "
          f"{'gc collected':>12} {'seconds':>8}")
    tracing = tracemalloc.is_tracing()
    for step, traced, rss, alive, found, elapsed in probe.rows:
        traced_text = f"{traced:.1f}" if tracing else "-"
        print(f"  {step:>6} {traced_text:>11} {rss:>8.1f} {alive:>13} {found:>12} "
              f"{elapsed:>8.1f}")
    first, last = probe.rows[0], probe.rows[-1]
    span = last[0] - first[0]
    traced = last[1] - first[1]
    traced_text = "not traced"
    if tracing:
        traced_text = f"traced {traced:+.1f} KiB ({traced * 1024 / max(span, 1):+.1f} bytes a step)"
    print(f"  growth over steps {first[0]:,}-{last[0]:,}: {traced_text}, "
          f"RSS {last[2] - first[2]:+.1f} MiB, {kind}s alive {last[3] - first[3]:+d}, "
          f"objects found by the cyclic collector {last[4] - first[4]:+d}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000, help="measured steps per workload")
    parser.add_argument("--every", type=int, default=1000, help="steps between readings")
    parser.add_argument("--warmup", type=int, default=200,
                        help="steps before the measured ones (caches, optimizer state)")
    parser.add_argument("--only", nargs="+", choices=sorted(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--gc", choices=["on", "off"], default="on",
                        help="off: the cyclic collector disabled, reference counting only")
    parser.add_argument("--no-tracemalloc", action="store_true",
                        help="RSS only (tracemalloc slows Python down 2-3x)")
    args = parser.parse_args()
    if args.steps < args.every or args.every < 1:
        parser.error("--every must be >= 1 and at most --steps")

    print(f"numpy {np.__version__}; pid {os.getpid()}; cyclic gc {args.gc}; tracemalloc "
          f"{'off' if args.no_tracemalloc else 'on'}; {args.warmup} warm-up steps, then "
          f"{args.steps:,} measured; load average "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print()
    if args.gc == "off":
        gc.disable()
    if not args.no_tracemalloc:
        tracemalloc.start()
    for name in args.only:
        workload, kind = WORKLOADS[name]
        gc.collect()  # start each workload from a clean heap (collector state is kept)
        probe = Probe(kind, args.every)
        title = workload(args.steps, args.warmup, probe)
        report(f"{name}: {title}, {args.steps:,} steps", probe, args.steps)


if __name__ == "__main__":
    main()
