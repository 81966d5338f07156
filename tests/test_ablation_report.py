"""The sentences and tables of the ablation chapters: computed from the comparison, read well at any size."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from sigah.studies import ablation_report as report
from sigah.studies.ablation import compare_to_baseline
from sigah.studies.paper import paper_results

matplotlib.use("Agg")


def _records(rows):
    return pd.DataFrame(rows, columns=["dataset", "bits", "variant", "seed", "map_pr_area"])


def _two_variants(base, other, *, dataset="MNIST", bits=64, names=("base", "off")):
    rows = [(dataset, bits, names[0], s, v) for s, v in enumerate(base)]
    rows += [(dataset, bits, names[1], s, v) for s, v in enumerate(other)]
    return _records(rows)


def test_plural_and_seed_counts():
    assert report.plural(1, "seed") == "1 seed"
    assert report.plural(2, "seed") == "2 seeds"
    assert report.plural(1, "cell") == "1 cell" and report.plural(0, "cell") == "0 cells"
    assert report.seeds_phrase(2, 2) == "2 seeds each"
    assert report.seeds_phrase(1, 1) == "1 seed each"
    assert report.seeds_phrase(2, 3) == "2 and 3 seeds"


def test_join_words():
    assert report.join_words(["A"]) == "A"
    assert report.join_words(["A", "B"]) == "A and B"
    assert report.join_words(["A", "B", "C"]) == "A, B and C"
    assert report.join_words([]) == ""


def test_value_range_collapses_equal_ends():
    assert report.value_range([-0.0022, -0.0022]) == "\u22120.0022"
    assert report.value_range([-0.0022]) == "\u22120.0022"
    assert report.value_range([0.0031, -0.0022]) == "from \u22120.0022 to +0.0031"
    assert report.value_range([0.5, 0.25], 2, with_sign=False) == "from 0.25 to 0.50"
    with pytest.raises(ValueError, match="at least one value"):
        report.value_range([])


def test_direction_counts_only_established_differences():
    assert report.direction({"verdict": "higher", "difference": 0.1}) == "higher"
    assert report.direction({"verdict": "lower", "difference": -0.1}) == "lower"
    for verdict in ("inconclusive", "equivalent", "no interval (one seed)"):
        assert report.direction({"verdict": verdict, "difference": -0.1}) is None


def test_effect_line_never_claims_an_absence():
    table = compare_to_baseline(_two_variants([0.50, 0.51, 0.49], [0.495, 0.505, 0.50]), "base",
                                groups=("dataset", "bits"))
    line = report.effect_line(table.iloc[0], what="off")
    assert "over 3 seeds" in line and "no real effect" not in line and "**inconclusive**" in line
    assert "the design detects a difference of" in line
    assert "\u00a0±\u00a0" in line  # mean ± std held together


def test_effect_line_with_one_seed_gives_no_verdict():
    table = compare_to_baseline(_two_variants([0.5], [0.4]), "base", groups=("dataset", "bits"))
    line = report.effect_line(table.iloc[0], what="off")
    assert "over 1 seed," in line and "no verdict" in line and "±" not in line


def test_verdict_lines_one_bullet_per_comparison_with_where():
    records = pd.concat([_two_variants([0.5, 0.5], [0.4, 0.4]), _two_variants([0.3, 0.31], [0.3, 0.32], bits=32)])
    table = compare_to_baseline(records, "base", groups=("dataset", "bits"))
    lines = report.verdict_lines(table, label=lambda row: f"{row['variant']}!").splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("* off! (MNIST, 64 bits): mAP 0.4000")
    assert lines[1].startswith("* off! (MNIST, 32 bits)")


def test_verdict_counts_add_up():
    records = pd.concat([_two_variants([0.5, 0.51], [0.3, 0.31]), _two_variants([0.5, 0.51], [0.5, 0.52], bits=32)])
    table = compare_to_baseline(records, "base", groups=("dataset", "bits"))
    counts = report.verdict_counts({"switch": table})
    row = counts.iloc[0]
    assert (row["comparisons"], row["lower"], row["higher"], row["equivalent"], row["undecided"]) == (2, 1, 0, 0, 1)
    close = compare_to_baseline(records, "base", groups=("dataset", "bits"), margin=0.5)
    row = report.verdict_counts({"switch": close}).iloc[0]
    assert row[["higher", "lower", "equivalent", "undecided"]].sum() == row["comparisons"]
    assert row["equivalent"] >= 1  # the 32-bit difference (+0.005, 2 seeds) lies inside ±0.5


def test_paper_table4_gain_and_its_flat_cells():
    gain = report.paper_table4_gain(paper_results(table=4))
    assert len(gain) == 6 and (gain >= 0).all()
    table = compare_to_baseline(_two_variants([0.5, 0.51], [0.40, 0.41], names=("with", "without")), "with",
                                groups=("dataset", "bits"))
    text = report.discriminator_summary(table, gain)
    assert "Ours changes mAP by +0.1000 over 1 cell: removing it lowers mAP in 1, raises it in 0 and is undecided in 0" in text
    assert "the discriminator helps retrieval, as the paper reports" in text
    flat = [f"{d} {b} bits" for (d, b), g in gain.items() if g == 0]
    assert flat and all(cell in text for cell in flat)  # the paper's own cells without a gain are named
    inert = compare_to_baseline(_two_variants([0.5, 0.51, 0.52], [0.501, 0.509, 0.5205],
                                              names=("with", "without")), "with", groups=("dataset", "bits"),
                                margin=0.05)
    text = report.discriminator_summary(inert, gain)
    assert "is equivalent within ±0.0500 in 1 and is undecided in 0" in text
    assert "the paper's gain is not reproduced" in text


def test_activation_table_and_summary_name_the_papers_inconsistencies():
    rows = [("MNIST", 64, a, s, v + 0.01 * s) for a, v in (("leaky_relu", 0.5), ("relu", 0.3)) for s in range(3)]
    records = _records(rows)
    paper5 = paper_results(table=5)
    table = report.activation_table(records, paper5, "leaky_relu")
    assert list(table.index) == ["LeakyReLU", "ReLU"]
    assert table.loc["LeakyReLU", "paper MNIST"] == pytest.approx(0.5060)
    comparison = compare_to_baseline(records, "leaky_relu", groups=("dataset", "bits"))
    headline = pd.concat([paper_results(table=1), paper_results(table=2)])
    text = report.activation_summary(comparison, records, paper5, headline, "leaky_relu")
    assert "another activation is lower in 1, higher in 0 and undecided in 0 of 1 comparison" in text
    assert "puts another activation ahead on Deep1M" in text  # sigmoid 0.3325 > LeakyReLU 0.3316
    assert "MNIST 0.5060 against 0.5014" in text  # Table 5 against Table 2


def _margin_records(means_by_mu, seeds=3):
    rows = [("MNIST", 64, f"μ = {mu:g}", s, m + 0.001 * s) for mu, m in means_by_mu.items() for s in range(seeds)]
    return _records(rows)


def test_margin_summary_tests_the_papers_direction():
    falling = _margin_records({0.05: 0.50, 0.5: 0.50, 5: 0.40, 50: 0.30})
    table = compare_to_baseline(falling, "μ = 0.5", groups=("dataset", "bits"))
    of = lambda v: float(v.split(" = ")[1])  # noqa: E731
    text = report.margin_summary(table, falling, 0.5, of)
    assert "decreases quickly when μ is larger than" in text
    assert "lower at every larger margin, as the paper says" in text and "fall steadily" in text
    rising = _margin_records({0.5: 0.40, 5: 0.50})
    text = report.margin_summary(compare_to_baseline(rising, "μ = 0.5", groups=("dataset", "bits")), rising, 0.5, of)
    assert "against the paper's sentence" in text
    only_below = _margin_records({0.05: 0.4, 0.5: 0.5})
    text = report.margin_summary(compare_to_baseline(only_below, "μ = 0.5", groups=("dataset", "bits")),
                                 only_below, 0.5, of)
    assert "no margin above the default" in text


def test_margin_history_sentence_equal_ranges():
    last = {0.5: {"energy_real": 0.1, "energy_fake": 0.7, "reconstruction_error": 0.02}}
    text = report.margin_history_sentence(last, "MNIST", 0)
    assert "μ ∈ {0.5}" in text and "end at 0.100," in text and "from" not in text


def test_schedule_confound_says_how_short():
    short = report.schedule_confound(600, 5400)
    assert "600 optimiser steps, 11% of the protocol's 5,400" in short and "converges faster" in short
    assert "no convergence check" in report.schedule_confound(5400, 5400)
    assert "16 optimiser steps, under 1% of the protocol's 5,004" in report.schedule_confound(16, 5004)


def test_depth_and_departure_and_weight_sentences():
    records = pd.concat([_two_variants([0.5, 0.51], [0.3, 0.31], names=("one layer", "3-layer AE")),
                         _two_variants([0.5, 0.51], [0.5, 0.52], names=("one layer", "4-layer AE"))])
    table = compare_to_baseline(records, "one layer", groups=("dataset", "bits"))
    text = report.depth_summary(table, "CONFOUND")
    assert "ahead in 1 of 2 (dataset, auto-encoder) comparisons and behind in 0" in text and text.endswith("CONFOUND")
    lines = report.departure_lines({"mAP": table})
    assert "over 1 (dataset, code length) cell;" in lines and "lower in 1, higher in 0, undecided in 0" in lines
    weights = _records([("MNIST", 64, f"alpha = {v:g}", s, m + 0.001 * s)
                        for v, m in ((0.01, 0.5), (0.1, 0.3)) for s in range(2)])
    w = compare_to_baseline(weights, "alpha = 0.01", groups=("dataset", "bits"))
    text = report.weight_lines({"alpha": w}, {"alpha": "α"}, {"alpha": 0.01})
    assert "of 1 value away from the default 0.01, 0.1 is lower (\u22120.2000)" in text
    flat = compare_to_baseline(weights.assign(map_pr_area=0.5 + 0.01 * weights["seed"]), "alpha = 0.01",
                               groups=("dataset", "bits"))
    assert "none is established as different" in report.weight_lines({"alpha": flat}, {"alpha": "α"}, {"alpha": 0.01})
    close = compare_to_baseline(weights.assign(map_pr_area=0.5 + 0.001 * weights["seed"]), "alpha = 0.01",
                                groups=("dataset", "bits"), margin=0.05)
    text = report.weight_lines({"alpha": close}, {"alpha": "α"}, {"alpha": 0.01})
    assert "; 0.1 is equivalent within ±0.050;" in text


def test_plot_sweep_draws_one_line_per_dataset():
    import matplotlib.pyplot as plt

    records = pd.concat([_margin_records({0.5: 0.5, 5: 0.4}),
                         _margin_records({0.5: 0.3, 5: 0.2}).assign(dataset="SIFT10K")])
    fig, ax = plt.subplots()
    report.plot_sweep(ax, records, lambda v: float(v.split(" = ")[1]), "μ", 0.5)
    assert len(ax.containers) == 2 and ax.get_xscale() == "log"
    plt.close(fig)


def test_run_summary_counts_seeds():
    class P:
        description = "toy split"

    text = report.run_summary({"toy": P()}, {"toy": 10}, {"toy": ["n_train lowered."]}, repeats=1, extra="X.")
    assert text.startswith("**This run**, 1 seed per setting (one seed: no difference is tested below):")
    assert "the 10 nearest database points" in text and "  - size preset lowered: n_train lowered." in text
    assert text.endswith("\n\nX.")
    assert "3 seeds per setting:" in report.run_summary({"toy": P()}, {"toy": 10}, {}, repeats=3)


def test_mean_std_cells_are_not_wrapped():
    from sigah.studies.ablation import mean_std_table

    table = mean_std_table(_two_variants([0.5, 0.6], [0.4, 0.4]), "variant", "bits")
    assert all(" " not in cell for cell in table.to_numpy().ravel())
    assert np.isfinite([float(cell.split("\u00a0")[0]) for cell in table.to_numpy().ravel()]).all()


def _ratio(variant):
    return float(variant.split(" = ")[1])


def _m_records():
    rows = [("MNIST", 64, f"m/d = {r:g}", s, m + 0.001 * s)
            for r, m in ((0.5, 0.30), (2, 0.50), (8, 0.60)) for s in range(3)]
    return _records(rows)


def test_m_sweep_lines_count_each_side_and_read_errors_lower_is_better():
    records = _m_records()
    table = compare_to_baseline(records, "m/d = 2", groups=("dataset", "bits"))
    lines = report.m_sweep_lines({"mAP": table, "relative error": table}, 2, _ratio).splitlines()
    assert lines[0] == ("* **mAP**, a larger matrix than the default: better in 1, worse in 0, undecided in 0 of "
                        "1 (dataset, code length, m) comparison.")
    assert "**relative error**, a larger matrix than the default: better in 0, worse in 1" in lines[2]


def test_plateau_summary_and_its_confound():
    table = compare_to_baseline(_m_records(), "m/d = 2", groups=("dataset", "bits"))
    text = report.plateau_summary(table, 2, _ratio, "CONFOUND")
    assert "a larger matrix is higher (m/d = 8): no plateau yet" in text
    assert "a smaller one is lower (m/d = 0.5)" in text and text.endswith("CONFOUND")
    rows = [("MNIST", 64, f"m/d = {r:g}", s, m + 0.001 * s) for r, m in ((0.5, 0.60), (2, 0.50)) for s in range(3)]
    table = compare_to_baseline(_records(rows), "m/d = 2", groups=("dataset", "bits"))
    text = report.plateau_summary(table, 2, _ratio, "C")
    assert "but a smaller one is higher (m/d = 0.5), against the paper's reading" in text


def test_schedule_handicap_names_the_one_sided_cut():
    text = report.schedule_handicap(600, 5400, {"BA": (30, 30), "SGH": (5000, 5000)})
    assert text == ("SiGAH trained for 600 of its 5,400 optimiser steps, BA and SGH at their full schedule: a "
                    "handicap on SiGAH's side, and its errors here are not those of its full schedule.")
    assert report.schedule_handicap(5400, 5400, {"BA": (30, 30)}) == "Every method trained at its full schedule."
    cut = report.schedule_handicap(600, 5400, {"BA": (3, 30), "SGH": (200, 5000)})
    assert "BA for 3 of 30 iterations, SGH for 200 of 5,000 iterations." in cut and "handicap" not in cut


def test_baseline_schedules_read_the_class_defaults():
    schedules = report.baseline_schedules({"sgh": {"n_iter": 200}}, ["ba", "sgh"])
    assert schedules == {"BA": (30, 30), "SGH": (200, 5000)}


def test_reconstruction_summary():
    errors = pd.Series({"training mean (trivial)": 1.0, "SiGAH, m/d = 2": 0.4, "SiGAH, m/d = 4": 0.35,
                        "BA, 64 bits": 0.5, "QoLSH, 784 bits": 1.2})
    text = report.reconstruction_summary(errors, dataset="MNIST", n_queries=1000, default_label="SiGAH, m/d = 2",
                                         dim=784, bits=64, handicap="H.")
    assert "the lowest relative error of a SiGAH model is 0.350 (SiGAH, m/d = 4)" in text
    assert "*QoLSH, 784 bits* does not beat the trivial" in text
    assert "SiGAH, m/d = 2 is below every baseline" in text and text.endswith("H.")


def test_digit_grid_draws_rows_and_refuses_non_squares():
    import matplotlib.pyplot as plt

    from sigah.studies.reconstruction import digit_grid

    rng = np.random.default_rng(0)
    fig = digit_grid({"original": rng.random((3, 16)), "redrawn": rng.random((3, 16))}, 2, title="t")
    assert len(fig.axes) == 4
    plt.close(fig)
    with pytest.raises(ValueError, match="square images"):
        digit_grid({"a": rng.random((3, 15))}, 2)
    with pytest.raises(ValueError, match="at least 4 images"):
        digit_grid({"a": rng.random((3, 16))}, 4)


def test_weight_decrease_summary_tests_the_papers_fig8_sentence():
    rows = [("MNIST", 64, f"alpha = {v:g}", s, m + 0.001 * s) for v, m in ((0.001, 0.5), (0.01, 0.5), (0.1, 0.3))
            for s in range(3)]
    runs = _records(rows)
    table = compare_to_baseline(runs, "alpha = 0.01", groups=("dataset", "bits"))
    text = report.weight_decrease_summary({"alpha": table}, {"alpha": runs}, {"alpha": "α"}, {"alpha": 0.01}, _ratio)
    assert "mAP decreases with a larger parameter value" in text
    assert "* α on MNIST, against α = 0.01: alpha = 0.1 \u22120.2000; mAP is lower at every larger value" in text


def test_plot_sweep_gives_zero_a_place_on_a_symlog_axis():
    import matplotlib.pyplot as plt

    records = _margin_records({0.0: 0.5, 0.01: 0.45, 0.1: 0.4})
    fig, ax = plt.subplots()
    report.plot_sweep(ax, records, lambda v: float(v.split(" = ")[1]), "α", 0.01)
    assert ax.get_xscale() == "symlog"
    plt.close(fig)


def test_clean_value_above_rounds_up_to_one_two_five():
    assert report.clean_value_above(0.025) == 0.05
    assert report.clean_value_above(0.03) == 0.05
    assert report.clean_value_above(0.0011) == 0.002
    assert report.clean_value_above(0.001) == 0.001  # already clean: kept
    assert report.clean_value_above(7) == 10
    for value in np.geomspace(1e-5, 1e3, 37):
        clean = report.clean_value_above(value)
        assert value <= clean * (1 + 1e-12) < 2.5 * value + 1e-15  # never more than 2.5 times above
    with pytest.raises(ValueError, match="positive"):
        report.clean_value_above(0)


def test_acting_gamma_is_the_largest_suggestion_rounded_up_or_the_readers():
    assert report.acting_gamma_for({"MNIST": 0.025, "SIFT10K": 0.03}) == 0.05
    assert report.acting_gamma_for({"MNIST": 0.025}, 0.03) == 0.03
    with pytest.raises(ValueError, match="acting_gamma"):
        report.acting_gamma_for({"MNIST": 0.025}, -1.0)


def _shares(adversarial_loss, adversarial_gradient):
    terms = ["reconstruction", "sparsity", "graph", "adversarial", "decorrelation"]
    loss = [1 - adversarial_loss - 0.2, 0.1, 0.05, adversarial_loss, 0.05]
    return pd.DataFrame({"weight": [1, 0.01, 0.01, 0.001, 1], "value": 1.0, "weighted": loss,
                         "loss_share": loss, "gradient_norm": 1.0,
                         "gradient_share": [0.5, 0.1, 0.1, adversarial_gradient, 0.3]},
                        index=pd.Index(terms, name="term"))


def test_share_table_in_percent_per_dataset():
    table = report.share_table({"MNIST": _shares(0.002, 0.012), "SIFT10K": _shares(0.0017, 0.011)})
    row = table.set_index("term").loc["adversarial"]
    assert row["MNIST loss %"] == pytest.approx(0.2) and row["SIFT10K gradient %"] == pytest.approx(1.1)
    assert table["MNIST loss %"].sum() == pytest.approx(100)
    with pytest.raises(ValueError, match="at least one"):
        report.share_table({})


def test_discriminator_share_summary_states_both_gammas_and_a_missed_target():
    rng = np.random.default_rng(0)
    base = 0.5 + 0.01 * rng.standard_normal(3)
    inert = compare_to_baseline(_two_variants(base, base + np.array([0.001, -0.001, 0.0005]),
                                              names=("with", "without")), "with",
                                groups=("dataset", "bits"), margin=0.05)
    acting = compare_to_baseline(_two_variants(base, base + 0.05 + 0.0001 * np.arange(3),
                                               names=("with", "without")), "with", groups=("dataset", "bits"))
    text = report.discriminator_share_summary(
        {"MNIST": _shares(0.0021, 0.012)}, {"MNIST": _shares(0.03, 0.2)}, default_gamma=0.001,
        acting_gamma=0.05, suggested={"MNIST": 0.025}, tables={0.001: inert, 0.05: acting}, bits=64)
    assert "default γ = 0.001 the adversarial term is 0.21\u00a0% of the generator's loss" in text
    assert "1.2\u00a0% of its gradient norm" in text
    assert "**equivalent within ±0.0500**" in text  # inert at the default: said so, with the margin
    assert "3.00\u00a0% of the loss, **below** the 5\u00a0% aimed at" in text
    assert "**higher**" in text and "γ ≈ 0.025" in text


def test_zero_weight_lines_name_each_verdict_and_the_margin():
    rng = np.random.default_rng(1)
    base = 0.5 + 0.01 * rng.standard_normal(4)
    rows = [("MNIST", 64, "defaults", s, v) for s, v in enumerate(base)]
    rows += [("MNIST", 64, "gamma = 0", s, v + 0.0001 * s) for s, v in enumerate(base)]
    rows += [("MNIST", 64, "all = 0", s, v - 0.1 - 0.001 * s) for s, v in enumerate(base)]
    table = compare_to_baseline(_records(rows), "defaults", groups=("dataset", "bits"), margin=0.01)
    text = report.zero_weight_lines(table, {"gamma = 0": "γ = 0", "all = 0": "α = β = γ = 0"}, margin=0.01)
    assert "* γ = 0 on MNIST: mAP changes by" in text and "**equivalent within ±0.0100**" in text
    assert "* α = β = γ = 0 on MNIST: mAP changes by \u22120.1" in text and "**lower**" in text
    assert "within ±0.010 mAP counts as equivalent" in text
    assert "No equivalence margin" in report.zero_weight_lines(table, {}, margin=None)


def test_ablation_protocols_take_one_k_per_dataset():
    protocols, ks, _ = report.ablation_protocols([("siftsmall", None)], n_queries=10, n_database=500,
                                                 n_train=200, k={"siftsmall": 50}, seed=0)
    assert list(ks.values()) == [50]
    with pytest.raises(ValueError, match="no K for dataset 'siftsmall'"):
        report.ablation_protocols([("siftsmall", None)], n_queries=10, n_database=500, n_train=200,
                                  k={"mnist": 50}, seed=0)


def _pair_table(variant, differences, base):
    rows = [("MNIST", 64, "defaults", s, v) for s, v in enumerate(base)]
    rows += [("MNIST", 64, variant, s, v + d) for s, (v, d) in enumerate(zip(base, differences))]
    return compare_to_baseline(_records(rows), "defaults", groups=("dataset", "bits"))


def test_schedule_pairs_pick_one_decided_and_one_undecided_comparison():
    base = 0.5 + 0.01 * np.random.default_rng(2).standard_normal(4)
    decided = _pair_table("off", [-0.1, -0.101, -0.099, -0.1], base)
    undecided = _pair_table("zero", [0.01, -0.01, 0.02, -0.02], base)
    candidates = {"A undecided": (undecided, "zero", {"alpha": 0.0}),
                  "B decided": (decided, "off", {"use_discriminator": False}),
                  "C decided": (decided, "off", {"gamma": 0.0})}
    pairs = report.schedule_pairs(candidates, "MNIST", 64)
    assert list(pairs) == ["B decided", "A undecided"]
    assert pairs["B decided"]["settings"] == {"use_discriminator": False} and pairs["B decided"]["baseline"] == {}
    own = report.schedule_pairs({"D at γ": (decided, "off", {"use_discriminator": False}, {"gamma": 0.1})},
                                "MNIST", 64)
    assert own["D at γ"]["baseline"] == {"gamma": 0.1}
    only_decided = report.schedule_pairs({k: candidates[k] for k in ("B decided", "C decided")}, "MNIST", 64)
    assert len(only_decided) == 2  # none undecided: the two closest to a decision
    with pytest.raises(ValueError, match="no comparison 'missing'"):
        report.schedule_pairs({"x": (decided, "missing", {})}, "MNIST", 64)


def test_schedule_table_and_summary_say_when_a_verdict_changes():
    base = 0.5 + 0.01 * np.random.default_rng(3).standard_normal(4)
    pairs = report.schedule_pairs({"off": (_pair_table("off", [-0.1, -0.101, -0.099, -0.1], base), "off", {}),
                                   "zero": (_pair_table("zero", [0.01, -0.01, 0.02, -0.02], base), "zero", {})},
                                  "MNIST", 64)
    rows = [("MNIST", 64, "defaults", s, v) for s, v in enumerate(base)]
    rows += [("MNIST", 64, "off", s, v + d) for s, (v, d) in enumerate(zip(base, [0.01, -0.01, 0.0, 0.005]))]
    rows += [("MNIST", 64, "zero", s, v - 0.05 - 0.001 * s) for s, v in enumerate(base)]
    longer = compare_to_baseline(_records(rows), "defaults", groups=("dataset", "bits"))
    table = report.schedule_table(pairs, longer, (16, 64))
    by_pair = report.schedule_table(pairs, longer.assign(pair=longer["variant"], variant="variant"), (16, 64))
    pd.testing.assert_frame_equal(by_pair, table)  # a pair column names the pairs when there is one
    named = report.schedule_table(pairs, longer, (16, 64), dataset="SIFT10K")
    assert list(named.columns)[:2] == ["dataset", "comparison"] and set(named["dataset"]) == {"SIFT10K"}
    pd.testing.assert_frame_equal(named.drop(columns="dataset"), table)
    assert table["verdict changes"].tolist() == ["yes", "yes"]
    assert table["verdict, 16 steps"].tolist() == ["lower", "inconclusive"]
    assert table["verdict, 64 steps"].tolist() == ["inconclusive", "lower"]
    text = report.schedule_summary(table, longer, (16, 64), "MNIST")
    assert text.startswith("On MNIST, from 16 to 64 optimiser steps, the verdict changes for 2 of 2 comparisons")
    assert "* zero: mAP changes by \u22120.05" in text


def test_schedule_dataset_is_the_one_asked_for_or_the_only_one():
    names = ["MNIST", "SIFT10K"]
    assert report.schedule_dataset_name(names, "second") == "SIFT10K"
    assert report.schedule_dataset_name(names, None) == "SIFT10K"
    assert report.schedule_dataset_name(names, "first") == "MNIST"
    assert report.schedule_dataset_name(["MNIST"], "second") == "MNIST"  # one dataset: the first
    with pytest.raises(ValueError, match="schedule_dataset must be one of .* got 'third'"):
        report.schedule_dataset_name(names, "third")
    with pytest.raises(ValueError, match="at least one dataset"):
        report.schedule_dataset_name([], "first")


def test_step_cost_sentence_divides_each_dataset_mean_fit_time_by_its_steps():
    records = pd.DataFrame({"dataset": ["MNIST", "MNIST", "SIFT10K", "SIFT10K"],
                            "fit_seconds": [30.0, 10.0, 3.0, 1.0], "from_store": [True, False, False, False]})
    text = report.step_cost_sentence(records, {"MNIST": 1000, "SIFT10K": 500})
    assert "20.0 ms on MNIST and 4.0 ms on SIFT10K" in text
    assert "mean of 4 fits (1 read from the store of runs" in text
    fresh = report.step_cost_sentence(records.assign(from_store=False), {"MNIST": 1000, "SIFT10K": 500})
    assert "store" not in fresh
