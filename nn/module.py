"""``Module``: the base of every model and layer. It finds its parameters, buffers and
sub-modules in its attributes, switches training mode, and saves its weights without pickle.

One walker (``_walk``) serves everything: it follows attributes, lists, tuples and dicts with an
explicit stack (no recursion), and reports each sub-module, parameter and buffer with its dotted
name (``layers.0.kernel``). A *parameter* is a leaf the optimizer may change: a ``Value`` that
was not computed from others, or a ``Tensor`` leaf with ``requires_grad``; a tensor a layer
caches (say, its last output) is not a leaf and is never counted. A *buffer* is state that is
saved but not optimized, such as batch normalization's running mean (``register_buffer``).

Weights are saved as ``.npz`` (``numpy.savez``): plain arrays under their dotted names, nothing
pickled, written to a temporary file in the same folder and renamed over the target, so a crash
mid-save leaves the previous file intact.

Attributes whose names start with ``_`` are private bookkeeping (caches, links back to an
optimizer) and are not walked.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from autograd import Tensor, Value, no_grad

__all__ = ["Module", "evaluation_mode"]

Parameter = Value | Tensor


class Module:
    """A model or a part of one: subclasses store parameters and sub-modules as attributes."""

    training: bool = True

    # ----- what it holds -----

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs, each parameter once even if it is shared."""
        for kind, name, item in _walk(self, prefix):
            if kind == "parameter":
                yield name, item

    def parameters(self) -> list[Parameter]:
        """Every parameter, in attribute order: what an optimizer is given."""
        return [parameter for _, parameter in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """``(dotted name, buffer)`` pairs: saved, not optimized."""
        for kind, name, item in _walk(self, prefix):
            if kind == "buffer":
                yield name, item

    def buffers(self) -> list[Any]:
        return [buffer for _, buffer in self.named_buffers()]

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``) and every sub-module below it, each once."""
        for kind, name, item in _walk(self, prefix):
            if kind == "module":
                yield name, item

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module below it."""
        for _, module in self.named_modules():
            yield module

    def register_buffer(self, name: str, value: np.ndarray | Tensor) -> None:
        """Store ``value`` as attribute ``name`` and save it with the weights, unoptimized."""
        if not name.isidentifier():
            raise ValueError(f"register_buffer: {name!r} is not a valid attribute name")
        if isinstance(value, Tensor) and value.requires_grad:
            raise ValueError(f"register_buffer: buffer {name!r} must not require a gradient")
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        setattr(self, name, value if isinstance(value, Tensor) else np.asarray(value))

    def penalties(self) -> list[Tensor]:
        """The regularization penalties of every layer below this module, as graph nodes."""
        return [penalty for module in self.modules() for penalty in module._own_penalties()]

    def _own_penalties(self) -> list[Tensor]:
        """This module's own penalties (``Layer`` gives those of ``kernel_regularizer=``)."""
        return []

    def regularization_loss(self) -> Tensor:
        """The sum of every penalty below this module (a 0-d Tensor, 0 when there are none):
        ``loss = loss + model.regularization_loss()`` in a hand-written loop."""
        total = Tensor(0.0)
        for penalty in self.penalties():
            total = total + penalty
        return total

    def zero_grad(self) -> None:
        """Forget the gradients of all parameters (leaves accumulate across ``backward`` calls)."""
        for parameter in self.parameters():
            parameter.grad = parameter._start_grad  # 0.0 for a Value, None for a Tensor

    # ----- training or evaluation -----

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``eval()`` unsets it) here and in every sub-module: ``Dropout``
        drops and ``BatchNormalization`` uses batch statistics only in training mode."""
        return self._set_training(mode, "train")

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self._set_training(False, "eval")

    def _set_training(self, mode: Any, caller: str) -> Module:
        if not isinstance(mode, bool):
            raise TypeError(
                f"{type(self).__name__}.{caller}(mode) switches training mode and takes True or "
                f"False, got {type(mode).__name__}; to learn from data call fit(x, y)"
            )
        for module in self.modules():
            module.training = mode
        return self

    # ----- weights -----

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters and buffers as numpy arrays (copies) under their dotted names."""
        state: dict[str, np.ndarray] = {}
        for kind, name, item in _walk(self, ""):
            if kind in ("parameter", "buffer"):
                state[name] = np.array(_array_of(item), copy=True)
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy saved arrays into the parameters and buffers, in place (an optimizer bound to
        them keeps working). With ``strict`` every name must match both ways; a shape that
        differs is an error either way. Errors name every missing, unexpected and mis-shaped
        entry."""
        targets = {name: item for kind, name, item in _walk(self, "") if kind != "module"}
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        mis_shaped = [
            f"{name}: saved {np.shape(state[name])}, model {np.shape(_array_of(item))}"
            for name, item in targets.items()
            if name in state and np.shape(state[name]) != np.shape(_array_of(item))
        ]
        problems = []
        if strict and missing:
            problems.append(f"missing {missing}")
        if strict and unexpected:
            problems.append(f"unexpected {unexpected}")
        if mis_shaped:
            problems.append(f"shapes differ: {'; '.join(mis_shaped)}")
        if problems:
            hint = ""
            if unexpected and not targets:
                hint = (
                    " (the model has no weights yet: build it first by calling it on a batch "
                    "or by giving the first layer input_shape=)"
                )
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {', '.join(problems)}{hint}"
            )
        for name, item in targets.items():
            if name in state:
                _assign(item, np.asarray(state[name]))

    def save(self, path: str | os.PathLike) -> None:
        """Write ``state_dict()`` to ``path`` as an uncompressed ``.npz`` archive, atomically."""
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, **self.state_dict())
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise

    def load(self, path: str | os.PathLike, strict: bool = True) -> None:
        """Read weights written by ``save`` (no pickle: object arrays are refused)."""
        self.load_state_dict(read_npz(path), strict=strict)

    # Keras's names for the same two operations.
    def save_weights(self, filepath: str | os.PathLike) -> None:
        self.save(filepath)

    def load_weights(self, filepath: str | os.PathLike) -> None:
        self.load(filepath)

    # ----- display -----

    def extra_repr(self) -> str:
        """What the one-line ``repr`` shows between the brackets."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


