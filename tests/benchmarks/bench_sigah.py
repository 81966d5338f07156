"""Quality and training time of SiGAH against ITQ and SGH on the full MNIST protocol or on SIFT10K.

The book's protocol (chapter "Hash learning"): 70,000 MNIST images, 1,000 random queries (seed 0), the other
69,000 as database and training set, ground truth = the 1,000 Euclidean nearest neighbours. Each method
runs at 32 and 64 bits with seeds 0, 1, 2; the table gives mean ± std of Pre@100, the PR area over
Hamming radii (``map_pr_area``, the paper's "mAP"), the tie-aware mAP over the whole ranking and the
training seconds, beside the paper's Table 2. All methods run in the same process, one after another.

``--data siftsmall`` runs the same comparison on SIFT10K instead: its 10,000 base vectors as database
and training set, its 100 shipped queries, K = 100 (the paper has no SIFT10K table).

Usage::

    nice -n 5 .venv/bin/python tests/benchmarks/bench_sigah.py [--data mnist|siftsmall] [--seeds 3] [--bits 32 64]
        [--methods sigah itq sgh]
        [--sigah-params '{"tanh_scale_end": 100}']
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pandas as pd

from sigah.data import load_dataset, make_protocol
from sigah.studies.experiments import run_grid
from sigah.hashers import available_methods


def paper_table2() -> pd.DataFrame:
    """The paper's Table 2 as rows (method, bits, metric, value)."""
    from sigah.studies.paper import paper_results

    table = paper_results(table=2)
    return table[["method", "metric", "bits", "value"]]


def format_summary(records: pd.DataFrame) -> pd.DataFrame:
    metrics = ["precision_at_100", "map_pr_area", "map", "fit_seconds"]
    grouped = records.groupby(["method", "bits"], sort=False)[metrics]
    mean, std = grouped.mean(), grouped.std(ddof=1).fillna(0.0)
    out = pd.DataFrame(index=mean.index)
    for metric in metrics:
        digits = 1 if metric == "fit_seconds" else 4
        out[metric] = [f"{m:.{digits}f} ± {s:.{digits}f}" for m, s in zip(mean[metric], std[metric])]
    out["seeds"] = grouped.size()
    return out.reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=["mnist", "siftsmall"], default="mnist")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--bits", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--methods", nargs="+", default=["sigah", "itq", "sgh"])
    parser.add_argument("--sigah-params", default="{}",
                        help='JSON of SiGAH arguments replacing defaults, e.g. \'{"tanh_scale_end": 100}\'')
    parser.add_argument("--out", default="runs/sigah/bench_sigah.csv", help="where to write the raw records")
    args = parser.parse_args(argv)

    installed = set(available_methods())
    methods = [m for m in args.methods if m in installed]
    skipped = sorted(set(args.methods) - set(methods))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores; "
          f"methods {methods}" + (f" (not installed: {skipped})" if skipped else ""), flush=True)
    protocol = make_protocol(load_dataset(args.data), n_queries=1000, seed=0)  # SIFT10K: its own 100 queries
    k = 1000 if args.data == "mnist" else 100
    print(protocol.description, flush=True)
    print(f"SiGAH arguments besides the defaults: {args.sigah_params}", flush=True)

    def show(record: dict) -> None:
        print(f"  {record['method']:>6} {record['bits']:>3} bits seed {record['seed']}: "
              f"P@100 {record['precision_at_100']:.4f}  mAP(PR area) {record['map_pr_area']:.4f}  "
              f"mAP {record['map']:.4f}  fit {record['fit_seconds']:.1f} s", flush=True)

    records = run_grid(
        protocol, methods, args.bits, repeats=args.seeds, seed=0, k=k,
        params={"sigah": {**json.loads(args.sigah_params), "progress": False}}, progress=False, on_record=show,
    )
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    records.to_csv(args.out, index=False)
    print()
    print(format_summary(records).to_string(index=False))
    print()
    if args.data != "mnist":
        return 0
    paper = paper_table2()
    paper = paper[paper["method"].str.lower().isin([m.lower() for m in methods])]
    print("paper, Table 2 (MNIST):")
    print(paper.pivot_table(index="method", columns=["metric", "bits"], values="value").to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
