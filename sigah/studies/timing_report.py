"""The tables and sentences of the chapter *Training time*, computed from its measurements.

Table 3's fits go through the store of runs (:mod:`sigah.store`): a fit stored by an earlier run
(another chapter, another build, possibly another machine) is read back with the time it took then.
:func:`table3` therefore marks every time it shows as measured in this run or read from the store,
and :func:`time_sources` says how many of each there are (and the CPU the store recorded, when the
records carry it). The other helpers turn the scaling and search measurements of
:mod:`sigah.studies.timing` into the chapter's tables and sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sigah.studies.book_defaults import row_label
from sigah.studies.wording import NBSP, Prose, count_of, html_table, join_words, plural

__all__ = [
    "STORE_MARK", "with_stored_cpus", "hardware_table", "table3", "time_sources", "fit_time_ratios", "ratio_table", "ratio_sentence", "schedule_note",
    "slopes_table", "beside_paper_1m", "growth_sentence", "och_sentence", "search_table", "search_sentence",
    "study_sources",
]

#: appended to a time read from the store of runs
STORE_MARK = f"{NBSP}*"


def _labelled(frame: pd.DataFrame, methods: Iterable[str]) -> pd.DataFrame:
    from sigah.studies.plotting import method_label

    frame = frame.reindex([m for m in methods if m in frame.index])
    frame.index = [row_label(method_label(m)) for m in frame.index]
    return frame


def with_stored_cpus(records: pd.DataFrame, train: np.ndarray, params: Mapping[str, Mapping[str, Any]],
                     store: Any = None) -> pd.DataFrame:
    """``records`` with a ``cpu`` column: for each fit read from the store of runs, the CPU its entry
    records (None where the entry does not say, or for fits measured in this run).

    Parameters
    ----------
    records : pandas.DataFrame
        Grid records (``method``, ``bits``, ``seed``, ``from_store``); a variant row is looked up as
        its method.
    train : numpy.ndarray
        The training set the fits saw (their store key depends on it).
    params : mapping
        ``{method: {argument: value}}`` the grid ran with.
    store : RunStore, optional
        Default: the shared store.
    """
    from sigah.hashers import make_hasher
    from sigah.store import DEFAULT, data_fingerprint, fit_key, resolve_store

    store = resolve_store(DEFAULT if store is None else store)
    fingerprint = data_fingerprint(train) if store is not None else ""
    cpus = []
    for r in records.to_dict("records"):
        if store is None or not r["from_store"]:
            cpus.append(None)
            continue
        method = str(r["method"]).split("[", 1)[0]
        hasher = make_hasher(method, int(r["bits"]), seed=int(r["seed"]), **dict(params.get(method, {})))
        cpus.append(store.entry_cpu(fit_key(hasher, fingerprint)[0]))
    return records.assign(cpu=cpus)


def hardware_table(hardware: Mapping[str, str]) -> Any:
    """:func:`sigah.studies.timing.hardware_summary` as a two-column table (long entries wrap)."""
    frame = pd.DataFrame({"": list(hardware), "this run": list(hardware.values())})
    return html_table(frame, caption="Hardware and libraries of this run", wrap=["this run"])


def table3(records: pd.DataFrame, methods: Iterable[str]) -> Any:
    """Fit time and encoding rate per method and code length, each fit time marked by its source.

    Parameters
    ----------
    records : pandas.DataFrame
        :func:`sigah.studies.retrieval.grid_with_models` records with ``vectors_per_second`` added
        (columns ``method``, ``bits``, ``fit_seconds``, ``vectors_per_second``, ``from_store``).
    methods : iterable of str
        Row order.

    Returns
    -------
    pandas.io.formats.style.Styler
        One row per method; ``fit (s), <b> bits`` cells read from the store end in
        :data:`STORE_MARK` (the caption says so); "—" where a method did not run at that length.
    """
    records = records.assign(
        fit=[f"{t:,.2f}" + (STORE_MARK if stored else "") for t, stored in
             zip(records["fit_seconds"], records["from_store"])],
        rate=[f"{r:,.0f}" for r in records["vectors_per_second"]])
    wide = records.pivot_table(index="method", columns="bits", values=["fit", "rate"], aggfunc="first")
    wide = _labelled(wide, methods)
    wide.columns = [f"{'fit (s)' if what == 'fit' else 'encode (vectors/s)'}, {b} bits" for what, b in wide.columns]
    caption = "Table 3 on this run's protocol; * read from the store of runs, unmarked: measured in this run"
    return html_table(wide.fillna("—"), caption=caption, hide_index=False)


def time_sources(records: pd.DataFrame) -> Prose:
    """Which of the records' fit times were measured in this run and which were read from the store.

    Parameters
    ----------
    records : pandas.DataFrame
        With ``from_store`` (bool); a ``cpu`` column, when present, names the CPU each fit ran on
        (the store of runs records it).

    Returns
    -------
    Prose
        One sentence, with the counts and, for stored times, the CPUs recorded (if any).
    """
    n = len(records)
    stored = records[records["from_store"].astype(bool)]
    fits = plural(n, "fit time")
    if stored.empty:
        return Prose(f"All {fits} of this table were measured in this run, on the machine above.")
    cpus = sorted({str(c) for c in stored["cpu"].dropna()}) if "cpu" in stored else []
    where = (f"on {join_words(cpus)}, as the store records" if cpus else
             "the store's entries do not name the CPU")
    if len(stored) == n:
        head = f"All {fits} of this table were read from the store of runs (marked *)"
    else:
        head = (f"{count_of(n - len(stored), n, 'fit time')} of this table were measured in this run; "
                f"the other {len(stored):,} (marked *) were read from the store of runs")
    return Prose(f"{head}: they were measured by an earlier run ({where}), so they belong to that run's "
                 "machine and load, not necessarily to this one.")


def study_sources(sources: Mapping[str, Any]) -> Prose:
    """Where each timing study's times come from: this run, or an earlier run read from the store.

    Parameters
    ----------
    sources : mapping
        ``{study described in words: sigah.stored_results.Provenance}``.

    Returns
    -------
    Prose
        One sentence per call; when a study was read back, what that means and how to measure again.
    """
    from sigah.stored_results import provenance_phrase

    parts = [f"{what}: {provenance_phrase(made, 'measured')}" for what, made in sources.items()]
    text = "Times of " + "; ".join(parts) + "."
    if any(made.from_store for made in sources.values()):
        text += (" A time read from the store belongs to the run that measured it, its machine and its load;"
                 " `reuse_timings=False` measures them again.")
    return Prose(text)


def fit_time_ratios(records: pd.DataFrame, paper: pd.DataFrame, methods: Iterable[str], bits: Iterable[int],
                    data_name: str) -> pd.DataFrame:
    """Each method's fit time divided by ITQ's, ours beside the paper's Table 3.

    Parameters
    ----------
    records : pandas.DataFrame
        Columns ``method``, ``bits``, ``fit_seconds``.
    paper : pandas.DataFrame
        :func:`sigah.studies.paper.paper_results` of Table 3 (``method`` labels, ``dataset``,
        ``bits``, ``value``).
    methods : iterable of str
    bits : iterable of int
        Our code lengths (a method at another length, QoLSH's ``d`` bits, has no ITQ to compare with).
    data_name : str
        Name of our data in the column headers.

    Returns
    -------
    pandas.DataFrame
        Indexed by method label: ``ours (<data>), <b> bits`` and ``paper <dataset>, <b> bits``.
    """
    from sigah.studies.plotting import method_label

    methods = list(methods)
    theirs = paper.pivot_table(index="method", columns=["dataset", "bits"], values="value")
    theirs = theirs.div(theirs.loc["ITQ"], axis=1) if "ITQ" in theirs.index else theirs * np.nan
    theirs.columns = [f"paper {d}, {b} bits" for d, b in theirs.columns]
    ours = records.pivot_table(index="method", columns="bits", values="fit_seconds")
    ours = ours[[b for b in bits if b in ours.columns]]
    mine = pd.DataFrame({f"ours ({data_name}), {b} bits": ours[b] / ours.loc["itq", b] for b in ours.columns}
                        if "itq" in ours.index else {})
    mine.index = [method_label(m) for m in mine.index]
    both = mine.join(theirs, how="outer").reindex([method_label(m) for m in methods])
    return both.rename(index=row_label)


def ratio_table(ratios: pd.DataFrame) -> Any:
    """:func:`fit_time_ratios` with a two-row header (source, then code length), so that it fits."""
    shown = ratios.copy()
    shown.columns = pd.MultiIndex.from_tuples([tuple(c.rsplit(", ", 1)) for c in ratios.columns])
    return html_table(shown, "{:,.1f}", caption="fit time ÷ ITQ's fit time", hide_index=False)


def ratio_sentence(ratios: pd.DataFrame) -> Prose:
    """Per method: its mean ratio to ITQ here and the median ratio in the paper's Table 3."""
    ours = [c for c in ratios.columns if c.startswith("ours")]
    theirs = [c for c in ratios.columns if c.startswith("paper")]
    lines = []
    for m in ratios.index:
        if m == "ITQ" or not ours or ratios.loc[m, theirs].isna().all() or ratios.loc[m, ours].isna().all():
            continue
        here, there = ratios.loc[m, ours].mean(), ratios.loc[m, theirs].median()
        lines.append(f"- {m}: {here:,.1f}× ITQ here, a median {there:,.1f}× ITQ in the paper's Table 3.")
    return Prose("\n".join(lines) or "*ITQ was not run, or no method is in both tables, so no ratios.*")


def schedule_note(run_params: Mapping[str, Mapping[str, Any]], full_params: Mapping[str, Mapping[str, Any]],
                  largest: int, notes: Iterable[str] = (), n_star: int = 10**6) -> Prose:
    """The optimiser steps SGH and SiGAH take in the scaling study and with their full settings.

    Parameters
    ----------
    run_params, full_params : mapping
        ``{method: {argument: value}}`` of the short schedule timed and of the full one.
    largest : int
        The largest training-set size measured.
    notes : iterable of str
        Further lines (sizes lowered to what the data holds).
    n_star : int
        The size extrapolated to.
    """
    from sigah.studies.plotting import method_label
    from sigah.studies.timing import optimiser_steps

    lines = [f"Optimiser steps at n = {largest:,} and {n_star:,}, with the short schedule of this study and "
             "with the full settings (the other methods run their full settings):"]
    for m in ("sgh", "sigah"):
        short = [optimiser_steps(m, n, run_params.get(m)) for n in (largest, n_star)]
        full = [optimiser_steps(m, n, full_params.get(m)) for n in (largest, n_star)]
        lines.append(f"- {method_label(m)}: short {short[0]:,} and {short[1]:,}; full {full[0]:,} and {full[1]:,}")
    lines += [f"- {note}" for note in notes]
    return Prose("\n".join(lines))


def slopes_table(slopes: pd.DataFrame) -> Any:
    """:func:`sigah.studies.timing.fit_time_slopes` as an HTML table (counts as integers)."""
    formats = {c: "{:,.2f}" for c in slopes.columns}
    formats |= {c: "{:.2g}" for c in slopes.columns if c.startswith("time per step")}
    formats |= {c: "{:,.0f}" for c in slopes.columns if c.startswith(("largest", "steps at"))}
    return html_table(slopes, formats, hide_index=False)


def beside_paper_1m(slopes: pd.DataFrame, paper: pd.DataFrame, bits: int) -> Any:
    """Our extrapolated time at a million vectors beside the paper's Table 3 on GIST1M and Deep1M."""
    at = paper[paper["dataset"].isin(["GIST1M", "Deep1M"]) & (paper["bits"] == bits)]
    at = at.pivot_table(index="method", columns="dataset", values="value")
    at.columns = [f"paper {c} (s)" for c in at.columns]
    column = "t at n* (s), full schedule, extrapolated"
    return html_table(slopes[[column]].join(at, how="left"), "{:,.1f}", hide_index=False)


def growth_sentence(slopes: pd.DataFrame, sizes: Iterable[int], n_star: int = 10**6) -> Prose:
    """The steepest and flattest fitted exponents, and how far the extrapolation reaches."""
    sizes = list(sizes)
    b = slopes["exponent b"]
    steep, flat = b.idxmax(), b.idxmin()
    if steep == flat:
        head = f"The fitted exponent is **{steep}**'s, b = {b[steep]:.2f}."
    else:
        head = (f"The steepest growth is **{steep}**'s (b = {b[steep]:.2f}); the flattest is **{flat}**'s "
                f"(b = {b[flat]:.2f}).")
    return Prose(f"{head} An exponent fitted on {plural(len(sizes), 'size')} up to {max(sizes):,} is a "
                 f"guide, not a guarantee, at {n_star:,}.")


def och_sentence(och_params: Mapping[str, Any], slopes: pd.DataFrame, sizes: Iterable[int]) -> Prose:
    """What OCH's cost depends on, checked against its fitted exponent (empty when not measured)."""
    from sigah.studies.plotting import method_label

    label = method_label("och")
    if label not in slopes.index or min(sizes) < och_params["n_sample"]:
        return Prose("")
    b = slopes.loc[label, "exponent b"]
    verdict = "as that predicts" if b < 0.2 else "more than that predicts"
    return Prose(
        f"OCH places its landmarks and its first projection on a random sample of `n_sample` = "
        f"{och_params['n_sample']:,} training vectors (every size measured here is at least that) and then "
        f"makes `n_steps` = {och_params['n_steps']:,} steps on batches of {och_params['batch_size']:,}, "
        f"whatever $n$: only centring the data and drawing the sample grow with $n$. Its fitted exponent "
        f"is b = {b:.2f}, {verdict}.")


def search_table(search: pd.DataFrame, k: int, n_bits: int) -> tuple[pd.DataFrame, Any]:
    """Queries per second by database size and engine: the frame and its HTML table."""
    pivot = search.pivot_table(index="n_database", columns="engine", values="queries_per_second")
    caption = f"queries per second, k = {k}, {n_bits}-bit random codes"
    return pivot, html_table(pivot, "{:,.0f}", caption=caption, hide_index=False).format_index("{:,}")


def search_sentence(pivot: pd.DataFrame) -> Prose:
    """faiss against the NumPy scan at the largest database, and how faiss's rate falls with size."""
    largest, smallest = pivot.index.max(), pivot.index.min()
    faiss, numpy = pivot.loc[largest, "faiss"], pivot.loc[largest, "numpy"]
    ratio = faiss / numpy
    verdict = f"faiss is {ratio:,.1f}× faster" if ratio >= 1 else f"faiss is {1 / ratio:,.1f}× slower"
    text = (f"At {largest:,} codes faiss answers {faiss:,.0f} queries per second and the NumPy scan "
            f"{numpy:,.0f}: {verdict} here. Both scan every code (brute force)")
    if largest == smallest:
        return Prose(text + ".")
    fall = pivot.loc[smallest, "faiss"] / faiss
    return Prose(text + f": from {smallest:,} to {largest:,} codes faiss's rate falls by {fall:,.1f}×.")
