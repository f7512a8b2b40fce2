"""The learning-rate finder (Smith, 2017; fastai): train briefly while the rate grows
exponentially, watch the loss, and pick the rate where it falls fastest."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import Value
from optim.optimizer import Optimizer, _as_float

__all__ = ["LRFinderResult", "find_lr"]


@dataclass
class LRFinderResult:
    """The rates tried, the smoothed losses they gave, and the suggested rate."""

    lrs: list[float]
    losses: list[float]
    suggested_lr: float
    raw_losses: list[float] = field(default_factory=list)

    def plot(self, ax: Any = None) -> Any:
        """Loss against learning rate on a log axis, the suggestion marked (needs matplotlib)."""
        import matplotlib.pyplot as plt

        ax = ax if ax is not None else plt.figure(figsize=(6, 4)).gca()
        ax.plot(self.lrs, self.losses)
        ax.axvline(self.suggested_lr, color="tab:red", linestyle="--", label="suggested")
        ax.set(xscale="log", xlabel="learning rate", ylabel="loss (smoothed)")
        ax.legend()
        return ax


def find_lr(
    optimizer: Optimizer,
    closure: Callable[[], Any],
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    steps: int = 100,
    smoothing: float = 0.98,
    diverge: float = 4.0,
    restore: bool = True,
) -> LRFinderResult:
    """Run up to ``steps`` optimizer steps with the rate going from ``start_lr`` to ``end_lr``
    geometrically; stop early once the smoothed loss has risen above its best by
    ``diverge − 1`` times the best's size (for a positive loss: above ``diverge`` times the best).

    ``closure()`` computes the loss on a fresh batch and its gradients (``loss.backward()``)
    and returns the loss; gradients are zeroed before each call. The suggestion is the rate
    where the smoothed loss falls fastest against log(rate). With ``restore`` (the default) the
    parameters and the optimizer's state are put back afterwards, so training starts fresh.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"find_lr: need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if steps < 2:
        raise ValueError(f"find_lr: steps must be at least 2, got {steps}")
    if not diverge > 1:
        raise ValueError(f"find_lr: diverge must be > 1, got {diverge}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"find_lr: smoothing must be in [0, 1), got {smoothing}")
    params = [p for group in optimizer.param_groups for p in group["params"]]
    saved_params = [np.array(p.data, copy=True) for p in params]
    saved_state = optimizer.state_dict()
    saved_lrs = [group["lr"] for group in optimizer.param_groups]
    growth = (end_lr / start_lr) ** (1 / (steps - 1))
    lrs: list[float] = []
    losses: list[float] = []
    raw: list[float] = []
    average, best = 0.0, math.inf
    try:
        for i in range(steps):
            lr = start_lr * growth**i
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad()
            loss = _as_float(closure(), "find_lr: the closure's loss")
            optimizer.step()
            average = smoothing * average + (1 - smoothing) * loss
            smoothed = average / (1 - smoothing ** (i + 1))  # bias-corrected, as Adam's moments
            lrs.append(lr)
            raw.append(loss)
            losses.append(smoothed)
            if not math.isfinite(smoothed) or smoothed - best > (diverge - 1) * abs(best):
                break
            best = min(best, smoothed)
    finally:
        if restore:
            for p, data in zip(params, saved_params):
                if isinstance(p, Value):
                    p.data = float(data)
                else:
                    p.data[...] = data
            optimizer.load_state_dict(saved_state)
        for group, lr in zip(optimizer.param_groups, saved_lrs):
            group["lr"] = lr
        optimizer.zero_grad()
    return LRFinderResult(lrs, losses, _steepest(lrs, losses), raw)


def _steepest(lrs: list[float], losses: list[float]) -> float:
    """The rate where the loss falls fastest against log(rate), before it has blown up."""
    finite = [(lr, loss) for lr, loss in zip(lrs, losses) if math.isfinite(loss)]
    if len(finite) < 3:
        return finite[0][0] if finite else lrs[0]
    rates, values = np.array(finite).T
    lowest = int(np.argmin(values))
    upto = max(lowest + 1, 3)  # only the descent counts, not the climb after the minimum
    slopes = np.gradient(values[:upto], np.log(rates[:upto]))
    return float(rates[int(np.argmin(slopes))])
