"""Graph pictures: DOT structure, rendering when a renderer exists, and text when none does."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from autograd import Value, draw_graph, viz

RENDERER = viz.find_renderer()
needs_renderer = pytest.mark.skipif(RENDERER is None, reason="no Graphviz renderer installed")


def small_graph() -> Value:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = (c + a).tanh()
    d.label = "d"
    d.backward()
    return d


def test_one_record_per_value_and_one_node_per_operation() -> None:
    source = draw_graph(small_graph()).source
    assert source.count("shape=record") == 5  # a, b, c, c + a, d
    assert source.count("shape=ellipse") == 3  # *, +, tanh
    for op in ("*", "+", "tanh"):
        assert f'label="{op}"' in source


def test_records_show_label_data_and_grad() -> None:
    d = small_graph()
    source = draw_graph(d).source
    a = d._parents[0]._parents[1]
    assert f"a | data 2.0000 | grad {a.grad:.4f}" in source
    assert "grad 1.0000" in source  # the root
    assert "grad" not in draw_graph(d, show_grad=False).source


def test_a_value_used_twice_gets_one_edge_per_operation() -> None:
    a = Value(3.0, label="a")
    source = draw_graph(a * a).source
    assert len(re.findall(r"v1 -> v0_op", source)) == 1


def test_rankdir_sets_the_direction_and_record_orientation() -> None:
    assert "rankdir=TB" in draw_graph(small_graph(), rankdir="TB").source
    assert 'label="{ ' in draw_graph(small_graph(), rankdir="LR").source
    assert 'label="{ ' not in draw_graph(small_graph(), rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir must be"):
        draw_graph(small_graph(), rankdir="sideways")


def test_labels_with_record_characters_are_escaped() -> None:
    source = draw_graph(Value(1.0, label="x|{y}")).source
    assert r"x\|\{y\}" in source


def test_huge_graphs_are_capped_and_summarised_without_recursion() -> None:
    y = Value(1.0)
    for _ in range(100_000):
        y = y * 1.0
    picture = draw_graph(y, max_nodes=50)
    assert picture.source.count("shape=record") == 50
    assert "99951 more values not drawn (max_nodes=50)" in picture.source


@needs_renderer
def test_renders_svg_for_jupyter_and_saves_files(tmp_path: Path) -> None:
    picture = draw_graph(small_graph())
    bundle = picture._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    assert "tanh" in bundle["image/svg+xml"]
    assert picture.save(tmp_path / "g.svg").read_text().count("<svg") == 1
    assert picture.save(tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")


def test_dot_files_save_without_a_renderer(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(viz, "find_renderer", lambda: None)
    picture = draw_graph(small_graph())
    assert (tmp_path / "g.dot").exists() is False
    assert picture.save(tmp_path / "g.dot").read_text() == picture.source
    with pytest.raises(ValueError, match=r"use a \.svg, \.png, \.dot or \.gv"):
        picture.save(tmp_path / "g.pdf")


def test_without_a_renderer_display_degrades_to_dot_text(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(viz, "find_renderer", lambda: None)
    picture = draw_graph(small_graph())
    bundle = picture._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("(no Graphviz renderer found: `pip install")
    assert picture.source in bundle["text/plain"]
    with pytest.raises(viz.RendererNotFound, match="chainrule\\[viz\\]"):
        picture.save(tmp_path / "g.svg")


def test_a_failing_renderer_also_degrades_to_text(monkeypatch) -> None:
    monkeypatch.setattr(viz, "find_renderer", lambda: sys.executable)  # not a dot program
    bundle = draw_graph(small_graph())._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "failed" in bundle["text/plain"]


def test_graphviz_pure_is_found_beside_the_interpreter(monkeypatch, tmp_path: Path) -> None:
    fake = tmp_path / "graphviz-pure"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    monkeypatch.setattr(viz.sys, "executable", str(tmp_path / "python"))
    assert viz.find_renderer() == str(fake)


def test_operations_with_constants_show_the_constant() -> None:
    a = Value(3.0, label="a")
    ops = [(a * 0.5).op, (2 - a).op, (a**2).op, (1 / a).op, (a + 1).op, (2**a).op, (a - 1).op]
    assert ops == ["* 0.5", "2 -", "** 2", "1 /", "+ 1", "2 **", "- 1"]
    assert 'label="** 2"' in draw_graph(a**2).source


def test_tensor_records_show_shape_dtype_and_small_values() -> None:
    import numpy as np

    from autograd import Tensor

    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    w = Tensor([[1.0], [2.0], [3.0]], requires_grad=True, label="w")
    y = (x @ w).sum()
    y.backward()
    source = draw_graph(y).source
    assert source.count("shape=record") == 4 and source.count("shape=ellipse") == 2
    assert "x | (2, 3) float32 | data [0.0000 … 5.0000] | grad [1.0000 … 3.0000]" in source
    assert "w | (3, 1) float32 | data [1., 2., 3.] | grad [3., 5., 7.]" in source
    assert 'label="matmul"' in source
