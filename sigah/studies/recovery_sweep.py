"""Recovery through a sparse generator against basis pursuit: the sweep of chapter *Compressed sensing*.

Only the computation lives here, so that the key of its stored result (:mod:`sigah.stored_results`)
names this code and :mod:`sigah.cs`, not the sentences that report it (:mod:`sigah.studies.recovery`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sigah import cs

__all__ = ["BP_ERR", "GEN_ERR", "generator_recovery"]

#: the two recoveries' error columns
BP_ERR, GEN_ERR = "basis pursuit (sparsity only)", "through the generator"


def generator_recovery(latent_dim: int, sparse_dim: int, active_fraction: float, n_generated: int,
                       measurements: Sequence[int], n_restarts: int, seed: int) -> pd.DataFrame:
    """Recovery of signals of a sparse ReLU generator from ``p`` Gaussian measurements, both ways.

    ``n_generated`` signals ``s = G(z)`` of :func:`sigah.cs.sparse_relu_generator` (an all-zero draw
    dropped); for each ``p`` of ``measurements`` a fresh Gaussian ``A`` (p × ``sparse_dim``), then
    basis pursuit on ``y = A s`` (sparsity only) and the latent search :func:`sigah.cs.recover_latent`
    through ``G`` (``n_restarts`` per round, 300 steps).

    Parameters
    ----------
    latent_dim, sparse_dim : int
        The generator's input and output sizes.
    active_fraction : float
        Expected share of non-zero outputs.
    n_generated : int
    measurements : sequence of int
    n_restarts : int
    seed : int
        Seed of the generator (the latents and the matrices draw from a stream of their own).

    Returns
    -------
    pandas.DataFrame
        One row per (p, signal): ``p``, ``signal``, ``non-zeros``, both relative errors, the
        search's ``relative residual`` and ``restarts used``.
    """
    rng = np.random.default_rng([seed, 1])
    G = cs.sparse_relu_generator(latent_dim, sparse_dim, active_fraction=active_fraction, seed=seed)
    S = G(rng.standard_normal((n_generated, latent_dim))).T  # (sparse_dim, n_generated)
    S = S[:, np.linalg.norm(S, axis=0) > 0]  # drop an (unlikely) all-zero draw
    nnz = np.count_nonzero(S, axis=0)
    rows = []
    for p in measurements:
        A = cs.gaussian_matrix(p, sparse_dim, seed=rng)
        Y = A @ S
        err_bp = cs.relative_error(cs.basis_pursuit(A, Y), S)
        for j in range(S.shape[1]):
            found = cs.recover_latent(A, Y[:, j], G, n_restarts=n_restarts, n_steps=300, seed=rng)
            rows.append({"p": int(p), "signal": j, "non-zeros": int(nnz[j]), BP_ERR: float(err_bp[j]),
                         GEN_ERR: float(cs.relative_error(G(found.z), S[:, j])),
                         "relative residual": float(found.relative_residual),
                         "restarts used": int(found.n_restarts_used)})
    return pd.DataFrame(rows)
