"""Learning-rate schedules and the LR finder: against torch.optim.lr_scheduler, by hand, through
an optimizer, across a checkpoint, with bad arguments."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import optim
from autograd import Tensor, Value

LRS = (0.1, 0.03)  # two parameter groups with different rates
STEPS = 100


def _param(n: int = 2) -> Tensor:
    return Tensor(np.zeros(n), dtype="float64", requires_grad=True)


def _sgd(lrs: tuple[float, ...] = LRS, **options: Any) -> optim.SGD:
    return optim.SGD([{"params": [_param()], "lr": lr} for lr in lrs], **options)


def _torch_opt(torch: Any, kind: str = "SGD", lrs: tuple[float, ...] = LRS, **options: Any) -> Any:
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], "lr": lr}
        for lr in lrs
    ]
    return getattr(torch.optim, kind)(groups, **options)


def _noisy_metric(mode: str, n: int = STEPS, seed: int = 0) -> list[float]:
    """A validation curve that improves, then plateaus, with noise (Python floats)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    loss = 1.0 / (1.0 + 0.15 * t) + 0.3 + 0.04 * rng.standard_normal(n)
    return (loss if mode == "min" else 1.0 - loss).tolist()


def _assert_close(ours: list[float], theirs: list[float], what: str) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-13, err_msg=what)


# ----- 1. every schedule against torch.optim.lr_scheduler -----

TORCH_CASES: list[tuple[str, dict[str, Any]]] = [
    ("StepLR", {"step_size": 1, "gamma": 0.9}),
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("StepLR", {"step_size": 30, "gamma": 0.1}),
    ("StepLR", {"step_size": 3, "gamma": 1.05}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("ExponentialLR", {"gamma": 0.5}),
    ("ExponentialLR", {"gamma": 1.01}),
    ("CosineAnnealingLR", {"T_max": 100}),
    ("CosineAnnealingLR", {"T_max": 30}),  # runs past T_max: back up again, as torch
    ("CosineAnnealingLR", {"T_max": 25, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.005}),
    ("CosineAnnealingLR", {"T_max": 1, "eta_min": 0.001}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 20}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 50}),
    ("LinearLR", {"start_factor": 0.5, "end_factor": 0.5, "total_iters": 10}),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 150}),
    ("LinearLR", {"start_factor": 0.01, "end_factor": 1.0, "total_iters": 1}),
]


