"""explain(root, wrt=...): every path from a parameter to the root, every chain-rule factor along
it, and their sum, which is the gradient backward gives, computed without touching any grad."""

from __future__ import annotations

import itertools
import math
import random
import re
import time

import numpy as np
import pytest

from autograd import Tensor, Value, dot
from autograd.explain import Explanation, Factor, count_paths, explain

# ----- helpers -----


def random_value_graph(seed: int) -> tuple[Value, list[Value], list[Value]]:
    """A random scalar DAG of +, *, tanh, exp and sigmoid in which nodes are reused; returns the
    root, the leaves and every node made."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1.0, 1.0), label=f"p{i}") for i in range(rng.randint(2, 4))]
    nodes = list(leaves)
    for _ in range(rng.randint(6, 18)):
        kind = rng.choice(["+", "*", "tanh", "exp", "sigmoid"])
        a = rng.choice(nodes[-4:] if rng.random() < 0.6 else nodes)  # recent nodes: deep graphs
        if kind in ("+", "*"):
            b = rng.choice(nodes)  # may be `a` itself: a + a, a * a
            nodes.append(a + b if kind == "+" else a * b)
        elif kind == "exp" and abs(a.data) < 2.0:
            nodes.append(a.exp())
        else:
            nodes.append(a.sigmoid() if kind == "sigmoid" else a.tanh())
    root = nodes[-1]
    for node in nodes[:-1]:  # tie in the nodes that nothing uses, so every node matters
        if rng.random() < 0.4:
            root = root + node * rng.choice(nodes)
    return root, leaves, nodes


def fresh_gradients(root: Value, nodes: list[Value]) -> dict[Value, float]:
    """Every node's gradient from one backward pass starting at zero."""
    for node in nodes:
        node.grad = 0.0
    root.backward()
    return {node: node.grad for node in nodes}


def neuron_of_the_guide() -> dict[str, Value]:
    """The study guide's §41 neuron (E17): x = [0.5, 0.8], w = [0.1, −0.2], b = 0, target 1,
    z = w·x + b, ŷ = σ(z), and the loss ½(y − ŷ)² whose descent step is the guide's update
    ``w + lr · (y − ŷ) ŷ (1 − ŷ) x``."""
    x1, x2 = Value(0.5, label="x1"), Value(0.8, label="x2")
    w1, w2 = Value(0.1, label="w1"), Value(-0.2, label="w2")
    b = Value(0.0, label="b")
    wx = dot([w1, w2], [x1, x2])
    wx.label = "w·x"
    z = wx + b
    z.label = "z"
    y_pred = z.sigmoid()
    y_pred.label = "y_pred"
    error = 1.0 - y_pred
    error.label = "error"
    squared = error**2
    squared.label = "error²"
    loss = 0.5 * squared
    loss.label = "loss"
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "z": z, "y_pred": y_pred,
            "error": error, "loss": loss}  # fmt: skip


# The guide's numbers (§41), to the digits shown, worked out by hand from its formulas:
Z = -0.11  # 0.5·0.1 + 0.8·(−0.2)
Y_PRED = 0.47252769565540629  # σ(−0.11)
LOSS = 0.13911351592529785  # ½(1 − ŷ)²
DL_DYPRED = -0.52747230434459371  # −(y − ŷ): the guide's `error` with the descent sign
DYPRED_DZ = 0.24924527249399802  # ŷ(1 − ŷ)
DL_DZ = -0.13146997822940531
DL_DW = (-0.065734989114702657, -0.10517598258352425)  # −(the guide's `gradient`)
UPDATED_WEIGHTS = (0.1065735, -0.1894824)  # what the guide prints: "Updated Weights:"


def row(*cells: str) -> re.Pattern:
    """A text table row holding ``cells`` in order, separated by column spacing."""
    return re.compile(r"\s{2,}".join(re.escape(cell) for cell in cells))


# ----- scalar graphs: the sum over paths is the gradient -----