@contextlib.contextmanager
def evaluation_mode(model: Any) -> Iterator[None]:
    """Evaluation mode and no graph for a ``with`` block (validation, prediction, measuring);
    afterwards every module gets back its own training flag."""
    modules = list(model.modules()) if isinstance(model, Module) else []
    saved = [(module, module.training) for module in modules]
    for module in modules:
        module.training = False
    try:
        with no_grad():
            yield
    finally:
        for module, mode in saved:
            module.training = mode


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive, refusing anything that would need pickle."""
    path = os.fspath(path)
    with open(path, "rb") as file:
        start = file.read(4)
    if start != b"PK\x03\x04":  # every zip archive, and so every .npz, starts so
        kind = "a single .npy array" if start == b"\x93NUM" else "not a zip archive"
        raise ValueError(f"{path!r} is not an .npz archive of weights written by save(): {kind}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"{path!r} is a damaged .npz archive: {error}") from None
    except ValueError as error:
        if "pickle" in str(error) or "Object arrays" in str(error):
            raise ValueError(
                f"{path!r} holds Python objects (pickled data), not plain arrays; chainrule "
                "never loads pickles, so save the weights again with model.save()"
            ) from None
        raise


# ----- the walker -----


def _is_parameter(item: Any) -> bool:
    if isinstance(item, Tensor):
        return item.requires_grad and not item._parents
    return isinstance(item, Value) and not item._parents


def _walk(root: Module, prefix: str) -> Iterator[tuple[str, str, Any]]:
    """``(kind, dotted name, item)`` for every module, parameter and buffer below ``root``,
    parents before children, attributes in the order they were set; each object once."""
    seen: set[int] = set()
    stack: list[tuple[str, Any, bool]] = [(prefix.rstrip("."), root, False)]
    while stack:
        name, item, is_buffer = stack.pop()
        if is_buffer:
            if id(item) not in seen:
                seen.add(id(item))
                yield "buffer", name, item
            continue
        if isinstance(item, (Tensor, Value)):
            if _is_parameter(item) and id(item) not in seen:
                seen.add(id(item))
                yield "parameter", name, item
            continue
        if isinstance(item, Module):
            if id(item) in seen:
                continue
            seen.add(id(item))
            yield "module", name, item
            buffer_names = set(item.__dict__.get("_buffer_names", ()))
            entries = [
                (key, value, key in buffer_names)
                for key, value in vars(item).items()
                if not key.startswith("_") or key in buffer_names
            ]
        elif isinstance(item, (list, tuple)):
            entries = [(str(index), element, False) for index, element in enumerate(item)]
        elif isinstance(item, dict):
            entries = [(str(key), value, False) for key, value in item.items()]
        else:
            continue
        joined = [(f"{name}.{key}" if name else key, value, buf) for key, value, buf in entries]
        stack.extend(reversed(joined))


def _array_of(item: Any) -> np.ndarray:
    if isinstance(item, Value):
        return np.asarray(item.data)
    if isinstance(item, Tensor):
        return item.data
    return np.asarray(item)


def _assign(item: Any, array: np.ndarray) -> None:
    """Copy ``array`` into a parameter or buffer in place (a 0-d array too: ``a[...] = x``)."""
    if isinstance(item, Value):
        item.data = float(array)
    elif isinstance(item, Tensor):
        item.data[...] = array
    else:
        item[...] = array
