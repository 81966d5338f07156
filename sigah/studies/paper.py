"""The numbers the SiGAH paper reports (Tables 1-7), as data to set our measurements beside.

The figures live in ``data/paper_results.csv`` in long ("tidy") format, one number a row:

``table``
    the paper's table number (1-7);
``dataset``
    ``GIST1M``, ``Deep1M``, ``Tiny100K``, ``MNIST``, ``CIFAR-10`` or ``ImageNet-100``;
``method``
    as the paper spells it (``LSH``, ``ITQ``, ``SpH``, ``BA``, ``SGH``, ``OCH``, ``SiGAH``, ``QoLSH``, ...);
    Table 4 rows are ``SiGAH (without discriminator)`` and ``SiGAH``, Table 5 rows ``SiGAH (<activation>)``,
    Table 7 columns ``SiGAH (<network>)``;
``metric``
    ``map`` (the paper's mAP), ``precision_at_100``, ``train_seconds`` (Table 3) or ``map_at_1000``
    (label-based, Tables 6-7);
``bits``
    code length; QoLSH uses as many bits as the input has dimensions (GIST1M 960, Deep1M 256, Tiny100K 384);
``value``
    the number as printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["PAPER_RESULTS_FILE", "PAPER_METHOD_NAMES", "paper_results", "paper_value", "paper_table2", "beside_paper",
           "PAPER_PROTOCOLS", "comparability_note"]

PAPER_RESULTS_FILE = "paper_results.csv"
_COLUMNS = ["table", "dataset", "method", "metric", "bits", "value"]

#: method id (as in :data:`sigah.hashers.METHODS`) → how the paper's tables spell the method. Kept apart
#: from the display labels of :mod:`sigah.studies.plotting`, so that renaming a label never breaks a comparison.
PAPER_METHOD_NAMES = {
    "lsh": "LSH", "itq": "ITQ", "sph": "SpH", "ba": "BA", "sgh": "SGH", "och": "OCH", "qolsh": "QoLSH",
    "sigah": "SiGAH",
}


def _paper_name(method: str) -> str | None:
    """The paper's spelling of a method id or variant (``"sgh-stochastic"`` → ``"SGH"``), None if not in the paper."""
    base = str(method).strip().lower().partition("-")[0]
    return PAPER_METHOD_NAMES.get(base)


def _results_path() -> Path:
    # Imported here so that SIGAH_DATA_DIR is honoured however late it is set.
    from sigah.data import data_dir

    path = data_dir() / PAPER_RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"paper results file not found: {path} (expected data/{PAPER_RESULTS_FILE})")
    return path


def paper_results(table: int | None = None, dataset: str | None = None) -> pd.DataFrame:
    """Read the paper's reported numbers.

    Parameters
    ----------
    table : int, optional
        Keep only this table (1-7).
    dataset : str, optional
        Keep only this dataset (case-insensitive, e.g. ``"mnist"`` or ``"GIST1M"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``table`` (int64), ``dataset``, ``method``, ``metric`` (str), ``bits`` (int64),
        ``value`` (float64), in the order of the paper's tables.
    """
    frame = pd.read_csv(
        _results_path(),
        dtype={"table": "int64", "dataset": str, "method": str, "metric": str, "bits": "int64", "value": "float64"},
    )
    if list(frame.columns) != _COLUMNS:
        raise ValueError(f"{PAPER_RESULTS_FILE} has columns {list(frame.columns)}, expected {_COLUMNS}")
    if table is not None:
        if table not in set(frame["table"]):
            raise ValueError(f"table must be one of {sorted(set(frame['table']))}, got {table!r}")
        frame = frame[frame["table"] == table]
    if dataset is not None:
        known = sorted(set(frame["dataset"]))
        matches = frame["dataset"].str.lower() == str(dataset).lower()
        if not matches.any():
            raise ValueError(f"dataset must be one of {known}, got {dataset!r}")
        frame = frame[matches]
    return frame.reset_index(drop=True)


def paper_value(method: str, bits: int, metric: str, *, table: int = 2, dataset: str = "MNIST") -> float:
    """One number of the paper, by method id: NaN where the paper has none.

    Parameters
    ----------
    method : str
        Method id or variant (``"itq"``, ``"sgh-stochastic"``: a variant gets its method's number).
    bits : int
    metric : str
        ``"map"``, ``"precision_at_100"``, ``"train_seconds"`` or ``"map_at_1000"``.
    table : int
    dataset : str

    Returns
    -------
    float
    """
    name = _paper_name(method)
    frame = paper_results(table=table, dataset=dataset)
    match = frame[(frame["method"] == name) & (frame["bits"] == int(bits)) & (frame["metric"] == metric)]
    return float(match["value"].iloc[0]) if len(match) else float("nan")


