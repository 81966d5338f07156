"""Sweeps of SiGAH's settings on validation splits of MNIST and SIFT10K, recorded in ``data/sigah_sweeps.csv``.

The paper's values of α, β, γ, μ, the learning rate and the number of epochs were lost in the text
extraction, so the defaults of :class:`sigah.hashers.sigah.SiGAH` are chosen here. The book's appendix
"How SiGAH's defaults were chosen" renders the CSV.

Validation splits (never the test queries of the book's protocols):

* ``mnist``: the training set of ``make_protocol(load_dataset("mnist"), n_queries=1000, seed=0)``
  (69,000 images); ``--n-train`` (20,000) of them drawn with seed 123, ``--n-val`` (500) of those as
  validation queries and the rest as database = training set; K = 300 Euclidean neighbours
  (1,000 × 19,500 / 69,000, the relevant fraction of the full protocol).
* ``siftsmall``: SIFT10K's base (10,000 vectors), ``--n-val`` of them held out as validation queries, the
  other 9,500 as database = training set; K = 100 (the shipped protocol's). The shipped query file is
  never read.

Each configuration (a JSON list of ``[label, {SiGAH arguments}]`` pairs, applied over the class
defaults) runs at every ``--bits`` with seeds ``0 .. --seeds − 1``, ITQ beside it on the same split.
Every row (stage, dataset, split, bits, seed, setting, method, metrics, fit seconds, code version) is
appended to the CSV as soon as it is measured, unless ``--no-record``; the scores of every validation
query go beside it into ``data/sigah_sweeps_scores.npz`` (:func:`sigah.studies.sweeps.scores_key`
names them), so the
appendix can pair two settings over seeds and queries. Only ``validation`` rows can be recorded:
:func:`record` refuses any other split. Seeds run in the outer loop, so a sweep stopped early leaves
complete seeds (every setting of a seed measured).

Usage::

    OPENBLAS_NUM_THREADS=1 nice -n 5 python tests/benchmarks/sweep_sigah.py --stage "5 min_steps" \
        --datasets siftsmall mnist --bits 32 64 --seeds 2 \
        --configs '[["defaults", {}], ["min_steps 2000", {"min_steps": 2000}]]'
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from sigah.data import Dataset, data_dir, load_dataset, make_protocol
from sigah.studies.experiments import evaluate_hasher
from sigah.hashers import make_hasher
from sigah.metrics import euclidean_ground_truth
from sigah.storage import atomic_save_npz, atomic_write_text
from sigah.studies.sweeps import scores_key

ROOT = Path(__file__).resolve().parents[2]
SWEEPS_FILE = data_dir() / "sigah_sweeps.csv"
SCORES_FILE = data_dir() / "sigah_sweeps_scores.npz"
#: the only split a sweep may record: queries held out of the training data, never the test queries
RECORDED_SPLIT = "validation"
#: the scores kept query by query
PER_QUERY_METRICS = ("precision_at_100", "map_pr_area", "map")
COLUMNS = [
    "stage", "dataset", "split", "bits", "seed", "n_seeds", "setting", "method", "epochs", "precision_at_100",
    "precision_at_100_std", "map_pr_area", "map_pr_area_std", "map", "map_std", "quantization_error",
    "fit_seconds", "fit_seconds_std", "code_version",
]


def validation_protocol(dataset: str, n_val: int = 500, n_train: int = 20000, seed: int = 123):
    """``(protocol, K)``: validation queries and database drawn from the training data of ``dataset``."""
    if dataset == "mnist":
        features = make_protocol(load_dataset("mnist"), n_queries=1000, seed=0).train
        rows = np.random.default_rng(seed).choice(len(features), size=min(n_train, len(features)), replace=False)
        features, k = features[rows], 300
    elif dataset == "siftsmall":
        features, k = load_dataset("siftsmall").features, 100
    else:
        raise ValueError(f"dataset must be 'mnist' or 'siftsmall', got {dataset!r}")
    subset = Dataset(name=f"{dataset}-validation", features=features, labels=None, queries=None, groundtruth=None,
                     source=f"training data of {dataset}, validation queries held out")
    return make_protocol(subset, n_queries=n_val, seed=seed), k


def code_version() -> str:
    """The commit of this checkout, with ``+dirty`` when the package has uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "sigah") else "")


def check_split(rows: list[dict]) -> None:
    """Raise ``ValueError`` unless every row was scored on the validation split."""
    for row in rows:
        if row.get("split") != RECORDED_SPLIT:
            raise ValueError(f"split must be {RECORDED_SPLIT!r} (queries held out of the training data), "
                             f"got {row.get('split')!r} for setting {row.get('setting')!r}")


