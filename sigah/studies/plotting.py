"""The book's figure style and the plots its chapters repeat.

One style everywhere: white background, light grid, labelled axes, legends without frames, and a
fixed colour per method, looked up by method id (``"itq"``, ``"sgh"``, ...), so that a method looks
the same in every chapter. A *variant* of a method is written ``"<id>-<variant>"`` (for example
``"sgh-stochastic"``, SGH with its stochastic neuron): it keeps the method's colour, is labelled
``"SGH (stochastic)"`` and is told apart by its marker and hatch.

The plot helpers take tidy tables (one row per method and code length, or one row per epoch) and
draw on a given :class:`matplotlib.axes.Axes` or on a new figure; each returns what it drew on, so
a chapter can still add a title or a reference line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np

__all__ = [
    "METHOD_COLORS", "METHOD_LABELS", "Panel", "use_book_style", "method_id", "method_color", "method_label",
    "method_labels", "method_marker", "bits_linestyle", "plot_history", "sigah_training_panels",
    "plot_bars_with_paper", "plot_curves", "plot_by_method", "plot_shells", "styled",
]

#: one colour per method id, used by every chapter
METHOD_COLORS = {
    "lsh": "#7f7f7f",
    "itq": "#1f77b4",
    "sph": "#2ca02c",
    "ba": "#9467bd",
    "sgh": "#ff7f0e",
    "och": "#8c564b",
    "qolsh": "#e377c2",
    "sigah": "#d62728",
}

#: how method ids are written in figures and tables
METHOD_LABELS = {
    "lsh": "LSH", "itq": "ITQ", "sph": "SpH", "ba": "BA", "sgh": "SGH",
    "och": "OCH", "qolsh": "QoLSH", "sigah": "SiGAH",
}

_UNKNOWN_COLOR = "#333333"
# markers and hatches of variants, in order of first use in a figure (a base method has none)
_VARIANT_MARKERS = ("o", "s", "^", "D", "v", "P")
_VARIANT_HATCHES = ("//", "..", "xx", "\\\\", "++", "oo")
_LINESTYLES = ("-", "--", ":", "-.")


def use_book_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a chapter)."""
    matplotlib.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "axes.grid": True,
            "grid.color": "#dddddd",
            "grid.linewidth": 0.6,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.frameon": False,
            "legend.fontsize": 9,
            "lines.linewidth": 1.8,
            "font.size": 10,
            "image.cmap": "viridis",
        }
    )


def _split(name: str) -> tuple[str, str]:
    """``"SGH-stochastic"`` → ``("sgh", "stochastic")``; a name without a known id keeps no variant."""
    text = str(name).strip()
    base, sep, variant = text.partition("-")
    if sep and base.lower() in METHOD_LABELS:
        return base.lower(), variant
    return text.lower(), ""


def method_id(name: str) -> str:
    """The method id a name or variant belongs to (``"sgh-stochastic"`` → ``"sgh"``, ``"ITQ"`` → ``"itq"``)."""
    return _split(name)[0]


def method_color(name: str) -> str:
    """The colour of a method (and of its variants) in every figure; dark grey for unknown names."""
    return METHOD_COLORS.get(method_id(name), _UNKNOWN_COLOR)


def method_label(name: str) -> str:
    """Display name of a method id or variant (``"itq"`` → ``"ITQ"``, ``"sgh-stochastic"`` → ``"SGH (stochastic)"``).

    Unknown names are returned unchanged.
    """
    base, variant = _split(name)
    if base not in METHOD_LABELS:
        return str(name)
    label = METHOD_LABELS[base]
    return f"{label} ({variant.replace('_', ' ')})" if variant else label


def method_labels(methods: Iterable[str]) -> list[str]:
    """Display names of several methods."""
    return [method_label(m) for m in methods]


def method_marker(name: str, names: Sequence[str]) -> str | None:
    """The marker of ``name`` among the ``names`` of one figure: ``None`` for a base method id, else one per variant."""
    variants = list(dict.fromkeys(n for n in names if _split(n)[1]))
    if not _split(name)[1]:
        return None
    return _VARIANT_MARKERS[variants.index(name) % len(_VARIANT_MARKERS)] if name in variants else "o"


def _method_hatch(name: str, names: Sequence[str]) -> str | None:
    variants = list(dict.fromkeys(n for n in names if _split(n)[1]))
    if name not in variants:
        return None
    return _VARIANT_HATCHES[variants.index(name) % len(_VARIANT_HATCHES)]


