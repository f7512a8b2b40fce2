"""nn.data: the PyDataset protocol, ImageDataGenerator and its flow (Keras's Sequence protocol,
labels staying with their images, reshuffling, seeds, Keras's range conventions, the guide's E14
line, fit on a flow), and oversample / undersample for class imbalance (the breast-cancer data
with few malignant samples: oversampling raises their recall)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn.data import (
    ImageDataGenerator,
    NumpyArrayIterator,
    PyDataset,
    Sequence,
    oversample,
    undersample,
)
from nn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from nn.models import Sequential
from nn.random import set_random_seed


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """100 of scikit-learn's 8×8 digits as (100, 8, 8, 1) in [0, 1], and their labels."""
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    return data.images[:100, :, :, None] / 16.0, data.target[:100]


def ramps(n: int = 4, size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Images whose value is the column (x) in channel 0 and the row (y) in channel 1: a shift
    shows in them as a change of value."""
    rows, columns = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    image = np.stack([columns, rows], axis=-1).astype(np.float64)
    return np.repeat(image[None], n, axis=0), image


def epoch_labels(flow: NumpyArrayIterator) -> np.ndarray:
    return np.concatenate([flow[i][1] for i in range(len(flow))])


# ----- the guide's E14 and fit on a flow -----


def test_e14_image_data_generator_as_printed(digits):
    x, y = digits
    datagen = ImageDataGenerator(rotation_range=20, horizontal_flip=True)
    datagen.fit(x)  # Keras's featurewise statistics; a check of x without them
    x_batch, y_batch = next(iter(datagen.flow(x, y, batch_size=32)))
    assert x_batch.shape == (32, 8, 8, 1) and x_batch.dtype == np.float32
    assert y_batch.shape == (32,)


def test_model_fit_trains_on_a_flow_of_augmented_batches(digits):
    x, y = digits
    set_random_seed(0)
    datagen = ImageDataGenerator(rotation_range=20, horizontal_flip=True)
    model = Sequential(
        [
            Conv2D(8, (3, 3), activation="relu", input_shape=(8, 8, 1)),
            MaxPooling2D((2, 2)),
            Flatten(),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(datagen.flow(x, y, batch_size=32), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert np.isfinite(history.history["loss"][0])


# ----- flow: Keras's Sequence protocol -----


@pytest.mark.parametrize(("n", "batch_size", "batches"), [(100, 32, 4), (96, 32, 3), (5, 10, 1)])
def test_flow_has_ceil_n_over_batch_size_batches_the_last_smaller(digits, n, batch_size, batches):
    flow = ImageDataGenerator().flow(digits[0][:n], digits[1][:n], batch_size=batch_size)
    assert len(flow) == batches == math.ceil(n / batch_size)
    sizes = [len(flow[i][0]) for i in range(len(flow))]
    assert sizes[:-1] == [batch_size] * (batches - 1) and sum(sizes) == n


def test_an_epoch_shows_every_sample_once_in_a_new_order_after_on_epoch_end(digits):
    x, _ = digits
    flow = ImageDataGenerator().flow(x, np.arange(100), batch_size=32, seed=0)
    first = epoch_labels(flow)
    flow.on_epoch_end()
    second = epoch_labels(flow)
    assert sorted(first) == sorted(second) == list(range(100))
    assert not np.array_equal(first, second) and not np.array_equal(first, np.arange(100))


def test_without_shuffle_the_batches_keep_the_order_of_x(digits):
    x, _ = digits
    flow = ImageDataGenerator().flow(x, np.arange(100), batch_size=32, shuffle=False)
    flow.on_epoch_end()
    np.testing.assert_array_equal(epoch_labels(flow), np.arange(100))


def test_labels_stay_with_their_images_through_shuffling_and_flips(digits):
    x, _ = digits
    datagen = ImageDataGenerator(horizontal_flip=True, vertical_flip=True)
    flow = datagen.flow(x, np.arange(100), batch_size=16, seed=1)
    flipped = 0
    for i in range(len(flow)):
        x_batch, indices = flow[i]
        for image, index in zip(x_batch, indices):
            original = x[index]
            candidates = [original, original[:, ::-1], original[::-1], original[::-1, ::-1]]
            assert any(np.allclose(image, c) for c in candidates)
            flipped += not np.allclose(image, original)
    assert flipped > 50  # three flips in four leave an image changed


def test_labels_stay_with_their_images_under_rotation(digits):
    x, _ = digits
    flow = ImageDataGenerator(rotation_range=10).flow(x, np.arange(100), batch_size=25, seed=2)
    x_batch, indices = flow[0]
    # the nearest original of each slightly turned image is the one its label names
    distances = ((x_batch[:, None] - x[None]) ** 2).sum(axis=(2, 3, 4))
    np.testing.assert_array_equal(distances.argmin(axis=1), indices)


def test_a_seed_reproduces_the_batches_and_another_seed_changes_them(digits):
    x, y = digits
    datagen = ImageDataGenerator(rotation_range=20, width_shift_range=0.1, zoom_range=0.1)
    a, b = datagen.flow(x, y, seed=5), datagen.flow(x, y, seed=5)
    for i in (0, 1):
        np.testing.assert_array_equal(a[i][0], b[i][0])
        np.testing.assert_array_equal(a[i][1], b[i][1])
    assert not np.array_equal(datagen.flow(x, y, seed=6)[0][0], a[0][0])


def test_asking_twice_for_a_batch_draws_two_augmentations_of_the_same_images(digits):
    x, y = digits
    flow = ImageDataGenerator(rotation_range=20).flow(x, y, seed=0)
    (x1, y1), (x2, y2) = flow[0], flow[0]
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(x1, x2)


def test_without_y_a_batch_is_the_images_and_sample_weights_come_third(digits):
    x, y = digits
    datagen = ImageDataGenerator()
    assert datagen.flow(x, batch_size=10)[0].shape == (10, 8, 8, 1)
    weights = np.arange(100.0)
    _, y_batch, w_batch = datagen.flow(x, y, sample_weight=weights, shuffle=False)[1]
    np.testing.assert_array_equal(w_batch, weights[32:64])
    np.testing.assert_array_equal(y_batch, y[32:64])


def test_iterating_goes_through_one_epoch_and_next_goes_on_forever(digits):
    x, _ = digits
    flow = ImageDataGenerator().flow(x, np.arange(100), batch_size=32, seed=0)
    assert len(list(flow)) == 4
    np.testing.assert_array_equal(next(iter(flow))[1], flow[0][1])
    seen = [next(flow)[1] for _ in range(9)]  # more than two epochs
    assert sorted(np.concatenate(seen[:4])) == list(range(100))
    assert sorted(np.concatenate(seen[4:8])) == list(range(100))
    assert len(flow.next()[1]) == 32


def test_a_batch_index_out_of_range_is_an_index_error(digits):
    flow = ImageDataGenerator().flow(*digits, batch_size=32)
    assert flow[-1][1].shape == (4,)
    with pytest.raises(IndexError, match="batch 4 asked for, but the flow has 4 batches"):
        flow[4]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"x": np.zeros((10, 8, 8))}, ValueError, r"got shape \(10, 8, 8\); add an axis"),
        ({"y": np.zeros(9)}, ValueError, "x has 10 images but y has 9 entries"),
        ({"sample_weight": np.ones(3)}, ValueError, "sample_weight has 3 entries"),
        ({"batch_size": 0}, ValueError, "batch_size must be positive, got 0"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an int, got 2.5"),
        ({"x": np.zeros((0, 8, 8, 1)), "y": np.zeros(0)}, ValueError, "x is empty"),
    ],
)
def test_flow_errors_name_the_problem(arguments, error, message):
    call = {"x": np.zeros((10, 8, 8, 1)), "y": np.zeros(10), **arguments}
    with pytest.raises(error, match=message):
        ImageDataGenerator().flow(**call)


# ----- ImageDataGenerator's ranges, as Keras reads them -----


def test_width_shift_moves_sideways_and_height_shift_up_and_down():
    images, image = ramps()
    sideways = ImageDataGenerator(width_shift_range=0.25).flow(images, seed=0)[0]
    np.testing.assert_allclose(sideways[..., 1], np.broadcast_to(image[..., 1], (4, 8, 8)))
    assert not np.allclose(sideways[..., 0], image[..., 0])
    vertical = ImageDataGenerator(height_shift_range=0.25).flow(images, seed=0)[0]
    np.testing.assert_allclose(vertical[..., 0], np.broadcast_to(image[..., 0], (4, 8, 8)))
    assert not np.allclose(vertical[..., 1], image[..., 1])


def drawn_shifts(width_shift_range: object, n: int = 400) -> np.ndarray:
    """The horizontal shifts (pixels right) drawn for n images 8 wide, read off the ramp."""
    images, image = ramps(n)
    out = ImageDataGenerator(width_shift_range=width_shift_range).flow(images, seed=0)
    out = np.concatenate([out[i] for i in range(len(out))])
    return image[4, 4, 0] - out[:, 4, 4, 0]  # column 4 shows column 4 − shift


def test_a_shift_range_below_one_is_a_fraction_of_the_width():
    shifts = drawn_shifts(0.25)  # up to 2 pixels of 8
    assert shifts.min() >= -2 - 1e-5 and shifts.max() <= 2 + 1e-5
    assert shifts.max() - shifts.min() > 3.5 and len(np.unique(shifts.round(4))) > 100


def test_a_float_shift_range_from_one_up_is_pixels():
    shifts = drawn_shifts(1.5)
    assert shifts.min() >= -1.5 - 1e-5 and shifts.max() <= 1.5 + 1e-5
    assert len(np.unique(shifts.round(4))) > 100


def test_an_int_shift_range_draws_whole_pixels_below_it():
    shifts = drawn_shifts(3)
    assert set(np.unique(shifts.round(4))) == {-2.0, -1.0, 0.0, 1.0, 2.0}


def test_a_list_shift_range_draws_its_values_with_a_random_sign():
    shifts = drawn_shifts([1, 3])
    assert set(np.unique(shifts.round(4))) == {-3.0, -1.0, 1.0, 3.0}


def test_rotation_range_is_in_degrees_and_parameters_follow_keras_names():
    datagen = ImageDataGenerator(rotation_range=20, zoom_range=0.2, horizontal_flip=True)
    drawn = [datagen.get_random_transform((8, 8, 1), seed=s) for s in range(300)]
    thetas = np.array([d["theta"] for d in drawn])
    zooms = np.array([[d["zx"], d["zy"]] for d in drawn])
    assert -20 <= thetas.min() < -15 and 15 < thetas.max() <= 20
    assert 0.8 <= zooms.min() < 0.82 and 1.18 < zooms.max() <= 1.2
    assert not np.allclose(zooms[:, 0], zooms[:, 1])  # width and height zooms drawn apart
    assert {d["flip_horizontal"] for d in drawn} == {True, False}
    assert {d["flip_vertical"] for d in drawn} == {False}


def test_apply_transform_turns_like_scipy_rotate_with_keras_default_nearest_fill(digits):
    ndimage = pytest.importorskip("scipy.ndimage")
    image = digits[0][3]
    out = ImageDataGenerator().apply_transform(image, {"theta": 30.0})
    expected = ndimage.rotate(image[..., 0], 30.0, reshape=False, order=1, mode="nearest")
    np.testing.assert_allclose(out[..., 0], expected, atol=1e-5)


def test_apply_transform_turns_then_shifts_then_zooms_then_flips(digits):
    """On a 9×9 image with "wrap" each step lands on whole pixels (a quarter turn, whole-pixel
    shifts, a zoom of 2 about the centre pixel 4), so numpy indexing gives the exact answer."""
    image = np.zeros((9, 9))
    image[:8, :8] = digits[0][5, ..., 0]
    turned = np.rot90(image)  # a quarter turn counter-clockwise
    shifted = np.roll(turned, (-2, 1), axis=(0, 1))  # 1 right, 2 up
    pixels = (2 * np.arange(9) - 4) % 9  # zoomed out 2×: pixel x shows pixel 2x − 4
    zoomed = shifted[np.ix_(pixels, pixels)]
    expected = zoomed[:, ::-1]
    parameters = {"theta": 90.0, "tx": 1.0, "ty": -2.0, "zx": 2.0, "zy": 2.0}
    datagen = ImageDataGenerator(fill_mode="wrap")
    out = datagen.apply_transform(image[..., None], {**parameters, "flip_horizontal": True})
    np.testing.assert_allclose(out[..., 0], expected, atol=1e-5)


def test_zoom_range_is_a_number_or_a_pair():
    assert ImageDataGenerator(zoom_range=0.2).zoom_range == pytest.approx((0.8, 1.2))
    assert ImageDataGenerator(zoom_range=[0.5, 1.5]).zoom_range == (0.5, 1.5)
    assert ImageDataGenerator().zoom_range == (1.0, 1.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"zoom_range": 1.0}, r"zoom_range must be .* got 1.0"),
        ({"zoom_range": (1.2, 0.8)}, r"got \(1.2, 0.8\)"),
        ({"zoom_range": "big"}, "got 'big'"),
        ({"rotation_range": -5}, "rotation_range must be a number >= 0, got -5"),
        ({"width_shift_range": -0.1}, "width_shift_range must be a number >= 0"),
        ({"height_shift_range": []}, "height_shift_range as a list"),
        ({"fill_mode": "mirror"}, "fill_mode must be one of .* got 'mirror'"),
        ({"interpolation_order": 3}, "interpolation_order must be 0 .* got 3"),
    ],
)
def test_image_data_generator_errors_name_the_value(arguments, message):
    with pytest.raises(ValueError, match=message):
        ImageDataGenerator(**arguments)


def test_arguments_are_keyword_only_as_keras_positional_order_differs():
    with pytest.raises(TypeError):
        ImageDataGenerator(20)  # type: ignore[misc]


def test_rescale_multiplies_the_pixels(digits):
    x, _ = digits
    batch = ImageDataGenerator(rescale=1 / 255).flow(x * 255, shuffle=False)[0]
    np.testing.assert_allclose(batch, x[:32], rtol=1e-5)


def test_featurewise_center_and_std_use_the_statistics_fit_measures(digits):
    x, _ = digits
    datagen = ImageDataGenerator(featurewise_std_normalization=True)
    datagen.fit(x)
    np.testing.assert_allclose(datagen.mean, [x.mean()], rtol=1e-5)
    batches = np.concatenate(list(datagen.flow(x, batch_size=25)))
    assert abs(batches.mean()) < 1e-5 and batches.std() == pytest.approx(1.0, rel=1e-4)


def test_featurewise_center_before_fit_asks_for_fit(digits):
    flow = ImageDataGenerator(featurewise_center=True).flow(digits[0])
    with pytest.raises(RuntimeError, match=r"call datagen.fit\(x_train\) before flow"):
        flow[0]


# ----- PyDataset -----


def test_a_pydataset_subclass_is_a_data_source_for_fit():
    class Squares(PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=4)  # accepted as Keras accepts it, and ignored
            self.epochs_ended = 0

        def __len__(self) -> int:
            return 3

        def __getitem__(self, index: int):
            x = np.linspace(-1, 1, 10)[:, None] + index
            return x, x**2

        def on_epoch_end(self) -> None:
            self.epochs_ended += 1

    source = Squares()
    assert Sequence is PyDataset and source.num_batches == 3
    assert len(list(source)) == 3 and source.epochs_ended == 1
    set_random_seed(0)
    model = Sequential([Dense(8, activation="relu", input_shape=(1,)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(source, epochs=2, verbose=0)
    assert source.epochs_ended == 3


# ----- oversample / undersample -----


def imbalanced(labels_form: str) -> tuple[np.ndarray, np.ndarray]:
    """x = each sample's index (so a row shows where it came from); 3 classes of 6, 3, 1."""
    classes = np.array([0] * 6 + [1] * 3 + [2])
    x = np.arange(10)[:, None] * np.ones((1, 2))
    forms = {
        "ints": classes,
        "one_hot": np.eye(3)[classes],
        "column": (classes > 0).astype(float)[:, None],  # 0/1 labels (N, 1): classes 6 and 4
    }
    return x, forms[labels_form]


def classes_of(y: np.ndarray) -> np.ndarray:
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1).astype(int)


