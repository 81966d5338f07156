r"""One statistics for every stated difference: paired comparisons over seeds and queries.

Every retrieval score in the book is a mean over a **sample of queries** of a model trained with
one **seed**. Both are random: another seed gives another model, another query sample another
mean. A difference between two variants (or methods) is therefore uncertain for two reasons, and
its interval must include both.

Data
----
Scores of one variant come as an array ``x`` of shape ``(S, Q)``: ``x[s, q]`` is the score of
query ``q`` under the model of seed ``s`` (per-query AP, P@N, ...; see
:func:`sigah.metrics.evaluate_codes` with ``per_query=True``). Two variants are compared
**paired**: the same seeds and the same queries, so the analysis works on the differences
``d[s, q] = a[s, q] − b[s, q]``. When only seed-level scores exist, an array of shape ``(S,)``
is accepted and the comparison is the paired *t* test over seeds on ``S − 1`` degrees of freedom
(:func:`scipy.stats.ttest_rel`).

The variance of the mean difference
-----------------------------------
The queries are the same for every seed (the protocol fixes them), so seeds and queries are
*crossed*. Model ``d[s, q] = μ + u_s + v_q + e_sq`` with independent seed effects
(variance :math:`σ_s^2`), query effects (:math:`σ_q^2`) and seed × query interaction
(:math:`σ_e^2`). The mean :math:`\bar d` over the grid has

.. math::

   \operatorname{Var}\bar d = \frac{σ_s^2}{S} + \frac{σ_q^2}{Q} + \frac{σ_e^2}{SQ},

estimated without bias from the two-way analysis-of-variance mean squares

.. math::

   M_s = \frac{Q}{S-1}\sum_s(\bar d_{s\cdot}-\bar d)^2,\quad
   M_q = \frac{S}{Q-1}\sum_q(\bar d_{\cdot q}-\bar d)^2,\quad
   M_e = \frac{\sum_{s,q}(d_{sq}-\bar d_{s\cdot}-\bar d_{\cdot q}+\bar d)^2}{(S-1)(Q-1)},

   \widehat{\operatorname{Var}}\,\bar d = \frac{M_s + M_q - M_e}{SQ}

(because :math:`E M_s = σ_e^2 + Qσ_s^2`, :math:`E M_q = σ_e^2 + Sσ_q^2`, :math:`E M_e = σ_e^2`),
floored at :math:`M_e/(SQ)`, the interaction's share, which no design can avoid. The interval
and the test use Student's *t* with Welch–Satterthwaite degrees of freedom

.. math::

   ν = \frac{(M_s^{+} + M_q)^2}{(M_s^{+})^2/(S-1) + M_q^2/(Q-1)},\qquad
   M_s^{+} = M_s\,\frac{S-1}{χ^2_{0.05,\,S-1}},

where the seed mean square enters at its one-sided 95 % upper confidence bound. With a handful
of seeds :math:`M_s` rests on ``S − 1`` degrees of freedom and often comes out small by chance;
the plain Satterthwaite ν then jumps to the query count exactly when the standard error is too
small, and the test rejects a true null about twice as often as it should at the 1 % level. The
bound keeps ν near ``S − 1`` unless the query term clearly dominates (the tests simulate the
null and check the rate). With one query (or seed-level values) this is exactly the paired
*t* test over seeds; with one seed, the paired *t* test over queries (and the interval then says
nothing about another seed: the sentence helpers name the design). This is the analytic
counterpart of the two-way ("pigeonhole") bootstrap that resamples seeds and queries together;
the tests check the mean squares against a complete enumeration of that bootstrap.

When each repeat draws its **own** query sample (``queries="redrawn"``), the seed means are
independent and each already carries both sources: the variance is that of the ``S`` seed means
over ``S``, on ``S − 1`` degrees of freedom.

Power
-----
The **minimum detectable effect** (MDE) is the true difference that the same design (the same
standard error and degrees of freedom) detects with probability ``power`` (80 %) in a two-sided
test at the comparison's level: the solution ``δ`` of

.. math::

   P(|T_{ν,\,δ/\mathrm{se}}| > t_{1-α/2,\,ν}) = 0.8,

:math:`T_{ν,λ}` noncentral *t*. It is exact for the *t* test over seeds (or over the queries
of one seed) given the true standard error; a comparison reports it at its *estimated* standard
error and degrees of freedom, so with a handful of seeds the MDE is itself uncertain. A difference
smaller than the MDE that the test does not detect is **inconclusive**: absence of evidence, not
evidence of absence.

Families
--------
Comparisons shown together (one table) are corrected together. ``method="holm"`` (the default)
takes Holm's step-down decisions (adjusted p-values below ``α``). Each interval is at the level
Holm tested it at, so that "the interval excludes zero" and "Holm rejects" are the same event:
a rejected comparison at rank ``j`` (of ``m``, by increasing p-value) at level
``1 − α/(m − j + 1)``; a comparison Holm does not reject at the Bonferroni level ``1 − α/m``,
never narrower than the family-wise interval (an equivalence claim rests on it).
``method="bonferroni"`` puts every interval at ``1 − α/m`` (simultaneous coverage of the whole
family); ``method="none"`` leaves each at ``1 − α``.

Verdicts
--------
``higher`` / ``lower`` when the (corrected) interval excludes zero; ``equivalent`` (within
``±δ``) only when a margin ``δ`` is stated and the interval lies inside ``(−δ, δ)``; otherwise
``inconclusive``, reported with the MDE. Against a published number that carries no spread:
``inside our interval`` or ``outside our interval`` (and by how much). A leader is named only
when its lead over every other method is beyond the interval; otherwise the methods are
``tied``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize, stats

__all__ = [
    "ALPHA", "POWER", "VERDICTS", "METHODS", "PUBLISHED_VERDICTS",
    "Estimate", "Comparison", "Family", "PublishedComparison", "Leaders",
    "estimate_mean", "estimate_from_summary", "compare_paired", "compare_family", "compare_to_published", "find_leader",
    "holm_adjust", "bonferroni_adjust", "minimum_detectable_effect", "against_tolerance", "TOLERANCE_VERDICTS",
    "interval_against", "dkw_interval",
    "plural", "count_of", "format_signed", "format_interval", "design_phrase",
    "verdict_phrase", "comparison_sentence", "published_sentence", "leader_sentence",
    "comparison_table", "mean_pm_std",
]

#: two-sided level of every test and interval (95 % intervals)
ALPHA = 0.05
#: power at which the minimum detectable effect is stated
POWER = 0.80
#: the verdicts of a comparison
VERDICTS = ("higher", "lower", "equivalent", "inconclusive")
#: the verdicts of an interval against a stated tolerance (:func:`against_tolerance`)
TOLERANCE_VERDICTS = ("below", "above", "inconclusive")
#: family corrections
METHODS = ("holm", "bonferroni", "none")
#: the verdicts against a published number
PUBLISHED_VERDICTS = ("inside our interval", "outside our interval")

Queries = Literal["shared", "redrawn"]
Method = Literal["holm", "bonferroni", "none"]

#: one-sided level of the upper bound on the seed mean square that sets the degrees of freedom
_DF_BOUND = 0.05
_MINUS = "\u2212"  # typographic minus: same width as "+", no line break after it
_NBSP = "\u00a0"


# -- the mean of a grid and its standard error -------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """Mean of a grid of scores (or paired differences) over seeds and queries, with its spread.

    Attributes
    ----------
    mean : float
        Mean over every seed and query.
    standard_error : float
        Estimated standard deviation of ``mean`` over new seeds and new query samples.
    df : float
        Degrees of freedom of the *t* reference (Welch–Satterthwaite; ``inf`` when the standard
        error is zero).
    n_seeds : int
    n_queries : int or None
        ``None`` for seed-level values (no per-query scores).
    seed_mean_square, query_mean_square, interaction_mean_square : float
        The mean squares :math:`M_s, M_q, M_e` of the module docstring (NaN where a factor has one
        level).
    """

    mean: float
    standard_error: float
    df: float
    n_seeds: int
    n_queries: int | None
    seed_mean_square: float
    query_mean_square: float
    interaction_mean_square: float

    def interval(self, alpha: float = ALPHA) -> tuple[float, float]:
        """Two-sided ``1 − alpha`` interval ``(low, high)`` of the mean."""
        half = _t_quantile(1.0 - alpha / 2.0, self.df) * self.standard_error
        return self.mean - half, self.mean + half

    def p_value(self, null: float = 0.0) -> float:
        """Two-sided p-value of the hypothesis ``mean == null``."""
        distance = abs(self.mean - null)
        if self.standard_error == 0.0:
            return 1.0 if distance == 0.0 else 0.0
        return float(2.0 * stats.t.sf(distance / self.standard_error, self.df))


def estimate_mean(values: np.ndarray, *, queries: Queries = "shared") -> Estimate:
    """Mean of per-(seed, query) values and its standard error over seeds and queries.

    Parameters
    ----------
    values : array_like, shape (n_seeds, n_queries) or (n_seeds,)
        Scores or paired differences; a 1-D array holds one value per seed.
    queries : {"shared", "redrawn"}
        ``"shared"``: every seed scored the same queries (crossed design, module docstring);
        ``"redrawn"``: each seed had its own query sample (seed means independent).

    Returns
    -------
    Estimate

    Raises
    ------
    ValueError
        On a non-finite value, more than two dimensions, or fewer than two values.
    """
    grid, seed_level = _as_grid(values, "values")
    if queries not in ("shared", "redrawn"):
        raise ValueError(f"queries must be 'shared' or 'redrawn', got {queries!r}")
    n_seeds, n_queries = grid.shape
    mean = float(grid.mean())
    seed_means, query_means = grid.mean(axis=1), grid.mean(axis=0)
    nan = float("nan")
    ms_seed = float(n_queries * seed_means.var(ddof=1)) if n_seeds > 1 else nan
    ms_query = float(n_seeds * query_means.var(ddof=1)) if n_queries > 1 else nan
    if n_seeds > 1 and n_queries > 1:
        residual = grid - seed_means[:, None] - query_means[None, :] + mean
        ms_inter = float((residual**2).sum() / ((n_seeds - 1) * (n_queries - 1)))
    else:
        ms_inter = nan
    if queries == "redrawn" or n_queries == 1:
        if n_seeds < 2:
            raise ValueError("seed-level values (or redrawn queries) need at least two seeds, got 1")
        terms = [(ms_seed / (n_seeds * n_queries), n_seeds - 1)]
    elif n_seeds == 1:
        terms = [(ms_query / n_queries, n_queries - 1)]
    else:
        cells = n_seeds * n_queries
        variance = max((ms_seed + ms_query - ms_inter) / cells, ms_inter / cells)  # floor: the interaction
        # df: Welch–Satterthwaite with the seed mean square at its upper 95 % confidence bound, so
        # that a seed spread that came out small by chance cannot also buy many degrees of freedom
        seed_upper = ms_seed * (n_seeds - 1) / stats.chi2.ppf(_DF_BOUND, n_seeds - 1)
        df_terms = [(seed_upper / cells, n_seeds - 1), (ms_query / cells, n_queries - 1)]
        return _estimate(mean, variance, _satterthwaite(df_terms, sum(v for v, _ in df_terms)),
                         n_seeds, None if seed_level else n_queries, ms_seed, ms_query, ms_inter)
    variance = max(0.0, sum(v for v, _ in terms))
    return _estimate(mean, variance, _satterthwaite(terms, variance), n_seeds, None if seed_level else n_queries,
                     ms_seed, ms_query, ms_inter)


def _estimate(mean: float, variance: float, df: float, n_seeds: int, n_queries: int | None, ms_seed: float,
              ms_query: float, ms_inter: float) -> Estimate:
    return Estimate(
        mean=mean, standard_error=float(np.sqrt(variance)), df=df if variance > 0 else float("inf"),
        n_seeds=n_seeds, n_queries=n_queries,
        seed_mean_square=ms_seed, query_mean_square=ms_query, interaction_mean_square=ms_inter,
    )


def estimate_from_summary(mean: float, std: float, n_seeds: int) -> Estimate:
    """The seed-level :class:`Estimate` of a mean reported as mean ± sample std over ``n_seeds`` seeds.

    The same as :func:`estimate_mean` on the per-seed values (standard error ``std/√n``, ``n − 1``
    degrees of freedom), for tables that kept only the summary. It covers the seeds alone, not the
    query sample (per-query scores do: :func:`estimate_mean`).

    Parameters
    ----------
    mean : float
    std : float
        Sample standard deviation (``ddof=1``) over the seeds.
    n_seeds : int
        At least 2.

    Returns
    -------
    Estimate
    """
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, (int, np.integer)) or n_seeds < 2:
        raise ValueError(f"a spread needs at least two seeds, got n_seeds={n_seeds!r}")
    if not (np.isfinite(mean) and np.isfinite(std) and std >= 0):
        raise ValueError(f"mean and std must be finite and std non-negative, got {mean!r} and {std!r}")
    variance = float(std) ** 2 / n_seeds
    return _estimate(float(mean), variance, float(n_seeds - 1), int(n_seeds), None,
                     float(std) ** 2, float("nan"), float("nan"))


def _satterthwaite(terms: list[tuple[float, int]], variance: float) -> float:
    """Welch–Satterthwaite degrees of freedom of ``Σ v_i`` with ``v_i`` on ``df_i``."""
    denominator = sum(v * v / df for v, df in terms)
    if variance <= 0.0 or denominator <= 0.0:
        return float("inf")
    return float(variance * variance / denominator)


def _t_quantile(level: float, df: float) -> float:
    return float(stats.norm.ppf(level) if np.isinf(df) else stats.t.ppf(level, df))


def _as_grid(values: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    """``values`` as a float (S, Q) grid, and whether it was seed-level (1-D)."""
    grid = np.asarray(values, dtype=np.float64)
    if grid.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (n_seeds, n_queries) or (n_seeds,), got {grid.shape}")
    seed_level = grid.ndim == 1
    grid = grid[:, None] if seed_level else grid
    if grid.size < 2:
        raise ValueError(f"{name} needs at least two values (seeds or queries), got shape {np.shape(values)}")
    if not np.isfinite(grid).all():
        raise ValueError(f"{name} must be finite, got {int((~np.isfinite(grid)).sum())} non-finite value(s)")
    return grid, seed_level


def against_tolerance(estimate: Estimate, tolerance: float, *, alpha: float = ALPHA) -> tuple[str, float, float]:
    """Read a mean against a stated tolerance: below it, above it, or not decided.

    The two-sided ``1 − alpha`` interval of the mean is compared with ``tolerance``: **below** when
    it lies wholly below, **above** when wholly above, **inconclusive** when it contains the
    tolerance. Each decided reading is a one-sided test of the mean against the tolerance at level
    ``alpha / 2``, so a wider interval never decides more.

    Parameters
    ----------
    estimate : Estimate
        The mean and its standard error (:func:`estimate_mean`).
    tolerance : float
        The stated value, finite, in the units of the mean.
    alpha : float
        Two-sided level of the interval.

    Returns
    -------
    tuple
        ``(verdict, low, high)``: one of :data:`TOLERANCE_VERDICTS` and the interval.
    """
    _check_level(alpha, "alpha")
    low, high = estimate.interval(alpha)
    return interval_against((low, high), tolerance), float(low), float(high)


def interval_against(interval: tuple[float, float], tolerance: float) -> str:
    """Read an interval against a stated tolerance (:func:`against_tolerance`, for an interval found otherwise).

    Parameters
    ----------
    interval : (float, float)
        ``(low, high)``, ``low <= high``.
    tolerance : float
        Finite, in the interval's units.

    Returns
    -------
    str
        ``"below"`` when the whole interval lies below ``tolerance``, ``"above"`` when above, else
        ``"inconclusive"``.
    """
    if not np.isfinite(tolerance):
        raise ValueError(f"tolerance must be a finite number, got {tolerance}")
    low, high = (float(v) for v in interval)
    if not low <= high:
        raise ValueError(f"an interval needs low <= high, got ({low}, {high})")
    return "below" if high < tolerance else "above" if low > tolerance else "inconclusive"


def dkw_interval(distance: float, n: int, *, alpha: float = ALPHA) -> tuple[float, float]:
    """Interval of a Kolmogorov-Smirnov distance from a fixed distribution, by the DKW inequality.

    The empirical distribution function of ``n`` draws is within ``ε = √(ln(2/α) / 2n)`` of the
    true one everywhere with probability at least ``1 − α`` (Dvoretzky-Kiefer-Wolfowitz, with
    Massart's constant), so by the triangle inequality the true distance lies in
    ``[max(0, D − ε), D + ε]``.

    Parameters
    ----------
    distance : float
        The sample's KS distance ``D``, in [0, 1].
    n : int
        Draws behind it, at least 1.
    alpha : float

    Returns
    -------
    (low, high) : tuple of float
    """
    _check_level(alpha, "alpha")
    if not 0 <= distance <= 1:
        raise ValueError(f"a KS distance lies in [0, 1], got {distance}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    slack = float(np.sqrt(np.log(2.0 / alpha) / (2.0 * n)))
    return max(0.0, distance - slack), distance + slack


# -- power ----------------------------------------------------------------------------------------
def minimum_detectable_effect(standard_error: float, df: float, *, alpha: float = ALPHA,
                              power: float = POWER) -> float:
    """Smallest true difference a two-sided *t* test detects with probability ``power``.

    Parameters
    ----------
    standard_error : float
        Standard error of the estimated difference (non-negative).
    df : float
        Degrees of freedom of the test (``inf``: normal reference).
    alpha : float
        Two-sided level of the test, in (0, 1).
    power : float
        Probability of detection, in (alpha, 1).

    Returns
    -------
    float
        ``δ ≥ 0`` with ``P(|T_{df, δ/se}| > t_{1−α/2, df}) = power`` (noncentral *t*); 0 when the
        standard error is 0.
    """
    _check_level(alpha, "alpha")
    if not 0.0 < power < 1.0 or power <= alpha:
        raise ValueError(f"power must lie between alpha={alpha} and 1, got {power!r}")
    if not np.isfinite(standard_error) or standard_error < 0:
        raise ValueError(f"standard_error must be a finite non-negative number, got {standard_error!r}")
    if standard_error == 0.0:
        return 0.0
    critical = _t_quantile(1.0 - alpha / 2.0, df)

    def shortfall(noncentrality: float) -> float:
        if np.isinf(df):
            detected = stats.norm.sf(critical - noncentrality) + stats.norm.cdf(-critical - noncentrality)
        else:
            # the lower tail through symmetry: nct.cdf returns NaN far in its tail
            detected = stats.nct.sf(critical, df, noncentrality) + stats.nct.sf(critical, df, -noncentrality)
        return float(detected - power)

    upper = critical + _t_quantile(power, df) + 1.0
    while shortfall(upper) < 0:  # heavy tails at tiny df: widen the bracket
        upper *= 2.0
    return float(optimize.brentq(shortfall, 0.0, upper, xtol=1e-10) * standard_error)


def _check_level(alpha: float, name: str) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {alpha!r}")


# -- one comparison ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """A paired comparison of two variants: ``a − b`` over the same seeds and queries.

    Attributes
    ----------
    effect : float
        Mean paired difference ``a − b``.
    low, high : float
        Interval of the difference at level ``confidence``.
    confidence : float
        Level of the interval (0.95 alone; wider after a family correction, module docstring).
    p_value : float
        Two-sided p-value of "no difference", uncorrected.
    p_adjusted : float
        The p-value after the family correction (``p_value`` alone or with ``method="none"``).
    standard_error, df : float
        Of the effect (see :class:`Estimate`).
    n_seeds : int
    n_queries : int or None
        ``None`` for a seed-level comparison.
    mde : float
        Minimum detectable effect at ``power`` (80 %) at the interval's level.
    verdict : str
        One of :data:`VERDICTS`.
    margin : float or None
        The equivalence margin ``δ`` the caller stated.
    method : str
        Family correction, one of :data:`METHODS`.
    family_size : int
        Number of comparisons corrected together.
    alpha : float
        Family-wise two-sided level.
    """

    effect: float
    low: float
    high: float
    confidence: float
    p_value: float
    p_adjusted: float
    standard_error: float
    df: float
    n_seeds: int
    n_queries: int | None
    mde: float
    verdict: str
    margin: float | None
    method: str
    family_size: int
    alpha: float


def compare_paired(a: np.ndarray, b: np.ndarray, *, margin: float | None = None, alpha: float = ALPHA,
                   power: float = POWER, queries: Queries = "shared") -> Comparison:
    """Paired comparison of two variants scored on the same seeds and queries.

    Parameters
    ----------
    a, b : array_like, shape (n_seeds, n_queries) or (n_seeds,)
        Scores of the two variants; row ``s`` of both comes from seed ``s``, column ``q`` from
        query ``q``. 1-D: one score per seed (paired *t* test over seeds).
    margin : float, optional
        Equivalence margin ``δ > 0``: the verdict is ``equivalent`` when the interval lies in
        ``(−δ, δ)``. Without it no equivalence is ever claimed.
    alpha : float
        Two-sided level (95 % intervals by default).
    power : float
        Power at which the minimum detectable effect is stated.
    queries : {"shared", "redrawn"}
        See :func:`estimate_mean`.

    Returns
    -------
    Comparison
    """
    return compare_family([(a, b)], method="none", margin=margin, alpha=alpha, power=power,
                          queries=queries).comparisons[0]


# -- families ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """Comparisons shown together and corrected together.

    Attributes
    ----------
    labels : tuple of str
        One label per comparison (shown in tables).
    comparisons : tuple of Comparison
    method : str
        The correction, one of :data:`METHODS`.
    alpha : float
        Family-wise level.
    """

    labels: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    method: str
    alpha: float

    def __len__(self) -> int:
        return len(self.comparisons)

    def __getitem__(self, label: str) -> Comparison:
        if label not in self.labels:
            raise KeyError(f"no comparison labelled {label!r}; labels are {list(self.labels)}")
        return self.comparisons[self.labels.index(label)]

    def count(self, verdict: str) -> int:
        """How many comparisons have ``verdict`` (one of :data:`VERDICTS`)."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
        return sum(c.verdict == verdict for c in self.comparisons)


def holm_adjust(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the input order.

    ``p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))`` over the p-values sorted increasingly.

    Parameters
    ----------
    p_values : sequence of float, each in [0, 1]

    Returns
    -------
    numpy.ndarray, shape (m,)
    """
    p = _check_p_values(p_values)
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted


def bonferroni_adjust(p_values: Sequence[float]) -> np.ndarray:
    """Bonferroni-adjusted p-values ``min(1, m p)``, shape (m,)."""
    p = _check_p_values(p_values)
    return np.minimum(1.0, len(p) * p)


def _check_p_values(p_values: Sequence[float]) -> np.ndarray:
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"p_values must be a non-empty 1-D sequence, got shape {p.shape}")
    if not ((p >= 0) & (p <= 1)).all():
        raise ValueError(f"p-values must lie in [0, 1], got {p.tolist()}")
    return p


def _test_levels(p: np.ndarray, method: str, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Adjusted p-values and the two-sided level of each comparison's interval."""
    m = len(p)
    if method == "none":
        return p.copy(), np.full(m, alpha)
    if method == "bonferroni":
        return bonferroni_adjust(p), np.full(m, alpha / m)
    adjusted = holm_adjust(p)
    levels = np.full(m, alpha / m)  # not rejected: the Bonferroni level
    rank = np.empty(m, dtype=np.int64)
    rank[np.argsort(p, kind="stable")] = np.arange(m)
    rejected = adjusted < alpha
    levels[rejected] = alpha / (m - rank[rejected])  # rejected at step j: alpha / (m - j + 1)
    return adjusted, levels


