"""SiGAH's trainer against the trainer of ``main`` (or any git revision): speed and code quality, one run.

The old code is exported with ``git archive <rev> sigah`` into a temporary folder and run in a child
process whose ``PYTHONPATH`` points there; the new code runs in a child process on this checkout. The
fits alternate (old, new, old, new, ...) so that both see the same load of a shared machine. Each
child fits SiGAH with its defaults on the full MNIST protocol's training set (69,000 × 784; 1,000
queries, seed 0) and writes the codes; this process scores both with the same evaluator (K = 1000
Euclidean neighbours): Pre@100 and the PR-area mAP, and prints the fit times and their ratio.

Usage::

    OPENBLAS_NUM_THREADS=1 nice -n 5 python tests/benchmarks/bench_sigah_trainer.py [--rev main] [--bits 64]
        [--epochs 20] [--seeds 1] [--concurrent]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

# run in a child process, with the sigah package under test first on the path
CHILD = r"""
import inspect, json, sys, time
import numpy as np
from sigah.data import load_dataset, make_protocol
from sigah.hashers.sigah import SiGAH
bits, epochs, seed, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
protocol = make_protocol(load_dataset("mnist"), n_queries=1000, seed=0)
# exactly `epochs` passes: the min_steps floor (where the revision has it) would raise a short run to 5,000 steps
floor = {"min_steps": 0} if "min_steps" in inspect.signature(SiGAH).parameters else {}
model = SiGAH(n_bits=bits, seed=seed, epochs=epochs, progress=False, **floor)
start = time.perf_counter()
model.fit(protocol.train)
seconds = time.perf_counter() - start
np.savez(out, queries=model.encode(protocol.queries), database=model.encode(protocol.database))
print(json.dumps({"fit_seconds": seconds}))
"""


def export_revision(rev: str, into: Path) -> Path:
    """The ``sigah`` package of git revision ``rev``, extracted under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "sigah"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def start_child(package_root: Path, bits: int, epochs: int, seed: int, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(package_root), "TF_CPP_MIN_LOG_LEVEL": "2",
           "SIGAH_DATA_DIR": os.environ.get("SIGAH_DATA_DIR", str(ROOT / "data"))}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(bits), str(epochs), str(seed), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(ROOT))


def fit_seconds(child: subprocess.Popen) -> float:
    stdout, stderr = child.communicate()
    if child.returncode:
        raise RuntimeError(f"child fit failed:\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])["fit_seconds"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="main", help="git revision of the old trainer")
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0 .. seeds-1 of each trainer")
    parser.add_argument("--concurrent", action="store_true",
                        help="run the old and the new fit of a seed at the same time (fair on a shared machine)")
    args = parser.parse_args(argv)

    from sigah.data import load_dataset, make_protocol
    from sigah.studies.experiments import ground_truth_for
    from sigah.metrics import evaluate_codes

    protocol = make_protocol(load_dataset("mnist"), n_queries=1000, seed=0)
    groundtruth = ground_truth_for(protocol, k=1000)
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"CPU: {cpu}, {os.cpu_count()} logical cores; {protocol.description}; {args.bits} bits, "
          f"{args.epochs} epochs, old = {args.rev}, new = this checkout", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "old").mkdir()
        old_root = export_revision(args.rev, tmp / "old")
        for seed in range(args.seeds):
            trainers = (("old", old_root), ("new", ROOT))
            codes = {label: tmp / f"{label}_{seed}.npz" for label, _ in trainers}
            if args.concurrent:  # both at once: they share whatever load the machine has
                children = {label: start_child(root, args.bits, args.epochs, seed, codes[label]) for label, root in trainers}
                seconds = {label: fit_seconds(child) for label, child in children.items()}
            else:  # one after the other, old first
                seconds = {label: fit_seconds(start_child(root, args.bits, args.epochs, seed, codes[label]))
                           for label, root in trainers}
            for label, _ in trainers:
                with np.load(codes[label]) as f:
                    scores = evaluate_codes(f["queries"], f["database"], groundtruth)
                rows.append({"trainer": label, "seed": seed, "fit_seconds": seconds[label],
                             "precision_at_100": scores["precision_at_100"], "map_pr_area": scores["map_pr_area"]})
                print(f"  {label} seed {seed}: fit {seconds[label]:7.1f} s  P@100 {scores['precision_at_100']:.4f}  "
                      f"mAP(PR area) {scores['map_pr_area']:.4f}", flush=True)
    import pandas as pd

    frame = pd.DataFrame(rows)
    summary = frame.groupby("trainer")[["fit_seconds", "precision_at_100", "map_pr_area"]].agg(["mean", "std"])
    print()
    print(summary.to_string(float_format="%.4f"))
    old, new = (frame[frame["trainer"] == t]["fit_seconds"].to_numpy() for t in ("old", "new"))
    print(f"\nspeed-up old/new: {old.mean() / new.mean():.2f}x (per seed: "
          f"{', '.join(f'{o / n:.2f}' for o, n in zip(old, new))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
