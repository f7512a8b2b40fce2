"""The study guide's Keras examples (E6–E19 of SEED_MAP.md), run on chainrule as printed.

Each snippet is copied from the guide with only its imports translated::

    from tensorflow.keras.layers import Dense        -> from nn.layers import Dense
    from tensorflow.keras.models import Sequential   -> from nn.models import Sequential
    from tensorflow.keras.optimizers import SGD, ... -> from optim import SGD, ...
    from tensorflow.keras.regularizers import l1, l2 -> from nn.regularizers import l1, l2
    from tensorflow.keras.callbacks import ...       -> from nn.callbacks import ...
    tf.keras.Sequential / tf.keras.layers.Dense      -> Sequential / Dense

Lines marked "# test" are the test's own (data the guide leaves to the reader, seeds, a step
counter), as are the assertions after each snippet; everything else is the guide's code.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import nn.layers
from nn.random import set_random_seed


def require_layers(*names: str) -> None:
    """Skip while nn.layers does not offer these layers yet."""
    missing = [name for name in names if not hasattr(nn.layers, name)]
    if missing:
        pytest.skip(f"nn.layers has no {', '.join(missing)} yet")


def count_steps(optimizer) -> list[int]:
    """Make ``optimizer.step`` count its calls; returns the one-element counter."""
    counter = [0]
    step = optimizer.step

    def counted(*args, **kwargs):
        counter[0] += 1
        return step(*args, **kwargs)

    optimizer.step = counted
    return counter


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def bce(y: np.ndarray, p: np.ndarray) -> float:
    """Keras's binary cross-entropy in float64, probabilities clipped to [1e-7, 1 - 1e-7]."""
    p = np.clip(np.asarray(p, dtype=np.float64).reshape(-1), 1e-7, 1 - 1e-7)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def weights64(model) -> list[np.ndarray]:
    return [np.asarray(w, dtype=np.float64) for w in model.get_weights()]


def binary_data(n: int, features: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.float32)


# ----- E6: §9 learning-rate comparison -----


def test_e6_one_model_compiled_with_three_optimizers_trains_with_each(capsys):
    set_random_seed(0)  # test: reproducible weights
    import numpy as np

    from nn.layers import Dense
    from nn.models import Sequential
    from optim import SGD, Adam, RMSprop

    # Define a simple model
    model = Sequential([Dense(1, input_shape=[1])])

    # Compile with different optimizers
    optimizers = {
        "SGD": SGD(learning_rate=0.1),
        "Adam": Adam(learning_rate=0.01),
        "RMSprop": RMSprop(learning_rate=0.01)
    }  # fmt: skip
    steps = {name: count_steps(opt) for name, opt in optimizers.items()}  # test
    losses = {}  # test

    # Compare training speed by fitting dummy data
    for name, opt in optimizers.items():
        model.compile(loss="mse", optimizer=opt)
        model.fit(np.array([1, 2, 3]), np.array([2, 4, 6]), epochs=10, verbose=0)
        print(f"{name} optimizer trained model.")
        losses[name] = model.history.history["loss"]  # test

    assert capsys.readouterr().out.splitlines() == [
        "SGD optimizer trained model.",
        "Adam optimizer trained model.",
        "RMSprop optimizer trained model.",
    ]
    assert {name: counter[0] for name, counter in steps.items()} == dict.fromkeys(steps, 10)
    parameters = [id(p) for p in model.parameters()]
    for opt in optimizers.values():
        assert [id(p) for group in opt.param_groups for p in group["params"]] == parameters
    assert all(len(run) == 10 and all(map(math.isfinite, run)) for run in losses.values())
    assert losses["SGD"][-1] < losses["SGD"][0]
    assert losses["RMSprop"][-1] < losses["SGD"][0]


# ----- E7: §10 and §25 L1 / L2 regularization -----


def test_e7_l2_model_carries_the_kernel_penalty():
    from nn.layers import Dense
    from nn.models import Sequential
    from nn.regularizers import l2

    # Define a model with L2 regularization
    model = Sequential([
        Dense(64, activation="relu", kernel_regularizer=l2(0.01), input_shape=(10,)),
        Dense(1, activation="sigmoid")
    ])  # fmt: skip

    model.compile(optimizer="adam", loss="binary_crossentropy")

    x, y = binary_data(32, 10)  # test: data for the penalty check
    kernel, bias, kernel_out, bias_out = weights64(model)
    probabilities = sigmoid(np.maximum(x @ kernel + bias, 0) @ kernel_out + bias_out)
    penalty = 0.01 * np.sum(kernel**2)
    assert len(model.penalties()) == 1
    assert float(model.penalties()[0].data) == pytest.approx(penalty, rel=1e-5)
    assert model.evaluate(x, y) == pytest.approx(bce(y, probabilities) + penalty, rel=1e-5)


