r"""Claims of the paper that its own experiments do not test: reductions, quasi-isometry, distributions.

The chapter *Claims the paper's experiments do not test* puts five statements of the paper to
the data:

* §3.5: SiGAH reduces to the binary auto-encoder (BA) and to stochastic generative hashing (SGH);
  :data:`REDUCTIONS` gives the closest settings the SiGAH class can express;
* the quasi-isometry proposition (Eq. 23): there are ``λ ≥ 1`` and ``δ ≥ 0`` with
  ``d_E/λ − δ ≤ d_H ≤ λ d_E + δ`` (:func:`quasi_isometry`, on random pairs, with the Euclidean
  distance rescaled to bits by the median ratio);
* Fig. 8: all loss weights zero is competitive; the graph regulariser (β) and the L1 term (α) help;
* §1: lower reconstruction error goes with better codes (:func:`spearman_interval`, a rank
  correlation with a bootstrap interval stratified by dataset);
* the abstract: the regenerated features follow the data's distribution (:func:`energy_distance`,
  :func:`energy_test`, and per-block statistics :func:`block_energy` that :mod:`sigah.stats`
  compares paired over seeds and blocks).

Every function is plain NumPy on arrays; the chapter fits the models through the store of runs
(:func:`run_variants`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sigah.stats import ALPHA
from sigah.studies.claims import combine_readings, reading_of

__all__ = [
    "REDUCTIONS", "ABLATIONS", "EnergyTest", "QuasiIsometry",
    "energy_distance", "energy_test", "block_energy", "random_pairs", "hamming_of_pairs",
    "quasi_isometry", "violations", "random_codes", "spearman_interval", "interval_verdict",
    "variant_settings", "run_variants",
    "distortion_study", "energy_study", "reconstruction_table", "COMPARISONS", "paired_grids",
    "study_protocol", "chapter_verdicts", "correlation_sentence", "family_sentences",
]

#: the closest settings of :class:`sigah.hashers.sigah.SiGAH` to the paper's two reductions (§3.5):
#: no discriminator, α = β = γ = 0, no balance/decorrelation term, a square measurement matrix
#: (``m = d``; A = I itself is not expressible: A is a fixed Gaussian matrix, invertible almost surely,
#: so ``A G(b)`` spans what ``G(b)`` spans), and the generator's LeakyReLU kept (the class has no
#: linear activation). BA: the relaxed codes reach the generator, as in the paper; SGH: stochastic
#: binary codes, the class's counterpart of SGH's doubly stochastic neuron.
REDUCTIONS = {
    "BA reduction": {"m_ratio": 1.0, "use_discriminator": False, "alpha": 0.0, "beta": 0.0, "gamma": 0.0,
                     "decorrelation": 0.0, "generator_input": "relaxed"},
    "SGH reduction": {"m_ratio": 1.0, "use_discriminator": False, "alpha": 0.0, "beta": 0.0, "gamma": 0.0,
                      "decorrelation": 0.0, "generator_input": "stochastic"},
}
#: the loss-weight ablations of Fig. 8 and §3.1 against the defaults
ABLATIONS = {
    "α = β = γ = 0": {"alpha": 0.0, "beta": 0.0, "gamma": 0.0},
    "β = 0": {"beta": 0.0},
    "α = 0": {"alpha": 0.0},
}

#: the paired comparisons of the reductions and the loss weights: label → (row a, row b), effect a − b,
#: and what the paper claims of it ("competitive": equivalent within the margin, or higher)
COMPARISONS = {
    "BA reduction − BA": ("SiGAH, BA reduction", "BA", "equivalent"),
    "SGH reduction − SGH": ("SiGAH, SGH reduction", "SGH", "equivalent"),
    "all weights zero − defaults": ("SiGAH, α = β = γ = 0", "SiGAH", "competitive"),
    "defaults − β = 0": ("SiGAH", "SiGAH, β = 0", "higher"),
    "defaults − α = 0": ("SiGAH", "SiGAH, α = 0", "higher"),
}


# -- two-sample energy statistics ------------------------------------------------------------------
def _distances(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    sq = (X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - 2.0 * X @ Y.T
    D = np.sqrt(np.maximum(sq, 0.0))
    if X is Y:  # the expansion leaves rounding noise where the distance is exactly zero
        np.fill_diagonal(D, 0.0)
    return D


def _as_samples(X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    X, Y = (X[:, None] if X.ndim == 1 else X), (Y[:, None] if Y.ndim == 1 else Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"two samples of the same dimension expected, got shapes {X.shape} and {Y.shape}")
    if len(X) < 2 or len(Y) < 2:
        raise ValueError(f"each sample needs at least 2 points, got {len(X)} and {len(Y)}")
    return X, Y


def energy_distance(X: Any, Y: Any, *, unbiased: bool = False) -> float:
    """Squared energy distance ``2 E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖`` between two samples.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
    Y : array_like, shape (m, d) or (m,)
    unbiased : bool
        ``False``: the V-statistic (within-sample means over all ``n²`` pairs, zeros included; its
        square root is :func:`scipy.stats.energy_distance` in one dimension). ``True``: the
        U-statistic (distinct pairs only), unbiased for the population value, which is 0 exactly
        when the two distributions are equal.

    Returns
    -------
    float
    """
    X, Y = _as_samples(X, Y)
    n, m = len(X), len(Y)
    within_x, within_y = _distances(X, X).sum(), _distances(Y, Y).sum()
    nx, ny = (n * (n - 1), m * (m - 1)) if unbiased else (n * n, m * m)
    return float(2.0 * _distances(X, Y).mean() - within_x / nx - within_y / ny)


@dataclass(frozen=True)
class EnergyTest:
    """A permutation test of equal distributions on the energy distance (V-statistic)."""

    statistic: float
    p_value: float
    n_permutations: int


def energy_test(X: Any, Y: Any, *, n_permutations: int = 199, seed: int = 0) -> EnergyTest:
    """Permutation test of ``X`` and ``Y`` coming from one distribution, on :func:`energy_distance`.

    The p-value is ``(1 + #{permuted ≥ observed}) / (1 + n_permutations)``, valid at every
    ``n_permutations`` (the observed split counts as one of the permutations).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (m, d)
    n_permutations : int
        Random relabellings of the pooled sample.
    seed : int

    Returns
    -------
    EnergyTest
    """
    X, Y = _as_samples(X, Y)
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be at least 1, got {n_permutations}")
    pooled = np.vstack([X, Y])
    D = _distances(pooled, pooled)
    n, total = len(X), len(pooled)
    rng = np.random.default_rng(seed)
    labels = np.zeros((total, n_permutations + 1))
    labels[:n, 0] = 1.0
    for b in range(1, n_permutations + 1):
        labels[rng.permutation(total)[:n], b] = 1.0
    stats = _split_statistics(D, labels, n, total - n)
    p = (1.0 + np.sum(stats[1:] >= stats[0] - 1e-12)) / (1.0 + n_permutations)
    return EnergyTest(statistic=float(stats[0]), p_value=float(p), n_permutations=int(n_permutations))


def _split_statistics(D: np.ndarray, labels: np.ndarray, n: int, m: int) -> np.ndarray:
    """The V-statistic energy distance of every split (a column of 0/1 ``labels``, 1 = first sample)."""
    other = 1.0 - labels
    DZ = D @ labels
    within_x = (labels * DZ).sum(0)
    between = (other * DZ).sum(0)
    within_y = (other * (D @ other)).sum(0)
    return 2.0 * between / (n * m) - within_x / (n * n) - within_y / (m * m)


def block_energy(X: Any, Y: Any, n_blocks: int) -> np.ndarray:
    """Unbiased energy distances of ``n_blocks`` disjoint blocks: row ``i`` of ``X`` against row ``i`` of ``Y``.

    Blocks of consecutive rows; the same blocks for every method make the per-block values a paired
    design (the "queries" axis of :mod:`sigah.stats`).

    Returns
    -------
    numpy.ndarray, shape (n_blocks,)
    """
    X, Y = _as_samples(X, Y)
    if len(X) != len(Y) or not 1 <= n_blocks <= len(X) // 2:
        raise ValueError(f"two samples of equal size with at least 2 rows a block expected, got {len(X)} "
                         f"and {len(Y)} rows for {n_blocks} blocks")
    edges = np.linspace(0, len(X), n_blocks + 1).astype(int)
    return np.array([energy_distance(X[a:b], Y[a:b], unbiased=True) for a, b in zip(edges[:-1], edges[1:])])


# -- Euclidean against Hamming distances --------------------------------------------------------------
def random_pairs(n: int, n_pairs: int, seed: int = 0) -> np.ndarray:
    """``n_pairs`` random pairs of distinct rows of ``n``, shape (n_pairs, 2)."""
    if n < 2 or n_pairs < 1:
        raise ValueError(f"need at least 2 rows and 1 pair, got n={n}, n_pairs={n_pairs}")
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, n_pairs)
    j = (i + rng.integers(1, n, n_pairs)) % n  # never i itself
    return np.stack([i, j], axis=1)


def hamming_of_pairs(codes: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Hamming distances of packed codes (uint8, shape (n, bits/8)) at ``pairs``, shape (n_pairs,)."""
    codes = np.asarray(codes, dtype=np.uint8)
    return np.unpackbits(codes[pairs[:, 0]] ^ codes[pairs[:, 1]], axis=1).sum(1).astype(np.float64)


def random_codes(n: int, n_bits: int, seed: int = 0) -> np.ndarray:
    """Codes drawn uniformly, independent of the data: the trivial encoder. Shape (n, n_bits/8), uint8."""
    return np.random.default_rng(seed).integers(0, 256, (n, n_bits // 8), dtype=np.uint8)


@dataclass(frozen=True)
class QuasiIsometry:
    """Eq. 23 measured on pairs: the scale that puts Euclidean distances in bits, and ``δ`` per ``λ``.

    ``delta[λ]`` is the smallest ``δ`` with ``c d_E/λ − δ ≤ d_H ≤ λ c d_E + δ`` on every pair.
    """

    scale: float
    delta: dict[float, float]
    spearman: float


def violations(d_euclid: Any, d_hamming: Any, scale: float, lam: float) -> np.ndarray:
    """Per pair, the additive slack Eq. 23 needs at ``λ``: ``max(0, c d_E/λ − d_H, d_H − λ c d_E)``."""
    if lam < 1:
        raise ValueError(f"λ must be at least 1, got {lam}")
    e = scale * np.asarray(d_euclid, dtype=np.float64)
    h = np.asarray(d_hamming, dtype=np.float64)
    return np.maximum(0.0, np.maximum(e / lam - h, h - lam * e))


def quasi_isometry(d_euclid: Any, d_hamming: Any, lambdas: Sequence[float] = (1.5, 2.0, 4.0)) -> QuasiIsometry:
    """The constants of Eq. 23 on sampled pairs, Euclidean distances rescaled by the median ratio.

    Parameters
    ----------
    d_euclid, d_hamming : array_like, shape (n_pairs,)
    lambdas : sequence of float, each ≥ 1

    Returns
    -------
    QuasiIsometry
    """
    from scipy.stats import spearmanr

    e, h = np.asarray(d_euclid, dtype=np.float64), np.asarray(d_hamming, dtype=np.float64)
    if e.shape != h.shape or e.ndim != 1 or e.size < 3 or (e < 0).any():
        raise ValueError(f"two equal 1-d arrays of at least 3 non-negative distances expected, got {e.shape}, {h.shape}")
    positive = e > 0
    scale = float(np.median(h[positive] / e[positive])) if positive.any() else 1.0
    delta = {float(lam): float(violations(e, h, scale, lam).max()) for lam in lambdas}
    rho = spearmanr(e, h).statistic if np.ptp(h) > 0 else 0.0
    return QuasiIsometry(scale=scale, delta=delta, spearman=float(rho))


# -- rank correlation with a bootstrap interval ----------------------------------------------------------
def spearman_interval(x: Any, y: Any, strata: Any = None, *, n_boot: int = 2000, seed: int = 0,
                      alpha: float = ALPHA) -> tuple[float, float, float]:
    """Spearman's rank correlation of ``x`` and ``y``, averaged over strata, with a bootstrap interval.

    Each stratum (a dataset) is resampled on its own (a stratified percentile bootstrap), so that a
    correlation is never made of the difference between datasets.

    Parameters
    ----------
    x, y : array_like, shape (n,)
    strata : array_like, shape (n,), optional
        A label per unit; default one stratum.
    n_boot : int
    seed : int
    alpha : float
        Two-sided level of the interval.

    Returns
    -------
    rho, low, high : float
    """
    from scipy.stats import spearmanr

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    strata = np.zeros(len(x)) if strata is None else np.asarray(strata)
    if x.shape != y.shape or x.ndim != 1 or strata.shape != x.shape:
        raise ValueError(f"x, y and strata must be equal 1-d arrays, got {x.shape}, {y.shape}, {strata.shape}")
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    if any(len(g) < 3 for g in groups):
        raise ValueError(f"every stratum needs at least 3 units, got sizes {[len(g) for g in groups]}")

    def rho(index_sets: list[np.ndarray]) -> float:
        values = [spearmanr(x[g], y[g]).statistic for g in index_sets]
        return float(np.nanmean(values)) if not np.all(np.isnan(values)) else 0.0

    rng = np.random.default_rng(seed)
    boots = np.array([rho([rng.choice(g, len(g)) for g in groups]) for _ in range(n_boot)])
    low, high = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return rho(groups), float(low), float(high)


# -- verdicts ------------------------------------------------------------------------------------------
def interval_verdict(effect: float, low: float, high: float, *, expects: str, n: int,
                     measured: Mapping[str, Any] | None = None, what: str = "",
                     alpha: float = ALPHA) -> dict[str, Any]:
    """A claimed sign of an effect read from its interval: held, not held (opposite sign), or inconclusive.

    ``expects`` is ``"negative"`` or ``"positive"``. The smallest detectable effect is computed as
    :mod:`sigah.stats` computes it for a paired comparison
    (:func:`~sigah.stats.minimum_detectable_effect`, power :data:`~sigah.stats.POWER`), from the
    standard error the interval implies under a normal reference: its half-width over
    ``z_{1−α/2}``. For a correlation it may exceed 1: no effect the design could see.

    Parameters
    ----------
    effect, low, high : float
        The estimate and its two-sided ``1 − alpha`` interval (``low <= high``).
    expects : {"negative", "positive"}
    n : int
        Units behind the estimate.
    measured : mapping, optional
    what : str
        What the estimate is, first in the note.
    alpha : float
        The level of the interval.

    Returns
    -------
    dict
        Keyword arguments of :func:`sigah.studies.claims.record_verdict` after the claim id.
    """
    from scipy.stats import norm

    from sigah.stats import POWER, minimum_detectable_effect

    if expects not in ("negative", "positive"):
        raise ValueError(f"expects must be 'negative' or 'positive', got {expects!r}")
    if not low <= high:
        raise ValueError(f"the interval must have low <= high, got [{low!r}, {high!r}]")
    sign = -1 if expects == "negative" else 1
    if (sign < 0 and high < 0) or (sign > 0 and low > 0):
        verdict = "held"
    elif (sign < 0 and low > 0) or (sign > 0 and high < 0):
        verdict = "not held"
    else:
        verdict = "inconclusive"
    standard_error = (high - low) / 2 / float(norm.ppf(1 - alpha / 2))
    detectable = minimum_detectable_effect(standard_error, float("inf"), alpha=alpha, power=POWER)
    return dict(verdict=verdict, effect=effect, interval=(low, high), n=int(n),
                smallest_detectable=float(detectable), measured=dict(measured or {}),
                note=f"{what}: {effect:+.3f}, interval [{low:+.3f}, {high:+.3f}]; the paper claims it {expects}")


# -- the fits --------------------------------------------------------------------------------------
def variant_settings(params: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every row the chapter fits: name → (method, constructor arguments).

    ``params`` is :func:`sigah.studies.retrieval.method_params` with the chapter's schedules: every
    SiGAH row (the reductions and ablations included) shares SiGAH's settings, the baselines run with
    theirs.

    Parameters
    ----------
    params : mapping
        ``{method: {argument: value}}``.

    Returns
    -------
    dict
        ``{row name: (registry name, constructor arguments)}``.
    """
    sigah = dict(params.get("sigah", {}))
    rows = {"LSH": ("lsh", {}), "BA": ("ba", dict(params.get("ba", {}))),
            "SGH": ("sgh", dict(params.get("sgh", {}))), "SiGAH": ("sigah", sigah)}
    rows |= {f"SiGAH, {name}": ("sigah", sigah | settings) for name, settings in REDUCTIONS.items()}
    rows |= {f"SiGAH, {name}": ("sigah", sigah | settings) for name, settings in ABLATIONS.items()}
    return rows


def run_variants(protocol: Any, rows: Mapping[str, tuple[str, Mapping[str, Any]]], bits: int, *,
                 repeats: int, seed: int, k: int) -> tuple[Any, dict, dict]:
    """Fit (or read from the store) every row at ``bits`` over ``repeats`` seeds, with per-query scores.

    Returns
    -------
    records : pandas.DataFrame
        :func:`sigah.studies.experiments.run_grid`'s records, ``method`` set to the row name.
    models : dict
        ``{(row, seed): fitted hasher}``.
    scores : dict
        ``{(row, bits, seed): {metric: array (n_queries,)}}`` (:func:`~sigah.studies.experiments.score_grid`).
    """
    import pandas as pd

    from sigah.studies.experiments import run_grid

    frames, models, scores = [], {}, {}
    for name, (method, params) in rows.items():
        records, fitted, per_query = run_grid(protocol, [method], [bits], repeats=repeats, seed=seed, k=k,
                                              params={method: dict(params)}, progress=False,
                                              return_models=True, per_query=True)
        frames.append(records.assign(method=name))
        models.update({(name, s): model for (_, _, s), model in fitted.items()})
        scores.update({(name, b, s): values for (_, b, s), values in per_query.items()})
    return pd.concat(frames, ignore_index=True), models, scores


# -- measurements of fitted models ------------------------------------------------------------------
def distortion_study(X: np.ndarray, models: Mapping[tuple[str, int], Any], rows: Sequence[str],
                     seeds: Sequence[int], *, n_bits: int, n_pairs: int, lam: float = 1.0,
                     lambdas: Sequence[float] = (1.0, 1.5, 2.0, 4.0), seed: int = 0) -> tuple[Any, dict]:
    """Eq. 23 on ``n_pairs`` random pairs of ``X`` for every fitted row, and for random codes.

    Returns
    -------
    table : pandas.DataFrame
        One row per (row, seed): the scale ``c``, ``δ/k`` at each ``λ``, Spearman's ρ of the two distances.
    slack : dict
        row → array (n_seeds, n_pairs): each pair's slack at ``lam`` in bits over ``k`` (the paired
        grid of :mod:`sigah.stats`; the same pairs for every row and seed).
    """
    import pandas as pd

    X = np.asarray(X, dtype=np.float64)
    pairs = random_pairs(len(X), n_pairs, seed)
    d_euclid = np.linalg.norm(X[pairs[:, 0]] - X[pairs[:, 1]], axis=1)
    used = np.unique(pairs)
    local = np.searchsorted(used, pairs)
    records, slack = [], {}
    for name in [*rows, "random codes"]:
        grid = []
        for s in seeds:
            codes = (random_codes(len(used), n_bits, seed=1000 + int(s)) if name == "random codes"
                     else models[(name, s)].encode(X[used].astype(np.float32)))
            d_hamming = hamming_of_pairs(codes, local)
            qi = quasi_isometry(d_euclid, d_hamming, lambdas)
            records.append({"row": name, "seed": int(s), "scale c": qi.scale, "Spearman ρ": qi.spearman,
                            **{f"δ/k at λ = {lam_:g}": d / n_bits for lam_, d in qi.delta.items()}})
            grid.append(violations(d_euclid, d_hamming, qi.scale, lam) / n_bits)
        slack[name] = np.stack(grid)
    return pd.DataFrame.from_records(records), slack


def energy_study(train: np.ndarray, X: np.ndarray, models: Mapping[tuple[str, int], Any], rows: Sequence[str],
                 seeds: Sequence[int], *, n_points: int, n_blocks: int, n_permutations: int = 199,
                 seed: int = 0) -> tuple[Any, dict]:
    """Real against regenerated features, for each decoding row and two trivial generators.

    ``2 n_points`` rows of ``X`` are drawn: the first half is the real sample, the second half is
    encoded and decoded (:func:`sigah.studies.reconstruction.reconstruct_from_codes`). The trivial
    rows need no codes: a Gaussian fitted to ``train`` (mean and covariance), and the training mean.

    Every sample is divided by the root mean square distance of the training vectors from their
    mean before the statistics are computed: the energy distance scales with the features, and this
    makes it a number without units, comparable across datasets.

    Returns
    -------
    table : pandas.DataFrame
        One row per (row, seed): the energy distance (V-statistic) and its permutation p-value.
    blocks : dict
        row → array (n_seeds, n_blocks) of unbiased per-block energy distances (paired over blocks).
    """
    import pandas as pd

    from sigah.studies.reconstruction import reconstruct_from_codes

    rng = np.random.default_rng(seed)
    X, train = np.asarray(X, dtype=np.float32), np.asarray(train, dtype=np.float64)
    if 2 * n_points > len(X):
        raise ValueError(f"n_points = {n_points} needs {2 * n_points} rows, got {len(X)}")
    chosen = rng.choice(len(X), 2 * n_points, replace=False)
    real, source = X[chosen[:n_points]], X[chosen[n_points:]]
    mean, cov = train.mean(0), np.cov(train, rowvar=False)
    unit = float(np.sqrt(np.mean(np.sum((train - mean) ** 2, axis=1)))) or 1.0
    real = real / unit
    records, blocks = [], {}
    for name in [*rows, "Gaussian fit", "training mean"]:
        grid = []
        for s in seeds:
            if name == "Gaussian fit":
                fake = np.random.default_rng(2000 + int(s)).multivariate_normal(mean, cov, n_points,
                                                                                method="eigh")
            elif name == "training mean":
                fake = np.repeat(mean[None, :], n_points, axis=0)
            else:
                fake = reconstruct_from_codes(models[(name, s)], source)
            fake = np.asarray(fake, dtype=np.float64) / unit
            test = energy_test(real, fake, n_permutations=n_permutations, seed=int(s))
            records.append({"row": name, "seed": int(s), "energy distance": test.statistic,
                            "permutation p": test.p_value})
            grid.append(block_energy(real, fake, n_blocks))
        blocks[name] = np.stack(grid)
    return pd.DataFrame.from_records(records), blocks


def reconstruction_table(protocol: Any, models: Mapping[tuple[str, int], Any], rows: Sequence[str],
                         seeds: Sequence[int], scores: Mapping, *, bits: int,
                         metric: str = "map_pr_area") -> Any:
    """Relative reconstruction error of the queries and the retrieval score, per decoding row and seed.

    The error is :func:`sigah.studies.reconstruction.relative_error` against the training mean
    (1: no better than predicting the mean).
    """
    import pandas as pd

    from sigah.studies.reconstruction import reconstruct_from_codes, relative_error

    reference = np.asarray(protocol.train, dtype=np.float64).mean(0)
    records = []
    for name in rows:
        for s in seeds:
            X_hat = reconstruct_from_codes(models[(name, s)], protocol.queries)
            records.append({"row": name, "seed": int(s),
                            "reconstruction error": relative_error(protocol.queries, X_hat, reference),
                            metric: float(np.mean(scores[(name, bits, s)][metric]))})
    return pd.DataFrame.from_records(records)


# -- protocols, paired grids and claim readings ---------------------------------------------------------
def study_protocol(name: str, *, n_queries: int, n_database: int | None, n_train: int | None, k: int,
                   seed: int) -> tuple[Any, int, list[str]]:
    """The split of a shipped dataset (or a file) as chapter *Retrieval quality* makes it.

    Returns
    -------
    protocol : sigah.data.Protocol
    k : int
        The number of true neighbours, lowered to the database size if needed.
    notes : list of str
        One sentence per count the data could not supply.
    """
    from sigah.data import load_dataset, make_protocol
    from sigah.studies.sizes import cap_sizes

    data = load_dataset(name)
    sizes, notes = cap_sizes(data, n_queries=n_queries, n_database=n_database, n_train=n_train, k=k)
    protocol = make_protocol(data, n_queries=sizes["n_queries"], seed=seed, n_database=sizes["n_database"],
                             n_train=sizes["n_train"])
    return protocol, int(sizes["k"]), notes


def paired_grids(scores: Mapping, *, bits: int, seeds: Sequence[int], prefix: str = "",
                 metric: str = "map_pr_area") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The (seeds × queries) grids of every pair of :data:`COMPARISONS`, labelled ``prefix + label``."""
    from sigah.studies.experiments import score_grid

    return {prefix + label: (score_grid(scores, a, bits, metric, seeds), score_grid(scores, b, bits, metric, seeds))
            for label, (a, b, _) in COMPARISONS.items()}


def chapter_verdicts(family: Any, slack_family: Any, energy_family: Any, rho: Sequence[float],
                     rho_energy: Sequence[float], *, datasets: Sequence[str], n_models: int) -> dict[str, dict]:
    """The chapter's verdict on each claim it tests, as :func:`sigah.studies.claims.record_verdict` arguments.

    Parameters
    ----------
    family : sigah.stats.Family
        The comparisons of :data:`COMPARISONS`, labelled ``"<dataset>: <label>"``.
    slack_family : sigah.stats.Family
        ``"<dataset>: SiGAH − random codes"`` (and others): mean Eq. 23 slack per pair.
    energy_family : sigah.stats.Family
        ``"<dataset>: SiGAH − BA"`` and ``"… − SGH"``: per-block energy distances.
    rho, rho_energy : (rho, low, high)
        Rank correlations of reconstruction error with mAP and with the energy distance.
    datasets : sequence of str
    n_models : int
        Models behind the rank correlations.

    Returns
    -------
    dict
        Claim id → keyword arguments of ``record_verdict`` after the id.
    """
    def over_datasets(label: str, expects: str, note: str) -> dict:
        return combine_readings({ds: reading_of(family[f"{ds}: {label}"], expects, note="") for ds in datasets},
                                note=note)

    out = {
        "T15": over_datasets("BA reduction − BA", "equivalent",
                             "PR-area mAP of the closest expressible reduction minus the BA of chapter "
                             "*The baselines*; held when equivalent "
                             f"within ±{family.comparisons[0].margin:g} on every dataset"),
        "T16": over_datasets("SGH reduction − SGH", "equivalent",
                             "PR-area mAP of the closest expressible reduction minus the SGH of chapter "
                             "*The baselines*; held when equivalent "
                             f"within ±{family.comparisons[0].margin:g} on every dataset"),
        "A08": over_datasets("all weights zero − defaults", "competitive",
                             "PR-area mAP with α = β = γ = 0 minus the defaults'; held when equivalent within the "
                             "margin or higher on every dataset"),
        "A10": over_datasets("defaults − β = 0", "higher",
                             "PR-area mAP of the defaults minus β = 0; held when higher on every dataset"),
        "A12": over_datasets("defaults − α = 0", "higher",
                             "PR-area mAP of the defaults minus α = 0; held when higher on every dataset"),
    }
    out["T17"] = combine_readings(
        {ds: reading_of(slack_family[f"{ds}: SiGAH − random codes"], "lower", note="") for ds in datasets},
        note="mean Eq. 23 slack per random pair at λ = 1, |c d_E − d_H| / k, SiGAH minus random codes; held when lower "
             "on every dataset (the proposition gives no constants: any encoder satisfies it with δ = k)")
    out["C09"] = combine_readings(
        {f"{ds} vs {other}": reading_of(energy_family[f"{ds}: SiGAH − {other}"], "lower", note="")
         for ds in datasets for other in ("BA", "SGH")},
        note="energy distance of real and regenerated features per block, SiGAH minus BA and minus SGH; held when "
             "lower against both on every dataset")
    out["C01"] = interval_verdict(*rho, expects="negative", n=n_models,
                                  what="Spearman ρ of reconstruction error and PR-area mAP (mean over datasets)")
    out["C07"] = interval_verdict(*rho_energy, expects="positive", n=n_models,
                                  what="Spearman ρ of reconstruction error and energy distance (mean over datasets)")
    return out


# -- sentences --------------------------------------------------------------------------------------
def correlation_sentence(rho: Sequence[float], x: str, y: str, n_models: int) -> str:
    """One sentence stating a rank correlation averaged over datasets, with its bootstrap interval."""
    from sigah.stats import format_interval, format_signed

    value, low, high = rho
    return (f"Spearman's ρ between {x} and {y}, averaged over the datasets: **{format_signed(value)}** "
            f"(95 % bootstrap interval {format_interval(low, high)}, {n_models} models).")


def family_sentences(family: Any, *, metric: str) -> str:
    """One :func:`sigah.stats.comparison_sentence` per comparison labelled ``"<dataset>: <a> − <b>"``."""
    from sigah.stats import comparison_sentence

    sentences = []
    for label, comparison in zip(family.labels, family.comparisons):
        dataset, _, difference = label.partition(": ")
        subject, _, reference = difference.partition(" − ")
        if not reference:
            raise ValueError(f"a label '<dataset>: <a> − <b>' expected, got {label!r}")
        sentences.append(comparison_sentence(comparison, subject=subject, reference=reference,
                                             metric=f"{metric} on {dataset}"))
    return " ".join(sentences)
