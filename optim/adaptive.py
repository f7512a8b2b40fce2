"""Optimizers that scale each weight's step by the size of its past gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from optim.optimizer import Optimizer, _check_range

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
        **clipping: float | None,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults, learning_rate, clipping)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            _check_range(self._name, name, group[name], low=0.0)

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        grad = self._plus_decay(state, param, grad, group["weight_decay"])  # g + λw (2, if λ)
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        total = state["sum"]
        (work,) = self._work(state, param)
        total += np.multiply(grad, grad, out=work)  # G ← G + g² (2 passes)
        denominator = np.sqrt(total, out=work)  # √G
        denominator += group["eps"]  # √G + ε
        step = np.divide(grad, denominator, out=work)  # g / (√G + ε)
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
        **clipping: float | None,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults, learning_rate, clipping)

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
        grad = self._plus_decay(state, param, grad, group["weight_decay"])  # g + λw (2, if λ)
        alpha, square_avg = group["alpha"], state["square_avg"]
        (work,) = self._work(state, param)
        scaled = np.multiply(grad, 1 - alpha, out=work)  # (1 − α)·g
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha  # ḡ ← α·ḡ
            grad_avg += scaled  #     + (1 − α)·g
        scaled *= grad  # (1 − α)·g²
        square_avg *= alpha  # E ← α·E
        square_avg += scaled  #     + (1 − α)·g²
        if group["centered"]:
            variance = np.multiply(grad_avg, grad_avg, out=work)  # ḡ²
            np.subtract(square_avg, variance, out=variance)  # E − ḡ²
            denominator = np.sqrt(variance, out=work)  # √(E − ḡ²)
        else:
            denominator = np.sqrt(square_avg, out=work)  # √E
        denominator += group["eps"]  #   + ε
        step = np.divide(grad, denominator, out=work)  # g / (√E + ε)
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]  # b ← β·b
            buffer += step  #     + g / (√E + ε)
            step = np.multiply(buffer, group["lr"], out=work)  # lr·b
        else:
            step *= group["lr"]
        param -= step


class AdaDelta(Optimizer):
    """Adagrad without a learning rate to tune (Zeiler, 2012):

    E[g²] ← ρ·E[g²] + (1 − ρ)·g², Δ = √(E[Δ²] + ε) / √(E[g²] + ε) · g,
    E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ², w ← w − lr·Δ (lr = 1 keeps the paper's rule).

    The two roots are taken as one, Δ = √r·g with r = (E[Δ²] + ε) / (E[g²] + ε), and then
    (1 − ρ)·Δ² = r·(1 − ρ)·g² reuses the (1 − ρ)·g² of the first average: 13 passes, not 16.
    """

    def __init__(
        self,
        params: Any = None,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        learning_rate: float | None = None,
        **clipping: float | None,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults, learning_rate, clipping)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        _check_range(self._name, "rho", group["rho"], low=0.0, high=1.0)
        _check_range(self._name, "eps", group["eps"], low=0.0)
        _check_range(self._name, "weight_decay", group["weight_decay"], low=0.0)

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        return {"step": 0, "square_avg": np.zeros_like(param), "acc_delta": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        grad = self._plus_decay(state, param, grad, group["weight_decay"])  # g + λw (2, if λ)
        rho, eps, lr = group["rho"], group["eps"], group["lr"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        scaled, ratio, work = self._work(state, param, 3)
        np.multiply(grad, grad, out=scaled)  # g²
        scaled *= 1 - rho  # (1 − ρ)·g²
        square_avg *= rho  # E[g²] ← ρ·E[g²]
        square_avg += scaled  #          + (1 − ρ)·g²
        np.add(acc_delta, eps, out=ratio)  # E[Δ²] + ε
        ratio /= np.add(square_avg, eps, out=work)  # r = (E[Δ²] + ε) / (E[g²] + ε), so Δ = √r·g
        scaled *= ratio  # (1 − ρ)·Δ² = r·(1 − ρ)·g²
        acc_delta *= rho  # E[Δ²] ← ρ·E[Δ²]
        acc_delta += scaled  #          + (1 − ρ)·Δ²
        delta = np.sqrt(ratio, out=ratio)  # √r
        delta *= grad  # Δ = √r·g
        if lr != 1:
            delta *= lr
        param -= delta
