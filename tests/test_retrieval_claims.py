"""The rules of chapter 07's claim verdicts, on small synthetic score grids with planted effects."""

import numpy as np
import pytest

from sigah.metrics import recall_at_n
from sigah.studies import retrieval_claims as rc
from sigah.studies.claims import claim_list, record_verdict, verdict_table

PRINTED = "sigah[generator_input=relaxed, decorrelation=0.0]"
BASELINES = ("lsh", "itq", "sph", "ba", "sgh", "sgh[neuron=stochastic]", "och")
METRICS = ("mAP (PR area)", "Pre@100", "ranking mAP", "R-1", "R-10")
TABLE1 = ("R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10", "R15")


def make_grids(shift=0.0, *, printed_shift=None, itq=0.0, n_seeds=3, n_queries=200, noise=0.05, seed=0):
    """Every row of the chapter at 32 and 64 bits (QoLSH at 128): a shared query effect plus noise;
    SiGAH (book defaults) is raised by ``shift``, the printed row by ``printed_shift``, ITQ by ``itq``."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.3, 0.6, size=n_queries)
    rows = {m: 0.0 for m in BASELINES} | {"itq": itq, "sigah": shift}
    if printed_shift is not None:
        rows[PRINTED] = printed_shift
    grids = {}
    for method, lift in rows.items():
        for bits in (32, 64):
            for metric in METRICS:
                grids[(method, bits, metric)] = base + lift + rng.normal(0, noise, size=(n_seeds, n_queries))
    for metric in METRICS:
        grids[("qolsh", 128, metric)] = base + rng.normal(0, noise, size=(n_seeds, n_queries))
    return grids


def verdicts(grids, desc=None, desc_paper=None, **kw):
    desc = grids if desc is None else desc
    return rc.chapter_verdicts(grids, desc, main_paper=("MNIST", 2), desc_paper=desc_paper, **kw)


def test_a_planted_lead_is_held_and_a_planted_deficit_is_not():
    assert rc.best_of_all(make_grids(0.1))["verdict"] == "held"
    reverse = rc.best_of_all(make_grids(-0.1))
    assert reverse["verdict"] == "not held"
    assert reverse["effect"] < 0 and reverse["interval"][1] < 0
    assert reverse["measured"]["lower"] == reverse["measured"]["comparisons"]
    assert reverse["measured"]["against the claim"]


def test_no_effect_at_small_n_is_inconclusive_with_its_detectable_effect():
    reading = rc.best_of_all(make_grids(0.0, n_seeds=2, n_queries=10, noise=0.2))
    assert reading["verdict"] == "inconclusive"
    low, high = reading["interval"]
    assert low < 0 < high
    assert reading["smallest_detectable"] > 0
    # the detectable effect is at least the half-width of the interval it was read from
    assert reading["smallest_detectable"] >= (high - low) / 2 * 0.5


def test_the_undecided_rival_carries_the_effect():
    grids = make_grids(0.1)
    rng = np.random.default_rng(1)
    for bits in (32, 64):  # one rival level with SiGAH on one metric, up to noise
        sigah = grids[("sigah", bits, "Pre@100")]
        grids[("och", bits, "Pre@100")] = sigah + rng.normal(0, 0.05, size=sigah.shape)
    reading = rc.best_of_all(grids)
    assert reading["verdict"] != "held"
    assert "OCH" in reading["measured"]["shown"]
    assert abs(reading["effect"]) < 0.01


def test_gain_over_a_named_runner_up_follows_the_planted_direction():
    assert rc.gain_over_runner_up(make_grids(0.1), metric="Pre@100", versus="itq")["verdict"] == "held"
    assert rc.gain_over_runner_up(make_grids(0.0, itq=0.1), metric="Pre@100", versus="itq")["verdict"] == "not held"
    free = rc.gain_over_runner_up(make_grids(0.1, itq=0.05), metric="mAP (PR area)")
    assert free["measured"]["runner-up"] == {"32": "itq", "64": "itq"}  # the best rival by mean


def test_och_unsatisfactory_at_low_bits_is_a_larger_deficit_at_the_lowest_length():
    grids = make_grids(0.1)
    for metric in METRICS:
        grids[("och", 32, metric)] = grids[("och", 32, metric)] - 0.1
    assert rc.low_bits_deficit(grids)["verdict"] == "held"
    level = rc.low_bits_deficit(make_grids(0.1, seed=2))
    assert level["verdict"] != "held"  # the same deficit at every length is no low-bit failure
    for metric in METRICS:
        grids[("och", 64, metric)] = grids[("och", 64, metric)] - 0.3
    assert rc.low_bits_deficit(grids)["verdict"] == "not held"
    one = {k: v for k, v in grids.items() if k[1] != 64}
    assert rc.low_bits_deficit(one)["verdict"] == "not testable"


def test_itq_second_in_most_columns():
    assert rc.mostly_second(make_grids(0.2, itq=0.1))["verdict"] == "held"
    lagging = rc.mostly_second(make_grids(0.2, itq=-0.1))
    assert lagging["verdict"] == "not held" and lagging["measured"]["share of columns held"] == 0.0
    assert "effect" not in lagging  # a count of columns has no effect in the comparisons' units


def test_group_and_second_place_readings():
    grids = make_grids(0.2)
    for method in ("ba", "sgh"):
        for bits in (32, 64):
            for metric in rc.PAPER_METRICS:
                grids[(method, bits, metric)] = grids[(method, bits, metric)] + 0.1
    assert rc.group_advantage(grids)["verdict"] == "held"
    assert rc.second_place(grids)["verdict"] == "held"
    assert rc.second_place(make_grids(0.2, itq=0.1))["verdict"] == "not held"


def test_a_published_row_is_held_inside_our_interval_and_not_held_outside():
    grids = make_grids(0.1)
    ours = {(b, m): float(np.mean(grids[("sigah", b, m)])) for b in (32, 64) for m in rc.PAPER_METRICS}
    held = rc.published_row(grids, ours, margin=0.1)
    assert held["verdict"] == "held" and held["measured"]["inside"] == 4
    assert held["interval"][0] <= 0 <= held["interval"][1]
    # the same cells inside intervals wider than the margin cannot be told from their neighbours
    wide = rc.published_row(grids, ours, margin=held["smallest_detectable"] / 2)
    assert wide["verdict"] == "inconclusive" and wide["smallest_detectable"] == held["smallest_detectable"]
    half = max((c["high"] - c["low"]) / 2 for k, c in held["measured"].items() if isinstance(c, dict))
    assert held["smallest_detectable"] == pytest.approx(half)
    moved = dict(ours)
    moved[(64, "Pre@100")] += 0.3
    off = rc.published_row(grids, moved)
    assert off["verdict"] == "not held" and off["measured"]["inside"] == 3
    assert off["effect"] == pytest.approx(-0.3, abs=1e-9)
    assert off["note"].endswith("these 4 cells are corrected as one family, so their intervals are narrower than "
                                "those of a table that corrects over every method's cells")
    with pytest.raises(ValueError, match="at least one"):
        rc.published_row(grids, {})


def test_table1_claims_are_not_testable_on_the_stand_in_and_say_what_it_gives():
    out = verdicts(make_grids(0.1))
    for claim in TABLE1:
        assert out[claim]["verdict"] == "not testable", claim
        assert "GIST1M" in out[claim]["note"]
    assert out["R03"]["measured"]["SIFT10K verdict"] == "held"
    assert out["R15"]["measured"]["SIFT10K 64 bits, Pre@100"] == pytest.approx(
        float(np.mean(make_grids(0.1)[("sigah", 64, "Pre@100")])))
    assert out["R10"]["measured"]["MNIST verdict"] == "held"  # the chapter's recall points on MNIST
    assert out["R11"]["verdict"] == "held" and out["R16"]["verdict"] == "held"
    assert out["R01"]["verdict"] == "not testable" and out["R01"]["measured"]["MNIST verdict"] == "held"


def test_a_paper_dataset_turns_them_into_verdicts():
    out = verdicts(make_grids(0.1), desc_paper=("GIST1M", 1))
    for claim in ("R01", "R02", "R03", "R04", "R08", "R09", "R10"):
        assert out[claim]["verdict"] == "held", claim
    assert out["R02"]["note"] != out["R01"]["note"] and "significant margin" in out["R02"]["note"]
    assert out["R15"]["verdict"] == "not held"  # the synthetic scores are far from Table 1
    assert "QoLSH ahead" in out["R09"]["note"]  # the paper's own Table 1 contradicts the sentence on GIST1M
    assert "same Pre@100" in out["R12"]["note"]
    deep = verdicts(make_grids(0.1), desc_paper=("Deep1M", 1))
    assert deep["R09"]["verdict"] == "not testable" and "Deep1M" in deep["R09"]["note"]


def test_a_failure_on_mnist_fails_the_four_benchmark_claim():
    out = verdicts(make_grids(-0.1))
    assert out["R11"]["verdict"] == "not held"
    assert out["R01"]["verdict"] == "not held"
    assert out["R16"]["verdict"] == "not held"


def test_the_printed_row_is_named_where_it_would_change_the_verdict():
    out = verdicts(make_grids(0.1, printed_shift=-0.1), printed=PRINTED)
    assert out["R11"]["verdict"] == "held"
    assert out["R11"]["measured"]["Eq. 20 as printed"] == "not held"
    assert "Eq. 20 as printed" in out["R11"]["note"]
    same = verdicts(make_grids(0.1, printed_shift=0.1), printed=PRINTED)
    assert "Eq. 20 as printed" not in same["R11"]["note"]


def test_every_verdict_is_a_valid_record_of_its_claim():
    claims = claim_list()
    for desc_paper in (None, ("Tiny100K", 1)):
        out = verdicts(make_grids(0.1, printed_shift=0.0), desc_paper=desc_paper, printed=PRINTED)
        assert sorted(out) == [f"R{i:02d}" for i in range(1, 17)]
        for claim, kwargs in out.items():
            assert claims[claim].chapter == "07_retrieval_quality"
            record = record_verdict(claim, **kwargs, claims=claims)
            assert record.note and record.verdict == kwargs["verdict"]


def test_a_main_study_off_mnist_leaves_the_mnist_claims_untested():
    grids = make_grids(0.1)
    out = rc.chapter_verdicts(grids, grids, main_paper=None, desc_paper=None)
    for claim in ("R11", "R12", "R13", "R14"):
        assert out[claim]["verdict"] == "not testable"


@pytest.mark.parametrize("n", [1, 3, 7, 20])
def test_per_query_recall_averages_to_the_library_recall(n):
    rng = np.random.default_rng(n)
    distances = rng.integers(0, 5, size=(12, 20))  # few distinct distances: many ties
    groundtruth = np.stack([rng.permutation(20)[:4] for _ in range(12)])
    per_query = rc.recall_per_query(distances, groundtruth, n)
    assert per_query.shape == (12,)
    assert ((per_query >= 0) & (per_query <= 1)).all()
    assert per_query.mean() == pytest.approx(recall_at_n(distances, groundtruth, [n])[0])
    several = rc.recall_per_query(distances, groundtruth, n, ks=[1, 4])
    assert several.shape == (2, 12)
    np.testing.assert_allclose(several[1], per_query)
    assert several[0].mean() == pytest.approx(recall_at_n(distances, groundtruth[:, :1], [n])[0])
    with pytest.raises(ValueError, match="database size"):
        rc.recall_per_query(distances, groundtruth, 21)
    with pytest.raises(ValueError, match="ground truth's length"):
        rc.recall_per_query(distances, groundtruth, n, ks=[5])


def test_the_grids_of_a_study_agree_with_its_tables_and_curves():
    from sigah.data import Dataset
    from sigah.studies.retrieval import recall_curves, run_study

    rng = np.random.default_rng(3)
    data = Dataset("small", rng.standard_normal((400, 16)).astype(np.float32), None, None, None, "test")
    study = run_study(data, methods=["lsh", "itq"], bits=[8, 16], repeats=2, k=20, n_queries=25)
    grids = rc.study_grids(study)
    assert {(m, b) for m, b, _ in grids} == {("lsh", 8), ("lsh", 16), ("itq", 8), ("itq", 16)}
    for (method, bits, metric), grid in grids.items():
        assert grid.shape == (2, 25)
        row = study.table[(study.table["method"] == method) & (study.table["bits"] == bits)]
        assert grid.mean() == pytest.approx(float(row[metric].iloc[0]))
    recall = rc.recall_grids(study, ks=(1, 10, 100))  # K = 100 is above the ground truth: skipped
    assert {m for _, _, m in recall} == {"R-1", "R-10"}
    curves = recall_curves(study.models, study.protocol, study.groundtruth, seed=0, ks=(1, 10))
    for (method, bits, metric), grid in recall.items():
        at = curves[(curves["method"] == method) & (curves["bits"] == bits) & (curves["K"] == int(metric[2:]))
                    & (curves["N"] == rc.RECALL_AT)]
        assert grid.shape == (2, 25)
        assert grid[0].mean() == pytest.approx(float(at["recall"].iloc[0]))  # seed 0 draws the figure


def test_the_verdict_table_shows_every_claim():
    out = verdicts(make_grids(0.1), printed=PRINTED)
    html = verdict_table(out).to_html()
    for claim, kwargs in out.items():
        assert claim in html and kwargs["verdict"] in html
