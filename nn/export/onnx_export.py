"""``to_onnx``: the plan as an ONNX graph, written atomically."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from typing import Any

from nn import activations
from nn.export.common import float32, import_onnx
from nn.export.plan import Op, make_plan, module_name

DEFAULT_OPSET = 17


def to_onnx(
    model: Any,
    path: str | os.PathLike[str],
    input_shape: Sequence[int] | None = None,
    opset: int = DEFAULT_OPSET,
) -> Any:
    """Write ``model`` as an ONNX file at ``path`` and return the ``onnx.ModelProto``.

    ``input_shape`` is one sample's shape as Keras writes it (``(30,)``, ``(28, 28, 1)``;
    default: the shape the model was built for); the batch axis is dynamic ("batch"). The
    graph's input is "input", its output "output", its weights initializers, Dropout and
    augmentation omitted (inference). The model is checked with ``onnx.checker`` and written
    to a temporary file that is then renamed, so a failure leaves no half-written file.
    """
    onnx = import_onnx("to_onnx")
    steps, first_shape, output_shape = make_plan(model, "to_onnx", input_shape)
    graph = _OnnxGraph(onnx, "input")
    for step in steps:
        _onnx_step(graph, step)
    graph.nodes.append(onnx.helper.make_node("Identity", [graph.current], ["output"], "output"))
    float32 = onnx.TensorProto.FLOAT
    onnx_graph = onnx.helper.make_graph(
        graph.nodes,
        module_name(getattr(model, "name", "") or "chainrule"),
        [onnx.helper.make_tensor_value_info("input", float32, ["batch", *first_shape[1:]])],
        [onnx.helper.make_tensor_value_info("output", float32, ["batch", *output_shape[1:]])],
        initializer=graph.initializers,
    )
    opsets = [onnx.helper.make_opsetid("", opset)]
    onnx_model = onnx.helper.make_model(
        onnx_graph,
        opset_imports=opsets,
        producer_name="chainrule",
        ir_version=onnx.helper.find_min_ir_version_for(opsets),
    )
    onnx.checker.check_model(onnx_model, full_check=True)
    _write_atomically(path, onnx_model.SerializeToString())
    return onnx_model


def _write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".chainrule-", suffix=".onnx.tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


class _OnnxGraph:
    """The nodes and initializers being written, and the name of the current tensor."""

    def __init__(self, onnx: Any, input_name: str) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.current = input_name
        self.names: set[str] = set()

    def unique(self, name: str) -> str:
        while name in self.names:
            name += "_"
        self.names.add(name)
        return name

    def constant(self, name: str, array: Any) -> str:
        """An initializer holding ``array`` (float32), by name."""
        unique = self.unique(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(float32(array), unique))
        return unique

    def node(self, op: str, inputs: Sequence[str], name: str, **attributes: Any) -> str:
        """Add one node; return its output's name."""
        output = self.unique(f"{name}/{op}")
        node = self.onnx.helper.make_node(op, list(inputs), [output], name=output, **attributes)
        self.nodes.append(node)
        return output

    def apply(self, op: str, name: str, *inputs: str, **attributes: Any) -> None:
        """A node on the current tensor (and ``inputs``), which becomes the current tensor."""
        self.current = self.node(op, [self.current, *inputs], name, **attributes)


def _onnx_step(graph: _OnnxGraph, step: Op) -> None:
    options, weights, name = step.options, step.weights, step.name
    if step.kind == "transpose":
        graph.apply("Transpose", name, perm=list(options["perm"]))
    elif step.kind == "linear":
        _onnx_linear(graph, step)
    elif step.kind == "conv":
        kernel = weights["kernel"]
        inputs = [graph.constant(f"{name}.kernel", kernel)]
        if "bias" in weights:
            inputs.append(graph.constant(f"{name}.bias", weights["bias"]))
        graph.apply(
            "Conv", name, *inputs, kernel_shape=list(kernel.shape[2:]),
            strides=list(options["strides"]), pads=_onnx_pads(options["pads"]),
        )  # fmt: skip
    elif step.kind in ("max_pool", "avg_pool"):
        extra = {"count_include_pad": 0} if step.kind == "avg_pool" else {}
        graph.apply(
            "MaxPool" if step.kind == "max_pool" else "AveragePool", name,
            kernel_shape=list(options["pool_size"]), strides=list(options["strides"]),
            pads=_onnx_pads(options["pads"]), **extra,
        )  # fmt: skip
    elif step.kind == "flatten":
        graph.apply("Flatten", name, axis=1)
    elif step.kind == "batch_norm":
        inputs = [graph.constant(f"{name}.{key}", weights[key])
                  for key in ("gamma", "beta", "mean", "variance")]  # fmt: skip
        # ONNX's momentum is Keras's (the weight of the old statistic); it matters only in training.
        graph.apply(
            "BatchNormalization", name, *inputs, epsilon=options["epsilon"],
            momentum=options["momentum"],
        )  # fmt: skip
    elif step.kind == "activation":
        _onnx_activation(graph, options, name)
    elif step.kind == "relu":
        _onnx_keras_relu(graph, options, name)
    elif step.kind == "prelu":
        graph.apply("PRelu", name, graph.constant(f"{name}.alpha", weights["alpha"]))
    elif step.kind != "dropout":  # dropout is the identity at inference
        raise AssertionError(f"unknown step {step.kind}")


