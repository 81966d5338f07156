"""Chapter *Ablations*' verdicts on the paper's claims: planted effects give the verdicts they should."""

import numpy as np
import pandas as pd
import pytest

from sigah.studies import ablation_claims
from sigah.studies.ablation import compare_to_baseline
from sigah.studies.ablation_claims import chapter_verdicts, reconstruction_error_records
from sigah.studies.claims import claim_list, not_testable, read_comparisons, reading_of, record_verdict

CLAIMS = ("A01", "A02", "A04", "A05", "A06", "A07", "A09", "A11")


def planted(effects, *, baseline="base", n_seeds=4, n_queries=300, noise=0.02, datasets=("d1", "d2"),
            bits=(64,), seed=0, metric="map_pr_area"):
    """Runs whose per-query scores are a shared query difficulty + the variant's effect + noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for dataset in datasets:
        for b in bits:
            difficulty = rng.uniform(0.2, 0.8, n_queries)
            for variant, effect in {baseline: 0.0, **effects}.items():
                for s in range(n_seeds):
                    scores = difficulty + effect + rng.normal(0, noise / 10) + rng.normal(0, noise, n_queries)
                    rows.append({"dataset": dataset, "bits": b, "variant": variant, "seed": s,
                                 metric: float(scores.mean()), metric + "_per_query": scores})
    return pd.DataFrame(rows)


def table(effects, *, margin=None, **kw):
    return compare_to_baseline(planted(effects, **kw), "base", groups=("dataset", "bits"), margin=margin)


def test_a_planted_effect_in_the_claimed_direction_is_held_and_flipping_reads_the_baseline():
    row = table({"v": 0.05}).iloc[0]
    [reading] = read_comparisons(row, "higher", require_intervals=True)
    assert reading.reading == "held" and reading.found == "higher"
    assert reading.interval[0] <= reading.effect <= reading.interval[1]
    [flipped] = read_comparisons(row, "higher", flip=True, require_intervals=True)
    assert flipped.reading == "not held" and flipped.found == "lower"
    assert flipped.effect == pytest.approx(-reading.effect)
    assert flipped.interval == pytest.approx((-reading.interval[1], -reading.interval[0]))


def test_every_comparison_must_hold_and_one_reversed_one_fails_the_claim():
    held = reading_of(table({"a": -0.05, "b": -0.08}), "lower", note="rule")
    assert held["verdict"] == "held"
    rows = table({"a": -0.05, "b": -0.08})
    nearest = rows.loc[rows["high"].idxmax()]  # the upper bound nearest zero: the nearest to failing "lower"
    assert held["effect"] == pytest.approx(nearest["difference"])
    assert held["interval"] == pytest.approx((nearest["low"], nearest["high"]))
    failed = reading_of(table({"a": -0.05, "b": +0.05}), "lower", note="rule")
    assert failed["verdict"] == "not held"
    assert "2 held, 2 not held of 4" in failed["note"] and failed["note"].startswith("rule")


def test_no_effect_with_few_seeds_and_queries_is_inconclusive_with_the_largest_mde():
    small = table({"a": 0.0, "b": 0.0}, n_seeds=2, n_queries=8, noise=0.2, seed=3)
    reading = reading_of(small, "higher", note="rule")
    assert reading["verdict"] == "inconclusive"
    assert reading["smallest_detectable"] == pytest.approx(small["mde"].max())
    assert reading["smallest_detectable"] > 0


def test_competitive_holds_for_an_equivalent_default_and_fails_when_another_setting_is_better():
    same = table({"other": 0.0}, margin=0.01, noise=0.005, n_queries=500, seed=4)
    assert reading_of(same, "competitive", flip=True, note="r")["verdict"] == "held"
    better = table({"other": 0.05}, margin=0.01, seed=5)
    assert reading_of(better, "competitive", flip=True, note="r")["verdict"] == "not held"
    worse = table({"other": -0.05}, margin=0.01, seed=6)
    assert reading_of(worse, "competitive", flip=True, note="r")["verdict"] == "held"


def test_equivalence_counts_against_a_claimed_difference():
    same = table({"bigger": 0.0}, margin=0.01, noise=0.005, n_queries=500, seed=7)
    assert same.iloc[0]["verdict"] == "equivalent"
    assert reading_of(same, "lower", note="r")["verdict"] == "not held"


def test_bad_readings_are_refused_with_one_line():
    with pytest.raises(ValueError, match="expects must be one of"):
        read_comparisons(table({"v": 0.05}).iloc[0], "bigger", require_intervals=True)
    with pytest.raises(ValueError, match="table is empty"):
        reading_of(table({"v": 0.05}).iloc[:0], "higher", note="r")
    one_seed = compare_to_baseline(planted({"v": 0.05}, n_seeds=1).drop(columns="map_pr_area_per_query"), "base",
                                   groups=("dataset", "bits"))
    with pytest.raises(ValueError, match="no interval"):
        read_comparisons(one_seed.iloc[0], "higher", require_intervals=True)


def test_the_query_reconstruction_error_is_zero_when_perfect_and_one_when_predicting_the_mean(monkeypatch):
    import sigah.studies.reconstruction as reconstruction

    rng = np.random.default_rng(8)
    train, queries = rng.normal(size=(50, 4)), rng.normal(size=(20, 4))
    protocol = type("P", (), {"train": train, "queries": queries})()
    mean = train.mean(0)
    monkeypatch.setattr(reconstruction, "reconstruct_from_codes",
                        lambda model, X: np.asarray(X) if model == "perfect" else np.repeat(mean[None], len(X), 0))
    records = reconstruction_error_records({("d", "perfect", 64, 0): "perfect", ("d", "mean", 64, 0): "mean"},
                                           {"d": protocol})
    errors = records.set_index("variant")[ablation_claims.ERROR_METRIC]
    assert errors["perfect"] == pytest.approx(0.0, abs=1e-12)
    assert errors["mean"] == pytest.approx(1.0)
    assert records["reconstruction_error_per_query"].map(len).eq(20).all()


def _grid(values, default, effects, name, **kw):
    return table({f"{name} = {v:g}": e for v, e in zip(values, effects)}, **kw).assign(
        variant=lambda f: f["variant"]).replace({"base": f"{name} = {default:g}"})


def _inputs(sign=1.0, *, above=True):
    """Tables of every experiment, planted to agree with the paper (sign 1) or to contradict it (sign −1)."""
    e = 0.05 * sign
    margins = [0.1, 10.0] if above else [0.1, 0.01]
    margin_table = table({f"μ = {m:g}": (-e if m > 1 else -0.05) for m in margins}, seed=10)
    margin_equiv = table({f"μ = {m:g}": (-e if m > 1 else -0.05) for m in margins}, seed=10, margin=0.01)
    error_table = table({f"μ = {m:g}": (e if m > 1 else 0.0) for m in margins}, seed=11)
    weights = {n: table({f"{n} = 0": -0.05, f"{n} = {10 * d:g}": -e}, seed=12 + i, margin=0.01)
               for i, (n, d) in enumerate({"alpha": 0.1, "beta": 1.0, "gamma": 0.001}.items())}
    return dict(
        discriminator={0.001: table({"without discriminator": 0.0}, margin=0.01, noise=0.005, n_queries=500),
                       0.5: table({"without discriminator": -e}, margin=0.01, seed=20)},
        default_gamma=0.001, acting_gamma=0.5, margins={0.001: margin_table, 0.5: margin_table},
        margins_competitive={0.001: margin_equiv, 0.5: margin_equiv},
        margin_errors={0.001: error_table, 0.5: error_table}, default_margin=1.0,
        margin_of=lambda v: float(v.split(" = ")[1]),
        activations=table({"relu": -e, "tanh": -e}, seed=21), weights=weights,
        weight_defaults={"alpha": 0.1, "beta": 1.0, "gamma": 0.001},
        weight_of=lambda v: float(v.split(" = ")[1]),
        depth=table({"3-layer AE": -e, "4-layer AE": -e}, seed=22), steps=600, full_steps=5400)


def test_planted_agreement_holds_every_claim_and_the_records_are_accepted():
    verdicts = chapter_verdicts(**_inputs(1.0))
    assert set(verdicts) == set(CLAIMS)
    assert {claim: v["verdict"] for claim, v in verdicts.items()} == dict.fromkeys(CLAIMS, "held")
    claims = claim_list()
    for claim, kwargs in verdicts.items():
        record = record_verdict(claim, **kwargs, size="reduced", claims=claims)
        assert record.note and "\n" not in record.note


def test_planted_contradiction_fails_every_claim():
    verdicts = chapter_verdicts(**_inputs(-1.0))
    assert {claim: v["verdict"] for claim, v in verdicts.items()} == dict.fromkeys(CLAIMS, "not held")


def test_the_discriminator_is_judged_where_it_acts_and_says_what_the_default_gives():
    a01 = chapter_verdicts(**_inputs(1.0))["A01"]
    assert a01["verdict"] == "held"
    assert a01["measured"]["acting γ"] == 0.5
    assert a01["measured"]["verdict at the default γ"] == "not held"  # equivalent at the default γ
    assert "default γ = 0.001" in a01["note"] and "gives not held" in a01["note"]


def test_the_depth_claim_names_the_schedule_confound():
    note = chapter_verdicts(**_inputs(1.0))["A11"]["note"]
    assert "600 of the 5,400 optimiser steps" in note and "convergence" in note


def test_a_grid_without_larger_margins_cannot_test_the_margin_claims():
    verdicts = chapter_verdicts(**_inputs(1.0, above=False))
    assert verdicts["A02"]["verdict"] == verdicts["A04"]["verdict"] == "not testable"
    assert "no value above the default" in verdicts["A02"]["note"]
    assert not_testable("why")["verdict"] == "not testable"


def test_the_activation_claim_names_where_the_papers_own_table_5_disagrees():
    paper5 = pd.DataFrame({"method": ["SiGAH (LeakyReLU)", "SiGAH (sigmoid)"] * 2,
                           "dataset": ["Deep1M", "Deep1M", "MNIST", "MNIST"], "value": [0.33, 0.34, 0.5, 0.4]})
    note = chapter_verdicts(**_inputs(1.0), paper_table5=paper5)["A06"]["note"]
    assert note.endswith("the paper's own Table 5 puts sigmoid ahead of LeakyReLU on Deep1M")
    agreeing = paper5.assign(value=[0.35, 0.34, 0.5, 0.4])
    assert "own Table 5" not in chapter_verdicts(**_inputs(1.0), paper_table5=agreeing)["A06"]["note"]


def test_every_chapter_margin_parameter_is_the_book_wide_equivalence_margin():
    """One margin for differences of mAP and precision: the parameters ``equivalence`` and ``margin``."""
    import ast
    from pathlib import Path

    import jupytext

    from sigah.studies.claims import EQUIVALENCE_MARGIN

    found = {}
    for path in sorted((Path(__file__).resolve().parent.parent / "book").glob("[0-9][0-9]_*.md")):
        nb = jupytext.read(path)
        cells = [c for c in nb.cells if c.cell_type == "code"]
        overrides = nb.metadata.get("sigah", {}).get("ci", {})
        for node in ast.parse(cells[0].source).body if cells else []:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if name in ("equivalence", "margin"):
                    found[(path.stem, name)] = ast.literal_eval(node.value)
                    if name in overrides:
                        found[(path.stem, name + " (ci)")] = overrides[name]
    assert {stem for stem, _ in found} >= {"08_training_time", "09_ablations", "10_reconstruction",
                                            "13_further_claims"}
    assert all(value == EQUIVALENCE_MARGIN for value in found.values()), found


def test_the_schedule_table_reaches_a01_with_its_dataset():
    schedule = pd.DataFrame([{"dataset": "SIFT10K", "comparison": "without discriminator at γ = 0.5",
                              "verdict, 600 steps": "lower", "verdict, 5,000 steps": "inconclusive"}])
    a01 = chapter_verdicts(**_inputs(1.0), schedule=schedule)["A01"]
    assert a01["measured"]["schedules on SIFT10K: without discriminator at γ = 0.5"] == "lower → inconclusive"
