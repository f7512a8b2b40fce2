"""chainrule's main demo: the study guide's breast-cancer classifier (E19), as the guide writes it.

The Wisconsin breast-cancer data (569 tumours, 30 measurements each) split 80/20, scaled, and a
30 → 16 → 8 → 1 network trained with Adam on binary cross-entropy for 50 epochs — Keras's code,
line for line, on chainrule. It prints the progress, the test accuracy, the confusion matrix,
precision, recall and F1, and writes to ``demo_output/`` the training-vs-validation loss curve,
a picture of the model (Keras's plot_model), and one trained neuron's graph on scalar Values.

    python examples/demo.py        (or `make demo` from the repository root)
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import autograd
from autograd import Value
from nn import metrics
from nn.layers import Dense
from nn.models import Sequential
from nn.random import set_random_seed

OUTPUT_DIR = Path("demo_output")


def save_picture(picture: autograd.GraphPicture, stem: str) -> Path:
    """SVG when a Graphviz renderer exists, else the DOT text with a hint."""
    try:
        return picture.save(OUTPUT_DIR / f"{stem}.svg")
    except autograd.viz.RendererNotFound:
        print("hint: no Graphviz renderer; wrote the DOT text (pip install 'chainrule[viz]')")
        return picture.save(OUTPUT_DIR / f"{stem}.dot")


def plot_losses(history: dict[str, list[float]], path: Path) -> None:
    """E15: training and validation loss per epoch, from ``history.history``."""
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = range(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="Training Loss")
    ax.plot(epochs, history["val_loss"], label="Validation Loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy")
    ax.set_title("Breast-cancer classifier: training vs validation loss")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def draw_model(model: Sequential) -> Path:
    """Keras's plot_model: a box per layer with its type, output shape and parameter count."""
    return save_picture(model.draw(), "model")


def draw_neuron(layer: Dense, sample: np.ndarray, neuron: int = 0) -> Path:
    """One trained neuron of the first layer on scalar Values: relu(w · x + b)."""
    weights = [Value(float(w), label=f"w{i}") for i, w in enumerate(layer.kernel.data[:, neuron])]
    inputs = [float(v) for v in sample]
    bias = Value(float(layer.bias.data[neuron]), label="b")
    output = (autograd.dot(weights, inputs) + bias).relu()
    output.label = f"{layer.name}.neuron{neuron + 1}"
    output.backward()
    return save_picture(autograd.draw_graph(output), "neuron_graph")


def main() -> None:
    set_random_seed(42)  # keras.utils.set_random_seed: the same weights and batches every run

    # The guide's code (E19), as printed.
    data = load_breast_cancer()
    X, y = data.data, data.target
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.transform(X_test)

    model = Sequential(
        [
            Dense(16, activation="relu", input_shape=(X_train.shape[1],)),
            Dense(8, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    history = model.fit(
        X_train, y_train, epochs=50, batch_size=32, validation_data=(X_test, y_test)
    )
    y_pred = (model.predict(X_test) > 0.5).astype(int).ravel()

    # What the guide reports, and what a reader wants to see next.
    print(f"\nTest accuracy: {metrics.accuracy(y_test, y_pred):.4f}")
    print("Confusion matrix (rows: true 0/1, columns: predicted 0/1):")
    print(metrics.confusion_matrix(y_test, y_pred))
    print(f"precision {metrics.precision(y_test, y_pred):.4f}")
    print(f"recall    {metrics.recall(y_test, y_pred):.4f}")
    print(f"F1        {metrics.f1_score(y_test, y_pred):.4f}")

    OUTPUT_DIR.mkdir(exist_ok=True)
    curve = OUTPUT_DIR / "loss_curve.png"
    plot_losses(history.history, curve)
    print("outputs:")
    print(f"  loss curve    {curve}")
    print(f"  model         {draw_model(model)}")
    print(f"  neuron graph  {draw_neuron(model.layers[0], X_test[0])}")


if __name__ == "__main__":
    main()
