"""Time the evaluator on the full MNIST protocol shape (1,000 queries × 69,000 database × 784).

Ground truth uses the real MNIST protocol (`sigah.data.load_dataset("mnist")`, 1,000 random
queries, the other 69,000 as database); `evaluate_codes` is timed on random codes of that
shape (metric values of random codes are meaningless, only the time matters), and, with
``--itq``, on real ITQ/LSH codes whose metrics can be set beside the paper's Table 2 (the chapter
*Binary codes and their evaluation* compares them the same way).

Run: ``nice -n 5 .venv/bin/python tests/benchmarks/bench_evaluator.py [--itq]``
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import faiss  # noqa: E402, F401  (imported before timing, so no row pays for it)
import numpy as np  # noqa: E402

from sigah.codes import hamming_distances  # noqa: E402
from sigah.data import load_dataset, make_protocol  # noqa: E402
from sigah.metrics import euclidean_ground_truth, evaluate_codes  # noqa: E402


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--itq", action="store_true", help="also evaluate LSH and ITQ codes (32/64 bits)")
    args = parser.parse_args()

    protocol = make_protocol(load_dataset("mnist"), n_queries=1000, seed=0)
    nq, nd = len(protocol.queries), len(protocol.database)
    print(f"data: real MNIST protocol, {nq} queries x {nd} database x {protocol.database.shape[1]} dims")
    rows = []

    groundtruth, seconds = timed(euclidean_ground_truth, protocol.queries, protocol.database, k=1000)
    rows.append(("euclidean_ground_truth k=1000 (no cache)", seconds))

    rng = np.random.default_rng(0)
    for n_bits in (32, 64, 784):
        queries = rng.integers(0, 256, size=(nq, n_bits // 8), dtype=np.uint8)
        database = rng.integers(0, 256, size=(nd, n_bits // 8), dtype=np.uint8)
        for engine in ("faiss", "numpy"):
            # best of two: the first faiss call of a process also starts its thread pool
            seconds = min(timed(hamming_distances, queries, database, engine=engine)[1] for _ in range(2))
            rows.append((f"hamming_distances {n_bits} bits, {engine} (best of 2)", seconds))
        _, seconds = timed(evaluate_codes, queries, database, groundtruth)
        rows.append((f"evaluate_codes {n_bits} bits (random codes)", seconds))

    width = max(len(name) for name, _ in rows)
    print(f"{'step':<{width}}  seconds")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.2f}")

    if args.itq:
        from sigah.studies.experiments import evaluate_hasher
        from sigah.hashers import make_hasher

        print(f"\n{'codes':<12} {'map':>7} {'map_stable':>10} {'map_pr_area':>11} {'P@100':>7}")
        for method in ("lsh", "itq"):
            for n_bits in (32, 64):
                result = evaluate_hasher(make_hasher(method, n_bits=n_bits, seed=0), protocol, groundtruth)
                print(
                    f"{method} {n_bits:>2} bits  {result['map']:7.3f} {result['map_stable']:10.3f} "
                    f"{result['map_pr_area']:11.3f} {result['precision_at_100']:7.3f}"
                )


if __name__ == "__main__":
    main()
