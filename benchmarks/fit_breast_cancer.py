"""The study guide's breast-cancer classifier (E19), trained end to end: chainrule's ``fit``
against the same training written by hand in PyTorch and in chainrule, and Keras if installed.

The task, as the guide writes it: scikit-learn's ``load_breast_cancer``, ``train_test_split(
test_size=0.2, random_state=42)``, ``StandardScaler``, then

    Sequential([Dense(16, "relu", input_shape=(30,)), Dense(8, "relu"), Dense(1, "sigmoid")])
    compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    fit(X_train, y_train, epochs=50, batch_size=32, validation_data=(X_test, y_test), verbose=0)
    (predict(X_test, verbose=0) > 0.5)      # verbose=0: no progress line in the timing

Engines, each timed from compile (or making the optimizer) to the test predictions:

- ``chainrule fit``: the code above on ``nn.models.Sequential``, after ``set_random_seed(42)``.
- ``PyTorch loop``: ``torch.nn.Sequential`` of ``Linear`` layers holding the same initial
  weights (chainrule's kernels, transposed), float32, ``torch.optim.Adam(lr=1e-3, eps=1e-7)``
  (Keras's defaults), ``F.binary_cross_entropy`` on the sigmoid outputs, the same shuffled
  batches in each epoch (the permutations fit draws), ``zero_grad/backward/step``; per batch it
  reads the loss and counts correct predictions, per epoch it runs the validation set in batches
  of 32 under ``no_grad`` (loss and accuracy): the work ``fit`` does for its history.
- ``chainrule loop``: the same loop on chainrule: ``Tensor`` forward through the model's Dense
  layers, ``nn.losses.binary_crossentropy(y, p).mean()``, ``optim.Adam``, the same batches and
  validation. ``fit / loop`` is what the framework itself costs (its checks, batching, metric
  objects, callbacks, progress, mode switches).
- ``Keras`` (only if ``import keras`` works): the guide's code with the same initial weights;
  its batch order is its own.

Runs are interleaved: --repeats rounds (5), each running every engine once in a rotating order,
each run re-initialized from the same seed. Before each run the script sleeps (--settle, 0.2 s)
so that the previous library's BLAS/OpenMP threads stop spinning. One untimed warm-up round runs
first. The table gives the median and fastest seconds, the test accuracy, and the last epoch's
loss and validation loss; then two ratios of medians with their targets: chainrule fit /
PyTorch loop <= 1.0x, chainrule fit / chainrule loop <= 1.2x (framework overhead <= 20 %). The
engines also check each other: the final weights of every loop are compared with fit's. The
1-minute load average is printed before and after: on a 2-core machine another busy process
distorts every number, PyTorch's most (runs 2-10x slower were seen while a test suite ran).

Threads: OpenBLAS, MKL and OpenMP read their thread count when numpy (or torch) is imported, so
this script sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS to 2 (only where they
are unset) before importing numpy, and gives torch.set_num_threads the same number.

    python benchmarks/fit_breast_cancer.py [--repeats 5] [--settle 0.2] [--no-torch] [--no-keras]
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "2")  # before numpy is imported, or it is too late

import argparse  # noqa: E402
import copy  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import optim  # noqa: E402
from autograd import Tensor, no_grad  # noqa: E402
from nn.layers import Dense  # noqa: E402
from nn.losses import binary_crossentropy  # noqa: E402
from nn.models import Sequential  # noqa: E402
from nn.random import global_rng, set_random_seed  # noqa: E402

THREADS = int(os.environ["OMP_NUM_THREADS"])
SEED = 42
EPOCHS = 50
BATCH_SIZE = 32
LEARNING_RATE = 1e-3  # Keras's Adam defaults
EPSILON = 1e-7
TARGET_TORCH = 1.0  # chainrule fit / PyTorch loop
TARGET_LOOP = 1.2  # chainrule fit / hand-written chainrule loop
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class Data:
    x_train: np.ndarray  # float64, scaled, as the guide has them
    y_train: np.ndarray  # int64 labels 0/1
    x_test: np.ndarray
    y_test: np.ndarray


def load_data() -> Data:
    """The guide's split and scaling."""
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.2, random_state=42
    )
    scaler = StandardScaler()
    return Data(scaler.fit_transform(x_train), y_train, scaler.transform(x_test), y_test)


