"""The table of Tensor ops that the gradcheck and PyTorch-parity tests both iterate over.

Each case is a name, a function ``f(ops, *tensors)``, the shapes of its inputs and the domain
they are drawn from. ``f`` uses method names that torch shares with ``Tensor`` (``exp``, ``@``,
``reshape``, ``x[i]``, ...) and calls everything else through ``ops``: ``OURS`` below for
chainrule, a small adapter in ``test_tensor_torch.py`` for torch (``axis`` → ``dim``,
``keepdims`` → ``keepdim``, ``concatenate`` → ``cat``, ...), so one function runs on both.

Domains keep finite differences honest: ``positive`` for log, sqrt, division and fractional
powers; ``kinkless`` keeps every entry at least 0.1 away from each multiple of 0.5, so relu, abs,
leaky_relu and clip (bounds at multiples of 0.5) are never evaluated across their kinks. Random
draws have no ties, so max, min, maximum and minimum are smooth at the sampled points.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from autograd import Tensor, tensor_ops

Shape = tuple[int, ...]


def sample(domain: str, shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """float64 inputs of ``shape`` from ``domain`` (see the module docstring)."""
    if domain == "real":
        return rng.uniform(-2.0, 2.0, shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "kinkless":
        return 0.5 * (rng.integers(-4, 4, shape) + rng.uniform(0.2, 0.8, shape))
    raise ValueError(f"unknown domain {domain!r}")


@dataclass(frozen=True)
class Case:
    name: str
    f: Callable[..., Any]
    shapes: tuple[Shape, ...]
    domain: str | tuple[str, ...] = "real"

    def __str__(self) -> str:
        return self.name

    def inputs(self) -> list[np.ndarray]:
        """The float64 input arrays: the same for every run of this case."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        domains = (self.domain,) * len(self.shapes) if isinstance(self.domain, str) else self.domain
        return [sample(d, s, rng) for d, s in zip(domains, self.shapes, strict=True)]


def _split(x: Tensor, sections: Any, axis: int = 0) -> list[Tensor]:
    return tensor_ops.split(x, sections, axis=axis)


def _one_hot(labels: list[int], num_classes: int) -> Tensor:
    return tensor_ops.one_hot(np.array(labels), num_classes)


# chainrule's side of the interface that the case functions call through `ops`.
OURS = SimpleNamespace(
    sum=tensor_ops.sum,
    mean=tensor_ops.mean,
    max=tensor_ops.max,
    min=tensor_ops.min,
    var=tensor_ops.var,  # ddof=0 by default
    std=tensor_ops.std,
    logsumexp=tensor_ops.logsumexp,
    softmax=tensor_ops.softmax,
    log_softmax=tensor_ops.log_softmax,
    leaky_relu=tensor_ops.leaky_relu,
    gelu=tensor_ops.gelu,
    softplus=tensor_ops.softplus,
    maximum=tensor_ops.maximum,
    minimum=tensor_ops.minimum,
    where=tensor_ops.where,
    transpose=tensor_ops.transpose,  # numpy's: a full permutation of the axes
    expand_dims=tensor_ops.expand_dims,
    broadcast_to=tensor_ops.broadcast_to,
    concatenate=tensor_ops.concatenate,
    stack=tensor_ops.stack,
    split=_split,
    one_hot=_one_hot,
    const=Tensor,  # an integer or boolean array (an index or mask) as a constant
)

MASK_34 = np.array(
    [[True, False, True, True], [False, False, True, False], [True, True, False, True]]
)
ROWS_3 = np.array([True, False, True])

