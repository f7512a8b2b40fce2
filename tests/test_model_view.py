"""nn.plot_model: a Sequential drawn as Keras draws it — one box per layer (name, type,
activation, shapes, parameter count), an InputLayer box first, edges in order — rendered by
Graphviz when there is one, as DOT text otherwise, never wider than 1,280 px."""

from __future__ import annotations

import itertools
import re
import struct
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import viz
from nn.layers import (
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPooling2D,
    ReLU,
)
from nn.model_view import MAX_CHARS, PALETTE, ModelPicture, plot_model
from nn.models import Sequential

RENDERER = viz.find_renderer()
needs_renderer = pytest.mark.skipif(RENDERER is None, reason="no Graphviz renderer installed")
NODE = re.compile(r"^\s*(\w+) \[label=<(.*)>\];$")
EDGE = re.compile(r"^\s*(\w+) -> (\w+);$")


def guide_mlp() -> Sequential:
    """E8: the §15 feed-forward network, 10 → 32 → 16 → 1."""
    return Sequential([
        Dense(32, input_shape=(10,), activation="relu"),
        Dense(16, activation="relu"),
        Dense(1, activation="sigmoid"),
    ])  # fmt: skip


def guide_cnn() -> Sequential:
    """E9: the §15 CNN."""
    return Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])  # fmt: skip


def boxes(source: str) -> list[tuple[str, str]]:
    """(node id, HTML label) of every box, in the order they are written."""
    return [match.groups() for line in source.splitlines() if (match := NODE.match(line))]


def edges(source: str) -> list[tuple[str, str]]:
    return [match.groups() for line in source.splitlines() if (match := EDGE.match(line))]


def labels(source: str) -> list[str]:
    return [label for _, label in boxes(source)]


def field(label: str, name: str) -> str | None:
    """The bold value of ``name: <b>value</b>`` in a box's label, or None if it has none."""
    match = re.search(re.escape(name) + r": <b>(.*?)</b>", label)
    return match.group(1) if match else None


def title(label: str) -> str:
    """The first row's text, tags removed: ``dense (Dense)``."""
    first_cell = re.search(r"<td[^>]*>(.*?)</td>", label).group(1)
    return re.sub(r"<[^>]+>", "", first_cell)


def svg_width_points(svg: str) -> float:
    return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))


def png_width_pixels(path: Path) -> int:
    return struct.unpack(">I", path.read_bytes()[16:20])[0]


# ----- boxes and edges -----


def test_one_box_per_layer_after_an_input_layer_box() -> None:
    model = guide_mlp()
    titles = [title(label) for label in labels(plot_model(model).source)]
    expected = ["input_layer (InputLayer)"] + [f"{layer.name} (Dense)" for layer in model.layers]
    assert titles == expected


def test_edges_join_the_boxes_in_layer_order() -> None:
    source = plot_model(guide_cnn()).source
    nodes = [node for node, _ in boxes(source)]
    assert len(nodes) == 6
    assert edges(source) == list(itertools.pairwise(nodes))


def test_mlp_boxes_show_activation_shapes_and_parameter_counts() -> None:
    _, first, second, third = labels(plot_model(guide_mlp()).source)
    # Dense parameters: inputs · units weights plus units biases.
    expected = [
        (first, "relu", "(None, 10)", "(None, 32)", 10 * 32 + 32),
        (second, "relu", "(None, 32)", "(None, 16)", 32 * 16 + 16),
        (third, "sigmoid", "(None, 16)", "(None, 1)", 16 * 1 + 1),
    ]
    for label, activation, input_shape, output_shape, count in expected:
        assert field(label, "Activation") == activation
        assert field(label, "Input shape") == input_shape
        assert field(label, "Output shape") == output_shape
        assert field(label, "Param #") == str(count)


def test_cnn_boxes_show_the_guides_shapes_and_counts() -> None:
    layer_labels = labels(plot_model(guide_cnn()).source)[1:]
    shapes = [field(label, "Output shape") for label in layer_labels]
    counts = [field(label, "Param #") for label in layer_labels]
    assert shapes == [
        "(None, 26, 26, 32)",
        "(None, 13, 13, 32)",
        "(None, 5408)",
        "(None, 64)",
        "(None, 10)",
    ]
    assert counts == ["320", "0", "0", "346,176", "650"]


