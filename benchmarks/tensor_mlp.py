"""One float32 training step of an MLP: chainrule's Tensor against hand-written numpy and PyTorch.

Three sizes, each from the same He-uniform initial weights (numpy seed 0) and one fixed batch:

- tiny:   30-16-8-1, batch 32, ReLU hidden layers, sigmoid output, binary cross-entropy (the
          study guide's breast-cancer model); the loss is taken stably from the logit z as
          mean(softplus(z) - y·z)
- medium: 64-128-128-10, batch 128, ReLU, softmax cross-entropy
- large:  784-512-512-10, batch 256, ReLU, softmax cross-entropy

A step is forward, loss, backward and an in-place SGD update (``p.data -= lr * p.grad``), after
which gradients are set to None; the loss is read back as a Python float every step. Engines:

- chainrule: ``Tensor`` ops (``h @ W + b``, ``relu``, ``softplus`` / ``log_softmax``). Softmax
  cross-entropy multiplies by a constant one_hot tensor, ``(logp * one_hot).sum() * (-1 / B)``,
  the faster of the two ways here (loss and backward ~55 us against ~61 us at batch 128, ~72
  against ~80 at 256); a second row times indexing, ``-logp[arange(B), labels].mean()``, whose
  backward scatters with ``np.add.at`` into a fresh zero array.
- numpy: forward and backward written by hand, float32 throughout, no autograd.
- PyTorch (if importable): float32 leaves with requires_grad, ``torch.addmm`` (what nn.Linear
  runs), ``F.binary_cross_entropy_with_logits`` / ``F.cross_entropy``, manual SGD under
  ``torch.no_grad()``, ``p.grad = None``; no torch.optim.

The first step of each engine is checked against the others (loss and updated parameters). Steps
are timed one by one, in rounds that rotate the engines so that a noisy machine slows them alike;
before each engine's round the script sleeps (--settle, 0.2 s) and takes one untimed step, because
OpenBLAS's and OpenMP's worker threads keep spinning for a while after a call and, on 2 cores,
would otherwise slow whichever library runs next (PyTorch's large step about 2x). The table
shows the median (and fastest) ms/step, and the ratios chainrule/PyTorch and chainrule/numpy
with the targets (tiny <= 0.5x PyTorch, medium <= 0.8x, large <= 1.0x). Python's garbage
collector stays on, as users run it.

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
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import autograd  # noqa: E402
from autograd import Tensor  # noqa: E402

THREADS = int(os.environ["OMP_NUM_THREADS"])
LEARNING_RATE = 0.01


@dataclass(frozen=True)
class Size:
    name: str
    widths: tuple[int, ...]  # input, hidden..., output
    batch: int
    steps: int
    target: float  # chainrule/PyTorch time ratio to reach
    binary: bool  # sigmoid + BCE (one output) instead of softmax cross-entropy


SIZES = {
    "tiny": Size("tiny", (30, 16, 8, 1), 32, 200, 0.5, True),
    "medium": Size("medium", (64, 128, 128, 10), 128, 200, 0.8, False),
    "large": Size("large", (784, 512, 512, 10), 256, 30, 1.0, False),
}


def initial_weights(widths: tuple[int, ...], seed: int = 0) -> list[np.ndarray]:
    """He-uniform weights (fan_in, fan_out) and zero biases, float32: [W1, b1, W2, b2, ...]."""
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


# ----- chainrule -----


def chainrule_forward(params: list[Tensor], x: Tensor) -> Tensor:
    h = x
    last = len(params) - 2
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i < last:
            h = h.relu()
    return h


def chainrule_bce(z: Tensor, y: Tensor) -> Tensor:
    return (z.softplus() - y * z).mean()


def chainrule_ce_index(z: Tensor, labels: np.ndarray) -> Tensor:
    logp = z.log_softmax(axis=-1)
    return -logp[np.arange(len(labels)), labels].mean()


def chainrule_ce_one_hot(z: Tensor, one_hot: Tensor) -> Tensor:
    logp = z.log_softmax(axis=-1)
    return (logp * one_hot).sum() * (-1.0 / len(one_hot))


def chainrule_engine(loss_fn: Callable[[Tensor, Any], Tensor]) -> Callable[..., float]:
    def step(params: list[Tensor], x: Tensor, target: Any, lr: float) -> float:
        loss = loss_fn(chainrule_forward(params, x), target)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
            p.grad = None
        return loss.item()

    return step


def chainrule_setup(size: Size, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                    one_hot: bool = False) -> tuple[list[Tensor], Tensor, Any]:
    params = [Tensor(w.copy(), requires_grad=True) for w in weights]
    if size.binary:
        target: Any = Tensor(y)
    elif one_hot:
        target = autograd.one_hot(y, size.widths[-1])
    else:
        target = y
    return params, Tensor(x), target


def chainrule_nodes(size: Size, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                    loss_fn: Callable[[Tensor, Any], Tensor], one_hot: bool = False) -> int:
    params, xt, target = chainrule_setup(size, weights, x, y, one_hot)
    return len(autograd.topological_order(loss_fn(chainrule_forward(params, xt), target)))


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


def numpy_engine(loss_fn: Callable[..., tuple[float, np.ndarray]]) -> Callable[..., float]:
    def step(params: list[np.ndarray], x: np.ndarray, target: np.ndarray, lr: float) -> float:
        layers = len(params) // 2
        inputs = [x]  # the input of each layer; for hidden layers also their ReLU mask (h > 0)
        h = x
        for i in range(layers):
            h = h @ params[2 * i]
            h += params[2 * i + 1]
            if i < layers - 1:
                np.maximum(h, 0, out=h)
                inputs.append(h)
        loss, g = loss_fn(h, target)
        for i in reversed(range(layers)):
            w, b = params[2 * i], params[2 * i + 1]
            grad_w = inputs[i].T @ g
            grad_b = g.sum(axis=0)
            if i:
                g = g @ w.T
                g *= inputs[i] > 0
            w -= lr * grad_w
            b -= lr * grad_b
        return loss

    return step


def numpy_setup(size: Size, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple:
    return [w.copy() for w in weights], x, y


# ----- PyTorch -----


def torch_engine(binary: bool) -> Callable[..., float]:
    import torch
    import torch.nn.functional as F

    loss_fn = F.binary_cross_entropy_with_logits if binary else F.cross_entropy

    def step(params: list, x: Any, target: Any, lr: float) -> float:
        h = x
        last = len(params) - 2
        for i in range(0, len(params), 2):
            h = torch.addmm(params[i + 1], h, params[i])
            if i < last:
                h = torch.relu(h)
        loss = loss_fn(h, target)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        return loss.item()

    return step


def torch_setup(size: Size, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple:
    import torch

    params = [torch.tensor(w, requires_grad=True) for w in weights]
    return params, torch.from_numpy(x), torch.from_numpy(y)


def as_numpy(p: Any) -> np.ndarray:
    if isinstance(p, Tensor):
        return p.data
    if isinstance(p, np.ndarray):
        return p
    return p.detach().numpy()


# ----- timing -----


@dataclass
class Engine:
    name: str
    step: Callable[..., float]
    state: tuple  # (params, x, target)
    times: list[float]
    losses: list[float]


def run(size: Size, steps: int, rounds: int, settle: float, use_torch: bool) -> list[Engine]:
    weights = initial_weights(size.widths)
    x, y = batch_data(size)
    engines: list[Engine] = []
    if size.binary:
        engines.append(Engine("chainrule", chainrule_engine(chainrule_bce),
                              chainrule_setup(size, weights, x, y), [], []))
    else:
        engines.append(Engine("chainrule", chainrule_engine(chainrule_ce_one_hot),
                              chainrule_setup(size, weights, x, y, one_hot=True), [], []))
        engines.append(Engine("chainrule, index CE", chainrule_engine(chainrule_ce_index),
                              chainrule_setup(size, weights, x, y), [], []))
    engines.append(Engine("numpy by hand", numpy_engine(numpy_bce if size.binary else numpy_ce),
                          numpy_setup(size, weights, x, y), [], []))
    if use_torch:
        engines.append(Engine("PyTorch", torch_engine(size.binary),
                              torch_setup(size, weights, x, y), [], []))

    # The first step from the shared initial weights: same loss, same updated parameters?
    for engine in engines:
        engine.losses.append(engine.step(*engine.state, LEARNING_RATE))
    losses = [e.losses[0] for e in engines]
    loss_diff = (max(losses) - min(losses)) / abs(statistics.fmean(losses))
    after = [[as_numpy(p) for p in e.state[0]] for e in engines]
    param_diff = max(
        float(np.max(np.abs(p - q)) / np.max(np.abs(q)))
        for other in after[1:]
        for p, q in zip(other, after[0])
    )
    print(f"{size.name}: first-step loss " + ", ".join(f"{e.name} {e.losses[0]:.6f}"
                                                      for e in engines))
    print(f"{size.name}: max relative difference: loss {loss_diff:.1e}, parameters after the "
          f"step {param_diff:.1e}")

    warmup = max(3, steps // 20)
    for engine in engines:
        for _ in range(warmup):
            engine.step(*engine.state, LEARNING_RATE)
    per_round = max(1, steps // rounds)
    for r in range(rounds):
        for k in range(len(engines)):
            engine = engines[(r + k) % len(engines)]  # rotate who goes first
            step, state, times = engine.step, engine.state, engine.times
            time.sleep(settle)  # let the previous library's BLAS/OpenMP threads stop spinning
            step(*state, LEARNING_RATE)  # and one untimed step to wake this one's
            for _ in range(per_round):
                start = time.perf_counter()
                loss = step(*state, LEARNING_RATE)
                times.append(time.perf_counter() - start)
            engine.losses.append(loss)
    return engines


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
          f"{args.settle} s settle")
    print()

    results = []
    for name, n in zip(args.sizes, steps):
        size = SIZES[name]
        engines = run(size, n, args.rounds, args.settle, use_torch)
        nodes = chainrule_nodes(size, initial_weights(size.widths), *batch_data(size),
                                chainrule_bce if size.binary else chainrule_ce_one_hot,
                                one_hot=not size.binary)
        results.append((size, engines, nodes))
        print()

    header = (f"{'size':<7} {'layers':<15} {'batch':>5}  {'engine':<22} {'ms/step':>8} "
              f"{'fastest':>8} {'steps':>5}  loss first -> last")
    print(header)
    print("-" * len(header))
    for size, engines, nodes in results:
        for k, engine in enumerate(engines):
            layers = "-".join(map(str, size.widths)) if k == 0 else ""
            print(f"{size.name if k == 0 else '':<7} {layers:<15} "
                  f"{size.batch if k == 0 else '':>5}  {engine.name:<22} "
                  f"{statistics.median(engine.times) * 1e3:>8.3f} "
                  f"{min(engine.times) * 1e3:>8.3f} {len(engine.times):>5}  "
                  f"{engine.losses[0]:.4f} -> {engine.losses[-1]:.4f}")
        print(f"{'':<7} ({nodes} chainrule graph nodes per step, leaves included)")
    print()
    for size, engines, _ in results:
        median = {e.name: statistics.median(e.times) for e in engines}
        ours = median["chainrule"]
        line = f"{size.name:<7} chainrule/numpy {ours / median['numpy by hand']:5.2f}x"
        if "PyTorch" in median:
            ratio = ours / median["PyTorch"]
            verdict = "met" if ratio <= size.target else "NOT met"
            line += (f"   chainrule/PyTorch {ratio:5.2f}x  (target <= {size.target:.1f}x: "
                     f"{verdict})")
        print(line)


if __name__ == "__main__":
    main()