def compare_family(pairs: Sequence[tuple[np.ndarray, np.ndarray]] | Mapping[str, tuple[np.ndarray, np.ndarray]],
                   *, method: Method = "holm", margin: float | Sequence[float | None] | None = None,
                   alpha: float = ALPHA, power: float = POWER, queries: Queries = "shared") -> Family:
    """Paired comparisons shown together, corrected together (Holm by default).

    Parameters
    ----------
    pairs : sequence of (a, b), or mapping label -> (a, b)
        Each ``a``, ``b`` as in :func:`compare_paired` (shapes may differ between pairs).
        Unlabelled pairs are labelled ``"1"``, ``"2"``, ...
    method : {"holm", "bonferroni", "none"}
        The correction (module docstring: which level each interval gets).
    margin : float, sequence of float or None, optional
        Equivalence margin ``δ``, one for all or one per pair.
    alpha, power, queries
        As in :func:`compare_paired`.

    Returns
    -------
    Family
    """
    _check_level(alpha, "alpha")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    labels, items = (list(pairs), list(pairs.values())) if isinstance(pairs, Mapping) else (
        [str(i + 1) for i in range(len(pairs))], list(pairs))
    if not items:
        raise ValueError("a family needs at least one comparison, got none")
    margins = _margins(margin, len(items))
    estimates = [_paired_estimate(a, b, queries, label) for label, (a, b) in zip(labels, items)]
    p = np.array([e.p_value() for e in estimates])
    adjusted, levels = _test_levels(p, method, alpha)
    comparisons = tuple(
        _comparison(e, float(pv), float(pa), float(level), delta, method, len(items), alpha, power)
        for e, pv, pa, level, delta in zip(estimates, p, adjusted, levels, margins))
    return Family(labels=tuple(str(x) for x in labels), comparisons=comparisons, method=method, alpha=alpha)


