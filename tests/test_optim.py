"""Optimizers and gradient clipping: PyTorch parity, the study guide's formulas by hand,
convergence, Value/Tensor agreement, checkpoints, hyper-parameter checks and clipping."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import optim
from autograd import Tensor, Value

Factory = Callable[[list[Any]], optim.Optimizer]


@pytest.fixture
def torch64() -> Iterator[Any]:
    """torch with float64 as the default dtype for the test, restored afterwards (skips without
    torch, so the rest of the module runs anyway)."""
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield torch
    finally:
        torch.set_default_dtype(previous)


def _leaf(data: Any) -> Tensor:
    return Tensor(data, dtype="float64", requires_grad=True)


def _hyper(opt: optim.Optimizer) -> list[dict[str, Any]]:
    return [{k: v for k, v in group.items() if k != "params"} for group in opt.param_groups]


# ----- a small float64 problem: a 2-layer tanh MLP on a fixed batch -----

_rng = np.random.default_rng(0)
MLP_X = _rng.normal(size=(16, 3))
MLP_Y = _rng.normal(size=(16, 2))
MLP_INIT = [
    0.5 * _rng.normal(size=(3, 5)),  # w1
    0.1 * _rng.normal(size=(5,)),  # b1
    0.5 * _rng.normal(size=(5, 2)),  # w2
    0.1 * _rng.normal(size=(2,)),  # b2
]
PARITY_STEPS = 50


def _mlp_loss(params: list[Tensor]) -> Tensor:
    w1, b1, w2, b2 = params
    hidden = (Tensor(MLP_X, dtype="float64") @ w1 + b1).tanh()
    error = hidden @ w2 + b2 - MLP_Y
    return (error * error).mean()


def _train_ours(groups: Callable[[list[Tensor]], Any], make: Factory) -> list[np.ndarray]:
    params = [_leaf(a) for a in MLP_INIT]
    opt = make(groups(params))
    for _ in range(PARITY_STEPS):
        opt.zero_grad()
        _mlp_loss(params).backward()
        opt.step()
    return [p.data for p in params]


def _train_torch(torch: Any, groups: Callable[[list[Any]], Any], make: Any) -> list[np.ndarray]:
    params = [torch.tensor(a, requires_grad=True) for a in MLP_INIT]
    x, y = torch.tensor(MLP_X), torch.tensor(MLP_Y)
    opt = make(groups(params))
    for _ in range(PARITY_STEPS):
        opt.zero_grad()
        w1, b1, w2, b2 = params
        error = torch.tanh(x @ w1 + b1) @ w2 + b2 - y
        (error * error).mean().backward()
        opt.step()
    return [p.detach().numpy() for p in params]


def _assert_parity(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-12)
    # The comparison means something only if the parameters really moved.
    moved = max(float(np.max(np.abs(p - p0))) for p, p0 in zip(ours, MLP_INIT))
    assert moved > 1e-2


def _parity(
    case_id: str,
    ours: str,
    kwargs: dict[str, Any],
    torch_name: str | None = None,
    torch_kwargs: dict[str, Any] | None = None,
) -> Any:
    """One parity case: our ``optim.<ours>(**kwargs)`` against ``torch.optim.<torch_name>``."""
    torch_kwargs = kwargs if torch_kwargs is None else torch_kwargs
    return pytest.param(ours, kwargs, torch_name or ours, torch_kwargs, id=case_id)


PARITY = [
    _parity("sgd", "SGD", {"lr": 0.1}),
    _parity("sgd-momentum", "SGD", {"lr": 0.1, "momentum": 0.9}),
    _parity("sgd-dampening", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    _parity("sgd-nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    _parity("sgd-weight-decay", "SGD", {"lr": 0.1, "weight_decay": 0.05}),
    _parity("sgd-momentum-weight-decay", "SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05}),
    _parity("momentum", "Momentum", {"lr": 0.1, "beta": 0.9}, "SGD", {"lr": 0.1, "momentum": 0.9}),
    _parity(
        "nesterov",
        "Nesterov",
        {"lr": 0.1, "beta": 0.8, "weight_decay": 0.01},
        "SGD",
        {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
    ),
    _parity("adagrad", "Adagrad", {"lr": 0.1}),
    _parity("adagrad-lr-decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    _parity("adagrad-weight-decay", "Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    _parity(
        "adagrad-initial-accumulator", "Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}
    ),
    _parity("adagrad-eps", "Adagrad", {"lr": 0.1, "eps": 0.1}),
    _parity("rmsprop", "RMSprop", {"lr": 0.01}),
    _parity("rmsprop-momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}),
    _parity("rmsprop-centered", "RMSprop", {"lr": 0.01, "centered": True}),
    _parity(
        "rmsprop-centered-momentum",
        "RMSprop",
        {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.9},
    ),
    _parity("rmsprop-weight-decay", "RMSprop", {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-3}),
    _parity("adam", "Adam", {"lr": 0.01}),
    _parity("adam-amsgrad", "Adam", {"lr": 0.01, "betas": (0.8, 0.9), "amsgrad": True}),
    _parity("adam-weight-decay", "Adam", {"lr": 0.01, "weight_decay": 0.1}),
    _parity("adamw-default-weight-decay", "AdamW", {"lr": 0.01}),
    _parity("adamw-weight-decay", "AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    _parity("adadelta", "AdaDelta", {}, "Adadelta"),
    _parity(
        "adadelta-options",
        "AdaDelta",
        {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1},
        "Adadelta",
    ),
    _parity("adamax", "Adamax", {"lr": 0.02}),
    _parity(
        "adamax-weight-decay", "Adamax", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.1}
    ),
    _parity("nadam", "NAdam", {"lr": 0.01}),
    _parity("nadam-weight-decay", "NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    _parity("nadam-momentum-decay", "NAdam", {"lr": 0.01, "momentum_decay": 0.02}),
]


@pytest.mark.parametrize(("ours", "kwargs", "torch_name", "torch_kwargs"), PARITY)
def test_optimizer_matches_torch_for_50_steps_on_a_tanh_mlp(
    torch64: Any, ours: str, kwargs: dict, torch_name: str, torch_kwargs: dict
) -> None:
    ours_params = _train_ours(lambda ps: ps, lambda ps: getattr(optim, ours)(ps, **kwargs))
    torch_make = getattr(torch64.optim, torch_name)
    theirs = _train_torch(torch64, lambda ps: ps, lambda ps: torch_make(ps, **torch_kwargs))
    _assert_parity(ours_params, theirs)


def _two_groups(params: list[Any]) -> list[dict[str, Any]]:
    """The first layer at the optimizer's lr, the second at a group lr of its own."""
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.003}]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        pytest.param("SGD", {"lr": 0.1, "momentum": 0.9}, id="sgd-momentum"),
        pytest.param("Adagrad", {"lr": 0.1}, id="adagrad"),
        pytest.param("RMSprop", {"lr": 0.01, "centered": True}, id="rmsprop-centered"),
        pytest.param("Adam", {"lr": 0.02}, id="adam"),
        pytest.param("AdamW", {"lr": 0.02}, id="adamw"),
        pytest.param("NAdam", {"lr": 0.02}, id="nadam"),
    ],
)
def test_two_parameter_groups_with_different_lr_match_torch(
    torch64: Any, name: str, kwargs: dict
) -> None:
    opt = getattr(optim, name)
    ours = _train_ours(_two_groups, lambda groups: opt(groups, **kwargs))
    theirs_opt = getattr(torch64.optim, name)
    theirs = _train_torch(torch64, _two_groups, lambda groups: theirs_opt(groups, **kwargs))
    _assert_parity(ours, theirs)
    # The group lr really is used: one lr for every parameter ends elsewhere.
    single = _train_ours(lambda ps: ps, lambda ps: opt(ps, **kwargs))
    assert not np.allclose(single[2], ours[2], rtol=1e-3)


