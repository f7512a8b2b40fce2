"""One ``step()`` of each optimizer on a 1M-parameter model: chainrule against ``torch.optim``.

The "model" is the parameter list of an MLP, float32: by default 784-1024-192-10, i.e. weights
784x1024, 1024x192, 192x10 and their biases, 1,002,570 parameters (``--params N`` scales both
hidden widths so that the count comes as near N as the widths allow; the count is printed). Weights
and biases are uniform in +-sqrt(6 / fan_in) (numpy seed 0); both libraries start from copies of
the same arrays, chainrule as ``Tensor(..., requires_grad=True)``, PyTorch as
``torch.tensor(..., requires_grad=True)``. The gradients are set once, from one fixed array per
parameter (standard normal times 0.1, seed 1; ``.grad`` of both sides are copies of it), and no
backward runs: only ``step()`` is timed, the same gradient being used on every step.

Each optimizer runs with the same settings in both libraries (small learning rates, so that the
weights stay finite over hundreds of steps with a constant gradient); ``Momentum`` (v ← βv + lr·g,
w ← w − v) is compared with ``torch.optim.SGD(momentum=β)``, whose buffer is v / lr, and
``Nesterov`` with ``SGD(momentum=β, nesterov=True)``. PyTorch's ``foreach`` is left at its
default, which on CPU tensors is the single-tensor (for-loop) implementation (printed below).

Timing: a few warm-up steps, then --rounds rounds; in each round chainrule and PyTorch take turns
(who goes first alternates round by round, so noise hits both), each timing --steps single steps
with ``time.perf_counter``. Before each library's round the script sleeps (--settle, 0.2 s) and
takes one untimed step, because OpenMP's worker threads keep spinning for a while after a
parallel op and, on 2 cores, would otherwise slow whichever library runs next. The table shows
the median (and fastest) ms/step of each library and the ratio chainrule/PyTorch. Target: every
optimizer <= 1.5x PyTorch's step time. Python's garbage collector stays on, as users run it.

The numpy floor: for SGD and SGD-momentum the script also times the update written by hand as
the fewest in-place numpy passes it needs (``work = lr·g; w −= work``: two passes; with momentum
four), with no optimizer around it, in the same rounds. numpy's element-wise ops run one thread
and cannot fuse a multiply into an add, while torch's ``add_(g, alpha=-lr)`` is one pass over both
threads; the floor's ratio to PyTorch is the best any numpy-only optimizer can reach.

Correctness: after the timed run both libraries have taken the same number of steps from the same
start, so their parameters must agree. The script prints, per optimizer, the largest difference
between the two libraries' parameters relative to the largest parameter, and (the stricter test)
between the two libraries' total updates (w_now − w_start) relative to the largest update; a wrong
or missing update shows as a large "update diff" and the line is flagged.

Threads: OpenBLAS, MKL and OpenMP read their thread count once, when numpy (or torch) is imported,
so this script sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS to 2 (only where
they are unset) before importing numpy, and gives torch.set_num_threads the same number
(--torch-threads to change it). numpy's element-wise ops use one thread whatever these say;
PyTorch splits ops on more than 32,768 elements over its threads.

    python benchmarks/optim_step.py [--params 1000000] [--steps 30] [--rounds 5] [--settle 0.2]
                                    [--only Adam NAdam ...] [--torch-threads 2] [--no-torch]
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "2")  # before numpy is imported, or it is too late

import argparse  # noqa: E402
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

THREADS = int(os.environ["OMP_NUM_THREADS"])
TARGET = 1.5  # chainrule/PyTorch step time, at most
TOLERANCE = 1e-3  # largest relative update difference accepted (float32, hundreds of steps)
LR = 1e-3
BASE_WIDTHS = (784, 1024, 192, 10)  # input, hidden, hidden, output


@dataclass(frozen=True)
class Case:
    """One optimizer with the same settings in both libraries."""

    name: str
    ours: Callable[[list[Tensor]], optim.Optimizer]
    theirs: Callable[[list[Any]], Any]  # list of torch tensors -> torch.optim optimizer
    settings: str
    floor: Callable[[list[np.ndarray], list[np.ndarray]], Callable[[], None]] | None = None


def sgd_floor(params: list[np.ndarray], grads: list[np.ndarray]) -> Callable[[], None]:
    """SGD by hand in two in-place numpy passes per parameter: work = lr·g; w −= work."""
    works = [np.empty_like(p) for p in params]

    def step() -> None:
        for w, g, work in zip(params, grads, works):
            np.multiply(g, LR, out=work)
            w -= work

    return step


def momentum_floor(params: list[np.ndarray], grads: list[np.ndarray]) -> Callable[[], None]:
    """torch's SGD momentum by hand in four passes: b ← 0.9·b + g (b = g at first); w −= lr·b."""
    works = [np.empty_like(p) for p in params]
    buffers: list[np.ndarray] = []

    def step() -> None:
        if not buffers:
            buffers.extend(g.copy() for g in grads)
        else:
            for b, g in zip(buffers, grads):
                b *= 0.9
                b += g
        for w, b, work in zip(params, buffers, works):
            np.multiply(b, LR, out=work)
            w -= work

    return step


