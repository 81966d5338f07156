"""Timing of the compressed-sensing solvers behind the theory chapters (not collected by pytest).

Prints one row per solver and problem size: seconds per call, signals per call, and the success rate
of noiseless recovery, so a slowdown (or a solver that stops recovering) shows at a glance.

Run: ``.venv/bin/python tests/benchmarks/bench_cs.py``
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from sigah import cs


def _time(fn, repeats: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    threadpool_limits(1)
    rows = []
    for n, m, k, t in [(200, 60, 8, 40), (400, 160, 20, 40), (1000, 300, 30, 20)]:
        A = cs.gaussian_matrix(m, n, seed=0)
        X = cs.sparse_vectors(n, k, t, seed=1)
        Y = A @ X
        lam = 1e-3 * np.abs(A.T @ Y).max()
        for name, fn in [
            ("omp", lambda: cs.omp(A, Y, k)),
            ("fista+debias (1000 it)", lambda: cs.debias(A, Y, cs.lasso_fista(A, Y, lam, n_iter=1000, tol=1e-7))),
            ("ista, no refit (1000 it)", lambda: cs.lasso_ista(A, Y, lam, n_iter=1000, tol=0)),
        ]:
            seconds, est = _time(fn)
            rows.append({"solver": name, "n": n, "m": m, "k": k, "signals": t, "seconds": seconds,
                         "success rate": cs.recovery_success(est, X).mean()})
    G = cs.relu_generator(8, [64], 400, seed=0)
    A = cs.gaussian_matrix(40, 400, seed=1)
    y = A @ G(np.random.default_rng(2).standard_normal(8))
    seconds, rec = _time(lambda: cs.recover_latent(A, y, G, n_restarts=10, n_steps=300, seed=0))
    rows.append({"solver": "recover_latent (10 restarts x 300 steps)", "n": 400, "m": 40, "k": 8, "signals": 1,
                 "seconds": seconds, "success rate": float(rec.residual < 1e-4 * np.linalg.norm(y))})
    seconds, _ = _time(lambda: cs.phase_transition(100, list(range(1, 50, 4)), list(range(10, 101, 10)),
                                                   n_trials=10, solver="omp"), repeats=1)
    rows.append({"solver": "phase_transition omp (13 x 10 cells)", "n": 100, "m": None, "k": None, "signals": 10,
                 "seconds": seconds, "success rate": None})
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