def _margins(margin: float | Sequence[float | None] | None, m: int) -> list[float | None]:
    margins = list(margin) if isinstance(margin, Sequence) else [margin] * m
    if len(margins) != m:
        raise ValueError(f"need one margin per comparison ({m}), got {len(margins)}")
    for delta in margins:
        if delta is not None and not (np.isfinite(delta) and delta > 0):
            raise ValueError(f"an equivalence margin must be a positive number, got {delta!r}")
    return margins


def _paired_estimate(a: np.ndarray, b: np.ndarray, queries: Queries, label: str) -> Estimate:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired scores of comparison {label!r} must have the same shape "
                         f"(same seeds and queries), got {a.shape} and {b.shape}")
    return estimate_mean(a - b, queries=queries)


def _comparison(e: Estimate, p: float, p_adjusted: float, level: float, margin: float | None, method: str,
                family_size: int, alpha: float, power: float) -> Comparison:
    low, high = e.interval(level)
    if low > 0:
        verdict = "higher"
    elif high < 0:
        verdict = "lower"
    elif margin is not None and -margin < low and high < margin:
        verdict = "equivalent"
    else:
        verdict = "inconclusive"
    return Comparison(
        effect=e.mean, low=low, high=high, confidence=1.0 - level, p_value=p, p_adjusted=p_adjusted,
        standard_error=e.standard_error, df=e.df, n_seeds=e.n_seeds, n_queries=e.n_queries,
        mde=minimum_detectable_effect(e.standard_error, e.df, alpha=level, power=power),
        verdict=verdict, margin=margin, method=method, family_size=family_size, alpha=alpha,
    )


