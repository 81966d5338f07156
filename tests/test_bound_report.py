"""The computed sentences and tables of chapter *The generator bound*."""

import numpy as np
import pandas as pd
import pytest

from sigah.studies import bound as report
from sigah.studies.timing import optimiser_steps


def test_size_paragraph_says_reduced_and_by_how_much():
    text = report.size_paragraph(20000, 10).data
    steps = 10 * -(-20000 // 256)
    full = optimiser_steps("sigah", 69000)
    assert "**Size of this run: reduced**" in text
    assert "20,000 of 69,000 training vectors" in text
    assert f"{steps:,} of {full:,} SiGAH optimiser steps" in text and "(10 epochs)" in text
    one = report.size_paragraph(None, 1).data
    assert "training vectors" not in one and "(1 epoch)" in one


def test_size_paragraph_at_the_protocol():
    full = optimiser_steps("sigah", 69000)
    epochs = -(-full // -(-69000 // 256))  # enough passes to reach the default steps
    text = report.size_paragraph(None, epochs).data
    assert text.startswith("**Size of this run: the paper's protocol**")
    assert report.size_paragraph(10**6, epochs).data == text  # capped at the 69,000 images


def theorem_frame():
    return pd.DataFrame({"p": [2, 2, 8, 8], "lhs": [0.9, 1.1, 0.1, 0.3], "rhs": [2.0, 1.0, 0.5, 0.2],
                         "norm": [1.0, 1.0, 1.0, 1.0], "epsilon": [0.0] * 4}).assign(
        ratio=lambda f: f["lhs"] / f["rhs"])


def test_theorem_summary_rates_against_a_direct_count():
    per_p = report.theorem_summary(theorem_frame())
    assert per_p.loc[2, "bound holds"] == 0.5 and per_p.loc[8, "bound holds"] == 0.5
    assert per_p.loc[2, "vacuous (right side ≥ ‖x*‖)"] == 1.0 and per_p.loc[8, "vacuous (right side ≥ ‖x*‖)"] == 0
    text = report.theorem_sentence(theorem_frame(), per_p, 5, 2, 3.0).data
    assert "Over 2 draws per $p$" in text and "From $p = 8$ on" in text and "holds in 50% of all draws" in text
    one = report.theorem_sentence(theorem_frame(), per_p.iloc[:1], 1, 1, 3.0).data
    assert "Over 1 draw per" in one and "No $p$ of the grid" in one and "With $p < k" not in one


def test_discrete_summary_and_sentence():
    frame = pd.DataFrame({"p": [4, 4], "lhs": [0.5, 2.0], "rhs": [1.0, 1.5], "norm": [1.0, 1.0],
                          "Eq. 8 gap": [0.1, 0.0], "quantisation term": [0.5, 0.75]})
    per_p = report.discrete_summary(frame)
    assert per_p.loc[4, "bound holds"] == 0.5 and per_p.loc[4, "vacuous (right side ≥ ‖s*‖)"] == 1.0
    text = report.discrete_sentence(frame).data
    assert "in 100% of draws" in text and "Eq. (10) holds in 50% of all draws" in text
    assert "a median 50% of the right side" in text
    html = report.rate_table(per_p).to_html()
    assert "50%" in html and "100%" in html


def images_frame(ratios=(0.5, 2.0)):
    rows = []
    for ratio in ratios:
        for i in range(3):
            rows.append({"m / d": ratio, "observed": 0.5 - 0.1 * ratio + 0.01 * i, "predicted": 3.0,
                         "predicted, range isometry": 2.0, "relaxed": 0.4 - 0.1 * ratio, "e": 0.3,
                         "range ratio": 1.1, "‖A‖₂": 1 + np.sqrt(ratio), "L": 4.0, "quantisation share": 0.6})
    return pd.DataFrame(rows)


def test_bound_sentence_over_several_and_one_dictionary_size():
    images = images_frame()
    summary = report.bound_summary(images)
    assert summary.loc[0.5, "bound holds"] == 1.0 and summary.loc[2.0, "vacuous (right side ≥ ‖x‖)"] == 1.0
    text = report.bound_sentence(images, summary, epochs=1, n_train=5000, seconds=12).data
    assert "6 (image, m) pairs" in text and "after 1 epoch on 5,000 images" in text
    assert "binary codes decreases" in text and "relaxed codes tanh(Wᵀx), which training minimises, decreases" in text
    one_images = images_frame((1.0,))
    one = report.bound_sentence(one_images, report.bound_summary(one_images), epochs=2, n_train=10,
                                seconds=1).data
    assert "across m" not in one and "From m" not in one and one.endswith("The sweep's fit took 1 s.")
    stored = report.bound_sentence(images, summary, epochs=1, n_train=5000, seconds=12, n_stored=1).data
    assert stored.endswith("the sweep's 2 fits took 12 s, 1 of them read from the store and timed when first fitted.")
    assert "m = 0.5 d" in report.bound_table(summary).to_html()


def test_the_sweep_time_says_which_fits_came_from_the_store():
    assert report.sweep_time_phrase(40, 3) == "the sweep's 3 fits took 40 s"
    assert report.sweep_time_phrase(40, 3, 3) == "the sweep's 3 fits were read from the store of runs (40 s when first fitted)"
    assert report.sweep_time_phrase(9, 1, 1) == "the sweep's fit was read from the store of runs (9 s when first fitted)"
    with pytest.raises(ValueError, match="n_stored must be between 0 and n_fits=3"):
        report.sweep_time_phrase(40, 3, 4)


def test_headline_and_constants():
    text = report.mnist_headline(32, 5000, 1, 1, "MNIST: 1,000 random queries").data
    assert "for 1 epoch; bound measured on 1 held-out image (" in text
    assert report.constants_sentence((6, 3, 2)).data.endswith("approximation 6, noise 3, optimisation 2.")
    ratios = np.array([1.0, 2.0, 3.0])
    lip = report.lipschitz_sentence(np.zeros(4), np.ones(4), ratios, 6.0).data
    assert "all 4 random pairs (100%)" in lip and "3.0× smaller" in lip


@pytest.mark.parametrize("values, expected", [([0.5, 0.5], "0.50 at every m"), ([0.2, 0.5], "between 0.20 and 0.50")])
def test_range_phrase(values, expected):
    assert report._range(pd.Series(values)) == expected
