"""Image augmentation: the affine resampler of nn.image against scipy.ndimage (every fill mode,
bilinear and nearest) on scikit-learn's 8×8 digits, and Keras 3's random layers (RandomFlip,
RandomRotation, RandomTranslation, RandomZoom): their conventions, seeds, evaluation mode,
factor parsing and errors."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import Tensor
from nn.image import (
    affine_transform,
    flip_images,
    rotation_matrices,
    translation_matrices,
    zoom_matrices,
)
from nn.layers import Conv2D, Dense, Flatten
from nn.layers.augmentation import RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from nn.models import Sequential
from nn.random import set_random_seed

# Keras's fill modes and the scipy.ndimage modes that extend an image the same way
SCIPY_MODES = {
    "reflect": "reflect",  # d c b a | a b c d | d c b a
    "wrap": "grid-wrap",  # a b c d | a b c d | a b c d
    "nearest": "nearest",  # a a a a | a b c d | d d d d
    "constant": "grid-constant",  # k k k k | a b c d | k k k k
}
FILL_VALUE = 5.0  # a value no digit pixel sits next to, so a wrong "constant" shows


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """Twelve of scikit-learn's 8×8 digits (values 0–16) as a float64 batch (12, 8, 8, 1)."""
    datasets = pytest.importorskip("sklearn.datasets")
    return datasets.load_digits().images[:12, :, :, None].astype(np.float64)


def scipy_ndimage():  # type: ignore[no-untyped-def]
    return pytest.importorskip("scipy.ndimage")


def scipy_affine(image: np.ndarray, matrix: np.ndarray, order: int, mode: str) -> np.ndarray:
    """scipy.ndimage.affine_transform of one (H, W) image by our (x, y) inverse map: scipy
    indexes (row, column) = (y, x), so the matrix's two axes are swapped."""
    swap = [1, 0]
    return scipy_ndimage().affine_transform(
        image,
        matrix[:2, :2][np.ix_(swap, swap)],
        offset=matrix[swap, 2],
        order=order,
        mode=SCIPY_MODES[mode],
        cval=FILL_VALUE,
    )


def random_inverse_maps(n: int, rng: np.random.Generator) -> np.ndarray:
    """Generic affine maps (turns, zooms, shears) with shifts that reach well outside 8×8."""
    matrices = np.tile(np.eye(3), (n, 1, 1))
    matrices[:, :2, :2] += rng.normal(0, 0.4, size=(n, 2, 2))
    matrices[:, :2, 2] = rng.uniform(-12, 12, size=(n, 2))
    return matrices


def float64(images: np.ndarray) -> Tensor:
    return Tensor(images, dtype="float64")


# ----- nn.image.affine_transform against scipy.ndimage -----


@pytest.mark.parametrize("mode", list(SCIPY_MODES))
@pytest.mark.parametrize(("interpolation", "order"), [("bilinear", 1), ("nearest", 0)])
def test_affine_transform_matches_scipy_affine_transform(digits, mode, interpolation, order):
    matrices = random_inverse_maps(len(digits), np.random.default_rng(0))
    ours = affine_transform(digits, matrices, interpolation, mode, FILL_VALUE)
    expected = [scipy_affine(image[..., 0], m, order, mode) for image, m in zip(digits, matrices)]
    np.testing.assert_allclose(ours[..., 0], np.stack(expected), atol=1e-10)


def test_affine_transform_by_the_identity_returns_the_images_unchanged(digits):
    for mode in SCIPY_MODES:
        np.testing.assert_array_equal(affine_transform(digits, np.eye(3), fill_mode=mode), digits)


def test_affine_transform_moves_every_channel_alike(digits):
    three_channels = np.concatenate([digits, 2 * digits, -digits], axis=-1)
    matrices = random_inverse_maps(len(digits), np.random.default_rng(1))
    ours = affine_transform(three_channels, matrices)
    single = affine_transform(digits, matrices)[..., 0]
    np.testing.assert_allclose(ours, np.stack([single, 2 * single, -single], axis=-1), atol=1e-12)


@pytest.mark.parametrize("mode", list(SCIPY_MODES))
def test_rotation_matches_scipy_rotate_about_the_centre(digits, mode):
    for angle in (15.0, -40.0, 90.0, 123.4):
        matrices = rotation_matrices(np.full(len(digits), angle), 8, 8)
        ours = affine_transform(digits, matrices, "bilinear", mode, FILL_VALUE)[..., 0]
        expected = [
            scipy_ndimage().rotate(
                image[..., 0], angle, reshape=False, order=1, mode=SCIPY_MODES[mode],
                cval=FILL_VALUE,
            )
            for image in digits
        ]  # fmt: skip
        np.testing.assert_allclose(ours, np.stack(expected), atol=1e-10)


