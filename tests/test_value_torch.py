"""Scalar ops and micrograd's two reference expressions against PyTorch (float64)."""

from __future__ import annotations

import pytest

from autograd import Value
from tests.value_cases import BINARY, UNARY, Case

torch = pytest.importorskip("torch")

CASES = [(case, point) for case in UNARY + BINARY for point in case.points]


def _binary(name: str):
    """A TorchScalar method applying torch's own operator ``name`` to the wrapped tensors."""

    def method(self: TorchScalar, other: object) -> TorchScalar:
        other = other.t if isinstance(other, TorchScalar) else other
        return TorchScalar(getattr(self.t, name)(other))

    return method


class TorchScalar:
    """A float64 torch scalar that answers to Value's names, so one case function runs on both."""

    def __init__(self, tensor) -> None:
        self.t = tensor

    def __getattr__(self, name: str):
        if name == "leaky_relu":
            return lambda alpha=0.01: TorchScalar(torch.nn.functional.leaky_relu(self.t, alpha))
        method = getattr(self.t, name)
        return lambda *args: TorchScalar(method(*args))

    def __neg__(self) -> TorchScalar:
        return TorchScalar(-self.t)

    __add__, __radd__ = _binary("__add__"), _binary("__radd__")
    __sub__, __rsub__ = _binary("__sub__"), _binary("__rsub__")
    __mul__, __rmul__ = _binary("__mul__"), _binary("__rmul__")
    __truediv__, __rtruediv__ = _binary("__truediv__"), _binary("__rtruediv__")
    __pow__, __rpow__ = _binary("__pow__"), _binary("__rpow__")


@pytest.mark.parametrize(("case", "point"), CASES, ids=[f"{c}@{p}" for c, p in CASES])
def test_forward_and_backward_match_pytorch(case: Case, point: tuple[float, ...]) -> None:
    values = [Value(x) for x in point]
    out = case.f(*values)
    out.backward()

    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    reference = case.f(*[TorchScalar(leaf) for leaf in leaves]).t
    reference.backward()

    assert out.data == pytest.approx(reference.item(), rel=1e-12, abs=1e-12)
    for value, leaf in zip(values, leaves):
        assert value.grad == pytest.approx(leaf.grad.item(), rel=1e-10, abs=1e-12)


def test_micrograd_sanity_check_expression_matches_pytorch() -> None:
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()

    xt = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()

    assert y.data == yt.item()
    assert x.grad == xt.grad.item()


def test_micrograd_more_ops_expression_matches_pytorch() -> None:
    def expression(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        return g + 10.0 / f

    a, b = Value(-4.0), Value(2.0)
    g = expression(a, b)
    g.backward()

    at = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    bt = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    gt = expression(at, bt)
    gt.backward()

    assert g.data == pytest.approx(gt.item(), rel=1e-12)
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(bt.grad.item(), rel=1e-12)


def test_backward_twice_accumulates_on_leaves_like_pytorch() -> None:
    a = Value(1.5)
    b = a * a + a.exp()
    c = b * b
    c.backward()
    c.backward()

    at = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    ct = (at * at + at.exp()) ** 2
    ct.backward(retain_graph=True)
    ct.backward()
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-12)