def _torch(name: str, **kwargs: Any) -> Callable[[list[Any]], Any]:
    def make(params: list[Any]) -> Any:
        import torch

        return getattr(torch.optim, name)(params, **kwargs)

    return make


CASES = [
    Case("SGD", lambda p: optim.SGD(p, lr=LR), _torch("SGD", lr=LR), f"lr {LR:g}", sgd_floor),
    Case("SGD-momentum", lambda p: optim.SGD(p, lr=LR, momentum=0.9),
         _torch("SGD", lr=LR, momentum=0.9), "momentum 0.9", momentum_floor),
    Case("Nesterov", lambda p: optim.Nesterov(p, lr=LR, beta=0.9),
         _torch("SGD", lr=LR, momentum=0.9, nesterov=True), "torch SGD(nesterov=True)"),
    Case("Momentum", lambda p: optim.Momentum(p, lr=LR, beta=0.9),
         _torch("SGD", lr=LR, momentum=0.9), "torch SGD(momentum=0.9)"),
    Case("Adagrad", lambda p: optim.Adagrad(p, lr=LR), _torch("Adagrad", lr=LR), "defaults"),
    Case("RMSprop", lambda p: optim.RMSprop(p, lr=LR), _torch("RMSprop", lr=LR),
         "alpha 0.99"),
    Case("RMSprop-centered",
         lambda p: optim.RMSprop(p, lr=LR, momentum=0.9, centered=True),
         _torch("RMSprop", lr=LR, momentum=0.9, centered=True), "centered, momentum 0.9"),
    Case("Adam", lambda p: optim.Adam(p, lr=LR), _torch("Adam", lr=LR), "defaults"),
    Case("Adam-amsgrad", lambda p: optim.Adam(p, lr=LR, amsgrad=True),
         _torch("Adam", lr=LR, amsgrad=True), "amsgrad"),
    Case("AdamW", lambda p: optim.AdamW(p, lr=LR, weight_decay=1e-2),
         _torch("AdamW", lr=LR, weight_decay=1e-2), "weight_decay 0.01"),
    Case("AdaDelta", lambda p: optim.AdaDelta(p, lr=1.0), _torch("Adadelta", lr=1.0),
         "lr 1, rho 0.9 (torch Adadelta)"),
    Case("Adamax", lambda p: optim.Adamax(p, lr=LR), _torch("Adamax", lr=LR), "defaults"),
    Case("NAdam", lambda p: optim.NAdam(p, lr=LR), _torch("NAdam", lr=LR), "defaults"),
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


def initial_arrays(widths: tuple[int, ...]) -> tuple[list[np.ndarray], list[np.ndarray]]:
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


# ----- one library's side -----


@dataclass
class Side:
    name: str
    params: list[Any]
    optimizer: Any
    times: list[float] = field(default_factory=list)
    steps: int = 0

    def step(self) -> None:
        self.optimizer.step()
        self.steps += 1

    def arrays(self) -> list[np.ndarray]:
        return [p if isinstance(p, np.ndarray) else p.data if isinstance(p, Tensor)
                else p.detach().numpy() for p in self.params]


def chainrule_side(case: Case, params: list[np.ndarray], grads: list[np.ndarray]) -> Side:
    tensors = [Tensor(p, requires_grad=True) for p in params]  # Tensor() copies
    for t, g in zip(tensors, grads):
        t.grad = g.copy()
    return Side("chainrule", tensors, case.ours(tensors))


class _Bare:
    """A hand-written update as an object with ``step()``, to time it like an optimizer."""

    def __init__(self, step: Callable[[], None]) -> None:
        self.step = step


def floor_side(case: Case, params: list[np.ndarray], grads: list[np.ndarray]) -> Side:
    assert case.floor is not None
    arrays = [p.copy() for p in params]
    return Side("numpy floor", arrays, _Bare(case.floor(arrays, [g.copy() for g in grads])))


def torch_side(case: Case, params: list[np.ndarray], grads: list[np.ndarray]) -> Side:
    import torch

    tensors = [torch.tensor(p, requires_grad=True) for p in params]  # torch.tensor copies
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g)
    return Side("PyTorch", tensors, case.theirs(tensors))


