"""One ``step()`` of every optimizer rule on 1 M float32 parameters, against numpy's floor.

The floor of a rule is the rule written by hand as the fewest in-place numpy passes that compute
it (``out=`` everywhere, no temporaries, scalar factors folded, one comment per pass), with no
optimizer around it. numpy's element-wise ops cannot fuse (no ``a += c·b`` in one pass), so on a
large model a step costs its passes over memory; the floor is the best a numpy-only optimizer can
do, and chainrule's rule should be within 1.25x of it (PASS/MISS in the table). PyTorch's step
(``torch.optim``, default single-tensor implementation on CPU) is timed beside it with 1 and 2
threads, for information: its fused ops (``addcdiv_``, ``lerp_``) need fewer passes.

The "model" is the parameter list of an MLP, float32: by default 784-1024-192-10, i.e. weights
784x1024, 1024x192, 192x10 and their biases, 1,002,570 parameters (``--params N`` scales both
hidden widths). Weights are uniform in +-sqrt(6 / fan_in) (seed 0) and the gradient is fixed,
standard normal times 0.1 (seed 1): no backward runs, only ``step()`` is timed. Every side starts
from its own copies of the same arrays.

Each floor is checked before it is timed: from the same start, the floor, chainrule and PyTorch
take three steps in float64, each with a different gradient (seed 2), and the update of every
step (w_t - w_t-1) must agree with PyTorch's (or, for a rule PyTorch lacks, with chainrule's) to
1e-9 of the largest update ("check" columns: floor, chainrule). After the float32 timing runs,
chainrule's total update must match the floor's (to 1e-5), and its difference from PyTorch's is
shown ("f32 torch"; with weight decay and a constant gradient a few weights settle where
g + λw ≈ 0, and there RMSprop's and NAdam's normalised steps follow float32 rounding, which
differs between numpy's two roundings of g + λ·w and PyTorch's one, so that column can show
1e-2 with no difference in the rule).

Timing: three warm-up steps, then --rounds rounds; in each round the sides (chainrule, floor,
PyTorch 1 thread, PyTorch 2 threads) take turns, who goes first rotating round by round so that
noise hits all of them; each times --steps single steps with ``time.perf_counter``. Before each
side's turn the script sleeps (--settle) and takes one untimed step, because OpenMP's worker
threads keep spinning for a while after a parallel op and would slow the side that runs next.
The table shows the median ms/step of each side over all its timed steps, and the ratio
chainrule/floor. Python's garbage collector stays on, as users run it. The load averages of the
machine (``os.getloadavg``, as ``uptime``) are printed before and after.

Threads: OpenBLAS, MKL and OpenMP read their thread count once, when numpy (or torch) is imported,
so this script sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS to 2 (only where
they are unset) before importing numpy; PyTorch's count is set with ``torch.set_num_threads``
before each of its turns. numpy's element-wise ops use one thread whatever these say.

    python benchmarks/optim_step.py [--params 1000000] [--steps 20] [--rounds 7] [--settle 0.2]
                                    [--only Adam NAdam ...] [--torch-threads 1 2] [--no-torch]
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "2")  # before numpy is imported, or it is too late

import argparse  # noqa: E402
import functools  # noqa: E402
import itertools  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import optim  # noqa: E402
from autograd import Tensor  # noqa: E402

TARGET = 1.25  # chainrule / floor step time, at most
CHECK_STEPS = 3  # float64 steps on which each floor is checked
CHECK_TOLERANCE = 1e-9  # largest difference of a step's update, relative to its largest entry
RUN_TOLERANCE = 1e-5  # chainrule vs the floor, the total float32 update after the timed run
LR = 1e-3
BASE_WIDTHS = (784, 1024, 192, 10)  # input, hidden, hidden, output

Arrays = list[np.ndarray]
Floor = Callable[[Arrays, Arrays], Callable[[], None]]  # (params, grads) -> step()


# ----- the floors: each rule by hand, the fewest in-place numpy passes -----
#
# A floor reads the gradient arrays it was given at every step (the check writes new gradients
# into them) and updates the parameter arrays in place. The pass counts in the docstrings count
# one numpy ufunc call over a parameter-sized array as one pass.


def _arrays(params: Arrays, count: int) -> list[Arrays]:
    """``count`` fresh work (or state) arrays per parameter, zeroed."""
    return [[np.zeros_like(p) for _ in range(count)] for p in params]


def sgd_floor(params: Arrays, grads: Arrays, lr: float, weight_decay: float = 0.0) -> Any:
    """w ← w − lr·(g + λw): 2 passes, 3 with λ (folded into w: w·(1 − lr·λ) − lr·g)."""
    works = _arrays(params, 1)

    def step() -> None:
        for w, g, (work,) in zip(params, grads, works):
            if weight_decay:
                w *= 1 - lr * weight_decay  # w·(1 − lr·λ)
            np.multiply(g, lr, out=work)  # lr·g
            w -= work  # w − lr·g

    return step


def sgd_momentum_floor(
    params: Arrays,
    grads: Arrays,
    lr: float,
    momentum: float,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
) -> Any:
    """PyTorch's SGD with momentum: d = g + λw; b ← β·b + (1 − τ)·d (b = d at first);
    w ← w − lr·b, or with Nesterov w ← w − lr·(d + β·b).
    Passes: 4; +1 with dampening τ, +2 with λ, +2 with Nesterov."""
    works = _arrays(params, 2)
    buffers: list[np.ndarray | None] = [None] * len(params)

    def step() -> None:
        for i, (w, g, (work, decayed)) in enumerate(zip(params, grads, works)):
            if weight_decay:
                np.multiply(w, weight_decay, out=decayed)  # λw
                decayed += g  # d = g + λw
                g = decayed
            b = buffers[i]
            if b is None:
                buffers[i] = b = g.copy()  # b = d (first step only)
            else:
                b *= momentum  # β·b
                if dampening:
                    np.multiply(g, 1 - dampening, out=work)  # (1 − τ)·d
                    b += work  # b ← β·b + (1 − τ)·d
                else:
                    b += g  # b ← β·b + d
            if nesterov:
                np.multiply(b, momentum, out=work)  # β·b
                work += g  # d + β·b
                work *= lr  # lr·(d + β·b)
            else:
                np.multiply(b, lr, out=work)  # lr·b
            w -= work

    return step


def momentum_floor(
    params: Arrays, grads: Arrays, lr: float, beta: float, average: bool = False
) -> Any:
    """The study guide's momentum: v ← β·v + lr·g, w ← w − v (4 passes), or with ``average``
    v ← β·v + (1 − β)·g, w ← w − lr·v (5 passes)."""
    arrays = _arrays(params, 2)

    def step() -> None:
        for w, g, (v, work) in zip(params, grads, arrays):
            v *= beta  # β·v
            np.multiply(g, 1 - beta if average else lr, out=work)  # (1 − β)·g or lr·g
            v += work  # v ← β·v + ...
            if average:
                np.multiply(v, lr, out=work)  # lr·v
                w -= work
            else:
                w -= v

    return step


def adagrad_floor(
    params: Arrays,
    grads: Arrays,
    lr: float,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    eps: float = 1e-10,
) -> Any:
    """G ← G + d², w ← w − lr_t·d / (√G + ε), d = g + λw: 7 passes, 9 with λ."""
    arrays = _arrays(params, 3)
    t = 0

    def step() -> None:
        nonlocal t
        t += 1
        step_size = lr / (1 + (t - 1) * lr_decay)
        for w, g, (total, work, decayed) in zip(params, grads, arrays):
            if weight_decay:
                np.multiply(w, weight_decay, out=decayed)  # λw
                decayed += g  # d = g + λw
                g = decayed
            np.multiply(g, g, out=work)  # d²
            total += work  # G ← G + d²
            np.sqrt(total, out=work)  # √G
            work += eps  # √G + ε
            np.divide(g, work, out=work)  # d / (√G + ε)
            work *= step_size
            w -= work

    return step


def rmsprop_floor(
    params: Arrays,
    grads: Arrays,
    lr: float,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> Any:
    """E ← α·E + (1 − α)·d² (ḡ likewise with d), w ← w − lr·d / (√(E − ḡ²) + ε), or through a
    buffer b ← μ·b + d / (...) with momentum μ. Passes: 9; +2 with λ, +2 with momentum, +4
    centered (one pass is shared: (1 − α)·d feeds ḡ, then times d it feeds E)."""
    arrays = _arrays(params, 5)

    def step() -> None:
        for w, g, (square, mean, buffer, work, decayed) in zip(params, grads, arrays):
            if weight_decay:
                np.multiply(w, weight_decay, out=decayed)  # λw
                decayed += g  # d = g + λw
                g = decayed
            np.multiply(g, 1 - alpha, out=work)  # (1 − α)·d
            if centered:
                mean *= alpha  # α·ḡ
                mean += work  # ḡ ← α·ḡ + (1 − α)·d
            work *= g  # (1 − α)·d²
            square *= alpha  # α·E
            square += work  # E ← α·E + (1 − α)·d²
            if centered:
                np.multiply(mean, mean, out=work)  # ḡ²
                np.subtract(square, work, out=work)  # E − ḡ²
                np.sqrt(work, out=work)  # √(E − ḡ²)
            else:
                np.sqrt(square, out=work)  # √E
            work += eps  # ... + ε
            np.divide(g, work, out=work)  # d / (√E + ε)
            if momentum:
                buffer *= momentum  # μ·b
                buffer += work  # b ← μ·b + d / (√E + ε)
                np.multiply(buffer, lr, out=work)  # lr·b
            else:
                work *= lr  # lr·d / (√E + ε)
            w -= work

    return step


def adadelta_floor(
    params: Arrays,
    grads: Arrays,
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
) -> Any:
    """E[d²] ← ρ·E[d²] + (1 − ρ)·d², Δ = √((E[Δ²] + ε) / (E[d²] + ε))·d,
    E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ², w ← w − lr·Δ. Passes: 13 (Δ² as r·d², r the ratio under the
    root, so (1 − ρ)·d² serves both averages); +1 if lr ≠ 1, +2 with λ."""
    arrays = _arrays(params, 6)

    def step() -> None:
        for w, g, (square, acc, scaled, ratio, work, decayed) in zip(params, grads, arrays):
            if weight_decay:
                np.multiply(w, weight_decay, out=decayed)  # λw
                decayed += g  # d = g + λw
                g = decayed
            np.multiply(g, g, out=scaled)  # d²
            scaled *= 1 - rho  # (1 − ρ)·d²
            square *= rho  # ρ·E[d²]
            square += scaled  # E[d²] ← ρ·E[d²] + (1 − ρ)·d²
            np.add(acc, eps, out=ratio)  # E[Δ²] + ε
            np.add(square, eps, out=work)  # E[d²] + ε
            ratio /= work  # r
            scaled *= ratio  # (1 − ρ)·Δ² = r·(1 − ρ)·d²
            acc *= rho  # ρ·E[Δ²]
            acc += scaled  # E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ²
            np.sqrt(ratio, out=ratio)  # √r
            ratio *= g  # Δ = √r·d
            if lr != 1:
                ratio *= lr  # lr·Δ
            w -= ratio

    return step


def adam_floor(
    params: Arrays,
    grads: Arrays,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    decoupled: bool = False,
) -> Any:
    """m ← β₁·m + (1 − β₁)·d, v ← β₂·v + (1 − β₂)·d², w ← w − s·m / (√v + ε·c) with
    c = √(1 − β₂ᵗ), s = lr·c / (1 − β₁ᵗ) (the bias corrections folded). Passes: 12; +1 with
    amsgrad (v̂ ← max(v̂, v)); +2 with L2 decay (d = g + λw), +1 decoupled (w ← w·(1 − lr·λ))."""
    beta1, beta2 = betas
    arrays = _arrays(params, 5)
    t = 0

    def step() -> None:
        nonlocal t
        t += 1
        correction = math.sqrt(1 - beta2**t)
        step_size = lr * correction / (1 - beta1**t)
        for w, g, (m, v, v_max, work, decayed) in zip(params, grads, arrays):
            if weight_decay and decoupled:
                w *= 1 - lr * weight_decay  # w·(1 − lr·λ)
            elif weight_decay:
                np.multiply(w, weight_decay, out=decayed)  # λw
                decayed += g  # d = g + λw
                g = decayed
            m *= beta1  # β₁·m
            np.multiply(g, 1 - beta1, out=work)  # (1 − β₁)·d
            m += work  # m ← β₁·m + (1 − β₁)·d
            np.multiply(g, g, out=work)  # d²
            v *= beta2  # β₂·v
            work *= 1 - beta2  # (1 − β₂)·d²
            v += work  # v ← β₂·v + (1 − β₂)·d²
            if amsgrad:
                np.maximum(v_max, v, out=v_max)  # v̂ ← max(v̂, v)
            np.sqrt(v_max if amsgrad else v, out=work)  # √v
            work += eps * correction  # √v + ε·c
            np.divide(m, work, out=work)  # m / (√v + ε·c)
            work *= step_size
            w -= work

    return step


def adamax_floor(
    params: Arrays,
    grads: Arrays,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> Any:
    """m ← β₁·m + (1 − β₁)·d, u ← max(β₂·u, |d| + ε), w ← w − lr/(1 − β₁ᵗ)·m / u.
    Passes: 10; +2 with λ."""
    beta1, beta2 = betas
    arrays = _arrays(params, 4)
    t = 0

    def step() -> None:
        nonlocal t
        t += 1
        for w, g, (m, u, work, decayed) in zip(params, grads, arrays):
            if weight_decay:
                np.multiply(w, weight_decay, out=decayed)  # λw
                decayed += g  # d = g + λw
                g = decayed
            m *= beta1  # β₁·m
            np.multiply(g, 1 - beta1, out=work)  # (1 − β₁)·d
            m += work  # m ← β₁·m + (1 − β₁)·d
            u *= beta2  # β₂·u
            np.abs(g, out=work)  # |d|
            work += eps  # |d| + ε
            np.maximum(u, work, out=u)  # u ← max(β₂·u, |d| + ε)
            np.divide(m, u, out=work)  # m / u
            work *= lr / (1 - beta1**t)
            w -= work

    return step


def nadam_floor(
    params: Arrays,
    grads: Arrays,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
) -> Any:
    """PyTorch's NAdam: μ_t = β₁(1 − ½·0.96^(tψ)), m and v as Adam's, and
    w ← w − (a·d + b·m) / (√v + ε·c) with a = lr·c·(1 − μ_t)/(1 − Πμ),
    b = lr·c·μ_{t+1}/(1 − Πμ·μ_{t+1}), c = √(1 − β₂ᵗ). Passes: 14; +2 with λ."""
    beta1, beta2 = betas
    arrays = _arrays(params, 5)
    t, product = 0, 1.0

    def step() -> None:
        nonlocal t, product
        t += 1
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        product *= mu
        correction = math.sqrt(1 - beta2**t)
        a = lr * correction * (1 - mu) / (1 - product)
        b = lr * correction * mu_next / (1 - product * mu_next)
        for w, g, (m, v, numerator, work, decayed) in zip(params, grads, arrays):
            if weight_decay:
                np.multiply(w, weight_decay, out=decayed)  # λw
                decayed += g  # d = g + λw
                g = decayed
            m *= beta1  # β₁·m
            np.multiply(g, 1 - beta1, out=work)  # (1 − β₁)·d
            m += work  # m ← β₁·m + (1 − β₁)·d
            np.multiply(g, g, out=work)  # d²
            v *= beta2  # β₂·v
            work *= 1 - beta2  # (1 − β₂)·d²
            v += work  # v ← β₂·v + (1 − β₂)·d²
            np.multiply(g, a, out=numerator)  # a·d
            np.multiply(m, b, out=work)  # b·m
            numerator += work  # a·d + b·m
            np.sqrt(v, out=work)  # √v
            work += eps * correction  # √v + ε·c
            numerator /= work  # (a·d + b·m) / (√v + ε·c)
            w -= numerator

    return step


# ----- the cases -----


@dataclass(frozen=True)
class Case:
    """One rule with one set of options, the same in chainrule, the floor and PyTorch."""

    name: str
    settings: str
    ours: Callable[[list[Tensor]], optim.Optimizer]
    floor: Floor
    theirs: Callable[[list[Any]], Any]  # torch tensors -> torch.optim optimizer


def _torch(name: str, **kwargs: Any) -> Callable[[list[Any]], Any]:
    def make(params: list[Any]) -> Any:
        import torch

        return getattr(torch.optim, name)(params, **kwargs)

    return make


def _torch_averaged_momentum(beta: float) -> Callable[[list[Any]], Any]:
    """torch's SGD(momentum=β, dampening=β) with its buffers started at zero: then it is the
    averaged momentum, b ← β·b + (1 − β)·g, w ← w − lr·b, from the first step on (left alone,
    PyTorch takes b = g on the first step)."""

    def make(params: list[Any]) -> Any:
        import torch

        optimizer = torch.optim.SGD(params, lr=LR, momentum=beta, dampening=beta)
        for p in params:
            optimizer.state[p]["momentum_buffer"] = torch.zeros_like(p)
        return optimizer

    return make


def _case(name: str, settings: str, ours: str, floor: Any, kwargs: dict, torch_name: str,
          torch_kwargs: dict | None = None, floor_kwargs: dict | None = None) -> Case:
    """A case whose three sides take the same keyword arguments unless told otherwise."""
    cls = getattr(optim, ours)
    return Case(
        name,
        settings,
        lambda params: cls(params, **kwargs),
        functools.partial(floor, **(kwargs if floor_kwargs is None else floor_kwargs)),
        _torch(torch_name, **(kwargs if torch_kwargs is None else torch_kwargs)),
    )


WD = 1e-2
CASES = [
    _case("SGD", f"lr {LR:g}", "SGD", sgd_floor, {"lr": LR}, "SGD"),
    _case("SGD-wd", f"weight_decay {WD:g}", "SGD", sgd_floor,
          {"lr": LR, "weight_decay": WD}, "SGD"),
    _case("SGD-momentum", "momentum 0.9", "SGD", sgd_momentum_floor,
          {"lr": LR, "momentum": 0.9}, "SGD"),
    _case("SGD-dampening", "momentum 0.9, dampening 0.1", "SGD", sgd_momentum_floor,
          {"lr": LR, "momentum": 0.9, "dampening": 0.1}, "SGD"),
    _case("SGD-momentum-wd", f"momentum 0.9, weight_decay {WD:g}", "SGD",
          sgd_momentum_floor, {"lr": LR, "momentum": 0.9, "weight_decay": WD}, "SGD"),
    _case("Nesterov", "beta 0.9", "Nesterov", sgd_momentum_floor, {"lr": LR, "beta": 0.9},
          "SGD", {"lr": LR, "momentum": 0.9, "nesterov": True},
          floor_kwargs={"lr": LR, "momentum": 0.9, "nesterov": True}),
    _case("Nesterov-wd", f"beta 0.9, weight_decay {WD:g}", "Nesterov", sgd_momentum_floor,
          {"lr": LR, "beta": 0.9, "weight_decay": WD},
          "SGD", {"lr": LR, "momentum": 0.9, "nesterov": True, "weight_decay": WD},
          floor_kwargs={"lr": LR, "momentum": 0.9, "nesterov": True, "weight_decay": WD}),
    _case("Momentum", "v = 0.9v + lr*g (torch SGD)", "Momentum", momentum_floor,
          {"lr": LR, "beta": 0.9}, "SGD", {"lr": LR, "momentum": 0.9}),
    Case("Momentum-average", "v = 0.9v + 0.1g, w -= lr*v",
         lambda params: optim.Momentum(params, lr=LR, beta=0.9, average=True),
         functools.partial(momentum_floor, lr=LR, beta=0.9, average=True),
         _torch_averaged_momentum(0.9)),
    _case("Adagrad", "defaults", "Adagrad", adagrad_floor, {"lr": LR}, "Adagrad"),
    _case("Adagrad-wd", f"lr_decay 0.01, weight_decay {WD:g}", "Adagrad", adagrad_floor,
          {"lr": LR, "lr_decay": 0.01, "weight_decay": WD}, "Adagrad"),
    _case("RMSprop", "alpha 0.99", "RMSprop", rmsprop_floor, {"lr": LR}, "RMSprop"),
    _case("RMSprop-wd", f"weight_decay {WD:g}", "RMSprop", rmsprop_floor,
          {"lr": LR, "weight_decay": WD}, "RMSprop"),
    _case("RMSprop-momentum", "momentum 0.9", "RMSprop", rmsprop_floor,
          {"lr": LR, "momentum": 0.9}, "RMSprop"),
    _case("RMSprop-centered", "centered", "RMSprop", rmsprop_floor,
          {"lr": LR, "centered": True}, "RMSprop"),
    _case("RMSprop-c-momentum", "centered, momentum 0.9", "RMSprop", rmsprop_floor,
          {"lr": LR, "centered": True, "momentum": 0.9}, "RMSprop"),
    _case("AdaDelta", "lr 1, rho 0.9", "AdaDelta", adadelta_floor, {"lr": 1.0},
          "Adadelta"),
    _case("AdaDelta-wd", f"lr 0.5, weight_decay {WD:g}", "AdaDelta", adadelta_floor,
          {"lr": 0.5, "weight_decay": WD}, "Adadelta"),
    _case("Adam", "defaults", "Adam", adam_floor, {"lr": LR}, "Adam"),
    _case("Adam-wd", f"weight_decay {WD:g} (L2)", "Adam", adam_floor,
          {"lr": LR, "weight_decay": WD}, "Adam"),
    _case("Adam-amsgrad", "amsgrad", "Adam", adam_floor, {"lr": LR, "amsgrad": True},
          "Adam"),
    _case("AdamW", f"weight_decay {WD:g}", "AdamW", adam_floor,
          {"lr": LR, "weight_decay": WD}, "AdamW",
          floor_kwargs={"lr": LR, "weight_decay": WD, "decoupled": True}),
    _case("AdamW-amsgrad", f"weight_decay {WD:g}, amsgrad", "AdamW", adam_floor,
          {"lr": LR, "weight_decay": WD, "amsgrad": True}, "AdamW",
          floor_kwargs={"lr": LR, "weight_decay": WD, "amsgrad": True, "decoupled": True}),
    _case("Adamax", "defaults", "Adamax", adamax_floor, {"lr": LR}, "Adamax"),
    _case("Adamax-wd", f"weight_decay {WD:g}", "Adamax", adamax_floor,
          {"lr": LR, "weight_decay": WD}, "Adamax"),
    _case("NAdam", "defaults", "NAdam", nadam_floor, {"lr": LR}, "NAdam"),
    _case("NAdam-wd", f"weight_decay {WD:g}", "NAdam", nadam_floor,
          {"lr": LR, "weight_decay": WD}, "NAdam"),
]


# ----- the model -----


def widths_for(count: int) -> tuple[int, ...]:
    """784-h1-h2-10 with h1:h2 as 1024:192 and as near ``count`` parameters as that allows."""
    i, h1, h2, o = BASE_WIDTHS
    # parameters(s) = a·s² + b·s + c with h1 = 1024·s, h2 = 192·s
    a = h1 * h2
    b = i * h1 + h1 + h2 * o + h2
    c = o - count
    s = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    best = None
    for scale in (s * 0.98, s, s * 1.02):
        widths = (i, max(1, round(h1 * scale)), max(1, round(h2 * scale)), o)
        distance = abs(parameter_count(widths) - count)
        if best is None or distance < best[0]:
            best = (distance, widths)
    assert best is not None
    return best[1]


def parameter_count(widths: tuple[int, ...]) -> int:
    return sum(n * m + m for n, m in itertools.pairwise(widths))


def initial_arrays(widths: tuple[int, ...]) -> tuple[Arrays, Arrays]:
    """Float32 weights and biases uniform in +-sqrt(6 / fan_in) (seed 0), and the fixed
    gradients, standard normal times 0.1 (seed 1): [W1, b1, W2, b2, ...] each."""
    rng = np.random.default_rng(0)
    params = []
    for fan_in, fan_out in itertools.pairwise(widths):
        limit = math.sqrt(6.0 / fan_in)
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-limit, limit, fan_out).astype(np.float32))
    rng = np.random.default_rng(1)
    grads = [(0.1 * rng.standard_normal(p.shape)).astype(np.float32) for p in params]
    return params, grads


# ----- the sides: chainrule, the floor, PyTorch -----


@dataclass
class Side:
    """One implementation of a case: its parameters, gradients and a step to time."""

    name: str
    params: list[Any]
    grads: list[Any]
    step: Callable[[], None]
    torch_threads: int | None = None  # set before each turn, for a PyTorch side
    times: list[float] = field(default_factory=list)
    steps: int = 0

    def arrays(self) -> Arrays:
        """The parameters as numpy arrays (copies)."""
        out = []
        for p in self.params:
            if isinstance(p, np.ndarray):
                out.append(p.copy())
            elif isinstance(p, Tensor):
                out.append(p.data.copy())
            else:
                out.append(p.detach().numpy().copy())
        return out

    def set_grads(self, grads: Arrays) -> None:
        """Write new gradient values into this side's gradient arrays."""
        for mine, new in zip(self.grads, grads):
            if isinstance(mine, np.ndarray):
                mine[...] = new
            else:
                import torch

                mine.copy_(torch.from_numpy(new))

    def median_ms(self) -> float:
        return statistics.median(self.times) * 1e3


