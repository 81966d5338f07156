"""The tables and sentences of the chapter *The energy discriminator*, computed from its run.

The chapter trains two-dimensional energy models and EBGANs at several margins, then SiGAH on MNIST
at several adversarial weights γ. The helpers here summarise those runs: energies per model, the
EBGAN runs per margin against the equilibrium of EBGAN's Theorem 2, and SiGAH's retrieval quality
per γ, each γ compared with γ = 0 by :mod:`sigah.stats` (paired over seeds, Holm-corrected).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats
from sigah.studies.wording import Prose, html_table, join_words, plural, pm

__all__ = [
    "EBGAN_COLUMNS", "run_line", "energy_table", "margin_sentence", "ebgan_medians", "ebgan_sentence", "large_margin_sentence",
    "gamma_summary", "gamma_comparisons", "gamma_sentence", "shares_table", "share_sentence",
]

#: the per-run quantities of the EBGAN study, summarised per margin by their median
EBGAN_COLUMNS = ["energy distance", "final D(real)", "final D(synthetic)", "final L_D / μ"]
#: the SiGAH scores compared across γ
GAMMA_METRICS = ["mAP (PR area)", "Pre@100"]


def run_line(description: str, *, bits: int, epochs: int, gammas: Iterable[float], default_gamma: float,
             n_seeds: int, k: int) -> Prose:
    """The MNIST study's design in one bold-led sentence."""
    values = join_words([f"{g:g}" for g in gammas])
    return Prose(f"**This run:** {description}; SiGAH {bits} bits, {plural(epochs, 'epoch')}, γ = {values} "
                 f"(package default γ = {default_gamma:g}), {plural(n_seeds, 'seed')} each; ground truth = the "
                 f"{k:,} nearest database points.")


def energy_table(models: Mapping[str, Any], real: np.ndarray, fake: np.ndarray) -> Any:
    """Mean energy of the real and synthetic points, and the median synthetic energy, per model."""
    rows = [{"model": name, "mean D(real)": m.energy(real).mean(), "mean D(synthetic)": m.energy(fake).mean(),
             "median D(synthetic)": np.median(m.energy(fake))} for name, m in models.items()]
    return html_table(pd.DataFrame(rows), "{:.4f}")


def margin_sentence(plain: float, small: tuple[float, float], large: tuple[float, float]) -> Prose:
    """How the margin loss changed the real points' mean energy.

    Parameters
    ----------
    plain : float
        Mean real energy of the auto-encoder trained without the margin loss.
    small, large : (margin, mean real energy)
        The same with the margin loss at a small and at a large margin.
    """
    (mu_small, e_small), (mu_large, e_large) = small, large
    text = (f"The mean energy of the *real* points is {plain:.4f} for the plain auto-encoder, {e_small:.4f} with "
            f"μ = {mu_small:g} and {e_large:.4f} with μ = {mu_large:g}. ")
    ratio = e_large / plain if plain > 0 else np.inf
    if ratio > 1.5:
        text += (f"The large margin raised it {ratio:.1f}-fold: a one-unit bottleneck has limited capacity, and "
                 "the margin spends it on raising synthetic energies, so the real data are reconstructed less well.")
    elif ratio < 1 / 1.5:
        text += (f"The large margin lowered it {1 / ratio:.1f}-fold: pushing synthetic points up sharpened the "
                 "valley.")
    else:
        text += f"The large margin changed it by a factor of {ratio:.2f}, less than 1.5 either way."
    return Prose(text)


def ebgan_medians(runs: pd.DataFrame) -> pd.DataFrame:
    """Median over repeats of :data:`EBGAN_COLUMNS`, one row per margin."""
    return runs.groupby("margin")[EBGAN_COLUMNS].median()


