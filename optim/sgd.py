"""Gradient descent and its momentum forms.

Batch, mini-batch and stochastic gradient descent are one rule, ``SGD``; they differ only in how
many examples the loss that gives ``.grad`` averages over (the whole set, a batch, or one).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optim.optimizer import Optimizer, _check_range, _running_average

__all__ = ["SGD", "Momentum", "Nesterov"]


class SGD(Optimizer):
    """Gradient descent, ``w ← w − lr · g``, with PyTorch's options.

    With ``weight_decay`` λ the gradient is g + λw. With ``momentum`` β a buffer
    b ← β·b + (1 − dampening)·g (b = g on the first step) replaces g, and with ``nesterov``
    the step uses g + β·b instead (the gradient taken at the look-ahead point; see
    ``Nesterov``). Without momentum the decay is applied to w itself, w·(1 − lr·λ) − lr·g:
    the same step, one pass over memory fewer.
    """

    def __init__(
        self,
        params: Any = None,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        learning_rate: float | None = None,
        **clipping: float | None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults, learning_rate, clipping)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        _check_range(self._name, "momentum", group["momentum"], low=0.0)
        _check_range(self._name, "dampening", group["dampening"], low=0.0, high=1.0)
        _check_range(self._name, "weight_decay", group["weight_decay"], low=0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{self._name}: nesterov needs momentum > 0 and dampening = 0")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        lr, beta, decay = group["lr"], group["momentum"], group["weight_decay"]
        (work,) = self._work(state, param)
        if not beta:
            if decay:
                param *= 1 - lr * decay  # w − lr·(g + λw) = w·(1 − lr·λ) − lr·g: decay folded
            param -= np.multiply(grad, lr, out=work)  # w ← w − lr·g (2 passes)
            return
        grad = self._plus_decay(state, param, grad, decay)  # d = g + λw (2 passes, if λ)
        buffer = state.get("momentum_buffer")
        if buffer is None:
            buffer = state["momentum_buffer"] = np.array(grad, copy=True)  # b = d at first
        else:
            buffer *= beta  # b ← β·b
            dampening = group["dampening"]
            buffer += grad if not dampening else np.multiply(grad, 1 - dampening, out=work)
        if group["nesterov"]:
            step = np.multiply(buffer, beta, out=work)  # β·b
            step += grad  # d + β·b
            step *= lr
        else:
            step = np.multiply(buffer, lr, out=work)  # lr·b
        param -= step


class Momentum(Optimizer):
    """Gradient descent with a velocity, in either of the study guide's two forms.

    - ``average=False`` (default): v ← β·v + lr·g, w ← w − v. With a constant learning rate
      this is PyTorch's ``SGD(momentum=β)`` (its buffer is v / lr) and Keras's ``SGD(momentum=β)``.
    - ``average=True``: v ← β·v + (1 − β)·g, w ← w − lr·v: v is an exponential average of the
      gradients, so the step has the size of one gradient step (v starts at 0; PyTorch's
      ``dampening=β`` differs on the first step, where it takes v = g).
    """

    def __init__(
        self,
        params: Any = None,
        lr: float = 1e-2,
        beta: float = 0.9,
        average: bool = False,
        learning_rate: float | None = None,
        **clipping: float | None,
    ) -> None:
        super().__init__(
            params, {"lr": lr, "beta": beta, "average": average}, learning_rate, clipping
        )

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        _check_range(self._name, "beta", group["beta"], low=0.0, high=1.0, high_open=True)

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, Any]:
        return {"velocity": np.zeros_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        velocity, beta, lr = state["velocity"], group["beta"], group["lr"]
        (work,) = self._work(state, param)
        if group["average"]:
            _running_average(velocity, beta, grad, work)  # v ← β·v + (1 − β)·g (3 passes)
            param -= np.multiply(velocity, lr, out=work)  # w ← w − lr·v (2)
        else:
            velocity *= beta  # v ← β·v
            velocity += np.multiply(grad, lr, out=work)  #     + lr·g
            param -= velocity  # w ← w − v


class Nesterov(SGD):
    """Nesterov's accelerated gradient: ``SGD(momentum=beta, nesterov=True)``.

    The study guide's form takes the gradient at a look-ahead point,
    v ← β·v + lr·∇L(w − β·v), w ← w − v. This one (Sutskever et al., PyTorch, Keras) stores
    that look-ahead point instead of w, so it needs only the gradient at the weights it holds:
    b ← β·b + g, w ← w − lr·(g + β·b). Its weights are exactly the guide's w − β·v.
    """

    def __init__(
        self,
        params: Any = None,
        lr: float = 1e-2,
        beta: float = 0.9,
        weight_decay: float = 0.0,
        learning_rate: float | None = None,
        **clipping: float | None,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            momentum=beta,
            weight_decay=weight_decay,
            nesterov=True,
            learning_rate=learning_rate,
            **clipping,
        )