def test_e7_l1_and_l2_model_without_input_shape_trains_with_both_penalties():
    set_random_seed(0)  # test: reproducible weights
    from nn.layers import Dense
    from nn.models import Sequential
    from nn.regularizers import l1, l2

    model = Sequential([
        Dense(64, activation='relu', kernel_regularizer=l2(0.01)),  # L2 Regularization
        Dense(32, activation='relu', kernel_regularizer=l1(0.01)),  # L1 Regularization
        Dense(1, activation='sigmoid')
    ])  # fmt: skip

    model.compile(optimizer="adam", loss="binary_crossentropy")  # test: as in §10
    x, y = binary_data(64, 10)  # test: one epoch on random data
    history = model.fit(x, y, epochs=1, verbose=0)
    k1, b1, k2, b2, k3, b3 = weights64(model)
    probabilities = sigmoid(np.maximum(np.maximum(x @ k1 + b1, 0) @ k2 + b2, 0) @ k3 + b3)
    penalty = 0.01 * np.sum(k1**2) + 0.01 * np.sum(np.abs(k2))
    assert model.built and len(model.penalties()) == 2
    assert math.isfinite(history.history["loss"][0])
    assert model.evaluate(x, y) == pytest.approx(bce(y, probabilities) + penalty, rel=1e-5)


# ----- E8: §15 feed-forward network and its summary -----


def test_e8_summary_prints_keras_table_with_897_parameters(capsys):
    from nn.layers import Dense
    from nn.models import Sequential

    # Define model architecture
    model = Sequential([
        Dense(32, input_shape=(10,), activation='relu'),  # Hidden layer 1
        Dense(16, activation='relu'),  # Hidden layer 2
        Dense(1, activation='sigmoid')  # Output layer for binary classification
    ])  # fmt: skip

    # Compile model
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])

    # View model summary
    model.summary()

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('Model: "sequential')
    assert lines[1].startswith("┏") and lines[3].startswith("┡")
    assert lines[2].split("┃")[1:4] == [
        " Layer (type)                    ",
        " Output Shape           ",
        "       Param # ",
    ]
    rows = [line.split("│")[1:4] for line in lines if line.startswith("│")]
    assert [(shape.strip(), count.strip()) for _, shape, count in rows] == [
        ("(None, 32)", "352"),
        ("(None, 16)", "528"),
        ("(None, 1)", "17"),
    ]
    assert all(name.strip().startswith("dense") and "(Dense)" in name for name, _, _ in rows)
    assert lines[-3:] == [
        " Total params: 897 (3.50 KB)",
        " Trainable params: 897 (3.50 KB)",
        " Non-trainable params: 0 (0.00 B)",
    ]


# ----- E9: §15 CNN -----


def guide_cnn():
    """§15's CNN, compiled and summarized as printed."""
    require_layers("Conv2D", "MaxPooling2D", "Flatten")
    from nn.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from nn.models import Sequential

    cnn = Sequential([
        Conv2D(32, (3,3), activation='relu', input_shape=(28,28,1)),  # Convolutional layer
        MaxPooling2D(pool_size=(2,2)),  # Pooling to reduce dimensions
        Flatten(),  # Flattening to prepare for Dense layers
        Dense(64, activation='relu'),  # Fully connected layer
        Dense(10, activation='softmax')  # Output for 10 classes
    ])  # fmt: skip

    cnn.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    cnn.summary()
    return cnn


def summary_rows(out: str) -> list[list[str]]:
    """The (name, output shape, count) cells of each layer row of a summary table."""
    return [[cell.strip() for cell in line.split("│")[1:4]] for line in out.splitlines()
            if line.startswith("│")]  # fmt: skip


def test_e9_cnn_summary_shows_keras_shapes_and_parameter_counts(capsys):
    guide_cnn()
    out = capsys.readouterr().out
    assert [(shape, count) for _, shape, count in summary_rows(out)] == [
        ("(None, 26, 26, 32)", "320"),
        ("(None, 13, 13, 32)", "0"),
        ("(None, 5408)", "0"),
        ("(None, 64)", "346,176"),
        ("(None, 10)", "650"),
    ]
    assert " Total params: 347,146 (1.32 MB)" in out.splitlines()


