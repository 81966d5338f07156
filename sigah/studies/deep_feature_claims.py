"""The verdicts of chapter *Deep features* on the paper's claims of §5.6 (Tables 6 and 7).

The paper's data (CIFAR-10 and ImageNet-100 with VGG16 features, six ImageNet networks) are not
shipped; the chapter's stand-ins are MNIST pixels (the hand-crafted input) and the features of
four small CNNs trained on MNIST. Every rule is a comparison of :mod:`sigah.stats` on label mAP,
paired over the seeds and the test queries (the same queries for every input and network):

* D03, "deep features significantly improve retrieval": SiGAH on CNN features minus SiGAH on
  pixels, per code length, Holm over the code lengths; held when higher at every length;
* D04, "an average mAP gain of about 11.54 % over the second best": SiGAH's relative gain over
  its strongest rival (ITQ, SpH, SGH on the same features), averaged over the code lengths
  (:func:`relative_gain_grids`); held when the gain is positive, the paper's 11.54 % set beside
  our interval;
* D07, "the deepest network gives the best codes": SiGAH on the deepest network's features minus
  each other network, Holm; held when higher than every one;
* D09, the ITQ-CNN row of Table 6: each published cell inside our interval
  (:func:`sigah.stats.compare_to_published`), on the paper's data only.

:func:`chapter_verdicts` returns, per claim id, the keyword arguments of
:func:`sigah.studies.claims.record_verdict`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats

__all__ = ["PAPER_GAIN", "PAPER_DATASETS", "RIVALS", "NETWORK_DEPTH", "deepest_network",
           "relative_gain_grids", "best_of_all_verdict", "chapter_verdicts"]

#: the average relative mAP gain over the second-best method that §5.6 states for SiGAH(D)
PAPER_GAIN = 0.1154
#: the datasets of the paper's Table 6, each a set of columns
PAPER_DATASETS = ("CIFAR-10", "ImageNet-100")
#: the methods run beside SiGAH on the same features
RIVALS = ("itq", "sph", "sgh")
#: weighted layers (convolutions and dense layers, softmax excluded) of the chapter's networks
#: (:data:`sigah.studies.features.NETWORKS`): the stand-ins of the paper's shallow and deep CNNs
NETWORK_DEPTH = {"tiny": 2, "lenet5": 4, "wide": 3, "resnet": 14}

Grids = Mapping[tuple[str, int], np.ndarray]


def deepest_network(names: Sequence[str]) -> str:
    """The deepest of the given networks by :data:`NETWORK_DEPTH` (an unknown name counts 0)."""
    if not names:
        raise ValueError("deepest_network needs at least one network name")
    return max(names, key=lambda name: NETWORK_DEPTH.get(name, 0))


def relative_gain_grids(ours: Mapping[int, np.ndarray], rival: Mapping[int, np.ndarray]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Both methods' scores divided by the rival's mean at each code length, averaged over lengths.

    The paired difference of the two returned grids has mean ``avg_b (mean a_b / mean r_b) − 1``:
    the relative gain averaged over code lengths, as the paper states it, on which
    :func:`sigah.stats.compare_paired` gives an interval (the rival's means are taken as fixed).

    Parameters
    ----------
    ours, rival : mapping of int to numpy.ndarray
        Code length → scores, shape (n_seeds, n_queries), paired (same seeds, same queries).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Shape (n_seeds, n_queries) each.
    """
    if not ours or set(ours) != set(rival):
        raise ValueError(f"the same code lengths expected for both methods, got {sorted(ours)} and {sorted(rival)}")
    scale = {b: float(np.mean(rival[b])) for b in ours}
    if any(value <= 0 for value in scale.values()):
        raise ValueError(f"the rival's mean score must be positive at every code length, got {scale}")
    a = np.mean([np.asarray(ours[b], np.float64) / scale[b] for b in ours], axis=0)
    r = np.mean([np.asarray(rival[b], np.float64) / scale[b] for b in ours], axis=0)
    return a, r