@pytest.mark.parametrize("seed", range(40))
def test_sum_over_paths_equals_backward_on_random_value_dags(seed: int) -> None:
    root, _, nodes = random_value_graph(seed)
    explained = {node: explain(root, wrt=node, max_paths=100_000).total for node in nodes}
    expected = fresh_gradients(root, nodes)
    for node in nodes:
        assert explained[node] == pytest.approx(expected[node], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_each_factor_is_upstream_times_local_and_feeds_the_next(seed: int) -> None:
    root, leaves, _ = random_value_graph(seed)
    result = explain(root, wrt=leaves[0], max_paths=100_000)
    for path, contribution in zip(result.paths, result.contributions):
        assert path[0].upstream == 1.0
        for factor, following in itertools.pairwise(path):
            assert following.upstream == factor.product
        for factor in path:
            assert factor.product == factor.upstream * factor.local
        assert contribution == path[-1].product


def test_reuse_gives_one_path_per_use() -> None:
    a = Value(3.0, label="a")
    b = a * a + a  # db/da = 2a + 1: three paths, two through the product
    result = explain(b, wrt=a)
    assert len(result.paths) == 3
    assert sorted(result.contributions) == [1.0, 3.0, 3.0]
    assert result.total == 7.0


def test_wrt_the_root_itself_is_one_empty_path_of_derivative_one() -> None:
    a = Value(2.0, label="a")
    root = a.tanh()
    result = explain(root, wrt=root)
    assert result.paths == [[]]
    assert result.total == 1.0
    assert root.grad == 0.0


def test_a_value_outside_the_graph_has_no_path_and_derivative_zero() -> None:
    a, unrelated = Value(2.0, label="a"), Value(5.0, label="u")
    result = explain(a * 3.0, wrt=unrelated)
    assert result.paths == []
    assert result.total == 0.0
    assert "no path leads from u" in str(result)


# ----- the guide's sigmoid neuron (E17), factor by factor -----


def test_guide_neuron_forward_values_are_the_guides() -> None:
    neuron = neuron_of_the_guide()
    assert neuron["z"].data == pytest.approx(Z, abs=1e-15)
    assert neuron["y_pred"].data == pytest.approx(Y_PRED, abs=1e-15)
    assert neuron["loss"].data == pytest.approx(LOSS, abs=1e-15)


def test_guide_neuron_weight_gradient_factor_by_factor() -> None:
    neuron = neuron_of_the_guide()
    result = explain(neuron["loss"], wrt=neuron["w1"])
    assert len(result.paths) == 1
    (path,) = result.paths
    steps = [(f.node, f.op, f.input) for f in path]
    assert steps == [
        ("loss", "* 0.5", "error²"),
        ("error²", "** 2", "error"),
        ("error", "1 -", "y_pred"),
        ("y_pred", "sigmoid", "z"),
        ("z", "+", "w·x"),
        ("w·x", "dot", "w1"),
    ]
    error = 1.0 - Y_PRED
    expected_local = [0.5, 2 * error, -1.0, DYPRED_DZ, 1.0, 0.5]  # dz/dw1 = x1 = 0.5
    expected_product = [0.5, error, DL_DYPRED, DL_DZ, DL_DZ, DL_DW[0]]
    assert [f.local for f in path] == pytest.approx(expected_local, abs=1e-15)
    assert [f.upstream for f in path] == pytest.approx([1.0, *expected_product[:-1]], abs=1e-15)
    assert [f.product for f in path] == pytest.approx(expected_product, abs=1e-15)


def test_guide_neuron_gradients_and_update_match_the_guide() -> None:
    neuron = neuron_of_the_guide()
    gradients = [explain(neuron["loss"], wrt=neuron[name]).total for name in ("w1", "w2")]
    assert gradients == pytest.approx(DL_DW, abs=1e-15)
    assert explain(neuron["loss"], wrt=neuron["b"]).total == pytest.approx(DL_DZ, abs=1e-15)
    updated = [w - 0.1 * g for w, g in zip((0.1, -0.2), gradients)]
    assert updated == pytest.approx(UPDATED_WEIGHTS, abs=5e-8)  # the guide prints 7 digits


def test_guide_neuron_explanation_equals_backward() -> None:
    neuron = neuron_of_the_guide()
    totals = {name: explain(neuron["loss"], wrt=neuron[name]).total for name in ("w1", "w2", "b")}
    neuron["loss"].backward()
    for name, total in totals.items():
        assert total == pytest.approx(neuron[name].grad, rel=1e-15, abs=1e-15)


# ----- renderings -----


def test_text_rendering_shows_every_factor_of_the_guide_neuron() -> None:
    neuron = neuron_of_the_guide()
    text = str(explain(neuron["loss"], wrt=neuron["w1"]))
    assert text.startswith("d(loss)/d(w1) = -0.0657349891147026")
    for cells in [
        ("loss", "* 0.5", "error²", "0.5", "1", "0.5"),
        ("error²", "** 2", "error", "1.055", "0.5", "0.5275"),
        ("error", "1 -", "y_pred", "-1", "0.5275", "-0.5275"),
        ("y_pred", "sigmoid", "z", "0.2492", "-0.5275", "-0.1315"),
        ("z", "+", "w·x", "1", "-0.1315", "-0.1315"),
        ("w·x", "dot", "w1", "0.5", "-0.1315", "-0.06573"),
    ]:
        assert row(*cells).search(text), cells
    assert "path 1 of 1: w1 → w·x → z → y_pred → error → error² → loss" in text


def test_html_rendering_shows_every_factor_in_a_table() -> None:
    neuron = neuron_of_the_guide()
    result = explain(neuron["loss"], wrt=neuron["w1"])
    page = result._repr_html_()
    assert page.count("<table>") == 1
    for factor in result.paths[0]:
        cells = [factor.node, factor.op, factor.input]
        cells += [f"{x:.4g}" for x in (factor.local, factor.upstream, factor.product)]
        assert "".join(f"<td>{cell}</td>" for cell in cells) in page
    assert "d(loss)/d(w1)" in page


def test_the_two_uses_of_an_input_are_told_apart() -> None:
    a = Value(3.0, label="a")
    result = explain(a * a, wrt=a)
    assert [(f.use, f.uses) for path in result.paths for f in path] == [(1, 2), (2, 2)]
    text = str(result)
    assert row("*", "*", "a (use 1 of 2)", "3", "1", "3").search(text)
    assert row("*", "*", "a (use 2 of 2)", "3", "1", "3").search(text)


def test_unlabelled_nodes_are_named_by_their_op() -> None:
    a = Value(0.3, label="a")
    result = explain((a * 2.0).tanh().exp(), wrt=a)
    assert [(f.node, f.input) for f in result.paths[0]] == [
        ("exp", "tanh"),
        ("tanh", "* 2"),
        ("* 2", "a"),
    ]
    assert "path 1 of 1: a → * 2 → tanh → exp" in str(result)


def test_the_sum_line_lists_each_path_contribution() -> None:
    a = Value(3.0, label="a")
    text = str(explain(a * a - a, wrt=a))  # 3 + 3 - 1
    assert "sum over paths: 3 + 3 - 1 = 5.0" in text


def test_repr_names_the_derivative_and_the_number_of_paths() -> None:
    a = Value(3.0, label="a")
    assert repr(explain(a * a, wrt=a)) == (
        "Explanation(d(*)/d(a) = 6.0 over 2 paths; print it for every factor)"
    )


# ----- gradients are left alone -----


def test_explain_leaves_every_value_grad_as_it_was() -> None:
    root, _, nodes = random_value_graph(3)
    for i, node in enumerate(nodes):
        node.grad = 100.0 + i
    for node in nodes:
        explain(root, wrt=node, max_paths=100_000)
    assert [node.grad for node in nodes] == [100.0 + i for i in range(len(nodes))]


def test_explain_leaves_tensor_grads_as_they_were() -> None:
    w = Tensor([[0.5, -1.0], [2.0, 0.25]], dtype="float64", requires_grad=True)
    b = Tensor([0.1, 0.2], dtype="float64", requires_grad=True)
    hidden = (w * 3.0 + b).tanh().retain_grad()
    loss = (hidden * hidden).sum()
    w.grad = np.full((2, 2), 7.0)
    before = w.grad
    explain(loss, wrt=(w, (0, 1)))
    explain(loss, wrt=(b, 0))
    assert w.grad is before and np.array_equal(w.grad, np.full((2, 2), 7.0))
    assert b.grad is None and hidden.grad is None and loss.grad is None


# ----- tensors: one element at a time -----


def mlp_graph() -> tuple[Tensor, dict[str, Tensor]]:
    """A small MLP: tanh(x @ W1 + b1) @ W2 + b2, squared and summed, with W1 used twice."""
    rng = np.random.default_rng(7)
    x = Tensor(rng.normal(size=(5, 3)), dtype="float64")
    params = {
        "W1": Tensor(rng.normal(size=(3, 4)), dtype="float64", requires_grad=True, label="W1"),
        "b1": Tensor(rng.normal(size=(4,)), dtype="float64", requires_grad=True, label="b1"),
        "W2": Tensor(rng.normal(size=(4, 2)), dtype="float64", requires_grad=True, label="W2"),
        "b2": Tensor(rng.normal(size=(2,)), dtype="float64", requires_grad=True, label="b2"),
    }
    hidden = (x @ params["W1"] + params["b1"]).tanh()
    out = hidden @ params["W2"] + params["b2"]
    loss = (out * out).sum() + (params["W1"] * params["W1"]).sum() * 0.01
    return loss, params


def assert_every_element_explained(root: Tensor, params: dict[str, Tensor]) -> None:
    """explain's total for every element of every parameter equals a fresh backward's grad."""
    totals = {
        name: np.array(
            [explain(root, wrt=(p, index)).total for index in np.ndindex(*p.shape)]
        ).reshape(p.shape)
        for name, p in params.items()
    }
    if root.data.size == 1:
        root.backward()
    else:
        root.sum().backward()
    for name, p in params.items():
        np.testing.assert_allclose(totals[name], p.grad, rtol=1e-12, atol=1e-12, err_msg=name)


def test_tensor_element_explanations_equal_backward_on_an_mlp() -> None:
    loss, params = mlp_graph()
    assert_every_element_explained(loss, params)


def test_tensor_element_explanations_equal_backward_with_broadcasting() -> None:
    rng = np.random.default_rng(11)
    column = Tensor(rng.normal(size=(3, 1)), dtype="float64", requires_grad=True, label="col")
    row_ = Tensor(rng.normal(size=(1, 4)), dtype="float64", requires_grad=True, label="row")
    bias = Tensor(rng.normal(size=(4,)), dtype="float64", requires_grad=True, label="bias")
    scale = Tensor(0.5, dtype="float64", requires_grad=True, label="scale")
    grid = (column * row_ + bias).sigmoid() * scale  # (3, 1) * (1, 4) + (4,) → (3, 4)
    loss = (grid * column).sum() + (grid - row_).exp().mean()
    assert_every_element_explained(loss, {"col": column, "row": row_, "bias": bias, "scale": scale})


def test_a_non_scalar_root_is_explained_through_its_sum() -> None:
    _, params = mlp_graph()
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(2, 3)), dtype="float64")
    hidden = (x @ params["W1"] + params["b1"]).tanh()
    result = explain(hidden, wrt=(params["W1"], (0, 1)))
    assert "d(sum of tanh)/d(W1[0, 1])" in str(result)
    assert "tanh has shape (2, 4), so this explains the derivative of its sum" in str(result)
    assert_every_element_explained(hidden, {"W1": params["W1"], "b1": params["b1"]})


