"""Optimizers that scale each weight's step by the size of its past gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from optim.optimizer import Optimizer, _check_range, _running_average, _with_weight_decay

__all__ = ["AdaDelta", "Adagrad", "RMSprop"]


class Adagrad(Optimizer):
    """G ← G + g², w ← w − lr_t · g / (√G + ε), with lr_t = lr / (1 + (t − 1)·lr_decay).

    Weights with large past gradients take small steps. As in PyTorch, ε is added after the
    square root (the study guide writes √(G + ε); the difference is below ε's size).
    """

    def __init__(
        self,
        params: Any = None,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        learning_rate: float | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults, learning_rate)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            _check_range(self._name, name, group[name], low=0.0)

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        grad = _with_weight_decay(param, grad, group["weight_decay"])
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        total = state["sum"]
        (work,) = self._work(state, param)
        total += np.multiply(grad, grad, out=work)
        scale = np.sqrt(total, out=work)
        scale += group["eps"]
        step = np.divide(grad, scale, out=work)
        step *= lr
        param -= step


class RMSprop(Optimizer):
    """E ← α·E + (1 − α)·g², w ← w − lr · g / (√E + ε).

    ``centered`` also averages g (ḡ) and divides by √(E − ḡ²) + ε, an estimate of the variance;
    ``momentum`` β accumulates the scaled steps, b ← β·b + g / (√E + ε), w ← w − lr·b.
    """

    def __init__(
        self,
        params: Any = None,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        learning_rate: float | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults, learning_rate)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        _check_range(self._name, "alpha", group["alpha"], low=0.0, high=1.0)
        for name in ("eps", "weight_decay", "momentum"):
            _check_range(self._name, name, group[name], low=0.0)

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        state = {"step": 0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        grad = _with_weight_decay(param, grad, group["weight_decay"])
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        (work,) = self._work(state, param)
        _running_average(square_avg, alpha, np.multiply(grad, grad, out=work), work)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            _running_average(grad_avg, alpha, grad, work)
            variance = np.multiply(grad_avg, grad_avg, out=work)
            np.subtract(square_avg, variance, out=variance)
            denominator = np.sqrt(variance, out=work)
        else:
            denominator = np.sqrt(square_avg, out=work)
        denominator += group["eps"]
        step = np.divide(grad, denominator, out=work)
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += step
            step = np.multiply(buffer, group["lr"], out=work)
        else:
            step *= group["lr"]
        param -= step


class AdaDelta(Optimizer):
    """Adagrad without a learning rate to tune (Zeiler, 2012):

    E[g²] ← ρ·E[g²] + (1 − ρ)·g², Δ = √(E[Δ²] + ε) / √(E[g²] + ε) · g,
    E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ², w ← w − lr·Δ (lr = 1 keeps the paper's rule).
    """

    def __init__(
        self,
        params: Any = None,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        learning_rate: float | None = None,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults, learning_rate)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        _check_range(self._name, "rho", group["rho"], low=0.0, high=1.0)
        _check_range(self._name, "eps", group["eps"], low=0.0)
        _check_range(self._name, "weight_decay", group["weight_decay"], low=0.0)

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        return {"step": 0, "square_avg": np.zeros_like(param), "acc_delta": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        grad = _with_weight_decay(param, grad, group["weight_decay"])
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        delta, work = self._work(state, param, 2)
        _running_average(square_avg, rho, np.multiply(grad, grad, out=work), work)
        np.sqrt(np.add(acc_delta, eps, out=delta), out=delta)  # Δ = √(E[Δ²] + ε)
        delta /= np.sqrt(np.add(square_avg, eps, out=work), out=work)  # ... / √(E[g²] + ε)
        delta *= grad  # ... · g
        _running_average(acc_delta, rho, np.multiply(delta, delta, out=work), work)
        delta *= group["lr"]
        param -= delta