def test_the_input_layer_box_shows_only_the_input_shape() -> None:
    input_label = labels(plot_model(guide_cnn()).source)[0]
    assert field(input_label, "Output shape") == "(None, 28, 28, 1)"
    assert field(input_label, "Input shape") is None
    assert field(input_label, "Param #") is None


def test_only_layers_with_an_activation_argument_show_one() -> None:
    model = Sequential([Dense(4, input_shape=(3,)), ReLU(), Flatten()])
    dense, relu, flatten = labels(plot_model(model).source)[1:]
    assert field(dense, "Activation") == "linear"  # Keras shows Dense's default too
    assert field(relu, "Activation") is None and field(flatten, "Activation") is None


def test_names_and_activations_are_escaped_for_html_labels() -> None:
    model = Sequential([Dense(2, input_shape=(3,), activation=lambda x: x, name='a<b>&"c')])
    label = labels(plot_model(model).source)[1]
    assert "<b>a&lt;b&gt;&amp;&quot;c</b> (Dense)" in label
    assert field(label, "Activation") == "&lt;lambda&gt;"


def test_a_model_name_with_quotes_is_a_valid_dot_identifier() -> None:
    source = plot_model(Sequential([Dense(1, input_shape=(2,))], name='my "model"')).source
    assert source.startswith('digraph "my \\"model\\"" {')


def test_long_values_are_cut_in_the_middle() -> None:
    name = "a_very_long_layer_name_that_goes_on_and_on_and_on_42"
    model = Sequential([Dense(2, input_shape=(3,), name=name)])
    shown = re.search(r"<b>(.*?)</b> \(Dense\)", labels(plot_model(model).source)[1]).group(1)
    assert len(shown) <= MAX_CHARS
    assert shown.startswith("a_very_long") and shown.endswith("_42") and "..." in shown


# ----- options -----


def test_show_options_remove_or_add_keras_fields() -> None:
    model = Sequential([Dense(2, input_shape=(3,), activation="tanh", trainable=False)])
    plain = labels(
        plot_model(
            model, show_shapes=False, show_layer_names=False, show_layer_activations=False
        ).source
    )[1]
    assert title(plain) == "Dense"
    for name in ("Input shape", "Output shape", "Activation", "Dtype", "Trainable"):
        assert field(plain, name) is None
    assert field(plain, "Param #") == "8"
    detailed = labels(plot_model(model, show_dtype=True, show_trainable=True).source)[1]
    assert field(detailed, "Dtype") == "float32"
    assert field(detailed, "Trainable") == "False"


def test_rankdir_sets_the_direction_and_is_checked() -> None:
    assert "rankdir=LR" in plot_model(guide_mlp(), rankdir="LR").source
    assert "rankdir=TB" in plot_model(guide_mlp()).source
    with pytest.raises(ValueError, match="rankdir must be"):
        plot_model(guide_mlp(), rankdir="sideways")


def test_only_a_sequential_model_is_drawn() -> None:
    with pytest.raises(TypeError, match=r"expected a Sequential model, got Dense.*Sequential"):
        plot_model(Dense(3, input_shape=(2,)))


def test_options_after_to_file_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        plot_model(guide_mlp(), None, False)  # type: ignore[misc]


# ----- colours -----


def test_boxes_are_coloured_by_kind_of_layer() -> None:
    model = Sequential([
        Conv2D(2, 3, input_shape=(5, 5, 1)),
        MaxPooling2D(),
        Flatten(),
        Sequential([Dense(2)]),
    ])  # fmt: skip
    header_colours = [
        re.search(r'<td bgcolor="([^"]+)"', label).group(1)
        for label in labels(plot_model(model).source)
    ]
    assert header_colours == [
        PALETTE["input"],
        PALETTE["weights"],
        PALETTE["no_weights"],
        PALETTE["no_weights"],
        PALETTE["model"],
    ]
    assert len(set(PALETTE.values())) == len(PALETTE)


# ----- unbuilt and nested models -----