def _onnx_pads(pads: tuple[tuple[int, int], tuple[int, int]]) -> list[int]:
    """ONNX's order: [top, left, bottom, right] (all the begins, then all the ends)."""
    (top, bottom), (left, right) = pads
    return [top, left, bottom, right]


def _onnx_linear(graph: _OnnxGraph, step: Op) -> None:
    """Gemm on a batch of vectors; MatMul (+ Add) when Dense acts on the last axis of more."""
    name = step.name
    kernel = graph.constant(f"{name}.kernel", step.weights["kernel"])
    bias = [graph.constant(f"{name}.bias", step.weights["bias"])] if "bias" in step.weights else []
    if step.options["rank"] == 2:
        graph.apply("Gemm", name, kernel, *bias)
        return
    graph.apply("MatMul", name, kernel)
    if bias:
        graph.apply("Add", name, *bias)


_ONNX_SIMPLE = {
    "relu": "Relu",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "softplus": "Softplus",
    "softsign": "Softsign",
}


def _onnx_activation(graph: _OnnxGraph, options: dict[str, Any], name: str) -> None:
    function = options["function"]
    if function in _ONNX_SIMPLE:
        graph.apply(_ONNX_SIMPLE[function], name)
    elif function == "softmax":
        graph.apply("Softmax", name, axis=options["axis"])
    elif function == "leaky_relu":
        graph.apply("LeakyRelu", name, alpha=float(options["alpha"]))
    elif function == "elu":
        graph.apply("Elu", name, alpha=float(options["alpha"]))
    elif function == "selu":
        graph.apply("Selu", name, alpha=activations.SELU_ALPHA, gamma=activations.SELU_SCALE)
    elif function == "silu":  # x · σ(x)
        x = graph.current
        graph.apply("Sigmoid", name)
        graph.current = graph.node("Mul", [x, graph.current], name)
    elif function == "gelu":  # x · (1 + erf(x / √2)) / 2: opset 17 has no Gelu op
        x = graph.current
        graph.apply("Mul", name, graph.constant(f"{name}.one_over_sqrt2", math.sqrt(0.5)))
        graph.apply("Erf", name)
        graph.apply("Add", name, graph.constant(f"{name}.one", 1.0))
        graph.current = graph.node("Mul", [x, graph.current], name)
        graph.apply("Mul", name, graph.constant(f"{name}.half", 0.5))
    elif function == "step":  # 1 where x >= 0
        graph.apply("GreaterOrEqual", name, graph.constant(f"{name}.zero", 0.0))
        graph.apply("Cast", name, to=graph.onnx.TensorProto.FLOAT)
    else:
        raise AssertionError(f"unknown activation {function}")


def _onnx_keras_relu(graph: _OnnxGraph, options: dict[str, Any], name: str) -> None:
    """Keras's ReLU layer: clip(x·[x > threshold], 0, max_value) − slope·relu(threshold − x)."""
    x = graph.current
    threshold = options["threshold"]
    if threshold != 0:
        graph.apply("Greater", name, graph.constant(f"{name}.threshold", threshold))
        graph.apply("Cast", name, to=graph.onnx.TensorProto.FLOAT)
        graph.current = graph.node("Mul", [x, graph.current], name)
    else:
        graph.apply("Relu", name)
    if options["max_value"] is not None:
        low = graph.constant(f"{name}.min", 0.0)
        graph.apply("Clip", name, low, graph.constant(f"{name}.max", options["max_value"]))
    if options["negative_slope"]:
        below = graph.node("Sub", [graph.constant(f"{name}.t", threshold), x], name)
        below = graph.node("Relu", [below], name)
        slope = graph.constant(f"{name}.slope", options["negative_slope"])
        graph.apply("Sub", name, graph.node("Mul", [below, slope], name))
