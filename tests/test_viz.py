"""Graph pictures: DOT structure, names, colours, constants, the collapsed view, the layout that
fits a notebook page (rendered when a renderer exists), text when none does; Tensor summaries."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor, Value, draw_graph, viz
from autograd.tensor import format_number, summarize

RENDERER = viz.find_renderer()
needs_renderer = pytest.mark.skipif(RENDERER is None, reason="no Graphviz renderer installed")

# draw_graph's default width: 1,120 pixels, a notebook's output area in a 1,280-pixel window
# (at most 1,280 pixels, 960 points, is the requirement), at 96 pixels and 72 points an inch.
DEFAULT_WIDTH_POINTS = 840
PARAMETER = viz.KIND_COLOURS["parameter"]
INPUT = viz.KIND_COLOURS["input"]
OUTPUT = viz.KIND_COLOURS["output"]
POSITIVE = viz.GRAD_COLOURS["positive"]
NEGATIVE = viz.GRAD_COLOURS["negative"]


def small_graph() -> Value:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = (c + a).tanh()
    d.label = "d"
    d.backward()
    return d


def value_lines(source: str) -> list[str]:
    """The DOT lines of value boxes (v0, v1, ...), not of operations, constants or the legend."""
    return re.findall(r"^  v\d+ \[shape=plain.*$", source, flags=re.MULTILINE)


def line_of(source: str, text: str) -> str:
    """The one DOT node line that contains ``text``."""
    lines = [line for line in source.splitlines() if text in line and "[" in line]
    assert len(lines) == 1, lines
    return lines[0]


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^  (\w+) -> (\w+)", source, flags=re.MULTILINE)


def rendered_size(picture: viz.GraphPicture) -> tuple[float, float]:
    """Width and height in points of the picture rendered as SVG."""
    svg = picture.render("svg").decode()
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert match, svg[:400]
    return float(match.group(1)), float(match.group(2))


def xor_model_and_loss() -> tuple[nn.MLP, Value]:
    """Notebook 02's 2-4-1 MLP and its mean squared error on XOR, differentiated."""
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    inputs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    targets = [0.0, 1.0, 1.0, 0.0]
    loss = autograd.sum([(model(x) - y) ** 2 for x, y in zip(inputs, targets)]) / 4
    loss.backward()
    return model, loss


def moons_model_and_loss() -> tuple[nn.MLP, Value]:
    """The README's scalar demo (examples/moons_scalar.py): MLP(2, [16, 16, 1]) on 100 points,
    mean hinge loss plus an L2 penalty on every parameter."""
    rng = np.random.default_rng(1)
    points = rng.normal(size=(100, 2)).tolist()
    labels = np.where(rng.normal(size=100) > 0, 1.0, -1.0).tolist()
    model = nn.MLP(2, [16, 16, 1], seed=0)
    hinge = [(1 - label * model(x)).relu() for x, label in zip(points, labels)]
    parameters = model.parameters()
    loss = autograd.sum(hinge) * (1.0 / len(hinge)) + 1e-4 * autograd.dot(parameters, parameters)
    loss.backward()
    return model, loss


# ----- structure -----


def test_one_box_per_value_and_one_node_per_operation() -> None:
    source = draw_graph(small_graph()).source
    assert len(value_lines(source)) == 5  # a, b, c, c + a, d
    assert source.count("shape=ellipse") == 3  # *, +, tanh
    for op in ("*", "+", "tanh"):
        assert f'label="{op}"' in source
    assert len(edges(source)) == 3 + 5  # op -> result; a, b -> *; c, a -> +; c + a -> tanh


def test_boxes_show_label_data_and_grad_in_one_number_format() -> None:
    d = small_graph()
    source = draw_graph(d).source
    a = d._parents[0]._parents[1]
    line = line_of(source, "<b>a</b>")
    assert "data 2</td>" in line
    assert f"grad {a.grad:.4g}</td>" in line
    assert "grad 1</td>" in line_of(source, "<b>d</b>")  # the root
    assert "grad" not in draw_graph(d, show_grad=False).source


