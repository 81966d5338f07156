"""Chapter *The energy discriminator*: sentences follow the runs; γ comparisons go through sigah.stats."""

import numpy as np
import pandas as pd

from sigah.studies import discriminator_report as report
from sigah.studies.wording import NBSP


def ebgan_runs(repeats=2, noise=0.0):
    rng = np.random.default_rng(0)
    rows = []
    for mu, dist, ld in ((0.1, 0.05, 1.0), (10.0, 0.20, 0.5)):
        for r in range(repeats):
            rows.append({"margin": mu, "repeat": r, "energy distance": dist + noise * rng.normal() + 0.001 * r,
                         "final D(real)": 0.05, "final D(synthetic)": 0.06, "final L_D / μ": ld})
    return pd.DataFrame(rows)


def test_margin_sentence_states_the_factor_it_judges_by():
    assert "raised it 3.0-fold" in report.margin_sentence(0.1, (0.1, 0.1), (10.0, 0.3))
    assert "lowered it 2.0-fold" in report.margin_sentence(0.2, (0.1, 0.2), (10.0, 0.1))
    assert "by a factor of 1.10, less than 1.5 either way" in report.margin_sentence(0.1, (0.1, 0.1), (10.0, 0.11))


def test_ebgan_sentence_names_equilibrium_and_the_rest():
    text = report.ebgan_sentence(ebgan_runs(), 12.3)
    assert text.startswith("Over 2 runs per margin (12 s in all)")
    assert "closest to the data (median energy distance 0.0505) with μ = 0.1" in text
    assert "within 10 % of μ, EBGAN's equilibrium value, for μ = 0.1;" in text
    assert "the final real and synthetic energies are 0.05 and 0.06 at μ = 0.1." in text
    assert "For μ = 10, L_D ends at 0.50μ" in text and "not at equilibrium" in text
    one = report.ebgan_sentence(ebgan_runs(repeats=1)[lambda f: f["margin"] == 0.1], 1.0)
    assert one.startswith("Over 1 run per margin") and "farthest" not in one


def test_large_margin_sentence_is_a_paired_comparison_or_says_it_cannot_be():
    text = report.large_margin_sentence(ebgan_runs(repeats=3))
    assert "0.2010 at the largest margin (μ = 10) and 0.0510 at the smallest (μ = 0.1), means over 3 runs" in text
    assert "higher than μ = 0.1's" in text and "95" in text
    noisy = report.large_margin_sentence(ebgan_runs(repeats=3, noise=1.0))
    assert "inconclusive" in noisy and "no real effect" not in noisy
    single = report.large_margin_sentence(ebgan_runs(repeats=1))
    assert "one run per margin there is no interval, so no verdict" in single


def gamma_results(seeds=3, effect=0.02, noise=0.0001):
    rng = np.random.default_rng(3)
    rows = []
    for g, shift in ((0.0, 0.0), (0.001, 0.0), (0.1, -effect)):
        for s in range(seeds):
            rows.append({"γ": g, "seed": s, "mAP (PR area)": 0.5 + shift + 0.01 * s + noise * rng.normal(),
                         "Pre@100": 0.6 + shift + 0.01 * s + noise * rng.normal(),
                         "D(real), last epoch": 0.1 if g else None})
    return pd.DataFrame(rows)


def test_gamma_summary_is_mean_and_spread_without_wrapping():
    html = report.gamma_summary(gamma_results()).to_html()
    assert f"{NBSP}±{NBSP}" in html and "white-space: nowrap" in html and "–" in html


def test_gamma_comparisons_are_paired_holm_corrected_and_worded():
    results = gamma_results()
    family = report.gamma_comparisons(results)
    assert len(family) == 4 and {c.method for c in family.comparisons} == {"holm"}
    assert family["mAP (PR area), γ = 0.1 − γ = 0"].verdict == "lower"
    text = report.gamma_sentence(results, 42.0)
    assert "γ = 0.1's mAP (PR area) is lower than γ = 0's by 0.020" in text
    assert "Holm-corrected over 4 comparisons" in text
    assert text.endswith("The 9 fits took 42 s in this run.")
    stored = results.assign(**{"from store": [True] * 3 + [False] * 6})
    assert report.gamma_sentence(stored, 42.0).endswith(
        "took 42 s in this run (3 of them read from the store of runs, fitted by an earlier run).")
    every = results.assign(**{"from store": True})
    assert "(all read from the store of runs" in report.gamma_sentence(every, 1.0)
    assert "from store" not in report.gamma_summary(stored).to_html()


def test_gamma_with_one_seed_gives_no_verdict():
    text = report.gamma_sentence(gamma_results(seeds=1), 5.0)
    assert text.startswith("With one seed per γ there is no interval, so no verdict")
    assert "γ = 0.1 minus γ = 0: −0.020" in text and "The 3 fits took 5 s in this run." in text


def test_run_line_agrees_with_its_counts():
    one = report.run_line("MNIST", bits=32, epochs=1, gammas=[0.0, 0.1], default_gamma=0.001, n_seeds=1, k=100)
    assert "1 epoch, γ = 0 and 0.1 (package default γ = 0.001), 1 seed each" in one
    assert "3 seeds each" in report.run_line("MNIST", bits=32, epochs=5, gammas=[0.0], default_gamma=0.001,
                                             n_seeds=3, k=100)


def shares(adversarial_share):
    frame = pd.DataFrame({"weight": [1.0, 0.001], "value": [1.0, 0.5], "loss_share": [1 - adversarial_share,
                          adversarial_share], "gradient_share": [0.99, adversarial_share / 2]},
                         index=pd.Index(["reconstruction", "adversarial"], name="term"))
    frame["weighted"] = frame["weight"] * frame["value"]
    return frame


def test_share_sentence_says_whether_the_discriminator_can_move_the_codes():
    text = report.share_sentence(shares(0.0005), 0.001, 0.1)
    assert text.startswith("At γ = 0.001 the adversarial term is 0.05 % of the generator's loss and 0.025 %")
    assert "5 % of the loss at γ ≈ 0.1, 100 times the weight used here" in text
    assert "below 1 %: at this weight the discriminator can hardly move the codes" in text
    assert "takes part in training" in report.share_sentence(shares(0.2), 0.1, 0.02)
    assert "times the weight" not in report.share_sentence(shares(0.0), 0.0, None)
    html = report.shares_table(shares(0.2)).to_html()
    assert "20 %" in html and "share of the gradient norm" in html