# -- against a published number ------------------------------------------------------------------
@dataclass(frozen=True)
class PublishedComparison:
    """Our mean and interval beside a published number that carries no spread.

    Attributes
    ----------
    mean, low, high : float
        Our mean and its interval at level ``confidence``.
    confidence : float
    published : float
    verdict : str
        One of :data:`PUBLISHED_VERDICTS`.
    distance : float
        0 inside; otherwise ``published − high`` (positive, above) or ``published − low``
        (negative, below).
    n_seeds : int
    n_queries : int or None
    """

    mean: float
    low: float
    high: float
    confidence: float
    published: float
    verdict: str
    distance: float
    n_seeds: int
    n_queries: int | None


def compare_to_published(scores: np.ndarray | Estimate, published: float, *, alpha: float = ALPHA,
                         family_size: int = 1, queries: Queries = "shared") -> PublishedComparison:
    """Is a published number inside the interval of our mean?

    Parameters
    ----------
    scores : array_like of shape (n_seeds, n_queries) or (n_seeds,), or Estimate
        Our scores of the cell (or their :class:`Estimate`, e.g. :func:`estimate_from_summary`).
    published : float
        The paper's number (no spread).
    alpha : float
        Two-sided level.
    family_size : int
        Cells shown together: the interval is at the Bonferroni level ``1 − alpha/family_size``.
    queries : {"shared", "redrawn"}

    Returns
    -------
    PublishedComparison
    """
    _check_level(alpha, "alpha")
    if not np.isfinite(published):
        raise ValueError(f"published must be a finite number, got {published!r}")
    if isinstance(family_size, bool) or not isinstance(family_size, (int, np.integer)) or family_size < 1:
        raise ValueError(f"family_size must be a positive integer, got {family_size!r}")
    e = scores if isinstance(scores, Estimate) else estimate_mean(scores, queries=queries)
    level = alpha / family_size
    low, high = e.interval(level)
    published = float(published)
    distance = published - high if published > high else (published - low if published < low else 0.0)
    return PublishedComparison(
        mean=e.mean, low=low, high=high, confidence=1.0 - level, published=published,
        verdict=PUBLISHED_VERDICTS[0] if distance == 0.0 else PUBLISHED_VERDICTS[1], distance=distance,
        n_seeds=e.n_seeds, n_queries=e.n_queries,
    )