@contextlib.contextmanager
def locked(path: Path):
    """Hold an exclusive lock beside ``path``, so sweeps running side by side never lose each other's rows."""
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def record(rows: list[dict], path: Path = SWEEPS_FILE) -> None:
    """Append ``rows`` to the sweeps CSV (written atomically); only validation rows are accepted."""
    check_split(rows)
    with locked(path):
        _append_rows(rows, path)


def _append_rows(rows: list[dict], path: Path) -> None:
    old = pd.read_csv(path, dtype={"seed": str}) if path.exists() else pd.DataFrame(columns=COLUMNS)
    new = pd.DataFrame(rows).reindex(columns=COLUMNS)
    frame = pd.concat([old, new], ignore_index=True)
    for column in ("bits", "n_seeds", "epochs"):  # integers, with gaps where a row has none
        frame[column] = frame[column].astype("Int64")
    atomic_write_text(path, frame.to_csv(index=False))


def record_scores(scores: dict[str, np.ndarray], path: Path = SCORES_FILE) -> None:
    """Add per-query ``scores`` (:func:`scores_key` names, float32 arrays) to the companion file, atomically."""
    with locked(path):
        old = dict(np.load(path)) if path.exists() else {}
        atomic_save_npz(path, old | {key: np.asarray(value, dtype=np.float32) for key, value in scores.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="name of the stage in the CSV")
    parser.add_argument("--configs", default='[["defaults", {}]]', help="JSON list of [label, {SiGAH arguments}]")
    parser.add_argument("--datasets", nargs="+", default=["mnist", "siftsmall"])
    parser.add_argument("--bits", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--seeds", type=int, default=1, help="seeds first-seed .. seeds-1 of every configuration")
    parser.add_argument("--first-seed", type=int, default=0, help="resume a sweep at this seed")
    parser.add_argument("--n-val", type=int, default=500)
    parser.add_argument("--n-train", type=int, default=20000, help="MNIST training subsample")
    parser.add_argument("--no-itq", action="store_true", help="skip the ITQ rows")
    parser.add_argument("--no-record", action="store_true", help="print only, do not write the CSV")
    args = parser.parse_args(argv)

    version = code_version()
    configs = [(label, kw) for label, kw in json.loads(args.configs)]
    rows = []
    for dataset in args.datasets:
        protocol, k = validation_protocol(dataset, args.n_val, args.n_train)
        groundtruth = euclidean_ground_truth(protocol.queries, protocol.database, k=k, cache_dir=None)
        print(f"{dataset}: {len(protocol.queries)} validation queries, {len(protocol.database)} database/training, "
              f"K = {k}", flush=True)
        jobs = ([] if args.no_itq else [("ITQ", "itq", {})]) + [(label, "sigah", kw) for label, kw in configs]
        for bits in args.bits:
            for seed in range(args.first_seed, args.seeds):  # outer, so a sweep stopped early leaves complete seeds
                for label, method, params in jobs:
                    extra = {"progress": False} if method == "sigah" else {}
                    hasher = make_hasher(method, bits, seed=seed, **params, **extra)
                    scores, query_scores = evaluate_hasher(hasher, protocol, groundtruth, store=None,
                                                           per_query=True)
                    history = getattr(hasher, "history_", None) or {}
                    setting = label if method == "sigah" else "ITQ"
                    rows.append({
                        "stage": args.stage, "dataset": dataset, "split": RECORDED_SPLIT, "bits": bits,
                        "seed": str(seed), "n_seeds": 1, "setting": setting, "method": method,
                        "epochs": getattr(hasher, "n_epochs_", None), "precision_at_100": scores["precision_at_100"],
                        "map_pr_area": scores["map_pr_area"], "map": scores["map"],
                        "quantization_error": (history.get("quantization_error") or [None])[-1],
                        "fit_seconds": scores["fit_seconds"], "code_version": version,
                    })
                    if not args.no_record:
                        record(rows[-1:])
                        record_scores({scores_key(args.stage, dataset, bits, setting, seed, metric): query_scores[metric]
                                       for metric in PER_QUERY_METRICS})
                    print(f"  {bits} bits {setting:<40} seed {seed}: P@100 {scores['precision_at_100']:.4f}  "
                          f"mAP(PR) {scores['map_pr_area']:.4f}  mAP {scores['map']:.4f}  "
                          f"fit {scores['fit_seconds']:.1f} s", flush=True)
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["dataset", "bits", "setting"], sort=False)[["precision_at_100", "map_pr_area", "map"]]
    print()
    print(summary.agg(["mean", "std"]).to_string(float_format="%.4f"))
    if not args.no_record:
        print(f"\n{len(rows)} rows appended to {SWEEPS_FILE}, per-query scores to {SCORES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
