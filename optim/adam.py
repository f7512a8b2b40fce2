"""Adam and its relatives: a running mean of the gradients over a running size of them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optim.optimizer import Optimizer, _check_range, _running_average

__all__ = ["Adam", "AdamW", "Adamax", "NAdam"]


class _Moments(Optimizer):
    """What the Adam family shares: ``betas``, ``eps``, ``weight_decay`` and their checks."""

    def __init__(
        self, params: Any, learning_rate: float | None, clipping: dict, **defaults: Any
    ) -> None:
        super().__init__(params, defaults, learning_rate, clipping)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{self._name}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = betas = tuple(betas)  # a list is fine, as in PyTorch; kept as a tuple
        for i, beta in enumerate(betas):
            _check_range(self._name, f"betas[{i}]", beta, low=0.0, high=1.0, high_open=True)
        _check_range(self._name, "eps", group["eps"], low=0.0)
        _check_range(self._name, "weight_decay", group["weight_decay"], low=0.0)

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    @staticmethod
    def _average(
        state: dict, grad: np.ndarray, beta1: float, beta2: float, work: np.ndarray
    ) -> None:
        """m ← β₁·m + (1 − β₁)·g and v ← β₂·v + (1 − β₂)·g², in place (7 passes)."""
        _running_average(state["exp_avg"], beta1, grad, work)  # 3 passes
        _running_average(state["exp_avg_sq"], beta2, np.multiply(grad, grad, out=work), work)


class Adam(_Moments):
    """m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², w ← w − lr · m̂ / (√v̂ + ε),
    with the bias corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).

    ``weight_decay`` λ adds λw to g (L2 regularisation; ``AdamW`` decouples it);
    ``amsgrad`` divides by the largest v seen so far, so steps never grow.
    """

    def __init__(
        self,
        params: Any = None,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        learning_rate: float | None = None,
        **clipping: float | None,
    ) -> None:
        super().__init__(
            params,
            learning_rate,
            clipping,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
        )

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        state = super()._init_state(param, group)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _decay(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> np.ndarray:
        """L2 weight decay, g + λw (AdamW decouples it instead)."""
        return self._plus_decay(state, param, grad, group["weight_decay"])

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        t = state["step"]
        grad = self._decay(param, grad, state, group)  # 2 passes, or 1 (AdamW), if λ
        beta1, beta2 = group["betas"]
        (work,) = self._work(state, param)
        self._average(state, grad, beta1, beta2, work)
        second = state["exp_avg_sq"]
        if group["amsgrad"]:
            second = np.maximum(state["max_exp_avg_sq"], second, out=state["max_exp_avg_sq"])
        # lr·m̂ / (√v̂ + ε) = s·m / (√v + ε·c) with c = √(1 − β₂ᵗ), s = lr·c / (1 − β₁ᵗ):
        # the bias corrections folded into two numbers, as PyTorch does
        correction = math.sqrt(1 - beta2**t)
        denominator = np.sqrt(second, out=work)  # √v
        denominator += group["eps"] * correction  # √v + ε·c
        step = np.divide(state["exp_avg"], denominator, out=work)  # m / (√v + ε·c)
        step *= group["lr"] * correction / (1 - beta1**t)
        param -= step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): w ← w·(1 − lr·λ) before the
    Adam step, instead of λw in the gradient; PyTorch's default λ = 0.01."""

    def __init__(
        self,
        params: Any = None,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        learning_rate: float | None = None,
        **clipping: float | None,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, learning_rate, **clipping)

    def _decay(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> np.ndarray:
        if group["weight_decay"]:
            param *= 1 - group["lr"] * group["weight_decay"]  # w ← w·(1 − lr·λ)
        return grad


class Adamax(_Moments):
    """Adam with the infinity norm: u ← max(β₂·u, |g| + ε), w ← w − lr/(1 − β₁ᵗ) · m / u."""

    def __init__(
        self,
        params: Any = None,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        learning_rate: float | None = None,
        **clipping: float | None,
    ) -> None:
        super().__init__(
            params,
            learning_rate,
            clipping,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
        )

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_inf": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        grad = self._plus_decay(state, param, grad, group["weight_decay"])  # g + λw (2, if λ)
        beta1, beta2 = group["betas"]
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        (work,) = self._work(state, param)
        _running_average(exp_avg, beta1, grad, work)  # m ← β₁·m + (1 − β₁)·g (3 passes)
        exp_inf *= beta2  # β₂·u
        size = np.abs(grad, out=work)  # |g|
        size += group["eps"]  # |g| + ε
        np.maximum(exp_inf, size, out=exp_inf)  # u ← max(β₂·u, |g| + ε)
        step = np.divide(exp_avg, exp_inf, out=work)  # m / u
        step *= group["lr"] / (1 - beta1 ** state["step"])
        param -= step


class NAdam(_Moments):
    """Adam with Nesterov momentum (Dozat, 2016), as PyTorch: the momentum factor warms up,
    μ_t = β₁(1 − ½·0.96^(t·ψ)), and the step mixes the gradient and the next momentum,
    w ← w − lr·[(1 − μ_t)/(1 − Πμ) · g + μ_{t+1}/(1 − Πμ·μ_{t+1}) · m] / (√v̂ + ε)."""

    def __init__(
        self,
        params: Any = None,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        learning_rate: float | None = None,
        **clipping: float | None,
    ) -> None:
        super().__init__(
            params,
            learning_rate,
            clipping,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
        )

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        _check_range(self._name, "momentum_decay", group["momentum_decay"], low=0.0)

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        return {**super()._init_state(param, group), "mu_product": 1.0}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        psi, lr = group["momentum_decay"], group["lr"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        product = state["mu_product"]
        # lr·(a·g + b·m) / (√v̂ + ε) = (a'·g + b'·m) / (√v + ε·c), with c = √(1 − β₂ᵗ) and
        # a' = lr·a·c, b' = lr·b·c: the bias correction of v folded into the numbers
        correction = math.sqrt(1 - beta2**t)
        gradient_factor = lr * correction * (1 - mu) / (1 - product)
        momentum_factor = lr * correction * mu_next / (1 - product * mu_next)
        numerator, work = self._work(state, param, 2)
        grad = self._plus_decay(state, param, grad, group["weight_decay"])  # g + λw (2, if λ)
        self._average(state, grad, beta1, beta2, work)  # m and v (7 passes)
        np.multiply(grad, gradient_factor, out=numerator)  # a'·g
        numerator += np.multiply(state["exp_avg"], momentum_factor, out=work)  # + b'·m
        denominator = np.sqrt(state["exp_avg_sq"], out=work)  # √v
        denominator += group["eps"] * correction  # √v + ε·c
        numerator /= denominator
        param -= numerator