# -- leaders -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Leaders:
    """Who leads, if anyone: the best mean, compared paired with every other method.

    Attributes
    ----------
    leader : str or None
        The method with the best mean, when its lead over every other is beyond the interval
        (Holm over those comparisons); otherwise None.
    tied : tuple of str
        The best method and those the comparisons cannot separate from it, best mean first
        (one name when there is a leader).
    means : dict
        ``{method: mean score}``.
    comparisons : Family
        Best method minus each other one, labelled by the other's name.
    """

    leader: str | None
    tied: tuple[str, ...]
    means: dict[str, float]
    comparisons: Family


def find_leader(scores: Mapping[str, np.ndarray], *, higher_is_better: bool = True, alpha: float = ALPHA,
                method: Method = "holm", queries: Queries = "shared") -> Leaders:
    """Name the leading method only when its lead is beyond the interval; otherwise "tied".

    Parameters
    ----------
    scores : mapping name -> array_like, shape (n_seeds, n_queries) or (n_seeds,)
        Every method's scores on the same seeds and queries (at least two methods).
    higher_is_better : bool
        Direction of the score.
    alpha, method, queries
        As in :func:`compare_family` (the family is best-vs-each-other).

    Returns
    -------
    Leaders
    """
    if len(scores) < 2:
        raise ValueError(f"a leader needs at least two methods, got {list(scores)}")
    means = {name: float(np.mean(np.asarray(values, dtype=np.float64))) for name, values in scores.items()}
    sign = 1.0 if higher_is_better else -1.0
    ranked = sorted(means, key=lambda name: -sign * means[name])
    best = ranked[0]
    pairs = {name: (sign * np.asarray(scores[best], np.float64), sign * np.asarray(scores[name], np.float64))
             for name in ranked[1:]}
    family = compare_family(pairs, method=method, alpha=alpha, queries=queries)
    separated = {name for name, c in zip(family.labels, family.comparisons) if c.verdict == "higher"}
    tied = tuple(name for name in ranked if name not in separated)
    return Leaders(leader=best if len(tied) == 1 else None, tied=tied, means=means, comparisons=family)