# ----- timing and checking -----


@dataclass
class Result:
    case: Case
    sides: list[Side]
    param_diff: float | None = None
    update_diff: float | None = None
    floor_update_diff: float | None = None
    finite: bool = True

    def median_ms(self, k: int) -> float:
        return statistics.median(self.sides[k].times) * 1e3

    def fastest_ms(self, k: int) -> float:
        return min(self.sides[k].times) * 1e3

    def ratio(self) -> float | None:
        if len(self.sides) < 2:
            return None
        return self.median_ms(0) / self.median_ms(1)

    def floor_ratio(self) -> float | None:
        """The hand-written numpy floor's step time over PyTorch's (None without either)."""
        if len(self.sides) < 3:
            return None
        return self.median_ms(2) / self.median_ms(1)


def run(case: Case, params: list[np.ndarray], grads: list[np.ndarray], steps: int, rounds: int,
        settle: float, use_torch: bool) -> Result:
    sides = [chainrule_side(case, params, grads)]
    if use_torch:
        sides.append(torch_side(case, params, grads))
        if case.floor is not None:
            sides.append(floor_side(case, params, grads))
    warmup = 3
    for side in sides:
        for _ in range(warmup):
            side.step()
    for r in range(rounds):
        for k in range(len(sides)):
            side = sides[(r + k) % len(sides)]  # alternate who goes first
            time.sleep(settle)  # let the other library's OpenMP threads stop spinning
            side.step()  # and one untimed step to wake this one's
            step, times = side.step, side.times
            for _ in range(steps):
                start = time.perf_counter()
                step()
                times.append(time.perf_counter() - start)

    result = Result(case, sides)
    result.finite = all(bool(np.isfinite(a).all()) for side in sides for a in side.arrays())
    if use_torch:
        assert sides[0].steps == sides[1].steps
        ours, theirs = sides[0].arrays(), sides[1].arrays()
        result.param_diff = max(
            float(np.max(np.abs(p - q)) / np.max(np.abs(q))) for p, q in zip(ours, theirs)
        )
        result.update_diff = update_diff(ours, theirs, params)
        if len(sides) > 2:
            result.floor_update_diff = update_diff(sides[2].arrays(), theirs, params)
    return result


def update_diff(ours: list[np.ndarray], theirs: list[np.ndarray],
                start: list[np.ndarray]) -> float:
    """Largest difference of the updates w − w0, relative to the largest update of ``theirs``."""
    return max(
        float(np.max(np.abs((p - s) - (q - s))) / max(float(np.max(np.abs(q - s))), 1e-30))
        for p, q, s in zip(ours, theirs, start)
    )