def test_e9_cnn_summary_names_the_layers_as_keras_does(capsys):
    guide_cnn()
    names = [name for name, _, _ in summary_rows(capsys.readouterr().out)]
    patterns = [
        r"conv2d(_\d+)? \(Conv2D\)",
        r"max_pooling2d(_\d+)? \(MaxPooling2D\)",
        r"flatten(_\d+)? \(Flatten\)",
        r"dense(_\d+)? \(Dense\)",
        r"dense_\d+ \(Dense\)",
    ]
    assert [bool(re.fullmatch(p, name)) for p, name in zip(patterns, names)] == [True] * 5, names


def test_e9_cnn_trains_one_epoch_on_random_images():
    set_random_seed(0)
    cnn = guide_cnn()
    rng = np.random.default_rng(0)  # 64 random images with one-hot labels
    images = rng.random((64, 28, 28, 1)).astype(np.float32)
    labels = np.eye(10)[rng.integers(0, 10, size=64)]
    history = cnn.fit(images, labels, epochs=1, batch_size=32, verbose=0)
    assert math.isfinite(history.history["loss"][0])
    assert 0 <= history.history["accuracy"][0] <= 1
    assert cnn.predict(images[:5]).sum(axis=1) == pytest.approx(np.ones(5), rel=1e-5)


# ----- E10: §20 compiling with different optimizers -----


def test_e10_the_last_compile_decides_optimizer_and_loss():
    from nn.layers import Dense  # test: the guide's `model` is §15's network
    from nn.models import Sequential

    model = Sequential(
        [Dense(32, input_shape=(10,), activation="relu"), Dense(16, activation="relu"),
         Dense(1, activation="sigmoid")]
    )  # fmt: skip

    from optim import SGD, Adam

    # Define model with different optimizers
    model.compile(optimizer=SGD(learning_rate=0.01), loss='mse')  # Basic SGD
    model.compile(optimizer=Adam(learning_rate=0.001), loss='binary_crossentropy')  # Adam for classification  # noqa: E501

    assert type(model.optimizer) is Adam and model.optimizer.learning_rate == 0.001
    steps = count_steps(model.optimizer)
    x, y = binary_data(64, 10)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert steps[0] == 2
    k1, b1, k2, b2, k3, b3 = weights64(model)
    probabilities = sigmoid(np.maximum(np.maximum(x @ k1 + b1, 0) @ k2 + b2, 0) @ k3 + b3)
    assert model.evaluate(x, y) == pytest.approx(bce(y, probabilities), rel=1e-5)


# ----- E11: §21 batches per epoch and total updates -----


def test_e11_batches_per_epoch_and_total_updates():
    from nn.callbacks import LambdaCallback
    from nn.layers import Dense
    from nn.models import Sequential

    dataset_size, batch_size, epochs = 1000, 32, 3
    x, y = binary_data(dataset_size, 4)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    updates = count_steps(model.optimizer)
    batches: list[list[int]] = []
    counter = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: batches.append([]),
        on_train_batch_end=lambda batch, logs: batches[-1].append(batch),
    )
    model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[counter], verbose=0)

    batches_per_epoch = math.ceil(dataset_size / batch_size)  # 1000 / 32 = 31.25 → 32
    assert [len(epoch) for epoch in batches] == [batches_per_epoch] * epochs == [32] * 3
    assert updates[0] == batches_per_epoch * epochs == 96


# ----- E12: §25 dropout -----


def test_e12_dropout_model_trains_and_predicts_deterministically():
    require_layers("Dropout")
    set_random_seed(0)  # test: reproducible weights and masks
    from nn.layers import Dense, Dropout
    from nn.models import Sequential

    model = Sequential([
        Dense(64, activation='relu'),
        Dropout(0.3),  # 30% of neurons are dropped
        Dense(32, activation='relu'),
        Dropout(0.3),
        Dense(1, activation='sigmoid')
    ])  # fmt: skip

    model.compile(optimizer="adam", loss="binary_crossentropy")  # test
    x, y = binary_data(64, 8)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert math.isfinite(history.history["loss"][0])
    assert np.array_equal(model.predict(x), model.predict(x))


# ----- E13: §25 early stopping -----