# -- words -------------------------------------------------------------------------------------
def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``"1 seed"``, ``"2 seeds"``, ``"1,000 queries"`` (``plural_form`` for irregular nouns)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"a count must be a non-negative integer, got {n!r}")
    word = noun if n == 1 else (plural_form or _plural_of(noun))
    return f"{int(n):,} {word}"


#: nouns the spelling rules below would get wrong ("ch" said as "k", Latin plurals)
_IRREGULAR = {"epoch": "epochs", "matrix": "matrices", "index": "indices"}


def _plural_of(noun: str) -> str:
    last = noun.split()[-1] if noun.split() else noun
    if last in _IRREGULAR:  # "training epoch" -> "training epochs"
        return noun[: len(noun) - len(last)] + _IRREGULAR[last]
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def count_of(k: int, n: int, noun: str, plural_form: str | None = None) -> str:
    """``"1 of 1 cell"``, ``"0 of 3 cells"``: the noun agrees with the total ``n``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"k must be an integer between 0 and n={n}, got {k!r}")
    return f"{int(k):,} of {plural(n, noun, plural_form)}"


def format_signed(value: float, digits: int = 3) -> str:
    """``+0.012``, ``−0.012`` (typographic minus); ``0.000`` when it rounds to zero."""
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0.0:
        return text
    return ("+" if value > 0 else _MINUS) + text


def format_interval(low: float, high: float, digits: int = 3) -> str:
    """``"+0.004 to +0.020"``, or one number when both ends print the same (``"+0.002 exactly"``)."""
    a, b = format_signed(low, digits), format_signed(high, digits)
    return f"{a} exactly" if a == b else f"{a} to {b}"


def design_phrase(n_seeds: int, n_queries: int | None) -> str:
    """``"3 seeds × 100 queries"``, ``"1 seed × 100 queries"``, ``"3 seeds"`` (seed level)."""
    seeds = plural(n_seeds, "seed")
    return seeds if n_queries is None else f"{seeds}{_NBSP}×{_NBSP}{plural(n_queries, 'query')}"


def _percent(confidence: float) -> str:
    text = f"{100 * confidence:.1f}".rstrip("0").rstrip(".")
    return f"{text}{_NBSP}%"


def verdict_phrase(c: Comparison, digits: int = 3) -> str:
    """The verdict in words: ``higher``, ``lower``, ``equivalent within ±0.010``, or
    ``inconclusive (the design detects 0.012)``."""
    if c.verdict == "equivalent":
        return f"equivalent within ±{c.margin:.{digits}f}"
    if c.verdict == "inconclusive":
        return f"inconclusive (the design detects {c.mde:.{digits}f})"
    return c.verdict


def _one_seed_note(n_seeds: int) -> str:
    return "; with one seed the interval covers the query sample, not another seed" if n_seeds == 1 else ""


def _correction_phrase(c: Comparison) -> str:
    if c.method == "none" or c.family_size == 1:
        return ""
    name = {"holm": "Holm", "bonferroni": "Bonferroni"}[c.method]
    return f", {name}-corrected over {plural(c.family_size, 'comparison')}"


def comparison_sentence(c: Comparison, *, subject: str, reference: str, metric: str = "mAP",
                        digits: int = 3) -> str:
    """One sentence stating a paired comparison, its interval, design and verdict.

    Examples: "SiGAH's mAP is higher than ITQ's by 0.012 (95 % interval +0.004 to +0.020,
    3 seeds × 100 queries)." / "The difference in mAP between A and B, +0.004 (95 % interval
    −0.003 to +0.011, 3 seeds × 100 queries), is inconclusive: the design detects 0.012 or more
    80 % of the time."
    """
    where = (f"{_percent(c.confidence)} interval {format_interval(c.low, c.high, digits)}, "
             f"{design_phrase(c.n_seeds, c.n_queries)}{_one_seed_note(c.n_seeds)}{_correction_phrase(c)}")
    effect = format_signed(c.effect, digits)
    if c.verdict in ("higher", "lower"):
        # the verdict word carries the sign: "lower by 0.225", never "lower by −0.225"
        return f"{subject}'s {metric} is {c.verdict} than {reference}'s by {abs(c.effect):.{digits}f} ({where})."
    if c.verdict == "equivalent":
        return (f"{subject} and {reference} are equivalent in {metric} within ±{c.margin:.{digits}f}: "
                f"the difference is {effect} ({where}).")
    return (f"The difference in {metric} between {subject} and {reference}, {effect} ({where}), is "
            f"inconclusive: the design detects a difference of {c.mde:.{digits}f} or more "
            f"{_percent(POWER)} of the time.")


def published_sentence(r: PublishedComparison, *, what: str, digits: int = 3) -> str:
    """One sentence: the paper's number inside or outside our interval, and by how much."""
    where = (f"our mean {r.mean:.{digits}f}, {_percent(r.confidence)} interval "
             f"{r.low:.{digits}f} to {r.high:.{digits}f}, {design_phrase(r.n_seeds, r.n_queries)}")
    if r.low == r.high or f"{r.low:.{digits}f}" == f"{r.high:.{digits}f}":
        where = f"our mean {r.mean:.{digits}f} with no spread over {design_phrase(r.n_seeds, r.n_queries)}"
    if r.verdict == PUBLISHED_VERDICTS[0]:
        return f"The paper's {what}, {r.published:.{digits}f}, lies inside our interval ({where})."
    side = "above" if r.distance > 0 else "below"
    return (f"The paper's {what}, {r.published:.{digits}f}, lies {abs(r.distance):.{digits}f} {side} "
            f"our interval ({where}).")