def select(names: list[str] | None, parser: argparse.ArgumentParser) -> list[Case]:
    if not names:
        return CASES
    by_name = {case.name.lower(): case for case in CASES}
    chosen = []
    for name in names:
        case = by_name.get(name.lower())
        if case is None:
            parser.error(f"--only: unknown optimizer {name!r}; choose from "
                         + ", ".join(c.name for c in CASES))
        chosen.append(case)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=None,
                        help="about this many parameters, 784-h1-h2-10 shapes with h1:h2 as "
                        "1024:192 (default 784-1024-192-10, 1,002,570 parameters)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds per optimizer, libraries taking turns")
    parser.add_argument("--settle", type=float, default=0.2,
                        help="seconds of sleep, then one untimed step, before each round")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="optimizers to run: " + ", ".join(c.name for c in CASES))
    parser.add_argument("--torch-threads", type=int, default=THREADS,
                        help=f"torch.set_num_threads (default {THREADS}, as OMP_NUM_THREADS)")
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
            from torch.optim.optimizer import _default_to_fused_or_foreach
        except ImportError:
            use_torch, torch_version = False, "not installed - chainrule figures only"
        else:
            torch.set_num_threads(args.torch_threads)
            _, foreach = _default_to_fused_or_foreach([torch.zeros(1)], False)
            torch_version = (f"{torch.__version__} ({torch.get_num_threads()} threads, default "
                             f"foreach on CPU = {foreach})")
    threads = ", ".join(f"{v}={os.environ[v]}" for v in
                        ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"))
    widths = BASE_WIDTHS if args.params is None else widths_for(args.params)
    params, grads = initial_arrays(widths)
    count = sum(p.size for p in params)
    shapes = " + ".join("x".join(map(str, p.shape)) for p in params)
    print(f"numpy {np.__version__}, {threads}; PyTorch {torch_version}")
    print(f"model {'-'.join(map(str, widths))}: {shapes} = {count:,} float32 parameters "
          f"({count * 4 / 2**20:.1f} MiB)")
    print(f"fixed gradient, 3 warm-up steps, {args.rounds} rounds x {args.steps} timed steps "
          f"per library, {args.settle} s settle, garbage collector on")
    print()

    results = []
    for case in cases:
        result = run(case, params, grads, args.steps, args.rounds, args.settle, use_torch)
        results.append(result)
        line = f"{case.name:<17} chainrule {result.median_ms(0):7.3f} ms"
        if use_torch:
            line += f"   PyTorch {result.median_ms(1):7.3f} ms   {result.ratio():5.2f}x"
        print(line, flush=True)
    print()

    header = f"{'optimizer':<17} {'settings':<30} {'chainrule ms':>12} {'fastest':>8}"
    if use_torch:
        header += (f" {'PyTorch ms':>10} {'fastest':>8} {'ratio':>6}  {'param diff':>10} "
                   f"{'update diff':>11}")
    print(header)
    print("-" * len(header))
    for result in results:
        case = result.case
        line = (f"{case.name:<17} {case.settings:<30} {result.median_ms(0):>12.3f} "
                f"{result.fastest_ms(0):>8.3f}")
        if use_torch:
            line += (f" {result.median_ms(1):>10.3f} {result.fastest_ms(1):>8.3f} "
                     f"{result.ratio():>5.2f}x  {result.param_diff:>10.1e} "
                     f"{result.update_diff:>11.1e}")
            if result.update_diff is not None and not result.update_diff <= TOLERANCE:
                line += "  <- updates DIFFER"
        if not result.finite:
            line += "  <- non-finite parameters"
        print(line)
    footnote = f"(medians over {args.rounds * args.steps} steps"
    if use_torch:
        footnote += (f"; diffs after {results[0].sides[0].steps} steps from the same start: "
                     "max |ours - torch| / max |torch|, of the parameters and of the updates "
                     "w - w0; "
                     f"tolerance {TOLERANCE:g} on the updates")
    print(footnote + ")")
    print()

    if not use_torch:
        print(f"PyTorch {torch_version}: no ratios, target not assessed")
        return
    failed = []
    for result in results:
        ratio = result.ratio()
        assert ratio is not None
        correct = (result.finite and result.update_diff is not None
                   and result.update_diff <= TOLERANCE)
        verdict = "met" if ratio <= TARGET and correct else "NOT met"
        note = "" if correct else " (updates disagree with PyTorch)"
        if verdict != "met":
            failed.append(result.case.name)
        print(f"{result.case.name:<17} chainrule/PyTorch {ratio:5.2f}x  "
              f"(target <= {TARGET:.1f}x: {verdict}){note}")
    floors = [r for r in results if r.floor_ratio() is not None]
    for result in floors:
        ratio = result.floor_ratio()
        assert ratio is not None and result.floor_update_diff is not None
        agrees = "agrees" if result.floor_update_diff <= TOLERANCE else "DIFFERS"
        print(f"{result.case.name:<17} numpy floor/PyTorch {ratio:5.2f}x  (hand-written "
              f"in-place numpy, {result.median_ms(2):.3f} ms; its update {agrees} with "
              f"PyTorch's, diff {result.floor_update_diff:.1e})")
    worst = max(results, key=lambda r: r.ratio() or 0.0)
    overall = "met" if not failed else f"NOT met ({', '.join(failed)})"
    print(f"overall: {len(results) - len(failed)}/{len(results)} optimizers within "
          f"{TARGET:.1f}x of PyTorch, worst {worst.case.name} {worst.ratio():.2f}x; "
          f"target {overall}")


if __name__ == "__main__":
    main()