def chainrule_side(case: Case, params: Arrays, grads: Arrays, dtype: Any) -> Side:
    tensors = [Tensor(p, dtype=dtype, requires_grad=True) for p in params]  # Tensor() copies
    for t, g in zip(tensors, grads):
        t.grad = g.astype(dtype)
    optimizer = case.ours(tensors)
    return Side("chainrule", tensors, [t.grad for t in tensors], optimizer.step)


def floor_side(case: Case, params: Arrays, grads: Arrays, dtype: Any) -> Side:
    arrays = [p.astype(dtype) for p in params]  # astype copies
    gradients = [g.astype(dtype) for g in grads]
    return Side("floor", arrays, gradients, case.floor(arrays, gradients))


def torch_side(case: Case, params: Arrays, grads: Arrays, dtype: Any,
               threads: int | None = None) -> Side:
    import torch

    torch_dtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
    tensors = [torch.tensor(p, dtype=torch_dtype, requires_grad=True) for p in params]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g, dtype=torch_dtype)
    assert case.theirs is not None
    optimizer = case.theirs(tensors)
    name = "PyTorch" if threads is None else f"PyTorch {threads}T"
    return Side(name, tensors, [t.grad for t in tensors], optimizer.step, threads)


# ----- counting passes -----


class _Counted(np.ndarray):
    """An array that counts the numpy ufunc calls it takes part in (``w -= x`` included):
    each is one pass over a parameter-sized array. Results stay counted arrays."""

    calls = 0

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, out: Any = None,
                        **kwargs: Any) -> Any:
        _Counted.calls += 1
        plain = [x.view(np.ndarray) if isinstance(x, _Counted) else x for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, _Counted) else o
                                  for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result.view(_Counted) if isinstance(result, np.ndarray) else result