# ----- the study guide's formulas, by hand in numpy -----

QUAD_C = np.array([0.5, 1.0, 2.0])
QUAD_T = np.array([1.0, -2.0, 0.5])
QUAD_W0 = np.array([3.0, 1.0, -1.0])
HAND_STEPS = 6


def _quad_grad(w: np.ndarray) -> np.ndarray:
    """The gradient of Σ c·(w − t)²."""
    return 2 * QUAD_C * (w - QUAD_T)


def _ours_on_quadratic(kind: str, make: Factory, steps: int = HAND_STEPS) -> list[np.ndarray]:
    """Our trajectory on Σ c·(w − t)², with ``w`` one float64 Tensor or three Values."""
    if kind == "tensor":
        w = _leaf(QUAD_W0)
        params: list[Any] = [w]

        def loss() -> Any:
            return ((w - QUAD_T) * (w - QUAD_T) * QUAD_C).sum()

        def data() -> np.ndarray:
            return w.data.copy()

    else:
        values = [Value(float(x)) for x in QUAD_W0]
        params = values

        def loss() -> Any:
            terms = [float(c) * (v - float(t)) ** 2 for v, c, t in zip(values, QUAD_C, QUAD_T)]
            return terms[0] + terms[1] + terms[2]

        def data() -> np.ndarray:
            return np.array([v.data for v in values])

    opt = make(params)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        loss().backward()
        opt.step()
        out.append(data())
    return out


def _assert_trajectory(ours: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(ours) == len(expected)
    for step, (mine, reference) in enumerate(zip(ours, expected)):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-14, err_msg=f"step {step}")


KINDS = ["value", "tensor"]


@pytest.mark.parametrize("kind", KINDS)
def test_sgd_is_w_minus_lr_times_g(kind: str) -> None:
    lr, w, expected = 0.1, QUAD_W0.copy(), []
    for _ in range(HAND_STEPS):
        w = w - lr * _quad_grad(w)
        expected.append(w)
    _assert_trajectory(_ours_on_quadratic(kind, lambda p: optim.SGD(p, lr=lr)), expected)


@pytest.mark.parametrize("kind", KINDS)
def test_momentum_velocity_form(kind: str) -> None:
    lr, beta = 0.1, 0.7
    w, v, expected = QUAD_W0.copy(), np.zeros(3), []
    for _ in range(HAND_STEPS):
        v = beta * v + lr * _quad_grad(w)
        w = w - v
        expected.append(w)
    ours = _ours_on_quadratic(kind, lambda p: optim.Momentum(p, lr=lr, beta=beta))
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_momentum_average_form(kind: str) -> None:
    lr, beta = 0.1, 0.7
    w, v, expected = QUAD_W0.copy(), np.zeros(3), []
    for _ in range(HAND_STEPS):
        v = beta * v + (1 - beta) * _quad_grad(w)
        w = w - lr * v
        expected.append(w)
    ours = _ours_on_quadratic(kind, lambda p: optim.Momentum(p, lr=lr, beta=beta, average=True))
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_nesterov_holds_the_look_ahead_point_of_the_guides_form(kind: str) -> None:
    """Guide: v ← βv + lr·∇L(w − βv), w ← w − v. Our weights are the guide's w − βv."""
    lr, beta = 0.1, 0.7
    w, v, look_ahead = QUAD_W0.copy(), np.zeros(3), []
    for _ in range(HAND_STEPS):
        v = beta * v + lr * _quad_grad(w - beta * v)
        w = w - v
        look_ahead.append(w - beta * v)
    ours = _ours_on_quadratic(kind, lambda p: optim.Nesterov(p, lr=lr, beta=beta))
    _assert_trajectory(ours, look_ahead)


@pytest.mark.parametrize("kind", KINDS)
def test_adagrad_adds_eps_after_the_square_root(kind: str) -> None:
    lr, eps = 0.5, 0.5  # a large eps, so where it goes matters
    w, total, expected, eps_inside = QUAD_W0.copy(), np.zeros(3), [], []
    for _ in range(HAND_STEPS):
        g = _quad_grad(w)
        total = total + g * g
        eps_inside.append(w - lr * g / np.sqrt(total + eps))
        w = w - lr * g / (np.sqrt(total) + eps)
        expected.append(w)
    ours = _ours_on_quadratic(kind, lambda p: optim.Adagrad(p, lr=lr, eps=eps))
    _assert_trajectory(ours, expected)
    assert not np.allclose(ours[0], eps_inside[0])