def bits_linestyle(bits: int, all_bits: Iterable[int]) -> str:
    """Line style of a code length: solid for the longest of ``all_bits``, then dashed, dotted, dash-dot."""
    ordered = sorted({int(b) for b in all_bits}, reverse=True)
    return _LINESTYLES[ordered.index(int(bits)) % len(_LINESTYLES)]


def _axes(ax=None, ncols: int = 1, figsize: tuple[float, float] | None = None):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    _, axes = plt.subplots(1, ncols, figsize=figsize, squeeze=False)
    return axes[0] if ncols > 1 else axes[0, 0]


# --------------------------------------------------------------------------------------------- histories


@dataclass(frozen=True)
class Panel:
    """One panel of :func:`plot_history`.

    Attributes
    ----------
    series : mapping of str to str
        Column of the history → its legend label, drawn in order.
    ylabel : str
        Label of the y axis, with units.
    title : str
    logy : bool
        Logarithmic y axis.
    hlines : mapping of str to float
        Reference lines: legend label → y value (grey, dashed).
    """

    series: Mapping[str, str]
    ylabel: str
    title: str = ""
    logy: bool = False
    hlines: Mapping[str, float] = field(default_factory=dict)


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    if window <= 1:
        return values
    return np.convolve(values, np.ones(window) / window, mode="valid")


def plot_history(
    history: Mapping[str, Sequence[float]] | Any,
    panels: Sequence[Panel],
    *,
    x: str = "epoch",
    xlabel: str | None = None,
    axes: Sequence[Any] | None = None,
    color: str | None = None,
    linestyle: str = "-",
    label: str | None = None,
    smooth: int = 1,
    figsize: tuple[float, float] | None = None,
) -> np.ndarray:
    """Draw a training history, one panel per group of series (SiGAH's losses, SpH's overlaps, ...).

    Parameters
    ----------
    history : mapping or pandas.DataFrame
        Columns of equal length ``n_steps``: ``x`` and every column named by the panels (a fitted
        model's ``history_``).
    panels : sequence of Panel
    x : str
        Column on the x axis.
    xlabel : str, optional
        Label of the x axis (default: ``x``).
    axes : sequence of matplotlib Axes, optional
        Draw on these (one per panel), e.g. to overlay several models' histories; otherwise a new
        figure with the panels side by side.
    color : str, optional
        One colour for every series (to tell models apart when overlaying); by default each series of
        a panel takes the next colour of the cycle.
    linestyle : str
    label : str, optional
        Prefixed to every legend entry, ``"<label>: <series label>"``; with one series per panel and
        ``color`` set, the entry is ``label`` alone.
    smooth : int
        Window of a moving average applied to every series (1: none); x is shifted to the window's end.
    figsize : (float, float), optional

    Returns
    -------
    numpy.ndarray of matplotlib Axes, shape (len(panels),)
    """
    if not panels:
        raise ValueError("plot_history needs at least one panel")
    if isinstance(smooth, bool) or not isinstance(smooth, (int, np.integer)) or smooth < 1:
        raise ValueError(f"smooth must be a positive integer, got {smooth!r}")
    if axes is None:
        width = 4.3 * len(panels) if figsize is None else figsize[0]
        axes = _axes(ncols=len(panels), figsize=figsize or (width, 3.6))
    axes = np.atleast_1d(np.asarray(axes, dtype=object))
    if len(axes) != len(panels):
        raise ValueError(f"got {len(axes)} axes for {len(panels)} panels")
    xs = np.asarray(history[x], dtype=np.float64)
    for ax, panel in zip(axes, panels):
        for i, (column, series_label) in enumerate(panel.series.items()):
            ys = _moving_average(np.asarray(history[column], dtype=np.float64), int(smooth))
            if len(ys) == 0:
                continue
            text = series_label if label is None else (
                label if (color is not None and len(panel.series) == 1) else f"{label}: {series_label}")
            ax.plot(xs[len(xs) - len(ys):], ys, linestyle=linestyle, color=color or f"C{i}",
                    marker="osD^v"[i % 5] if len(ys) <= 40 else None, markersize=3.5, label=text)
        for ref_label, y in panel.hlines.items():
            ax.axhline(y, color="#555555", linestyle="--", linewidth=0.9, label=ref_label)
        if panel.logy:
            ax.set_yscale("log")
        if np.all(xs == np.round(xs)):  # epochs, iterations: no tick at 1.5
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_xlabel(xlabel or x)
        ax.set_ylabel(panel.ylabel)
        if panel.title:
            ax.set_title(panel.title)
        ax.legend(fontsize=8)
    return axes