def test_a_value_used_twice_gets_one_edge_per_operation() -> None:
    a = Value(3.0, label="a")
    source = draw_graph(a * a).source
    assert len(re.findall(r"v1 -> v0_op", source)) == 1


def test_labels_are_escaped_for_graphviz() -> None:
    source = draw_graph(Value(1.0, label='x|{y}<z>&"')).source
    assert "<b>x|{y}&lt;z&gt;&amp;&quot;</b>" in source


def test_huge_graphs_are_capped_and_summarised_without_recursion() -> None:
    y = Value(1.0)
    for _ in range(100_000):
        y = y * 1.0
    picture = draw_graph(y, max_nodes=50)
    assert len(value_lines(picture.source)) == 50
    assert "99951 more values not drawn (max_nodes=50)" in picture.source
    assert "collapse='layer'" in picture.source  # the hint towards the collapsed view


# ----- layout: direction and size -----


def test_a_short_graph_runs_left_to_right_with_stacked_fields() -> None:
    w = Value(0.5, label="w")
    source = draw_graph(w**2 + w).source
    assert "rankdir=LR;" in source
    assert "<tr><td" in line_of(source, "<b>w</b>") and "</td></tr><tr>" in line_of(
        source, "<b>w</b>"
    )


def test_a_long_chain_runs_top_to_bottom_with_fields_side_by_side() -> None:
    y = Value(0.5, label="x")
    for step in range(12):
        y = (y * 0.9).tanh() if step % 2 else y + 0.1
    source = draw_graph(y).source
    assert "rankdir=TB;" in source
    assert "</td></tr><tr>" not in line_of(source, "<b>x</b>")  # one row: x | data | grad


def test_rankdir_can_be_chosen_and_is_checked() -> None:
    assert "rankdir=TB;" in draw_graph(small_graph(), rankdir="TB").source
    assert "rankdir=LR;" in draw_graph(small_graph(), rankdir="LR").source
    with pytest.raises(ValueError, match="rankdir must be"):
        draw_graph(small_graph(), rankdir="sideways")


def test_size_scales_the_picture_to_max_width() -> None:
    assert 'size="11.667,1000"' in draw_graph(small_graph()).source  # 1,120 pixels
    assert 'size="6.667,1000"' in draw_graph(small_graph(), max_width=640).source
    assert ' size="' not in draw_graph(small_graph(), max_width=None).source
    assert 'size="8,!"' in draw_graph(small_graph(), size="8,!").source
    with pytest.raises(ValueError, match="max_width must be a positive number of pixels, got 0"):
        draw_graph(small_graph(), max_width=0)


# ----- names -----


@pytest.mark.parametrize(
    ("dotted", "readable"),
    [
        ("layers.0.neurons.1.w.0", "layer1.neuron2.w0"),
        ("layers.1.neurons.0.b", "layer2.neuron1.b"),
        ("layers.0.kernel", "layer1.kernel"),
        ("w.2", "w2"),
        ("bias", "bias"),
    ],
)
def test_dotted_parameter_names_read_as_layer_and_neuron(dotted: str, readable: str) -> None:
    assert viz.readable_name(dotted) == readable


def test_module_names_count_every_index_from_one() -> None:
    assert viz.readable_name("layers.0.neurons.3", parameter=False) == "layer1.neuron4"


def test_a_model_names_its_parameters_by_layer_and_neuron() -> None:
    model = nn.MLP(2, [3, 2], seed=0)
    output = model([1.0, -1.0])[1]  # the second neuron of the last layer
    source = draw_graph(output, model=model).source
    for name in ("layer2.neuron2.w0", "layer2.neuron2.w2", "layer2.neuron2.b"):
        assert f"<b>{name}</b>" in source
    assert "<b>layer1.neuron3.w1</b>" in source
    assert "<b>w0</b>" not in source  # the neuron's own short label gives way