def ebgan_sentence(runs: pd.DataFrame, seconds: float) -> Prose:
    """Which margin brought the generator closest to the data, and which runs reached EBGAN's equilibrium.

    A run is at equilibrium when its final discriminator loss is within 10 % of μ (Theorem 2 of
    EBGAN: ``L_D = μ`` there).
    """
    med = ebgan_medians(runs)
    repeats = int(runs.groupby("margin").size().min())
    best, worst = med["energy distance"].idxmin(), med["energy distance"].idxmax()
    text = (f"Over {plural(repeats, 'run')} per margin ({seconds:.0f} s in all), the generated distribution is "
            f"closest to the data (median energy distance {med.loc[best, 'energy distance']:.4f}) with "
            f"μ = {best:g}")
    text += (f", and farthest ({med.loc[worst, 'energy distance']:.4f}) with μ = {worst:g}. " if worst != best
             else ". ")
    at_eq = [mu for mu in med.index if abs(med.loc[mu, "final L_D / μ"] - 1) <= 0.1]
    if at_eq:
        levels = "; ".join(f"{med.loc[mu, 'final D(real)']:.3g} and {med.loc[mu, 'final D(synthetic)']:.3g} "
                           f"at μ = {mu:g}" for mu in at_eq)
        text += (f"The discriminator loss ends within 10 % of μ, EBGAN's equilibrium value, for μ = "
                 f"{join_words([f'{mu:g}' for mu in at_eq])}; there the final real and synthetic energies are "
                 f"{levels}. ")
    for mu in (m for m in med.index if m not in at_eq):
        cause = ("the auto-encoder cannot bring the real energies below so small a margin, so the equilibrium is "
                 "out of reach" if med.loc[mu, "final D(real)"] > mu else "not at equilibrium after this many steps")
        text += (f"For μ = {mu:g}, L_D ends at {med.loc[mu, 'final L_D / μ']:.2f}μ, with real energies at "
                 f"{med.loc[mu, 'final D(real)']:.3g}: {cause}. ")
    return Prose(text.strip())


def large_margin_sentence(runs: pd.DataFrame) -> Prose:
    """Did the largest margin leave the generator farther from the data than the smallest? Paired over
    the repeats (same seeds at every margin) by :func:`sigah.stats.compare_paired`."""
    margins = sorted(runs["margin"].unique())
    small, large = margins[0], margins[-1]

    def distances(mu: float) -> np.ndarray:
        return runs[runs["margin"] == mu].sort_values("repeat")["energy distance"].to_numpy(dtype=np.float64)

    a, b = distances(large), distances(small)
    head = (f"In this run the energy distance of the generated points to the data is {a.mean():.4f} at the "
            f"largest margin (μ = {large:g}) and {b.mean():.4f} at the smallest (μ = {small:g}), means over "
            f"{plural(len(a), 'run')}")
    if len(a) < 2:
        return Prose(head + "; with one run per margin there is no interval, so no verdict on whether a large "
                     "margin hurts the generator.")
    c = stats.compare_paired(a, b)
    sentence = stats.comparison_sentence(c, subject=f"μ = {large:g}", reference=f"μ = {small:g}",
                                         metric="energy distance", digits=4)
    return Prose(f"{head}. {sentence}")


def gamma_summary(results: pd.DataFrame) -> Any:
    """Mean ± std over seeds of every column of the γ study, one row per γ (cells that do not wrap)."""
    values = results.drop(columns=[c for c in ("seed", "from store") if c in results]).groupby("γ")
    means, stds, counts = values.mean(), values.std(), values.size()
    out = pd.DataFrame({"γ": [f"{g:g}" for g in means.index]})
    for column in means.columns:
        out[column] = [("–" if not np.isfinite(m) else pm(m, s if n > 1 else np.nan))
                       for m, s, n in zip(means[column], stds[column], counts)]
    return html_table(out)


def gamma_comparisons(results: pd.DataFrame, baseline: float = 0.0) -> stats.Family | None:
    """Every γ against ``baseline`` on the PR-area mAP and Pre@100, paired over seeds, Holm-corrected
    together; None with fewer than two seeds or no other γ."""
    gammas = [g for g in sorted(results["γ"].unique()) if g != baseline]
    if not gammas or results.groupby("γ").size().min() < 2:
        return None

    def scores(gamma: float, column: str) -> np.ndarray:
        return results[results["γ"] == gamma].sort_values("seed")[column].to_numpy(dtype=np.float64)

    pairs = {f"{column}, γ = {g:g} − γ = {baseline:g}": (scores(g, column), scores(baseline, column))
             for g in gammas for column in GAMMA_METRICS}
    return stats.compare_family(pairs)


