"""Micrograd's moons classifier on the scalar engine, trained and drawn (chainrule's first demo).

It shows what the scalar ``Value`` engine can do end to end in a few seconds: an MLP(2, [16, 16, 1])
learns make_moons by full-batch ``optim.SGD`` (the rate decaying linearly, ``optim.LinearLR``) on a
hinge loss, as in micrograd's demo, with a falling loss,
a decision boundary and a picture of one trained neuron's computation graph. Outputs go to
``demo_output/``.

    python examples/moons_scalar.py
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from tqdm import tqdm

import autograd
import nn
import optim
from autograd import Value

OUTPUT_DIR = Path("demo_output") / "moons"
STEPS = 100
LOG_EVERY = 10
GRID_SIZE = 40
L2_WEIGHT = 1e-4
BLUE = "tab:blue"
RED = "tab:red"


def load_moons() -> tuple[list[list[float]], list[float]]:
    """100 points of make_moons with labels -1 / +1 for the hinge loss."""
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return X.tolist(), (2.0 * y - 1.0).tolist()


def compute_loss(model: nn.MLP, X: list[list[float]], y: list[float]) -> tuple[Value, float]:
    """The full-batch hinge loss plus L2 penalty, and the accuracy of the scores it used."""
    scores = [model(x) for x in X]
    hinge_losses = [(1 - yi * score).relu() for yi, score in zip(y, scores, strict=True)]
    parameters = model.parameters()
    data_loss = autograd.sum(hinge_losses) * (1.0 / len(hinge_losses))
    loss = data_loss + L2_WEIGHT * autograd.dot(parameters, parameters)
    correct = sum((yi > 0) == (score.data > 0) for yi, score in zip(y, scores, strict=True))
    return loss, correct / len(y)


def train(
    model: nn.MLP, X: list[list[float]], y: list[float], steps: int
) -> tuple[list[float], int]:
    """SGD with a linearly decaying learning rate (1.0 down to 0.1); returns the loss per step
    and one step's graph size."""
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    schedule = optim.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=steps)
    losses: list[float] = []
    graph_nodes = 0
    progress = tqdm(range(steps), desc="training", unit="step")
    for k in progress:
        loss, accuracy = compute_loss(model, X, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.data)
        if k == 0:
            graph_nodes = len(autograd.topological_order(loss))
        progress.set_postfix(loss=f"{loss.data:.4f}", accuracy=f"{accuracy:.0%}", refresh=False)
        if k % LOG_EVERY == 0 or k == steps - 1:
            tqdm.write(f"step {k:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
    return losses, graph_nodes


@autograd.no_grad()
def predict_scores(model: nn.MLP, points: Sequence[Sequence[float]]) -> list[float]:
    """The model's raw scores for many points, without recording a graph."""
    return [model(list(point)).data for point in points]


def accuracy_of(model: nn.MLP, X: list[list[float]], y: list[float]) -> float:
    """The fraction of points whose score has the sign of their label."""
    scores = predict_scores(model, X)
    return sum((yi > 0) == (score > 0) for yi, score in zip(y, scores, strict=True)) / len(y)


def plot_loss_curve(losses: list[float], path: Path) -> None:
    """Save the training loss per step, on a log scale so the late steps stay visible."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(len(losses)), losses, color="tab:blue")
    ax.set_yscale("log")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("loss (log scale)")
    ax.set_title("MLP(2, [16, 16, 1]) on make_moons: training loss")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_decision_boundary(model: nn.MLP, X: list[list[float]], y: list[float], path: Path) -> None:
    """Save the sign of the model's score over a grid, with the training points on top."""
    points = np.array(X)
    xs = np.linspace(points[:, 0].min() - 1, points[:, 0].max() + 1, GRID_SIZE)
    ys = np.linspace(points[:, 1].min() - 1, points[:, 1].max() + 1, GRID_SIZE)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid_points = np.column_stack([grid_x.ravel(), grid_y.ravel()]).tolist()
    scores = np.array(predict_scores(model, grid_points)).reshape(grid_x.shape)

    labels = np.array(y)

    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(
        grid_x, grid_y, scores, levels=[-np.inf, 0.0, np.inf], colors=[BLUE, RED], alpha=0.25
    )
    ax.contour(grid_x, grid_y, scores, levels=[0.0], colors="black", linewidths=1)
    for label, color in ((-1.0, BLUE), (1.0, RED)):
        members = points[labels == label]
        ax.scatter(
            members[:, 0], members[:, 1], color=color, edgecolors="black", label=f"y = {label:+.0f}"
        )
    ax.legend(loc="upper right")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title("decision boundary: sign of the model's score")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def draw_neuron(model: nn.MLP, x: list[float], output_dir: Path) -> Path:
    """Draw one trained neuron applied to one input, with d(output)/d(node) as each node's grad."""
    neuron = model.layers[0].neurons[0]
    inputs = [Value(xi, label=f"x{index}") for index, xi in enumerate(x)]
    output = neuron(inputs)
    output.label = "out"
    model.zero_grad()
    output.backward()
    picture = autograd.draw_graph(output)
    try:
        return picture.save(output_dir / "neuron_graph.svg")
    except autograd.viz.RendererNotFound:
        print("hint: no Graphviz renderer; wrote the DOT text (pip install 'chainrule[viz]')")
        return picture.save(output_dir / "neuron_graph.dot")


def main() -> None:
    """Train, report, and write the loss curve, decision boundary and neuron graph."""
    X, y = load_moons()
    model = nn.MLP(2, [16, 16, 1], seed=0)
    print(f"model: {model}")
    print(f"data: {len(X)} points of make_moons(noise=0.1), labels -1 / +1")

    losses, graph_nodes = train(model, X, y, STEPS)
    print(f"graph of one training step: {graph_nodes} nodes (forward, loss and L2 penalty)")
    print(f"final training accuracy: {accuracy_of(model, X, y):.0%}")

    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    loss_curve_path = OUTPUT_DIR / "loss_curve.png"
    boundary_path = OUTPUT_DIR / "decision_boundary.png"
    plot_loss_curve(losses, loss_curve_path)
    plot_decision_boundary(model, X, y, boundary_path)
    neuron_path = draw_neuron(model, X[0], OUTPUT_DIR)

    print("outputs:")
    print(f"  loss curve        {loss_curve_path}")
    print(f"  decision boundary {boundary_path}")
    print(f"  neuron graph      {neuron_path}")


if __name__ == "__main__":
    main()