def sigah_training_panels(margin: float) -> list[Panel]:
    """The three panels of a SiGAH training history (chapters "The energy discriminator" and "Hash learning").

    The terms of the generator's loss (the paper's Eq. 20), the discriminator's energies of real and
    synthetic features beside the margin ``margin`` of its loss (Eq. 21), and the quantisation and
    reconstruction errors.
    """
    return [
        Panel({"reconstruction": "reconstruction (MSE)", "sparsity": "L1 of $G(\\tilde b)$ per entry",
               "graph": "graph term", "adversarial": "adversarial $D(\\hat x)$",
               "decorrelation": "balance/decorrelation $\\mathcal{L}_{bd}$"},
              "loss term (unweighted, log scale)", "terms of the generator's loss", logy=True),
        Panel({"energy_real": "real $D(\\tilde x)$", "energy_fake": "synthetic $D(\\hat x)$"},
              "energy (mean squared error, standardised units)", "discriminator energies",
              hlines={f"margin μ = {margin:g}": margin}),
        Panel({"quantization_error": "quantisation $(b-\\tilde b)^2$ per bit",
               "reconstruction_error": "reconstruction MSE"},
              "error (standardised units)", "quantisation and reconstruction"),
    ]


# ------------------------------------------------------------------------------------------- comparisons


