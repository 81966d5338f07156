"""The tables and sentences of chapter *Deep features*: label-based retrieval (the paper's Tables 6-7).

The chapter runs the hashers on pixels and on CNN features (:mod:`sigah.studies.semantic`,
:func:`sigah.studies.experiments.run_grid`) and calls one function here per table or stated result.
Every difference it states goes through :mod:`sigah.stats`: the methods are compared paired over
the seeds they share (the queries are the same for every seed), a family shown together is
corrected together (Holm), and a method is named the leader only when its lead is beyond the
interval; otherwise the methods are tied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats

__all__ = [
    "chance_sentence", "cnn_table", "cnn_sentence", "label_summary", "table6", "paper_table6",
    "table6_verdicts", "feature_gains", "gains_sentence", "table7_table", "trend_sentence",
    "ranking_agreement", "agreement_sentence",
]

#: the rows of the paper's Table 6 that the chapter runs (the others are quoted)
RUN_HERE = ("ITQ-CNN", "SpH-CNN", "SGH", "SiGAH(D)", "SiGAH (GIST input)")
#: the linear hashers SiGAH is held against in Table 6
RIVALS = ("itq", "sph", "sgh")


def _label(method: str) -> str:
    from sigah.studies.plotting import method_label

    return method_label(method)


def chance_sentence(description: str, n_train: int, label_k: int, chance: float) -> str:
    """The run's protocol and the label mAP of a random ranking, the floor of every method."""
    return (f"**This run:** {description}; hashers trained on {n_train:,} points. A random ranking scores "
            f"label mAP@{label_k:,} = **{chance:.3f}**, the floor every method below is held against.")


def cnn_table(feature_sets: Mapping[str, Any], layers: Mapping[str, str]) -> Any:
    """The trained networks: layers, weights, feature dimension, test accuracy, training time.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    frame = pd.DataFrame([
        {"network": n, "layers": layers[n], "weights": f.n_parameters, "feature dim": f.dim,
         "test accuracy": f.test_accuracy, "training s": f.train_seconds} for n, f in feature_sets.items()])
    return frame.style.hide(axis="index").format(
        {"test accuracy": "{:.4f}", "training s": "{:.0f}", "weights": "{:,}"})


def cnn_sentence(n_networks: int, seconds: float, epochs: int, network: str, path: Any) -> str:
    """How long the networks took, and where the features of the Table 6 network are."""
    return (f"Training (or reading the saved features of) the {stats.plural(n_networks, 'network')} took "
            f"**{seconds:.0f} s** in this run; {stats.plural(int(epochs), 'epoch')} each. Features of "
            f"`{network}`: `{path}`.")


def label_summary(records: pd.DataFrame, label_map: str) -> pd.DataFrame:
    """Mean and std over seeds of the label and Euclidean scores, by (input, method, bits)."""
    columns = [label_map, "map_pr_area", "precision_at_100", "label_precision_at_100"]
    return records.groupby(["input", "method", "bits"], sort=False)[columns].agg(["mean", "std"])


def table6(summary: pd.DataFrame, label_map: str, label_k: int, repeats: int) -> Any:
    """Our Table 6: label mAP as mean ± std, (input, method) down, code length across.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    cells = [stats.mean_pm_std(m, s) for m, s in zip(summary[(label_map, "mean")], summary[(label_map, "std")])]
    frame = pd.DataFrame({"cell": cells}, index=summary.index).reset_index()
    frame["method"] = frame["method"].map(_label)
    wide = frame.pivot(index=["input", "method"], columns="bits", values="cell")
    return wide.style.set_caption(
        f"Label mAP@{label_k:,} on MNIST, mean ± std over {stats.plural(int(repeats), 'seed')}")


def paper_table6(paper6: pd.DataFrame) -> tuple[Any, list[str]]:
    """The paper's Table 6 with a column saying which rows are run here, and the rows quoted only.

    Returns
    -------
    table : pandas.io.formats.style.Styler
    quoted_only : list of str
    """
    quoted = paper6.pivot_table(index="method", columns=["dataset", "bits"], values="value", sort=False)
    quoted.columns = [f"{dataset} {b}" for dataset, b in quoted.columns]
    quoted.insert(0, "run here", ["yes" if m in RUN_HERE else "quoted only" for m in quoted.index])
    table = quoted.style.format("{:.3f}", na_rep="–", subset=list(quoted.columns[1:])).set_caption(
        "Paper, Table 6: label mAP@1000 (VGG16 features; SiGAH/DeepBit on GIST input)")
    return table, [m for m in quoted.index if m not in RUN_HERE]