def test_a_positive_angle_turns_the_picture_counter_clockwise():
    image = np.zeros((1, 5, 5, 1))
    image[0, 4, 2] = 1.0  # a dot below the centre ...
    turned = affine_transform(image, rotation_matrices([90.0], 5, 5), fill_mode="constant")
    assert turned[0, 2, 4, 0] == pytest.approx(1.0)  # ... moves to the right of it
    assert turned.sum() == pytest.approx(1.0)


def test_translation_moves_right_and_down_by_whole_pixels_exactly(digits):
    moved = affine_transform(digits, translation_matrices(2.0, 1.0), fill_mode="constant")
    np.testing.assert_array_equal(moved[:, 1:, 2:], digits[:, :-1, :-2])
    assert (moved[:, :1] == 0).all() and (moved[:, :, :2] == 0).all()


def test_translation_by_a_fraction_of_a_pixel_matches_scipy_shift(digits):
    moved = affine_transform(digits, translation_matrices(1.25, -2.5), "bilinear", "reflect")
    expected = [
        scipy_ndimage().shift(image[..., 0], (-2.5, 1.25), order=1, mode="reflect")
        for image in digits
    ]
    np.testing.assert_allclose(moved[..., 0], np.stack(expected), atol=1e-10)


def test_nearest_interpolation_rounds_half_pixels_as_scipy_does(digits):
    moved = affine_transform(digits, translation_matrices(0.5, -1.5), "nearest", "nearest")
    expected = [
        scipy_ndimage().shift(image[..., 0], (-1.5, 0.5), order=0, mode="nearest")
        for image in digits
    ]
    np.testing.assert_array_equal(moved[..., 0], np.stack(expected))


def test_zoom_above_one_shrinks_the_picture_about_its_centre():
    ones = np.ones((1, 8, 8, 1))
    out = affine_transform(ones, zoom_matrices([2.0], [2.0], 8, 8), fill_mode="constant")
    assert out[0, 3:5, 3:5].min() == 1.0  # the middle still shows the picture
    assert out[0, 0, 0, 0] == 0.0 and out[0, 7, 7, 0] == 0.0  # the corners come from outside


def test_matrices_compose_with_the_first_operation_on_the_left():
    turn, move = rotation_matrices([90.0], 5, 5)[0], translation_matrices([1.0], [0.0])[0]
    image = np.zeros((1, 5, 5, 1))
    image[0, 4, 2] = 1.0
    composed = affine_transform(image, turn @ move, fill_mode="constant")
    one_by_one = affine_transform(
        affine_transform(image, turn, fill_mode="constant"), move, fill_mode="constant"
    )
    np.testing.assert_allclose(composed, one_by_one, atol=1e-12)
    assert composed[0, 2, 4, 0] == 0.0 and composed.sum() == pytest.approx(0.0)  # moved off


def test_flip_images_mirrors_only_the_chosen_images_exactly(digits):
    out = flip_images(digits[:3], horizontal=[True, False, True], vertical=[False, False, True])
    np.testing.assert_array_equal(out[0], digits[0, :, ::-1])
    np.testing.assert_array_equal(out[1], digits[1])
    np.testing.assert_array_equal(out[2], digits[2, ::-1, ::-1])


def test_affine_transform_keeps_float64_and_makes_other_inputs_float32(digits):
    assert affine_transform(digits, np.eye(3)).dtype == np.float64
    assert affine_transform(digits.astype(np.uint8), np.eye(3)).dtype == np.float32


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"images": np.zeros((8, 8, 1))}, r"\(N, height, width, channels\), got shape \(8, 8, 1\)"),
        ({"matrices": np.eye(2)}, r"got shape \(2, 2\)"),
        ({"matrices": np.tile(np.eye(3), (3, 1, 1))}, r"one per image \(2, 3, 3\)"),
        ({"fill_mode": "mirror"}, r"fill_mode must be one of .*'reflect'.*got 'mirror'"),
        ({"interpolation": "bicubic"}, r"interpolation must be one of .*got 'bicubic'"),
        ({"matrices": np.full((3, 3), np.nan)}, "NaN"),
    ],
)
def test_affine_transform_errors_name_the_problem(arguments, message):
    call = {"images": np.zeros((2, 8, 8, 1)), "matrices": np.eye(3), **arguments}
    with pytest.raises(ValueError, match=message):
        affine_transform(**call)


# ----- the random layers: exact transforms against scipy -----


@pytest.mark.parametrize("mode", list(SCIPY_MODES))
def test_random_rotation_by_a_fixed_15_degrees_matches_scipy_rotate(digits, mode):
    layer = RandomRotation((15 / 360, 15 / 360), fill_mode=mode, fill_value=FILL_VALUE)
    out = layer(float64(digits)).data[..., 0]
    expected = [
        scipy_ndimage().rotate(
            image[..., 0], 15, reshape=False, order=1, mode=SCIPY_MODES[mode], cval=FILL_VALUE
        )
        for image in digits
    ]
    np.testing.assert_allclose(out, np.stack(expected), atol=1e-10)