def best_of_all_verdict(family: stats.Family, *, what: str) -> dict[str, Any]:
    """"X is best": every comparison ``X − other`` of ``family`` must be higher.

    Not held when any is decided lower (or equivalent, against the claimed difference),
    inconclusive otherwise with the largest minimum detectable effect. The effect and interval
    are those of the closest comparison (the smallest effect).
    """
    verdicts = [c.verdict for c in family.comparisons]
    verdict = ("held" if all(v == "higher" for v in verdicts) else
               "not held" if any(v in ("lower", "equivalent") for v in verdicts) else "inconclusive")
    closest = min(family.comparisons, key=lambda c: c.effect)
    measured = {label: f"{c.verdict}: {c.effect:+.4f} [{c.low:+.4f}, {c.high:+.4f}]"
                for label, c in zip(family.labels, family.comparisons)}
    found = ", ".join(f"{verdicts.count(w)} {w}" for w in ("higher", "lower", "equivalent", "inconclusive")
                      if verdicts.count(w))
    return dict(verdict=verdict, effect=closest.effect, interval=(closest.low, closest.high),
                n=closest.n_seeds, smallest_detectable=max(c.mde for c in family.comparisons),
                measured={"queries": closest.n_queries, "family": f"{family.method}, {len(family)}", **measured},
                note=f"{what}: {found} of {stats.plural(len(family), 'comparison')}")


def _feature_gain(grids: Mapping[str, Grids], bits: Sequence[int], deep: str, pixels: str | None) -> dict[str, Any]:
    if pixels is None:
        return dict(verdict="not testable", note=(
            "the run has no hand-crafted input beside the features (a reader's feature files), so the gain "
            "of deep features over it cannot be measured"))
    family = stats.compare_family({f"{b} bits": (grids[deep][("sigah", b)], grids[pixels][("sigah", b)])
                                   for b in bits})
    out = best_of_all_verdict(family, what=(
        f"label mAP of SiGAH on {deep} minus on {pixels}, paired over seeds and queries, Holm over the code "
        "lengths; held when higher at every length"))
    out["note"] += "; the paper's CIFAR-10 VGG16 features and GIST input are not shipped (MNIST stand-in)"
    return out


def _relative_gain(grids: Grids, bits: Sequence[int], deep: str) -> dict[str, Any]:
    from sigah.studies.claims import comparison_verdict
    from sigah.studies.plotting import method_label

    means = {m: float(np.mean([np.mean(grids[(m, b)]) for b in bits])) for m in RIVALS}
    rival = max(means, key=means.get)
    a, r = relative_gain_grids({b: grids[("sigah", b)] for b in bits}, {b: grids[(rival, b)] for b in bits})
    comparison = stats.compare_paired(a, r)
    inside = comparison.low <= PAPER_GAIN <= comparison.high
    out = comparison_verdict(comparison, expects="higher", measured={
        "second best": method_label(rival), "gain": comparison.effect, "paper's gain": PAPER_GAIN,
        "paper's gain inside our interval": inside,
        **{f"{method_label(m)} mean label mAP": v for m, v in means.items()}})
    out["note"] = (f"SiGAH's label mAP on {deep} relative to the best of ITQ, SpH and SGH ({method_label(rival)}), "
                   f"averaged over {stats.plural(len(bits), 'code length')}, paired over seeds and queries: "
                   f"{comparison.effect:+.1%}, {comparison.verdict}; held when higher, the paper's +11.54 % "
                   f"(over deep hashing networks not run here) {'inside' if inside else 'outside'} our interval")
    return out


def _deeper_network(network_grids: Mapping[str, np.ndarray], table7_bits: int) -> dict[str, Any]:
    if len(network_grids) < 2:
        return dict(verdict="not testable", note=(
            "the run has the features of fewer than two networks (the paper's ImageNet networks on CIFAR-10 "
            "are not shipped)"))
    deepest = deepest_network(list(network_grids))
    family = stats.compare_family({f"{deepest} − {other}": (network_grids[deepest], grid)
                                   for other, grid in network_grids.items() if other != deepest})
    out = best_of_all_verdict(family, what=(
        f"label mAP of SiGAH at {table7_bits} bits on the deepest network's features ({deepest}, standing in for "
        "ResNet152) minus each other network's, paired over seeds and queries, Holm; held when higher than all"))
    out["measured"]["depth (weighted layers)"] = {n: NETWORK_DEPTH.get(n) for n in network_grids}
    out["note"] += "; the paper's ImageNet-trained networks (ResNet152 and the others) are not shipped"
    return out


