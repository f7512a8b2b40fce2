"""One float32 training step of an MLP as users write it: chainrule's Keras-style model, loss and
optimizer against ``torch.nn`` + ``torch.optim``, with hand-written numpy as the floor.

Three sizes, each from the same He-uniform initial weights (numpy seed 0) and one fixed batch:

- tiny:   30-16-8-1, batch 32, ReLU hidden layers, binary cross-entropy on 0/1 labels (the
          study guide's breast-cancer model)
- medium: 64-128-128-10, batch 128, ReLU, softmax cross-entropy on integer labels
- large:  784-512-512-10, batch 256, ReLU, softmax cross-entropy on integer labels

A step is ``zero_grad``, forward, loss, ``backward`` and an SGD update (learning rate 0.01); the
loss is read back as a Python float every step. Engines:

- chainrule: ``nn.models.Sequential`` of ``nn.layers.Dense`` (ReLU hidden layers, a linear
  output), the Keras loss object for logits — ``nn.losses.BinaryCrossentropy(from_logits=True)``
  (tiny) or ``SparseCategoricalCrossentropy(from_logits=True)`` — called as
  ``loss(y, model(x))`` on the numpy batch, and ``optim.SGD(model.parameters(), lr=0.01)``.
- a second chainrule row, the other way a Keras user writes the loss: tiny "sigmoid + BCE", the
  guide's E19 model (``Dense(1, activation="sigmoid")`` and ``BinaryCrossentropy()`` on the
  probabilities, clipped to [1e-7, 1 - 1e-7] as Keras does); medium and large "one-hot CE",
  ``CategoricalCrossentropy(from_logits=True)`` on one-hot labels made once, before timing.
- numpy by hand: forward and backward written out, float32, no autograd, in-place update: the
  floor of what any numpy engine can do.
- PyTorch (if importable): ``torch.nn.Sequential`` of ``Linear`` and ``ReLU``,
  ``torch.nn.BCEWithLogitsLoss()`` / ``torch.nn.CrossEntropyLoss()``, ``torch.optim.SGD``,
  ``zero_grad()`` (gradients set to None), its weights copied from the same initial arrays
  (``Linear.weight`` is the transposed kernel).

The first step of each engine is checked against the others: the loss and every updated
parameter (in Keras's (in, out) layout) must agree within float32 tolerance; the script prints
the largest relative differences. Steps are timed one by one, in rounds that rotate the engines
so that a noisy machine slows them alike; before each engine's round the script sleeps (--settle,
0.2 s) and takes one untimed step, because OpenBLAS's and OpenMP's worker threads keep spinning
for a while after a call and, on 2 cores, would otherwise slow whichever library runs next
(PyTorch's large step about 2x). The table shows the median (and fastest) ms/step; then each
chainrule row's median over numpy's and over PyTorch's, with PASS/MISS for the first row against
the targets (tiny <= 0.5x PyTorch, medium <= 0.8x, large <= 1.0x), and the hand-written numpy
step's own ratio to PyTorch: how far the target is from the floor of any numpy engine. Python's
garbage collector stays on, as users run it. The 1-minute load average is printed before and
after: another busy process on a 2-core machine distorts every number.

Threads: OpenBLAS, MKL and OpenMP read their thread count once, when numpy (or torch) is imported,
so this script sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS to 2 (only where
they are unset) before importing numpy, and gives torch.set_num_threads the same number. To
change it, set the variables in the shell: ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ...``.

    python benchmarks/tensor_mlp.py [--sizes tiny medium large] [--steps 200 200 30] [--no-torch]
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "2")  # before numpy is imported, or it is too late

import argparse  # noqa: E402
import itertools  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import autograd  # noqa: E402
import optim  # noqa: E402
from nn import losses  # noqa: E402
from nn.layers import Dense  # noqa: E402
from nn.models import Sequential  # noqa: E402

THREADS = int(os.environ["OMP_NUM_THREADS"])
LEARNING_RATE = 0.01
VARIANTS = {  # the chainrule rows
    "logits": "chainrule",
    "sigmoid": "chainrule, sigmoid+BCE",
    "one_hot": "chainrule, one-hot CE",
}


@dataclass(frozen=True)
class Size:
    name: str
    widths: tuple[int, ...]  # input, hidden..., output
    batch: int
    steps: int
    target: float  # chainrule/PyTorch time ratio to reach
    binary: bool  # one output and binary cross-entropy instead of softmax cross-entropy


SIZES = {
    "tiny": Size("tiny", (30, 16, 8, 1), 32, 200, 0.5, True),
    "medium": Size("medium", (64, 128, 128, 10), 128, 200, 0.8, False),
    "large": Size("large", (784, 512, 512, 10), 256, 30, 1.0, False),
}


def initial_weights(widths: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    """He-uniform kernels (fan_in, fan_out) and zero biases, float32: [W1, b1, W2, b2, ...]."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(widths):
        limit = np.sqrt(6.0 / fan_in)
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def batch_data(size: Size, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A fixed batch: standard-normal inputs; labels 0/1 as float32 (B, 1), or int64 classes."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((size.batch, size.widths[0])).astype(np.float32)
    if size.binary:
        y = rng.integers(0, 2, (size.batch, 1)).astype(np.float32)
    else:
        y = rng.integers(0, size.widths[-1], size.batch).astype(np.int64)
    return x, y


@dataclass
class Engine:
    name: str
    step: Callable[[], float]  # one training step on the fixed batch; returns the loss
    parameters: Callable[[], list[np.ndarray]]  # [kernel (in, out), bias, ...] as they are now
    nodes: int | None = None  # chainrule graph nodes per step, leaves included
    times: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


# ----- chainrule, as a Keras user writes it -----


def chainrule_model(size: Size, sigmoid_output: bool = False) -> Sequential:
    """Dense layers with ReLU between them; the last one linear (logits) or a sigmoid."""
    layers = []
    last = len(size.widths) - 2
    for i, (fan_in, units) in enumerate(itertools.pairwise(size.widths)):
        activation = "relu" if i < last else ("sigmoid" if sigmoid_output else None)
        declared = {"input_shape": (fan_in,)} if i == 0 else {}
        layers.append(Dense(units, activation=activation, **declared))
    return Sequential(layers)


def chainrule_engine(
    size: Size, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, variant: str = "logits"
) -> Engine:
    """``variant``: "logits" (the loss from logits), "sigmoid" (tiny: probabilities and plain
    binary cross-entropy) or "one_hot" (medium, large: categorical CE on one-hot labels)."""
    model = chainrule_model(size, sigmoid_output=variant == "sigmoid")
    model.set_weights([w.copy() for w in weights])
    target: Any = y
    if size.binary:
        loss_fn: losses.Loss = losses.BinaryCrossentropy(from_logits=variant != "sigmoid")
    elif variant == "one_hot":
        loss_fn = losses.CategoricalCrossentropy(from_logits=True)
        target = np.eye(size.widths[-1], dtype=np.float32)[y]
    else:
        loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(target, model(x))
        loss.backward()
        optimizer.step()
        return loss.item()

    nodes = len(autograd.topological_order(loss_fn(target, model(x))))
    return Engine(VARIANTS[variant], step, lambda: [p.data for p in model.parameters()], nodes)


# ----- numpy by hand -----


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def numpy_bce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """mean(softplus(z) - y·z) and its gradient (sigmoid(z) - y) / B, all float32."""
    loss = np.mean(np.logaddexp(0, z) - y * z)
    dz = _sigmoid(z) - y
    dz /= len(z)
    return float(loss), dz


def numpy_ce(z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """mean of -log_softmax(z)[label] and its gradient (softmax(z) - one_hot) / B."""
    rows = np.arange(len(z))
    shifted = z - z.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    total = exps.sum(axis=1, keepdims=True)
    loss = np.log(total[:, 0]) - shifted[rows, labels]
    dz = exps
    dz /= total
    dz[rows, labels] -= 1
    dz /= len(z)
    return float(loss.mean()), dz


def numpy_engine(size: Size, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Engine:
    params = [w.copy() for w in weights]
    loss_fn = numpy_bce if size.binary else numpy_ce
    layers = len(params) // 2

    def step() -> float:
        inputs = [x]  # the input of each layer; for hidden layers also their ReLU mask (h > 0)
        h = x
        for i in range(layers):
            h = h @ params[2 * i]
            h += params[2 * i + 1]
            if i < layers - 1:
                np.maximum(h, 0, out=h)
                inputs.append(h)
        loss, g = loss_fn(h, y)
        for i in reversed(range(layers)):
            w, b = params[2 * i], params[2 * i + 1]
            grad_w = inputs[i].T @ g
            grad_b = g.sum(axis=0)
            if i:
                g = g @ w.T
                g *= inputs[i] > 0
            w -= LEARNING_RATE * grad_w
            b -= LEARNING_RATE * grad_b
        return loss

    return Engine("numpy by hand", step, lambda: params)


# ----- PyTorch, as a PyTorch user writes it -----


def torch_engine(size: Size, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> Engine:
    import torch

    modules: list[Any] = []
    linears = []
    for i, (kernel, bias) in enumerate(zip(weights[0::2], weights[1::2])):
        linear = torch.nn.Linear(*kernel.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T))
            linear.bias.copy_(torch.from_numpy(bias))
        modules.append(linear)
        linears.append(linear)
        if i < len(weights) // 2 - 1:
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules)
    loss_fn = torch.nn.BCEWithLogitsLoss() if size.binary else torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    inputs, target = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), target)
        loss.backward()
        optimizer.step()
        return loss.item()

    def parameters() -> list[np.ndarray]:
        out = []
        for linear in linears:
            out += [linear.weight.detach().numpy().T, linear.bias.detach().numpy()]
        return out

    return Engine("PyTorch", step, parameters)