def count_passes(case: Case, steps: int = 4) -> tuple[float, float]:
    """numpy passes per parameter in one step (the last of ``steps``; the first may copy) of the
    floor and of chainrule, counted on a small model whose arrays are ``_Counted``."""
    rng = np.random.default_rng(3)
    params = [rng.normal(size=(5, 3)), rng.normal(size=3)]
    grads = [rng.normal(size=p.shape) for p in params]
    floor_params = [p.copy().view(_Counted) for p in params]
    floor_step = case.floor(floor_params, [g.copy().view(_Counted) for g in grads])
    tensors = [Tensor(p, dtype="float64", requires_grad=True) for p in params]
    for t, g in zip(tensors, grads):
        t.data = t.data.view(_Counted)
        t.grad = g.copy().view(_Counted)
    optimizer = case.ours(tensors)
    counts = []
    for step in (floor_step, optimizer.step):
        for _ in range(steps - 1):
            step()
            _count_state(optimizer.state)
        before = _Counted.calls
        step()
        counts.append((_Counted.calls - before) / len(params))
    return counts[0], counts[1]


def _count_state(state: dict[Any, dict[str, Any]]) -> None:
    """Make the optimizer's state arrays counted ones too (``np.array(x, copy=True)`` makes a
    plain array of a counted one): views of the same memory, so the rule is unchanged."""
    for entries in state.values():
        for name, value in entries.items():
            if isinstance(value, np.ndarray):
                entries[name] = value.view(_Counted)
            elif isinstance(value, list):
                entries[name] = [v.view(_Counted) if isinstance(v, np.ndarray) else v
                                 for v in value]