@pytest.mark.parametrize("form", ["ints", "one_hot", "column"])
def test_oversample_tops_every_class_up_to_the_largest_keeping_every_original(form):
    x, y = imbalanced(form)
    x_over, y_over = oversample(x, y, seed=0)
    counts = np.bincount(classes_of(y_over))
    assert (counts == counts.max()).all() and counts.max() == 6
    assert y_over.shape[1:] == y.shape[1:] and y_over.dtype == y.dtype
    origins = x_over[:, 0].astype(int)
    assert set(origins) == set(range(10))  # every original is kept
    np.testing.assert_array_equal(y_over, y[origins])  # each label stays with its sample


@pytest.mark.parametrize("form", ["ints", "one_hot", "column"])
def test_undersample_keeps_a_random_subset_of_each_class_as_large_as_the_smallest(form):
    x, y = imbalanced(form)
    x_under, y_under = undersample(x, y, seed=0)
    counts = np.bincount(classes_of(y_under))
    smallest = np.bincount(classes_of(y)).min()
    assert (counts == smallest).all()
    origins = x_under[:, 0].astype(int)
    assert len(set(origins)) == len(origins)  # no duplicates
    np.testing.assert_array_equal(y_under, y[origins])


def test_resampling_is_shuffled_and_reproducible_from_a_seed():
    x, y = imbalanced("ints")
    first, again = oversample(x, y, seed=3), oversample(x, y, seed=3)
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[1], np.sort(first[1]))  # the classes are mixed
    assert not np.array_equal(oversample(x, y, seed=4)[0], first[0])