def test_random_rotation_with_nearest_interpolation_matches_scipy_order_0(digits):
    layer = RandomRotation((-0.1, -0.1), interpolation="nearest", fill_mode="nearest")
    out = layer(float64(digits)).data[..., 0]
    expected = [
        scipy_ndimage().rotate(image[..., 0], -36, reshape=False, order=0, mode="nearest")
        for image in digits
    ]
    np.testing.assert_allclose(out, np.stack(expected), atol=1e-10)


@pytest.mark.parametrize("mode", list(SCIPY_MODES))
def test_random_translation_by_fixed_fractions_matches_scipy_shift(digits, mode):
    layer = RandomTranslation((0.3, 0.3), (-0.45, -0.45), fill_mode=mode, fill_value=FILL_VALUE)
    out = layer(float64(digits)).data[..., 0]
    shift = (0.3 * 8, -0.45 * 8)  # (down, right) in pixels: 2.4 down, 3.6 left
    expected = [
        scipy_ndimage().shift(
            image[..., 0], shift, order=1, mode=SCIPY_MODES[mode], cval=FILL_VALUE
        )
        for image in digits
    ]
    np.testing.assert_allclose(out, np.stack(expected), atol=1e-10)


@pytest.mark.parametrize("mode", list(SCIPY_MODES))
@pytest.mark.parametrize(("height", "width"), [(0.5, None), (-0.25, 0.4)])
def test_random_zoom_by_fixed_factors_matches_scipy_affine_transform(digits, mode, height, width):
    layer = RandomZoom(
        (height, height),
        None if width is None else (width, width),
        fill_mode=mode,
        fill_value=FILL_VALUE,
    )
    out = layer(float64(digits)).data[..., 0]
    zoom_y = 1 + height
    zoom_x = zoom_y if width is None else 1 + width
    center = 3.5  # (8 − 1) / 2
    matrix = np.array(
        [[zoom_x, 0, center * (1 - zoom_x)], [0, zoom_y, center * (1 - zoom_y)], [0, 0, 1]]
    )
    expected = [scipy_affine(image[..., 0], matrix, 1, mode) for image in digits]
    np.testing.assert_allclose(out, np.stack(expected), atol=1e-10)


def test_random_zoom_with_a_positive_factor_zooms_out_as_keras_does():
    ones = np.ones((1, 8, 8, 1))
    zoomed_out = RandomZoom((0.5, 0.5), fill_mode="constant")(ones).data
    zoomed_in = RandomZoom((-0.5, -0.5), fill_mode="constant")(ones).data
    assert zoomed_out[0, 0, 0, 0] == 0.0  # the picture shrank: its corner shows the outside
    assert (zoomed_in == 1.0).all()  # the picture grew: every pixel shows some of it


# ----- RandomFlip -----


@pytest.mark.parametrize(
    ("mode", "allowed"),
    [
        ("horizontal", [(False, False), (True, False)]),
        ("vertical", [(False, False), (False, True)]),
        ("horizontal_and_vertical", [(False, False), (True, False), (False, True), (True, True)]),
    ],
)
def test_random_flip_only_mirrors_exactly_along_its_mode(digits, mode, allowed):
    out = RandomFlip(mode, seed=0)(float64(digits)).data
    seen = set()
    for image, result in zip(digits, out):
        flips = {(h, v): image[:, ::-1] if h else image for h, v in allowed}
        flips = {key: flipped[::-1] if key[1] else flipped for key, flipped in flips.items()}
        matches = [key for key, flipped in flips.items() if np.array_equal(result, flipped)]
        assert matches, "each image is one of the flips of its mode, exactly"
        seen.add(matches[0])
    assert len(seen) == len(allowed)  # 12 images: every choice of the mode turns up


def test_random_flip_defaults_to_horizontal_and_vertical_like_keras():
    assert RandomFlip().mode == "horizontal_and_vertical"


# ----- training only, seeds, shapes -----


ALL_LAYERS = [
    lambda **kw: RandomFlip(**kw),
    lambda **kw: RandomRotation(0.2, **kw),
    lambda **kw: RandomTranslation(0.2, 0.2, **kw),
    lambda **kw: RandomZoom(0.3, **kw),
]


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_each_layer_is_the_identity_in_evaluation_mode(digits, make):
    layer = make(seed=0)
    layer.eval()
    x = Tensor(digits)
    assert layer(x) is x


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_each_layer_changes_the_images_in_training_mode(digits, make):
    out = make(seed=0)(digits).data
    assert out.shape == digits.shape and out.dtype == np.float32
    assert not np.allclose(out, digits)


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_an_int_seed_reproduces_the_batches_and_each_call_draws_anew(digits, make):
    first, second = make(seed=7), make(seed=7)
    a1, a2 = first(digits).data, first(digits).data
    np.testing.assert_array_equal(a1, second(digits).data)
    np.testing.assert_array_equal(a2, second(digits).data)
    assert not np.array_equal(a1, a2)


