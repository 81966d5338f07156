"""Training time and test accuracy of the four CNN feature extractors on the full MNIST.

Each network of :data:`sigah.studies.features.NETWORKS` is trained on the 60,000 training digits for
``--epochs`` passes (seed 0), then its penultimate layer is read on the 60,000 training and 10,000
test digits. The table gives the network's size, feature dimension, test accuracy, the seconds of
training and of the whole extraction; the total is the figure to hold against the 5-minute target
of the chapter "Deep features". The machine is shared: the load average at start and end is
printed with the table, and the CPU is named.

Usage::

    nice -n 5 .venv/bin/python tests/benchmarks/bench_features.py [--epochs 2] [--networks tiny lenet5 ...]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from sigah.studies.features import NETWORKS, extract_features
from sigah.studies.semantic import mnist_splits
from sigah.studies.timing import cpu_model



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS), choices=list(NETWORKS))
    args = parser.parse_args()
    print(f"{cpu_model()}, {os.cpu_count()} cores; load average at start {os.getloadavg()}")
    train, train_labels, test, test_labels = mnist_splits()
    train, test = np.asarray(train).reshape(-1, 28, 28), np.asarray(test).reshape(-1, 28, 28)
    rows, start_all = [], time.perf_counter()
    for network in args.networks:
        start = time.perf_counter()
        got = extract_features(network, train, train_labels, test, test_labels, epochs=args.epochs, seed=0)
        rows.append({"network": network, "parameters": got.n_parameters, "feature dim": got.dim,
                     "test accuracy": got.test_accuracy, "train s": got.train_seconds,
                     "extraction s": time.perf_counter() - start})
        print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"all networks: {time.perf_counter() - start_all:.1f} s, {args.epochs} epoch(s) each; "
          f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