@pytest.mark.parametrize("resample", [oversample, undersample])
@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.zeros((5, 2)), np.array([0, 1, 0, 1]), r"x shape \(5, 2\) and y shape \(4,\)"),
        (np.zeros((4, 2)), np.array([1, 1, 1, 1]), r"a single class \(\[1\]\)"),
        (np.zeros((4, 2)), np.array([0, 0.5, 1, 1]), "whole numbers"),
        (np.zeros((4, 2)), np.zeros((4, 2, 2)), r"got shape \(4, 2, 2\)"),
    ],
)
def test_resampling_errors_name_the_problem(resample, x, y, message):
    with pytest.raises(ValueError, match=message):
        resample(x, y)


def test_oversampling_raises_the_recall_of_the_rare_class_on_held_out_data():
    """E19's data and network, with all benign training samples but only 20 malignant ones:
    trained on the oversampled set, the network finds more of the test set's malignant cases."""
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    data = datasets.load_breast_cancer()  # target 0 = malignant, 1 = benign
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        data.data, data.target, test_size=0.2, random_state=42
    )
    scaler = preprocessing.StandardScaler()
    x_train, x_test = scaler.fit_transform(x_train), scaler.transform(x_test)
    malignant = np.flatnonzero(y_train == 0)[:20]
    keep = np.sort(np.concatenate([malignant, np.flatnonzero(y_train == 1)]))
    x_rare, y_rare = x_train[keep], y_train[keep]

    def malignant_recall(x: np.ndarray, y: np.ndarray, seed: int) -> float:
        set_random_seed(seed)
        model = Sequential(
            [
                Dense(16, activation="relu", input_shape=(30,)),
                Dense(8, activation="relu"),
                Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(optimizer="adam", loss="binary_crossentropy")
        model.fit(x, y, epochs=10, batch_size=32, verbose=0)
        predicted = (model.predict(x_test, verbose=0) > 0.5).astype(int).reshape(-1)
        return float(np.mean(predicted[y_test == 0] == 0))

    x_over, y_over = oversample(x_rare, y_rare, seed=0)
    assert np.bincount(y_over).tolist() == [len(keep) - 20] * 2
    for seed in range(3):
        assert malignant_recall(x_over, y_over, seed) > malignant_recall(x_rare, y_rare, seed)