CASES = [
    # ----- arithmetic, with broadcasting and numbers on either side -----
    Case("add", lambda o, a, b: a + b, ((3, 4), (3, 4))),
    Case("add (3,1) + (1,4)", lambda o, a, b: a + b, ((3, 1), (1, 4))),
    Case("sub (2,3,4) - (4,)", lambda o, a, b: a - b, ((2, 3, 4), (4,))),
    Case("sub (4,) - (2,3,1)", lambda o, a, b: a - b, ((4,), (2, 3, 1))),
    Case("mul (2,3,4) * (4,)", lambda o, a, b: a * b, ((2, 3, 4), (4,))),
    Case("mul () * (3,)", lambda o, a, b: a * b, ((), (3,))),
    Case("mul same tensor", lambda o, a: a * a, ((3, 2),)),
    Case("div (3,1) / (1,4)", lambda o, a, b: a / b, ((3, 1), (1, 4)), ("real", "positive")),
    Case("div (2,3) / ()", lambda o, a, b: a / b, ((2, 3), ()), ("real", "positive")),
    Case("number + tensor", lambda o, a: 2.5 + a, ((3,),)),
    Case("tensor + number", lambda o, a: a + 2.5, ((3,),)),
    Case("number - tensor", lambda o, a: 2.5 - a, ((2, 2),)),
    Case("tensor - number", lambda o, a: a - 2.5, ((2, 2),)),
    Case("number * tensor", lambda o, a: -1.5 * a, ((4,),)),
    Case("tensor * number", lambda o, a: a * 3.0, ((4,),)),
    Case("number / tensor", lambda o, a: 2.0 / a, ((3, 2),), "positive"),
    Case("tensor / number", lambda o, a: a / 4.0, ((3, 2),)),
    Case("pow 3", lambda o, a: a**3, ((2, 3),)),
    Case("pow 2 (int)", lambda o, a: a**2, ((2, 3),)),
    Case("pow 0.5", lambda o, a: a**0.5, ((2, 3),), "positive"),
    Case("pow -1.5", lambda o, a: a**-1.5, ((2, 3),), "positive"),
    Case("number ** tensor", lambda o, a: 1.7**a, ((2, 3),)),
    Case("tensor ** tensor", lambda o, a, b: a**b, ((2, 3), (2, 3)), ("positive", "real")),
    Case("tensor ** tensor (3,1) ** (4,)", lambda o, a, b: a**b, ((3, 1), (4,)), "positive"),
    Case("neg", lambda o, a: -a, ((2, 3),)),
    # ----- elementwise functions -----
    Case("exp", lambda o, a: a.exp(), ((2, 3),)),
    Case("log", lambda o, a: a.log(), ((2, 3),), "positive"),
    Case("sqrt", lambda o, a: a.sqrt(), ((2, 3),), "positive"),
    Case("abs", lambda o, a: a.abs(), ((3, 4),), "kinkless"),
    Case("builtin abs", lambda o, a: abs(a), ((3, 4),), "kinkless"),
    Case("tanh", lambda o, a: a.tanh(), ((3, 4),)),
    Case("sigmoid", lambda o, a: a.sigmoid(), ((3, 4),)),
    Case("relu", lambda o, a: a.relu(), ((3, 4),), "kinkless"),
    Case("leaky_relu", lambda o, a: o.leaky_relu(a), ((3, 4),), "kinkless"),
    Case("leaky_relu 0.2", lambda o, a: o.leaky_relu(a, 0.2), ((3, 4),), "kinkless"),
    Case("gelu", lambda o, a: o.gelu(a), ((3, 4),)),
    Case("gelu tanh", lambda o, a: o.gelu(a, approximate="tanh"), ((3, 4),)),
    Case("softplus", lambda o, a: o.softplus(a), ((3, 4),)),
    Case("clip", lambda o, a: a.clip(-0.5, 1.0), ((3, 4),), "kinkless"),
    Case("clip low only", lambda o, a: a.clip(-0.5), ((3, 4),), "kinkless"),
    Case("maximum (3,1) (1,4)", lambda o, a, b: o.maximum(a, b), ((3, 1), (1, 4))),
    Case("minimum (2,3) (3,)", lambda o, a, b: o.minimum(a, b), ((2, 3), (3,))),
    Case("maximum with a number", lambda o, a: o.maximum(a, 0.5), ((3, 4),), "kinkless"),
    Case("where", lambda o, a, b: o.where(MASK_34, a, b), ((3, 4), (3, 4))),
    Case("where broadcast", lambda o, a, b: o.where(MASK_34, a, b), ((3, 1), (4,))),
    # ----- matrix products -----
    Case("matmul 2-D", lambda o, a, b: a @ b, ((3, 4), (4, 5))),
    Case("matmul batched", lambda o, a, b: a @ b, ((2, 3, 4), (2, 4, 5))),
    Case("matmul broadcast batch", lambda o, a, b: a @ b, ((2, 1, 3, 4), (5, 4, 2))),
    Case("matmul 3-D @ 2-D", lambda o, a, b: a @ b, ((2, 3, 4), (4, 5))),
    Case("matmul 1-D @ 2-D", lambda o, a, b: a @ b, ((4,), (4, 5))),
    Case("matmul 2-D @ 1-D", lambda o, a, b: a @ b, ((3, 4), (4,))),
    Case("matmul 1-D @ 1-D", lambda o, a, b: a @ b, ((4,), (4,))),
    Case("matmul 1-D @ 3-D", lambda o, a, b: a @ b, ((4,), (2, 4, 3))),
    Case("matmul 3-D @ 1-D", lambda o, a, b: a @ b, ((2, 3, 4), (4,))),
    Case("matmul same tensor", lambda o, a: a @ a, ((3, 3),)),
    # ----- reductions -----
    Case("sum all", lambda o, a: o.sum(a), ((3, 4),)),
    Case("sum of 0-d", lambda o, a: o.sum(a), ((),)),
    Case("sum axis 1", lambda o, a: o.sum(a, axis=1), ((3, 4),)),
    Case("sum axis -1 keepdims", lambda o, a: o.sum(a, axis=-1, keepdims=True), ((2, 3, 4),)),
    Case("sum axes (0,2) keepdims", lambda o, a: o.sum(a, (0, 2), keepdims=True), ((2, 3, 4),)),
    Case("sum all keepdims", lambda o, a: o.sum(a, None, keepdims=True), ((2, 3),)),
    Case("mean all", lambda o, a: o.mean(a), ((3, 4),)),
    Case("mean axis 0", lambda o, a: o.mean(a, axis=0), ((3, 4),)),
    Case("mean axes (0,2)", lambda o, a: o.mean(a, axis=(0, 2)), ((2, 3, 4),)),
    Case("mean axes (1,2) keepdims", lambda o, a: o.mean(a, (1, 2), keepdims=True), ((2, 3, 4),)),
    Case("max all", lambda o, a: o.max(a), ((3, 4),)),
    Case("max axis 0", lambda o, a: o.max(a, axis=0), ((3, 4),)),
    Case("max axes (0,2) keepdims", lambda o, a: o.max(a, (0, 2), keepdims=True), ((2, 3, 4),)),
    Case("min all keepdims", lambda o, a: o.min(a, None, keepdims=True), ((3, 4),)),
    Case("min axis -1 keepdims", lambda o, a: o.min(a, axis=-1, keepdims=True), ((3, 4),)),
    Case("min axes (1,2)", lambda o, a: o.min(a, axis=(1, 2)), ((2, 3, 4),)),
    Case("var all", lambda o, a: o.var(a), ((3, 4),)),
    Case("var axis 1", lambda o, a: o.var(a, axis=1), ((3, 4),)),
    Case("var axes (0,2) keepdims", lambda o, a: o.var(a, (0, 2), keepdims=True), ((2, 3, 4),)),
    Case("std all", lambda o, a: o.std(a), ((3, 4),)),
    Case("std axis 0", lambda o, a: o.std(a, axis=0), ((3, 4),)),
    Case("std axes (1,2) keepdims", lambda o, a: o.std(a, (1, 2), keepdims=True), ((2, 3, 4),)),
    Case("logsumexp axis -1", lambda o, a: o.logsumexp(a, -1), ((3, 4),)),
    Case("logsumexp axis 0 keepdims", lambda o, a: o.logsumexp(a, 0, keepdims=True), ((3, 4),)),
    Case("logsumexp axes (0,2)", lambda o, a: o.logsumexp(a, (0, 2)), ((2, 3, 4),)),
    Case("logsumexp all", lambda o, a: o.logsumexp(a, None), ((3, 4),)),
    Case("softmax axis -1", lambda o, a: o.softmax(a, -1), ((3, 4),)),
    Case("softmax axis 0", lambda o, a: o.softmax(a, 0), ((2, 3, 4),)),
    Case("log_softmax axis -1", lambda o, a: o.log_softmax(a, -1), ((3, 4),)),
    Case("log_softmax axis 1", lambda o, a: o.log_softmax(a, 1), ((2, 3, 4),)),
    # ----- shapes -----
    Case("reshape", lambda o, a: a.reshape(2, 6), ((3, 4),)),
    Case("reshape tuple with -1", lambda o, a: a.reshape((4, -1)), ((2, 3, 2),)),
    Case("reshape 0-d to (1,1)", lambda o, a: a.reshape(1, 1), ((),)),
    Case(".T", lambda o, a: a.T, ((3, 4),)),
    Case("transpose reverse", lambda o, a: o.transpose(a), ((2, 3, 4),)),
    Case("transpose axes", lambda o, a: o.transpose(a, 2, 0, 1), ((2, 3, 4),)),
    Case("permute", lambda o, a: a.permute(1, 0, 2), ((2, 3, 4),)),
    Case("flatten", lambda o, a: a.flatten(), ((2, 3, 4),)),
    Case("flatten from 1", lambda o, a: a.flatten(1), ((2, 3, 4),)),
    Case("squeeze all", lambda o, a: a.squeeze(), ((3, 1, 4, 1),)),
    Case("squeeze axis", lambda o, a: a.squeeze(1), ((3, 1, 4, 1),)),
    Case("squeeze axes", lambda o, a: a.squeeze((1, 3)), ((3, 1, 4, 1),)),
    Case("unsqueeze 0", lambda o, a: a.unsqueeze(0), ((3, 4),)),
    Case("unsqueeze -1", lambda o, a: a.unsqueeze(-1), ((3, 4),)),
    Case("expand_dims 1", lambda o, a: o.expand_dims(a, 1), ((3, 4),)),
    Case("broadcast_to", lambda o, a: o.broadcast_to(a, (2, 3, 4)), ((3, 1),)),
    Case("broadcast_to from 0-d", lambda o, a: o.broadcast_to(a, (2, 3)), ((),)),
    # ----- indexing -----
    Case("index int", lambda o, a: a[1], ((3, 4),)),
    Case("index two ints", lambda o, a: a[-1, 2], ((3, 4),)),
    Case("index slice", lambda o, a: a[1:3], ((4, 3),)),
    Case("index step slice", lambda o, a: a[:, ::2], ((3, 5),)),
    Case("index int and slice", lambda o, a: a[..., 1, 1:], ((2, 3, 4),)),
    Case("index None", lambda o, a: a[None, :, 1], ((3, 4),)),
    Case("index repeated ints", lambda o, a: a[[0, 2, 0, 0]], ((3, 4),)),
    Case("index repeated pairs", lambda o, a: a[[0, 0, 2], [1, 1, 3]], ((3, 4),)),
    Case("index repeated columns", lambda o, a: a[:, [3, 3, 0]], ((3, 4),)),
    Case("index int tensor", lambda o, a: a[o.const(np.array([2, 2, 0]))], ((3, 4),)),
    Case("index bool mask", lambda o, a: a[o.const(MASK_34)], ((3, 4),)),
    Case("index bool rows", lambda o, a: a[o.const(ROWS_3)], ((3, 4),)),
    # ----- joining and splitting -----
    Case(
        "concatenate axis 1",
        lambda o, a, b, c: o.concatenate([a, b, c], axis=1),
        ((2, 3), (2, 1), (2, 2)),
    ),
    Case("concatenate axis 0", lambda o, a, b: o.concatenate([a, b], axis=0), ((1, 3), (2, 3))),
    Case("concatenate axis -1", lambda o, a, b: o.concatenate([a, b], -1), ((2, 2, 1), (2, 2, 3))),
    Case("concatenate same tensor", lambda o, a: o.concatenate([a, a * 2.0, a], 0), ((2, 3),)),
    Case("stack axis 0", lambda o, a, b: o.stack([a, b], axis=0), ((3, 4), (3, 4))),
    Case("stack axis -1", lambda o, a, b, c: o.stack([a, b, c], -1), ((2, 3), (2, 3), (2, 3))),
    Case("stack 0-d", lambda o, a, b: o.stack([a, b]), ((), ())),
    Case(
        "split into equal parts",
        lambda o, a: (lambda p: p[0] * p[1].exp() - p[2])(o.split(a, 3, axis=1)),
        ((2, 6),),
    ),
    Case(
        "split at indices",
        lambda o, a: (lambda p: o.concatenate([p[2], p[0] * 2.0, p[1].tanh()], -1))(
            o.split(a, [1, 4], axis=-1)
        ),
        ((2, 6),),
    ),
    # ----- compositions -----
    Case("one_hot weights", lambda o, a: a * o.one_hot([0, 2, 1, 2], 3), ((4, 3),)),
    Case(
        "cross-entropy",
        lambda o, a: -o.mean(o.sum(o.log_softmax(a, -1) * o.one_hot([1, 0, 3], 4), axis=-1)),
        ((3, 4),),
    ),
    Case("dense layer", lambda o, x, w, b: (x @ w + b).tanh(), ((5, 3), (3, 4), (4,))),
    Case(
        "layer norm",
        lambda o, x: (
            (x - o.mean(x, -1, keepdims=True)) / (o.var(x, -1, keepdims=True) + 1e-5).sqrt()
        ),
        ((3, 5),),
    ),
    Case(
        "attention weights",
        lambda o, q, k: o.softmax(q @ o.transpose(k, 0, 2, 1) / 2.0, -1) @ k,
        ((2, 3, 4), (2, 5, 4)),
    ),
]