def _ids(cases: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [f"{name}-{','.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in cases]


@pytest.mark.parametrize(("name", "kwargs"), TORCH_CASES, ids=_ids(TORCH_CASES))
def test_schedule_matches_torch_for_100_steps(name: str, kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    ours_opt, torch_opt = _sgd(), _torch_opt(torch)
    ours = getattr(optim, name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(torch_opt, **kwargs)
    _compare(ours, ours_opt, theirs, torch_opt)


def _compare(
    ours: Any,
    ours_opt: optim.Optimizer,
    theirs: Any,
    torch_opt: Any,
    metrics: list[float] | None = None,
    momentum: Callable[[dict[str, Any]], float] | None = None,
) -> list[float]:
    """Step both for ``STEPS`` steps; compare get_last_lr, each group's lr (and momentum).
    Returns the momenta of our first group."""
    momenta = []
    for t in range(STEPS + 1):
        if t:
            ours_opt.step()
            torch_opt.step()
            if metrics is None:
                ours.step()
                theirs.step()
            else:
                ours.step(metrics[t - 1])
                theirs.step(metrics[t - 1])
        _assert_close(ours.get_last_lr(), theirs.get_last_lr(), f"get_last_lr at step {t}")
        _assert_close(
            [g["lr"] for g in ours_opt.param_groups],
            [g["lr"] for g in torch_opt.param_groups],
            f"group lr at step {t}",
        )
        assert len(ours.get_last_lr()) == len(ours_opt.param_groups)
        if momentum is not None:
            momenta.append(momentum(ours_opt.param_groups[0]))
            _assert_close(
                [momentum(g) for g in ours_opt.param_groups],
                [momentum(g) for g in torch_opt.param_groups],
                f"momentum at step {t}",
            )
    return momenta


LAMBDAS: list[Callable[[int], float]] = [
    lambda t: 0.97**t,
    lambda t: 1.0 / (1.0 + t) ** 0.5,
    lambda t: min(1.0, (t + 1) / 10) * 0.9 ** (t // 10),
]


@pytest.mark.parametrize("factor", LAMBDAS)
def test_lambda_lr_matches_torch(factor: Callable[[int], float]) -> None:
    torch = pytest.importorskip("torch")
    ours_opt, torch_opt = _sgd(), _torch_opt(torch)
    ours = optim.LambdaLR(ours_opt, factor)
    theirs = torch.optim.lr_scheduler.LambdaLR(torch_opt, factor)
    _compare(ours, ours_opt, theirs, torch_opt)


@pytest.mark.parametrize(("decay_rate", "decay_steps"), [(0.5, 1), (0.1, 10), (2.0, 3), (0.0, 1)])
def test_inverse_time_decay_matches_torch_lambda(decay_rate: float, decay_steps: int) -> None:
    torch = pytest.importorskip("torch")
    ours_opt, torch_opt = _sgd(), _torch_opt(torch)
    ours = optim.InverseTimeDecay(ours_opt, decay_rate, decay_steps)
    theirs = torch.optim.lr_scheduler.LambdaLR(
        torch_opt, lambda t: 1.0 / (1.0 + decay_rate * t / decay_steps)
    )
    _compare(ours, ours_opt, theirs, torch_opt)


CYCLIC_CASES: list[dict[str, Any]] = [
    {"mode": "triangular", "step_size_up": 5},
    {"mode": "triangular", "step_size_up": 4, "step_size_down": 11},
    {"mode": "triangular2", "step_size_up": 6},
    {"mode": "triangular2", "step_size_up": 3, "step_size_down": 9},
    {"mode": "exp_range", "step_size_up": 5, "gamma": 0.98},
    {"mode": "exp_range", "step_size_up": 8, "step_size_down": 2, "gamma": 0.995},
]


@pytest.mark.parametrize("kwargs", CYCLIC_CASES, ids=_ids([("", c) for c in CYCLIC_CASES]))
def test_cyclic_lr_without_momentum_matches_torch(kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    ours_opt, torch_opt = _sgd(), _torch_opt(torch)
    ours = optim.CyclicLR(ours_opt, 0.01, 0.4, cycle_momentum=False, **kwargs)
    theirs = torch.optim.lr_scheduler.CyclicLR(torch_opt, 0.01, 0.4, cycle_momentum=False, **kwargs)
    _compare(ours, ours_opt, theirs, torch_opt)


@pytest.mark.parametrize("kwargs", CYCLIC_CASES, ids=_ids([("", c) for c in CYCLIC_CASES]))
def test_cyclic_lr_cycles_sgd_momentum_as_torch(kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    ours_opt, torch_opt = _sgd(momentum=0.9), _torch_opt(torch, momentum=0.9)
    options = {"base_momentum": 0.7, "max_momentum": 0.95, **kwargs}
    ours = optim.CyclicLR(ours_opt, 0.02, 0.3, cycle_momentum=True, **options)
    theirs = torch.optim.lr_scheduler.CyclicLR(torch_opt, 0.02, 0.3, cycle_momentum=True, **options)
    momenta = _compare(ours, ours_opt, theirs, torch_opt, momentum=lambda g: g["momentum"])
    assert momenta[0] == 0.95  # at the bottom of the rate, the top of the momentum
    assert min(momenta) < 0.9  # it really moves


@pytest.mark.parametrize("kwargs", CYCLIC_CASES, ids=_ids([("", c) for c in CYCLIC_CASES]))
def test_cyclic_lr_cycles_adam_beta1_as_torch(kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    ours_opt = optim.Adam([{"params": [_param()], "lr": lr} for lr in LRS], betas=(0.9, 0.99))
    torch_opt = _torch_opt(torch, "Adam", betas=(0.9, 0.99))
    ours = optim.CyclicLR(ours_opt, 1e-3, 1e-2, cycle_momentum=True, **kwargs)
    theirs = torch.optim.lr_scheduler.CyclicLR(torch_opt, 1e-3, 1e-2, cycle_momentum=True, **kwargs)
    momenta = _compare(ours, ours_opt, theirs, torch_opt, momentum=lambda g: g["betas"][0])
    assert momenta[0] == 0.9  # the default max_momentum
    assert min(momenta) < 0.85
    for group in ours_opt.param_groups:
        assert isinstance(group["betas"], tuple)
        assert group["betas"][1] == 0.99


PLATEAU_CASES: list[dict[str, Any]] = [
    {"mode": "min", "factor": 0.5, "patience": 3},
    {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.05, "cooldown": 2},
    {"mode": "min", "factor": 0.3, "patience": 0, "threshold": 0.01, "threshold_mode": "abs"},
    {"mode": "min", "factor": 0.1, "patience": 1, "cooldown": 4, "min_lr": 0.002},
    {"mode": "max", "factor": 0.5, "patience": 3},
    {"mode": "max", "factor": 0.7, "patience": 2, "threshold": 0.02, "threshold_mode": "abs"},
    {"mode": "max", "factor": 0.2, "patience": 1, "threshold": 0.1, "cooldown": 3},
    {"mode": "max", "factor": 0.5, "patience": 0, "min_lr": 0.01, "eps": 1e-3},
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES, ids=_ids([("", c) for c in PLATEAU_CASES]))
def test_reduce_lr_on_plateau_matches_torch(kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    ours_opt, torch_opt = _sgd(), _torch_opt(torch)
    ours = optim.ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **kwargs)
    metrics = _noisy_metric(kwargs["mode"])
    _compare(ours, ours_opt, theirs, torch_opt, metrics=metrics)
    assert ours_opt.param_groups[0]["lr"] < LRS[0]  # the sequence does trigger cuts


# ----- 2. the seed's inverse-time decay, by hand -----


@pytest.mark.parametrize(("lr0", "decay_rate"), [(0.1, 0.5), (1.0, 0.01), (0.3, 3.0)])
def test_inverse_time_decay_is_lr0_over_one_plus_lambda_t(lr0: float, decay_rate: float) -> None:
    opt = _sgd((lr0,))
    schedule = optim.InverseTimeDecay(opt, decay_rate)
    for t in range(60):
        if t:
            opt.step()
            schedule.step()
        expected = lr0 / (1 + decay_rate * t)
        assert schedule.get_last_lr() == pytest.approx([expected], rel=1e-14)
        assert opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-14)
    assert opt.param_groups[0]["initial_lr"] == lr0


def test_inverse_time_decay_with_decay_steps_divides_t() -> None:
    opt = _sgd((0.2, 0.05))
    schedule = optim.InverseTimeDecay(opt, decay_rate=0.5, decay_steps=4)
    for _ in range(12):
        opt.step()
        schedule.step()
    # t = 12: 1 + 0.5 * 12 / 4 = 2.5
    assert schedule.get_last_lr() == pytest.approx([0.2 / 2.5, 0.05 / 2.5], rel=1e-14)


def test_step_lr_by_hand_at_its_boundaries() -> None:
    opt = _sgd((0.8,))
    schedule = optim.StepLR(opt, step_size=3, gamma=0.5)
    seen = [schedule.get_last_lr()[0]]
    for _ in range(7):
        opt.step()
        schedule.step()
        seen.append(schedule.get_last_lr()[0])
    assert seen == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]


def test_cosine_annealing_reaches_eta_min_at_t_max_and_half_way_at_middle() -> None:
    opt = _sgd((0.5,))
    schedule = optim.CosineAnnealingLR(opt, T_max=10, eta_min=0.1)
    rates = [schedule.get_last_lr()[0]]
    for _ in range(10):
        opt.step()
        schedule.step()
        rates.append(schedule.get_last_lr()[0])
    assert rates[0] == pytest.approx(0.5)
    assert rates[5] == pytest.approx(0.3)
    assert rates[10] == pytest.approx(0.1)
    assert all(a > b for a, b in itertools.pairwise(rates))


def test_resuming_with_last_epoch_continues_the_formula() -> None:
    opt = _sgd()
    optim.ExponentialLR(opt, gamma=0.9)  # stores initial_lr
    resumed = optim.ExponentialLR(opt, gamma=0.9, last_epoch=36)
    assert resumed.last_epoch == 37
    assert resumed.get_last_lr() == pytest.approx([lr * 0.9**37 for lr in LRS], rel=1e-12)


def test_resuming_without_initial_lr_raises() -> None:
    with pytest.raises(KeyError, match="initial_lr"):
        optim.StepLR(_sgd(), step_size=2, last_epoch=5)


# ----- 3. the schedule drives the optimizer -----

HAND: list[tuple[str, Callable[[optim.Optimizer], Any], Callable[[int], float]]] = [
    ("StepLR", lambda o: optim.StepLR(o, step_size=2, gamma=0.5), lambda t: 0.2 * 0.5 ** (t // 2)),
    ("ExponentialLR", lambda o: optim.ExponentialLR(o, gamma=0.8), lambda t: 0.2 * 0.8**t),
    ("InverseTimeDecay", lambda o: optim.InverseTimeDecay(o, 0.5), lambda t: 0.2 / (1 + 0.5 * t)),
    (
        "LinearLR",
        lambda o: optim.LinearLR(o, start_factor=0.25, total_iters=4),
        lambda t: 0.2 * (0.25 + 0.75 * min(t, 4) / 4),
    ),
    (
        "CyclicLR",
        lambda o: optim.CyclicLR(o, 0.1, 0.5, step_size_up=2, cycle_momentum=False),
        lambda t: [0.1, 0.3, 0.5, 0.3][t % 4],
    ),
]


@pytest.mark.parametrize(("name", "make", "rate"), HAND, ids=[h[0] for h in HAND])
def test_sgd_steps_with_the_scheduled_rate(
    name: str, make: Callable[[optim.Optimizer], Any], rate: Callable[[int], float]
) -> None:
    tensor = Tensor(np.array([1.0, -2.0, 0.5]), dtype="float64", requires_grad=True)
    value = Value(3.0)
    opt = optim.SGD([tensor, value], lr=0.2)
    schedule = make(opt)
    grad = np.array([0.3, -1.0, 2.0])
    for t in range(9):
        tensor.grad, value.grad = grad.copy(), -1.5
        before, value_before = tensor.data.copy(), value.data
        opt.step()
        lr = rate(t)
        np.testing.assert_allclose(before - tensor.data, lr * grad, rtol=1e-12, err_msg=f"t={t}")
        assert value_before - value.data == pytest.approx(lr * -1.5, rel=1e-12)
        schedule.step()


def test_sgd_uses_the_rate_reduce_lr_on_plateau_cut() -> None:
    param = _param(1)
    opt = optim.SGD([param], lr=1.0)
    schedule = optim.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for metric in (1.0, 1.0, 1.0):  # the second repeat is the second bad epoch: cut
        schedule.step(metric)
    assert opt.param_groups[0]["lr"] == 0.5
    param.grad = np.array([2.0])
    opt.step()
    np.testing.assert_array_equal(param.data, [-1.0])


# ----- 4. checkpoints -----

ROUND_TRIP: list[tuple[str, Callable[[], optim.Optimizer], Callable[[optim.Optimizer], Any]]] = [
    ("LambdaLR", _sgd, lambda o: optim.LambdaLR(o, lambda t: 0.98**t)),
    ("InverseTimeDecay", _sgd, lambda o: optim.InverseTimeDecay(o, 0.3, 5)),
    ("StepLR", _sgd, lambda o: optim.StepLR(o, step_size=10, gamma=0.5)),
    ("ExponentialLR", _sgd, lambda o: optim.ExponentialLR(o, gamma=0.97)),
    ("CosineAnnealingLR", _sgd, lambda o: optim.CosineAnnealingLR(o, T_max=50, eta_min=0.001)),
    ("LinearLR", _sgd, lambda o: optim.LinearLR(o, start_factor=0.1, total_iters=80)),
    (
        "CyclicLR-sgd",
        lambda: _sgd(momentum=0.9),
        lambda o: optim.CyclicLR(
            o, 0.01, 0.2, step_size_up=7, step_size_down=12, mode="triangular2"
        ),
    ),
    (
        "CyclicLR-adam",
        lambda: optim.Adam([{"params": [_param()], "lr": lr} for lr in LRS]),
        lambda o: optim.CyclicLR(o, 1e-3, 1e-2, step_size_up=9, mode="exp_range", gamma=0.99),
    ),
    # the metric sequences are chosen so that at step 37 the outcome depends on every counter:
    # on ``best`` and ``num_bad_epochs`` in the first, on ``best`` and ``cooldown_counter`` in
    # the second (dropping any of them from the state makes the test fail)
    (
        "ReduceLROnPlateau-patience",
        lambda: _sgd(momentum=0.5),
        lambda o: optim.ReduceLROnPlateau(o, factor=0.5, patience=3, min_lr=0.004),
    ),
    (
        "ReduceLROnPlateau-cooldown",
        lambda: _sgd(momentum=0.5),
        lambda o: optim.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=3, min_lr=0.004),
    ),
]
METRICS = {
    "ReduceLROnPlateau-patience": _noisy_metric("min", n=97, seed=4),
    "ReduceLROnPlateau-cooldown": _noisy_metric("min", n=97, seed=9),
}


def _advance(
    opt: optim.Optimizer, schedule: Any, steps: range, metrics: list[float] | None = None
) -> list[list[float]]:
    """Train on a fixed gradient; record the rates, momenta and parameters after each step."""
    record = []
    for t in steps:
        for g, group in enumerate(opt.param_groups):
            group["params"][0].grad = np.array([1.0, -0.5]) * (g + 1)
        opt.step()
        if metrics is not None:
            schedule.step(metrics[t])
        else:
            schedule.step()
        extras = [g.get("momentum", g.get("betas", (0.0,))[0]) for g in opt.param_groups]
        params = [float(x) for g in opt.param_groups for x in g["params"][0].data]
        record.append([*schedule.get_last_lr(), *extras, *params])
    return record


@pytest.mark.parametrize(("name", "make_opt", "make"), ROUND_TRIP, ids=[r[0] for r in ROUND_TRIP])
def test_state_dict_round_trip_through_npz_continues_identically(
    name: str,
    make_opt: Callable[[], optim.Optimizer],
    make: Callable[[optim.Optimizer], Any],
    tmp_path: Path,
) -> None:
    metrics = METRICS.get(name)
    opt = make_opt()
    schedule = make(opt)
    whole = _advance(opt, schedule, range(97), metrics)

    opt = make_opt()
    schedule = make(opt)
    _advance(opt, schedule, range(37), metrics)
    np.savez(tmp_path / "schedule.npz", **schedule.state_dict())
    np.savez(tmp_path / "optimizer.npz", **opt.state_dict())
    np.savez(tmp_path / "model.npz", *[g["params"][0].data for g in opt.param_groups])

    unloaded_opt = make_opt()
    unloaded = _advance(unloaded_opt, make(unloaded_opt), range(37, 97), metrics)

    fresh_opt = make_opt()
    fresh = make(fresh_opt)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as saved:
        for g, group in enumerate(fresh_opt.param_groups):
            group["params"][0].data[...] = saved[f"arr_{g}"]
    with np.load(tmp_path / "optimizer.npz", allow_pickle=False) as saved:
        fresh_opt.load_state_dict(saved)
    with np.load(tmp_path / "schedule.npz", allow_pickle=False) as saved:
        fresh.load_state_dict(saved)
    assert fresh.get_last_lr() == whole[36][: len(LRS)]
    assert [g["lr"] for g in fresh_opt.param_groups] == whole[36][: len(LRS)]
    resumed = _advance(fresh_opt, fresh, range(37, 97), metrics)
    assert resumed == whole[37:]
    assert unloaded != whole[37:]  # the comparison can fail: loading carries information


def test_state_dict_is_flat_numpy_arrays() -> None:
    schedule = optim.ReduceLROnPlateau(_sgd())
    state = schedule.state_dict()
    assert state
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert all(v.dtype != object for v in state.values())


def test_loading_another_schedules_state_names_both() -> None:
    saved = optim.StepLR(_sgd(), step_size=3).state_dict()
    target = optim.ExponentialLR(_sgd(), gamma=0.9)
    with pytest.raises(ValueError, match=r"StepLR.*ExponentialLR"):
        target.load_state_dict(saved)
    saved = optim.CyclicLR(_sgd(), 0.01, 0.1, cycle_momentum=False).state_dict()
    with pytest.raises(ValueError, match=r"CyclicLR.*ReduceLROnPlateau"):
        optim.ReduceLROnPlateau(_sgd()).load_state_dict(saved)


def test_loading_a_state_for_another_number_of_groups_raises() -> None:
    saved = optim.StepLR(_sgd(), step_size=3).state_dict()
    with pytest.raises(ValueError, match="parameter group"):
        optim.StepLR(_sgd((0.1,)), step_size=3).load_state_dict(saved)


# ----- 5. bad arguments -----

BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("step_size 0", lambda: optim.StepLR(_sgd(), step_size=0), ValueError, "step_size"),
    ("step_size str", lambda: optim.StepLR(_sgd(), step_size="3"), TypeError, "step_size"),
    ("step gamma<0", lambda: optim.StepLR(_sgd(), 2, gamma=-0.5), ValueError, "gamma"),
    ("exp gamma<0", lambda: optim.ExponentialLR(_sgd(), gamma=-1.0), ValueError, "gamma"),
    ("exp gamma nan", lambda: optim.ExponentialLR(_sgd(), gamma=math.nan), TypeError, "gamma"),
    ("T_max 0", lambda: optim.CosineAnnealingLR(_sgd(), T_max=0), ValueError, "T_max"),
    (
        "eta_min<0",
        lambda: optim.CosineAnnealingLR(_sgd(), T_max=5, eta_min=-0.1),
        ValueError,
        "eta_min",
    ),
    ("decay_rate<0", lambda: optim.InverseTimeDecay(_sgd(), -0.1), ValueError, "decay_rate"),
    ("decay_steps 0", lambda: optim.InverseTimeDecay(_sgd(), 0.1, 0), ValueError, "decay_steps"),
    ("start_factor 0", lambda: optim.LinearLR(_sgd(), start_factor=0), ValueError, "start_factor"),
    ("start_factor>1", lambda: optim.LinearLR(_sgd(), start_factor=2), ValueError, "start_factor"),
    ("end_factor>1", lambda: optim.LinearLR(_sgd(), end_factor=1.5), ValueError, "end_factor"),
    ("total_iters 0", lambda: optim.LinearLR(_sgd(), total_iters=0), ValueError, "total_iters"),
    (
        "cyclic mode",
        lambda: optim.CyclicLR(_sgd(), 0.01, 0.1, mode="cosine", cycle_momentum=False),
        ValueError,
        "mode.*cosine",
    ),
    (
        "base_lr>max_lr",
        lambda: optim.CyclicLR(_sgd(), 0.5, 0.1, cycle_momentum=False),
        ValueError,
        "base_lr.*max_lr",
    ),
    (
        "step_size_up 0",
        lambda: optim.CyclicLR(_sgd(), 0.01, 0.1, step_size_up=0, cycle_momentum=False),
        ValueError,
        "step_size_up",
    ),
    (
        "step_size_down 0",
        lambda: optim.CyclicLR(_sgd(), 0.01, 0.1, step_size_down=0, cycle_momentum=False),
        ValueError,
        "step_size_down",
    ),
    (
        "cycle_momentum on Adagrad",
        lambda: optim.CyclicLR(optim.Adagrad([_param()]), 0.01, 0.1, cycle_momentum=True),
        ValueError,
        "Adagrad.*cycle_momentum",
    ),
    ("plateau factor 1", lambda: optim.ReduceLROnPlateau(_sgd(), factor=1.0), ValueError, "factor"),
    ("plateau factor>1", lambda: optim.ReduceLROnPlateau(_sgd(), factor=2), ValueError, "factor"),
    ("plateau mode", lambda: optim.ReduceLROnPlateau(_sgd(), mode="avg"), ValueError, "mode"),
    (
        "threshold_mode",
        lambda: optim.ReduceLROnPlateau(_sgd(), threshold_mode="relative"),
        ValueError,
        "threshold_mode",
    ),
    ("patience<0", lambda: optim.ReduceLROnPlateau(_sgd(), patience=-1), ValueError, "patience"),
    ("cooldown<0", lambda: optim.ReduceLROnPlateau(_sgd(), cooldown=-2), ValueError, "cooldown"),
]


@pytest.mark.parametrize(("case", "make", "error", "match"), BAD, ids=[b[0] for b in BAD])
def test_bad_argument_is_rejected_by_name(
    case: str, make: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        make()


def test_rejected_cyclic_lr_leaves_the_optimizer_alone() -> None:
    opt = _sgd()
    with pytest.raises(ValueError):
        optim.CyclicLR(opt, 0.5, 0.1)
    with pytest.raises(ValueError):
        optim.CyclicLR(optim.Adagrad([_param()]), 0.01, 0.1)
    assert [g["lr"] for g in opt.param_groups] == list(LRS)
    assert all("initial_lr" not in g for g in opt.param_groups)


NOT_AN_OPTIMIZER: list[tuple[str, Callable[[Any], Any]]] = [
    ("LambdaLR", lambda o: optim.LambdaLR(o, lambda t: 1.0)),
    ("InverseTimeDecay", lambda o: optim.InverseTimeDecay(o, 0.1)),
    ("StepLR", lambda o: optim.StepLR(o, step_size=2)),
    ("ExponentialLR", lambda o: optim.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR", lambda o: optim.CosineAnnealingLR(o, T_max=10)),
    ("LinearLR", lambda o: optim.LinearLR(o)),
    ("CyclicLR", lambda o: optim.CyclicLR(o, 0.01, 0.1, cycle_momentum=False)),
    ("CyclicLR-momentum", lambda o: optim.CyclicLR(o, 0.01, 0.1)),
    ("ReduceLROnPlateau", lambda o: optim.ReduceLROnPlateau(o)),
]


@pytest.mark.parametrize(
    "make", [n[1] for n in NOT_AN_OPTIMIZER], ids=[n[0] for n in NOT_AN_OPTIMIZER]
)
@pytest.mark.parametrize("thing", [[_param()], "sgd"], ids=["parameter-list", "str"])
def test_a_non_optimizer_is_rejected(make: Callable[[Any], Any], thing: Any) -> None:
    with pytest.raises(TypeError, match=rf"{type(thing).__name__} is not an Optimizer"):
        make(thing)


def test_reduce_lr_on_plateau_step_needs_the_metric() -> None:
    with pytest.raises(TypeError, match="metric"):
        optim.ReduceLROnPlateau(_sgd()).step()


@pytest.mark.parametrize(
    "metric",
    [
        Value(2.0),
        Tensor(2.0, dtype="float64"),
        Tensor([2.0], dtype="float64"),  # "a one-element Tensor", per the docstring
        np.float64(2.0),  # e.g. np.mean(losses)
        np.float32(2.0),
        np.array(2.0),
    ],
    ids=["Value", "Tensor-0d", "Tensor-1", "np.float64", "np.float32", "ndarray-0d"],
)
def test_reduce_lr_on_plateau_takes_any_scalar_metric(metric: Any) -> None:
    schedule = optim.ReduceLROnPlateau(_sgd(), patience=0, factor=0.5)
    schedule.step(3.0)
    schedule.step(metric)  # better: no cut
    assert schedule.best == 2.0
    schedule.step(metric)  # not better, patience 0: cut
    assert schedule.get_last_lr() == [LRS[0] / 2, LRS[1] / 2]


# ----- 6. the learning-rate finder -----


def _quadratic() -> tuple[Value, Callable[[], Value]]:
    """x² + 2x + 1 = (x + 1)²: SGD contracts x + 1 by |1 − 2·lr|, stable for lr < 1, best 0.5."""
    x = Value(3.0)

    def closure() -> Value:
        loss = x * x + 2 * x + 1
        loss.backward()
        return loss

    return x, closure


def _least_squares(
    seed: int = 0,
) -> tuple[Tensor, Callable[[], Tensor], np.ndarray, float]:
    """mean((A w − b)²) in float64: the weights, the closure, the Hessian, the least loss."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(64, 3)) * np.array([1.0, 0.7, 0.4])
    b = a @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=64)
    a_t, b_t = Tensor(a, dtype="float64"), Tensor(b, dtype="float64")
    w = Tensor(np.zeros(3), dtype="float64", requires_grad=True)

    def closure() -> Tensor:
        residual = a_t @ w - b_t
        loss = (residual * residual).mean()
        loss.backward()
        return loss

    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    return w, closure, 2 * a.T @ a / len(a), float(np.mean((a @ solution - b) ** 2))


def test_finder_rates_grow_geometrically_from_start_to_end() -> None:
    x, closure = _quadratic()
    opt = optim.SGD([x], lr=0.1)
    result = optim.find_lr(opt, closure, start_lr=1e-4, end_lr=0.5, steps=40)
    assert len(result.lrs) == len(result.losses) == len(result.raw_losses) == 40  # no blow-up
    assert result.lrs[0] == pytest.approx(1e-4, rel=1e-12)
    assert result.lrs[-1] == pytest.approx(0.5, rel=1e-9)
    ratios = np.array(result.lrs[1:]) / np.array(result.lrs[:-1])
    np.testing.assert_allclose(ratios, (0.5 / 1e-4) ** (1 / 39), rtol=1e-12)


def test_finder_records_the_losses_at_the_rates_it_used() -> None:
    x, closure = _quadratic()
    opt = optim.SGD([x], lr=0.1)
    result = optim.find_lr(opt, closure, start_lr=1e-3, end_lr=0.9, steps=30, smoothing=0.0)
    # replay by hand: the loss is taken before the step of that rate
    position, expected = 3.0, []
    for lr in result.lrs:
        expected.append((position + 1) ** 2)
        position -= lr * 2 * (position + 1)
    np.testing.assert_allclose(result.raw_losses, expected, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(result.losses, expected, rtol=1e-9, atol=1e-13)  # no smoothing


def test_finder_stops_early_when_the_loss_diverges() -> None:
    x, closure = _quadratic()
    opt = optim.SGD([x], lr=0.1)
    result = optim.find_lr(opt, closure, start_lr=1e-4, end_lr=100.0, steps=100, diverge=4.0)
    assert len(result.lrs) < 100
    assert result.lrs[-1] > 1.0  # below lr = 1 this problem cannot diverge
    assert result.losses[-1] > 4.0 * min(result.losses[:-1])
    assert all(b <= 4.0 * min(result.losses[: i + 1]) for i, b in enumerate(result.losses[1:-1]))


def test_finder_does_not_stop_early_on_a_negative_loss() -> None:
    """Shifting the loss by a constant does not change the gradients or where SGD diverges."""
    x = Value(3.0)

    def closure() -> Value:
        loss = x * x + 2 * x + 1 - 10.0  # (x + 1)² − 10: minimum −10
        loss.backward()
        return loss

    opt = optim.SGD([x], lr=0.1)
    result = optim.find_lr(opt, closure, start_lr=1e-4, end_lr=100.0, steps=100)
    assert result.lrs[-1] > 1.0, (
        f"stopped as diverged at lr={result.lrs[-1]:.3g}, where (x+1)^2 - 10 still descends"
    )


@pytest.mark.parametrize(
    "as_loss",
    [
        lambda t: t,
        lambda t: Tensor(t.data.reshape(1)),  # "a one-element Tensor", per the docstring
        lambda t: float(t.data),
        lambda t: np.float64(t.data),
    ],
    ids=["Tensor-0d", "Tensor-1", "float", "np.float64"],
)
def test_finder_takes_the_loss_as_any_scalar(as_loss: Callable[[Tensor], Any]) -> None:
    w, closure, _, _ = _least_squares()
    result = optim.find_lr(
        optim.SGD([w]), lambda: as_loss(closure()), start_lr=1e-3, end_lr=0.1, steps=5
    )
    assert result.raw_losses[0] == pytest.approx(float(_least_squares()[1]().data))
    assert result.raw_losses[-1] < result.raw_losses[0]


def test_finder_suggests_a_rate_that_trains_the_quadratic() -> None:
    x, closure = _quadratic()
    opt = optim.SGD([x], lr=0.1)
    result = optim.find_lr(opt, closure, start_lr=1e-5, end_lr=10.0, steps=100)
    assert min(result.lrs) <= result.suggested_lr <= max(result.lrs)
    assert 0.05 <= result.suggested_lr < 1.0  # stable below 1, best 0.5
    assert x.data == 3.0  # restored
    for group in opt.param_groups:
        group["lr"] = result.suggested_lr
    for _ in range(100):
        opt.zero_grad()
        closure()
        opt.step()
    assert abs(x.data + 1) < 1e-3


def test_finder_suggests_a_rate_that_trains_least_squares() -> None:
    w, closure, hessian, optimum = _least_squares()
    eigenvalues = np.linalg.eigvalsh(hessian)
    stable = 2 / eigenvalues.max()  # gradient descent on a quadratic diverges above this
    best = 2 / (eigenvalues.max() + eigenvalues.min())
    opt = optim.SGD([w], lr=0.01)
    result = optim.find_lr(opt, closure, start_lr=1e-5, end_lr=10.0, steps=100)
    assert len(result.lrs) < 100  # it blew up past the stable range and stopped
    assert min(result.lrs) <= result.suggested_lr <= max(result.lrs)
    assert best / 10 <= result.suggested_lr < stable
    np.testing.assert_array_equal(w.data, np.zeros(3))
    start = float(closure().data)
    opt.zero_grad()
    opt.param_groups[0]["lr"] = result.suggested_lr
    for _ in range(200):
        opt.zero_grad()
        closure()
        opt.step()
    opt.zero_grad()
    assert float(closure().data) - optimum < 1e-3 * (start - optimum)


def _state(opt: optim.Optimizer) -> dict[str, np.ndarray]:
    return {k: np.array(v, copy=True) for k, v in opt.state_dict().items()}


def _assert_same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_finder_restores_parameters_state_and_rates_exactly() -> None:
    w, closure, _, _ = _least_squares()
    x, quadratic = _quadratic()
    opt = optim.SGD([{"params": [w], "lr": 0.05}, {"params": [x], "lr": 0.02}], momentum=0.9)
    schedule = optim.ExponentialLR(opt, gamma=0.9)
    for _ in range(3):  # some momentum to restore
        opt.zero_grad()
        closure()
        quadratic()
        opt.step()
        schedule.step()
    weights, position, rates, state = w.data.copy(), x.data, schedule.get_last_lr(), _state(opt)

    def both() -> float:
        return float(closure().data) + quadratic().data

    result = optim.find_lr(opt, both, start_lr=1e-4, end_lr=1.0, steps=20)
    assert len(result.lrs) > 2
    np.testing.assert_array_equal(w.data, weights)
    assert x.data == position
    assert [g["lr"] for g in opt.param_groups] == rates
    _assert_same_state(_state(opt), state)
    assert w.grad is None
    assert x.grad == 0.0


def test_finder_restores_an_empty_optimizer_state() -> None:
    w, closure, _, _ = _least_squares()
    opt = optim.Adam([w], lr=0.01)
    before = _state(opt)
    optim.find_lr(opt, closure, start_lr=1e-4, end_lr=1.0, steps=10)
    assert opt.state == {}
    _assert_same_state(_state(opt), before)
    np.testing.assert_array_equal(w.data, np.zeros(3))


def test_finder_without_restore_keeps_the_training() -> None:
    w, closure, _, _ = _least_squares()
    opt = optim.SGD([w], lr=0.05, momentum=0.9)
    result = optim.find_lr(opt, closure, start_lr=1e-4, end_lr=0.1, steps=20, restore=False)
    assert len(result.lrs) == 20
    assert not np.array_equal(w.data, np.zeros(3))
    # the same run by hand: the finder left the parameters and the momentum where it stopped
    replay_w, replay_closure, _, _ = _least_squares()
    replay = optim.SGD([replay_w], lr=0.05, momentum=0.9)
    for lr in result.lrs:
        replay.param_groups[0]["lr"] = lr
        replay.zero_grad()
        replay_closure()
        replay.step()
    np.testing.assert_allclose(w.data, replay_w.data, rtol=1e-12)
    buffers = [s["momentum_buffer"] for s in opt.state.values()]
    expected = [s["momentum_buffer"] for s in replay.state.values()]
    np.testing.assert_allclose(buffers, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_lr": 0.0}, "start_lr"),
        ({"start_lr": -1e-3}, "start_lr"),
        ({"start_lr": 1.0, "end_lr": 0.1}, "end_lr"),
        ({"start_lr": 0.1, "end_lr": 0.1}, "end_lr"),
        ({"steps": 1}, "steps"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"smoothing": -0.1}, "smoothing"),
    ],
)
def test_finder_rejects_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    x, closure = _quadratic()
    opt = optim.SGD([x], lr=0.1)
    with pytest.raises(ValueError, match=match):
        optim.find_lr(opt, closure, **kwargs)
    assert x.data == 3.0


def test_finder_plot_returns_axes() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    x, closure = _quadratic()
    result = optim.find_lr(optim.SGD([x]), closure, start_lr=1e-4, end_lr=10.0, steps=50)
    ax = result.plot()
    try:
        assert isinstance(ax, Axes)
        assert ax.get_xscale() == "log"
        np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), result.lrs)
        np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), result.losses)
    finally:
        plt.close(ax.figure)
    figure, mine = plt.subplots()
    try:
        assert result.plot(ax=mine) is mine
    finally:
        plt.close(figure)
    assert matplotlib.get_backend()
