"""Learning-rate schedules, with PyTorch's conventions.

A schedule sets ``group["lr"]`` of every parameter group of an optimizer. Call
``scheduler.step()`` once per epoch (or per batch, for ``CyclicLR``), after
``optimizer.step()``; ``get_last_lr()`` gives the rates it set. At construction the schedule
sets the rate of step 0. Each schedule is a closed formula of the step count t = ``last_epoch``
and the group's initial rate lr₀, so a run that is saved and restored (``state_dict`` /
``load_state_dict``, flat numpy arrays as for optimizers) goes on with the same rates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from optim.optimizer import Optimizer, _as_float

__all__ = [
    "CosineAnnealingLR",
    "CyclicLR",
    "ExponentialLR",
    "InverseTimeDecay",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "ReduceLROnPlateau",
    "StepLR",
]


class LRScheduler:
    """The base: subclasses give ``rate(base_lr, t)``, the learning rate at step t."""

    _state_names: tuple[str, ...] = ("last_epoch", "base_lrs", "_last_lr")

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(self, optimizer)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group["initial_lr"] = group["lr"]
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                    "'initial_lr' in every parameter group (set when a schedule first ran)"
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = [group["lr"] for group in optimizer.param_groups]
        self.step()

    def rate(self, base_lr: float, t: int) -> float:
        """The learning rate at step ``t`` of a group that started at ``base_lr``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step and set every group's learning rate."""
        self.last_epoch += 1
        self._set([self.rate(base, self.last_epoch) for base in self.base_lrs])

    def _set(self, rates: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, rates):
            group["lr"] = lr
        self._last_lr = list(rates)

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step`` (one per parameter group)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The schedule's progress as a flat dict of numpy arrays (``np.savez`` ready)."""
        out = {"scheduler": np.array(type(self).__name__)}
        for name in self._state_names:
            out[name] = np.array(getattr(self, name))
        return out

    def load_state_dict(self, saved: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` gave; the learning rates are set again from it."""
        name = str(np.asarray(saved.get("scheduler", "?")))
        if name != type(self).__name__:
            raise ValueError(
                f"load_state_dict: the saved state is for {name}, not {type(self).__name__}"
            )
        groups = len(self.optimizer.param_groups)
        for attribute in self._state_names:
            array = np.asarray(saved[attribute])
            if array.ndim == 1 and len(array) != groups:
                raise ValueError(
                    f"load_state_dict: {attribute} was saved for {len(array)} parameter "
                    f"group(s), the optimizer has {groups}"
                )
            setattr(self, attribute, array.tolist())
        self._set(self._last_lr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class LambdaLR(LRScheduler):
    """lr_t = lr₀ · factor(t), for any function ``factor`` of the step."""

    def __init__(
        self, optimizer: Optimizer, lr_lambda: Callable[[int], float], last_epoch: int = -1
    ) -> None:
        self.lr_lambda = lr_lambda
        super().__init__(optimizer, last_epoch)

    def rate(self, base_lr: float, t: int) -> float:
        return base_lr * self.lr_lambda(t)


class InverseTimeDecay(LRScheduler):
    """The study guide's decay, lr_t = lr₀ / (1 + λ·t/decay_steps) (Keras's InverseTimeDecay)."""

    def __init__(
        self,
        optimizer: Optimizer,
        decay_rate: float,
        decay_steps: int = 1,
        last_epoch: int = -1,
    ) -> None:
        _positive(self, "decay_rate", decay_rate, allow_zero=True)
        _positive(self, "decay_steps", decay_steps)
        self.decay_rate, self.decay_steps = decay_rate, decay_steps
        super().__init__(optimizer, last_epoch)

    def rate(self, base_lr: float, t: int) -> float:
        return base_lr / (1 + self.decay_rate * t / self.decay_steps)


class StepLR(LRScheduler):
    """Step decay: lr_t = lr₀ · γ^⌊t / step_size⌋ (the rate drops by γ every step_size steps)."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _positive(self, "step_size", step_size)
        _positive(self, "gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def rate(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """Exponential decay: lr_t = lr₀ · γ^t."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _positive(self, "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def rate(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma**t


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing: lr_t = η_min + (lr₀ − η_min)·(1 + cos(π·t / T_max)) / 2, from lr₀ down
    to η_min over T_max steps (and back up after, as PyTorch)."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _positive(self, "T_max", T_max)
        _positive(self, "eta_min", eta_min, allow_zero=True)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def rate(self, base_lr: float, t: int) -> float:
        return (
            self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2
        )


class LinearLR(LRScheduler):
    """Linear warm-up: the factor on lr₀ goes from ``start_factor`` to ``end_factor`` over
    ``total_iters`` steps, then stays."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        _positive(self, "total_iters", total_iters)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def rate(self, base_lr: float, t: int) -> float:
        progress = min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CyclicLR(LRScheduler):
    """The cyclical learning rate (Smith, 2017): up from ``base_lr`` to ``max_lr`` in
    ``step_size_up`` steps and back down, forever. Step it after every batch.

    ``mode``: "triangular" (every cycle the same), "triangular2" (each cycle's height halves) or
    "exp_range" (the height shrinks by γ^t). With ``cycle_momentum`` the momentum (or Adam's β₁)
    moves the other way, between ``max_momentum`` and ``base_momentum``, as PyTorch.
    """

    _state_names = (*LRScheduler._state_names, "max_lrs")

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float,
        max_lr: float,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        cycle_momentum: bool = True,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(self, optimizer)
        if mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(
                f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}"
            )
        _positive(self, "step_size_up", step_size_up)
        down = step_size_up if step_size_down is None else step_size_down
        _positive(self, "step_size_down", down)
        if not 0 <= base_lr <= max_lr:
            raise ValueError(f"CyclicLR: need 0 <= base_lr <= max_lr, got {base_lr} and {max_lr}")
        self.mode, self.gamma = mode, gamma
        self.total_size = float(step_size_up + down)
        self.step_ratio = step_size_up / self.total_size
        self.max_lrs = [max_lr] * len(optimizer.param_groups)
        self.momentum_key = None
        if cycle_momentum:
            self.momentum_key = next(
                (k for k in ("momentum", "betas", "beta") if k in optimizer.defaults), None
            )
            if self.momentum_key is None:
                raise ValueError(
                    f"CyclicLR: {type(optimizer).__name__} has no momentum or betas to cycle; "
                    "pass cycle_momentum=False"
                )
            self.base_momentum, self.max_momentum = base_momentum, max_momentum
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group["lr"] = base_lr
        super().__init__(optimizer, last_epoch)

    def _phase(self, t: int) -> tuple[float, float]:
        """How far up the current cycle is (0 at its bottom, 1 at its top), and its scale."""
        cycle = math.floor(1 + t / self.total_size)
        x = 1.0 + t / self.total_size - cycle
        height = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = 1 / (2.0 ** (cycle - 1))
        else:
            scale = self.gamma**t
        return height, scale

    def rate(self, base_lr: float, t: int) -> float:
        height, scale = self._phase(t)
        return base_lr + (self.max_lrs[0] - base_lr) * height * scale

    def step(self) -> None:
        super().step()
        if self.momentum_key is None:
            return
        height, scale = self._phase(self.last_epoch)
        momentum = self.max_momentum - (self.max_momentum - self.base_momentum) * height * scale
        for group in self.optimizer.param_groups:
            if self.momentum_key == "betas":
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group[self.momentum_key] = momentum


class ReduceLROnPlateau(LRScheduler):
    """Divide the rate by 1/``factor`` when the monitored metric has not improved for more than
    ``patience`` epochs: ``scheduler.step(val_loss)``. An improvement must beat the best by
    ``threshold`` (relative, or absolute with ``threshold_mode="abs"``); after a cut the
    schedule waits ``cooldown`` epochs; rates never go below ``min_lr``."""

    _state_names = (
        *LRScheduler._state_names,
        "best",
        "num_bad_epochs",
        "cooldown_counter",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        _positive(self, "patience", patience, allow_zero=True)
        _positive(self, "cooldown", cooldown, allow_zero=True)
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        _check_optimizer(self, optimizer)
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = list(self.base_lrs)

    def _better(self, metric: float) -> bool:
        sign = 1 if self.mode == "min" else -1
        if self.threshold_mode == "rel":
            return sign * metric < sign * self.best * (1 - sign * self.threshold)
        return sign * metric < sign * self.best - self.threshold

    def step(self, metrics: float | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric (a number, a one-element Tensor or a Value)."""
        if metrics is None:
            raise TypeError("ReduceLROnPlateau.step needs the monitored metric: step(val_loss)")
        metric = _as_float(metrics, "ReduceLROnPlateau.step: the metric")
        self.last_epoch += 1
        if self._better(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        rates = [group["lr"] for group in self.optimizer.param_groups]
        if self.num_bad_epochs > self.patience:
            for i, old in enumerate(rates):
                new = max(old * self.factor, self.min_lr)
                if old - new > self.eps:
                    rates[i] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._set(rates)


def _check_optimizer(schedule: Any, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        name = type(schedule).__name__
        raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")


def _positive(schedule: Any, name: str, value: float, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{type(schedule).__name__}: {name} must be a number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{type(schedule).__name__}: {name} must be {bound}, got {value}")