@pytest.mark.parametrize("kind", KINDS)
def test_adagrad_lr_decay_and_initial_accumulator(kind: str) -> None:
    lr, decay, start, eps = 0.5, 0.2, 0.3, 1e-10
    w, total, expected = QUAD_W0.copy(), np.full(3, start), []
    for t in range(1, HAND_STEPS + 1):
        g = _quad_grad(w)
        total = total + g * g
        w = w - lr / (1 + (t - 1) * decay) * g / (np.sqrt(total) + eps)
        expected.append(w)
    ours = _ours_on_quadratic(
        kind, lambda p: optim.Adagrad(p, lr=lr, lr_decay=decay, initial_accumulator_value=start)
    )
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_rmsprop_divides_by_the_root_of_the_running_mean_square(kind: str) -> None:
    lr, alpha, eps = 0.05, 0.8, 1e-8
    w, square, expected = QUAD_W0.copy(), np.zeros(3), []
    for _ in range(HAND_STEPS):
        g = _quad_grad(w)
        square = alpha * square + (1 - alpha) * g**2
        w = w - lr * g / (np.sqrt(square) + eps)
        expected.append(w)
    ours = _ours_on_quadratic(kind, lambda p: optim.RMSprop(p, lr=lr, alpha=alpha))
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_rmsprop_centered_with_momentum(kind: str) -> None:
    lr, alpha, eps, beta = 0.05, 0.8, 1e-8, 0.5
    w, square, mean, buffer, expected = QUAD_W0.copy(), np.zeros(3), np.zeros(3), np.zeros(3), []
    for _ in range(HAND_STEPS):
        g = _quad_grad(w)
        square = alpha * square + (1 - alpha) * g**2
        mean = alpha * mean + (1 - alpha) * g
        buffer = beta * buffer + g / (np.sqrt(square - mean**2) + eps)
        w = w - lr * buffer
        expected.append(w)
    ours = _ours_on_quadratic(
        kind, lambda p: optim.RMSprop(p, lr=lr, alpha=alpha, centered=True, momentum=beta)
    )
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_adam_with_bias_correction(kind: str) -> None:
    lr, beta1, beta2, eps = 0.1, 0.8, 0.9, 1e-8
    w, m, v, expected = QUAD_W0.copy(), np.zeros(3), np.zeros(3), []
    for t in range(1, HAND_STEPS + 1):
        g = _quad_grad(w)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(w)
    ours = _ours_on_quadratic(kind, lambda p: optim.Adam(p, lr=lr, betas=(beta1, beta2)))
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_adamw_decays_the_weights_before_the_adam_step(kind: str) -> None:
    lr, beta1, beta2, eps, decay = 0.1, 0.8, 0.9, 1e-8, 0.5
    w, m, v, expected = QUAD_W0.copy(), np.zeros(3), np.zeros(3), []
    for t in range(1, HAND_STEPS + 1):
        g = _quad_grad(w)
        w = w * (1 - lr * decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        w = w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        expected.append(w)
    ours = _ours_on_quadratic(
        kind, lambda p: optim.AdamW(p, lr=lr, betas=(beta1, beta2), weight_decay=decay)
    )
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_adadelta_needs_no_learning_rate(kind: str) -> None:
    rho, eps = 0.9, 1e-6
    w, square, delta_square, expected = QUAD_W0.copy(), np.zeros(3), np.zeros(3), []
    for _ in range(HAND_STEPS):
        g = _quad_grad(w)
        square = rho * square + (1 - rho) * g**2
        delta = np.sqrt(delta_square + eps) / np.sqrt(square + eps) * g
        delta_square = rho * delta_square + (1 - rho) * delta**2
        w = w - delta
        expected.append(w)
    ours = _ours_on_quadratic(kind, lambda p: optim.AdaDelta(p, rho=rho, eps=eps))
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_adamax_uses_the_infinity_norm(kind: str) -> None:
    lr, beta1, beta2, eps = 0.1, 0.8, 0.9, 1e-8
    w, m, u, expected = QUAD_W0.copy(), np.zeros(3), np.zeros(3), []
    for t in range(1, HAND_STEPS + 1):
        g = _quad_grad(w)
        m = beta1 * m + (1 - beta1) * g
        u = np.maximum(beta2 * u, np.abs(g) + eps)
        w = w - lr / (1 - beta1**t) * m / u
        expected.append(w)
    ours = _ours_on_quadratic(kind, lambda p: optim.Adamax(p, lr=lr, betas=(beta1, beta2)))
    _assert_trajectory(ours, expected)


@pytest.mark.parametrize("kind", KINDS)
def test_nadam_as_in_its_docstring(kind: str) -> None:
    lr, beta1, beta2, eps, psi = 0.1, 0.8, 0.9, 1e-8, 0.05
    w, m, v, product, expected = QUAD_W0.copy(), np.zeros(3), np.zeros(3), 1.0, []

    def mu(t: int) -> float:
        return beta1 * (1 - 0.5 * 0.96 ** (t * psi))

    for t in range(1, HAND_STEPS + 1):
        g = _quad_grad(w)
        product *= mu(t)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        denominator = np.sqrt(v / (1 - beta2**t)) + eps
        w = (
            w
            - lr
            * ((1 - mu(t)) / (1 - product) * g + mu(t + 1) / (1 - product * mu(t + 1)) * m)
            / denominator
        )
        expected.append(w)
    ours = _ours_on_quadratic(
        kind, lambda p: optim.NAdam(p, lr=lr, betas=(beta1, beta2), momentum_decay=psi)
    )
    _assert_trajectory(ours, expected)


# ----- every optimizer minimises the seed's quadratic -----

CONVERGENCE = [
    pytest.param(lambda p: optim.SGD(p, lr=0.1), 100, id="sgd"),
    pytest.param(lambda p: optim.SGD(p, lr=0.05, momentum=0.9), 200, id="sgd-momentum"),
    pytest.param(
        lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True), 200, id="sgd-nesterov"
    ),
    pytest.param(lambda p: optim.Momentum(p, lr=0.05, beta=0.9), 200, id="momentum"),
    pytest.param(
        lambda p: optim.Momentum(p, lr=0.1, beta=0.9, average=True), 300, id="momentum-average"
    ),
    pytest.param(lambda p: optim.Nesterov(p, lr=0.05, beta=0.9), 200, id="nesterov"),
    pytest.param(lambda p: optim.Adagrad(p, lr=1.0), 200, id="adagrad"),
    pytest.param(lambda p: optim.RMSprop(p, lr=0.01), 1000, id="rmsprop"),
    pytest.param(
        lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
        1000,
        id="rmsprop-centered-momentum",
    ),
    pytest.param(lambda p: optim.AdaDelta(p), 2000, id="adadelta"),
    pytest.param(lambda p: optim.Adam(p, lr=0.1), 300, id="adam"),
    pytest.param(lambda p: optim.Adam(p, lr=0.1, amsgrad=True), 300, id="adam-amsgrad"),
    pytest.param(lambda p: optim.AdamW(p, lr=0.1, betas=(0.9, 0.99)), 1000, id="adamw"),
    pytest.param(lambda p: optim.Adamax(p, lr=0.1), 400, id="adamax"),
    pytest.param(lambda p: optim.NAdam(p, lr=0.1), 300, id="nadam"),
]


