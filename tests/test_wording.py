"""The words of computed sentences agree with their numbers, and tables of mean ± std do not wrap."""

import numpy as np
import pandas as pd
import pytest

from sigah.studies.wording import NBSP, Prose, count_of, headline, html_table, join_words, plural, pm, value_range


@pytest.mark.parametrize(("n", "noun", "expected"), [
    (1, "seed", "1 seed"), (2, "seed", "2 seeds"), (0, "cell", "0 cells"), (1, "query", "1 query"),
    (1000, "query", "1,000 queries"), (3, "day", "3 days"), (2, "box", "2 boxes"), (2, "fit time", "2 fit times"),
    (2, "epoch", "2 epochs"), (3, "training epoch", "3 training epochs"), (2, "batch", "2 batches"),
])
def test_plural_agrees_with_the_count(n, noun, expected):
    assert plural(n, noun) == expected


def test_plural_takes_an_irregular_form_and_refuses_a_bad_count():
    assert plural(2, "matrix", "matrices") == "2 matrices"
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="non-negative integer"):
            plural(bad, "seed")


def test_count_of_agrees_with_the_total():
    assert count_of(1, 1, "cell") == "1 of 1 cell"
    assert count_of(0, 3, "cell") == "0 of 3 cells"
    with pytest.raises(ValueError, match="between 0 and n=2"):
        count_of(3, 2, "cell")


def test_join_words():
    assert join_words([]) == ""
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b"]) == "a and b"
    assert join_words(["a", "b", "c"], "or") == "a, b or c"


def test_equal_ends_give_one_value_not_a_range():
    assert value_range(-0.0022, -0.00221) == "-0.0022"
    assert value_range(0.1, 0.2, 2) == "between 0.10 and 0.20"


def test_mean_and_spread_stay_on_one_line():
    assert pm(0.42424, 0.00421) == f"0.4242{NBSP}±{NBSP}0.0042"
    assert " " not in pm(0.5, 0.01)
    assert pm(0.5, np.nan, 2) == "0.50"
    assert pm(0.5, None, 2) == "0.50"


def test_prose_displays_as_markdown():
    text = Prose("**bold**") + " and more"
    assert isinstance(text, Prose)
    assert text._repr_markdown_() == "**bold** and more"
    assert headline("MNIST", ["k lowered"]) == "**MNIST**\n- Size preset lowered: k lowered"
    assert headline("MNIST") == "**MNIST**"


def test_html_table_cells_do_not_wrap_and_numbers_are_formatted():
    frame = pd.DataFrame({"method": ["ITQ", "LSH"], "mAP": [0.41234, np.nan], "cell": [pm(0.4, 0.01), "x"]})
    html = html_table(frame, "{:.2f}", caption="a caption").to_html()
    assert "white-space: nowrap" in html and "white-space: normal" in html  # cells stay, headers may wrap
    assert "min-width: 6em" in html_table(frame, wrap=["cell"]).to_html() and "min-width" not in html
    assert "0.41" in html and "0.41234" not in html
    assert "—" in html and "a caption" in html
    assert f"0.4000{NBSP}±{NBSP}0.0100" in html
    per_column = html_table(frame, {"mAP": "{:.3f}"}).to_html()
    assert "0.412" in per_column