def test_names_may_map_values_to_names_or_names_to_values() -> None:
    a, b = Value(1.0), Value(2.0)
    assert "<b>alpha</b>" in draw_graph(a * b, names={a: "alpha"}).source
    assert "<b>beta</b>" in draw_graph(a * b, names={"beta": b}).source
    assert "<b>gamma.w0</b>" in draw_graph(a * b, names=[("gamma.w.0", a)]).source


# ----- colours -----


def test_colours_say_parameter_input_intermediate_and_output() -> None:
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    product = x * w
    product.label = "product"
    y = product.tanh()
    y.label = "y"
    source = draw_graph(y, inputs=[x]).source
    assert 'class="parameter"' in line_of(source, "<b>w</b>")
    assert f'bgcolor="{PARAMETER}"' in line_of(source, "<b>w</b>")
    assert f'bgcolor="{INPUT}"' in line_of(source, "<b>x</b>")
    assert 'class="intermediate"' in line_of(source, "<b>product</b>")
    assert f'bgcolor="{OUTPUT}"' in line_of(source, "<b>y</b>")


def test_without_inputs_every_value_leaf_is_a_parameter() -> None:
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    source = draw_graph(x * w).source
    assert 'class="parameter"' in line_of(source, "<b>x</b>")


def test_with_a_model_leaves_outside_it_are_inputs() -> None:
    model = nn.Neuron(2, activation="tanh", seed=0)
    x = Value(1.0, label="x")
    source = draw_graph(model([x, 2.0]), model=model).source
    assert 'class="input"' in line_of(source, "<b>x</b>")
    assert 'class="parameter"' in line_of(source, "<b>w0</b>")


def test_tensor_leaves_are_parameters_when_they_require_grad() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True, label="w")
    x = Tensor([3.0, 4.0], label="x")
    source = draw_graph(w + x, rankdir="LR").source
    assert 'class="parameter"' in line_of(source, "<b>w</b>")
    source = draw_graph(x, rankdir="LR").source  # a leaf that is the root is the output
    assert 'class="output"' in line_of(source, "<b>x</b>")


def test_gradient_fields_are_tinted_by_sign() -> None:
    up, down, flat = Value(2.0, label="up"), Value(3.0, label="down"), Value(4.0, label="flat")
    y = up - down + flat * 0.0
    y.backward()
    source = draw_graph(y).source
    assert f'<td bgcolor="{POSITIVE}">grad 1</td>' in line_of(source, "<b>up</b>")
    assert f'<td bgcolor="{NEGATIVE}">grad -1</td>' in line_of(source, "<b>down</b>")
    assert "<td>grad 0</td>" in line_of(source, "<b>flat</b>")


def test_a_tensor_gradient_is_tinted_by_the_sign_of_its_mean() -> None:
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True, label="w")
    (w * Tensor([-1.0, -1.0, 0.5])).sum().backward()
    assert f'<td bgcolor="{NEGATIVE}">grad [-1, -1, 0.5]</td>' in line_of(
        draw_graph(w * 1.0).source, "<b>w</b>"
    )


def test_legend_lists_every_kind_and_gradient_sign() -> None:
    picture = draw_graph(small_graph(), legend=True)
    assert "subgraph cluster_legend" in picture.source
    legend = line_of(picture.source, 'class="legend"')
    for colour in (*viz.KIND_COLOURS.values(), POSITIVE, NEGATIVE):
        assert f'bgcolor="{colour}"' in legend
    assert "cluster_legend" not in draw_graph(small_graph()).source


# ----- constants -----


def test_operations_with_constants_show_the_constant_in_the_one_number_format() -> None:
    a = Value(3.0, label="a")
    ops = [(a * 0.5).op, (2 - a).op, (a**2).op, (1 / a).op, (a + 1).op, (2**a).op, (a - 1).op]
    assert ops == ["* 0.5", "2 -", "** 2", "1 /", "+ 1", "2 **", "- 1"]
    assert 'label="** 2"' in draw_graph(a**2).source
    assert 'label="* 0.3333"' in draw_graph(a * (1 / 3)).source  # .op would say 0.333333