@pytest.mark.parametrize(("make", "steps"), CONVERGENCE)
def test_minimises_the_seed_quadratic_to_minus_one(make: Factory, steps: int) -> None:
    x = Value(3.0)
    opt = make([x])
    for _ in range(steps):
        opt.zero_grad()
        loss = x**2 + 2 * x + 1
        loss.backward()
        opt.step()
    assert abs(x.data + 1) < 1e-3


# ----- Values and Tensors get the same update -----

CONFIGS = [
    pytest.param(
        optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
        id="sgd-momentum",
    ),
    pytest.param(optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}, id="sgd-nesterov"),
    pytest.param(optim.Momentum, {"lr": 0.05, "beta": 0.8}, id="momentum"),
    pytest.param(optim.Momentum, {"lr": 0.05, "average": True}, id="momentum-average"),
    pytest.param(optim.Nesterov, {"lr": 0.05, "weight_decay": 0.01}, id="nesterov"),
    pytest.param(
        optim.Adagrad,
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
        id="adagrad",
    ),
    pytest.param(
        optim.RMSprop,
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.01},
        id="rmsprop",
    ),
    pytest.param(optim.AdaDelta, {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}, id="adadelta"),
    pytest.param(optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}, id="adam"),
    pytest.param(optim.AdamW, {"lr": 0.01, "betas": (0.8, 0.95)}, id="adamw"),
    pytest.param(optim.Adamax, {"lr": 0.01, "weight_decay": 0.01}, id="adamax"),
    pytest.param(optim.NAdam, {"lr": 0.01, "momentum_decay": 0.01}, id="nadam"),
]

SIX = np.random.default_rng(1).normal(size=6)


def _made_up_grad(w: np.ndarray) -> np.ndarray:
    """A gradient that depends on the weights, given to the optimizer directly."""
    return np.sin(3 * w) + 0.5 * w - 0.2


def _run_with_given_grads(cls: type, kwargs: dict, kind: str, steps: int = 25) -> dict:
    """Trajectories of six weights: one (2, 3) Tensor, six Values, or both in one optimizer."""
    tensor = _leaf(SIX.reshape(2, 3)) if kind in ("tensor", "mixed") else None
    values = [Value(float(x)) for x in SIX] if kind in ("values", "mixed") else []
    params: list[Any] = ([tensor] if tensor is not None else []) + values
    opt = cls(params, **kwargs)
    out: dict[str, list[np.ndarray]] = {"tensor": [], "values": []}
    for _ in range(steps):
        opt.zero_grad()
        if tensor is not None:
            tensor.grad = _made_up_grad(tensor.data)
            out["tensor"].append(tensor.data.ravel().copy())
        if values:
            for v, g in zip(values, _made_up_grad(np.array([v.data for v in values]))):
                v.grad = float(g)
            out["values"].append(np.array([v.data for v in values]))
        opt.step()
    return out


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS)
def test_values_and_a_float64_tensor_get_identical_updates(cls: type, kwargs: dict) -> None:
    tensors = _run_with_given_grads(cls, kwargs, "tensor")["tensor"]
    values = _run_with_given_grads(cls, kwargs, "values")["values"]
    mixed = _run_with_given_grads(cls, kwargs, "mixed")
    assert not np.array_equal(tensors[0], tensors[-1])
    for step in range(len(tensors)):
        np.testing.assert_array_equal(values[step], tensors[step])
        np.testing.assert_array_equal(mixed["tensor"][step], tensors[step])
        np.testing.assert_array_equal(mixed["values"][step], tensors[step])


def test_values_and_tensor_agree_through_backward_too() -> None:
    """The same weighted quadratic, written with Values and with a Tensor, trained by Adam."""
    tensor_run = _ours_on_quadratic("tensor", lambda p: optim.Adam(p, lr=0.1), steps=20)
    value_run = _ours_on_quadratic("value", lambda p: optim.Adam(p, lr=0.1), steps=20)
    for a, b in zip(tensor_run, value_run):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_the_values_of_a_group_share_one_state_slot_and_each_tensor_has_its_own() -> None:
    a, b = _leaf([1.0, 2.0]), _leaf([[3.0]])
    values = [Value(1.0), Value(-1.0), Value(0.5)]
    opt = optim.Adam([a, *values, b], lr=0.1)
    for p in (a, b):
        p.grad = np.ones_like(p.data)
    for v in values:
        v.grad = 1.0
    opt.step()
    assert len(opt.state) == 3
    assert opt.state[a]["exp_avg"].shape == (2,)
    assert opt.state[b]["exp_avg"].shape == (1, 1)
    assert sorted(s["exp_avg"].shape for s in opt.state.values()) == [(1, 1), (2,), (3,)]


def _scalar_loss(p: Tensor) -> Tensor:
    return ((p - 0.2) * (p - 0.2)).sum() + (p * 3.0).tanh().sum()