def test_tensor_path_contribution_is_the_chosen_element_of_its_last_product() -> None:
    loss, params = mlp_graph()
    result = explain(loss, wrt=(params["W1"], (2, 3)))
    assert len(result.paths) == 4  # twice through out * out, twice through W1 * W1
    for path, contribution in zip(result.paths, result.contributions):
        assert path[-1].input == "W1"
        assert path[-1].product.shape == (3, 4)
        assert contribution == path[-1].product[2, 3]
        for factor, following in itertools.pairwise(path):
            assert following.upstream is factor.product


def test_tensor_text_and_html_show_each_factor_and_the_element() -> None:
    loss, params = mlp_graph()
    result = explain(loss, wrt=(params["b2"], 1))
    text, page = str(result), result._repr_html_()
    assert text.startswith("d(+)/d(b2[1]) = ")
    for path in result.paths:
        for factor in path:
            shown = factor.input
            if factor.uses > 1:  # out * out: the two edges from out are told apart
                shown += f" (use {factor.use} of {factor.uses})"
            assert row(factor.node, factor.op, shown).search(text)
            assert f"<td>{factor.node}</td><td>{factor.op}</td><td>{shown}</td>" in page
    assert "contribution to b2[1]" in text and "contribution to b2[1]" in page
    assert "VJP" in text  # matmul and sum record only a vector-Jacobian product


