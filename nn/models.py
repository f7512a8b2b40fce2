"""``Sequential``: layers applied one after another, with Keras's ``summary()`` table.

    model = Sequential([Dense(16, activation="relu", input_shape=(30,)), Dense(1, "sigmoid")])
    model.summary()

When the first layer declares ``input_shape`` the whole stack is built at once (so ``summary``
can show every shape and count); otherwise it is built by the first batch it sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from autograd import Tensor
from nn.layers.base import Layer, Shape
from nn.training import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A stack of layers: ``Sequential([Dense(32, input_shape=(10,)), Dense(1)])``."""

    def __init__(self, layers: Iterable[Layer] | None = None, name: str | None = None) -> None:
        super().__init__(name=name)
        self.layers: list[Layer] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Layer) -> None:
        """Append ``layer``; it is built at once when the shapes before it are known."""
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add: expected a layer such as Dense(16), got {type(layer).__name__}"
            )
        self.layers.append(layer)
        if self.built:
            layer.build_for(self._output_shapes[-1])
            self._output_shapes.append(layer.compute_output_shape(self._output_shapes[-1]))
        elif len(self.layers) == 1 and layer.input_shape is not None:
            self.build_for(layer.input_shape)

    def build(self, input_shape: Shape) -> None:
        shape: Shape = (None, *input_shape[1:])
        self._output_shapes: list[Shape] = []
        for layer in self.layers:
            layer.build_for(shape)
            shape = layer.compute_output_shape(shape)
            self._output_shapes.append(shape)
        if not self._output_shapes:
            self._output_shapes.append(shape)

    def call(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def _check_input(self, x: np.ndarray) -> None:
        """Refuse a batch whose sample shape differs from the one the model was built for."""
        expected = self.input_shape
        if expected is not None and tuple(x.shape[1:]) != tuple(expected[1:]):
            raise ValueError(
                f"{self.name}: expected inputs of shape (batch, {', '.join(map(str, expected[1:]))}"
                f"), got {x.shape}"
                + (
                    f" ({x.shape[-1]} features per sample, the model takes {expected[-1]})"
                    if len(expected) == 2 and x.ndim == 2
                    else ""
                )
            )

    # ----- a list of layers -----

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self.layers:
            raise IndexError("Sequential.pop: the model has no layers")
        layer = self.layers.pop()
        if self.built:
            self._output_shapes.pop()
        return layer

    def draw(self, to_file: Any = None, **options: Any) -> Any:
        """Keras's ``plot_model`` of this model: a box per layer with its type, output shape,
        activation and parameter count (options as ``nn.model_view.plot_model``)."""
        from nn.model_view import plot_model  # the model view imports this module

        return plot_model(self, to_file, **options)

    # ----- summary -----

    def summary(self, print_fn: Callable[[str], Any] = print) -> None:
        """Keras's table: each layer's name and type, output shape and parameter count, then
        the total, trainable and non-trainable counts (buffers such as BatchNormalization's
        moving statistics are the non-trainable ones)."""
        rows = []
        for i, layer in enumerate(self.layers):
            shape = _format_shape(self._output_shapes[i]) if self.built else "?"
            count = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
            rows.append((f"{layer.name} ({type(layer).__name__})", shape, count))
        widths = (33, 24, 15)
        for row in rows:
            widths = tuple(max(w, len(cell) + 2) for w, cell in zip(widths, row))

        def line(left: str, middle: str, right: str, fill: str) -> str:
            return left + middle.join(fill * w for w in widths) + right

        def cells(row: tuple[str, str, str], edge: str) -> str:
            name, shape, count = row
            return (
                f"{edge} {name:<{widths[0] - 2}} {edge} {shape:<{widths[1] - 2}} {edge} "
                f"{count:>{widths[2] - 2}} {edge}"
            )

        trainable = sum(int(np.size(p.data)) for p in self.parameters())
        frozen = sum(int(np.size(_data(b))) for b in self.buffers())
        out = [f'Model: "{self.name}"', line("┏", "┳", "┓", "━")]
        out.append(cells(("Layer (type)", "Output Shape", "Param #"), "┃"))
        out.append(line("┡", "╇", "┩", "━"))
        for i, row in enumerate(rows):
            out.append(cells(row, "│"))
            out.append(line("├", "┼", "┤", "─") if i < len(rows) - 1 else line("└", "┴", "┘", "─"))
        if not rows:
            out.append(line("└", "┴", "┘", "─"))
        out.append(f" Total params: {_count(trainable + frozen)}")
        out.append(f" Trainable params: {_count(trainable)}")
        out.append(f" Non-trainable params: {_count(frozen)}")
        print_fn("\n".join(out))


def _data(buffer: Any) -> Any:
    return buffer.data if isinstance(buffer, Tensor) else buffer


def _format_shape(shape: Shape) -> str:
    inner = ", ".join("None" if n is None else str(n) for n in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _count(n: int) -> str:
    """``897 (3.50 KB)``: the count and its float32 size, as Keras prints it."""
    size = n * 4
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{n:,} ({size:.2f} {unit})"
        size /= 1024
    raise AssertionError("unreachable")