@pytest.mark.parametrize("source", ["backward", "0-d-array"])
@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS)
def test_a_zero_dimensional_tensor_steps_like_a_one_element_vector(
    cls: type, kwargs: dict, source: str
) -> None:
    """A scalar parameter (a 0-d Tensor, as torch allows) takes the steps of its (1,) twin,
    whether its gradient comes from backward or is set as a 0-d array."""
    scalar, vector = _leaf(0.7), _leaf([0.7])
    scalar_opt, vector_opt = cls([scalar], **kwargs), cls([vector], **kwargs)
    for _ in range(5):
        for p, opt in ((scalar, scalar_opt), (vector, vector_opt)):
            opt.zero_grad()
            if source == "backward":
                _scalar_loss(p).backward()
            else:
                p.grad = np.asarray(_made_up_grad(p.data))
            opt.step()
    assert scalar.data.shape == ()
    assert scalar.data != 0.7
    np.testing.assert_allclose(scalar.data, vector.data[0], rtol=1e-12, atol=1e-15)


# ----- gradients that are None, and zero_grad -----


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS)
def test_a_tensor_without_a_gradient_is_skipped_and_gets_no_state(cls: type, kwargs: dict) -> None:
    used, unused = _leaf([1.0, -2.0]), _leaf([0.5, 0.25])
    opt = cls([used, unused], **kwargs)
    used.grad = np.array([0.3, -0.4])
    opt.step()
    opt.step()
    np.testing.assert_array_equal(unused.data, [0.5, 0.25])
    assert unused.grad is None
    assert unused not in opt.state
    assert used in opt.state
    assert not np.array_equal(used.data, [1.0, -2.0])


def test_zero_grad_sets_tensor_grads_to_none_and_value_grads_to_zero() -> None:
    t, v = _leaf([1.0, 2.0]), Value(3.0)
    opt = optim.SGD([t, v], lr=0.1)
    ((t * t).sum()).backward()
    (v * v).backward()
    assert t.grad is not None
    assert v.grad == 6.0
    opt.zero_grad()
    assert t.grad is None
    assert v.grad == 0.0


def test_zero_grad_without_set_to_none_gives_zeros_of_the_tensors_shape() -> None:
    t, never, v = _leaf([[1.0, 2.0]]), _leaf([5.0]), Value(3.0)
    opt = optim.SGD([t, never, v], lr=0.1)
    ((t * t).sum()).backward()
    (v * v).backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(t.grad, np.zeros((1, 2)))
    assert t.grad.dtype == t.data.dtype
    assert never.grad is None  # no gradient to zero
    assert v.grad == 0.0


def test_step_with_a_closure_returns_its_loss_and_uses_its_gradients() -> None:
    w = _leaf([2.0])
    opt = optim.SGD([w], lr=0.25)

    def closure() -> Tensor:
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.data) == 4.0
    np.testing.assert_allclose(w.data, [2.0 - 0.25 * 4.0])


def test_a_gradient_of_the_wrong_shape_is_refused() -> None:
    w = _leaf([1.0, 2.0])
    w.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"shape \(2,\) has a gradient of shape \(3,\)"):
        optim.SGD([w], lr=0.1).step()


# ----- checkpoints -----

CKPT_X = np.random.default_rng(2).normal(size=(6, 3))
CKPT_Y = np.random.default_rng(3).normal(size=(6, 2))
CKPT_INIT = {
    "w": np.random.default_rng(4).normal(size=(3, 2)),
    "b": np.array([0.1, -0.2]),
    "v": np.array([0.3, -0.5, 0.8, 0.2]),
}


class _Model:
    """A small model with Tensor parameters, Value parameters, or both (``kind``)."""

    def __init__(self, kind: str, init: dict[str, np.ndarray]) -> None:
        self.tensors = [_leaf(init["w"]), _leaf(init["b"])] if kind != "values" else []
        self.values = [Value(float(x)) for x in init["v"]] if kind != "tensors" else []

    def parameters(self) -> list[Any]:
        return [*self.tensors, *self.values]

    def backward(self) -> None:
        if self.tensors:
            w, b = self.tensors
            error = (Tensor(CKPT_X, dtype="float64") @ w + b).tanh() - CKPT_Y
            (error * error).mean().backward()
        if self.values:
            a, c, d, e = self.values
            total = Value(0.0)
            for (x0, x1, _), (y, _) in zip(CKPT_X.tolist(), CKPT_Y.tolist()):
                error = (a * x0 + c * x1 + d).tanh() * e - y
                total = total + error * error
            total.backward()

    def snapshot(self) -> dict[str, np.ndarray]:
        out = {"v": np.array([v.data for v in self.values])}
        if self.tensors:
            out["w"], out["b"] = (t.data.copy() for t in self.tensors)
        return out


def _train(model: _Model, opt: optim.Optimizer, steps: int) -> list[dict[str, np.ndarray]]:
    out = []
    for _ in range(steps):
        opt.zero_grad()
        model.backward()
        opt.step()
        out.append(model.snapshot())
    return out


def _assert_same_run(got: list[dict], expected: list[dict]) -> None:
    assert len(got) == len(expected)
    for mine, reference in zip(got, expected):
        assert mine.keys() == reference.keys()
        for key in mine:
            np.testing.assert_array_equal(mine[key], reference[key])