def plot_bars_with_paper(
    table: Any,
    value: str,
    *,
    error: str | None = None,
    paper: str | None = None,
    ax: Any = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Any:
    """Grouped bars of one metric, one group per code length, one bar per method, the paper's value marked.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (method, bits): columns ``method`` (id or variant, e.g. ``"itq"``,
        ``"sgh-stochastic"``), ``bits``, ``value`` and, if given, ``error`` and ``paper``
        (NaN where the paper has no number), e.g. the output of :func:`sigah.studies.paper.beside_paper`.
    value : str
        Column of our measurement (the bar height).
    error : str, optional
        Column of its standard deviation over seeds (an error bar).
    paper : str, optional
        Column of the paper's number, drawn as a black horizontal tick across the bar.
    ax : matplotlib Axes, optional
    ylabel, title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    missing = [c for c in ("method", "bits", value, error, paper) if c is not None and c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; it has {list(table.columns)}")
    ax = _axes(ax)
    methods = list(dict.fromkeys(table["method"]))
    bits = sorted(dict.fromkeys(int(b) for b in table["bits"]))
    width = 0.8 / len(methods)
    half = 0.46 * width  # half a bar: bars of neighbouring methods keep a gap
    marked = False
    ax.set_axisbelow(True)  # grid lines behind the bars
    for i, method in enumerate(methods):
        rows = table[table["method"] == method]
        x = np.array([bits.index(int(b)) for b in rows["bits"]]) + (i - (len(methods) - 1) / 2) * width
        yerr = rows[error].fillna(0).to_numpy() if error else None
        ax.bar(x, rows[value], 2 * half, yerr=yerr if yerr is not None and yerr.any() else None, capsize=2,
               color=method_color(method), hatch=_method_hatch(method, methods), edgecolor="white",
               label=method_label(method))
        if paper:
            known = rows[paper].notna().to_numpy()
            # a tick narrower than its bar, so that ticks of neighbouring bars never join into one line
            ax.hlines(rows[paper].to_numpy()[known], x[known] - 0.75 * half, x[known] + 0.75 * half, color="black",
                      linewidth=2.2, label=None if marked or not known.any() else "the paper's value",
                      gid="paper")
            marked = marked or bool(known.any())
    ax.set_xticks(np.arange(len(bits)), [f"{b} bits" for b in bits])
    ax.set_ylabel(ylabel or value)
    if title:
        ax.set_title(title)
    # head room above the tallest bar or tick for a one-row legend, so that it covers nothing
    highest = np.nanmax(table[[c for c in (value, paper) if c]].to_numpy(dtype=np.float64))
    ax.set_ylim(0, 1.25 * highest)
    ax.legend(fontsize=8, ncol=len(methods) + bool(paper), loc="upper center", columnspacing=1.0)
    return ax


def plot_curves(
    curves: Mapping[tuple[str, int], tuple[Sequence[float], Sequence[float]]],
    *,
    ax: Any = None,
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    logx: bool = False,
) -> Any:
    """Retrieval curves (precision–recall, P@N, recall@N), one line per (method, code length).

    Colour by method (:func:`method_color`), line style by code length (:func:`bits_linestyle`:
    the longest solid), a marker for variants.

    Parameters
    ----------
    curves : mapping
        ``{(method, bits): (x, y)}`` with ``x`` and ``y`` of equal length.
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str
    logx : bool
        Logarithmic x axis (for curves over the number of items retrieved).

    Returns
    -------
    matplotlib Axes
    """
    if not curves:
        raise ValueError("plot_curves needs at least one curve")
    ax = _axes(ax)
    names = [method for method, _ in curves]
    all_bits = [b for _, b in curves]
    for (method, b), (xs, ys) in curves.items():
        if len(xs) != len(ys):
            raise ValueError(f"curve {(method, b)} has {len(xs)} x values and {len(ys)} y values")
        ax.plot(xs, ys, linestyle=bits_linestyle(b, all_bits), color=method_color(method),
                marker=method_marker(method, names), markevery=max(1, len(xs) // 8), markersize=4,
                label=f"{method_label(method)}, {b} bits")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_by_method(
    records: Any,
    x: str,
    y: str,
    *,
    annotate: str | None = None,
    ax: Any = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    logx: bool = False,
) -> Any:
    """Scatter of one record column against another, a colour per method (e.g. quality against training time).

    Parameters
    ----------
    records : pandas.DataFrame
        Columns ``method``, ``x``, ``y`` (and ``annotate``), e.g. the records of
        :func:`sigah.studies.experiments.run_grid`.
    x, y : str
    annotate : str, optional
        Column written beside every point (e.g. ``"bits"``).
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str, optional
    logx : bool

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    methods = list(dict.fromkeys(records["method"]))
    for method in methods:
        rows = records[records["method"] == method]
        ax.plot(rows[x], rows[y], linestyle="none", marker=method_marker(method, methods) or "o", markersize=8,
                color=method_color(method), label=method_label(method))
        if annotate:
            for xv, yv, text in zip(rows[x], rows[y], rows[annotate]):
                ax.annotate(f"{text}", (xv, yv), textcoords="offset points", xytext=(4, -10), fontsize=8)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    if title:
        ax.set_title(title)
    ax.legend(ncol=2, fontsize=8)
    return ax


def plot_shells(
    items: Sequence[float],
    relevant: Sequence[float],
    *,
    method: str,
    relevant_label: str = "true neighbours",
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Mean size of each Hamming-distance shell around a query, all items against relevant ones (log scale).

    Parameters
    ----------
    items, relevant : sequence of float, shape (n_bits + 1,)
        Mean number of database items, and of relevant ones, at each distance ``0..n_bits``
        (e.g. ``shell_histograms(...).items.mean(0)``).
    method : str
        Method id: the relevant bars take its colour.
    relevant_label : str
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if len(items) != len(relevant):
        raise ValueError(f"items has {len(items)} shells and relevant {len(relevant)}")
    ax = _axes(ax)
    radii = np.arange(len(items))
    ax.bar(radii, items, color="#bbbbbb", label="all database items")
    ax.bar(radii, relevant, color=method_color(method), label=relevant_label)
    ax.set_yscale("log")
    ax.set_xlabel("Hamming distance to the query (bits)")
    ax.set_ylabel("items per query (mean, log scale)")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


# ------------------------------------------------------------------------------------------------ tables


def styled(frame: Any, digits: int = 4, *, hide_index: bool = True, labels: bool = True) -> Any:
    """A table ready for ``display``: numbers to ``digits`` decimals, method ids written as their labels.

    Parameters
    ----------
    frame : pandas.DataFrame
    digits : int
        Decimals of float columns (integers are written as integers).
    hide_index : bool
        Leave out the (default, positional) index.
    labels : bool
        Write a ``method`` column's ids as display names (``"itq"`` → ``"ITQ"``).

    Returns
    -------
    pandas.io.formats.style.Styler
        Renders as an HTML table in a notebook and in the book.
    """
    if labels and "method" in frame.columns:
        frame = frame.assign(method=[method_label(m) for m in frame["method"]])
    style = frame.style.format(precision=digits, na_rep="–", thousands=",")
    return style.hide(axis="index") if hide_index else style
