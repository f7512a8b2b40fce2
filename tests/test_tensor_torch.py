"""Every Tensor op against PyTorch: values and gradients under a non-uniform upstream gradient."""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from autograd import Tensor
from tests.tensor_cases import CASES, OURS, Case

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _dims(x: Any, axis: Any) -> Any:
    """Our ``axis=None`` (every axis) as torch's explicit tuple of dims."""
    return tuple(range(x.ndim)) if axis is None else axis


def _as_torch(x: Any, like: Any) -> Any:
    return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=like.dtype)


def _split(x: Any, sections: Any, axis: int = 0) -> list[Any]:
    """numpy's split (a number of equal parts, or cut indices) with torch's sizes."""
    if isinstance(sections, int):
        return list(torch.chunk(x, sections, dim=axis))
    edges = [0, *sections, x.shape[axis]]
    return list(torch.split(x, [hi - lo for lo, hi in itertools.pairwise(edges)], dim=axis))


# The same interface as tests.tensor_cases.OURS, spelled in torch.
TORCH = SimpleNamespace(
    sum=lambda x, axis=None, keepdims=False: x.sum(dim=_dims(x, axis), keepdim=keepdims),
    mean=lambda x, axis=None, keepdims=False: x.mean(dim=_dims(x, axis), keepdim=keepdims),
    max=lambda x, axis=None, keepdims=False: x.amax(dim=_dims(x, axis), keepdim=keepdims),
    min=lambda x, axis=None, keepdims=False: x.amin(dim=_dims(x, axis), keepdim=keepdims),
    var=lambda x, axis=None, keepdims=False: x.var(_dims(x, axis), correction=0, keepdim=keepdims),
    std=lambda x, axis=None, keepdims=False: x.std(_dims(x, axis), correction=0, keepdim=keepdims),
    logsumexp=lambda x, axis=-1, keepdims=False: x.logsumexp(_dims(x, axis), keepdim=keepdims),
    softmax=lambda x, axis=-1: x.softmax(axis),
    log_softmax=lambda x, axis=-1: x.log_softmax(axis),
    leaky_relu=lambda x, alpha=0.01: F.leaky_relu(x, alpha),
    gelu=lambda x, approximate="none": F.gelu(x, approximate=approximate),
    softplus=F.softplus,
    maximum=lambda x, y: torch.maximum(_as_torch(x, y), _as_torch(y, x)),
    minimum=lambda x, y: torch.minimum(_as_torch(x, y), _as_torch(y, x)),
    where=lambda mask, x, y: torch.where(torch.as_tensor(mask), x, y),
    transpose=lambda x, *axes: x.permute(*(axes or reversed(range(x.ndim)))),
    expand_dims=lambda x, axis: x.unsqueeze(axis),
    broadcast_to=lambda x, shape: x.broadcast_to(shape),
    concatenate=lambda xs, axis=0: torch.cat(xs, dim=axis),
    stack=lambda xs, axis=0: torch.stack(xs, dim=axis),
    split=_split,
    one_hot=lambda labels, n: F.one_hot(torch.tensor(labels), n).to(torch.float64),
    const=torch.as_tensor,
)


def _run_ours(case: Case, arrays: list[np.ndarray], dtype: str) -> tuple[Tensor, list[Tensor]]:
    leaves = [Tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = case.f(OURS, *leaves)
    ((out + 1) ** 2).mean().backward()  # the upstream gradient 2(out + 1)/n is not uniform
    return out, leaves


def _run_torch(case: Case, arrays: list[np.ndarray], dtype: Any) -> tuple[Any, list[Any]]:
    leaves = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = case.f(TORCH, *leaves)
    ((out + 1) ** 2).mean().backward()
    return out, leaves


@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_and_backward_match_pytorch_in_float64(case: Case) -> None:
    arrays = case.inputs()
    out, leaves = _run_ours(case, arrays, "float64")
    reference, torch_leaves = _run_torch(case, arrays, torch.float64)

    assert out.dtype == np.float64
    assert out.shape == tuple(reference.shape)
    np.testing.assert_allclose(out.data, reference.detach().numpy(), rtol=1e-12, atol=1e-14)
    for leaf, torch_leaf in zip(leaves, torch_leaves, strict=True):
        assert leaf.grad is not None and leaf.grad.shape == leaf.shape
        np.testing.assert_allclose(leaf.grad, torch_leaf.grad.numpy(), rtol=1e-10, atol=1e-13)


FLOAT32_NAMES = [
    "add (3,1) + (1,4)",
    "div (3,1) / (1,4)",
    "tanh",
    "sigmoid",
    "gelu",
    "gelu tanh",
    "softplus",
    "matmul broadcast batch",
    "var axes (0,2) keepdims",
    "logsumexp axis -1",
    "log_softmax axis 1",
    "index repeated pairs",
    "dense layer",
    "layer norm",
]
FLOAT32_CASES = [case for case in CASES if case.name in FLOAT32_NAMES]


def test_float32_selection_names_existing_cases() -> None:
    assert len(FLOAT32_CASES) == len(FLOAT32_NAMES)


@pytest.mark.parametrize("case", FLOAT32_CASES, ids=str)
def test_default_float32_matches_pytorch_float32(case: Case) -> None:
    arrays = case.inputs()
    out, leaves = _run_ours(case, arrays, "float32")
    reference, torch_leaves = _run_torch(case, arrays, torch.float32)

    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, reference.detach().numpy(), rtol=1e-5, atol=1e-6)
    for leaf, torch_leaf in zip(leaves, torch_leaves, strict=True):
        assert leaf.grad.dtype == np.float32
        np.testing.assert_allclose(leaf.grad, torch_leaf.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_max_ties_share_the_gradient_like_pytorch_amax() -> None:
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x = Tensor(data, dtype="float64", requires_grad=True)
    (OURS.max(x, axis=1) * Tensor([1.0, 2.0], dtype="float64")).sum().backward()
    xt = torch.tensor(data, requires_grad=True)
    (xt.amax(dim=1) * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-15)


def test_maximum_ties_split_the_gradient_like_pytorch() -> None:
    a_data, b_data = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])
    a = Tensor(a_data, dtype="float64", requires_grad=True)
    b = Tensor(b_data, dtype="float64", requires_grad=True)
    (OURS.maximum(a, b) * Tensor([3.0, 5.0, 7.0], dtype="float64")).sum().backward()
    at, bt = (torch.tensor(v, requires_grad=True) for v in (a_data, b_data))
    (torch.maximum(at, bt) * torch.tensor([3.0, 5.0, 7.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(b.grad, bt.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize(("op", "point"), [("relu", 0.0), ("abs", 0.0), ("clip", -0.5)])
def test_gradients_at_kinks_follow_pytorch(op: str, point: float) -> None:
    data = np.array([point, point + 1.0])
    x = Tensor(data, dtype="float64", requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    if op == "clip":
        x.clip(-0.5, 1.0).sum().backward()
        xt.clip(-0.5, 1.0).sum().backward()
    else:
        getattr(x, op)().sum().backward()
        getattr(xt, op)().sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())
