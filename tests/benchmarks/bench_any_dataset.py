"""Every baseline on SIFT10K and MNIST: retrieval quality, for the input-scaling changes.

Prints Pre@100 and the PR area over Hamming radii (the paper's "mAP") per method and code
length, mean and standard deviation over seeds, beside ITQ's, and the SGH target of
"every method on any dataset": on SIFT10K, SGH's Pre@100 at least ITQ's minus 0.05 at 32 and
64 bits (mean over the seeds).

* ``--data siftsmall``: the shipped SIFT10K (10,000 base vectors as database and training set,
  its 100 own queries, K = 100).
* ``--data mnist``: the book's full MNIST protocol (1,000 random queries, seed 0; 69,000
  database = training points; K = 1,000).

Before/after: run it once with the previous package first on the path and once with this
one, e.g. ``PYTHONPATH=/path/to/old/checkout python tests/benchmarks/bench_any_dataset.py
--json before.json`` then ``--json after.json --compare before.json``; ``--sgh-raw`` adds a row
for SGH with the authors' raw-input recipe (``preprocess="none"``) in the same run.

Usage::

    OPENBLAS_NUM_THREADS=1 python tests/benchmarks/bench_any_dataset.py --data siftsmall --seeds 3 --sgh-raw
"""

from __future__ import annotations

import argparse
import json
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pandas as pd

from sigah.data import load_dataset, make_protocol
from sigah.studies.experiments import run_grid
from sigah.studies.timing import cpu_model

METHODS = ["lsh", "itq", "sph", "ba", "sgh", "och", "qolsh"]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="siftsmall", choices=["siftsmall", "mnist"])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--bits", default="32,64")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per method and code length")
    parser.add_argument("--sgh-raw", action="store_true", help="also SGH with preprocess='none' (the authors' script)")
    parser.add_argument("--json", help="write the per-run records here")
    parser.add_argument("--compare", help="records of an earlier run (--json) to print beside these")
    args = parser.parse_args()

    data = load_dataset(args.data)
    if args.data == "mnist":
        protocol, k = make_protocol(data, n_queries=1000, seed=0), 1000
    else:
        protocol, k = make_protocol(data, seed=0), 100
    methods = args.methods.split(",")
    bits = [int(b) for b in args.bits.split(",")]
    print(f"{protocol.description}; K = {k}; CPU: {cpu_model()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        records = run_grid(protocol, methods, bits, repeats=args.seeds, seed=0, k=k, progress=False,
                           bits_override={"qolsh": -(-protocol.dim // 8) * 8})
        if args.sgh_raw:
            raw = run_grid(protocol, ["sgh"], bits, repeats=args.seeds, seed=0, k=k, progress=False,
                           params={"sgh": {"preprocess": "none"}})
            raw["method"] = "sgh (raw input)"
            records = pd.concat([records, raw], ignore_index=True)
    for w in caught:
        print(f"warning: {w.message}")
    table = (records.groupby(["method", "bits"], sort=False)
             .agg(pre100=("precision_at_100", "mean"), pre100_std=("precision_at_100", "std"),
                  map_pr=("map_pr_area", "mean"), map_pr_std=("map_pr_area", "std"),
                  fit_s=("fit_seconds", "mean"), seeds=("seed", "count"))
             .reset_index())
    if args.compare:
        before = pd.DataFrame(json.load(open(args.compare)))
        old = before.groupby(["method", "bits"]).agg(pre100_before=("precision_at_100", "mean"),
                                                     map_pr_before=("map_pr_area", "mean")).reset_index()
        table = table.merge(old, on=["method", "bits"], how="left")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    means = records.groupby(["method", "bits"]).precision_at_100.mean()
    if {"sgh", "itq"} <= set(methods):
        for b in bits:
            sgh, itq = means[("sgh", b)], means[("itq", b)]
            verdict = "met" if sgh >= itq - 0.05 else "NOT met"
            print(f"target at {b} bits: SGH Pre@100 {sgh:.4f} >= ITQ {itq:.4f} - 0.05: {verdict}")
    if args.json:
        records.to_json(args.json, orient="records")


if __name__ == "__main__":
    main()