def _itq_row(grids: Grids, bits: Sequence[int], paper6: pd.DataFrame, paper_dataset: str | None) -> dict[str, Any]:
    itq = {b: float(np.mean(grids[("itq", b)])) for b in bits if ("itq", b) in grids}
    measured = {f"ITQ label mAP, {b} bits": v for b, v in itq.items()}
    if paper_dataset is None:
        return dict(verdict="not testable", measured=measured, note=(
            "the row is on CIFAR-10 and ImageNet-100 VGG16 features, not shipped; measured holds ITQ on the "
            "stand-in features (set features_path and features_paper_dataset to test it)"))
    if paper_dataset not in PAPER_DATASETS:
        raise ValueError(f"features_paper_dataset must be one of {PAPER_DATASETS} or None, got {paper_dataset!r}")
    row = paper6[(paper6["method"] == "ITQ-CNN") & (paper6["dataset"] == paper_dataset)]
    published = {int(b): float(v) for b, v in zip(row["bits"], row["value"]) if ("itq", int(b)) in grids}
    if not published:
        return dict(verdict="not testable", measured=measured, note=(
            f"the run has none of the code lengths of the paper's {paper_dataset} columns"))
    cells = {b: stats.compare_to_published(grids[("itq", b)], v, family_size=len(published))
             for b, v in published.items()}
    inside = sum(c.verdict == stats.PUBLISHED_VERDICTS[0] for c in cells.values())
    for b, c in cells.items():
        measured[f"{b} bits"] = f"paper {c.published:.3f}, ours {c.mean:.3f} [{c.low:.3f}, {c.high:.3f}]"
    measured["cells inside"] = f"{inside} of {len(cells)}"
    first = next(iter(cells.values()))
    return dict(verdict="held" if inside == len(cells) else "not held", effect=first.mean,
                interval=(first.low, first.high), n=first.n_seeds, measured=measured, note=(
                    f"ITQ's label mAP on the {paper_dataset} features against the paper's ITQ-CNN cells "
                    f"(Bonferroni over {len(cells)}); held when every cell is inside our interval: {inside} "
                    f"of {len(cells)}"))


def chapter_verdicts(grids: Mapping[str, Grids], network_grids: Mapping[str, np.ndarray], *,
                     bits: Sequence[int], deep: str, pixels: str | None, paper6: pd.DataFrame,
                     paper_dataset: str | None = None, table7_bits: int = 64) -> dict[str, dict[str, Any]]:
    """The chapter's verdict on each claim it tests, as ``record_verdict`` keyword arguments.

    Parameters
    ----------
    grids : mapping
        Input name → ``{(method, bits): label mAP per query, shape (n_seeds, n_queries)}`` for
        ``sigah`` and :data:`RIVALS` (every input on the same seeds and queries).
    network_grids : mapping
        Network name → SiGAH's label mAP per query at ``table7_bits``, shape (n_seeds, n_queries).
    bits : sequence of int
        The code lengths of Table 6.
    deep : str
        The input of CNN (or the reader's) features.
    pixels : str or None
        The hand-crafted input (MNIST pixels); None when the run has none.
    paper6 : pandas.DataFrame
        ``sigah.studies.paper.paper_results(table=6)``.
    paper_dataset : {"CIFAR-10", "ImageNet-100"} or None
        Which of the paper's datasets the features are; None for the stand-in.
    table7_bits : int

    Returns
    -------
    dict
        Claim id → keyword arguments of ``record_verdict`` after the id.
    """
    return {
        "D03": _feature_gain(grids, bits, deep, pixels),
        "D04": _relative_gain(grids[deep], bits, deep),
        "D07": _deeper_network(network_grids, table7_bits),
        "D09": _itq_row(grids[deep], bits, paper6, paper_dataset),
    }
