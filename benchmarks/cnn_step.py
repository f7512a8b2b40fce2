"""One float32 training step of the guide's CNN (E9): chainrule's Keras layers against PyTorch.

The model, as the guide writes it in Keras:

    Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))   -> (26, 26, 32)
    MaxPooling2D((2, 2))                                              -> (13, 13, 32)
    Flatten()                                                         -> 5408
    Dense(64, activation="relu")
    Dense(10, activation="softmax")

on a batch of 64 standard-normal 28×28×1 images with random labels 0-9. A step is forward,
categorical cross-entropy, backward and an SGD update (learning rate 0.01), the loss read back as
a Python float. Engines:

- chainrule: ``nn.models.Sequential`` of the layers above (channels-last images, as Keras), the
  loss ``nn.losses.CategoricalCrossentropy()(one_hot, probabilities)``, ``optim.SGD``;
  ``--data-formats channels_first`` adds a row for the same model on (N, C, H, W) images.
- PyTorch (if importable): ``torch.nn.Sequential(Conv2d(1, 32, 3), ReLU(), MaxPool2d(2),
  Flatten(), Linear(5408, 64), ReLU(), Linear(64, 10))`` on (N, 1, 28, 28) images, as a PyTorch
  user writes it: ``F.cross_entropy`` on the logits (the softmax fused into the loss),
  ``torch.optim.SGD``, ``zero_grad()`` (gradients set to None).

Both start from the same weights (chainrule's Glorot-uniform draw with seed 0, copied into torch
with the transposes its layouts need: the conv kernel (3, 3, 1, 32) -> (32, 1, 3, 3), and the
first Dense kernel's rows reordered from Keras's (H, W, C) flattening to torch's (C, H, W)), so
the first step's loss and updated weights must agree; the script prints both differences.

Timing: a few warm-up steps, then --rounds rounds in which the engines take turns (who goes first
rotates), each timing --steps single steps with ``time.perf_counter``. Before each engine's round
the script sleeps (--settle, 0.2 s) and takes one untimed step, because OpenBLAS's and OpenMP's
worker threads keep spinning for a while after a call and, on 2 cores, would otherwise slow
whichever library runs next. The table shows the median (and fastest) ms/step; the ratio line
compares the medians (the target's measure: chainrule <= 1.5x PyTorch), and, as checks on a
machine whose load changes, the median of the per-round ratios (each round's two engines ran
under the same load) and the ratio of the fastest steps. Python's garbage collector stays on.

Threads: PyTorch gets ``torch.set_num_threads(--threads)`` (2). numpy's BLAS (OpenBLAS) picks its
thread count from the environment when numpy is imported, one thread per core unless
OPENBLAS_NUM_THREADS says otherwise; this script sets no environment variables, so to pin it, set
them in the shell: ``OPENBLAS_NUM_THREADS=2 python benchmarks/cnn_step.py``.

    python benchmarks/cnn_step.py [--steps 10] [--rounds 10] [--no-torch]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import optim
from autograd import Tensor
from nn.layers.convolutional import Conv2D
from nn.layers.core import Dense
from nn.layers.pooling import MaxPooling2D
from nn.layers.reshaping import Flatten
from nn.losses import CategoricalCrossentropy
from nn.random import set_random_seed

BATCH = 64
LEARNING_RATE = 0.01
TARGET = 1.5  # chainrule / PyTorch


def guide_cnn(data_format: str) -> Any:
    """The E9 model as a Sequential (or, before nn.models exists, a plain chain of layers)."""
    shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
    layers = [
        Conv2D(32, (3, 3), activation="relu", input_shape=shape, data_format=data_format),
        MaxPooling2D((2, 2), data_format=data_format),
        Flatten(data_format=data_format),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ]
    try:
        from nn.models import Sequential
    except ImportError:
        return Chain(layers)
    return Sequential(layers)


class Chain:
    """The layers called one after another (a stand-in for Sequential)."""

    def __init__(self, layers: list[Any]) -> None:
        self.layers = layers
        x = Tensor(np.zeros((1, 28, 28, 1), np.float32))
        for layer in layers:
            x = layer(x)  # builds every layer

    def __call__(self, x: Any) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Tensor]:
        return [p for layer in self.layers for p in layer.parameters()]


def batch(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A fixed batch: (64, 28, 28, 1) float32 images and int64 labels."""
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((BATCH, 28, 28, 1)).astype(np.float32)
    return images, rng.integers(0, 10, BATCH)


# ----- chainrule -----