@pytest.mark.parametrize("kind", ["values", "tensors", "mixed"])
@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS)
def test_a_saved_optimizer_continues_the_same_trajectory(
    tmp_path: Any, cls: type, kwargs: dict, kind: str
) -> None:
    model = _Model(kind, CKPT_INIT)
    opt = cls(model.parameters(), **kwargs)
    _train(model, opt, 20)
    opt.save(tmp_path / "opt.npz")
    np.savez(tmp_path / "state_dict.npz", **opt.state_dict())
    saved = {**CKPT_INIT, **model.snapshot()}
    expected = _train(model, opt, 30)

    def with_load(fresh: optim.Optimizer) -> None:
        fresh.load(tmp_path / "opt.npz")

    def with_load_state_dict(fresh: optim.Optimizer) -> None:
        with np.load(tmp_path / "state_dict.npz") as arrays:
            fresh.load_state_dict(arrays)

    for restore in (with_load, with_load_state_dict):
        fresh_model = _Model(kind, saved)
        fresh = cls(fresh_model.parameters())  # default hyper-parameters: the file restores them
        restore(fresh)
        assert _hyper(fresh) == _hyper(opt)
        _assert_same_run(_train(fresh_model, fresh, 30), expected)

    # Without the checkpoint the run differs, so the comparison above is not vacuous.
    unrestored_model = _Model(kind, saved)
    unrestored = cls(unrestored_model.parameters(), **kwargs)
    run = _train(unrestored_model, unrestored, 30)
    assert any(not np.array_equal(run[-1][k], expected[-1][k]) for k in run[-1])


def test_a_saved_file_is_read_without_pickle_and_holds_only_plain_arrays(tmp_path: Any) -> None:
    model = _Model("mixed", CKPT_INIT)
    opt = optim.NAdam(model.parameters(), lr=0.01)
    _train(model, opt, 3)
    opt.save(tmp_path / "opt.npz")
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as saved:
        assert str(saved["optimizer"]) == "NAdam"
        assert all(saved[key].dtype != object for key in saved.files)
        assert set(saved.files) == set(opt.state_dict())


def test_save_writes_exactly_to_the_path_given(tmp_path: Any) -> None:
    w = _leaf([1.0, 2.0])
    opt = optim.Adam([w], lr=0.1)
    w.grad = np.array([0.5, -0.5])
    opt.step()
    opt.save(tmp_path / "checkpoint.bin")
    assert os.listdir(tmp_path) == ["checkpoint.bin"]
    fresh = optim.Adam([_leaf([1.0, 2.0])])
    fresh.load(tmp_path / "checkpoint.bin")
    assert fresh.param_groups[0]["lr"] == 0.1


def test_save_replaces_an_existing_file_and_leaves_no_temporary_file(tmp_path: Any) -> None:
    path = tmp_path / "opt.npz"
    path.write_bytes(b"an older, unrelated file")
    w = _leaf([1.0, 2.0])
    opt = optim.RMSprop([w], lr=0.1, momentum=0.9)
    w.grad = np.array([0.5, -0.5])
    opt.step()
    opt.save(path)
    opt.step()
    opt.save(path)
    assert os.listdir(tmp_path) == ["opt.npz"]
    with np.load(path, allow_pickle=False) as saved:
        np.testing.assert_array_equal(saved["state/0/0/square_avg"], opt.state[w]["square_avg"])
        assert int(saved["number/0/0/step"]) == 2


def test_a_failed_save_removes_its_temporary_file(tmp_path: Any) -> None:
    (tmp_path / "opt.npz").mkdir()  # os.replace cannot put a file over a directory
    opt = optim.SGD([_leaf([1.0])], lr=0.1)
    with pytest.raises(OSError):
        opt.save(tmp_path / "opt.npz")
    assert os.listdir(tmp_path) == ["opt.npz"]


def _stepped_adam(params: Any) -> optim.Adam:
    opt = optim.Adam(params, lr=0.1)
    for group in opt.param_groups:
        for p in group["params"]:
            if isinstance(p, Tensor):
                p.grad = np.ones_like(p.data)
            else:
                p.grad = 1.0
    opt.step()
    return opt


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param(
            lambda: optim.SGD([_leaf(np.zeros((3, 2))), _leaf(np.zeros(2))]),
            "for Adam, not SGD",
            id="optimizer-type",
        ),
        pytest.param(
            lambda: optim.Adam([_leaf(np.zeros((3, 2)))]),
            "2 parameter slot.*1",
            id="parameter-count",
        ),
        pytest.param(
            lambda: optim.Adam([_leaf(np.zeros((2, 3))), _leaf(np.zeros(2))]),
            r"shape \(2, 3\).*shape \(3, 2\)",
            id="shape",
        ),
        pytest.param(
            lambda: optim.Adam([{"params": [_leaf(np.zeros((3, 2)))]}, {"params": [_leaf([0.0])]}]),
            "1 parameter group.*2",
            id="group-count",
        ),
        pytest.param(
            lambda: optim.Adam([Value(0.0), Value(0.0), _leaf(np.zeros((3, 2)))]),
            "Values",
            id="values-for-a-tensor",
        ),
    ],
)
def test_a_checkpoint_that_does_not_fit_is_refused_and_changes_nothing(
    tmp_path: Any, target: Callable[[], optim.Optimizer], message: str
) -> None:
    _stepped_adam([_leaf(np.zeros((3, 2))), _leaf(np.zeros(2))]).save(tmp_path / "opt.npz")
    opt = target()
    before = _hyper(opt)
    with pytest.raises(ValueError, match=message):
        opt.load(tmp_path / "opt.npz")
    assert opt.state == {}
    assert _hyper(opt) == before


def test_load_state_dict_copies_the_arrays_it_is_given() -> None:
    w = _leaf([1.0, 2.0])
    opt = _stepped_adam([w])
    saved = opt.state_dict()
    kept = {key: value.copy() for key, value in saved.items()}
    fresh_w = _leaf(w.data.copy())
    fresh = optim.Adam([fresh_w])
    fresh.load_state_dict(saved)
    fresh_w.grad = np.array([0.3, 0.4])
    fresh.step()
    for key in kept:
        np.testing.assert_array_equal(saved[key], kept[key])


# ----- hyper-parameters that make no sense -----


def _w() -> Tensor:
    return _leaf([1.0, 2.0])


