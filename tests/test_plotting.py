"""Tests of sigah.studies.plotting: colours and labels by method id, and what each plot helper draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sigah.hashers import METHODS  # noqa: E402
from sigah.studies.plotting import (  # noqa: E402
    METHOD_COLORS, Panel, bits_linestyle, method_color, method_id, method_label, plot_bars_with_paper,
    plot_by_method, plot_curves, plot_history, sigah_training_panels, styled,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def same_color(a, b) -> bool:
    return np.allclose(mcolors.to_rgba(a), mcolors.to_rgba(b))


def test_every_registered_method_has_its_own_colour_and_label():
    assert set(METHODS) <= set(METHOD_COLORS)
    colours = [method_color(m) for m in METHODS]
    assert len(set(colours)) == len(colours)
    assert method_label("sph") == "SpH" and method_label("qolsh") == "QoLSH" and method_label("sigah") == "SiGAH"


def test_variants_keep_their_method_colour_and_get_a_label():
    assert method_id("sgh-stochastic") == "sgh" and method_id("ITQ") == "itq"
    assert method_color("sgh-stochastic") == method_color("sgh") == method_color("SGH")
    assert method_color("sgh") != method_color("sph")
    assert method_label("sgh-stochastic") == "SGH (stochastic)"
    assert method_label("sigah-no_decorrelation") == "SiGAH (no decorrelation)"
    # unknown names: unchanged label, one neutral colour, and a hyphen does not make a variant
    assert method_label("GreedyHash") == "GreedyHash" and method_id("deep-bit") == "deep-bit"
    assert method_color("unknown") not in METHOD_COLORS.values()


def test_bits_linestyle_solid_for_the_longest_code():
    assert bits_linestyle(64, [32, 64]) == "-" and bits_linestyle(32, [32, 64]) == "--"
    assert bits_linestyle(16, [16, 32, 64]) == ":"


def test_plot_history_draws_every_series_with_its_data_and_reference_lines():
    history = {"epoch": [1, 2, 3], "a": [3.0, 2.0, 1.0], "b": [0.5, 0.4, 0.3], "c": [1.0, 1.1, 1.2]}
    panels = [Panel({"a": "term a", "b": "term b"}, "loss", "losses", logy=True),
              Panel({"c": "term c"}, "energy", hlines={"margin": 1.5})]
    axes = plot_history(history, panels)
    assert len(axes) == 2
    lines = axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["term a", "term b"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), [0.5, 0.4, 0.3])
    assert axes[0].get_yscale() == "log" and axes[1].get_yscale() == "linear"
    assert axes[0].get_title() == "losses" and axes[1].get_ylabel() == "energy" and axes[0].get_xlabel() == "epoch"
    margin = [line for line in axes[1].get_lines() if line.get_label() == "margin"]
    assert len(margin) == 1 and np.allclose(margin[0].get_ydata(), 1.5)


def test_plot_history_overlays_models_on_given_axes_with_smoothing():
    _, ax = plt.subplots()
    history = pd.DataFrame({"iteration": np.arange(10), "loss": np.arange(10.0)})
    panel = [Panel({"loss": "loss"}, "loss")]
    plot_history(history, panel, x="iteration", axes=[ax], color=method_color("sgh"), label="run 1", smooth=4)
    plot_history(history, panel, x="iteration", axes=[ax], color=method_color("itq"), label="run 2", linestyle="--")
    first, second = ax.get_lines()
    assert first.get_label() == "run 1" and second.get_label() == "run 2"
    # a moving average of 4 over 0..9 is 1.5..7.5, placed at the window's end (x = 3..9)
    np.testing.assert_allclose(first.get_ydata(), np.arange(1.5, 8.0))
    np.testing.assert_array_equal(first.get_xdata(), np.arange(3, 10))
    assert same_color(first.get_color(), method_color("sgh")) and second.get_linestyle() == "--"
    with pytest.raises(ValueError, match="2 panels"):
        plot_history(history, panel * 2, x="iteration", axes=[ax])
    with pytest.raises(ValueError, match="smooth"):
        plot_history(history, panel, x="iteration", smooth=0)


def test_sigah_training_panels_name_history_columns_and_mark_the_margin():
    panels = sigah_training_panels(margin=0.5)
    columns = {c for p in panels for c in p.series}
    assert columns == {"reconstruction", "sparsity", "graph", "adversarial", "decorrelation", "energy_real",
                       "energy_fake", "quantization_error", "reconstruction_error"}
    assert list(panels[1].hlines.values()) == [0.5]


def table_for_bars():
    return pd.DataFrame({
        "method": ["itq", "itq", "sgh", "sgh", "sgh-stochastic"],
        "bits": [32, 64, 32, 64, 32],
        "Pre@100": [0.80, 0.85, 0.82, 0.86, 0.84],
        "Pre@100 ±": [0.01, 0.0, 0.02, np.nan, 0.0],
        "Pre@100 (paper)": [0.8255, 0.87, np.nan, 0.88, 0.75],
    })


def test_plot_bars_with_paper_draws_one_coloured_bar_per_cell_and_marks_the_paper():
    table = table_for_bars()
    ax = plot_bars_with_paper(table, "Pre@100", error="Pre@100 ±", paper="Pre@100 (paper)")
    bars = ax.patches
    assert len(bars) == len(table)
    heights = sorted(round(b.get_height(), 6) for b in bars)
    assert heights == sorted(table["Pre@100"].round(6))
    itq_bars = [b for b in bars if same_color(b.get_facecolor(), method_color("itq"))]
    sgh_bars = [b for b in bars if same_color(b.get_facecolor(), method_color("sgh"))]
    assert len(itq_bars) == 2 and len(sgh_bars) == 3  # the variant keeps SGH's colour...
    assert sum(bool(b.get_hatch()) for b in sgh_bars) == 1  # ...and is told apart by a hatch
    # the paper's values: one black segment per known number, centred on its bar at its height
    segments = [seg for coll in ax.collections if coll.get_gid() == "paper" for seg in coll.get_segments()]
    assert len(segments) == table["Pre@100 (paper)"].notna().sum()
    centres = {round(b.get_x() + b.get_width() / 2, 6): b for b in bars}
    for seg in segments:
        (x0, y0), (x1, y1) = seg
        assert y0 == y1
        bar = min(centres.items(), key=lambda kv: abs(kv[0] - (x0 + x1) / 2))[1]
        row = table[np.isclose(table["Pre@100"], bar.get_height())].iloc[0]
        assert np.isclose(y0, row["Pre@100 (paper)"])
        assert 0.5 * bar.get_width() < x1 - x0 < bar.get_width()  # within its bar: neighbouring ticks never join
    assert [t.get_text() for t in ax.get_xticklabels()] == ["32 bits", "64 bits"]
    assert ax.get_ylim()[1] > table[["Pre@100", "Pre@100 (paper)"]].max().max()  # room above for the legend
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"ITQ", "SGH", "SGH (stochastic)", "the paper's value"} <= set(legend)


def test_plot_bars_with_paper_names_a_missing_column():
    with pytest.raises(ValueError, match="mAP"):
        plot_bars_with_paper(table_for_bars(), "mAP")


def test_plot_curves_colour_by_method_style_by_bits():
    x = np.linspace(0, 1, 5)
    curves = {("itq", 32): (x, 1 - x), ("itq", 64): (x, 1 - x / 2), ("lsh", 64): (x, 0.5 - x / 4)}
    ax = plot_curves(curves, xlabel="recall", ylabel="precision", logx=False)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"ITQ, 32 bits", "ITQ, 64 bits", "LSH, 64 bits"}
    assert same_color(lines["ITQ, 32 bits"].get_color(), method_color("itq"))
    assert same_color(lines["LSH, 64 bits"].get_color(), method_color("lsh"))
    assert lines["ITQ, 64 bits"].get_linestyle() == "-" and lines["ITQ, 32 bits"].get_linestyle() == "--"
    np.testing.assert_allclose(lines["ITQ, 64 bits"].get_ydata(), 1 - x / 2)
    assert ax.get_xlabel() == "recall" and ax.get_ylabel() == "precision"
    with pytest.raises(ValueError, match="2 x values and 3 y values"):
        plot_curves({("itq", 32): ([0, 1], [0, 1, 2])})


def test_plot_by_method_one_marker_series_per_method():
    records = pd.DataFrame({"method": ["lsh", "lsh", "sigah"], "bits": [32, 64, 32],
                            "fit_seconds": [0.1, 0.2, 30.0], "precision_at_100": [0.5, 0.6, 0.9]})
    ax = plot_by_method(records, "fit_seconds", "precision_at_100", annotate="bits", logx=True)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"LSH", "SiGAH"}
    np.testing.assert_array_equal(lines["LSH"].get_ydata(), [0.5, 0.6])
    assert same_color(lines["SiGAH"].get_color(), method_color("sigah"))
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.texts] == ["32", "64", "32"]


def test_styled_writes_labels_and_renders_html():
    frame = pd.DataFrame({"method": ["itq", "sgh-stochastic"], "bits": [32, 64], "Pre@100": [0.123456, np.nan]})
    html = styled(frame, digits=3).to_html()
    assert "ITQ" in html and "SGH (stochastic)" in html and "0.123" in html and "0.1235" not in html
    assert "<table" in html and list(frame["method"]) == ["itq", "sgh-stochastic"]  # the input is not changed


def test_plot_shells_grey_items_and_method_coloured_relevant_bars():
    from sigah.studies.plotting import plot_shells

    items, relevant = np.array([1.0, 10.0, 100.0]), np.array([1.0, 5.0, 2.0])
    ax = plot_shells(items, relevant, method="itq", title="shells")
    bars = ax.patches
    assert len(bars) == 6 and ax.get_yscale() == "log"
    np.testing.assert_allclose([b.get_height() for b in bars], np.r_[items, relevant])
    assert all(same_color(b.get_facecolor(), method_color("itq")) for b in bars[3:])
    assert not any(same_color(b.get_facecolor(), method_color("itq")) for b in bars[:3])
    with pytest.raises(ValueError, match="3 shells"):
        plot_shells(items, relevant[:2], method="itq")