def _seed_scores(records: pd.DataFrame, column: str, method: str, bits: int) -> np.ndarray:
    rows = records[(records["method"] == method) & (records["bits"] == bits)].sort_values("seed")
    return rows[column].to_numpy(dtype=np.float64)


def table6_verdicts(records: pd.DataFrame, label_map: str, bits: Sequence[int], chance: float,
                    paper6: pd.DataFrame, *, input_name: str,
                    scores: Mapping[tuple[str, int, int], Mapping[str, np.ndarray]] | None = None) -> str:
    """SiGAH against ITQ, SpH and SGH on one input, per code length, through :mod:`sigah.stats`.

    At each code length the leader among the four methods is named only when its lead over every
    other is beyond the (Holm-corrected) interval; SiGAH's difference from its strongest rival is
    then stated with its interval, the family of code lengths corrected together. Seeds are paired
    across methods (the same seed numbers, the same queries), and over the queries too when their
    per-query scores are given. With one seed and no per-query scores no comparison is made.

    Parameters
    ----------
    records : pandas.DataFrame
        The runs of one input: ``method``, ``bits``, ``seed`` and the ``label_map`` column.
    label_map : str
    bits : sequence of int
    chance : float
        Label mAP of a random ranking.
    paper6 : pandas.DataFrame
        ``paper_results(table=6)``: the paper's CIFAR-10 leader per code length is stated beside.
    input_name : str
    scores : mapping, optional
        ``{(method, bits, seed): {score: per-query array}}`` of :func:`~sigah.studies.experiments.run_grid`
        with ``per_query=True``.
    """
    from sigah.studies.experiments import score_grid

    n_seeds = int(records["seed"].nunique())
    seeds = sorted(records["seed"].unique())

    def grid(method: str, b: int) -> np.ndarray:
        if scores is None:
            return _seed_scores(records, label_map, method, b)
        return score_grid(scores, method, b, label_map, seeds=seeds)

    lines = []
    if n_seeds < 2 and scores is None:
        for b in bits:
            means = {m: float(_seed_scores(records, label_map, m, b).mean()) for m in ("sigah", *RIVALS)}
            best = max(means, key=means.get)
            lines.append(f"- {b} bits: the best mean on {input_name} is {_label(best)}'s ({means[best]:.3f}); "
                         "one seed, so no difference is tested.")
    else:
        pairs = {}
        for b in bits:
            by_method = {_label(m): grid(m, b) for m in ("sigah", *RIVALS)}
            leaders = stats.find_leader(by_method)
            rival = max(RIVALS, key=lambda m: by_method[_label(m)].mean())
            pairs[b] = (by_method["SiGAH"], by_method[_label(rival)], _label(rival))
            lines.append(f"- {b} bits, {input_name}: {stats.leader_sentence(leaders, metric='label mAP')}")
        family = stats.compare_family({str(b): (a, r) for b, (a, r, _) in pairs.items()})
        for b, c in zip(pairs, family.comparisons):
            sentence = stats.comparison_sentence(c, subject="SiGAH", reference=pairs[b][2], metric="label mAP")
            lines.append(f"  - {b} bits: {sentence}")
    lines.append(f"- Chance (a random ranking) is {chance:.3f}.")
    cifar = paper6[paper6["dataset"] == "CIFAR-10"].pivot(index="method", columns="bits", values="value")
    ahead = [b for b in cifar.columns
             if cifar.loc["SiGAH(D)", b] > cifar.loc[["ITQ-CNN", "SpH-CNN", "SGH"], b].max()]
    paper = (f"- The paper (CIFAR-10, no spread reported): SiGAH(D) is above ITQ-CNN, SpH-CNN and SGH at "
             f"{stats.count_of(len(ahead), len(cifar.columns), 'code length')}")
    lines.append(paper + (f" ({', '.join(map(str, ahead))} bits)." if ahead else "."))
    return "\n".join(lines)


def feature_gains(summary: pd.DataFrame, label_map: str, deep: str, pixels: str = "pixels") -> pd.DataFrame:
    """Label mAP of each method and code length on ``deep`` minus on ``pixels`` (methods as labels)."""
    means = summary[(label_map, "mean")]
    gains = (means.xs(deep, level="input") - means.xs(pixels, level="input")).unstack("bits")
    gains.index = [_label(m) for m in gains.index]
    return gains


