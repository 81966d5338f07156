"""Chapter *Training time*: every fit time is marked by its source, and the sentences follow the numbers."""

import numpy as np
import pandas as pd
import pytest

from sigah.studies import timing_report as report
from sigah.studies.wording import NBSP


def records(stored, cpu=None):
    rows = []
    for i, (method, bits) in enumerate([("itq", 32), ("itq", 64), ("lsh", 32), ("lsh", 64)]):
        rows.append({"method": method, "bits": bits, "fit_seconds": 1.0 + i, "vectors_per_second": 1e5,
                     "from_store": stored[i]})
    frame = pd.DataFrame(rows)
    if cpu is not None:
        frame["cpu"] = cpu
    return frame


def test_table3_marks_exactly_the_times_read_from_the_store():
    html = report.table3(records([True, False, False, False]), ["lsh", "itq"]).to_html()
    assert f"1.00{NBSP}*" in html            # ITQ, 32 bits: from the store
    assert f"2.00{NBSP}*" not in html and "2.00" in html
    assert "read from the store" in html and "white-space: nowrap" in html
    assert html.index("LSH") < html.index("ITQ")
    sigah = records([False] * 4).assign(method=["sigah", "sigah", "lsh", "lsh"])
    assert "SiGAH (book defaults)" in report.table3(sigah, ["sigah", "lsh"]).to_html()


@pytest.mark.parametrize(("stored", "expected"), [
    ([False] * 4, "All 4 fit times of this table were measured in this run"),
    ([True] * 4, "All 4 fit times of this table were read from the store of runs"),
    ([True, False, False, False], "3 of 4 fit times of this table were measured in this run; the other 1 "),
])
def test_time_sources_counts_both_kinds(stored, expected):
    text = report.time_sources(records(stored))
    assert text.startswith(expected)
    assert ("do not name the CPU" in text) == any(stored)


def test_time_sources_names_the_cpu_the_store_recorded():
    text = report.time_sources(records([True, True, False, False], cpu=["AMD EPYC 7B13", "AMD EPYC 7B13", None, None]))
    assert "on AMD EPYC 7B13, as the store records" in text


def test_ratios_divide_by_itq_on_both_sides():
    paper = pd.DataFrame({"method": ["ITQ", "LSH", "ITQ", "LSH"], "dataset": ["GIST1M"] * 4,
                          "bits": [32, 32, 64, 64], "value": [10.0, 1.0, 20.0, 6.0]})
    ours = records([False] * 4)
    ratios = report.fit_time_ratios(ours, paper, ["lsh", "itq"], [32, 64], "MNIST")
    assert ratios.loc["ITQ"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert ratios.loc["LSH", "ours (MNIST), 32 bits"] == pytest.approx(3.0 / 1.0)
    assert ratios.loc["LSH", "paper GIST1M, 64 bits"] == pytest.approx(0.3)
    assert "LSH: 2.5× ITQ here, a median 0.2× ITQ" in report.ratio_sentence(ratios)
    html = report.ratio_table(ratios).to_html()
    assert "paper GIST1M" in html and "64 bits" in html and "paper GIST1M, 64 bits" not in html
    assert "fit time ÷ ITQ's fit time" in html
    assert "no ratios" in report.ratio_sentence(ratios.drop(columns=[c for c in ratios if c.startswith("ours")]))


def test_growth_sentence_with_one_method_names_it_once():
    one = pd.DataFrame({"exponent b": [0.95]}, index=["ITQ"])
    assert report.growth_sentence(one, [1000]).startswith("The fitted exponent is **ITQ**'s, b = 0.95.")
    assert "1 size up to 1,000" in report.growth_sentence(one, [1000])
    two = pd.DataFrame({"exponent b": [0.95, 0.1]}, index=["ITQ", "LSH"])
    text = report.growth_sentence(two, [10, 20])
    assert "steepest growth is **ITQ**'s" in text and "flattest is **LSH**'s" in text and "2 sizes" in text


def test_och_sentence_only_when_every_size_covers_its_sample():
    slopes = pd.DataFrame({"exponent b": [0.05]}, index=["OCH"])
    och = {"n_sample": 1000, "n_steps": 300, "batch_size": 256}
    assert "as that predicts" in report.och_sentence(och, slopes, [1000, 2000])
    assert report.och_sentence(och, slopes, [500, 2000]) == ""
    assert report.och_sentence(och, slopes.rename(index={"OCH": "ITQ"}), [1000]) == ""


def test_search_sentence_compares_engines_and_sizes():
    search = pd.DataFrame({"n_database": [10, 10, 100, 100], "engine": ["faiss", "numpy"] * 2,
                           "queries_per_second": [1000.0, 500.0, 100.0, 200.0]})
    pivot, table = report.search_table(search, 10, 64)
    assert "queries per second, k = 10" in table.to_html() and ">100<" in table.to_html()
    text = report.search_sentence(pivot)
    assert "faiss is 2.0× slower" in text and "falls by 10.0×" in text
    single = report.search_sentence(pivot.loc[[100]])
    assert single.endswith("(brute force).") and "falls" not in single


def test_schedule_note_counts_the_steps_of_both_schedules():
    full = {"sgh": {"n_iter": 100}, "sigah": {"epochs": 2, "min_steps": 0, "batch_size": 100}}
    short = {"sgh": {"n_iter": 10}, "sigah": {"epochs": 1, "min_steps": 0, "batch_size": 100}}
    text = report.schedule_note(short, full, 1000, ["sizes lowered"])
    assert "- SGH: short 10 and 10; full 100 and 100" in text
    assert "- SiGAH: short 10 and 10,000; full 20 and 20,000" in text
    assert text.endswith("- sizes lowered")


def test_hardware_table_lets_long_entries_wrap():
    html = report.hardware_table({"CPU": "AMD EPYC", "BLAS": "openblas 0.3; " * 5}).to_html()
    assert "AMD EPYC" in html and "min-width: 6em" in html


def test_stored_fits_name_the_cpu_their_entry_records(tmp_path):
    from sigah.hashers import make_hasher
    from sigah.machine import cpu_model
    from sigah.store import RunStore, load_or_fit

    store = RunStore(tmp_path / "store")
    train = np.random.default_rng(0).standard_normal((200, 16)).astype(np.float32)
    load_or_fit(make_hasher("itq", 8, seed=0), train, store=store)  # stores the fit and its CPU
    rows = pd.DataFrame({"method": ["itq", "itq", "lsh"], "bits": [8, 8, 8], "seed": [0, 0, 0],
                         "from_store": [True, False, True]})
    out = report.with_stored_cpus(rows, train, {}, store=store)
    assert out["cpu"].iloc[0] == cpu_model() and out["cpu"].iloc[1:].isna().all()  # LSH was never stored
    assert f"on {cpu_model()}, as the store records" in report.time_sources(out.assign(
        fit_seconds=1.0, vectors_per_second=1.0))


def test_study_sources_say_which_run_measured_each_study():
    from sigah.stored_results import Provenance

    made = Provenance(False, 12.0, "AMD EPYC", "2026-12-04T10:00:00Z")
    read = Provenance(True, 30.0, "Intel Xeon", "2026-12-01T10:00:00Z")
    text = report.study_sources({"the scaling study": made, "the study against d": read})
    assert text.startswith("Times of the scaling study: measured in this run (12")
    assert "the study against d: read from the store of runs (measured on 2026-12-01 in 30" in text
    assert "on Intel Xeon)" in text and "`reuse_timings=False` measures them again" in text
    assert "store" not in report.study_sources({"the scaling study": made})
