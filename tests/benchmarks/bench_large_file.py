"""Peak memory and time of a GIST1M-sized run (1,000,000 × 960 float32) on one machine.

Writes a RANDOM base file (i.i.d. Gaussian, named ``random_1000000x960_base.fvecs``: it is not
GIST1M) and 1,000 random queries into a scratch folder, then measures, stage by stage, the wall
time and the peak resident memory (``VmHWM``, reset between stages through ``/proc/self/clear_refs``):

1. loading the base (memory-mapped) and the queries, and the protocol (training sample ``--n-train``);
2. the exact ground truth (faiss candidates per database chunk, float64 re-ranking);
3. per method (LSH, ITQ, SiGAH): fit on the training sample, encode the base in batches, score.

The files are deleted at the end unless ``--keep``. Run it alone: it loads the machine for minutes.

    python tests/benchmarks/bench_large_file.py --dir /tmp/sigah-large --n-train 100000 --sigah-epochs 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import numpy as np


def write_random_fvecs(path: Path, n: int, dim: int, seed: int, rows: int = 50_000) -> None:
    """i.i.d. N(0, 1) float32 vectors in .fvecs records, written a block at a time."""
    rng = np.random.default_rng(seed)
    header = np.int32(dim).tobytes()
    with open(path, "wb") as fh:
        for start in range(0, n, rows):
            block = rng.standard_normal((min(rows, n - start), dim), dtype=np.float32)
            records = np.empty((block.shape[0], dim + 1), dtype=np.float32)
            records[:, 0] = np.frombuffer(header, dtype=np.float32)[0]
            records[:, 1:] = block
            fh.write(records.tobytes())


def peak_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6
    return float("nan")


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


class Stage:
    """Times a block and reports its peak resident memory."""

    peaks: list[float] = []

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Stage:
        reset_peak()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        seconds = time.perf_counter() - self.start
        Stage.peaks.append(peak_gb())
        print(f"{self.name:<34} {seconds:9.1f} s   peak RSS {peak_gb():6.2f} GB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="/tmp/sigah-large", help="scratch folder for the random files")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=960)
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=1000)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--n-train", type=int, default=100_000)
    parser.add_argument("--sigah-epochs", type=int, default=3)
    parser.add_argument("--methods", default="lsh,itq,sigah")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and OpenMP threads")
    parser.add_argument("--keep", action="store_true", help="keep the random files")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    import faiss  # noqa: F401  (loaded so that its OpenMP pool is limited too)
    from sigah.data import load_dataset, make_protocol
    from sigah.studies.experiments import encode_batched
    from sigah.groundtruth import euclidean_ground_truth
    from sigah.hashers import make_hasher
    from sigah.metrics import evaluate_codes
    from sigah.studies.timing import hardware_summary

    threadpool_limits(limits=args.threads)
    print("; ".join(f"{k}: {v}" for k, v in hardware_summary().items()))
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"random_{args.n}x{args.dim}_base.fvecs"
    query = folder / f"random_{args.n_queries}x{args.dim}_query.fvecs"
    try:
        with Stage("write random files (not measured)"):
            write_random_fvecs(base, args.n, args.dim, seed=0)
            write_random_fvecs(query, args.n_queries, args.dim, seed=1)
        print(f"{base}: {base.stat().st_size / 1e9:.2f} GB")
        with Stage("load (memory-mapped) + protocol"):
            data = load_dataset(base, queries=query)
            protocol = make_protocol(data, n_train=args.n_train)
        print(protocol.description)
        with Stage(f"exact ground truth, k = {args.k}"):
            gt = euclidean_ground_truth(protocol.queries, protocol.database, k=args.k, progress=True)
        # exactly --sigah-epochs passes: without min_steps = 0 a short run would be raised to 5,000 steps
        params = {"sigah": {"epochs": args.sigah_epochs, "min_steps": 0, "progress": False}}
        for method in args.methods.split(","):
            hasher = make_hasher(method, args.bits, seed=0, **params.get(method, {}))
            with Stage(f"{method}: fit on {protocol.n_train:,}"):
                hasher.fit(protocol.train)
            with Stage(f"{method}: encode {protocol.n_database:,} + queries"):
                db_codes = encode_batched(hasher, protocol.database)
                q_codes = hasher.encode(protocol.queries)
            with Stage(f"{method}: score (Hamming, all metrics)"):
                scores = evaluate_codes(q_codes, db_codes, gt)
            print(f"  {method} {args.bits} bits: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
        # the stages reset the kernel's high-water mark, so the run's peak is the largest stage peak
        print(f"whole run: peak RSS {max(Stage.peaks[1:]):.2f} GB (the random files' writing excluded)")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
            print(f"deleted {folder}")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