def gains_sentence(gains: pd.DataFrame, paper6: pd.DataFrame) -> str:
    """How many (method, code length) cells CNN features raise, beside the paper's SiGAH(D) gain."""
    raised = int((gains.to_numpy() > 0).sum())
    cifar = paper6[paper6["dataset"] == "CIFAR-10"].pivot(index="method", columns="bits", values="value")
    paper_gain = cifar.loc["SiGAH(D)"] - cifar.loc["SiGAH (GIST input)"]
    return (f"CNN features raise the mean label mAP in "
            f"{stats.count_of(raised, gains.size, '(method, code length) cell')} over raw pixels. In the paper "
            "(CIFAR-10), SiGAH(D) against SiGAH on GIST input gains "
            + ", ".join(f"{stats.format_signed(g)} at {b} bits" for b, g in paper_gain.items()) + ".")


def table7_table(table7: pd.DataFrame, bits: int) -> Any:
    """Our Table 7 (SiGAH on each network's features) as a Styler, mean ± std in one cell."""
    frame = table7.assign(**{"label mAP": [stats.mean_pm_std(m, s) for m, s in zip(table7["label mAP"],
                                                                                   table7["std"])]})
    frame = frame.drop(columns=["std"])
    return frame.style.hide(axis="index").format({"test accuracy": "{:.4f}"}).set_caption(
        f"SiGAH, {bits} bits, on each network's features (label mAP, mean ± std over seeds)")


def trend_sentence(table7: pd.DataFrame, rho: float, p_value: float, n_orders: int) -> str:
    """Spearman's ρ between accuracy and label mAP and its exact permutation probability, as numbers.

    The sentence reads the direction of the ranking only: whether the deepest network's codes are
    better than each other network's beyond the noise of seeds and queries is the chapter's paired
    comparison (claim D07, :mod:`sigah.studies.deep_feature_claims`), to which it points.
    """
    best_net = table7.loc[table7["test accuracy"].idxmax(), "network"]
    best_codes = table7.loc[table7["label mAP"].idxmax(), "network"]
    text = (f"Spearman's ρ between test accuracy and label mAP over {stats.plural(len(table7), 'network')}: "
            f"**{rho:+.2f}**; a correlation at least this high arises by chance in **{p_value:.0%}** of the "
            f"{n_orders:,} orders. The most accurate network is `{best_net}`, the best codes come from "
            f"`{best_codes}`. ")
    text += ("By rank, more accurate features gave better codes here. " if rho > 0 else
             "By rank, more accurate features did not give better codes here. ")
    return text + ("Whether the deepest network's codes beat each other network's beyond the noise of seeds "
                   "and queries is the paired comparison of the claims below (D07).")


def ranking_agreement(summary: pd.DataFrame, label_map: str) -> pd.DataFrame:
    """Per (input, bits): the best method by Euclidean and by label mAP, and Kendall's τ between rankings."""
    from scipy.stats import kendalltau

    rows = []
    for (name, b), group in summary.groupby(level=["input", "bits"], sort=False):
        euclid, semantic = group[("map_pr_area", "mean")], group[(label_map, "mean")]
        rows.append({"input": name, "bits": b, "best (Euclidean mAP)": _label(euclid.idxmax()[1]),
                     "best (label mAP)": _label(semantic.idxmax()[1]),
                     "Kendall τ": kendalltau(euclid.to_numpy(), semantic.to_numpy()).statistic})
    return pd.DataFrame(rows)


def agreement_sentence(agreement: pd.DataFrame) -> str:
    """How often the two protocols name the same best mean, and the range of τ."""
    same = int((agreement["best (Euclidean mAP)"] == agreement["best (label mAP)"]).sum())
    taus = agreement["Kendall τ"]
    low, high = f"{taus.min():+.2f}", f"{taus.max():+.2f}"
    spread = f"is {low}" if low == high else f"ranges from {low} to {high} (mean {taus.mean():+.2f})"
    return (f"The two protocols give the same best mean in "
            f"**{stats.count_of(same, len(agreement), '(input, code length) cell')}**; Kendall's τ between "
            f"their rankings {spread}. These are rankings of means: which differences are beyond the seed "
            "and query noise is stated for the label protocol above.")
