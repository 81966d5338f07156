"""The book's figure style and a few plot helpers.

One style everywhere: white background, light grid, labelled axes, legends without frames,
a fixed colour per method so that a method looks the same in every chapter.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib

__all__ = ["METHOD_COLORS", "METHOD_LABELS", "use_book_style", "method_color", "method_label"]

#: one colour per method, used by every chapter
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

#: how method names are written in figures and tables
METHOD_LABELS = {
    "lsh": "LSH", "itq": "ITQ", "sph": "SpH", "ba": "BA", "sgh": "SGH",
    "och": "OCH", "qolsh": "QoLSH", "sigah": "SiGAH",
}


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


def method_color(method: str) -> str:
    """The colour of ``method`` in every figure (grey for unknown names)."""
    return METHOD_COLORS.get(method.lower(), "#333333")


def method_label(method: str) -> str:
    """Display name of ``method`` (``"itq"`` → ``"ITQ"``)."""
    return METHOD_LABELS.get(method.lower(), method)


def method_labels(methods: Iterable[str]) -> list[str]:
    """Display names of several methods."""
    return [method_label(m) for m in methods]