def guide_model() -> tuple[Sequential, np.random.Generator]:
    """The E19 model from ``set_random_seed(SEED)``, and a copy of the global generator as
    ``fit`` will find it, so that a hand-written loop draws the same batch orders."""
    set_random_seed(SEED)
    model = Sequential(
        [
            Dense(16, activation="relu", input_shape=(30,)),
            Dense(8, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )
    return model, copy.deepcopy(global_rng())


@dataclass
class Run:
    seconds: float
    accuracy: float
    history: dict[str, list[float]]
    weights: list[np.ndarray]  # final [kernel, bias, ...] in Keras's layout


def new_history() -> dict[str, list[float]]:
    return {key: [] for key in HISTORY_KEYS}


def test_accuracy(y_test: np.ndarray, probabilities: np.ndarray) -> float:
    return float(np.mean((probabilities.ravel() > 0.5).astype(int) == y_test))


# ----- (a) chainrule's fit -----


def run_fit(data: Data) -> Run:
    model, _ = guide_model()
    start = time.perf_counter()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(
        data.x_train,
        data.y_train,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        validation_data=(data.x_test, data.y_test),
        verbose=0,
    )
    probabilities = model.predict(data.x_test, verbose=0)
    seconds = time.perf_counter() - start
    weights = [p.data.copy() for p in model.parameters()]
    history_lists = {key: list(history.history[key]) for key in HISTORY_KEYS}
    return Run(seconds, test_accuracy(data.y_test, probabilities), history_lists, weights)


# ----- (c) the same training written by hand on chainrule -----


def chainrule_forward(layers: list[Dense], x: np.ndarray) -> Tensor:
    h = Tensor(x)
    for layer in layers:
        h = layer(h)
    return h


def run_chainrule_loop(data: Data) -> Run:
    model, rng = guide_model()
    layers = model.layers
    start = time.perf_counter()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=EPSILON)
    x_train, x_test = data.x_train.astype(np.float32), data.x_test.astype(np.float32)
    y_train = data.y_train.astype(np.float32)[:, None]
    y_test = data.y_test.astype(np.float32)[:, None]
    samples = len(x_train)
    history = new_history()
    for _ in range(EPOCHS):
        order = rng.permutation(samples)
        loss_sum = correct = 0.0
        for first in range(0, samples, BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            x, y = x_train[batch], y_train[batch]
            output = chainrule_forward(layers, x)
            loss = binary_crossentropy(y, output).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(x)
            correct += int(np.sum((output.data > 0.5) == y))
        history["loss"].append(loss_sum / samples)
        history["accuracy"].append(correct / samples)
        loss_sum = correct = 0.0
        with no_grad():
            for first in range(0, len(x_test), BATCH_SIZE):
                x, y = x_test[first : first + BATCH_SIZE], y_test[first : first + BATCH_SIZE]
                output = chainrule_forward(layers, x)
                loss_sum += binary_crossentropy(y, output).mean().item() * len(x)
                correct += int(np.sum((output.data > 0.5) == y))
        history["val_loss"].append(loss_sum / len(x_test))
        history["val_accuracy"].append(correct / len(x_test))
    with no_grad():
        probabilities = np.concatenate(
            [
                chainrule_forward(layers, x_test[first : first + BATCH_SIZE]).data
                for first in range(0, len(x_test), BATCH_SIZE)
            ]
        )
    seconds = time.perf_counter() - start
    weights = [p.data.copy() for p in model.parameters()]
    return Run(seconds, test_accuracy(data.y_test, probabilities), history, weights)


# ----- (b) the same training written by hand in PyTorch -----


def run_torch_loop(data: Data) -> Run:
    import torch
    import torch.nn.functional as F

    chainrule_model, rng = guide_model()
    initial = [p.data for p in chainrule_model.parameters()]
    model = torch.nn.Sequential(
        torch.nn.Linear(30, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 1),
        torch.nn.Sigmoid(),
    )
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for linear, kernel, bias in zip(linears, initial[0::2], initial[1::2]):
            linear.weight.copy_(torch.from_numpy(kernel.T))
            linear.bias.copy_(torch.from_numpy(bias))
    start = time.perf_counter()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=EPSILON)
    x_train = torch.from_numpy(data.x_train.astype(np.float32))
    x_test = torch.from_numpy(data.x_test.astype(np.float32))
    y_train = torch.from_numpy(data.y_train.astype(np.float32)[:, None])
    y_test = torch.from_numpy(data.y_test.astype(np.float32)[:, None])
    samples = len(x_train)
    history = new_history()
    for _ in range(EPOCHS):
        order = torch.from_numpy(rng.permutation(samples))
        loss_sum = correct = 0.0
        model.train()
        for first in range(0, samples, BATCH_SIZE):
            batch = order[first : first + BATCH_SIZE]
            x, y = x_train[batch], y_train[batch]
            output = model(x)
            loss = F.binary_cross_entropy(output, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(x)
            correct += ((output > 0.5) == y).sum().item()
        history["loss"].append(loss_sum / samples)
        history["accuracy"].append(correct / samples)
        loss_sum = correct = 0.0
        model.eval()
        with torch.no_grad():
            for first in range(0, len(x_test), BATCH_SIZE):
                x, y = x_test[first : first + BATCH_SIZE], y_test[first : first + BATCH_SIZE]
                output = model(x)
                loss_sum += F.binary_cross_entropy(output, y).item() * len(x)
                correct += ((output > 0.5) == y).sum().item()
        history["val_loss"].append(loss_sum / len(x_test))
        history["val_accuracy"].append(correct / len(x_test))
    with torch.no_grad():
        probabilities = torch.cat(
            [model(x_test[first : first + BATCH_SIZE]) for first in range(0, len(x_test), 32)]
        ).numpy()
    seconds = time.perf_counter() - start
    weights = []
    for linear in linears:
        weights += [linear.weight.detach().numpy().T.copy(), linear.bias.detach().numpy().copy()]
    return Run(seconds, test_accuracy(data.y_test, probabilities), history, weights)


# ----- (d) Keras, when it is installed -----


def run_keras(data: Data) -> Run:
    import keras

    chainrule_model, _ = guide_model()
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input(shape=(30,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.set_weights([p.data for p in chainrule_model.parameters()])
    start = time.perf_counter()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(
        data.x_train,
        data.y_train,
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        validation_data=(data.x_test, data.y_test),
        verbose=0,
    )
    probabilities = model.predict(data.x_test, verbose=0)
    seconds = time.perf_counter() - start
    history_lists = {key: [float(v) for v in history.history[key]] for key in HISTORY_KEYS}
    weights = [np.asarray(w) for w in model.get_weights()]
    return Run(seconds, test_accuracy(data.y_test, probabilities), history_lists, weights)


# ----- timing and report -----


@dataclass
class Engine:
    name: str
    run: Callable[[Data], Run]
    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)


def available_engines(use_torch: bool, use_keras: bool) -> tuple[list[Engine], list[str]]:
    """The engines that can run here, and a note for each one left out."""
    engines = [Engine("chainrule fit", run_fit)]
    notes = []
    if use_torch:
        try:
            import torch
        except ImportError:
            notes.append("PyTorch: not installed, no PyTorch ratio")
        else:
            torch.set_num_threads(THREADS)
            notes.append(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)")
            engines.append(Engine("PyTorch loop", run_torch_loop))
    engines.append(Engine("chainrule loop", run_chainrule_loop))
    if use_keras:
        try:
            import keras
        except ImportError:
            notes.append("Keras: `import keras` failed (not installed), its row is skipped")
        else:
            notes.append(f"Keras {keras.__version__} ({keras.backend.backend()} backend)")
            engines.append(Engine("Keras fit", run_keras))
    return engines, notes


def measure(engines: list[Engine], data: Data, repeats: int, settle: float) -> None:
    """One untimed warm-up round, then ``repeats`` rounds rotating who goes first."""
    for engine in engines:
        engine.run(data)
    for r in range(repeats):
        for k in range(len(engines)):
            engine = engines[(r + k) % len(engines)]
            time.sleep(settle)  # let the previous library's BLAS/OpenMP threads stop spinning
            engine.runs.append(engine.run(data))


def agreement(engines: list[Engine]) -> None:
    """Do the engines train the same network? Final weights against fit's, first and last
    epoch losses; Keras draws its own batches, so only its accuracy is comparable."""
    reference = engines[0].runs[-1]
    scale = max(float(np.max(np.abs(w))) for w in reference.weights)
    for engine in engines:
        run = engine.runs[-1]
        line = (
            f"  {engine.name:<15} loss epoch 1 {run.history['loss'][0]:.6f}, "
            f"epoch {EPOCHS} {run.history['loss'][-1]:.6f}"
        )
        if engine is not engines[0] and engine.name != "Keras fit":
            difference = max(
                float(np.max(np.abs(w - v))) for w, v in zip(run.weights, reference.weights)
            )
            line += f"; final weights differ from fit's by {difference / scale:.1e} (relative)"
        print(line)


def report(engines: list[Engine]) -> None:
    header = (
        f"{'engine':<15} {'median s':>9} {'fastest s':>9} {'runs':>4} {'test acc':>8} "
        f"{'loss':>7} {'val_loss':>8}"
    )
    print(header)
    print("-" * len(header))
    for engine in engines:
        run = engine.runs[-1]
        print(
            f"{engine.name:<15} {engine.median:>9.3f} "
            f"{min(r.seconds for r in engine.runs):>9.3f} {len(engine.runs):>4} "
            f"{run.accuracy:>8.4f} {run.history['loss'][-1]:>7.4f} "
            f"{run.history['val_loss'][-1]:>8.4f}"
        )
    print()
    medians = {engine.name: engine.median for engine in engines}
    fit = medians["chainrule fit"]
    for peer, target in (("PyTorch loop", TARGET_TORCH), ("chainrule loop", TARGET_LOOP)):
        if peer not in medians:
            continue
        ratio = fit / medians[peer]
        verdict = "PASS" if ratio <= target else "MISS"
        meaning = f" (framework overhead {ratio - 1:+.0%})" if peer == "chainrule loop" else ""
        print(
            f"chainrule fit / {peer:<14} {ratio:6.3f}x  target <= {target:.1f}x  {verdict}{meaning}"
        )
    if "Keras fit" in medians:
        print(f"chainrule fit / Keras fit      {fit / medians['Keras fit']:6.3f}x  (no target)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each engine")
    parser.add_argument(
        "--settle", type=float, default=0.2, help="seconds of sleep before each run"
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--no-keras", action="store_true", help="do not try to import keras")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")

    engines, notes = available_engines(not args.no_torch, not args.no_keras)
    variables = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    threads = ", ".join(f"{v}={os.environ[v]}" for v in variables)
    print(f"numpy {np.__version__}, {threads}")
    for note in notes:
        print(note)
    data = load_data()
    steps = -(-len(data.x_train) // BATCH_SIZE)
    print(
        f"E19: {len(data.x_train)} training / {len(data.x_test)} test samples, {EPOCHS} epochs of "
        f"{steps} batches of {BATCH_SIZE}, validation each epoch; {args.repeats} interleaved "
        f"runs per engine, {args.settle} s settle, garbage collector on; load average "
        f"{os.getloadavg()[0]:.2f} at start"
    )
    print()
    measure(engines, data, args.repeats, args.settle)
    print("Agreement (last run of each engine):")
    agreement(engines)
    print()
    report(engines)
    print(
        f"load average {os.getloadavg()[0]:.2f} at the end (this script adds about 1; much more "
        "means another process was busy, and the numbers are suspect)"
    )


if __name__ == "__main__":
    main()
