"""Convolution-family Tensor ops: gradchecks, PyTorch parity, dropout, errors and dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograd import Tensor, avg_pool2d, conv2d, dropout, gradcheck, max_pool2d, pad


def _leaf(rng: np.random.Generator, *shape: int) -> Tensor:
    return Tensor(rng.standard_normal(shape), dtype="float64", requires_grad=True)


# ----- gradcheck (float64) -----

CONV_CASES = [
    # (x shape, weight shape, stride, padding)
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 6), (4, 3, 3, 3), 2, 1),
    ((2, 2, 8, 7), (3, 2, 2, 3), 1, (1, 2)),
    ((3, 2, 9, 8), (2, 2, 3, 2), (2, 1), 1),
    ((2, 1, 5, 5), (2, 1, 1, 4), 2, (1, 2)),
]


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV_CASES)
def test_conv2d_gradcheck(x_shape: tuple, w_shape: tuple, stride: Any, padding: Any) -> None:
    rng = np.random.default_rng(0)
    x, w, b = _leaf(rng, *x_shape), _leaf(rng, *w_shape), _leaf(rng, w_shape[0])
    result = gradcheck(lambda x, w, b: conv2d(x, w, b, stride=stride, padding=padding), [x, w, b])
    assert result, str(result)
    result = gradcheck(lambda x, w: conv2d(x, w, stride=stride, padding=padding), [x, w])
    assert result, str(result)


@pytest.mark.parametrize("pad_width", [1, ((0, 0), (1, 2), (3, 0)), ((2, 1),), (0, 2)])
def test_pad_gradcheck(pad_width: Any) -> None:
    x = _leaf(np.random.default_rng(1), 2, 3, 4)
    result = gradcheck(lambda x: pad(x, pad_width, value=0.5), [x])
    assert result, str(result)


@pytest.mark.parametrize(("kernel", "stride"), [(2, None), ((3, 2), 1), (3, 2), ((2, 3), (1, 2))])
def test_pool_gradcheck(kernel: Any, stride: Any) -> None:
    x = _leaf(np.random.default_rng(2), 2, 3, 7, 6)  # continuous random values: no tied maxima
    for pool in (max_pool2d, avg_pool2d):
        result = gradcheck(lambda x, pool=pool: pool(x, kernel, stride), [x])
        assert result, f"{pool.__name__}: {result}"


def test_dropout_gradcheck() -> None:
    x = _leaf(np.random.default_rng(3), 4, 5)
    result = gradcheck(lambda x: dropout(x, 0.3, rng=7), [x])  # a fixed seed: a fixed mask
    assert result, str(result)


def test_max_pool2d_gives_a_tied_window_gradient_to_its_first_max() -> None:
    x = Tensor(np.ones((1, 1, 2, 4)), dtype="float64", requires_grad=True)
    max_pool2d(x, 2).backward(np.array([[[[1.0, 2.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[1, 0, 2, 0], [0, 0, 0, 0]]]])


# ----- PyTorch parity: forward and backward through loss = ((out + 1) ** 2).mean() -----


def _parity(ours: Any, theirs: Any, *arrays: np.ndarray) -> None:
    torch = pytest.importorskip("torch")
    tensors = [Tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    out = ours(*tensors)
    ((out + 1) ** 2).mean().backward()
    torch_tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    torch_out = theirs(*torch_tensors)
    ((torch_out + 1) ** 2).mean().backward()
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours_t, theirs_t in zip(tensors, torch_tensors):
        np.testing.assert_allclose(ours_t.grad, theirs_t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "padding"),
    [*CONV_CASES, ((2, 3, 8, 8), (5, 3, 3, 3), 2, 1), ((1, 2, 10, 9), (3, 2, 5, 4), 3, 2)],
)
def test_conv2d_matches_torch(x_shape: tuple, w_shape: tuple, stride: Any, padding: Any) -> None:
    functional = pytest.importorskip("torch.nn.functional")
    rng = np.random.default_rng(4)
    x, w, b = (
        rng.standard_normal(x_shape),
        rng.standard_normal(w_shape),
        rng.standard_normal(w_shape[0]),
    )
    _parity(
        lambda x, w, b: conv2d(x, w, b, stride=stride, padding=padding),
        lambda x, w, b: functional.conv2d(x, w, b, stride=stride, padding=padding),
        x,
        w,
        b,
    )
    _parity(
        lambda x, w: conv2d(x, w, stride=stride, padding=padding),
        lambda x, w: functional.conv2d(x, w, stride=stride, padding=padding),
        x,
        w,
    )


@pytest.mark.parametrize(("kernel", "stride"), [(2, None), ((3, 2), 1), (3, 2), ((2, 3), (1, 2))])
def test_pools_match_torch(kernel: Any, stride: Any) -> None:
    functional = pytest.importorskip("torch.nn.functional")
    x = np.random.default_rng(5).standard_normal((2, 3, 9, 8))
    _parity(
        lambda x: max_pool2d(x, kernel, stride),
        lambda x: functional.max_pool2d(x, kernel, stride),
        x,
    )
    _parity(
        lambda x: avg_pool2d(x, kernel, stride),
        lambda x: functional.avg_pool2d(x, kernel, stride),
        x,
    )


@pytest.mark.parametrize(
    "pad_width", [((0, 0), (0, 0), (1, 2), (3, 0)), ((0, 0), (2, 1), (0, 0), (1, 1)), 1]
)
def test_pad_matches_torch(pad_width: Any) -> None:
    functional = pytest.importorskip("torch.nn.functional")
    x = np.random.default_rng(6).standard_normal((2, 3, 4, 5))
    pairs = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    # torch lists (before, after) from the last axis backwards: (left, right, top, bottom, ...).
    torch_pad = tuple(int(v) for pair in pairs[::-1] for v in pair)
    _parity(
        lambda x: pad(x, pad_width, value=-0.25),
        lambda x: functional.pad(x, torch_pad, mode="constant", value=-0.25),
        x,
    )


# ----- dropout -----


def test_dropout_zeroes_about_p_and_scales_the_rest() -> None:
    x = Tensor(np.full((200, 100), 2.0), requires_grad=True)
    out = dropout(x, p=0.3, rng=np.random.default_rng(0))
    zeroed = out.data == 0
    assert abs(zeroed.mean() - 0.3) < 0.02
    np.testing.assert_allclose(out.data[~zeroed], 2.0 / 0.7, rtol=1e-6)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape))
    np.testing.assert_allclose(x.grad, np.where(zeroed, 0.0, 1 / 0.7), rtol=1e-6)


def test_dropout_seed_fixes_the_mask() -> None:
    x = Tensor(np.ones((10, 10)))
    np.testing.assert_array_equal(dropout(x, rng=3).data, dropout(x, rng=3).data)


def test_dropout_is_the_identity_in_eval_mode_or_for_p_zero() -> None:
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    assert dropout(x, 0.5, training=False) is x
    assert dropout(x, 0.0) is x


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_dropout_rejects_p_out_of_range(p: float) -> None:
    with pytest.raises(ValueError, match=r"dropout: p must be in \[0, 1\), got p="):
        dropout(Tensor(np.ones(3)), p)


# ----- errors name the shapes -----


def test_conv2d_errors_name_the_shapes() -> None:
    w = Tensor(np.ones((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"input must be 4-D .* got shape \(3, 8, 8\)"):
        conv2d(Tensor(np.ones((3, 8, 8))), w)
    message = r"conv2d: input \(2, 3, 8, 8\) has 3 channels but weight \(4, 2, 3, 3\) expects 2"
    with pytest.raises(ValueError, match=message):
        conv2d(Tensor(np.ones((2, 3, 8, 8))), w)
    with pytest.raises(ValueError, match=r"kernel \(3, 3\) .* padded input \(2, 4\)"):
        conv2d(Tensor(np.ones((1, 2, 2, 2))), w, padding=(0, 1))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\) .* got \(3,\)"):
        conv2d(Tensor(np.ones((1, 2, 5, 5))), w, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="stride"):
        conv2d(Tensor(np.ones((1, 2, 5, 5))), w, stride=0)


def test_pool_and_pad_errors_name_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"max_pool2d: input must be 4-D .* \(4, 4\)"):
        max_pool2d(Tensor(np.ones((4, 4))), 2)
    with pytest.raises(ValueError, match=r"avg_pool2d: kernel \(5, 5\) .* \(1, 1, 4, 4\)"):
        avg_pool2d(Tensor(np.ones((1, 1, 4, 4))), 5)
    with pytest.raises(ValueError, match=r"pad: pad_width .* shape \(2, 3\)"):
        pad(Tensor(np.ones((2, 3))), ((1, 1), (1, 1), (1, 1)))


# ----- float32 stays float32 -----


def test_float32_conv2d_stays_float32() -> None:
    rng = np.random.default_rng(7)
    x = Tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(4), requires_grad=True)
    out = conv2d(x, w, b, stride=2, padding=1)
    assert out.dtype == np.float32
    pooled = max_pool2d(out, 2) + avg_pool2d(out, 2)
    pooled.backward(np.ones(pooled.shape, dtype=np.float32))
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    assert (x.grad.shape, w.grad.shape, b.grad.shape) == (x.shape, w.shape, b.shape)
