"""Compressed-sensing tools behind the theory chapters (SiGAH Sec. 3.2).

- :mod:`sigah.cs.measurements`: Gaussian measurement matrices with the text's scalings,
  matrices with orthonormal rows, sparse test signals, Gaussianity checks (Eqs. 4-6);
- :mod:`sigah.cs.sparse`: Lasso by ISTA/FISTA, orthogonal matching pursuit, phase transitions;
- :mod:`sigah.cs.l1`: exact basis pursuit (HiGHS) and the statistical dimension of the ℓ1 descent
  cone, where its phase transition sits (Amelunxen et al. 2014);
- :mod:`sigah.cs.generative`: recovery through a generative model (Bora et al. 2017);
- :mod:`sigah.cs.bounds`: the terms of Theorem 1 and of SiGAH's Eqs. 7-12.
"""

from sigah.cs.bounds import (
    THEOREM1_CONSTANTS,
    all_sign_vectors,
    best_code,
    discrete_bound_rhs,
    hamming_distance,
    hamming_vs_squared_distance,
    lipschitz_ratios,
    reconstruction_bound_rhs,
    sgn,
    theorem1_rhs,
)
from sigah.cs.generative import (
    LatentRecovery,
    fit_latents,
    generator_from_weights,
    polish_latents,
    recover_latent,
    relu_generator,
    sparse_relu_generator,
)
from sigah.cs.l1 import basis_pursuit, l1_statistical_dimension
from sigah.cs.measurements import (
    column_covariance,
    gaussian_matrix,
    gaussianity_summary,
    measure,
    orthonormal_rows,
    row_ks_pvalues,
    sparse_vectors,
)
from sigah.cs.sparse import (
    debias,
    lasso_fista,
    lasso_ista,
    omp,
    phase_transition,
    recovery_success,
    relative_error,
    soft_threshold,
)

__all__ = [
    "THEOREM1_CONSTANTS", "all_sign_vectors", "best_code", "discrete_bound_rhs", "hamming_distance",
    "hamming_vs_squared_distance", "lipschitz_ratios", "reconstruction_bound_rhs", "sgn", "theorem1_rhs",
    "LatentRecovery", "fit_latents", "generator_from_weights", "polish_latents", "recover_latent", "relu_generator",
    "sparse_relu_generator", "basis_pursuit", "l1_statistical_dimension",
    "column_covariance", "gaussian_matrix", "gaussianity_summary", "measure", "orthonormal_rows", "row_ks_pvalues",
    "sparse_vectors",
    "debias", "lasso_fista", "lasso_ista", "omp", "phase_transition", "recovery_success", "relative_error",
    "soft_threshold",
]