def test_a_dot_of_weights_and_numbers_names_the_numbers() -> None:
    w0, w1 = Value(0.5, label="w0"), Value(-1.0, label="w1")
    source = draw_graph(autograd.dot([w0, w1], [1.0, 0.25])).source
    assert 'label="dot\\nwith [1, 0.25]"' in source


def test_a_dot_of_values_only_names_no_numbers() -> None:
    w, x = [Value(0.5), Value(-1.0)], [Value(2.0), Value(3.0)]
    assert 'label="dot"' in draw_graph(autograd.dot(w, x)).source
    parameters = [Value(1.5), Value(-2.5)]
    assert 'label="dot"' in draw_graph(autograd.dot(parameters, parameters)).source


def test_a_dot_with_numbers_on_both_sides_names_only_the_numbers() -> None:
    w = [Value(0.5), 2.0, Value(-1.0)]
    x = [Value(3.0), Value(4.0), 5.0]
    assert 'label="dot\\nwith [2, 5]"' in draw_graph(autograd.dot(w, x)).source


def test_a_tensor_times_a_constant_tensor_draws_the_constant_with_its_numbers() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True, label="w")
    picture = draw_graph(w * Tensor([2.0, 0.5]))
    constant = line_of(picture.source, "v0_c0 [")
    assert "constant\\n(2,) float32\\ndata [2, 0.5]" in constant
    assert ("v0_c0", "v0_op") in edges(picture.source)
    assert picture.values == 2  # constants are drawn, not counted as recorded values


def test_an_unrecorded_constant_operand_is_marked_on_its_operation() -> None:
    x = Tensor(np.ones((4, 3)))  # the input batch: not recorded, it needs no gradient
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    source = draw_graph(x @ w).source
    assert 'label="constant"' in line_of(source, "v0_c0 [")
    assert ("v0_c0", "v0_op") in edges(source)


def test_operations_with_every_operand_recorded_draw_no_constant() -> None:
    a = Tensor([1.0], requires_grad=True)
    b = Tensor([2.0], requires_grad=True)
    assert 'class="input"' not in draw_graph(a * b + a.exp()).source


# ----- Tensors -----


def test_small_tensors_are_drawn_in_full_and_large_ones_summarised() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    big = Tensor(np.linspace(-1.0, 1.0, 1000), requires_grad=True, label="big")
    source = draw_graph((x.sum() + big.sum()), rankdir="LR").source
    assert "<td bgcolor" in line_of(source, "<b>x</b>")
    assert "(2, 3) float32</td>" in line_of(source, "<b>x</b>")
    assert "data [[0, 1, 2], [3, 4, 5]]</td>" in line_of(source, "<b>x</b>")
    summary = dict(summarize(big.data))
    expected = f"data mean {summary['mean']} std {summary['std']}<br/>min -1 max 1</td>"
    assert expected in line_of(source, "<b>big</b>")
    assert "(1000,) float32" in line_of(source, "<b>big</b>")


def test_long_lists_of_numbers_break_into_lines() -> None:
    w = Tensor([0.123456, -0.654321, 1.5e-5, 2.25, -3.125, 1e6], requires_grad=True, label="w")
    line = line_of(draw_graph(w * 2.0).source, "<b>w</b>")
    assert "data [0.1235, -0.6543, 1.5e-05,<br/>2.25, -3.125, 1e+06]</td>" in line


def test_a_summary_flags_nan_and_inf_only_when_there_are_some() -> None:
    data = np.arange(10.0)
    data[[2, 3]] = np.nan
    data[4] = np.inf
    source = draw_graph(Tensor(data, label="t")).source
    assert "nan 2 inf 1" in line_of(source, "<b>t</b>")
    assert "nan" not in line_of(draw_graph(Tensor(np.arange(10.0), label="u")).source, "<b>u")