def leader_sentence(leaders: Leaders, *, metric: str = "mAP", digits: int = 3) -> str:
    """``"ITQ leads in mAP (0.512)."`` or ``"ITQ and SiGAH are tied in mAP (0.512 and 0.509)."``"""
    if leaders.leader is not None:
        return f"{leaders.leader} leads in {metric} ({leaders.means[leaders.leader]:.{digits}f})."
    names = _join(list(leaders.tied))
    values = _join([f"{leaders.means[n]:.{digits}f}" for n in leaders.tied])
    return f"{names} are tied in {metric} ({values})."


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" and {words[-1]}"


# -- tables ----------------------------------------------------------------------------------------
def mean_pm_std(mean: float, std: float | None, digits: int = 3) -> str:
    """``"0.512 ± 0.004"`` with non-breaking spaces around ``±`` (a table cell never wraps);
    just the mean when the spread is missing (NaN or None: one seed)."""
    if std is None or not np.isfinite(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f}{_NBSP}±{_NBSP}{std:.{digits}f}"


def comparison_table(family: Family, *, digits: int = 3):
    """A family of comparisons as a display table, one row per comparison.

    Parameters
    ----------
    family : Family
    digits : int
        Decimals of effects, intervals and MDEs.

    Returns
    -------
    pandas.DataFrame
        Columns ``comparison``, ``effect``, ``interval`` (with its level), ``p`` (corrected, the
        method in the header), ``verdict`` (:func:`verdict_phrase`), ``detectable`` (the MDE at
        80 % power), ``design``; strings ready for HTML.
    """
    import pandas as pd

    p_header = "p" if family.method == "none" else f"p ({family.method.capitalize()})"
    rows = [{
        "comparison": label,
        "effect": format_signed(c.effect, digits),
        "interval": f"{format_interval(c.low, c.high, digits)} ({_percent(c.confidence)})",
        p_header: _format_p(c.p_adjusted),
        "verdict": verdict_phrase(c, digits),
        "detectable": f"{c.mde:.{digits}f}",
        "design": design_phrase(c.n_seeds, c.n_queries),
    } for label, c in zip(family.labels, family.comparisons)]
    return pd.DataFrame(rows, columns=["comparison", "effect", "interval", p_header, "verdict", "detectable",
                                       "design"])


def _format_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"
