"""One claim read from paired comparisons (:func:`sigah.studies.claims.reading_of`): planted effects.

The same comparisons are given as a :class:`sigah.stats.Family` and as a table of
:func:`sigah.studies.ablation.compare_to_baseline`, and must read the same either way.
"""

import numpy as np
import pandas as pd
import pytest

from sigah import stats
from sigah.studies.ablation import compare_to_baseline
from sigah.studies.claims import (
    NO_INTERVAL,
    SHOWN,
    ClaimError,
    claim_list,
    combine_readings,
    read_comparisons,
    reading_of,
    record_verdict,
)


def grids(effects, *, n_seeds=3, n_queries=300, noise=0.02, seed=0):
    """Per-query scores of a baseline and each variant: a shared query difficulty + the effect + noise."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(0.2, 0.8, n_queries)
    return {name: difficulty + effect + rng.normal(0, noise, (n_seeds, n_queries))
            for name, effect in {"base": 0.0, **effects}.items()}


def family(effects, *, margin=None, **kw):
    scores = grids(effects, **kw)
    return stats.compare_family({v: (scores[v], scores["base"]) for v in effects}, margin=margin)


def records(effects, *, per_query=True, **kw):
    """The same scores as runs of ``compare_to_baseline`` (one dataset, one code length)."""
    rows = []
    for variant, scores in grids(effects, **kw).items():
        for s, row in enumerate(scores):
            rows.append({"dataset": "toy", "bits": 64, "variant": variant, "seed": s, "map_pr_area": row.mean()}
                        | ({"map_pr_area_per_query": row} if per_query else {}))
    return pd.DataFrame(rows)


def table(effects, *, margin=None, per_query=True, **kw):
    return compare_to_baseline(records(effects, per_query=per_query, **kw), "base", groups=("dataset", "bits"),
                               margin=margin)


def test_a_planted_effect_is_held_in_its_direction_and_not_held_against_it():
    up = family({"a": 0.05, "b": 0.08})
    held = reading_of(up, "higher", note="rule")
    assert held["verdict"] == "held" and held["note"].startswith("rule; found 2 held of 2 comparisons")
    assert held["interval"][0] <= held["effect"] <= held["interval"][1]
    assert held["effect"] == min(c.effect for c in up.comparisons)  # the weakest by default
    assert held["smallest_detectable"] == max(c.mde for c in up.comparisons)
    assert held["n"] == 3 and held["measured"]["queries"] == 300
    against = reading_of(up, "lower", note="rule")
    assert against["verdict"] == "not held" and against["measured"]["against the claim"] == ["a", "b"]
    assert against["effect"] == max(c.effect for c in up.comparisons)  # the weakest for "lower"
    down = reading_of(up, "lower", flip=True, note="rule")  # the baseline minus each variant
    assert down["verdict"] == "held" and down["effect"] == pytest.approx(-held["effect"])
    assert down["interval"] == pytest.approx((-held["interval"][1], -held["interval"][0]))
    record_verdict("T01", **held, claims=claim_list())  # what it returns is what the ledger takes


def test_one_comparison_against_the_claim_fails_it_and_the_clearest_is_shown():
    mixed = family({"a": 0.05, "b": -0.03, "c": -0.06})
    reading = reading_of(mixed, "higher", note="rule", show="clearest")
    assert reading["verdict"] == "not held"
    assert reading["measured"]["shown"] == "c" and reading["interval"][1] == mixed["c"].high
    assert reading_of(mixed, "higher", note="rule", show="first or least certain")["measured"]["shown"] == "b"
    assert reading_of(mixed, "higher", note="rule", show="first")["measured"]["shown"] == "b"
    nearest = reading_of(family({"a": 0.05, "b": 0.02}), "higher", note="r", show="clearest")
    assert nearest["verdict"] == "held" and nearest["measured"]["shown"] == "b"  # the lowest lower bound


def test_no_effect_at_a_small_sample_is_inconclusive_with_the_largest_mde():
    small = family({"a": 0.0, "b": 0.0, "c": 0.0}, n_seeds=2, n_queries=6, noise=0.2, seed=3)
    assert all(c.verdict == "inconclusive" for c in small.comparisons)
    for show in SHOWN:
        reading = reading_of(small, "higher", note="rule", show=show)
        assert reading["verdict"] == "inconclusive"
        assert reading["smallest_detectable"] == max(c.mde for c in small.comparisons) > 0
        low, high = reading["interval"]
        assert low < 0 < high
    deciding = reading_of(small, "higher", note="rule", show="first or least certain")
    assert small[deciding["measured"]["shown"]].mde == deciding["smallest_detectable"]  # the least certain


def test_equivalence_within_the_margin_holds_an_equivalent_or_competitive_claim_only():
    same = family({"a": 0.0}, margin=0.01, noise=0.005, n_queries=500, seed=4)
    assert same["a"].verdict == "equivalent"
    assert reading_of(same, "equivalent", note="r")["verdict"] == "held"
    assert reading_of(same, "competitive", note="r")["verdict"] == "held"
    assert reading_of(same, "higher", note="r")["verdict"] == "not held"  # equivalence counts against
    one = reading_of(same, "equivalent", note="r")
    assert "margin ±0.01" in one["note"] and "shown" not in one["measured"]  # one comparison: no tally
    worse = family({"a": -0.05}, margin=0.01, seed=5)
    assert reading_of(worse, "competitive", note="r")["verdict"] == "not held"
    assert reading_of(worse, "competitive", flip=True, note="r")["verdict"] == "held"
    with pytest.raises(ClaimError, match="no equivalence margin"):
        reading_of(family({"a": 0.0}), "equivalent", note="r")


def test_a_family_and_a_table_of_the_same_comparisons_read_the_same():
    effects = {"a": 0.04, "b": 0.0, "c": -0.03}
    by_family = reading_of(family(effects, seed=6), "higher", note="r", show="clearest")
    by_table = reading_of(table(effects, seed=6), "higher", note="r", show="clearest",
                          label=lambda row: row["variant"])
    assert by_table["verdict"] == by_family["verdict"] == "not held" and by_table["n"] == by_family["n"]
    for key in ("effect", "interval", "smallest_detectable"):
        assert by_table[key] == pytest.approx(by_family[key], rel=1e-9), key
    assert by_table["measured"]["shown"] == by_family["measured"]["shown"] == "c"


def test_rows_without_an_interval_are_not_testable_and_keep_a_claim_from_being_held():
    one_seed = table({"a": 0.05, "b": 0.05}, n_seeds=1, per_query=False)
    reading = reading_of(one_seed, "higher", note="rule")
    assert reading["verdict"] == "not testable" and "no comparison has an interval" in reading["note"]
    assert [r.reading for r in read_comparisons(one_seed, "higher")] == [NO_INTERVAL] * 2
    with pytest.raises(ClaimError, match="no interval"):
        reading_of(one_seed, "higher", note="rule", require_intervals=True)
    held_rows = table({"a": 0.05}, seed=7)
    mixed = pd.concat([held_rows, one_seed.iloc[:1]], ignore_index=True)
    partial = reading_of(mixed, "higher", note="rule", show="first or least certain")
    assert partial["verdict"] == "inconclusive"  # held where tested, but one cell untested
    assert partial["smallest_detectable"] == held_rows["mde"].iloc[0]
    assert partial["interval"] is None and partial["measured"][NO_INTERVAL] == 1


def test_each_row_may_claim_its_own_direction():
    mixed = pd.concat([table({"bigger": 0.05}, seed=8).assign(variant="mAP"),
                       table({"bigger": -0.05}, seed=9).assign(variant="error")], ignore_index=True)
    assert reading_of(mixed, ["higher", "lower"], note="r")["verdict"] == "held"
    assert reading_of(mixed, "higher", note="r")["verdict"] == "not held"
    weakest = reading_of(mixed, ["higher", "lower"], note="r")
    toward = [mixed["difference"].iloc[0], -mixed["difference"].iloc[1]]  # effects in the claimed directions
    assert weakest["effect"] == mixed["difference"].iloc[int(np.argmin(toward))]
    with pytest.raises(ClaimError, match="one per comparison"):
        reading_of(mixed, ["higher"], note="r")


def test_bad_arguments_are_refused_in_one_line():
    up = family({"a": 0.05})
    with pytest.raises(ClaimError, match="expects must be one of"):
        reading_of(up, "better", note="r")
    with pytest.raises(ClaimError, match="show must be one of"):
        reading_of(up, "higher", note="r", show="best")
    with pytest.raises(ClaimError, match="table is empty"):
        reading_of(table({"a": 0.05}).iloc[:0], "higher", note="r")
    with pytest.raises(ClaimError, match="comparisons must be"):
        reading_of([1, 2], "higher", note="r")


def test_measured_entries_come_first_and_each_comparison_is_listed_unless_told_not_to():
    up = family({"a": 0.05, "b": 0.08})
    reading = reading_of(up, "higher", note="r", measured={"schedule": "short"})
    assert next(iter(reading["measured"])) == "schedule"
    assert reading["measured"]["a"].startswith("held (higher; claimed higher): +0.05")
    assert "a" not in reading_of(up, "higher", note="r", itemise=False)["measured"]


def test_combined_readings_hold_only_when_every_part_holds():
    parts = {"MNIST": reading_of(family({"a": 0.05}), "higher", note="r"),
             "SIFT10K": reading_of(family({"a": 0.0}, n_seeds=2, n_queries=6, noise=0.2, seed=3), "higher",
                                   note="r")}
    combined = combine_readings(parts, note="both")
    assert combined["verdict"] == "inconclusive" and combined["effect"] == parts["MNIST"]["effect"]
    assert combined["smallest_detectable"] == max(p["smallest_detectable"] for p in parts.values())
    assert combined["measured"]["SIFT10K verdict"] == "inconclusive"
    parts["SIFT10K"] = reading_of(family({"a": -0.05}), "higher", note="r")
    assert combine_readings(parts, note="both")["verdict"] == "not held"
    assert combine_readings({"MNIST": parts["MNIST"]}, note="one")["verdict"] == "held"
    with pytest.raises(ClaimError, match="no readings"):
        combine_readings({}, note="none")


def test_a_same_claim_holds_when_the_interval_lies_inside_the_margin_whatever_the_test_decides():
    rng = np.random.default_rng(10)
    tiny = stats.compare_paired(1.01 + rng.normal(0, 1e-4, 8), np.ones(8), margin=0.1)
    assert tiny.verdict == "higher"  # decided, yet a hundredth is no difference at this margin
    assert reading_of(tiny, "same", note="r")["verdict"] == "held"
    large = stats.compare_paired(1.5 + rng.normal(0, 1e-4, 8), np.ones(8), margin=0.1)
    assert reading_of(large, "same", note="r")["verdict"] == "not held"
    wide = stats.compare_paired(rng.normal(0, 1, 3), rng.normal(0, 1, 3), margin=0.1)
    assert reading_of(wide, "same", note="r")["verdict"] == "inconclusive"


def test_the_least_significant_held_comparison_and_the_undecided_detectable_effect():
    up = family({"a": 0.08, "b": 0.02, "c": 0.05})
    held = reading_of(up, "higher", note="r", show="first or least significant")
    assert held["verdict"] == "held"
    assert held["measured"]["shown"] == max(up.labels, key=lambda label: up[label].p_adjusted)
    mixed = {"sure": family({"a": 3.0}, n_seeds=3, n_queries=6, noise=0.5, seed=12)["a"],  # held, a large MDE
             "unsure": family({"a": 0.0}, n_seeds=3, n_queries=300, seed=11)["a"],
             "wide": family({"a": 0.0}, n_seeds=3, n_queries=6, noise=0.05, seed=3)["a"]}
    assert [c.verdict for c in mixed.values()] == ["higher", "inconclusive", "inconclusive"]
    undecided = reading_of(mixed, "higher", note="r", detectable="undecided", show="first or least significant")
    assert undecided["smallest_detectable"] == max(mixed["unsure"].mde, mixed["wide"].mde)
    assert undecided["measured"]["shown"] == "unsure"  # the first undecided
    everything = reading_of(mixed, "higher", note="r")
    assert everything["smallest_detectable"] == mixed["sure"].mde > undecided["smallest_detectable"]
    with pytest.raises(ClaimError, match="detectable must be one of"):
        reading_of(mixed, "higher", note="r", detectable="some")
