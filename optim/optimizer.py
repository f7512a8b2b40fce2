"""``Optimizer``: parameter groups, per-parameter state, ``step``, and checkpoints without pickle.

An optimizer holds ``param_groups`` (as PyTorch: dicts with ``"params"`` and the group's
hyper-parameters) and ``state``. Subclasses are their update rule and nothing else:
``_update(param, grad, state, group)`` changes ``param`` and the ``state`` arrays in place with
numpy operations. The rule never sees a ``Value`` or a ``Tensor``:

- a ``Tensor`` parameter is updated through its own ``.data`` array;
- the ``Value`` parameters of a group are packed into one float64 array, updated by the same
  rule, and written back, so one line of numpy updates every scalar weight of a small MLP.

Rules update in place and write temporaries into reusable work arrays (``_work``), because on a
large model a step's time is its passes over memory: a fresh temporary costs page faults too.
Each rule is the fewest in-place numpy passes its formula needs (one comment per pass), with
scalar factors folded together; ``benchmarks/optim_step.py`` times each against the same passes
written by hand.

``state_dict()`` is a flat dict of numpy arrays (``np.savez(path, **opt.state_dict())``), and
``load_state_dict(np.load(path))`` restores it; ``save`` and ``load`` do both. Nothing is
pickled, and a checkpoint that does not fit (optimizer type, parameter count or shapes) is
refused with an error that says what differs.
"""

from __future__ import annotations

import numbers
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor, Value, enable_grad
from optim.clip import KerasClipping

__all__ = ["Optimizer"]

Parameter = Value | Tensor
_FORMAT = 1


class _ValueBlock:
    """The ``Value`` parameters of one group, seen by the update rule as one float64 array."""

    def __init__(self, values: list[Value]) -> None:
        self.values = values
        self.shape = (len(values),)

    def gather(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.values)
        data = np.fromiter((v.data for v in self.values), np.float64, n)
        grad = np.fromiter((v.grad for v in self.values), np.float64, n)
        return data, grad

    def scatter(self, data: np.ndarray) -> None:
        for value, number in zip(self.values, data.tolist()):
            value.data = number