def test_without_a_seed_the_layer_draws_from_the_global_generator(digits):
    layer = RandomRotation(0.2)
    set_random_seed(3)
    first = layer(digits).data
    set_random_seed(3)
    np.testing.assert_array_equal(layer(digits).data, first)


def test_each_image_of_a_batch_gets_its_own_draw(digits):
    same = np.repeat(digits[:1], 6, axis=0)
    out = RandomRotation(0.2, seed=0)(same).data
    assert len({out[i].tobytes() for i in range(6)}) == 6


def test_the_output_is_a_constant_no_gradient_flows_into_the_images(digits):
    x = Tensor(digits, requires_grad=True)
    out = RandomRotation(0.2, seed=0)(x)
    assert not out.requires_grad


def test_the_layers_keep_the_shape_and_go_before_conv2d_in_a_sequential(digits):
    set_random_seed(0)
    model = Sequential(
        [
            RandomFlip("horizontal", input_shape=(8, 8, 1)),
            RandomRotation(0.05),
            RandomTranslation(0.1, 0.1),
            RandomZoom(0.1),
            Conv2D(4, 3, activation="relu"),
            Flatten(),
            Dense(10, activation="softmax"),
        ]
    )
    assert RandomZoom(0.1).compute_output_shape((None, 8, 8, 1)) == (None, 8, 8, 1)
    labels = np.arange(len(digits)) % 10
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(digits / 16, labels, epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2
    predictions = model.predict(digits / 16, verbose=0)
    np.testing.assert_array_equal(predictions, model.predict(digits / 16, verbose=0))


def test_a_layer_refuses_images_that_are_not_a_batch_of_channels_last_maps():
    with pytest.raises(ValueError, match=r"RandomZoom 'z': expected a batch .* got shape \(8, 8\)"):
        RandomZoom(0.1, name="z")(np.zeros((8, 8)))


# ----- factors as Keras reads them -----


def test_a_rotation_factor_is_a_fraction_of_a_full_turn():
    assert RandomRotation(0.1).angle_range == pytest.approx((-36.0, 36.0))
    assert RandomRotation(-0.1).angle_range == pytest.approx((-36.0, 36.0))
    assert RandomRotation((0.0, 0.25)).angle_range == pytest.approx((0.0, 90.0))
    assert RandomRotation([0.25, -0.5]).angle_range == pytest.approx((-180.0, 90.0))  # sorted


def test_translation_and_zoom_factors_are_a_number_or_a_range():
    layer = RandomTranslation(0.2, (-0.1, 0.3))
    assert layer.height_range == (-0.2, 0.2) and layer.width_range == (-0.1, 0.3)
    zoom = RandomZoom((0.1, 0.2))
    assert zoom.height_range == (0.1, 0.2) and zoom.width_range is None


def test_drawn_angles_stay_in_the_factor_range():
    layer = RandomRotation((0.05, 0.1), seed=0)
    rng = np.random.default_rng(0)
    matrices = layer.matrices(500, 8, 8, rng)
    angles = np.rad2deg(np.arctan2(matrices[:, 1, 0], matrices[:, 0, 0]))
    assert angles.min() >= 18.0 and angles.max() <= 36.0 and angles.max() - angles.min() > 15


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: RandomRotation(1.5), ValueError, r"factor must be .* in \[-1, 1\]; got 1.5"),
        (lambda: RandomRotation((0.1,)), ValueError, r"got 1 values: \(0.1,\)"),
        (lambda: RandomRotation((0.1, 0.2, 0.3)), ValueError, "got 3 values"),
        (lambda: RandomRotation("0.1"), TypeError, r"got '0.1'"),
        (lambda: RandomRotation(True), TypeError, "got True"),
        (lambda: RandomRotation(float("nan")), ValueError, "got nan"),
        (lambda: RandomTranslation(0.1, (0.2, 2)), ValueError, r"width_factor .* got \(0.2, 2\)"),
        (lambda: RandomZoom(-1.2), ValueError, r"RandomZoom: height_factor .* got -1.2"),
        (lambda: RandomFlip("diagonal"), ValueError, r"mode must be one of .* got 'diagonal'"),
        (lambda: RandomRotation(0.1, fill_mode="mirror"), ValueError, "got 'mirror'"),
        (lambda: RandomZoom(0.1, interpolation="cubic"), ValueError, "got 'cubic'"),
    ],
)
def test_bad_arguments_raise_errors_that_name_the_value(make, error, message):
    with pytest.raises(error, match=message):
        make()