def gamma_sentence(results: pd.DataFrame, seconds: float, baseline: float = 0.0) -> Prose:
    """One sentence per comparison of :func:`gamma_comparisons`, and what the study cost."""
    n_fits = len(results)
    family = gamma_comparisons(results, baseline)
    stored = int(results["from store"].sum()) if "from store" in results else 0
    cost = f" The {plural(n_fits, 'fit')} took {seconds:.0f} s in this run"
    if stored:
        cost += (f" ({'all' if stored == n_fits else f'{stored:,} of them'} read from the store of runs, "
                 "fitted by an earlier run)")
    cost += "."
    if family is None:
        diffs = []
        for g in sorted(set(results["γ"]) - {baseline}):
            d = (results.loc[results["γ"] == g, "mAP (PR area)"].mean()
                 - results.loc[results["γ"] == baseline, "mAP (PR area)"].mean())
            diffs.append(f"γ = {g:g} minus γ = {baseline:g}: {stats.format_signed(d, 4)}")
        return Prose(f"With one seed per γ there is no interval, so no verdict; PR-area mAP, {join_words(diffs)}."
                     + cost)
    lines = []
    for label, c in zip(family.labels, family.comparisons):
        column, gamma = label.split(", ", 1)
        lines.append("- " + stats.comparison_sentence(c, subject=gamma.split(" − ")[0],
                                                      reference=f"γ = {baseline:g}", metric=column, digits=4))
    return Prose("\n".join(lines) + "\n\n" + cost.strip())


def shares_table(shares: pd.DataFrame) -> Any:
    """:func:`sigah.sigah_model.diagnostics.loss_shares` as a table, shares in percent."""
    out = pd.DataFrame({"term": shares.index, "weight": shares["weight"].to_numpy(),
                        "unweighted value": shares["value"].to_numpy(),
                        "share of the loss": 100 * shares["loss_share"].to_numpy(),
                        "share of the gradient norm": 100 * shares["gradient_share"].to_numpy()})
    return html_table(out, {"weight": "{:g}", "unweighted value": "{:.4g}", "share of the loss": "{:.3g} %",
                            "share of the gradient norm": "{:.3g} %"})


def share_sentence(shares: pd.DataFrame, gamma: float, gamma_at_target: float | None, target: float = 0.05) -> Prose:
    """What the adversarial term weighs at ``gamma``, and where its share would reach ``target``.

    Parameters
    ----------
    shares : pandas.DataFrame
        :func:`sigah.sigah_model.diagnostics.loss_shares` of a model trained at ``gamma``.
    gamma : float
    gamma_at_target : float or None
        :func:`sigah.sigah_model.diagnostics.gamma_for_share` (None: no adversarial term).
    target : float
    """
    loss, grad = (100 * float(shares.loc["adversarial", c]) for c in ("loss_share", "gradient_share"))
    text = (f"At γ = {gamma:g} the adversarial term is {loss:.3g} % of the generator's loss and "
            f"{grad:.3g} % of the norm of its gradient (means over mini-batches of the training set, the "
            "trained networks held fixed). ")
    if gamma_at_target is not None:
        text += (f"With these networks it would make {100 * target:g} % of the loss at γ ≈ "
                 f"{gamma_at_target:.3g}, {gamma_at_target / gamma:,.0f} times the weight used here "
                 "(a model trained at that γ has other networks, so its share must be measured again). "
                 if gamma > 0 else f"With these networks it would make {100 * target:g} % of the loss at "
                 f"γ ≈ {gamma_at_target:.3g}. ")
    verdict = ("below 1 %: at this weight the discriminator can hardly move the codes"
               if max(loss, grad) < 1 else "at least 1 %: at this weight the discriminator takes part in training")
    return Prose(text + f"The larger of the two shares is {verdict}.")