# ----- timing -----


def engines_for(size: Size, use_torch: bool) -> list[Engine]:
    weights = initial_weights(size.widths)
    x, y = batch_data(size)
    engines = [
        chainrule_engine(size, weights, x, y),
        chainrule_engine(size, weights, x, y, "sigmoid" if size.binary else "one_hot"),
        numpy_engine(size, weights, x, y),
    ]
    if use_torch:
        engines.append(torch_engine(size, weights, x, y))
    return engines


def check_first_step(size: Size, engines: list[Engine]) -> None:
    """The first step from the shared initial weights: same loss, same updated parameters?"""
    for engine in engines:
        engine.losses.append(engine.step())
    losses_ = [e.losses[0] for e in engines]
    loss_diff = (max(losses_) - min(losses_)) / abs(statistics.fmean(losses_))
    after = [[np.array(p) for p in e.parameters()] for e in engines]
    param_diff = max(
        float(np.max(np.abs(p - q)) / np.max(np.abs(q)))
        for other in after[1:]
        for p, q in zip(other, after[0], strict=True)
    )
    print(f"{size.name}: first-step loss " + ", ".join(f"{e.name} {e.losses[0]:.6f}"
                                                      for e in engines))
    print(f"{size.name}: max relative difference: loss {loss_diff:.1e}, parameters after the "
          f"step {param_diff:.1e}")


