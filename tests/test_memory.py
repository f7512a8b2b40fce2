"""Memory: a finished graph is freed by reference counting alone, and training does not grow.

A graph links each node to its parents only (a Value's parents, a Tensor's parents and VJPs,
which hold arrays, never the node that owns them), so dropping the root frees the whole graph at
once, without Python's cyclic garbage collector. The tests below run with that collector
disabled: a reference cycle made per graph or per step would then stay, and show.

``Value`` and ``Tensor`` have ``__slots__`` without ``__weakref__``, so nodes cannot be watched
with ``weakref``; they are counted among the objects the collector tracks instead
(``gc.get_objects()``, which lists every live instance of a class with slots), and the arrays a
graph holds by ``tracemalloc``. The Values an op makes are not tracked on CPython
(autograd/value.py says why), so the tests that count Values make them tracked (``counted``);
tracking changes nothing about reference counting, which is what frees a graph. One test frees
a chain of untracked Values as they are made, and measures the bytes.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import autograd
import nn
import optim
from autograd import Tensor, Value
from nn.callbacks import Callback
from nn.layers import Dense
from nn.losses import MeanSquaredError
from nn.models import Sequential

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0.0, 1.0, 1.0, 0.0]
GROWTH_BOUND = 16 * 1024  # bytes over a few hundred steps; one leaked graph a step is far more


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    """Python's cyclic collector off for the test (reference counting only), after a collection
    that clears what earlier tests left."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@pytest.fixture
def traced() -> Iterator[Callable[[], int]]:
    """``tracemalloc`` running for the test; gives a function returning the bytes traced now."""
    started_here = not tracemalloc.is_tracing()
    if started_here:
        tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[0]
    finally:
        if started_here:
            tracemalloc.stop()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Values an op makes stay tracked by the collector, so that ``_alive(Value)`` sees them."""
    monkeypatch.setattr(autograd.value, "_untrack", lambda value: None)


def _alive(kind: type) -> int:
    """How many objects of exactly this type are alive."""
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def _xor_loss(model: nn.MLP) -> Value:
    return autograd.sum([(model(x) - y) ** 2 for x, y in zip(XOR_X, XOR_Y)])


def _tensor_mlp(x: np.ndarray) -> Sequential:
    nn.random.set_random_seed(0)
    model = Sequential([Dense(16, activation="relu"), Dense(16, activation="relu"), Dense(1)])
    model(x)  # builds the weights
    return model


def _regression(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    return x, (x[:, :1] * x[:, 1:]).astype(np.float32)


# ----- a finished graph is freed -----


def test_a_value_graph_is_freed_by_reference_counting_once_its_root_is_dropped(
    no_cyclic_gc: None, counted: None
) -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    before = _alive(Value)
    loss = _xor_loss(model)
    loss.backward()
    assert _alive(Value) > before + 100  # the graph is alive while its root is
    del loss
    assert _alive(Value) == before


def test_a_tensor_graph_is_freed_by_reference_counting_once_its_root_is_dropped(
    no_cyclic_gc: None,
) -> None:
    x, y = _regression(64)
    model = _tensor_mlp(x)
    before = _alive(Tensor)
    loss = MeanSquaredError()(y, model(x))
    loss.backward()
    assert _alive(Tensor) > before + 5
    del loss
    assert _alive(Tensor) == before


def test_the_arrays_of_a_tensor_graph_are_freed_with_it(
    no_cyclic_gc: None, traced: Callable[[], int]
) -> None:
    x, y = _regression(4096)  # activations of 4096 x 16 float32: 256 KiB each
    model = _tensor_mlp(x)
    loss = MeanSquaredError()(y, model(x))
    loss.backward()  # the parameters' .grad arrays exist from here on
    del loss
    before = traced()
    loss = MeanSquaredError()(y, model(x))
    assert traced() > before + 1024 * 1024  # the graph's arrays, while it is alive
    loss.backward()
    del loss
    assert traced() - before < 4096


def test_a_chain_of_100000_values_is_freed_without_recursion(
    no_cyclic_gc: None, counted: None
) -> None:
    x = Value(0.5)
    before = _alive(Value)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.backward()
    assert _alive(Value) >= before + 100_000
    del y
    assert _alive(Value) == before


def test_a_chain_of_100000_untracked_values_is_freed_too(
    no_cyclic_gc: None, traced: Callable[[], int]
) -> None:
    x = Value(0.5)
    before = traced()
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.backward()
    assert traced() - before > 10 * 1024 * 1024  # about 150 bytes a node, while it is alive
    del y
    assert traced() - before < 256 * 1024  # what Python keeps in its free lists for reuse


def test_a_chain_of_10000_tensors_is_freed_without_recursion(no_cyclic_gc: None) -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    before = _alive(Tensor)
    y = x
    for _ in range(10_000):
        y = (y * 1.0001).tanh()
    y.sum().backward()
    assert _alive(Tensor) >= before + 10_000
    del y
    assert _alive(Tensor) == before


# ----- training does not grow -----


def _growth(step: Callable[[], Any], traced: Callable[[], int], warmup: int, steps: int) -> int:
    """Bytes traced after ``steps`` steps minus before them (after ``warmup`` steps)."""
    for _ in range(warmup):
        step()
    before = traced()
    for _ in range(steps):
        step()
    return traced() - before


def test_300_scalar_mlp_training_steps_do_not_grow_memory(
    no_cyclic_gc: None, traced: Callable[[], int], counted: None
) -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    values = _alive(Value)

    def step() -> None:
        loss = _xor_loss(model)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    assert _growth(step, traced, warmup=20, steps=300) < GROWTH_BOUND
    assert _alive(Value) == values


def test_300_tensor_mlp_training_steps_with_adam_do_not_grow_memory(
    no_cyclic_gc: None, traced: Callable[[], int]
) -> None:
    x, y = _regression(64)
    model = _tensor_mlp(x)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = MeanSquaredError()
    tensors = _alive(Tensor)

    def step() -> None:
        loss = loss_fn(y, model(x))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    assert _growth(step, traced, warmup=20, steps=300) < GROWTH_BOUND
    assert _alive(Tensor) == tensors


class _TracedAt(Callback):
    """Records the traced bytes after the ``first`` training batch and after the last one."""

    def __init__(self, traced: Callable[[], int], first: int) -> None:
        super().__init__()
        self.traced, self.first, self.batches = traced, first, 0
        self.readings: list[int] = []

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.batches += 1
        if self.batches == self.first:
            self.readings.append(self.traced())

    def on_train_end(self, logs: Any = None) -> None:
        self.readings.append(self.traced())


def test_300_fit_steps_do_not_grow_memory(no_cyclic_gc: None, traced: Callable[[], int]) -> None:
    x, y = _regression(32 * 100)  # 100 batches an epoch
    model = _tensor_mlp(x)
    model.compile(optimizer=optim.SGD(learning_rate=0.05, momentum=0.9), loss="mse")
    probe = _TracedAt(traced, first=20)
    model.fit(x, y, batch_size=32, epochs=3, verbose=0, seed=0, callbacks=[probe])
    assert probe.batches == 300
    first, last = probe.readings
    assert last - first < GROWTH_BOUND


def test_a_trained_model_is_freed_by_reference_counting_once_dropped(no_cyclic_gc: None) -> None:
    x, y = _regression(64)
    before = _alive(Tensor)
    model = _tensor_mlp(x)
    model.compile(optimizer=optim.Adam(learning_rate=1e-2), loss="mse")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert _alive(Tensor) > before  # its weights
    del model
    assert _alive(Tensor) == before
