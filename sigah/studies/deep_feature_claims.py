"""The verdicts of chapter *Deep features* on the paper's claims of §5.6 (Tables 6 and 7).

The paper's data (CIFAR-10 and ImageNet-100 with VGG16 features, six ImageNet networks) are not
shipped; the chapter's stand-ins are MNIST pixels (the hand-crafted input) and the features of
four small CNNs trained on MNIST. Every rule is a comparison of :mod:`sigah.stats` on label mAP,
paired over the seeds and the test queries (the same queries for every input and network):

* D03, "deep features significantly improve retrieval": SiGAH on CNN features minus SiGAH on
  pixels, per code length, Holm over the code lengths; held when higher at every length;
* D04, "an average mAP gain of about 11.54 % over the second best", is not testable: the paper's
  second best are deep-hashing networks the book does not implement. :func:`stand_in_gain` gives
  the chapter's sentence on SiGAH's relative gain over its strongest rival among ITQ, SpH and SGH
  on the same features (the rival picked by mean on the same data), averaged over code lengths
  (:func:`relative_gain_grids`);
* D07, "the deepest network gives the best codes": SiGAH on the deepest network's features minus
  each other network, Holm; held when higher than every one;
* D09, the ITQ-CNN row of Table 6, on the paper's data only: held when each published cell is
  inside our interval and every interval is narrow, not held when any is outside
  (:func:`sigah.studies.claims.published_cells`).

:func:`chapter_verdicts` returns, per claim id, the keyword arguments of
:func:`sigah.studies.claims.record_verdict`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah import stats
from sigah.studies.claims import not_testable, published_cells, reading_of

__all__ = ["PAPER_GAIN", "PAPER_DATASETS", "RIVALS", "network_depth", "deepest_network",
           "relative_gain_grids", "stand_in_gain", "chapter_verdicts"]

#: the average relative mAP gain over the second-best method that §5.6 states for SiGAH(D)
PAPER_GAIN = 0.1154
#: the datasets of the paper's Table 6, each a set of columns
PAPER_DATASETS = ("CIFAR-10", "ImageNet-100")
#: the methods run beside SiGAH on the same features
RIVALS = ("itq", "sph", "sgh")
#: the input the depths are counted on (the count does not depend on it)
_DEPTH_INPUT = (28, 28, 1)

Grids = Mapping[tuple[str, int], np.ndarray]


@functools.cache
def network_depth(name: str) -> int:
    """Weighted layers (convolutions and dense layers, the softmax classifier excluded) of one of
    :data:`sigah.studies.features.NETWORKS`, counted on the built (untrained) model."""
    from sigah.studies.features import build_network

    model = build_network(name, _DEPTH_INPUT, 10)
    return sum(hasattr(layer, "kernel") for layer in model.layers) - 1


def deepest_network(names: Sequence[str]) -> str:
    """The deepest of the given networks by :func:`network_depth`."""
    if not names:
        raise ValueError("deepest_network needs at least one network name")
    return max(names, key=network_depth)


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


def _feature_gain(grids: Mapping[str, Grids], bits: Sequence[int], deep: str, pixels: str | None) -> dict[str, Any]:
    if pixels is None:
        return not_testable(
            "the run has no hand-crafted input beside the features (a reader's feature files), so the gain "
            "of deep features over it cannot be measured")
    family = stats.compare_family({f"{b} bits": (grids[deep][("sigah", b)], grids[pixels][("sigah", b)])
                                   for b in bits})
    out = reading_of(family, "higher", note=(
        f"label mAP of SiGAH on {deep} minus on {pixels}, paired over seeds and queries, Holm over the code "
        "lengths; held when higher at every length"))
    out["note"] += "; the paper's CIFAR-10 VGG16 features and GIST input are not shipped (MNIST stand-in)"
    return out


def stand_in_gain(grids: Grids, bits: Sequence[int], deep: str) -> str:
    """One sentence: SiGAH's label mAP relative to its strongest rival among :data:`RIVALS` on the
    same features, averaged over code lengths, with its interval, beside the paper's 11.54 %.

    The rival is the one with the highest mean on the same data, so the gain is over the best of
    three, not over the deep-hashing networks the paper compares with (which is why D04 is not
    testable).
    """
    from sigah.studies.plotting import method_label

    means = {m: float(np.mean([np.mean(grids[(m, b)]) for b in bits])) for m in RIVALS}
    rival = max(means, key=means.get)
    a, r = relative_gain_grids({b: grids[("sigah", b)] for b in bits}, {b: grids[(rival, b)] for b in bits})
    c = stats.compare_paired(a, r)
    return (f"On {deep}, SiGAH's label mAP relative to {method_label(rival)}, the best of ITQ, SpH and SGH by "
            f"mean on the same features, averaged over {stats.plural(len(bits), 'code length')}, is "
            f"**{stats.format_signed(c.effect * 100, 1)} %** ({stats.format_interval(c.low * 100, c.high * 100, 1)} %, "
            f"{c.verdict}); the paper's {stats.format_signed(PAPER_GAIN * 100, 2)} % is over deep-hashing networks "
            "the book does not run, so the two are not compared.")


def _deeper_network(network_grids: Mapping[str, np.ndarray], table7_bits: int) -> dict[str, Any]:
    if len(network_grids) < 2:
        return not_testable(
            "the run has the features of fewer than two networks (the paper's ImageNet networks on CIFAR-10 "
            "are not shipped)")
    deepest = deepest_network(list(network_grids))
    family = stats.compare_family({f"{deepest} − {other}": (network_grids[deepest], grid)
                                   for other, grid in network_grids.items() if other != deepest})
    out = reading_of(family, "higher", note=(
        f"label mAP of SiGAH at {table7_bits} bits on the deepest network's features ({deepest}, standing in for "
        "ResNet152) minus each other network's, paired over seeds and queries, Holm; held when higher than all"))
    out["measured"]["depth (weighted layers)"] = {n: network_depth(n) for n in network_grids}
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
    cells = {f"{b} bits": stats.compare_to_published(grids[("itq", b)], v, family_size=len(published))
             for b, v in published.items()}
    out = published_cells(cells, what=f"ITQ's label mAP on the {paper_dataset} features against the paper's "
                                      f"{len(cells)} ITQ-CNN cells")
    out["measured"] = measured | out["measured"]
    return out


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
        "D07": _deeper_network(network_grids, table7_bits),
        "D09": _itq_row(grids[deep], bits, paper6, paper_dataset),
    }
