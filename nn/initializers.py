"""Weight initializers: Keras's classes and names, PyTorch's aliases, and LSUV.

An initializer is called as ``init(shape, dtype=np.float32, rng=None) -> np.ndarray``. The
random numbers come from ``rng`` if given, else from the initializer's own ``seed`` (one
generator made once per initializer, so repeated calls give different but reproducible draws;
Keras 3 instead repeats the same values), else from ``nn.random.global_rng()``, which
``nn.random.set_random_seed`` reseeds.

Fans are read from a bare shape as Keras reads them: a Dense kernel is ``(fan_in, fan_out)``; a
convolution kernel ``(kh, kw, in_channels, filters)`` has fan_in = kh·kw·in_channels and fan_out =
kh·kw·filters; a 1-D shape has fan_in = fan_out = its length. (PyTorch stores weights as
``(out, in)`` and reads ``shape[1]`` as fan_in.)

The Glorot, He and LeCun families are ``VarianceScaling`` with a fixed scale, mode and
distribution, exactly as in Keras; their "normal" forms are truncated at two standard deviations
and widened by 1/0.8796 so that the variance is still scale/n. The PyTorch names
(``xavier_uniform``, ``kaiming_normal``, ...) are aliases of the Keras classes: same variance,
but Keras's truncated normal where PyTorch draws an untruncated one.

``lsuv(model, x_batch)`` is the notes' data-dependent ("dynamic") initialization.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Tensor
from nn.activations import linear
from nn.module import evaluation_mode
from nn.random import SeedLike, global_rng, make_rng

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "Sparse",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "lsuv",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "sparse",
    "truncated_normal",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Shape = int | Sequence[int]

# The standard deviation of a standard normal truncated to [-2, 2]: Keras divides by it so that
# a truncated draw keeps the variance it asks for.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def compute_fans(shape: Shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape as Keras reads it (see the module docstring)."""
    shape = _as_shape(shape, "compute_fans")
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``init(shape, dtype, rng)`` returns a new array of that shape and dtype."""

    def __call__(self, shape: Shape, dtype: Any = np.float32, rng: SeedLike = None) -> np.ndarray:
        shape = _as_shape(shape, type(self).__name__)
        return np.asarray(self._generate(shape, rng), dtype=np.dtype(dtype))

    def _generate(self, shape: tuple[int, ...], rng: Any) -> np.ndarray:
        """The values, in any float dtype (``__call__`` casts them)."""
        raise NotImplementedError(f"{type(self).__name__} must define _generate")

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, so that ``type(init)(**init.get_config())`` rebuilds it."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class Zeros(Initializer):
    """All zeros (fine for biases; for weights every unit would learn the same thing)."""

    def _generate(self, shape: tuple[int, ...], rng: Any) -> np.ndarray:
        return np.zeros(shape)


class Ones(Initializer):
    """All ones (BatchNormalization's gamma)."""

    def _generate(self, shape: tuple[int, ...], rng: Any) -> np.ndarray:
        return np.ones(shape)


class Constant(Initializer):
    """Every entry ``value`` (a number, or an array that broadcasts to the shape)."""

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def _generate(self, shape: tuple[int, ...], rng: Any) -> np.ndarray:
        try:
            return np.full(shape, self.value)
        except ValueError:
            value_shape = np.shape(self.value)
            raise ValueError(
                f"Constant: a value of shape {value_shape} does not broadcast to shape {shape}"
            ) from None

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only), as Keras's ``Identity``."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def _generate(self, shape: tuple[int, ...], rng: Any) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity: needs a 2-D shape, got shape {shape}")
        return self.gain * np.eye(*shape)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """An initializer that draws random numbers: from ``rng``, its own ``seed``, or the global
    generator, in that order of preference."""

    def __init__(self, seed: SeedLike = None) -> None:
        self.seed = seed
        self._rng = None if seed is None else make_rng(seed)

    def __call__(self, shape: Shape, dtype: Any = np.float32, rng: SeedLike = None) -> np.ndarray:
        if np.dtype(dtype).kind != "f":
            raise ValueError(f"{type(self).__name__}: needs a floating dtype, got {dtype!r}")
        return super().__call__(shape, dtype, self._generator(rng))

    def _generator(self, rng: SeedLike) -> np.random.Generator:
        if rng is not None:
            return make_rng(rng)
        return self._rng if self._rng is not None else global_rng()

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Normal draws with mean ``mean`` and standard deviation ``stddev``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: SeedLike = None) -> None:
        self.mean = mean
        self.stddev = _non_negative(type(self).__name__, "stddev", stddev)
        super().__init__(seed)

    def _generate(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.stddev * rng.standard_normal(shape)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal draws redrawn until within two ``stddev`` of ``mean`` (Keras's truncated normal).

    The truncation narrows the spread: the standard deviation of the result is 0.8796·stddev.
    """

    def _generate(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.stddev * _truncated_standard_normal(rng, shape)


class RandomUniform(RandomInitializer):
    """Uniform draws in ``[minval, maxval)``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: SeedLike = None) -> None:
        if not minval <= maxval:
            raise ValueError(
                f"RandomUniform: minval must not exceed maxval, got minval={minval}, "
                f"maxval={maxval}"
            )
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def _generate(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.minval, self.maxval, size=shape)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(RandomInitializer):
    """Draws with variance ``scale / n``, n the fan chosen by ``mode`` (fan_avg: their mean).

    ``truncated_normal``: stddev √(scale/n) / 0.8796, truncated at two stddevs;
    ``untruncated_normal``: stddev √(scale/n); ``uniform``: on [-limit, limit], limit √(3·scale/n).
    ``"normal"`` means ``"truncated_normal"``, as in Keras.
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: SeedLike = None,
    ) -> None:
        name = type(self).__name__
        if not scale > 0:
            raise ValueError(f"{name}: scale must be a positive number, got scale={scale}")
        if mode not in _MODES:
            raise ValueError(f"{name}: mode must be one of {_MODES}, got mode={mode!r}")
        if isinstance(distribution, str) and distribution.lower() == "normal":
            distribution = "truncated_normal"
        if not isinstance(distribution, str) or distribution.lower() not in _DISTRIBUTIONS:
            raise ValueError(
                f"{name}: distribution must be one of {_DISTRIBUTIONS} (or 'normal'), got "
                f"distribution={distribution!r}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution.lower()
        super().__init__(seed)

    def _generate(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, size=shape)
        if self.distribution == "untruncated_normal":
            return math.sqrt(variance) * rng.standard_normal(shape)
        stddev = math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV
        return stddev * _truncated_standard_normal(rng, shape)

    def get_config(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A named member of the VarianceScaling family: only ``seed`` is configurable."""

    SCALE: float = 1.0
    MODE: str = "fan_in"
    DISTRIBUTION: str = "truncated_normal"

    def __init__(self, seed: SeedLike = None) -> None:
        super().__init__(self.SCALE, self.MODE, self.DISTRIBUTION, seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: U(-limit, limit), limit = √(6 / (fan_in + fan_out))."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: variance 2 / (fan_in + fan_out), truncated at two stddevs."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """He (Kaiming) uniform: U(-limit, limit), limit = √(6 / fan_in); for ReLU layers."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    """He (Kaiming) normal: variance 2 / fan_in, truncated at two stddevs; for ReLU layers."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: U(-limit, limit), limit = √(3 / fan_in)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: variance 1 / fan_in, truncated at two stddevs (SELU networks)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"


class Orthogonal(RandomInitializer):
    """``gain`` times a random orthogonal matrix (Saxe et al. 2014), via QR of a normal draw.

    The shape is flattened to (product of all but the last axis, last axis), as Keras does:
    a tall matrix gets orthonormal columns (WᵀW = I), a wide one orthonormal rows (WWᵀ = I).
    """

    def __init__(self, gain: float = 1.0, seed: SeedLike = None) -> None:
        self.gain = gain
        super().__init__(seed)

    def _generate(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal: needs a shape of at least two dimensions, got shape {shape}"
            )
        rows, columns = math.prod(shape[:-1]), shape[-1]
        tall = rng.standard_normal((max(rows, columns), min(rows, columns)))
        q, r = np.linalg.qr(tall)
        q = q * np.sign(np.diag(r))  # makes the result uniform over orthogonal matrices
        if rows < columns:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed}


class Sparse(RandomInitializer):
    """Normal draws N(0, stddev²) with ``ceil(sparsity · rows)`` zeros in every column (2-D).

    PyTorch's ``sparse_`` (Martens 2010). In Keras's ``(in, out)`` layout a column holds one
    unit's incoming weights, so each unit is connected to only part of its inputs.
    """

    def __init__(self, sparsity: float = 0.1, stddev: float = 0.01, seed: SeedLike = None) -> None:
        if not 0 <= sparsity < 1:
            raise ValueError(f"Sparse: sparsity must be in [0, 1), got sparsity={sparsity}")
        self.sparsity = sparsity
        self.stddev = _non_negative("Sparse", "stddev", stddev)
        super().__init__(seed)

    def _generate(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Sparse: needs a 2-D shape, got shape {shape}")
        rows, columns = shape
        values = self.stddev * rng.standard_normal(shape)
        zeros_per_column = math.ceil(self.sparsity * rows)
        # A random permutation of the rows of every column; its first entries are zeroed.
        zero_rows = np.argsort(rng.random(shape), axis=0)[:zeros_per_column]
        values[zero_rows, np.arange(columns)] = 0.0
        return values

    def get_config(self) -> dict[str, Any]:
        return {"sparsity": self.sparsity, "stddev": self.stddev, "seed": self.seed}


# Keras's snake-case names are the classes themselves (``glorot_uniform(seed=1)(shape)``).
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal, sparse = VarianceScaling, Orthogonal, Sparse
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
# PyTorch's names for the same variances (PyTorch's normal forms are untruncated).
xavier_uniform, xavier_normal = GlorotUniform, GlorotNormal
kaiming_uniform, kaiming_normal = HeUniform, HeNormal

_CLASSES: tuple[type[Initializer], ...] = (
    Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
    LecunNormal, Orthogonal, Sparse,
)  # fmt: skip
_NAMES: dict[str, type[Initializer]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    "zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal, "sparse": Sparse,
    "xavier_uniform": GlorotUniform, "xavier_normal": GlorotNormal,
    "kaiming_uniform": HeUniform, "kaiming_normal": HeNormal,
    "zero": Zeros, "one": Ones, "uniform": RandomUniform, "normal": RandomNormal,
}  # fmt: skip


def get(identifier: Any) -> Callable[..., np.ndarray] | None:
    """An initializer from a name (``"he_normal"``, ``"xavier_uniform"``), a class (made with its
    defaults), an instance or any callable (returned as is), a Keras config dict
    (``{"class_name": ..., "config": {...}}``), or None (returned as is)."""
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _class_named(identifier)()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return _class_named(identifier["class_name"]).from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    raise ValueError(
        f"Could not interpret initializer identifier {identifier!r}: expected a name, an "
        "Initializer class or instance, a callable, a config dict or None"
    )


def _class_named(name: str) -> type[Initializer]:
    if name not in _NAMES:
        raise ValueError(f"Unknown initializer {name!r}; known names: {', '.join(sorted(_NAMES))}")
    return _NAMES[name]


def lsuv(
    model: Any, x_batch: Any, tol: float = 0.1, max_iter: int = 10, seed: SeedLike = None
) -> Any:
    """Layer-sequential unit-variance initialization (Mishkin & Matas 2015), in place.

    Every layer of ``model.layers`` with a ``kernel`` gets an orthogonal kernel and a zero bias;
    then, in model order, each such kernel is divided by √Var(output) until the variance of
    that layer's output on ``x_batch`` is within ``tol`` of 1 (at most ``max_iter`` times).

    The output measured is the layer's linear output, before its built-in activation
    (``x @ kernel`` for ``Dense(64, activation="tanh")``), as the paper measures it: with the
    bias at 0 one rescaling is then exact, and a bounded activation (a sigmoid output, whose
    variance never exceeds 1/4) is not driven into saturation. Dropout and batch statistics are
    off while it measures (eval mode); every module's training flag is restored afterwards.
    Returns the model.
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(
            f"lsuv: needs a model that lists its layers in order in .layers (a Sequential), "
            f"got {type(model).__name__}"
        )
    if not tol > 0:
        raise ValueError(f"lsuv: tol must be positive, got tol={tol}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"lsuv: max_iter must be a positive int, got max_iter={max_iter!r}")
    layers = list(layers)
    inputs = x_batch if isinstance(x_batch, Tensor) else Tensor(np.asarray(x_batch))
    with evaluation_mode(model):
        # one pass builds whatever is not built yet (through the model if it builds itself)
        if callable(model):
            model(inputs)
        else:
            _forward(layers, inputs)
        kernel_layers = [index for index, layer in enumerate(layers) if _kernel(layer) is not None]
        if not kernel_layers:
            raise ValueError(f"lsuv: no layer of {type(model).__name__} has a kernel")
        generator = make_rng(seed) if seed is not None else global_rng()
        for index in kernel_layers:
            _orthogonal_start(layers[index], generator)
        start, activations = 0, inputs
        for index in kernel_layers:
            activations = _forward(layers[start:index], activations)  # layers already scaled
            start = index
            _scale_to_unit_variance(layers[index], index, activations, tol, max_iter)
    return model


def _kernel(layer: Any) -> Tensor | None:
    kernel = getattr(layer, "kernel", None)
    return kernel if isinstance(kernel, Tensor) else None


def _forward(layers: Sequence[Any], x: Tensor) -> Tensor:
    for layer in layers:
        x = layer(x)
    return x


def _orthogonal_start(layer: Any, generator: np.random.Generator) -> None:
    """An orthogonal kernel and a zero bias, written into the existing arrays (so anything
    already holding them, an optimizer for one, sees the new values)."""
    kernel = _kernel(layer)
    kernel.data[...] = Orthogonal()(kernel.shape, kernel.dtype, rng=generator)
    bias = getattr(layer, "bias", None)
    if isinstance(bias, Tensor):
        bias.data[...] = 0


def _scale_to_unit_variance(
    layer: Any, index: int, inputs: Tensor, tol: float, max_iter: int
) -> None:
    kernel = _kernel(layer)
    for _ in range(max_iter):
        variance = float(np.var(pre_activation(layer, inputs).data, dtype=np.float64))
        if abs(variance - 1.0) < tol:
            return
        if not (np.isfinite(variance) and variance > 0):
            raise ValueError(
                f"lsuv: the output of layer {index} ({type(layer).__name__}) has variance "
                f"{variance} on this batch, so it cannot be scaled to 1"
            )
        kernel.data /= math.sqrt(variance)


def pre_activation(layer: Any, inputs: Tensor) -> Tensor:
    """The layer's output with its built-in activation (if it has one) switched off."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        return layer(inputs)
    layer.activation = linear
    try:
        return layer(inputs)
    finally:
        layer.activation = activation


def _as_shape(shape: Shape, name: str) -> tuple[int, ...]:
    """A shape as a tuple of non-negative ints (an int n means (n,))."""
    items = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not all(isinstance(size, (int, np.integer)) and size >= 0 for size in items) or any(
        isinstance(size, bool) for size in items
    ):
        raise ValueError(f"{name}: shape must be a sequence of non-negative ints, got {shape!r}")
    return tuple(int(size) for size in items)


def _non_negative(name: str, argument: str, value: float) -> float:
    if not value >= 0:  # `not >=` also rejects nan
        raise ValueError(f"{name}: {argument} must be non-negative, got {argument}={value}")
    return value


def _truncated_standard_normal(
    generator: np.random.Generator, shape: tuple[int, ...]
) -> np.ndarray:
    """Standard normal draws, each one beyond ±2 redrawn until it falls inside (as Keras)."""
    values = generator.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values
