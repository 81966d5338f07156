"""The rules behind chapter Deep features' verdicts: Tables 6 and 7 on stand-in features."""

import numpy as np
import pytest

from sigah.studies.claims import VERDICTS, claim_list, record_verdict
from sigah.studies.deep_feature_claims import (
    chapter_verdicts,
    deepest_network,
    network_depth,
    relative_gain_grids,
    stand_in_gain,
)
from sigah.studies.paper import paper_results

BITS = (16, 32, 64)


def grid(mean, n_seeds, n_queries, rng, spread=0.1):
    return np.clip(mean + rng.normal(0, spread, (n_seeds, n_queries)), 0, 1)


def scenario(deep_means, pixel_sigah, network_means, n_seeds=3, n_queries=400, seed=0, spread=0.1):
    """Per-query label mAP grids of every method on pixels and on features, and SiGAH per network."""
    rng = np.random.default_rng(seed)
    grids = {"features": {(m, b): grid(v, n_seeds, n_queries, rng, spread) for m, v in deep_means.items()
                          for b in BITS},
             "pixels": {(m, b): grid(pixel_sigah if m == "sigah" else 0.3, n_seeds, n_queries, rng, spread)
                        for m in deep_means for b in BITS}}
    networks = {n: grid(v, n_seeds, n_queries, rng, spread) for n, v in network_means.items()}
    return grids, networks


def verdicts(grids, networks, **kwargs):
    return chapter_verdicts(grids, networks, bits=BITS, deep="features", pixels="pixels",
                            paper6=paper_results(table=6), **kwargs)


def test_relative_gain_grids_give_the_average_ratio_of_means():
    rng = np.random.default_rng(0)
    ours = {b: rng.uniform(0.4, 0.6, (2, 5)) for b in BITS}
    rival = {b: rng.uniform(0.2, 0.5, (2, 5)) for b in BITS}
    a, r = relative_gain_grids(ours, rival)
    expected = np.mean([ours[b].mean() / rival[b].mean() for b in BITS]) - 1
    assert (a - r).mean() == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="same code lengths"):
        relative_gain_grids(ours, {16: rival[16]})


def test_deepest_network_follows_the_layer_count():
    depths = {name: network_depth(name) for name in ("tiny", "lenet5", "wide", "resnet")}
    assert depths["tiny"] < depths["wide"] < depths["lenet5"] < depths["resnet"]
    assert deepest_network(["tiny", "resnet", "wide"]) == "resnet"
    assert deepest_network(["tiny", "wide"]) == "wide"
    with pytest.raises(ValueError):
        deepest_network([])


def test_planted_gains_hold_and_every_verdict_is_recordable():
    grids, networks = scenario({"sigah": 0.6, "itq": 0.5, "sph": 0.4, "sgh": 0.45}, 0.4,
                               {"tiny": 0.4, "lenet5": 0.5, "resnet": 0.7})
    out = verdicts(grids, networks)
    for claim in ("D03", "D07"):
        assert out[claim]["verdict"] == "held", (claim, out[claim]["note"])
    assert "D04" not in out  # its rivals are deep-hashing networks the book does not run
    sentence = stand_in_gain(grids["features"], BITS, "features")
    assert "ITQ" in sentence and "+20." in sentence and "11.54" in sentence
    assert out["D09"]["verdict"] == "not testable" and "ITQ label mAP, 16 bits" in out["D09"]["measured"]
    claims = claim_list()
    for claim, kwargs in out.items():
        assert record_verdict(claim, **kwargs, claims=claims).verdict in VERDICTS


def test_planted_reverse_effects_are_not_held():
    grids, networks = scenario({"sigah": 0.4, "itq": 0.5, "sph": 0.3, "sgh": 0.3}, 0.6,
                               {"tiny": 0.6, "lenet5": 0.5, "resnet": 0.4})
    out = verdicts(grids, networks)
    for claim in ("D03", "D07"):
        assert out[claim]["verdict"] == "not held", (claim, out[claim]["note"])


def test_no_effect_at_a_small_sample_is_inconclusive_with_its_mde():
    grids, networks = scenario({"sigah": 0.5, "itq": 0.5, "sph": 0.5, "sgh": 0.5}, 0.5,
                               {"tiny": 0.5, "resnet": 0.5}, n_seeds=2, n_queries=4, seed=3)
    out = verdicts(grids, networks)
    for claim in ("D03", "D07"):
        assert out[claim]["verdict"] == "inconclusive", (claim, out[claim]["note"])
        assert out[claim]["smallest_detectable"] > 0


def test_the_itq_row_is_judged_on_the_papers_data_only():
    paper = paper_results(table=6)
    cifar = paper[(paper["method"] == "ITQ-CNN") & (paper["dataset"] == "CIFAR-10")].set_index("bits")["value"]
    rng = np.random.default_rng(4)
    close = {("itq", b): cifar[b] + rng.normal(0, 0.05, (3, 200)) for b in BITS}
    close = {key: g - g.mean() + cifar[key[1]] for key, g in close.items()}  # means equal the paper's
    far = {key: g + 0.2 for key, g in close.items()}
    for cells, expected in ((close, "held"), (far, "not held")):
        grids = {"features": cells | {(m, b): cells[("itq", b)] for m in ("sigah", "sph", "sgh") for b in BITS}}
        out = chapter_verdicts(grids, {}, bits=BITS, deep="features", pixels=None, paper6=paper,
                               paper_dataset="CIFAR-10")
        assert out["D09"]["verdict"] == expected
        assert out["D03"]["verdict"] == "not testable" and out["D07"]["verdict"] == "not testable"
    with pytest.raises(ValueError, match="features_paper_dataset"):
        chapter_verdicts(grids, {}, bits=BITS, deep="features", pixels=None, paper6=paper, paper_dataset="GIST1M")