BAD = [
    pytest.param(lambda: optim.SGD([_w()], lr=-0.1), ValueError, "lr", id="negative-lr"),
    pytest.param(lambda: optim.Adam([_w()], lr=-1e-3), ValueError, "lr", id="adam-negative-lr"),
    pytest.param(
        lambda: optim.SGD([_w()], momentum=-0.5), ValueError, "momentum", id="negative-momentum"
    ),
    pytest.param(
        lambda: optim.RMSprop([_w()], momentum=-0.5),
        ValueError,
        "momentum",
        id="rmsprop-negative-momentum",
    ),
    pytest.param(lambda: optim.Momentum([_w()], beta=-0.1), ValueError, "beta", id="beta-below-0"),
    pytest.param(lambda: optim.Momentum([_w()], beta=1.0), ValueError, "beta", id="beta-is-1"),
    pytest.param(
        lambda: optim.Adam([_w()], betas=(1.0, 0.999)), ValueError, r"betas\[0\]", id="beta1-is-1"
    ),
    pytest.param(
        lambda: optim.Adam([_w()], betas=(-0.1, 0.999)),
        ValueError,
        r"betas\[0\]",
        id="beta1-negative",
    ),
    pytest.param(
        lambda: optim.AdamW([_w()], betas=(0.9, 1.5)), ValueError, r"betas\[1\]", id="beta2-above-1"
    ),
    pytest.param(
        lambda: optim.NAdam([_w()], betas=(0.9, -0.2)),
        ValueError,
        r"betas\[1\]",
        id="beta2-negative",
    ),
    pytest.param(
        lambda: optim.Adamax([_w()], betas=0.9), ValueError, "betas must be a pair", id="one-beta"
    ),
    pytest.param(
        lambda: optim.Adam([_w()], betas=(0.9, 0.99, 0.999)),
        ValueError,
        "betas must be a pair",
        id="three-betas",
    ),
    pytest.param(lambda: optim.Adam([_w()], eps=-1e-8), ValueError, "eps", id="adam-negative-eps"),
    pytest.param(
        lambda: optim.Adagrad([_w()], eps=-1e-8), ValueError, "eps", id="adagrad-negative-eps"
    ),
    pytest.param(
        lambda: optim.RMSprop([_w()], eps=-1e-8), ValueError, "eps", id="rmsprop-negative-eps"
    ),
    pytest.param(
        lambda: optim.AdaDelta([_w()], eps=-1e-8), ValueError, "eps", id="adadelta-negative-eps"
    ),
    pytest.param(
        lambda: optim.SGD([_w()], weight_decay=-0.1),
        ValueError,
        "weight_decay",
        id="sgd-negative-weight-decay",
    ),
    pytest.param(
        lambda: optim.AdamW([_w()], weight_decay=-0.1),
        ValueError,
        "weight_decay",
        id="adamw-negative-weight-decay",
    ),
    pytest.param(
        lambda: optim.Adagrad([_w()], lr_decay=-0.1), ValueError, "lr_decay", id="adagrad-lr-decay"
    ),
    pytest.param(lambda: optim.AdaDelta([_w()], rho=1.5), ValueError, "rho", id="rho-above-1"),
    pytest.param(lambda: optim.AdaDelta([_w()], rho=-0.1), ValueError, "rho", id="rho-below-0"),
    pytest.param(lambda: optim.RMSprop([_w()], alpha=1.5), ValueError, "alpha", id="alpha-above-1"),
    pytest.param(
        lambda: optim.RMSprop([_w()], alpha=-0.1), ValueError, "alpha", id="alpha-below-0"
    ),
    pytest.param(
        lambda: optim.SGD([_w()], dampening=1.5), ValueError, "dampening", id="dampening-above-1"
    ),
    pytest.param(lambda: optim.SGD([_w()], lr=float("nan")), ValueError, "lr", id="nan-lr"),
    pytest.param(lambda: optim.SGD([_w()], lr="0.1"), TypeError, "lr", id="lr-a-string"),
    pytest.param(
        lambda: optim.SGD([_w()], nesterov=True), ValueError, "nesterov", id="nesterov-no-momentum"
    ),
    pytest.param(
        lambda: optim.SGD([_w()], momentum=0.9, dampening=0.1, nesterov=True),
        ValueError,
        "nesterov",
        id="nesterov-with-dampening",
    ),
    pytest.param(lambda: optim.SGD([]), ValueError, "empty parameter list", id="no-parameters"),
    pytest.param(
        lambda: optim.SGD([_w(), np.ones(2)]), TypeError, "parameter 1 is a ndarray", id="array"
    ),
    pytest.param(
        lambda: optim.SGD([_w() * 2.0]), ValueError, "parameter 0.*not a leaf", id="non-leaf"
    ),
    pytest.param(lambda: optim.SGD([Tensor([1, 2])]), TypeError, "dtype int64", id="int-tensor"),
    pytest.param(
        lambda: (lambda w: optim.SGD([w, w]))(_w()),
        ValueError,
        "parameter 1 appears twice",
        id="duplicate",
    ),
    pytest.param(
        lambda: (lambda v: optim.SGD([{"params": [v]}, {"params": [v]}]))(Value(1.0)),
        ValueError,
        "appears twice",
        id="duplicate-across-groups",
    ),
    pytest.param(
        lambda: optim.SGD([{"params": [_w()], "betas": (0.9, 0.99)}]),
        ValueError,
        r"unknown hyper-parameter.*betas",
        id="unknown-hyper-parameter",
    ),
    pytest.param(
        lambda: optim.SGD([{"params": [_w()], "lr": -1.0}]), ValueError, "lr", id="bad-group-lr"
    ),
    pytest.param(
        lambda: optim.SGD([{"params": [_w()]}, [_w()]]),
        TypeError,
        "'params'",
        id="group-not-a-dict",
    ),
]


