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

import pandas as pd

__all__ = ["PAPER_RESULTS_FILE", "paper_results", "paper_table2", "beside_paper"]

PAPER_RESULTS_FILE = "paper_results.csv"
_COLUMNS = ["table", "dataset", "method", "metric", "bits", "value"]


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

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`sigah.experiments.summarize`: columns ``method`` (registry names such as
        ``"itq"``), ``bits``, ``n_seeds`` and ``<metric>_mean`` / ``<metric>_std`` for
        ``precision_at_100``, ``map_pr_area``, ``map`` and ``map_stable``.
    table : int
        The paper's table to compare with (2: MNIST; 1: GIST1M, Deep1M, Tiny100K).
    dataset : str
        The dataset of that table.

    Returns
    -------
    pandas.DataFrame
        One row per (method, bits): ``method`` (display name), ``bits``, ``seeds``, ``Pre@100``,
        ``Pre@100 ±``, ``Pre@100 (paper)``, ``mAP (PR area)``, ``mAP (PR area) ±``, ``mAP (paper)``,
        ``ranking mAP``, ``stable mAP``. The paper's "mAP" is set beside our PR-area mAP, the
        definition its tables match (chapter "Binary codes and their evaluation"). Paper columns
        are NaN where the paper has no number.
    """
    from sigah.plotting import method_label

    paper = paper_results(table=table, dataset=dataset)
    lookup = {(r.method, int(r.bits), r.metric): r.value for r in paper.itertuples()}
    rows = []
    for r in summary.itertuples():
        name = method_label(r.method)
        rows.append({
            "method": name,
            "bits": int(r.bits),
            "seeds": int(r.n_seeds),
            "Pre@100": r.precision_at_100_mean,
            "Pre@100 ±": r.precision_at_100_std,
            "Pre@100 (paper)": lookup.get((name, int(r.bits), "precision_at_100"), float("nan")),
            "mAP (PR area)": r.map_pr_area_mean,
            "mAP (PR area) ±": r.map_pr_area_std,
            "mAP (paper)": lookup.get((name, int(r.bits), "map"), float("nan")),
            "ranking mAP": r.map_mean,
            "stable mAP": r.map_stable_mean,
        })
    return pd.DataFrame(rows)
