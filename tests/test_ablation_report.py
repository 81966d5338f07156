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
    assert (row["comparisons"], row["lower"], row["higher"], row["undecided"]) == (2, 1, 0, 1)


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
    assert "SiGAH at the default m/d = 2 is below every baseline" in text and text.endswith("H.")


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
