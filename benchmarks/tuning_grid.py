"""Time a 3×3 GridSearch with 3-fold cross-validation on the guide's E19 network, 20 epochs per
fit (27 fits + 1 refit of the best on all 455 training samples), as the issue asks.

    python benchmarks/tuning_grid.py [--repeats 3]
"""

import argparse
import os
import statistics
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import optim
from nn.layers import Dense
from nn.models import Sequential
from nn.random import set_random_seed
from nn.tuning import GridSearch


def build_model(params):
    model = Sequential(
        [
            Dense(params["units"], activation="relu", input_shape=(30,)),
            Dense(8, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=optim.Adam(learning_rate=params["learning_rate"]),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = load_breast_cancer()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.2, random_state=42
    )
    scaler = StandardScaler()
    x_train, x_test = scaler.fit_transform(x_train), scaler.transform(x_test)
    grid = {"learning_rate": [1e-3, 3e-3, 1e-2], "units": [8, 16, 32]}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    times = []
    for repeat in range(args.repeats):
        set_random_seed(42)
        search = GridSearch(build_model, grid, seed=0)
        start = time.perf_counter()
        search.search(x_train, y_train, cv=3, epochs=20, batch_size=32, verbose=int(repeat == 0))
        times.append(time.perf_counter() - start)
        print(f"run {repeat + 1}: {times[-1]:.2f} s")
    search.summary()
    _, accuracy = search.best_model.evaluate(x_test, y_test, verbose=0)
    print(f"best model's test accuracy: {accuracy:.4f}")
    print(f"median {statistics.median(times):.2f} s, fastest {min(times):.2f} s "
          f"over {args.repeats} runs (27 fits + 1 refit, 20 epochs each)")
    print(f"load average after: {os.getloadavg()[0]:.2f}; numpy {np.__version__}")


if __name__ == "__main__":
    main()