def test_an_unbuilt_model_is_drawn_with_question_marks_and_a_note() -> None:
    model = Sequential([Dense(4, activation="relu"), Dense(1)])
    picture = plot_model(model)
    layer_labels = labels(picture.source)
    assert len(layer_labels) == 3
    for label in layer_labels[1:]:
        assert field(label, "Input shape") == field(label, "Output shape") == "?"
        assert field(label, "Param #") == "?"
    assert "not built" in picture.source and "input_shape=" in picture.source
    assert "not built" in repr(picture)


def test_the_same_model_once_built_shows_its_shapes_and_no_note() -> None:
    model = Sequential([Dense(4, activation="relu"), Dense(1)])
    model(np.zeros((2, 3), dtype=np.float32))
    picture = plot_model(model)
    assert [field(label, "Output shape") for label in labels(picture.source)] == [
        "(None, 3)",
        "(None, 4)",
        "(None, 1)",
    ]
    assert "not built" not in picture.source
    assert f"{3 * 4 + 4 + 4 * 1 + 1} parameters" in repr(picture)


def test_an_empty_model_is_just_its_input_box() -> None:
    picture = plot_model(Sequential())
    assert len(boxes(picture.source)) == 1 and edges(picture.source) == []
    assert "not built" in picture.source


def nested_model() -> tuple[Sequential, Sequential]:
    block = Sequential([Dense(8, activation="relu"), BatchNormalization(), Dropout(0.2)])
    return Sequential([Dense(16, input_shape=(4,)), block, Dense(1)]), block


def test_a_nested_sequential_is_one_box_with_its_total_count() -> None:
    model, block = nested_model()
    layer_labels = labels(plot_model(model).source)
    assert len(layer_labels) == 4
    block_label = layer_labels[2]
    assert title(block_label) == f"{block.name} (Sequential)"
    assert field(block_label, "Input shape") == "(None, 16)"
    assert field(block_label, "Output shape") == "(None, 8)"
    # Dense 16·8 + 8; BatchNormalization: gamma, beta, moving mean and variance of 8.
    assert field(block_label, "Param #") == str(16 * 8 + 8 + 4 * 8)
    assert "subgraph" not in plot_model(model).source


def test_expand_nested_frames_the_nested_layers_after_the_nested_models_box() -> None:
    model, block = nested_model()
    source = plot_model(model, expand_nested=True).source
    titles = [title(label) for label in labels(source)]
    assert titles[2:6] == [f"{block.name} (Sequential)"] + [
        f"{layer.name} ({type(layer).__name__})" for layer in block.layers
    ]
    start = source.index("subgraph cluster_0 {")
    frame = source[start : source.index("}", start)]
    framed = [node for node, _ in boxes(frame)]
    nodes = [node for node, _ in boxes(source)]
    assert framed == nodes[2:6]
    assert edges(source) == list(itertools.pairwise(nodes))
    assert " -> " not in frame  # an edge inside the frame would pull outside boxes in


def test_deeper_nesting_is_expanded_level_by_level() -> None:
    inner = Sequential([Dense(3)])
    middle = Sequential([inner, ReLU()])
    model = Sequential([Dense(2, input_shape=(2,)), middle])
    source = plot_model(model, expand_nested=True).source
    assert source.count("subgraph cluster_") == 2
    assert [field(label, "Output shape") for label in labels(source)] == ["(None, 2)"] * 2 + [
        "(None, 3)"
    ] * 4


# ----- files and rendering -----


