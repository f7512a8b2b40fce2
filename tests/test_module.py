"""Module: one walker for modules, parameters and buffers; modes; weights saved without pickle."""

from __future__ import annotations

import os

import numpy as np
import pytest

import nn
import optim
from autograd import Tensor, Value
from nn.layers import Dense


class Block(nn.Module):
    """Parameters in an attribute, a dict and a list nested two deep, a cached output, a buffer."""

    def __init__(self) -> None:
        self.weight = Tensor(np.ones((2, 3)), requires_grad=True)
        self.heads = {"left": Tensor(np.zeros(3), requires_grad=True)}
        self.stages = [[Dense(2, input_shape=(3,))]]
        self.constant = Tensor(np.ones(3))  # no gradient: neither parameter nor buffer
        self.register_buffer("running", np.zeros(3))

    def __call__(self, x: Tensor) -> Tensor:
        self.last_output = (x @ self.weight) + self.heads["left"]  # cached: not a leaf
        return self.last_output


def test_parameters_are_leaves_only_and_cached_outputs_are_not_counted() -> None:
    block = Block()
    block(Tensor(np.ones((4, 2))))
    names = [name for name, _ in block.named_parameters()]
    assert names == ["weight", "heads.left", "stages.0.0.kernel", "stages.0.0.bias"]


def test_modules_nested_two_lists_deep_are_found_and_switched_to_eval() -> None:
    block = Block()
    inner = block.stages[0][0]
    assert inner in list(block.modules())
    block.eval()
    assert inner.training is False
    block.train()
    assert inner.training is True


def test_buffers_are_saved_but_not_optimized() -> None:
    block = Block()
    assert [name for name, _ in block.named_buffers()] == ["running"]
    assert all(p is not block.running for p in block.parameters())
    assert "running" in block.state_dict()


def test_state_dict_uses_dotted_names_and_copies() -> None:
    block = Block()
    state = block.state_dict()
    assert list(state) == [
        "weight",
        "heads.left",
        "stages.0.0.kernel",
        "stages.0.0.bias",
        "running",
    ]
    state["weight"][...] = 7.0
    assert block.weight.data[0, 0] == 1.0


def test_load_state_dict_copies_in_place_so_a_bound_optimizer_keeps_working() -> None:
    source, target = Block(), Block()
    source.weight.data[...] = 3.0
    source.running[...] = 5.0
    weight_array = target.weight.data
    target.load_state_dict(source.state_dict())
    assert target.weight.data is weight_array
    np.testing.assert_array_equal(target.weight.data, 3.0)
    np.testing.assert_array_equal(target.running, 5.0)


def test_strict_loading_names_missing_unexpected_and_mis_shaped_entries() -> None:
    block = Block()
    state = block.state_dict()
    del state["heads.left"]
    state["extra"] = np.zeros(1)
    state["weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError) as error:
        block.load_state_dict(state)
    message = str(error.value)
    assert "missing ['heads.left']" in message
    assert "unexpected ['extra']" in message
    assert "weight: saved (3, 3), model (2, 3)" in message


def test_non_strict_loading_skips_missing_and_unexpected_but_not_bad_shapes() -> None:
    block = Block()
    block.load_state_dict({"weight": np.full((2, 3), 2.0), "other": np.ones(1)}, strict=False)
    np.testing.assert_array_equal(block.weight.data, 2.0)
    with pytest.raises(ValueError, match="shapes differ"):
        block.load_state_dict({"weight": np.ones(2)}, strict=False)


def test_values_are_saved_and_loaded_too() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    copy = nn.MLP(2, [3, 1], seed=1)
    copy.load_state_dict(model.state_dict())
    assert [p.data for p in copy.parameters()] == [p.data for p in model.parameters()]


def test_save_and_load_round_trip_through_npz(tmp_path) -> None:
    block, other = Block(), Block()
    block.weight.data[...] = np.arange(6).reshape(2, 3)
    path = tmp_path / "weights.npz"
    block.save(path)
    other.load(path)
    np.testing.assert_array_equal(other.weight.data, block.weight.data)
    assert os.listdir(tmp_path) == ["weights.npz"]  # no temporary file left behind


def test_a_crash_mid_save_leaves_the_previous_file_intact(tmp_path, monkeypatch) -> None:
    block = Block()
    path = tmp_path / "weights.npz"
    block.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(np, "savez", crash)
    block.weight.data[...] = 9.0
    with pytest.raises(KeyboardInterrupt):
        block.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["weights.npz"]


def test_loading_a_file_that_is_not_an_npz_archive_names_the_file(tmp_path) -> None:
    path = tmp_path / "notes.npz"
    path.write_text("not weights")
    with pytest.raises(ValueError, match=r"notes\.npz.*not an \.npz archive"):
        Block().load(path)


def test_loading_object_arrays_is_refused_without_pickle_advice(tmp_path) -> None:
    path = tmp_path / "pickled.npz"
    np.savez(path, weight=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="never loads pickles") as error:
        Block().load(path)
    assert "allow_pickle" not in str(error.value)


@pytest.mark.parametrize("mode", [np.ones(3), [1, 0], 1, "yes"])
def test_a_mode_that_is_not_a_bool_is_a_type_error_saying_what_to_call(mode) -> None:
    with pytest.raises(TypeError, match=r"takes True or False.*call fit\(x, y\)"):
        Block().train(mode)


def test_register_buffer_rejects_a_tensor_that_requires_grad() -> None:
    with pytest.raises(ValueError, match="must not require a gradient"):
        nn.Module().register_buffer("b", Tensor(np.ones(2), requires_grad=True))


def test_an_optimizer_given_the_model_or_its_method_says_to_call_parameters() -> None:
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match=r"pass model\.parameters\(\)"):
        optim.SGD(model)
    with pytest.raises(TypeError, match=r"a method .*pass model\.parameters\(\)"):
        optim.SGD(model.parameters)


def test_mlp_layer_sizes_must_be_a_list() -> None:
    with pytest.raises(TypeError, match=r"layer sizes must be a list, such as MLP\(2, \[3\]\)"):
        nn.MLP(2, 3)


def test_a_batch_fed_to_the_scalar_mlp_is_named_as_a_batch() -> None:
    model = nn.MLP(30, [4, 1], seed=0)
    batch = np.zeros((455, 30))
    with pytest.raises(ValueError, match=r"batch of 455 samples of 30 inputs.*one sample"):
        model(batch)


def test_regularization_loss_is_zero_without_regularizers_and_a_graph_node_with_them() -> None:
    plain = Dense(2, input_shape=(3,))
    assert float(plain.regularization_loss().data) == 0.0
    layer = Dense(2, input_shape=(3,), kernel_regularizer=nn.regularizers.l2(0.5))
    penalty = layer.regularization_loss()
    np.testing.assert_allclose(penalty.data, 0.5 * np.sum(layer.kernel.data**2), rtol=1e-6)
    penalty.backward()
    np.testing.assert_allclose(layer.kernel.grad, layer.kernel.data, rtol=1e-6)  # 2 · 0.5 · w


def test_value_parameters_count_only_leaves() -> None:
    class Pair(nn.Module):
        def __init__(self) -> None:
            self.a = Value(1.0)
            self.b = self.a * 2  # computed: not a parameter

    pair = Pair()
    assert [id(p) for p in pair.parameters()] == [id(pair.a)]