def test_a_one_element_tensor_needs_no_index() -> None:
    scale = Tensor(2.0, dtype="float64", requires_grad=True, label="s")
    result = explain((scale * scale).exp(), wrt=scale)
    assert result.total == pytest.approx(2 * 2.0 * math.exp(4.0), rel=1e-15)


def test_a_negative_index_picks_the_same_element() -> None:
    loss, params = mlp_graph()
    w = params["W2"]
    assert explain(loss, wrt=(w, (-1, -1))).total == explain(loss, wrt=(w, (3, 1))).total


# ----- limits: path counts, deep graphs, no recursion -----


def deep_reuse_graph(layers: int) -> tuple[Value, Value, Value, Value]:
    """x = x·a + x·b repeated: the paths from the first x double at every layer."""
    x0, a, b = Value(0.5, label="x0"), Value(0.9, label="a"), Value(0.2, label="b")
    x = x0
    for _ in range(layers):
        x = x * a + x * b
    return x, x0, a, b


def test_paths_are_counted_by_dynamic_programming() -> None:
    root, x0, a, _ = deep_reuse_graph(60)
    assert count_paths(root, x0)[0] == 2**60
    # a enters layer k once and 2^(60 - k) paths lead from there to the root: Σ = 2^60 − 1
    assert count_paths(root, a)[0] == 2**60 - 1