def test_gradients_of_leaves_and_retained_intermediates_are_drawn() -> None:
    w = Tensor([1.0, -2.0], requires_grad=True, label="w")
    hidden = w * 3.0
    hidden.label = "hidden"
    hidden.retain_grad()
    other = hidden.exp()
    other.label = "other"
    loss = other.sum()
    loss.label = "loss"
    loss.retain_grad()
    loss.backward()
    source = draw_graph(loss).source
    hidden_grad = np.exp(hidden.data)  # d sum(e^h) / dh
    listed = ", ".join(format_number(value) for value in hidden_grad)
    assert f"grad [{listed}]</td>" in line_of(source, "<b>hidden</b>")
    listed = ", ".join(format_number(value) for value in 3 * hidden_grad)
    assert f"grad [{listed}]</td>" in line_of(source, "<b>w</b>")
    assert "grad 1</td>" in line_of(source, "<b>loss</b>")
    assert "grad" not in line_of(source, "<b>other</b>")  # freed, as in PyTorch


# ----- the collapsed view -----


def test_collapse_by_neuron_draws_one_box_per_neuron_with_its_parameter_count() -> None:
    model, loss = xor_model_and_loss()
    picture = draw_graph(loss, model=model, collapse="neuron")
    source = picture.source
    for neuron in range(1, 5):
        line = line_of(source, f"<b>layer1.neuron{neuron}</b>")
        assert "3 parameters<br/>dot, +, tanh x 4" in line
        assert 'class="parameter"' in line
    assert "5 parameters<br/>dot, +, sigmoid x 4" in line_of(source, "<b>layer2.neuron1</b>")
    assert picture.values == 87  # every value of the graph is in some box
    assert len(re.findall(r"^  g\d+ \[", source, flags=re.MULTILINE)) == 10
    # inputs, 4 + 1 neurons, then "- c", "** 2", sum, "/ 4" (the output)


def test_collapse_folds_the_samples_loss_terms_into_one_box_each() -> None:
    model, loss = xor_model_and_loss()
    source = draw_graph(loss, model=model, collapse="neuron").source
    assert "<b>- c x 4</b>" in source  # model(x) - y for y in 0, 1, 1, 0
    assert "<b>** 2 x 4</b>" in source
    output = line_of(source, "<b>/ 4</b>")
    assert 'class="output"' in output and f"data {format_number(loss.data)}" in output


def test_collapse_by_layer_draws_one_box_per_layer_and_edges_between_them() -> None:
    model, loss = xor_model_and_loss()
    source = draw_graph(loss, model=model, collapse="layer").source
    layer1 = line_of(source, "<b>layer1</b>")
    assert "4 neurons, 12 parameters<br/>dot, +, tanh x 4" in layer1
    assert "5 parameters<br/>dot, +, sigmoid x 4" in line_of(source, "<b>layer2</b>")
    names = {
        text: re.search(r"^  (g\d+)", line_of(source, text)).group(1)
        for text in ("<b>inputs</b>", "<b>layer1</b>", "<b>layer2</b>")
    }
    found = set(edges(source))
    assert (names["<b>inputs</b>"], names["<b>layer1</b>"]) in found
    assert (names["<b>layer1</b>"], names["<b>layer2</b>"]) in found
    assert "2 numbers" in line_of(source, "<b>inputs</b>")


def test_collapse_knows_a_linear_neuron_ends_at_its_bias() -> None:
    model = nn.MLP(2, [2, 1], seed=0)  # the last layer is linear
    score = model([1.0, 2.0])
    source = draw_graph((1 - score * -1.0).relu(), model=model, collapse="neuron").source
    assert "3 parameters<br/>dot, +" in line_of(source, "<b>layer2.neuron1</b>")
    assert "relu" not in line_of(source, "<b>layer2.neuron1</b>")
    assert "<b>* -1</b>" in source  # the loss's own operation, outside the model


