"""Initializers: the study notes' formulas (Keras's definitions), fans, seeds, names, errors,
PyTorch parity, and LSUV.

Statistics are taken on a 300×200 matrix (60,000 draws), so a standard deviation is known to
about 0.3 % (1/√(2n)); the tolerances allow several times that, with fixed seeds.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import nn.random
from autograd import Tensor, no_grad
from nn import initializers
from nn.initializers import compute_fans, get
from nn.layers import Dense
from nn.models import Sequential

SHAPE = (300, 200)  # a Dense kernel (fan_in, fan_out), as Keras stores it
FAN_IN, FAN_OUT = SHAPE
FAN_AVG = (FAN_IN + FAN_OUT) / 2
TRUNCATION = 0.87962566103423978  # the stddev of N(0, 1) truncated to [-2, 2]


def draw(init, shape=SHAPE, seed=0):
    return init(shape, dtype=np.float64, rng=np.random.default_rng(seed))


# name, initializer, the study notes' / Keras's standard deviation, the bound no draw passes
# (a uniform's limit; a truncated normal's 2 · stddev / 0.8796), the bound a large draw reaches
RANDOM_CASES = [
    ("random_normal", initializers.RandomNormal(stddev=0.2), 0.2, None),
    ("random_uniform", initializers.RandomUniform(-0.3, 0.3), 0.3 / math.sqrt(3), 0.3),
    ("truncated_normal", initializers.TruncatedNormal(stddev=0.2), 0.2 * TRUNCATION, 0.4),
    (
        "glorot_uniform",
        initializers.GlorotUniform(),
        math.sqrt(2 / (FAN_IN + FAN_OUT)),
        math.sqrt(6 / (FAN_IN + FAN_OUT)),
    ),
    (
        "glorot_normal",
        initializers.GlorotNormal(),
        math.sqrt(2 / (FAN_IN + FAN_OUT)),
        2 * math.sqrt(2 / (FAN_IN + FAN_OUT)) / TRUNCATION,
    ),
    ("he_uniform", initializers.HeUniform(), math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN)),
    (
        "he_normal",
        initializers.HeNormal(),
        math.sqrt(2 / FAN_IN),
        2 * math.sqrt(2 / FAN_IN) / TRUNCATION,
    ),
    ("lecun_uniform", initializers.LecunUniform(), math.sqrt(1 / FAN_IN), math.sqrt(3 / FAN_IN)),
    (
        "lecun_normal",
        initializers.LecunNormal(),
        math.sqrt(1 / FAN_IN),
        2 * math.sqrt(1 / FAN_IN) / TRUNCATION,
    ),
    (
        "variance_scaling fan_out untruncated",
        initializers.VarianceScaling(3.0, "fan_out", "untruncated_normal"),
        math.sqrt(3.0 / FAN_OUT),
        None,
    ),
    (
        "variance_scaling fan_avg uniform",
        initializers.VarianceScaling(0.5, "fan_avg", "uniform"),
        math.sqrt(0.5 / FAN_AVG),
        math.sqrt(3 * 0.5 / FAN_AVG),
    ),
    (
        "variance_scaling fan_out truncated",
        initializers.VarianceScaling(2.0, "fan_out", "truncated_normal"),
        math.sqrt(2.0 / FAN_OUT),
        2 * math.sqrt(2.0 / FAN_OUT) / TRUNCATION,
    ),
    ("sparse 0", initializers.Sparse(sparsity=0.0, stddev=0.03), 0.03, None),
]
CASE_IDS = [case[0] for case in RANDOM_CASES]
BOUNDED_CASES = [case for case in RANDOM_CASES if case[3] is not None]


# ----- the formulas -----


@pytest.mark.parametrize(("name", "init", "stddev", "bound"), RANDOM_CASES, ids=CASE_IDS)
def test_standard_deviation_is_the_formula(name, init, stddev, bound):
    values = draw(init)
    assert values.std() == pytest.approx(stddev, rel=0.02)
    assert abs(values.mean()) < 5 * stddev / math.sqrt(values.size)


@pytest.mark.parametrize(
    ("name", "init", "stddev", "bound"), BOUNDED_CASES, ids=[case[0] for case in BOUNDED_CASES]
)
def test_draws_stay_within_and_reach_the_bound(name, init, stddev, bound):
    largest = np.abs(draw(init)).max()
    assert largest <= bound
    assert largest > 0.99 * bound


def test_truncation_constant_is_the_stddev_of_a_normal_truncated_at_two():
    density_at_two = math.exp(-2) / math.sqrt(2 * math.pi)
    mass_inside = math.erf(2 / math.sqrt(2))
    assert math.sqrt(1 - 4 * density_at_two / mass_inside) == pytest.approx(TRUNCATION, 1e-12)


def test_random_normal_and_uniform_honour_mean_and_range():
    normal = draw(initializers.RandomNormal(mean=1.5, stddev=0.1))
    uniform = draw(initializers.RandomUniform(minval=2.0, maxval=3.0))
    assert normal.mean() == pytest.approx(1.5, abs=0.002)
    assert uniform.min() >= 2.0
    assert uniform.max() < 3.0
    assert uniform.mean() == pytest.approx(2.5, abs=0.005)


def test_truncated_normal_never_goes_beyond_two_stddevs_of_its_mean():
    values = draw(initializers.TruncatedNormal(mean=1.0, stddev=0.5), shape=(1000, 1000))
    assert values.min() >= 0.0
    assert values.max() <= 2.0
    assert values.mean() == pytest.approx(1.0, abs=0.002)


def test_variance_scaling_normal_means_truncated_normal():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"


def test_glorot_he_and_lecun_are_variance_scaling_as_in_keras():
    expected = {
        initializers.GlorotUniform: (1.0, "fan_avg", "uniform"),
        initializers.GlorotNormal: (1.0, "fan_avg", "truncated_normal"),
        initializers.HeUniform: (2.0, "fan_in", "uniform"),
        initializers.HeNormal: (2.0, "fan_in", "truncated_normal"),
        initializers.LecunUniform: (1.0, "fan_in", "uniform"),
        initializers.LecunNormal: (1.0, "fan_in", "truncated_normal"),
    }
    for cls, (scale, mode, distribution) in expected.items():
        init = cls(seed=4)
        assert isinstance(init, initializers.VarianceScaling)
        assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
        same = initializers.VarianceScaling(scale, mode, distribution, seed=4)
        np.testing.assert_array_equal(init(SHAPE), same(SHAPE))


def test_constant_initializers():
    assert np.array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    assert np.array_equal(initializers.Ones()((4,)), np.ones(4))
    assert np.array_equal(initializers.Constant(0.3)((2, 2)), np.full((2, 2), 0.3, np.float32))
    assert np.array_equal(initializers.Identity(gain=2.0)((2, 3)), 2 * np.eye(2, 3))


def test_constant_value_that_does_not_broadcast_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 2\)"):
        initializers.Constant(np.ones(3))((2, 2))


# ----- fans -----


def test_dense_kernel_fans_are_its_shape():
    assert compute_fans((300, 200)) == (300, 200)


def test_conv_kernel_fans_multiply_by_the_receptive_field():
    kernel = (3, 3, 16, 32)  # (kh, kw, in_channels, filters)
    assert compute_fans(kernel) == (3 * 3 * 16, 3 * 3 * 32)


def test_vector_and_scalar_fans():
    assert compute_fans((7,)) == (7, 7)
    assert compute_fans(()) == (1, 1)


def test_conv_kernel_he_normal_std_and_glorot_uniform_limit():
    kernel = (3, 3, 16, 32)
    fan_in, fan_out = 3 * 3 * 16, 3 * 3 * 32
    he = draw(initializers.HeNormal(), kernel, seed=1)
    glorot = draw(initializers.GlorotUniform(), kernel, seed=2)
    assert he.shape == kernel
    assert he.std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.05)
    limit = math.sqrt(6 / (fan_in + fan_out))
    assert limit * 0.99 < np.abs(glorot).max() <= limit


# ----- orthogonal and sparse -----


def test_orthogonal_tall_matrix_has_orthonormal_columns():
    weights = draw(initializers.Orthogonal(), (300, 200))
    np.testing.assert_allclose(weights.T @ weights, np.eye(200), atol=1e-10)


def test_orthogonal_wide_matrix_has_orthonormal_rows():
    weights = draw(initializers.Orthogonal(), (200, 300))
    np.testing.assert_allclose(weights @ weights.T, np.eye(200), atol=1e-10)


def test_orthogonal_gain_scales_every_singular_value():
    weights = draw(initializers.Orthogonal(gain=2.5), (50, 50))
    np.testing.assert_allclose(np.linalg.svd(weights, compute_uv=False), 2.5, rtol=1e-10)
    np.testing.assert_allclose(weights.T @ weights, 2.5**2 * np.eye(50), atol=1e-10)


def test_orthogonal_conv_kernel_is_orthogonal_as_a_matrix_of_its_last_axis():
    kernel = draw(initializers.Orthogonal(), (3, 3, 16, 32))
    matrix = kernel.reshape(3 * 3 * 16, 32)
    np.testing.assert_allclose(matrix.T @ matrix, np.eye(32), atol=1e-10)


def test_orthogonal_on_a_vector_is_an_error_naming_the_shape():
    with pytest.raises(ValueError, match=r"\(5,\)"):
        initializers.Orthogonal()((5,))


def test_sparse_zeroes_the_same_fraction_of_every_column():
    weights = draw(initializers.Sparse(sparsity=0.3, stddev=0.01))
    zeros_per_column = (weights == 0).sum(axis=0)
    assert np.all(zeros_per_column == math.ceil(0.3 * 300))
    assert weights[weights != 0].std() == pytest.approx(0.01, rel=0.03)


def test_sparse_rounds_the_zero_count_up():
    weights = draw(initializers.Sparse(sparsity=0.1), (15, 4))  # 0.1 · 15 = 1.5 zeros
    assert np.all((weights == 0).sum(axis=0) == 2)


def test_sparse_needs_a_matrix():
    with pytest.raises(ValueError, match=r"\(3, 3, 4\)"):
        initializers.Sparse(0.5)((3, 3, 4))


# ----- seeds, generators and dtypes -----


def test_same_seed_gives_the_same_sequence_of_draws():
    first, second = initializers.GlorotUniform(seed=3), initializers.GlorotUniform(seed=3)
    a1, a2 = first(SHAPE), first(SHAPE)
    b1, b2 = second(SHAPE), second(SHAPE)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)


def test_different_seeds_give_different_draws():
    assert not np.array_equal(
        initializers.HeNormal(seed=1)(SHAPE), initializers.HeNormal(seed=2)(SHAPE)
    )


def test_rng_argument_overrides_the_seed():
    seeded = initializers.RandomNormal(seed=1)
    unseeded = initializers.RandomNormal()
    np.testing.assert_array_equal(
        seeded(SHAPE, rng=np.random.default_rng(9)), unseeded(SHAPE, rng=np.random.default_rng(9))
    )


def test_unseeded_initializers_follow_the_global_seed():
    nn.random.set_random_seed(123)
    first = initializers.HeUniform()(SHAPE)
    nn.random.set_random_seed(123)
    again = initializers.HeUniform()(SHAPE)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(again, initializers.HeUniform()(SHAPE))


def test_a_seeded_initializer_ignores_the_global_seed():
    nn.random.set_random_seed(1)
    first = initializers.Orthogonal(seed=5)((4, 4))
    nn.random.set_random_seed(2)
    np.testing.assert_array_equal(first, initializers.Orthogonal(seed=5)((4, 4)))


def test_default_dtype_is_float32_and_float64_draws_the_same_numbers():
    single = initializers.GlorotNormal(seed=0)((30, 20))
    double = initializers.GlorotNormal(seed=0)((30, 20), dtype="float64")
    assert single.dtype == np.float32
    assert double.dtype == np.float64
    np.testing.assert_array_equal(single, double.astype(np.float32))


def test_an_int_shape_means_a_vector():
    assert initializers.RandomUniform(seed=0)(5).shape == (5,)


def test_random_initializers_need_a_floating_dtype():
    with pytest.raises(ValueError, match="int32"):
        initializers.HeNormal()((3, 3), dtype=np.int32)


def test_a_negative_size_in_the_shape_is_an_error():
    with pytest.raises(ValueError, match=r"\(3, -1\)"):
        initializers.Zeros()((3, -1))


# ----- bad arguments -----


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: initializers.RandomNormal(stddev=-0.1), "stddev=-0.1"),
        (lambda: initializers.TruncatedNormal(stddev=-2), "stddev=-2"),
        (lambda: initializers.RandomUniform(minval=1.0, maxval=0.0), "minval=1.0"),
        (lambda: initializers.VarianceScaling(scale=0.0), "scale=0.0"),
        (lambda: initializers.VarianceScaling(mode="fan_sum"), "fan_sum"),
        (lambda: initializers.VarianceScaling(distribution="cauchy"), "cauchy"),
        (lambda: initializers.Sparse(sparsity=1.0), "sparsity=1.0"),
        (lambda: initializers.Sparse(sparsity=-0.2), "sparsity=-0.2"),
        (lambda: initializers.Sparse(0.1, stddev=-1.0), "stddev=-1.0"),
    ],
)
def test_bad_arguments_are_errors_naming_the_value(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_a_bad_seed_is_a_type_error():
    with pytest.raises(TypeError, match="'three'"):
        initializers.HeNormal(seed="three")


# ----- names, get and configs -----

KERAS_NAMES = {
    "zeros": initializers.Zeros,
    "ones": initializers.Ones,
    "constant": initializers.Constant,
    "random_normal": initializers.RandomNormal,
    "random_uniform": initializers.RandomUniform,
    "truncated_normal": initializers.TruncatedNormal,
    "variance_scaling": initializers.VarianceScaling,
    "glorot_uniform": initializers.GlorotUniform,
    "glorot_normal": initializers.GlorotNormal,
    "he_uniform": initializers.HeUniform,
    "he_normal": initializers.HeNormal,
    "lecun_uniform": initializers.LecunUniform,
    "lecun_normal": initializers.LecunNormal,
    "orthogonal": initializers.Orthogonal,
    "sparse": initializers.Sparse,
    "identity": initializers.Identity,
    "xavier_uniform": initializers.GlorotUniform,
    "xavier_normal": initializers.GlorotNormal,
    "kaiming_uniform": initializers.HeUniform,
    "kaiming_normal": initializers.HeNormal,
}
STRING_ALIASES = {  # Keras's get() also knows these, which are not attributes of the module
    "uniform": initializers.RandomUniform,
    "normal": initializers.RandomNormal,
    "zero": initializers.Zeros,
    "one": initializers.Ones,
}


@pytest.mark.parametrize(("name", "cls"), KERAS_NAMES.items())
def test_get_resolves_keras_and_pytorch_names(name, cls):
    assert type(get(name)) is cls
    assert type(get(cls.__name__)) is cls
    assert getattr(initializers, name) is cls


@pytest.mark.parametrize(("name", "cls"), STRING_ALIASES.items())
def test_get_resolves_keras_string_aliases(name, cls):
    assert type(get(name)) is cls


def test_get_returns_instances_callables_and_none_as_they_are():
    init = initializers.HeNormal(seed=1)

    def custom(shape, dtype=np.float32, rng=None):
        return np.full(shape, 7.0, dtype)

    assert get(init) is init
    assert get(custom) is custom
    assert get(None) is None
    assert isinstance(get(initializers.Orthogonal), initializers.Orthogonal)


def test_get_of_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"'glorot_unifrom'.*glorot_uniform.*kaiming_normal"):
        get("glorot_unifrom")


def test_get_of_something_else_is_an_error():
    with pytest.raises(ValueError, match="42"):
        get(42)


@pytest.mark.parametrize(
    "init",
    [
        initializers.Constant(0.5),
        initializers.RandomNormal(0.1, 0.2, seed=3),
        initializers.RandomUniform(-1.0, 2.0, seed=3),
        initializers.TruncatedNormal(0.0, 1.0, seed=3),
        initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=3),
        initializers.HeNormal(seed=3),
        initializers.Orthogonal(gain=2.0, seed=3),
        initializers.Sparse(0.2, 0.05, seed=3),
        initializers.Identity(3.0),
    ],
    ids=lambda init: type(init).__name__,
)
def test_get_config_rebuilds_the_same_initializer(init):
    config = init.get_config()
    rebuilt = get({"class_name": type(init).__name__, "config": config})
    assert type(rebuilt) is type(init)
    assert rebuilt.get_config() == config
    shape = (4, 4)
    np.testing.assert_array_equal(rebuilt(shape), type(init)(**config)(shape))


def test_variance_scaling_config_names_its_arguments():
    config = initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=1).get_config()
    assert config == {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 1}


# ----- PyTorch parity -----


def test_fans_agree_with_torch_for_the_same_layer_in_its_layout():
    torch = pytest.importorskip("torch")
    fans = torch.nn.init._calculate_fan_in_and_fan_out
    # torch stores a Dense kernel (in, out) as (out, in) and a conv kernel as (out, in, kh, kw)
    assert fans(torch.empty(200, 300)) == compute_fans((300, 200))
    assert fans(torch.empty(32, 16, 3, 3)) == compute_fans((3, 3, 16, 32))


def test_xavier_uniform_bound_agrees_with_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.init.xavier_uniform_(torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64))
    ours = draw(initializers.get("xavier_uniform"))
    limit = math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert theirs.abs().max().item() == pytest.approx(limit, rel=0.01)
    assert np.abs(ours).max() == pytest.approx(limit, rel=0.01)
    assert ours.std() == pytest.approx(theirs.std().item(), rel=0.02)


def test_xavier_normal_std_agrees_with_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.init.xavier_normal_(torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64))
    ours = draw(initializers.get("xavier_normal"))
    assert ours.std() == pytest.approx(theirs.std().item(), rel=0.02)


@pytest.mark.parametrize("name", ["kaiming_normal", "kaiming_uniform"])
def test_kaiming_std_agrees_with_torch_for_relu(name):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    fill = getattr(torch.nn.init, name + "_")
    theirs = fill(torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64), nonlinearity="relu")
    ours = draw(initializers.get(name))
    assert ours.std() == pytest.approx(math.sqrt(2 / FAN_IN), rel=0.02)
    assert ours.std() == pytest.approx(theirs.std().item(), rel=0.02)


def test_kaiming_uniform_bound_agrees_with_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.init.kaiming_uniform_(
        torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64), nonlinearity="relu"
    )
    limit = math.sqrt(6 / FAN_IN)
    assert theirs.abs().max().item() == pytest.approx(limit, rel=0.01)
    assert np.abs(draw(initializers.HeUniform())).max() == pytest.approx(limit, rel=0.01)


def test_truncated_normal_std_agrees_with_torch_trunc_normal():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.init.trunc_normal_(
        torch.empty(*SHAPE, dtype=torch.float64), std=1.0, a=-2.0, b=2.0
    )
    ours = draw(initializers.TruncatedNormal(stddev=1.0))
    assert ours.std() == pytest.approx(theirs.std().item(), rel=0.02)
    assert ours.std() == pytest.approx(TRUNCATION, rel=0.02)


def test_orthogonal_agrees_with_torch_in_each_layout():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.init.orthogonal_(torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64), gain=2)
    theirs = theirs.numpy()
    ours = draw(initializers.Orthogonal(gain=2.0))
    # the same layer: torch's (out, in) weight has orthonormal rows, our (in, out) kernel
    # orthonormal columns, each times the gain
    np.testing.assert_allclose(theirs @ theirs.T, 4 * np.eye(FAN_OUT), atol=1e-10)
    np.testing.assert_allclose(ours.T @ ours, 4 * np.eye(FAN_OUT), atol=1e-10)


def test_sparse_zero_count_per_column_agrees_with_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.init.sparse_(torch.empty(*SHAPE, dtype=torch.float64), sparsity=0.25)
    ours = draw(initializers.Sparse(sparsity=0.25))
    np.testing.assert_array_equal((ours == 0).sum(axis=0), (theirs == 0).sum(dim=0).numpy())
    assert ours[ours != 0].std() == pytest.approx(theirs[theirs != 0].std().item(), rel=0.03)


# ----- in a layer -----


def test_dense_draws_its_kernel_from_the_given_initializer():
    layer = Dense(5, kernel_initializer=initializers.HeNormal(seed=0), input_shape=(7,))
    np.testing.assert_array_equal(layer.kernel.data, initializers.HeNormal(seed=0)((7, 5)))


def test_dense_resolves_a_pytorch_name_for_its_kernel_initializer():
    layer = Dense(5, kernel_initializer="kaiming_uniform", input_shape=(300,))
    assert np.abs(layer.kernel.data).max() <= math.sqrt(6 / 300)


# ----- LSUV -----


def layer_output_variances(model, x):
    """The variance of every layer's output before its built-in activation, running ``x``
    through the model layer by layer (the activation's output feeds the next layer)."""
    variances = []
    with no_grad():
        h = Tensor(x)
        for layer in model.layers:
            activation = getattr(layer, "activation", None)
            if activation is not None:
                layer.activation = nn.activations.linear
            linear_part = layer(h)
            if activation is not None:
                layer.activation = activation
            variances.append(float(linear_part.data.var(dtype=np.float64)))
            h = layer(h)
    return variances


def deep_dense_model(activation="relu", depth=8):
    hidden = [Dense(32, activation=activation) for _ in range(depth)]
    return Sequential([Dense(32, activation=activation, input_shape=(20,)), *hidden, Dense(4)])


BATCH = 10.0 * np.random.default_rng(0).standard_normal((256, 20)).astype(np.float32)


@pytest.mark.parametrize(
    "activation", ["relu", "linear", "elu", "selu", "gelu", "softplus", "tanh", "sigmoid"]
)
def test_lsuv_gives_every_dense_layer_unit_variance_on_its_batch(activation):
    model = deep_dense_model(activation)
    before = layer_output_variances(model, BATCH)
    assert max(abs(v - 1) for v in before) > 0.5  # glorot_uniform on this batch is far off
    assert initializers.lsuv(model, BATCH, seed=0) is model
    after = layer_output_variances(model, BATCH)
    assert all(abs(v - 1) < 0.1 for v in after), after


def test_lsuv_scales_conv_kernels_too():
    from nn.layers import Conv2D, Flatten

    model = Sequential(
        [Conv2D(8, 3, activation="relu"), Conv2D(16, 3, activation="relu"), Flatten(), Dense(10)]
    )
    images = 3 * np.random.default_rng(0).standard_normal((32, 12, 12, 3)).astype(np.float32)
    initializers.lsuv(model, images, seed=0)
    variances = layer_output_variances(model, images)
    kernel_layers = [v for v, layer in zip(variances, model.layers) if hasattr(layer, "kernel")]
    assert len(kernel_layers) == 3 and all(abs(v - 1) < 0.1 for v in kernel_layers), variances
    kernel = model.layers[1].kernel.data.reshape(3 * 3 * 8, 16).astype(np.float64)
    gram = kernel.T @ kernel
    np.testing.assert_allclose(gram / gram[0, 0], np.eye(16), atol=1e-5)


def test_lsuv_kernels_are_scaled_orthogonal_matrices_and_biases_zero():
    model = Sequential(
        [Dense(32, "relu", bias_initializer="ones"), Dense(16, bias_initializer="ones")]
    )
    initializers.lsuv(model, BATCH, seed=0)
    for layer in model.layers:
        kernel = layer.kernel.data.astype(np.float64)
        rows, columns = kernel.shape
        # the shorter side orthogonal (columns of a tall kernel, rows of a wide one), all of one
        # length (the scale lsuv chose)
        gram = kernel.T @ kernel if rows >= columns else kernel @ kernel.T
        np.testing.assert_allclose(gram / gram[0, 0], np.eye(gram.shape[0]), atol=1e-5)
        assert not layer.bias.data.any()


def test_lsuv_writes_into_the_existing_weight_arrays():
    model = deep_dense_model(depth=1)
    arrays = [layer.kernel.data for layer in model.layers]
    initializers.lsuv(model, BATCH, seed=0)
    assert all(layer.kernel.data is array for layer, array in zip(model.layers, arrays))


def test_lsuv_depends_on_the_seed_and_batch_not_the_starting_weights():
    nn.random.set_random_seed(1)
    first = initializers.lsuv(deep_dense_model(depth=2), BATCH, seed=7)
    nn.random.set_random_seed(2)
    second = initializers.lsuv(deep_dense_model(depth=2), BATCH, seed=7)
    for a, b in zip(first.layers, second.layers):
        np.testing.assert_array_equal(a.kernel.data, b.kernel.data)


def test_lsuv_builds_a_model_that_has_not_seen_data():
    model = Sequential([Dense(16, activation="relu"), Dense(3)])
    initializers.lsuv(model, BATCH, seed=0)
    assert model.built
    assert all(layer.built for layer in model.layers)
    assert all(abs(v - 1) < 0.1 for v in layer_output_variances(model, BATCH))


def test_lsuv_restores_each_modules_training_mode():
    model = deep_dense_model(depth=1)
    model.train()
    model.layers[1].training = False
    initializers.lsuv(model, BATCH, seed=0)
    assert [layer.training for layer in model.layers] == [True, False, True]
    assert model.training


def test_lsuv_needs_a_model_with_layers():
    with pytest.raises(TypeError, match="Dense"):
        initializers.lsuv(Dense(3), BATCH)


def test_lsuv_needs_a_layer_with_a_kernel():
    class Empty:
        layers = ()

    with pytest.raises(ValueError, match="no layer of Empty has a kernel"):
        initializers.lsuv(Empty(), BATCH)


def test_lsuv_on_a_batch_of_zeros_is_an_error_naming_the_layer():
    with pytest.raises(ValueError, match=r"layer 0 \(Dense\) has variance 0"):
        initializers.lsuv(deep_dense_model(depth=1), np.zeros((8, 20)), seed=0)


@pytest.mark.parametrize(("argument", "value"), [("tol", 0.0), ("max_iter", 0)])
def test_lsuv_bad_arguments_are_errors_naming_the_value(argument, value):
    with pytest.raises(ValueError, match=f"{argument}={value}"):
        initializers.lsuv(deep_dense_model(depth=1), BATCH, **{argument: value})