# ----- checking and timing -----


def relative_difference(ours: Arrays, theirs: Arrays) -> float:
    """max |ours − theirs| over every parameter, relative to max |theirs|."""
    scale = max(float(np.max(np.abs(t))) for t in theirs)
    return max(float(np.max(np.abs(o - t))) for o, t in zip(ours, theirs)) / max(scale, 1e-300)


def check(case: Case, params: Arrays, use_torch: bool) -> tuple[float, float | None, str]:
    """The floor's and chainrule's updates on the first float64 steps, each step with a new
    gradient, against PyTorch's (or chainrule's, without PyTorch). Returns the floor's largest
    relative difference, chainrule's (None if it is the reference), and the reference's name.
    PyTorch runs with float64 as its default dtype meanwhile, because some of its optimizers
    keep scalar state (NAdam's product of momenta) in the default dtype."""
    if not use_torch:
        return _check(case, params, False)
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _check(case, params, True)
    finally:
        torch.set_default_dtype(previous)


def _check(case: Case, params: Arrays, use_torch: bool) -> tuple[float, float | None, str]:
    rng = np.random.default_rng(2)
    gradients = [[0.1 * rng.standard_normal(p.shape) for p in params] for _ in range(CHECK_STEPS)]
    start = [p.astype(np.float64) for p in params]
    floor = floor_side(case, start, gradients[0], np.float64)
    ours = chainrule_side(case, start, gradients[0], np.float64)
    if use_torch:
        reference, others = torch_side(case, start, gradients[0], np.float64), [floor, ours]
    else:
        reference, others = ours, [floor]
    worst = [0.0] * len(others)
    sides = [reference, *others]
    before = [side.arrays() for side in sides]
    for k in range(CHECK_STEPS):
        for side in sides:
            side.set_grads(gradients[k])
            side.step()
        after = [side.arrays() for side in sides]
        updates = [[a - b for a, b in zip(new, old)] for new, old in zip(after, before)]
        for i in range(len(others)):
            worst[i] = max(worst[i], relative_difference(updates[i + 1], updates[0]))
        before = after
    return worst[0], worst[1] if len(worst) > 1 else None, reference.name


