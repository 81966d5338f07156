"""The computed sentences and tables of chapter *Compressed-sensing recovery*."""

import numpy as np
import pandas as pd
import pytest

from sigah import cs
from sigah.studies import recovery as report


def test_signed_range_of_equal_ends_is_one_value():
    assert report.signed_range(-3, 5) == "between -3 and +5"
    assert report.signed_range(2.2, 1.8) == "+2 in every case"


def test_measurements_needed_is_the_first_p_from_which_the_rate_stays_high():
    rates = np.array([[0.0, 0.95, 0.5, 0.9, 1.0],   # dips after the first success: stays high from 4th
                      [1.0, 1.0, 1.0, 1.0, 1.0],    # always: the first p
                      [0.0, 0.0, 0.0, 0.0, 0.8]])   # never: NaN
    grid = [10, 20, 30, 40, 50]
    needed = report.measurements_needed(rates, grid)
    assert needed[0] == 40 and needed[1] == 10 and np.isnan(needed[2])
    for row, value in zip(rates, needed):  # brute force: smallest p with every later rate >= 0.9
        ok = [p for i, p in enumerate(grid) if (row[i:] >= 0.9).all()]
        assert (ok[0] if ok else None) == (None if np.isnan(value) else value)


def summary_with(bp, omp):
    sparsities = [1, 9, 17]
    rates = {"bp": np.zeros((3, 2)), "omp": np.zeros((3, 2))}
    frame = report.transition_summary(40, sparsities, [10, 20], rates)
    frame[report.BP90], frame[report.OMP90] = bp, omp
    return frame


def test_transition_summary_uses_the_statistical_dimension():
    frame = summary_with([np.nan] * 3, [np.nan] * 3)
    assert frame[report.DELTA].tolist() == pytest.approx(
        cs.l1_statistical_dimension(40, np.array([1, 9, 17])).tolist())
    assert frame[report.ASYMPTOTE].iloc[0] == pytest.approx(2 * np.log(40))


def test_transition_sentence_singular_and_off_grid_cases():
    frame = summary_with([20.0, np.nan, np.nan], [30.0, np.nan, np.nan])
    text = report.transition_sentence(frame, 40, 10).data
    assert "for the 1 sparsity whose" in text and "median over 1 sparsity)" in text
    assert "in every case" in text and "between" not in text.split("of δ")[0]
    none = report.transition_sentence(summary_with([np.nan] * 3, [np.nan] * 3), 40, 10).data
    assert "reaches 90 % success nowhere" in none and "No sparsity has a 90 % point" in none


def test_gaussianity_row_of_independent_orthonormal_rows_is_standard():
    rng = np.random.default_rng(0)
    d, k = 200, 4
    A = cs.gaussian_matrix(d, 2 * d, seed=rng)
    row = report.gaussianity_row("orthonormal", cs.orthonormal_rows(k, d, seed=rng), A)
    assert 0.7 < row[report.VAR_MIN] <= row[report.VAR_MAX] < 1.3
    assert row[report.POOLED] > 1e-3
    sentence = report.gaussianity_sentence(pd.DataFrame([row] * 3).set_index("Φ"), k, 2 * d).data
    assert "of the 6 sample correlations" in sentence


def errors_frame(nnz_values, failed):
    rows = []
    for j, (nnz, fail) in enumerate(zip(nnz_values, failed)):
        for p in (4, 16):
            rows.append({"p": p, "signal": j, "non-zeros": nnz, report.BP_ERR: 1e-4 if p == 16 else 0.5,
                         report.GEN_ERR: 1e-9, "relative residual": 0.0, "restarts used": 1,
                         "search failed": fail and p == 16})
    return pd.DataFrame(rows)


def test_generator_sentence_counts_pairs_and_splits_by_sparsity():
    errors = errors_frame([3, 12], [False, True])
    text = report.generator_sentence(errors, 100, 8, "computed in this run (5\u00a0s)").data
    assert "between 3 and 12 (median 8) non-zeros" in text
    assert "**4 measurements through the generator**" in text and "**16 with basis pursuit**" in text
    assert "50.0% of 2 (signal, p) pairs" in text and "at most k" in text
    assert "the sweep was computed in this run (5\u00a0s)." in text
    one = report.generator_sentence(errors_frame([5], [False]), 100, 8, "computed in this run (5\u00a0s)").data
    assert "have 5 non-zeros" in one and "1 (signal, p) pair" in one and "at most k" not in one
    summary = report.generator_summary(errors)
    assert summary.loc[16, "searches failed"] == 0.5


def test_lasso_and_timing_sentences():
    text = report.lasso_sentence(200, 37, 110, 10, 4, 10).data
    assert "recovers 10 of 10 signals" in text and "a refit 4" in text
    timing = report.phase_timing_sentence(200, 1, [1, 9], [10], {"bp": "computed in this run (1\u00a0s)",
                                                                  "omp": "read from the store of runs"}).data
    assert "1 signal per cell, 2 × 1 cell:" in timing
    assert "programme per signal) computed in this run (1\u00a0s), OMP read from the store of runs." in timing
    assert report.run_time_sentence(1.0, 13.4).data == "*Chapter run time: 12 s.*"


def test_generator_recovery_is_reproducible_and_recovers_with_enough_measurements():
    errors = report.generator_recovery(8, 100, 0.1, 5, [4, 64], n_restarts=4, seed=0)
    again = report.generator_recovery(8, 100, 0.1, 5, [4, 64], n_restarts=4, seed=0)
    pd.testing.assert_frame_equal(errors, again)
    assert set(errors["p"]) == {4, 64} and errors["signal"].nunique() <= 5
    assert errors["non-zeros"].between(1, 100).all()
    few, many = errors[errors["p"] == 4], errors[errors["p"] == 64]
    assert (many[report.BP_ERR] < 1e-9).all() and (few[report.BP_ERR] > 0.1).all()
    # with p > k measurements a search that explains them (zero residual) has found the signal
    solved = many[many["relative residual"] < 1e-6]
    assert len(solved) >= 1 and (solved[report.GEN_ERR] < 1e-6).all()