def run(size: Size, steps: int, rounds: int, settle: float, use_torch: bool) -> list[Engine]:
    engines = engines_for(size, use_torch)
    check_first_step(size, engines)
    warmup = max(3, steps // 20)
    for engine in engines:
        for _ in range(warmup):
            engine.step()
    per_round = max(1, steps // rounds)
    for r in range(rounds):
        for k in range(len(engines)):
            engine = engines[(r + k) % len(engines)]  # rotate who goes first
            step, times = engine.step, engine.times
            time.sleep(settle)  # let the previous library's BLAS/OpenMP threads stop spinning
            step()  # and one untimed step to wake this one's
            for _ in range(per_round):
                start = time.perf_counter()
                loss = step()
                times.append(time.perf_counter() - start)
            engine.losses.append(loss)
    return engines


def print_table(results: list[tuple[Size, list[Engine]]]) -> None:
    header = (f"{'size':<7} {'layers':<15} {'batch':>5}  {'engine':<22} {'ms/step':>8} "
              f"{'fastest':>8} {'steps':>5}  loss first -> last")
    print(header)
    print("-" * len(header))
    for size, engines in results:
        for k, engine in enumerate(engines):
            layers = "-".join(map(str, size.widths)) if k == 0 else ""
            print(f"{size.name if k == 0 else '':<7} {layers:<15} "
                  f"{size.batch if k == 0 else '':>5}  {engine.name:<22} "
                  f"{statistics.median(engine.times) * 1e3:>8.3f} "
                  f"{min(engine.times) * 1e3:>8.3f} {len(engine.times):>5}  "
                  f"{engine.losses[0]:.4f} -> {engine.losses[-1]:.4f}")
        nodes = ", ".join(f"{e.name} {e.nodes}" for e in engines if e.nodes is not None)
        print(f"{'':<7} (graph nodes per step, leaves included: {nodes})")
    print()
    for size, engines in results:
        median = {e.name: statistics.median(e.times) for e in engines}
        for engine in engines[:2]:
            ours = median[engine.name]
            line = (f"{size.name:<7} {engine.name:<22}  / numpy "
                    f"{ours / median['numpy by hand']:5.2f}x")
            if "PyTorch" in median:
                ratio = ours / median["PyTorch"]
                line += f"   / PyTorch {ratio:6.3f}x"
                if engine is engines[0]:
                    verdict = "PASS" if ratio <= size.target else "MISS"
                    line += f"  (target <= {size.target:.1f}x: {verdict})"
            print(line)
        if "PyTorch" in median:  # what the target asks of the floor itself
            floor = median["numpy by hand"] / median["PyTorch"]
            print(f"{size.name:<7} {'numpy by hand':<22}  / PyTorch {floor:6.3f}x  (the floor: "
                  f"chainrule at {size.target:.1f}x PyTorch would be "
                  f"{size.target / floor:.2f}x the hand-written numpy step)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--steps", type=int, nargs="+", default=None,
                        help="timed steps per size, in --sizes order (default 200 200 30)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="timed steps are split into this many rounds, engines rotating")
    parser.add_argument("--settle", type=float, default=0.2,
                        help="seconds of sleep, then one untimed step, before each engine's round")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = parser.parse_args()
    steps = args.steps or [SIZES[name].steps for name in args.sizes]
    if len(steps) != len(args.sizes):
        parser.error("--steps needs one number per size")

    use_torch = not args.no_torch
    torch_version = "not used"
    if use_torch:
        try:
            import torch
        except ImportError:
            use_torch, torch_version = False, "not installed - no PyTorch ratios"
        else:
            torch.set_num_threads(THREADS)
            torch_version = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    threads = ", ".join(f"{v}={os.environ[v]}" for v in
                        ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"))
    print(f"numpy {np.__version__}, {threads}; PyTorch {torch_version}")
    print(f"float32, SGD lr {LEARNING_RATE}, garbage collector on, {args.rounds} rounds per size, "
          f"{args.settle} s settle; load average {os.getloadavg()[0]:.2f} at start")
    print()

    results = []
    for name, n in zip(args.sizes, steps):
        size = SIZES[name]
        results.append((size, run(size, n, args.rounds, args.settle, use_torch)))
        print()
    print_table(results)
    print(f"load average {os.getloadavg()[0]:.2f} at the end (this script adds about 1; much more "
          "means another process was busy, and the numbers are suspect)")


if __name__ == "__main__":
    main()