def test_a_penalty_on_every_parameter_reads_them_from_one_box() -> None:
    model, loss = xor_model_and_loss()
    parameters = model.parameters()
    penalty = loss + 0.01 * autograd.dot(parameters, parameters)
    source = draw_graph(penalty, model=model, collapse="neuron").source
    read = re.search(r"^  (g\d+)", line_of(source, "17 parameters read directly")).group(1)
    dot = re.search(r"^  (g\d+)", line_of(source, "<b>dot</b>")).group(1)
    assert [edge for edge in edges(source) if edge[1] == dot] == [(read, dot)]


def test_collapse_draws_a_dense_layer_as_one_box_counting_its_numbers() -> None:
    from nn.layers import Dense
    from nn.models import Sequential

    model = Sequential([Dense(8, activation="relu", input_shape=(3,)), Dense(1)])
    loss = (model(Tensor(np.ones((16, 3)))) ** 2).mean()
    for level in ("neuron", "layer"):
        source = draw_graph(loss, model=model, collapse=level).source
        assert "32 parameters<br/>matmul, +, relu" in line_of(source, "<b>layer1</b>")
        assert "9 parameters<br/>matmul, +" in line_of(source, "<b>layer2</b>")


def test_collapse_needs_a_model_and_a_known_level() -> None:
    with pytest.raises(ValueError, match="collapse='layer' needs model="):
        draw_graph(small_graph(), collapse="layer")
    with pytest.raises(ValueError, match="collapse must be 'neuron', 'layer' or None, got 'x'"):
        draw_graph(small_graph(), collapse="x", model=nn.Neuron(2))


# ----- Tensor repr and the summary it shares with the pictures -----


def test_large_tensors_print_a_compact_summary() -> None:
    data = np.random.default_rng(0).normal(size=(256, 512)).astype(np.float32)
    text = repr(Tensor(data, requires_grad=True))
    values = data.astype(np.float64)
    expected = (
        f"Tensor(shape=(256, 512), dtype=float32, mean={values.mean():.4g}, "
        f"std={values.std():.4g}, min={values.min():.4g}, max={values.max():.4g}, nan=0, "
        "inf=0, requires_grad=True)"
    )
    assert text == expected
    assert Tensor(data).numpy() is not None and Tensor(data).numpy().shape == (256, 512)


def test_small_tensors_keep_numpys_printout() -> None:
    assert repr(Tensor([[1.0, 2.0], [3.0, 4.5]])) == (
        "Tensor([[1. , 2. ],\n        [3. , 4.5]], dtype=float32)"
    )
    assert repr(Tensor([1.0], requires_grad=True, label="w")) == (
        "Tensor([1.], dtype=float32, requires_grad=True, label='w')"
    )


def test_summaries_skip_nan_and_inf_and_count_them() -> None:
    data = np.array([1.0, 3.0, np.nan, np.inf, -np.inf] + [2.0] * 200)
    summary = dict(summarize(data))
    finite = np.array([1.0, 3.0] + [2.0] * 200)
    assert summary["mean"] == format_number(finite.mean())
    assert summary["min"] == "1" and summary["max"] == "3"
    assert summary["nan"] == "1" and summary["inf"] == "2"
    assert "nan=1, inf=2" in repr(Tensor(data))


def test_boolean_tensors_summarise_as_counts() -> None:
    mask = Tensor(np.arange(300) % 3 == 0)
    assert "true=100, false=200" in repr(mask)


def test_one_number_format_for_every_number() -> None:
    assert [format_number(x) for x in (0.0, -0.0, 2.0, -0.2, 0.124353, 1234567.0)] == [
        "0",
        "0",
        "2",
        "-0.2",
        "0.1244",
        "1.235e+06",
    ]
    assert [format_number(x) for x in (np.nan, np.inf, -np.inf)] == ["nan", "inf", "-inf"]


# ----- rendering -----


@needs_renderer
def test_notebook_02s_neuron_picture_fits_a_notebook_page() -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    picture = draw_graph(model.layers[0].neurons[0]([1.0, 0.0]), show_grad=False, model=model)
    width, _ = rendered_size(picture)
    assert width <= DEFAULT_WIDTH_POINTS