def test_too_many_paths_is_a_clear_error_raised_quickly() -> None:
    root, x0, _, _ = deep_reuse_graph(60)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"1152921504606846976 paths lead from x0 to \+"):
        explain(root, wrt=x0)
    assert time.perf_counter() - start < 1.0
    with pytest.raises(ValueError, match=r"max_paths=200"):
        explain(root, wrt=x0)


def test_max_paths_is_a_bound_that_can_be_reached() -> None:
    root, x0, _, _ = deep_reuse_graph(5)  # 32 paths
    assert len(explain(root, wrt=x0, max_paths=32).paths) == 32
    with pytest.raises(ValueError, match="32 paths"):
        explain(root, wrt=x0, max_paths=31)


def test_path_counts_saturate_instead_of_growing_without_bound() -> None:
    root, x0, _, _ = deep_reuse_graph(200)  # 2**200 paths
    with pytest.raises(ValueError, match=r"more than 9223372036854775807 paths"):
        explain(root, wrt=x0)


def test_a_chain_of_100000_values_is_explained_without_recursion() -> None:
    x = Value(0.3, label="x")
    node = x
    for i in range(100_000):
        node = node * 1.00001 if i % 2 else node + 0.5
    result = explain(node, wrt=x)
    assert len(result.paths) == 1 and len(result.paths[0]) == 100_000
    node.backward()
    assert result.total == x.grad  # one path: the very products backward forms
    text = str(result)
    assert "99960 factors not shown" in text and "(99961 more)" in text
    assert len(text.splitlines()) < 60


# ----- errors -----


def test_a_tensor_of_several_elements_needs_an_index() -> None:
    loss, params = mlp_graph()
    with pytest.raises(ValueError, match=r"W1 has shape \(3, 4\); pass wrt=\(tensor, index\)"):
        explain(loss, wrt=params["W1"])


def test_an_index_outside_the_tensor_is_an_error() -> None:
    loss, params = mlp_graph()
    with pytest.raises(IndexError, match=r"index \(3, 0\) does not pick one element of W1"):
        explain(loss, wrt=(params["W1"], (3, 0)))
    with pytest.raises(IndexError, match=r"index \(1,\)"):
        explain(loss, wrt=(params["W1"], 1))


def test_mixing_value_and_tensor_is_an_error() -> None:
    a = Value(1.0)
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="root is a Value, so wrt must be a Value"):
        explain(a * 2.0, wrt=w)
    with pytest.raises(TypeError, match=r"root is a Tensor, so wrt must be \(tensor, index\)"):
        explain(w * 2.0, wrt=a)


def test_a_tensor_without_requires_grad_is_an_error() -> None:
    w = Tensor([1.0, 2.0], label="w")
    v = Tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(ValueError, match="w does not require grad"):
        explain((w * v).sum(), wrt=(w, 0))


def test_max_paths_must_be_positive() -> None:
    a = Value(1.0)
    with pytest.raises(ValueError, match="max_paths must be a positive integer, got 0"):
        explain(a * 2.0, wrt=a, max_paths=0)


def test_a_root_without_gradient_is_an_error() -> None:
    w = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="does not require grad"):
        explain(w * 2.0, wrt=(w, 0))


def test_public_types() -> None:
    a = Value(1.0, label="a")
    result = explain(a.exp(), wrt=a)
    assert isinstance(result, Explanation)
    assert isinstance(result.paths[0][0], Factor)