@pytest.mark.parametrize(("make", "error", "message"), BAD)
def test_bad_hyper_parameters_are_refused_by_name(
    make: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


def test_add_param_group_refuses_a_parameter_already_being_optimized() -> None:
    w = _w()
    opt = optim.Adam([w])
    with pytest.raises(ValueError, match="appears twice"):
        opt.add_param_group({"params": [_w(), w], "lr": 0.1})
    assert len(opt.param_groups) == 1


def test_edge_values_of_the_ranges_are_accepted() -> None:
    optim.SGD([_w()], lr=0.0, momentum=0.0, dampening=1.0)
    optim.AdaDelta([_w()], rho=1.0)
    optim.RMSprop([_w()], alpha=0.0)
    optim.Adam([_w()], betas=(0.0, 0.0), eps=0.0)


# ----- gradient clipping -----


def _clip_params() -> tuple[list[Tensor], list[Value]]:
    rng = np.random.default_rng(5)
    tensors = [_leaf(rng.normal(size=(3, 4))), _leaf(rng.normal(size=(5,)))]
    for t in tensors:
        t.grad = rng.normal(size=t.shape) * 3.0
    values = [Value(0.0) for _ in range(4)]
    for v, g in zip(values, rng.normal(size=4) * 3.0):
        v.grad = float(g)
    return tensors, values


def _torch_twins(torch: Any, tensors: list[Tensor], values: list[Value]) -> list[Any]:
    """torch parameters holding the same gradients: each Tensor, then the Values as one."""
    twins = []
    grads = [t.grad for t in tensors]
    if values:
        grads.append(np.array([v.grad for v in values]))
    for grad in grads:
        twin = torch.zeros(grad.shape, requires_grad=True)
        twin.grad = torch.tensor(grad)
        twins.append(twin)
    return twins


def _grads(tensors: list[Tensor], values: list[Value]) -> list[np.ndarray]:
    out = [t.grad.copy() for t in tensors]
    if values:
        out.append(np.array([v.grad for v in values]))
    return out


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")], ids=["l2", "l1", "inf"])
@pytest.mark.parametrize("kind", ["tensors", "values", "mixed"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=["clipped", "below-max-norm"])
def test_clip_grad_norm_matches_torch(
    torch64: Any, norm_type: float, kind: str, max_norm: float
) -> None:
    tensors, values = _clip_params()
    tensors = tensors if kind != "values" else []
    values = values if kind != "tensors" else []
    params = [*tensors, *values]
    before = _grads(tensors, values)
    twins = _torch_twins(torch64, tensors, values)

    total = optim.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected = torch64.nn.utils.clip_grad_norm_(twins, max_norm, norm_type=norm_type)

    assert isinstance(total, float)
    np.testing.assert_allclose(total, float(expected), rtol=1e-12)
    for mine, twin in zip(_grads(tensors, values), twins, strict=True):
        np.testing.assert_allclose(mine, twin.grad.numpy(), rtol=1e-12, atol=1e-15)
    if max_norm > total:
        for mine, original in zip(_grads(tensors, values), before):
            np.testing.assert_array_equal(mine, original)
    else:
        flat = np.concatenate([g.ravel() for g in _grads(tensors, values)])
        assert np.linalg.norm(flat, ord=norm_type) == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_puts_values_and_tensors_in_one_vector() -> None:
    t, v = _leaf([0.0, 0.0]), Value(0.0)
    t.grad, v.grad = np.array([3.0, 0.0]), 4.0
    total = optim.clip_grad_norm_([t, v], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(t.grad, [3.0 / 5.0, 0.0], rtol=1e-5)
    assert v.grad == pytest.approx(4.0 / 5.0, rel=1e-5)


@pytest.mark.parametrize("bad", [float("inf"), float("nan")], ids=["inf", "nan"])
def test_clip_grad_norm_error_if_nonfinite(bad: float) -> None:
    t = _leaf([0.0, 0.0])
    t.grad = np.array([1.0, bad])
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        optim.clip_grad_norm_([t], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(t.grad, [1.0, bad])


@pytest.mark.parametrize("bad", [float("inf"), float("nan")], ids=["inf", "nan"])
def test_clip_grad_norm_of_a_nonfinite_gradient_clips_anyway_as_torch(
    torch64: Any, bad: float
) -> None:
    t = _leaf([0.0, 0.0, 0.0])
    t.grad = np.array([1.0, bad, 2.0])
    twin = torch64.zeros(3, requires_grad=True)
    twin.grad = torch64.tensor(t.grad)
    total = optim.clip_grad_norm_([t], 1.0)
    expected = torch64.nn.utils.clip_grad_norm_([twin], 1.0)
    np.testing.assert_array_equal(total, float(expected))
    np.testing.assert_array_equal(t.grad, twin.grad.numpy())


@pytest.mark.parametrize("kind", ["tensors", "values", "mixed"])
def test_clip_grad_value_matches_torch(torch64: Any, kind: str) -> None:
    tensors, values = _clip_params()
    tensors = tensors if kind != "values" else []
    values = values if kind != "tensors" else []
    twins = _torch_twins(torch64, tensors, values)
    optim.clip_grad_value_([*tensors, *values], 1.5)
    torch64.nn.utils.clip_grad_value_(twins, 1.5)
    clipped = _grads(tensors, values)
    for mine, twin in zip(clipped, twins, strict=True):
        np.testing.assert_array_equal(mine, twin.grad.numpy())
    assert max(float(np.max(np.abs(g))) for g in clipped) == 1.5


def test_clipping_skips_tensors_without_a_gradient() -> None:
    with_grad, without = _leaf([0.0, 0.0]), _leaf([0.0])
    with_grad.grad = np.array([6.0, 8.0])
    assert optim.clip_grad_norm_([with_grad, without], 1.0) == pytest.approx(10.0)
    optim.clip_grad_value_([with_grad, without], 0.1)
    assert without.grad is None
    np.testing.assert_allclose(with_grad.grad, [0.1, 0.1])
    assert optim.clip_grad_norm_([without], 1.0) == 0.0
    assert without.grad is None


def test_clipping_keeps_a_float32_gradient_float32() -> None:
    t = Tensor([0.0, 0.0], requires_grad=True)
    t.grad = np.array([30.0, 40.0], dtype=np.float32)
    optim.clip_grad_norm_(t, 5.0)
    assert t.grad.dtype == np.float32
    np.testing.assert_allclose(t.grad, [3.0, 4.0], rtol=1e-5)


def test_clipping_refuses_bad_arguments() -> None:
    t = _leaf([1.0])
    t.grad = np.array([1.0])
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm_([t], -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        optim.clip_grad_norm_([t], 1.0, norm_type=0.0)
    with pytest.raises(ValueError, match="clip_value"):
        optim.clip_grad_value_([t], -1.0)
    with pytest.raises(TypeError, match="ndarray"):
        optim.clip_grad_norm_([np.ones(2)], 1.0)
