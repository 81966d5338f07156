"""Small pieces the chapters' computed sentences and tables are made of.

A chapter states its results in sentences computed from the run. The words must agree with the
numbers ("1 seed", "2 seeds"; "1 of 1 cell"; one value, not "between 0.5 and 0.5"), and a table of
mean ± standard deviation must not wrap inside its cells. :class:`Prose` is a string that a
notebook displays as Markdown, so a chapter cell ends with one call and shows a sentence;
:func:`html_table` styles a frame as an HTML table whose cells never wrap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


# counts in words come from the statistics module, so that every sentence of the book agrees
from sigah.stats import count_of, mean_pm_std, plural

__all__ = ["Prose", "plural", "count_of", "join_words", "pm", "value_range", "html_table", "headline", "NBSP"]

#: non-breaking space: keeps "0.42 ± 0.01" on one line
NBSP = "\u00a0"


class Prose(str):
    """A string shown as Markdown when it is the value of a notebook cell."""

    def _repr_markdown_(self) -> str:
        return str(self)

    def __add__(self, other: str) -> Prose:
        return Prose(str(self) + str(other))


def join_words(words: Sequence[str], conjunction: str = "and") -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``; ``""`` for no words."""
    words = [str(w) for w in words]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} {words[-1]}"


def pm(mean: float, std: float | None, digits: int = 4) -> str:
    """``"0.4242 ± 0.0042"`` that never wraps (:func:`sigah.stats.mean_pm_std`, four digits by
    default); the mean alone when the spread is missing (NaN or None, e.g. a single seed)."""
    return mean_pm_std(mean, std, digits)


def value_range(low: float, high: float, digits: int = 4) -> str:
    """``"between 0.1000 and 0.2000"``, or ``"0.1000"`` when both ends print the same."""
    a, b = f"{low:.{digits}f}", f"{high:.{digits}f}"
    return a if a == b else f"between {a} and {b}"


def html_table(
    frame: Any,
    formats: Mapping[str, str] | str | None = None,
    *,
    caption: str | None = None,
    hide_index: bool = True,
    na_rep: str = "—",
    wrap: Iterable[str] = (),
) -> Any:
    """A frame styled as a compact HTML table whose cells do not wrap.

    Values never break inside a cell (``0.42 ± 0.01`` stays on one line); headers may wrap
    between words, and the columns named in ``wrap`` (long text) may too, so that the table fits
    the page's text column. The font is a little smaller than the text's, as in a printed table.

    Parameters
    ----------
    frame : pandas.DataFrame
    formats : str or mapping, optional
        A format for every numeric cell (``"{:.4f}"``) or one per column; string cells are left as
        they are.
    caption : str, optional
    hide_index : bool
        Leave the index out.
    na_rep : str
        Shown for missing values.
    wrap : iterable of str
        Columns whose cells may wrap between words.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    style = frame.style
    if isinstance(formats, str):
        numeric = [c for c in frame.columns if frame[c].dtype.kind in "fiu"]
        style = style.format(formats, na_rep=na_rep, subset=numeric)
    elif formats:
        style = style.format(dict(formats), na_rep=na_rep)
    rules = [{"selector": "", "props": "font-size: 0.8em;"},
             {"selector": "th, td", "props": "padding: 0.1em 0.45em;"},
             {"selector": "th", "props": "white-space: normal;"},
             {"selector": "td", "props": "white-space: nowrap;"}]
    style = style.set_table_styles(rules, overwrite=False)
    wrap = [c for c in wrap if c in frame.columns]
    if wrap:  # per-column rules ("#T td.col1") outrank the table's "#T td"
        props = "white-space: normal; min-width: 6em;"
        style = style.set_table_styles({c: [{"selector": "td", "props": props}] for c in wrap}, overwrite=False)
    if caption:
        style = style.set_caption(caption)
    return style.hide(axis="index") if hide_index else style


def headline(text: str, notes: Iterable[str] = (), *, note_prefix: str = "Size preset lowered: ") -> Prose:
    """``**text**`` followed by one bullet per note (e.g. sizes lowered to what the data holds)."""
    return Prose(f"**{text}**" + "".join(f"\n- {note_prefix}{note}" for note in notes))