def chainrule_engine(data_format: str, images: np.ndarray, labels: np.ndarray) -> tuple:
    """A step function, its model and its weights in Keras's layout (for the torch copy)."""
    set_random_seed(0)
    model = guide_cnn(data_format)
    x = Tensor(images if data_format == "channels_last" else images.transpose(0, 3, 1, 2).copy())
    one_hot = np.eye(10, dtype=np.float32)[labels]
    loss_fn = CategoricalCrossentropy()
    optimizer = optim.SGD(model.parameters(), learning_rate=LEARNING_RATE)

    def step() -> float:
        loss = loss_fn(one_hot, model(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step, model


def keras_weights(model: Any) -> list[np.ndarray]:
    """[conv kernel, conv bias, dense kernel, dense bias, dense kernel, dense bias], copies."""
    return [np.array(p.data) for p in model.parameters()]


# ----- PyTorch -----


def torch_weights(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Keras-layout weights in PyTorch's layouts (see the module docstring)."""
    kernel, bias, dense1, bias1, dense2, bias2 = weights
    conv = kernel.transpose(3, 2, 0, 1)  # (kh, kw, C, F) -> (F, C, kh, kw)
    # Rows of the first Dense kernel are (h, w, c) flattened; torch flattens (c, h, w).
    rows = dense1.reshape(13, 13, 32, 64).transpose(2, 0, 1, 3).reshape(5408, 64)
    return [conv, bias, rows.T, bias1, dense2.T, bias2]


def torch_engine(weights: list[np.ndarray], images: np.ndarray, labels: np.ndarray) -> tuple:
    import torch

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(5408, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )
    with torch.no_grad():
        for parameter, array in zip(model.parameters(), torch_weights(weights)):
            parameter.copy_(torch.from_numpy(np.ascontiguousarray(array)))
    x = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    y = torch.from_numpy(labels)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def step() -> float:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step, model


# ----- timing -----


@dataclass
class Engine:
    name: str
    step: Callable[[], float]
    times: list[float]  # every timed step
    round_medians: list[float]  # the median step of each round
    first_loss: float = 0.0


def time_engines(engines: list[Engine], steps: int, rounds: int, settle: float) -> None:
    for engine in engines:
        for _ in range(3):
            engine.step()
    for r in range(rounds):
        for k in range(len(engines)):
            engine = engines[(r + k) % len(engines)]  # rotate who goes first
            time.sleep(settle)  # let the previous library's BLAS/OpenMP threads stop spinning
            engine.step()  # and one untimed step to wake this one's
            times = []
            for _ in range(steps):
                start = time.perf_counter()
                engine.step()
                times.append(time.perf_counter() - start)
            engine.times += times
            engine.round_medians.append(statistics.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per engine per round")
    parser.add_argument("--rounds", type=int, default=10, help="rounds, engines taking turns")
    parser.add_argument("--settle", type=float, default=0.2,
                        help="seconds of sleep, then one untimed step, before each engine's round")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--data-formats", nargs="+", default=["channels_last"],
                        choices=["channels_last", "channels_first"],
                        help="chainrule image layouts to time (one row each)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = parser.parse_args()

    use_torch = not args.no_torch
    torch_version = "not used"
    if use_torch:
        try:
            import torch
        except ImportError:
            use_torch, torch_version = False, "not installed - no PyTorch ratio"
        else:
            torch.set_num_threads(args.threads)
            torch_version = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    blas = os.environ.get("OPENBLAS_NUM_THREADS", f"unset: one per core, {os.cpu_count()} here")
    print(f"numpy {np.__version__} (OPENBLAS_NUM_THREADS {blas}); PyTorch {torch_version}")
    print(f"float32, batch {BATCH}, SGD lr {LEARNING_RATE}, {args.rounds} rounds of {args.steps} "
          f"steps, {args.settle} s settle, garbage collector on")

    images, labels = batch()
    engines, models = [], {}
    for data_format in args.data_formats:
        step, model = chainrule_engine(data_format, images, labels)
        name = "chainrule" if data_format == "channels_last" else "chainrule, channels_first"
        engines.append(Engine(name, step, [], []))
        models[name] = model
    if use_torch:
        weights = keras_weights(next(iter(models.values())))
        step, torch_model = torch_engine(weights, images, labels)
        engines.append(Engine("PyTorch", step, [], []))

    # The first step from the same weights: same loss, same updated weights?
    for engine in engines:
        engine.first_loss = engine.step()
    print("first-step loss: " + ", ".join(f"{e.name} {e.first_loss:.6f}" for e in engines))
    if use_torch:
        ours = torch_weights(keras_weights(next(iter(models.values()))))
        theirs = [p.detach().numpy() for p in torch_model.parameters()]
        weight_diff = max(
            float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(ours, theirs)
        )
        loss_diff = abs(engines[0].first_loss - engines[-1].first_loss) / engines[-1].first_loss
        print(f"chainrule vs PyTorch after one step: loss {loss_diff:.1e}, weights "
              f"{weight_diff:.1e} (max relative difference)")
    print()

    time_engines(engines, args.steps, args.rounds, args.settle)
    header = f"{'engine':<27} {'ms/step':>8} {'fastest':>8} {'steps':>6}"
    print(header)
    print("-" * len(header))
    for engine in engines:
        print(f"{engine.name:<27} {statistics.median(engine.times) * 1e3:>8.3f} "
              f"{min(engine.times) * 1e3:>8.3f} {len(engine.times):>6}")
    if use_torch:
        print()
        pytorch = engines[-1]
        reference = statistics.median(pytorch.times)
        for engine in engines[:-1]:
            ratio = statistics.median(engine.times) / reference
            # Each round's ratio compares the two engines under the same background load.
            paired = statistics.median(
                ours / theirs for ours, theirs in zip(engine.round_medians,
                                                      pytorch.round_medians)
            )
            fastest = min(engine.times) / min(pytorch.times)
            verdict = "met" if ratio <= TARGET else "NOT met"
            print(f"{engine.name}/PyTorch {ratio:.2f}x  (target <= {TARGET:.1f}x: {verdict}); "
                  f"median of the {len(engine.round_medians)} rounds' ratios {paired:.2f}x, "
                  f"fastest steps {fastest:.2f}x")


if __name__ == "__main__":
    main()
