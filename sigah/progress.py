"""Progress display: a bar on a terminal, one line per fit anywhere else.

A progress bar redraws itself with carriage returns, which a terminal turns into one moving line but
a log file, a pipe or a notebook's saved output keeps as hundreds of lines. Every bar of the package
is therefore made by :func:`progress_bar`, which shows it only when standard error is a terminal;
elsewhere a method asked for progress writes one line per fit with its time instead
(:func:`report_fit`, called by :meth:`sigah.hashers.Hasher.fit`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["on_terminal", "progress_bar", "report_fit"]


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default: the current standard error) is an interactive terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or detached stream
        return False


def progress_bar(iterable: Iterable | None = None, *, enabled: bool = True, **options: Any):
    """A :class:`tqdm.tqdm` bar over ``iterable``, shown only if ``enabled`` and on a terminal.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over (or None, with ``total=`` among ``options``, to update by hand).
    enabled : bool
        The caller's wish (a ``progress`` argument); off a terminal the bar stays silent anyway.
    **options
        Passed to :class:`tqdm.tqdm` (``desc``, ``total``, ``unit``, ``leave`` ...).

    Returns
    -------
    tqdm.tqdm
        A working bar, or a disabled one that iterates and accepts updates without printing.
    """
    from tqdm import tqdm  # plain bars: notebook widgets would not render in the book

    return tqdm(iterable, disable=not (enabled and on_terminal()), **options)


def report_fit(what: str, seconds: float, *, detail: str = "", stream: TextIO | None = None) -> None:
    """One line for a finished fit, where no bar was shown: ``<what>: fitted in 12.3 s (<detail>)``.

    Written to ``stream`` (default: standard error) only when it is not a terminal: on a terminal
    the bar has shown the progress already.
    """
    stream = sys.stderr if stream is None else stream
    if stream is None or on_terminal(stream):
        return
    suffix = f" ({detail})" if detail else ""
    print(f"{what}: fitted in {seconds:.1f} s{suffix}", file=stream, flush=True)