def test_e13_early_stopping_stops_and_restores_the_best_val_loss_weights(capsys):
    rng = np.random.default_rng(0)  # test: a small, noisy problem the network overfits

    def noisy(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(n, 20)).astype(np.float32)
        return x, ((x[:, 0] + 0.5 * rng.normal(size=n)) > 0).astype(np.float32)

    X_train, y_train = noisy(40)
    X_val, y_val = noisy(200)
    set_random_seed(0)
    from nn.layers import Dense
    from nn.models import Sequential

    model = Sequential([Dense(64, activation="relu", input_shape=(20,)), Dense(1, "sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")

    from nn.callbacks import EarlyStopping

    early_stop = EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)

    model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=100, callbacks=[early_stop])

    val_losses = model.history.history["val_loss"]
    best = int(np.argmin(val_losses))
    assert len(val_losses) < 100  # it stopped early
    assert early_stop.stopped_epoch == len(val_losses) - 1 == best + 5
    assert model.evaluate(X_val, y_val) == pytest.approx(val_losses[best], rel=1e-6)
    assert capsys.readouterr().out.count("Epoch ") == len(val_losses)


# ----- E15: §26 and §54 training vs validation loss -----


def test_e15_history_plots_training_and_validation_loss():
    from matplotlib.figure import Figure

    from nn.layers import Dense
    from nn.models import Sequential

    set_random_seed(0)  # test: a short run to plot
    x, y = binary_data(64, 4)
    x_val, y_val = binary_data(16, 4, seed=1)
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(1, "sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=6, validation_data=(x_val, y_val), verbose=0)

    plt = Figure().subplots()  # the guide's pyplot calls, on an Axes of a Figure
    plt.plot(history.history['loss'], label='Training Loss')
    plt.plot(history.history['val_loss'], label='Validation Loss')
    plt.legend()

    training, validation = plt.get_lines()
    assert list(training.get_ydata()) == history.history["loss"]
    assert list(validation.get_ydata()) == history.history["val_loss"]
    assert len(training.get_xdata()) == len(validation.get_xdata()) == 6
    assert [text.get_text() for text in plt.get_legend().get_texts()] == [
        "Training Loss",
        "Validation Loss",
    ]


# ----- E19: §53 the breast-cancer classifier -----


def test_e19_breast_cancer_classifier_as_printed(capsys):
    pytest.importorskip("sklearn")
    set_random_seed(42)  # test: the guide leaves the seed to chance; the demo fixes it
    # Step 1: Import Libraries (tensorflow and pandas are not needed on chainrule)
    import numpy as np  # noqa: I001 (the imports as the guide orders them)
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from nn.layers import Dense
    from nn.models import Sequential

    # Load dataset (Example: Breast Cancer dataset from sklearn)
    from sklearn.datasets import load_breast_cancer
    data = load_breast_cancer()
    X, y = data.data, data.target

    # Split into train and test sets (80% train, 20% test)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)

    # Standardize features
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.transform(X_test)

    # Create a Sequential Model
    model = Sequential([
        Dense(16, activation='relu', input_shape=(X_train.shape[1],)), # Hidden Layer 1
        Dense(8, activation='relu'), # Hidden Layer 2
        Dense(1, activation='sigmoid') # Output Layer
    ])  # fmt: skip

    model.compile(optimizer='adam',
                  loss='binary_crossentropy',
                  metrics=['accuracy'])  # fmt: skip

    history = model.fit(X_train, y_train, epochs=50, batch_size=32, validation_data=(X_test, y_test))  # noqa: E501

    loss, accuracy = model.evaluate(X_test, y_test)
    print(f"Test Accuracy: {accuracy*100:.2f}%")

    # Predict on new data
    predictions = model.predict(X_test)
    predicted_classes = (predictions > 0.5).astype(int)  # Convert probabilities to 0 or 1

    from matplotlib.figure import Figure  # §54's loss curve, on a Figure instead of pyplot

    plt = Figure().subplots()
    plt.plot(history.history['loss'], label='Train Loss')
    plt.plot(history.history['val_loss'], label='Validation Loss')
    plt.set_xlabel('Epochs')
    plt.set_ylabel('Loss')
    plt.legend()

    out = capsys.readouterr().out
    assert accuracy >= 0.95
    assert f"Test Accuracy: {accuracy * 100:.2f}%" in out
    assert out.count("Epoch ") == 50 and "Epoch 50/50" in out
    assert predictions.shape == predicted_classes.shape == (114, 1)
    assert set(np.unique(predicted_classes)) <= {0, 1}
    assert np.mean(predicted_classes[:, 0] == y_test) == pytest.approx(accuracy)
    assert len(history.history["loss"]) == len(history.history["val_loss"]) == 50
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-6)
    assert len(plt.get_lines()) == 2