def paper_table2() -> pd.DataFrame:
    """The paper's Table 2 (MNIST) as a method × metric table.

    Returns
    -------
    pandas.DataFrame
        Index ``method`` in the paper's row order; columns ``mAP 32``, ``mAP 64``, ``P@100 32``,
        ``P@100 64`` (float64).
    """
    frame = paper_results(table=2)
    labels = {"map": "mAP", "precision_at_100": "P@100"}
    frame = frame.assign(column=[f"{labels[m]} {b}" for m, b in zip(frame["metric"], frame["bits"])])
    table = frame.pivot(index="method", columns="column", values="value")
    methods = list(dict.fromkeys(frame["method"]))  # paper order, not alphabetical
    return table.loc[methods, ["mAP 32", "mAP 64", "P@100 32", "P@100 64"]].rename_axis(columns=None)


def beside_paper(summary: pd.DataFrame, *, table: int = 2, dataset: str = "MNIST") -> pd.DataFrame:
    """Our measurements (mean over seeds) next to the paper's numbers for the same method and bits.

    Methods are matched by id through :data:`PAPER_METHOD_NAMES`, never through display labels. A
    variant such as ``"sgh-stochastic"`` is set beside its method's number (the paper reports one row
    per method).

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`sigah.studies.experiments.summarize`: columns ``method`` (ids such as ``"itq"``, or
        variants such as ``"sgh-stochastic"``), ``bits``, ``n_seeds`` and ``<metric>_mean`` /
        ``<metric>_std`` for ``precision_at_100``, ``map_pr_area``, ``map`` and ``map_stable``.
    table : int
        The paper's table to compare with (2: MNIST; 1: GIST1M, Deep1M, Tiny100K).
    dataset : str
        The dataset of that table.

    Returns
    -------
    pandas.DataFrame
        One row per (method, bits): ``method`` (the id, unchanged), ``bits``, ``seeds``, ``Pre@100``,
        ``Pre@100 ±``, ``Pre@100 (paper)``, ``mAP (PR area)``, ``mAP (PR area) ±``, ``mAP (paper)``,
        ``ranking mAP``, ``stable mAP`` (NaN if the summary lacks them). The paper's "mAP" is set beside our PR-area mAP, the
        definition its tables match (chapter "Binary codes and their evaluation"). Paper columns
        are NaN where the paper has no number. :func:`sigah.studies.plotting.styled` writes the ids as labels.
    """
    paper = paper_results(table=table, dataset=dataset)
    lookup = {(r.method, int(r.bits), r.metric): r.value for r in paper.itertuples()}
    nan = float("nan")
    rows = []
    for r in summary.itertuples():
        name, bits = _paper_name(r.method), int(r.bits)
        rows.append({
            "method": r.method,
            "bits": bits,
            "seeds": int(r.n_seeds),
            "Pre@100": r.precision_at_100_mean,
            "Pre@100 ±": r.precision_at_100_std,
            "Pre@100 (paper)": lookup.get((name, bits, "precision_at_100"), nan),
            "mAP (PR area)": r.map_pr_area_mean,
            "mAP (PR area) ±": r.map_pr_area_std,
            "mAP (paper)": lookup.get((name, bits, "map"), nan),
            "ranking mAP": getattr(r, "map_mean", nan),
            "stable mAP": getattr(r, "map_stable_mean", nan),
        })
    return pd.DataFrame(rows)


#: the paper's split of each dataset it reports (queries, database, training points)
PAPER_PROTOCOLS = {"mnist": (1000, 69000, 69000)}


def comparability_note(protocol: Any, *, table: int = 2) -> str:
    """One Markdown sentence saying how far a run's numbers can be set beside the paper's table.

    Parameters
    ----------
    protocol : sigah.data.Protocol
        Needs ``name``, ``n_queries``, ``n_database``, ``n_train``.
    table : int
        The paper's table the run is compared with (named in the sentence).

    Returns
    -------
    str
        *Comparable* for the paper's own split (:data:`PAPER_PROTOCOLS`); *comparable up to sampling
        noise* for the same dataset split with a smaller database or training set whose queries and
        database still cover the whole dataset; otherwise a caution that the comparison is only
        indicative.
    """
    from sigah.data import SHIPPED_DATASETS

    name = str(protocol.name).lower()
    display = SHIPPED_DATASETS.get(name, {}).get("display", protocol.name)
    counts = (protocol.n_queries, protocol.n_database, protocol.n_train)
    paper = PAPER_PROTOCOLS.get(name)
    if paper is not None and counts == paper:
        return f"These numbers come from the paper's own {display} protocol: comparable with Table {table}."
    if paper is not None and protocol.n_queries + protocol.n_database == paper[0] + paper[1]:
        return (f"This run used {protocol.n_queries:,} queries and the other {protocol.n_database:,} vectors "
                f"as database (the paper: {paper[0]:,} and {paper[1]:,}), with methods trained on "
                f"{protocol.n_train:,} of them (the paper: {paper[2]:,}): comparable with Table {table} up to "
                "the sampling noise of the smaller sets.")
    protocol_text = (f"the paper's {paper[0]:,} / {paper[1]:,} / {paper[2]:,} split" if paper is not None
                     else "a dataset of the paper")
    return (f"**Caution:** this run used {protocol.n_queries:,} queries, {protocol.n_database:,} database and "
            f"{protocol.n_train:,} training vectors of {display}, not {protocol_text}; the same $K$ then "
            f"covers another share of the database and every score shifts, so the comparison with Table {table} "
            "is only indicative.")