class Optimizer:
    """The base of every optimizer: ``Adam(model.parameters(), lr=1e-3)`` or, with groups,
    ``SGD([{"params": body}, {"params": head, "lr": 0.1}], lr=0.01)``.

    Each step: ``loss.backward(); optimizer.step(); optimizer.zero_grad()``.
    """

    defaults: dict[str, Any]

    def __init__(
        self,
        params: Any,
        defaults: dict[str, Any],
        learning_rate: float | None = None,
        clipping: dict[str, float | None] | None = None,
    ) -> None:
        """``params`` may be left out (Keras's way: ``Adam(learning_rate=1e-3)``, bound later by
        ``bind`` or a model's ``compile``); a number in its place is Keras's positional learning
        rate (``SGD(0.01)``). ``learning_rate=`` is Keras's spelling of ``lr=``. ``clipping``
        holds the keywords every optimizer takes as Keras's do: ``clipnorm``, ``clipvalue`` or
        ``global_clipnorm`` (``optim.clip.KerasClipping``)."""
        self.clipping = KerasClipping(self._name, clipping or {})
        self.defaults = dict(defaults)
        if isinstance(params, numbers.Real) and not isinstance(params, bool):
            self.defaults["lr"], params = float(params), None
        if learning_rate is not None:
            self.defaults["lr"] = learning_rate
        self._check(self.defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Any, dict[str, Any]] = {}
        self._blocks: list[_ValueBlock | None] = []
        if params is not None:
            self.bind(params)

    def bind(self, params: Any) -> Optimizer:
        """Give an optimizer made without parameters its parameters (``model.parameters()``, or
        a list of group dicts); returns the optimizer."""
        if self.param_groups:
            raise RuntimeError(f"{self._name} already has parameters; make a new optimizer")
        if isinstance(params, (str, bytes)) or callable(params) or hasattr(params, "parameters"):
            what = "a method" if callable(params) else f"a {type(params).__name__}"
            raise TypeError(
                f"{self._name}: got {what} where parameters belong; pass model.parameters()"
            )
        groups = list(params) if not isinstance(params, (Tensor, Value)) else [params]
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        return self

    @property
    def learning_rate(self) -> float:
        """The learning rate (Keras's name): the first group's ``lr``, set on every group."""
        groups = self.param_groups or [self.defaults]
        return float(groups[0]["lr"])

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        _check_range(self._name, "learning_rate", value, low=0.0)
        self.defaults["lr"] = value
        for group in self.param_groups:
            group["lr"] = value

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ----- parameters -----

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with hyper-parameters of its own (the rest from defaults)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{self._name}: a parameter group is a dict with a 'params' entry")
        params = group["params"]
        params = [params] if isinstance(params, (Tensor, Value)) else list(params)
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(
                f"{self._name}: unknown hyper-parameter(s) {sorted(unknown)}; "
                f"{self._name} takes {sorted(self.defaults)}"
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            _check_parameter(p, i, self._name)
            if id(p) in seen:
                raise ValueError(f"{self._name}: parameter {i} appears twice among the groups")
            seen.add(id(p))
        full = {**self.defaults, **group, "params": params}
        self._check(full)
        self.param_groups.append(full)
        values = [p for p in params if isinstance(p, Value)]
        self._blocks.append(_ValueBlock(values) if values else None)

    def _slots(self, g: int) -> list[Tensor | _ValueBlock]:
        """What one group's update rule runs on: each Tensor, then the group's Values packed."""
        slots: list[Tensor | _ValueBlock] = [
            p for p in self.param_groups[g]["params"] if isinstance(p, Tensor)
        ]
        block = self._blocks[g]
        if block is not None:
            slots.append(block)
        return slots

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every gradient: a Tensor's becomes None (or zeros), a Value's 0."""
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, Value):
                    p.grad = 0.0
                elif set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.data)

    # ----- the step -----

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; ``closure`` (optional) recomputes the loss
        and its gradients first and its result is returned."""
        if not self.param_groups:
            raise RuntimeError(
                f"{self._name} has no parameters yet: compile a model with it, or call "
                f"bind(model.parameters()) first"
            )
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        updates = []  # (slot, its group, its data, its gradient): all gathered before any update
        for g, group in enumerate(self.param_groups):
            for slot in self._slots(g):
                if isinstance(slot, _ValueBlock):
                    updates.append((slot, group, *slot.gather()))
                elif slot.grad is not None:
                    if np.shape(slot.grad) != slot.data.shape:
                        raise ValueError(
                            f"{self._name}: a parameter of shape {slot.data.shape} has a gradient "
                            f"of shape {np.shape(slot.grad)}"
                        )
                    # A 0-d parameter is updated through a 1-element view, so that the rule's
                    # in-place numpy operations never meet numpy's 0-d scalars.
                    data, grad = np.atleast_1d(slot.data), np.atleast_1d(slot.grad)
                    updates.append((slot, group, data, grad))
        grads = [grad for *_, grad in updates]
        if self.clipping:  # global_clipnorm needs every gradient before the first update
            grads = self.clipping(grads, [isinstance(u[0], _ValueBlock) for u in updates])
        for (slot, group, data, _), grad in zip(updates, grads):
            self._update(data, grad, self._state_for(slot, data, group), group)
            if isinstance(slot, _ValueBlock):
                slot.scatter(data)
        return loss

    def _state_for(self, key: Any, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state.get(key)
        if state is None:
            state = self.state[key] = self._init_state(param, group)
        return state

    @staticmethod
    def _work(state: dict[str, Any], like: np.ndarray, count: int = 1) -> list[np.ndarray]:
        """``count`` work arrays shaped like ``like``, kept with the state between steps (never
        saved): rules write their temporaries into them with ``out=``, so a step over a large
        model allocates no memory."""
        work = state.get("_work")
        if work is None or len(work) < count or work[0].shape != like.shape:
            work = state["_work"] = [np.empty_like(like) for _ in range(count)]
        return work

    @staticmethod
    def _plus_decay(
        state: dict[str, Any], param: np.ndarray, grad: np.ndarray, weight_decay: float
    ) -> np.ndarray:
        """L2 weight decay: the gradient of λ/2·‖w‖², λw, joins the gradient. g + λw is written
        in two passes into a work array of its own (the caller's ``grad`` is left as it was);
        without decay ``grad`` itself comes back and no pass is made."""
        if not weight_decay:
            return grad
        out = state.get("_decayed")
        if out is None or out.shape != param.shape:
            out = state["_decayed"] = np.empty_like(param)
        np.multiply(param, weight_decay, out=out)  # λw
        out += grad  # g + λw
        return out

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """The state of a parameter before its first step (arrays shaped like it)."""
        return {}

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """The update rule: change ``param`` and ``state`` in place."""
        raise NotImplementedError

    # ----- hyper-parameters -----

    def _check(self, group: dict[str, Any]) -> None:
        """Reject hyper-parameters out of range, naming them; subclasses add their own."""
        _check_range(self._name, "lr", group.get("lr", 0.0), low=0.0)

    # ----- checkpoints -----

    def state_dict(self) -> dict[str, np.ndarray]:
        """Hyper-parameters and state as a flat dict of numpy arrays, for ``np.savez``."""
        out: dict[str, np.ndarray] = {
            "format": np.array(_FORMAT),
            "optimizer": np.array(self._name),
            "groups": np.array(len(self.param_groups)),
        }
        for g, group in enumerate(self.param_groups):
            for name, value in group.items():
                if name != "params":
                    out[f"group/{g}/{name}"] = np.array(value)
            slots = self._slots(g)
            out[f"group/{g}/slots"] = np.array(len(slots))
            for k, slot in enumerate(slots):
                out[f"shape/{g}/{k}"] = np.array(slot.shape, dtype=np.int64)
                out[f"is_values/{g}/{k}"] = np.array(isinstance(slot, _ValueBlock))
                for name, value in self.state.get(slot, {}).items():
                    if name.startswith("_"):
                        continue  # work arrays, not state
                    kind = "state" if isinstance(value, np.ndarray) else "number"
                    out[f"{kind}/{g}/{k}/{name}"] = np.array(value)
        return out

    def load_state_dict(self, saved: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` gave (a dict, or ``np.load`` of a saved ``.npz``)."""
        saved = {key: np.asarray(saved[key]) for key in saved}
        name = str(saved.get("optimizer", "?"))
        if name != self._name:
            raise ValueError(f"load_state_dict: the saved state is for {name}, not {self._name}")
        if int(saved.get("format", -1)) != _FORMAT:
            raise ValueError(f"load_state_dict: unknown checkpoint format {saved.get('format')}")
        if int(saved["groups"]) != len(self.param_groups):
            raise ValueError(
                f"load_state_dict: the saved state has {int(saved['groups'])} parameter group(s), "
                f"{self._name} has {len(self.param_groups)}"
            )
        for g in range(len(self.param_groups)):
            slots = self._slots(g)
            count = int(saved[f"group/{g}/slots"])
            if count != len(slots):
                raise ValueError(
                    f"load_state_dict: group {g} of the saved state has {count} parameter "
                    f"slot(s), this optimizer {len(slots)} (Tensors count one each, the Values "
                    "of a group one together)"
                )
            for k, slot in enumerate(slots):
                shape = tuple(int(n) for n in saved[f"shape/{g}/{k}"])
                kind = "Values" if bool(saved[f"is_values/{g}/{k}"]) else "Tensor"
                mine = "Values" if isinstance(slot, _ValueBlock) else "Tensor"
                if shape != slot.shape or kind != mine:
                    raise ValueError(
                        f"load_state_dict: parameter {k} of group {g} is a {mine} of shape "
                        f"{slot.shape}, the saved one a {kind} of shape {shape}"
                    )
        # Everything fits: now change the optimizer.
        for g, group in enumerate(self.param_groups):
            prefix = f"group/{g}/"
            for key, array in saved.items():
                name = key[len(prefix) :]
                if key.startswith(prefix) and name != "slots":
                    group[name] = _restore(array, group.get(name))
            for k, slot in enumerate(self._slots(g)):
                state = {}
                for key, array in saved.items():
                    kind, _, rest = key.partition("/")
                    if kind in ("state", "number") and rest.startswith(f"{g}/{k}/"):
                        name = rest[len(f"{g}/{k}/") :]
                        state[name] = np.array(array) if kind == "state" else array.item()
                if state:
                    self.state[slot] = state
                else:
                    self.state.pop(slot, None)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``state_dict()`` to an ``.npz`` file; an existing file is replaced only once
        the new one is complete."""
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(suffix=".npz", dir=folder)
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, **self.state_dict())
            os.chmod(temporary, _file_mode(path))
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise

    def load(self, path: str | os.PathLike[str]) -> None:
        """Restore a file written by ``save`` (read without pickle)."""
        with np.load(path, allow_pickle=False) as saved:
            self.load_state_dict(saved)

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for g, group in enumerate(self.param_groups):
            lines.append(f"  group {g}: {len(group['params'])} parameter(s)")
            lines.extend(f"    {k}: {v}" for k, v in group.items() if k != "params")
        return "\n".join([*lines, ")"])


def _running_average(average: np.ndarray, beta: float, x: np.ndarray, work: np.ndarray) -> None:
    """average ← β·average + (1 − β)·x, in place, in three passes (``x`` may be ``work``
    itself): the moving averages of every adaptive rule."""
    average *= beta
    average += np.multiply(x, 1 - beta, out=work)


def _check_parameter(p: Any, i: int, name: str) -> None:
    if isinstance(p, Value):
        return
    if not isinstance(p, Tensor):
        raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Value or Tensor")
    if p._parents:
        raise ValueError(f"{name}: parameter {i} is computed from others (not a leaf)")
    if p.dtype.kind != "f":
        raise TypeError(f"{name}: parameter {i} has dtype {p.dtype}; only floats can be trained")


def _check_range(
    optimizer: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    high_open: bool = False,
) -> None:
    """Raise ValueError naming ``name`` unless low <= value <= high (or < high if open)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{optimizer}: {name} must be a number, got {value!r}")
    above = (value >= high if high_open else value > high) if high is not None else False
    if not np.isfinite(value) or (low is not None and value < low) or above:
        low_text = "-inf" if low is None else f"{low:g}"
        high_text = "inf)" if high is None else f"{high:g}" + (")" if high_open else "]")
        raise ValueError(f"{optimizer}: {name} must be in [{low_text}, {high_text}, got {value}")


def _file_mode(path: str) -> int:
    """The permissions a new file at ``path`` should get: the old file's, else the umask's."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _as_float(x: Any, what: str) -> float:
    """A loss or metric (a number, a numpy scalar, a Value or a one-element Tensor) as a float."""
    if isinstance(x, (Value, Tensor)):
        x = x.data
    array = np.asarray(x)
    if array.size != 1 or array.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be a single number, got {type(x).__name__} {array.shape}")
    return float(array.reshape(()))


def _restore(array: np.ndarray, like: Any) -> Any:
    """A saved hyper-parameter back as the Python type it had (tuple, bool, int or float)."""
    if isinstance(like, tuple) or array.ndim == 1:
        return tuple(array.tolist())
    if array.dtype.kind == "U":
        return str(array)
    return array.item()