def time_sides(sides: list[Side], steps: int, rounds: int, settle: float) -> None:
    """Warm up, then ``rounds`` rounds of ``steps`` timed steps per side, taking turns."""

    def prepare(side: Side) -> None:
        if side.torch_threads is not None:
            import torch

            torch.set_num_threads(side.torch_threads)

    for side in sides:
        prepare(side)
        for _ in range(3):
            side.step()
            side.steps += 1
    for r in range(rounds):
        for k in range(len(sides)):
            side = sides[(r + k) % len(sides)]  # rotate who goes first
            prepare(side)
            time.sleep(settle)  # let the previous side's OpenMP threads stop spinning
            side.step()  # and one untimed step to wake this side's
            step, times = side.step, side.times
            for _ in range(steps):
                start = time.perf_counter()
                step()
                times.append(time.perf_counter() - start)
            side.steps += steps + 1


@dataclass
class Result:
    case: Case
    chainrule_ms: float
    floor_ms: float
    torch_ms: dict[int, float]
    passes: tuple[float, float]  # floor, chainrule
    floor_check: float
    ours_check: float | None
    reference: str
    floor_run_diff: float  # chainrule vs the floor after the float32 run (updates)
    torch_run_diff: float | None  # chainrule vs PyTorch after it (for information)
    finite: bool

    @property
    def ratio(self) -> float:
        return self.chainrule_ms / self.floor_ms

    @property
    def checked(self) -> bool:
        ours_ok = self.ours_check is None or self.ours_check <= CHECK_TOLERANCE
        run_ok = self.floor_run_diff <= RUN_TOLERANCE
        return self.floor_check <= CHECK_TOLERANCE and ours_ok and run_ok and self.finite


