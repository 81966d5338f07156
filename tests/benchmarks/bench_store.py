"""Store of runs: ``run_grid`` on MNIST at the book's CI size, cold (empty store) then warm (second call).

Prints the wall-clock time of each call and their ratio, measured side by side in one process, and
checks that the warm call's records equal the cold call's. Not run by pytest.

    OPENBLAS_NUM_THREADS=1 python tests/benchmarks/bench_store.py [--methods lsh,itq,sph,sgh] [--bits 32,64]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time

from sigah.data import load_dataset, make_protocol
from sigah.studies.experiments import ground_truth_for, run_grid
from sigah.store import RunStore, counts, reset_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="lsh,itq,sph,sgh")
    parser.add_argument("--bits", default="32,64")
    parser.add_argument("--n-queries", type=int, default=300)
    parser.add_argument("--n-database", type=int, default=10000)
    parser.add_argument("--k", type=int, default=1000)
    args = parser.parse_args()
    methods, bits = args.methods.split(","), [int(b) for b in args.bits.split(",")]
    protocol = make_protocol(load_dataset("mnist"), n_queries=args.n_queries, seed=0, n_database=args.n_database)
    ground_truth_for(protocol, args.k, cache_dir=None)  # warm BLAS and imports before timing
    params = {"sgh": {"n_iter": 1000}}
    print(f"{protocol.description}; methods {methods}, bits {bits}, k {args.k}")
    print(f"CPU: {platform.processor() or platform.machine()}, {platform.system()}")
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(folder)
        times, frames = {}, {}
        for label, kw in (("cold", {}), ("warm", {}), ("warm, return_models", {"return_models": True})):
            reset_counts()
            start = time.perf_counter()
            out = run_grid(protocol, methods, bits, k=args.k, params=params, progress=False, store=store,
                           cache_dir=folder, **kw)
            times[label] = time.perf_counter() - start
            frames[label] = out[0] if kw else out
            print(f"{label:>20}: {times[label]:7.2f} s   {counts()}")
    same = frames["cold"].drop(columns="from_store").equals(frames["warm"].drop(columns="from_store"))
    print(f"records identical cold vs warm: {same}")
    for label in ("warm", "warm, return_models"):
        print(f"cold / {label}: {times['cold'] / times[label]:.1f}x")


if __name__ == "__main__":
    main()