@needs_renderer
def test_notebook_02s_first_picture_fits_without_shrinking() -> None:
    x1, x2, w1, w2 = Value(0.5), Value(0.8), Value(0.1), Value(-0.2)
    loss = 0.5 * (1.0 - (x1 * w1 + x2 * w2).sigmoid()) ** 2
    width, _ = rendered_size(draw_graph(loss, inputs=[x1, x2], legend=True))
    assert width < DEFAULT_WIDTH_POINTS  # top to bottom it fits at full size, unscaled


@needs_renderer
def test_a_2_4_1_mlp_loss_graph_fits_a_notebook_page() -> None:
    model, loss = xor_model_and_loss()
    width, _ = rendered_size(draw_graph(loss, model=model))
    assert width <= DEFAULT_WIDTH_POINTS
    width, _ = rendered_size(draw_graph(model([1.0, 0.0]), model=model, legend=True))
    assert width <= DEFAULT_WIDTH_POINTS


@needs_renderer
@pytest.mark.parametrize(("level", "max_height"), [("layer", 960), ("neuron", 1440)])
def test_the_readme_moons_mlp_collapsed_fits_the_width_and_a_sane_height(
    level: str, max_height: float
) -> None:
    model, loss = moons_model_and_loss()
    width, height = rendered_size(draw_graph(loss, model=model, collapse=level))
    assert width <= DEFAULT_WIDTH_POINTS
    assert height <= max_height


@needs_renderer
def test_renders_svg_for_jupyter_and_saves_files(tmp_path: Path) -> None:
    picture = draw_graph(small_graph(), legend=True)
    bundle = picture._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    assert "tanh" in bundle["image/svg+xml"]
    assert picture.save(tmp_path / "g.svg").read_text().count("<svg") == 1
    assert picture.save(tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")


@needs_renderer
def test_jupyter_shrinks_a_picture_wider_than_the_output_area(tmp_path: Path) -> None:
    picture = draw_graph(small_graph())
    svg = picture._repr_mimebundle_()["image/svg+xml"]
    assert '<svg style="max-width: 100%; height: auto" width="' in svg
    assert "max-width" not in picture.save(tmp_path / "g.svg").read_text()


@needs_renderer
def test_a_picture_made_from_dot_text_still_renders() -> None:
    # nn.plot_model builds its own DOT text and renders it through GraphPicture.
    picture = viz.GraphPicture("digraph g { a -> b; }\n", values=2, operations=1)
    assert rendered_size(picture)[0] > 0
    assert "2 values, 1 operations" in repr(picture)


def test_dot_files_save_without_a_renderer(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(viz.picture, "find_renderer", lambda: None)
    picture = draw_graph(small_graph())
    assert (tmp_path / "g.dot").exists() is False
    assert picture.save(tmp_path / "g.dot").read_text() == picture.source
    with pytest.raises(ValueError, match=r"use a \.svg, \.png, \.dot or \.gv"):
        picture.save(tmp_path / "g.pdf")


def test_without_a_renderer_display_degrades_to_dot_text(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(viz.picture, "find_renderer", lambda: None)
    picture = draw_graph(small_graph())
    bundle = picture._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("(no Graphviz renderer found: `pip install")
    assert picture.source in bundle["text/plain"]
    with pytest.raises(viz.RendererNotFound, match="chainrule\\[viz\\]"):
        picture.save(tmp_path / "g.svg")


def test_a_failing_renderer_also_degrades_to_text(monkeypatch) -> None:
    monkeypatch.setattr(viz.picture, "find_renderer", lambda: sys.executable)  # not a dot program
    bundle = draw_graph(small_graph())._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "failed" in bundle["text/plain"]


def test_graphviz_pure_is_found_beside_the_interpreter(monkeypatch, tmp_path: Path) -> None:
    fake = tmp_path / "graphviz-pure"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setattr(viz.picture.shutil, "which", lambda name: None)
    monkeypatch.setattr(viz.picture.sys, "executable", str(tmp_path / "python"))
    assert viz.find_renderer() == str(fake)