def run(case: Case, params: Arrays, grads: Arrays, args: argparse.Namespace,
        use_torch: bool) -> Result:
    floor_check, ours_check, reference = check(case, params, use_torch)
    passes = count_passes(case)
    sides = [chainrule_side(case, params, grads, np.float32),
             floor_side(case, params, grads, np.float32)]
    if use_torch:
        sides += [torch_side(case, params, grads, np.float32, n) for n in args.torch_threads]
    time_sides(sides, args.steps, args.rounds, args.settle)
    finite = all(bool(np.isfinite(a).all()) for side in sides for a in side.arrays())
    assert len({side.steps for side in sides}) == 1
    updates = [[a - p for a, p in zip(side.arrays(), params)] for side in sides]
    floor_run_diff = relative_difference(updates[0], updates[1])
    torch_run_diff = relative_difference(updates[0], updates[-1]) if use_torch else None
    torch_ms = {side.torch_threads: side.median_ms() for side in sides[2:]}
    return Result(case, sides[0].median_ms(), sides[1].median_ms(), torch_ms, passes,
                  floor_check, ours_check, reference, floor_run_diff, torch_run_diff, finite)


def select(names: list[str] | None, parser: argparse.ArgumentParser) -> list[Case]:
    if not names:
        return CASES
    by_name = {case.name.lower(): case for case in CASES}
    chosen = []
    for name in names:
        case = by_name.get(name.lower())
        if case is None:
            parser.error(f"--only: unknown case {name!r}; choose from "
                         + ", ".join(c.name for c in CASES))
        chosen.append(case)
    return chosen


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def print_table(results: list[Result], threads: list[int]) -> None:
    torch_heads = "".join(f" {f'torch {n}T ms':>11}" for n in threads)
    header = (f"{'rule':<19} {'settings':<34} {'passes':>6} {'chainrule ms':>12} "
              f"{'floor ms':>9} {'ratio':>6} {'verdict':>7}{torch_heads}  "
              f"{'check floor':>11} {'ours':>6} {'f32 torch':>9}")
    print(header)
    print("-" * len(header))
    for r in results:
        verdict = "PASS" if r.ratio <= TARGET else "MISS"
        torch_cells = "".join(f" {r.torch_ms[n]:>11.3f}" for n in threads)
        floor_passes, our_passes = r.passes
        passes = f"{floor_passes:g}/{our_passes:g}"
        ours = "ref" if r.ours_check is None else f"{r.ours_check:.0e}"
        f32 = "-" if r.torch_run_diff is None else f"{r.torch_run_diff:.0e}"
        line = (f"{r.case.name:<19} {r.case.settings:<34} {passes:>6} "
                f"{r.chainrule_ms:>12.3f} {r.floor_ms:>9.3f} {r.ratio:>5.2f}x {verdict:>7}"
                f"{torch_cells}  {r.floor_check:>11.0e} {ours:>6} {f32:>9}")
        if not r.checked:
            line += "  <- CHECK FAILED"
        if our_passes > floor_passes:
            line += "  <- chainrule makes more passes"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=None,
                        help="about this many parameters (default 784-1024-192-10, 1,002,570)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per side per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per case, sides in turn")
    parser.add_argument("--settle", type=float, default=0.2,
                        help="seconds of sleep, then one untimed step, before each turn")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="cases to run: " + ", ".join(c.name for c in CASES))
    parser.add_argument("--torch-threads", type=int, nargs="+", default=[1, 2],
                        help="PyTorch thread counts to time (default 1 2)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = parser.parse_args()
    cases = select(args.only, parser)
    if (args.params is not None and args.params < 1000) or args.steps < 1 or args.rounds < 1:
        parser.error("--params must be >= 1000, --steps and --rounds >= 1")

    use_torch = not args.no_torch
    torch_version = "not used"
    if use_torch:
        try:
            import torch
        except ImportError:
            use_torch, torch_version = False, "not installed: floor and chainrule only"
        else:
            torch_version = f"{torch.__version__}, threads {args.torch_threads}"
    threads = args.torch_threads if use_torch else []
    variables = ", ".join(f"{v}={os.environ[v]}" for v in
                          ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"))
    widths = BASE_WIDTHS if args.params is None else widths_for(args.params)
    params, grads = initial_arrays(widths)
    count = sum(p.size for p in params)
    shapes = " + ".join("x".join(map(str, p.shape)) for p in params)
    print(f"numpy {np.__version__}, {variables}; PyTorch {torch_version}; {os.cpu_count()} CPUs")
    print(f"model {'-'.join(map(str, widths))}: {shapes} = {count:,} float32 parameters "
          f"({count * 4 / 2**20:.1f} MiB)")
    print(f"fixed gradient, 3 warm-up steps, {args.rounds} rounds x {args.steps} timed steps "
          f"per side, {args.settle} s settle, garbage collector on")
    print(f"before: {load()}")
    print()

    results = []
    for case in cases:
        result = run(case, params, grads, args, use_torch)
        results.append(result)
        torch_text = "".join(f"   torch {n}T {ms:7.3f}" for n, ms in result.torch_ms.items())
        print(f"{case.name:<19} chainrule {result.chainrule_ms:7.3f}   floor "
              f"{result.floor_ms:7.3f}   {result.ratio:5.2f}x{torch_text}", flush=True)
    print()
    print(f"after: {load()}")
    print()
    print_table(results, threads)
    print(f"(ms: medians over {args.rounds * args.steps} steps per side; ratio chainrule/floor, "
          f"PASS if <= {TARGET}; passes: numpy passes per parameter per step, floor/chainrule, "
          f"counted; check: the largest "
          f"difference of the floor's / chainrule's update from the reference's on "
          f"{CHECK_STEPS} float64 steps with new gradients, relative to the largest update, "
          f"tolerance {CHECK_TOLERANCE:g}; the reference is PyTorch, or chainrule where marked "
          f"'ref'. f32 torch: the same for chainrule's total float32 update after the timed "
          f"run, for information: with weight decay the few weights where g + λw is about 0 "
          f"(the decay balancing a constant gradient) take a rounding-decided step under the "
          f"normalising rules, so it may exceed 1e-3 there. Chainrule's float32 run must match "
          f"the floor's to {RUN_TOLERANCE:g})")
    missed = [r.case.name for r in results if r.ratio > TARGET]
    failed = [r.case.name for r in results if not r.checked]
    worst = max(results, key=lambda r: r.ratio)
    print(f"overall: {len(results) - len(missed)}/{len(results)} within {TARGET}x of the numpy "
          f"floor (worst {worst.case.name} {worst.ratio:.2f}x)"
          + (f"; MISS: {', '.join(missed)}" if missed else "")
          + (f"; CHECK FAILED: {', '.join(failed)}" if failed else "; every check passed"))


if __name__ == "__main__":
    main()