def test_to_file_dot_writes_the_source_without_a_renderer(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(viz.picture, "find_renderer", lambda: None)
    picture = plot_model(guide_mlp(), to_file=tmp_path / "model.dot")
    assert (tmp_path / "model.dot").read_text() == picture.source


def test_to_file_svg_without_a_renderer_writes_dot_and_warns(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(viz.picture, "find_renderer", lambda: None)
    with pytest.warns(RuntimeWarning, match=r"could not render model\.svg.*model\.dot"):
        picture = plot_model(guide_mlp(), to_file=tmp_path / "model.svg")
    assert not (tmp_path / "model.svg").exists()
    assert (tmp_path / "model.dot").read_text() == picture.source


@needs_renderer
def test_to_file_svg_and_png_are_rendered(tmp_path: Path) -> None:
    plot_model(guide_cnn(), to_file=tmp_path / "model.svg")
    plot_model(guide_cnn(), to_file=str(tmp_path / "model.png"))
    assert (tmp_path / "model.svg").read_text().count("<svg") == 1
    assert (tmp_path / "model.png").read_bytes().startswith(b"\x89PNG")


@needs_renderer
def test_dpi_sets_the_png_resolution_only(tmp_path: Path) -> None:
    model = guide_mlp()
    low = plot_model(model, to_file=tmp_path / "low.png", dpi=96)
    high = plot_model(model, to_file=tmp_path / "high.png", dpi=192)
    ratio = png_width_pixels(tmp_path / "high.png") / png_width_pixels(tmp_path / "low.png")
    assert ratio == pytest.approx(2, rel=0.02)
    assert low.source == high.source and "dpi" not in high.source
    with pytest.raises(ValueError, match="dpi must be a positive number"):
        plot_model(guide_mlp(), dpi=0)


@needs_renderer
@pytest.mark.parametrize(
    "make_model",
    [guide_mlp, guide_cnn, lambda: nested_model()[0], lambda: Sequential([Dense(3), ReLU()])],
    ids=["mlp", "cnn", "nested", "unbuilt"],
)
def test_rendered_pictures_fit_1280_pixels_without_shrinking(make_model) -> None:
    model = make_model()
    svg = plot_model(model, expand_nested=True, show_dtype=True, show_trainable=True).render()
    assert svg_width_points(svg.decode()) <= 960
    assert re.search(r"scale\(1(\.0+)? 1(\.0+)?\)", svg.decode())  # the natural size


@needs_renderer
def test_long_names_still_fit_1280_pixels() -> None:
    long = "x" * 80
    model = Sequential([Dense(2, input_shape=(3,), name=long + "1"), Dense(2, name=long + "2")])
    svg = plot_model(model, show_dtype=True, show_trainable=True).render().decode()
    assert svg_width_points(svg) <= 960


@needs_renderer
def test_a_wide_left_to_right_picture_is_scaled_down_to_1280_pixels() -> None:
    model = Sequential([Dense(4, input_shape=(4,))] + [Dense(4) for _ in range(20)])
    svg = plot_model(model, rankdir="LR").render().decode()
    assert svg_width_points(svg) <= 960


@needs_renderer
def test_jupyter_gets_svg() -> None:
    model = guide_cnn()
    bundle = plot_model(model)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    assert model.layers[0].name in bundle["image/svg+xml"]


def test_without_a_renderer_jupyter_gets_the_dot_text(monkeypatch) -> None:
    monkeypatch.setattr(viz.picture, "find_renderer", lambda: None)
    picture = plot_model(guide_cnn())
    bundle = picture._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert picture.source in bundle["text/plain"]


def test_the_picture_is_a_graph_picture_that_names_the_model() -> None:
    model = guide_cnn()
    picture = plot_model(model)
    assert isinstance(picture, viz.GraphPicture) and isinstance(picture, ModelPicture)
    assert picture.boxes == 6
    assert repr(picture) == (
        f"ModelPicture({model.name!r}: 6 boxes, {320 + 346_176 + 650:,} parameters; "
        ".source holds the DOT text)"
    )


def test_a_layer_whose_shape_cannot_be_computed_shows_question_marks() -> None:
    class Broken(Layer):
        def compute_output_shape(self, input_shape):
            raise RuntimeError("no idea")

        def call(self, x):
            return x

    model = Sequential([Dense(2, input_shape=(3,))])
    model.layers.append(Broken())  # appended behind add's back: the model was never fitted
    model.layers.append(Dense(1))
    shapes = [field(label, "Output shape") for label in labels(plot_model(model).source)]
    assert shapes == ["(None, 3)", "(None, 2)", "?", "?"]


# ----- the public names -----


def test_nn_exports_plot_model() -> None:
    if not hasattr(nn, "plot_model"):
        pytest.skip("nn does not export plot_model yet")
    assert nn.plot_model is plot_model


def test_sequential_draw_is_plot_model() -> None:
    if not hasattr(Sequential, "draw"):
        pytest.skip("Sequential.draw is not added yet")
    model = guide_mlp()
    assert model.draw().source == plot_model(model).source
    assert "rankdir=LR" in model.draw(rankdir="LR").source
