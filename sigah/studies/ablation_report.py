"""The sentences, tables and figures that report the ablations of chapters *Ablations* and *Reconstruction*.

The chapters run the experiments (:mod:`sigah.studies.ablation`) and call one function of this
module per result they state, so that every sentence is computed from the run and the visible code
stays the experiment. A comparison table is a frame of
:func:`sigah.studies.ablation.compare_to_baseline`: one row per (group, variant) with
``difference`` (variant minus baseline), its interval and a ``verdict`` of :mod:`sigah.stats`
(paired over seeds and queries, Holm-corrected over the table). The sentences count and name only
what those verdicts establish (:func:`direction`); everything else is undecided.

The paper's own tables are read from :func:`sigah.studies.paper.paper_results`; where a verdict
depends on a cell the paper contradicts elsewhere, the sentence says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sigah.stats import plural
from sigah.studies.wording import join_words

__all__ = [
    "plural", "seeds_phrase", "signed", "value_range", "direction", "ablation_protocols", "run_summary",
    "effect_line", "verdict_lines", "paper_table4_gain", "discriminator_summary", "activation_table",
    "activation_summary", "margin_summary", "margin_history_sentence", "plot_sweep", "weight_lines",
    "depth_summary", "departure_lines", "verdict_counts", "schedule_confound", "decrease_verdict",
    "weight_decrease_summary",
]

#: verdict words that say a difference is established, with the sign the difference must have
_ESTABLISHED = {"higher": 1, "lower": -1}
#: our activation names -> the paper's spelling (Table 5)
ACTIVATION_NAMES = {"leaky_relu": "LeakyReLU", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
                    "swish": "SWISH"}


# -- words ------------------------------------------------------------------------------------------
def seeds_phrase(n_a: int, n_b: int) -> str:
    """``"3 seeds each"`` for equal counts, ``"2 and 3 seeds"`` otherwise (``"1 seed each"`` for one)."""
    if n_a == n_b:
        return plural(int(n_a), "seed") + " each"
    return f"{int(n_a)} and {plural(int(n_b), 'seed')}"


def signed(value: float, digits: int = 4) -> str:
    """``"+0.0031"``, ``"−0.0022"`` (typographic minus, as :func:`sigah.stats.format_signed`)."""
    from sigah.stats import format_signed

    return format_signed(float(value), digits)


def value_range(values: Iterable[float], digits: int = 4, *, with_sign: bool = True) -> str:
    """``"from −0.0022 to +0.0031"``, or the one value when all are equal (``"−0.0022"``)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("value_range needs at least one value, got none")
    form = (lambda v: signed(v, digits)) if with_sign else (lambda v: f"{v:.{digits}f}")
    low, high = form(min(values)), form(max(values))
    return low if low == high else f"from {low} to {high}"


def direction(row: Mapping[str, Any]) -> str | None:
    """``"higher"`` or ``"lower"`` when the row's verdict establishes a difference, else None.

    The verdicts are those of :func:`sigah.studies.ablation.compare_to_baseline` (:mod:`sigah.stats`):
    ``higher``/``lower`` when the corrected interval excludes zero; ``equivalent``, ``inconclusive``
    or no interval (one seed) establish no difference.
    """
    verdict = str(row["verdict"])
    return verdict if verdict in _ESTABLISHED else None


def _directions(table: pd.DataFrame) -> pd.Series:
    return pd.Series([direction(row) for _, row in table.iterrows()], index=table.index, dtype=object)


# -- the runs -----------------------------------------------------------------------------------------
def ablation_protocols(
    datasets: Sequence[tuple[str, Any]],
    *,
    n_queries: int,
    n_database: int | None,
    n_train: int | None,
    k: int,
    seed: int,
) -> tuple[dict[str, Any], dict[str, int], dict[str, list[str]]]:
    """The query/database/training split of each dataset, with its size preset fitted to it.

    Parameters
    ----------
    datasets : sequence of (name, queries_path)
        A shipped dataset's name or a file, and an optional query file (None: random queries).
    n_queries, n_database, n_train, k, seed
        As in :func:`sigah.data.make_protocol` and :func:`sigah.studies.sizes.cap_sizes`.

    Returns
    -------
    protocols : dict
        ``{protocol name: sigah.data.Protocol}`` in the given order.
    ks : dict
        ``{protocol name: true neighbours per query}`` (capped to the database).
    notes : dict
        ``{protocol name: sentences naming each lowered size}``.
    """
    from sigah.data import load_dataset, make_protocol
    from sigah.studies.sizes import cap_sizes

    protocols, ks, notes = {}, {}, {}
    for name, queries in datasets:
        data = load_dataset(name, queries=queries) if queries else load_dataset(name)
        sizes, lowered = cap_sizes(data, n_queries=n_queries, n_database=n_database, n_train=n_train, k=k)
        protocol = make_protocol(data, n_queries=sizes["n_queries"], seed=seed, n_database=sizes["n_database"],
                                 n_train=sizes["n_train"])
        protocols[protocol.name], ks[protocol.name], notes[protocol.name] = protocol, sizes["k"], lowered
    return protocols, ks, notes


def run_summary(
    protocols: Mapping[str, Any],
    ks: Mapping[str, int],
    notes: Mapping[str, list[str]],
    *,
    repeats: int,
    extra: str = "",
) -> str:
    """The "This run" paragraph: seeds per setting, and each dataset's split and ground truth.

    Parameters
    ----------
    protocols, ks, notes
        From :func:`ablation_protocols`.
    repeats : int
        Seeds per setting.
    extra : str
        A last sentence (e.g. the defaults shown), added as it is.
    """
    head = f"**This run**, {plural(int(repeats), 'seed')} per setting"
    if repeats < 2:
        head += " (one seed: no difference is tested below)"
    lines = [head + ":", ""]
    for name, protocol in protocols.items():
        lines.append(f"- **{name}**: {protocol.description}; ground truth = the {ks[name]:,} nearest database "
                     "points.")
        lines += [f"  - size preset lowered: {note}" for note in notes.get(name, [])]
    return "\n".join(lines) + (f"\n\n{extra}" if extra else "")


# -- one comparison, many comparisons -------------------------------------------------------------------
def effect_line(row: Mapping[str, Any], *, what: str, metric_label: str = "mAP", digits: int = 4) -> str:
    """One sentence stating a comparison of :func:`~sigah.studies.ablation.compare_to_baseline`.

    The means ± std over seeds, the design (seeds × queries), the difference with its corrected
    interval and the verdict: **higher**, **lower**, or **inconclusive** with the smallest difference
    the design detects (never "no effect": a few seeds cannot show an absence);
    :func:`sigah.studies.ablation.effect_sentence`.
    """
    from sigah.studies.ablation import effect_sentence

    return effect_sentence(row, what=what, metric_label=metric_label, digits=digits)


def verdict_lines(table: pd.DataFrame, *, label: Callable[[Mapping[str, Any]], str] | None = None,
                  metric_label: str = "mAP") -> str:
    """A Markdown bullet list, one :func:`effect_line` per comparison.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~sigah.studies.ablation.compare_to_baseline`.
    label : callable, optional
        Names a row (default: its ``variant``); the dataset and code length are added when the
        table has them.
    """
    lines = []
    for _, row in table.iterrows():
        name = label(row) if label else str(row["variant"])
        where = [str(row["dataset"])] if "dataset" in row else []
        where += [f"{row['bits']} bits"] if "bits" in row else []
        what = f"{name} ({', '.join(where)})" if where else name
        lines.append(f"* {effect_line(row, what=what, metric_label=metric_label)}")
    return "\n".join(lines)


def verdict_counts(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """How many comparisons of each experiment and dataset are higher, lower or undecided.

    Parameters
    ----------
    tables : mapping
        ``{experiment: comparison table}``, each with a ``dataset`` column.

    Returns
    -------
    pandas.DataFrame
        ``experiment``, ``dataset``, ``comparisons``, ``higher``, ``lower``, ``undecided``.
    """
    rows = []
    for experiment, table in tables.items():
        found = table.assign(found=_directions(table))
        for dataset, part in found.groupby("dataset", sort=False):
            higher = int((part["found"] == "higher").sum())
            lower = int((part["found"] == "lower").sum())
            rows.append({"experiment": experiment, "dataset": dataset, "comparisons": len(part),
                         "higher": higher, "lower": lower, "undecided": len(part) - higher - lower})
    return pd.DataFrame(rows, columns=["experiment", "dataset", "comparisons", "higher", "lower", "undecided"])


def _count_phrase(found: pd.Series) -> str:
    """``"lower in 1, higher in 0, undecided in 3"``."""
    lower, higher = int((found == "lower").sum()), int((found == "higher").sum())
    return f"lower in {lower}, higher in {higher}, undecided in {len(found) - lower - higher}"


# -- Table 4 --------------------------------------------------------------------------------------------
def paper_table4_gain(paper4: pd.DataFrame) -> pd.Series:
    """The paper's Table 4 as "with minus without the discriminator", indexed by (dataset, bits)."""
    wide = paper4.pivot_table(index=["dataset", "bits"], columns="method", values="value", sort=False)
    return (wide["SiGAH"] - wide["SiGAH (without discriminator)"]).rename("with minus without")


def discriminator_summary(table: pd.DataFrame, paper_gain: pd.Series) -> str:
    """Our discriminator gain beside the paper's Table 4, and the table's cells without a gain.

    Parameters
    ----------
    table : pandas.DataFrame
        Comparison of "without discriminator" against "with discriminator" (so ``difference`` is
        without minus with).
    paper_gain : pandas.Series
        :func:`paper_table4_gain`.
    """
    ours = -table["difference"]  # with minus without
    found = _directions(table)
    helps = int((found == "lower").sum())  # removing the discriminator lowers mAP
    hurts = int((found == "higher").sum())
    n = len(table)
    flat = [f"{d} {b} bits" for (d, b), g in paper_gain.items() if round(float(g), 6) == 0]
    text = (f"The paper's discriminator adds {value_range(paper_gain)} mAP (mean {signed(paper_gain.mean())}) over "
            f"its {plural(len(paper_gain), '(dataset, code length) cell')} and lowers it in "
            f"{int((paper_gain < 0).sum())}. Ours changes mAP by {value_range(ours)} over {plural(n, 'cell')}: "
            f"removing it lowers mAP in {helps}, raises it in {hurts} and is undecided in {n - helps - hurts}")
    if helps == n:
        text += ", so on these data and seeds the discriminator helps retrieval, as the paper reports."
    elif hurts:
        text += ", so on these data and seeds the discriminator does not help retrieval everywhere."
    else:
        text += (f", so on these data and seeds we {'cannot confirm' if helps == 0 else 'only partly confirm'} "
                 "that the discriminator helps retrieval.")
    if flat:
        text += (f" The paper's own Table 4 shows no gain at all in {plural(len(flat), 'cell')} "
                 f"({', '.join(flat)}), identical to the four printed decimals with and without the "
                 "discriminator, while its §5.5 says the adversarial term improves all three benchmarks.")
    return text + " Chapter *The energy discriminator* measures the same question through the adversarial weight γ."


# -- Table 5 --------------------------------------------------------------------------------------------
def activation_table(records: pd.DataFrame, paper5: pd.DataFrame, default: str) -> pd.DataFrame:
    """Table 5: mean ± std of each activation per dataset, the paper's columns beside, paper spelling.

    Parameters
    ----------
    records : pandas.DataFrame
        Runs with ``variant`` = our activation names, ``dataset`` and ``map_pr_area``.
    paper5 : pandas.DataFrame
        ``paper_results(table=5)``.
    default : str
        The default activation, shown first.
    """
    from sigah.studies.ablation import mean_std_table

    table = mean_std_table(records, "variant", "dataset")
    order = [default] + [a for a in table.index if a != default]
    table = table.loc[order]
    wide = paper5.pivot_table(index="method", columns="dataset", values="value")
    for column in ("MNIST", "Tiny100K", "Deep1M"):
        if column in wide:
            table[f"paper {column}"] = [wide[column].get(f"SiGAH ({ACTIVATION_NAMES.get(a, a)})", np.nan)
                                        for a in table.index]
    table.index = [ACTIVATION_NAMES.get(a, a) for a in table.index]
    return table


def _table5_against_headline(paper5: pd.DataFrame, headline: pd.DataFrame) -> list[str]:
    """Where Table 5's LeakyReLU row differs from the SiGAH 64-bit mAP of Tables 1-2."""
    leaky = paper5[paper5["method"] == "SiGAH (LeakyReLU)"].set_index("dataset")["value"]
    main = headline[(headline["method"] == "SiGAH") & (headline["metric"] == "map") & (headline["bits"] == 64)]
    main = main.set_index("dataset")["value"]
    return [f"{d} {leaky[d]:.4f} against {main[d]:.4f}" for d in leaky.index
            if d in main.index and round(float(leaky[d] - main[d]), 6) != 0]


def activation_summary(table: pd.DataFrame, records: pd.DataFrame, paper5: pd.DataFrame,
                       headline: pd.DataFrame, default: str) -> str:
    """Which activation is best here and in the paper, the verdicts, and the paper's own inconsistencies.

    Parameters
    ----------
    table : pandas.DataFrame
        Every other activation against ``default`` (:func:`~sigah.studies.ablation.compare_to_baseline`).
    records : pandas.DataFrame
        The runs (``dataset``, ``variant``, ``map_pr_area``).
    paper5, headline : pandas.DataFrame
        ``paper_results(table=5)``, and Tables 1-2 together (``paper_results`` rows of tables 1 and 2).
    default : str
    """
    name = ACTIVATION_NAMES.get(default, default)
    means = records.groupby(["dataset", "variant"], sort=False)["map_pr_area"].mean()
    ours = ", ".join(f"{ACTIVATION_NAMES.get(means[d].idxmax(), means[d].idxmax())} on {d}"
                     for d in records["dataset"].unique())
    wide = paper5.pivot_table(index="method", columns="dataset", values="value")
    theirs = ", ".join(f"{wide[c].idxmax().removeprefix('SiGAH (').rstrip(')')} on {c}" for c in wide.columns)
    found = _directions(table)
    worse, better = int((found == "lower").sum()), int((found == "higher").sum())
    n = len(table)
    text = (f"The best mean is {ours}; the paper's Table 5 is best with {theirs}. Against {name}, another "
            f"activation is lower in {worse}, higher in {better} and undecided in {n - worse - better} of "
            f"{plural(n, 'comparison')}")
    text += (", which contradicts the paper's Table 5, where LeakyReLU is best on MNIST and Tiny100K."
             if better else ".")
    not_best = [c for c in wide.columns if wide[c].idxmax() != f"SiGAH ({name})"]
    if not_best and name == "LeakyReLU":
        text += (f" The paper's §5.5 says LeakyReLU achieves the best results on all three datasets, but its "
                 f"own Table 5 puts another activation ahead on {', '.join(not_best)}.")
    mismatch = _table5_against_headline(paper5, headline)
    if mismatch:
        text += (" Its LeakyReLU row is also not the SiGAH 64-bit mAP of Tables 1-2 ("
                 + "; ".join(mismatch) + "), so a comparison with the paper here depends on which of its "
                 "tables one reads.")
    return text


# -- Fig. 7 -----------------------------------------------------------------------------------------------
def decrease_verdict(table: pd.DataFrame, records: pd.DataFrame, default: float,
                     value_of: Callable[[str], float], symbol: str, noun: str) -> str:
    """Does mAP fall when a swept value grows past its default? The verdict on one dataset.

    Every value above the default is compared with the default (the rows of ``table``); the claim
    holds when each is established lower, fails when one is established higher, and is otherwise
    not established. Whether the means fall steadily is added as a description, not a test.

    Parameters
    ----------
    table : pandas.DataFrame
        The comparisons of one dataset (``variant``, ``difference``, ``verdict``).
    records : pandas.DataFrame
        That dataset's runs (``variant``, ``map_pr_area``).
    default : float
    value_of : callable
        The swept value of a variant label.
    symbol, noun : str
        How the value is written (``"μ"``) and named (``"margin"``).
    """
    above = table[table["variant"].map(value_of) > default]
    if above.empty:
        return f"the grid has no {noun} above the default {symbol} = {default:g}: not tested"
    found = _directions(above)
    means = records.groupby("variant")["map_pr_area"].mean()
    by_value = {value_of(v): m for v, m in means.items()}
    values = sorted(v for v in by_value if v >= default)
    falling = len(values) > 2 and all(by_value[a] > by_value[b] for a, b in zip(values, values[1:]))
    changes = ", ".join(f"{r.variant} {signed(r.difference)}" for r in above.itertuples())
    if (found == "lower").all():
        verdict = f"lower at every larger {noun}, as the paper says"
    elif (found == "higher").any():
        verdict = f"higher at a larger {noun}, against the paper's sentence"
    else:
        lower = int((found == "lower").sum())
        verdict = (f"not established lower (lower at {lower}, undecided at {len(above) - lower} of "
                   f"{plural(len(above), f'larger {noun}')})")
    return (f"against {symbol} = {default:g}: {changes}; mAP is {verdict}"
            + (f" (the means fall steadily as {symbol} grows)" if falling else ""))


def margin_summary(table: pd.DataFrame, records: pd.DataFrame, default: float,
                   margin_of: Callable[[str], float]) -> str:
    """The paper's Fig. 7(a) sentence tested: does mAP decrease when the margin μ grows?

    The paper says mAP "decreases quickly when μ is larger than" a value the text we have lost. On
    each dataset we test its direction on our grid: every margin above the default against the
    default, and whether the means fall as μ grows there.

    Parameters
    ----------
    table : pandas.DataFrame
        Every margin against the default (``variant`` labels, ``dataset``).
    records : pandas.DataFrame
        The runs (``dataset``, ``variant``, ``map_pr_area``).
    default : float
    margin_of : callable
        The margin of a variant label.
    """
    parts = []
    for dataset, part in table.groupby("dataset", sort=False):
        runs = records[records["dataset"] == dataset]
        parts.append(f"on {dataset}, " + decrease_verdict(part, runs, default, margin_of, "μ", "margin"))
    return ("The paper's Fig. 7(a) sentence is that mAP \"decreases quickly when μ is larger than\" a value "
            "lost from the text we have; its testable part is the direction, tested here: " + "; ".join(parts)
            + ". Our margins are in standardised units (the energies are per-entry mean squared errors), so "
            "the paper's value would not carry over anyway.")


def margin_history_sentence(last: Mapping[float, Mapping[str, float]], dataset: str, seed: int) -> str:
    """Where the last epoch of each margin's training ends: energies against the margin, and the error.

    Parameters
    ----------
    last : mapping
        ``{μ: last row of the model's history_}`` with ``energy_real``, ``energy_fake`` and
        ``reconstruction_error``.
    """
    above = [mu for mu in last if last[mu]["energy_fake"] > mu]
    listed = ", ".join(f"{mu:g}" for mu in above) or "none"

    def span(key: str, digits: int) -> str:
        text = value_range([row[key] for row in last.values()], digits, with_sign=False)
        return text if text.startswith("from") else f"at {text}"

    return (f"In the last epoch on {dataset} (seed {seed}), the synthetic energy exceeds the margin, where the "
            f"hinge no longer acts, for μ ∈ {{{listed}}}. Real energies end {span('energy_real', 3)}, synthetic "
            f"ones {span('energy_fake', 3)}; the reconstruction error ends {span('reconstruction_error', 4)}.")


def plot_sweep(ax: Any, records: pd.DataFrame, x_of: Callable[[str], float] | Mapping[str, float], xlabel: str,
               default: float) -> None:
    """mAP (mean ± std over seeds) against a swept value on a log axis, one line per dataset."""
    import matplotlib.pyplot as plt

    from sigah.studies.plotting import method_color

    get = x_of if callable(x_of) else x_of.__getitem__
    for i, (name, part) in enumerate(records.groupby("dataset", sort=False)):
        stats = part.assign(x=part["variant"].map(get)).groupby("x")["map_pr_area"].agg(["mean", "std"])
        ax.errorbar(stats.index, stats["mean"], yerr=stats["std"].fillna(0), marker="os"[i % 2], capsize=3,
                    color=method_color("sigah"), linestyle="-:"[i % 2], label=name)
    ax.axvline(default, color="#777777", linestyle="--", linewidth=0.9, label=f"default {default:g}")
    ax.set_xscale("log")
    values = sorted({get(v) for v in records["variant"]})
    ax.set_xticks(values, [f"{v:g}" for v in values], minor=False)
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mAP (PR area)")
    ax.legend(fontsize=8)


# -- Fig. 8 -----------------------------------------------------------------------------------------------
def weight_lines(tables: Mapping[str, pd.DataFrame], labels: Mapping[str, str], defaults: Mapping[str, float]) -> str:
    """One bullet per (loss weight, dataset): which values away from the default differ, and how much.

    Parameters
    ----------
    tables : mapping
        ``{weight name: comparison of each value with the default}`` (labels ``"<name> = <value>"``).
    labels, defaults : mapping
        Display label and default value of each weight.
    """
    lines = []
    for name, table in tables.items():
        for dataset, part in table.groupby("dataset", sort=False):
            found = _directions(part)
            differ = [f"{v.split(' = ')[1]} is {f} ({signed(d)})"
                      for v, d, f in zip(part["variant"], part["difference"], found) if f]
            lines.append(f"* {labels[name]} on {dataset}: of {plural(len(part), 'value')} away from the default "
                         f"{defaults[name]:g}, " + (", ".join(differ) if differ else "none is established as different")
                         + f"; the largest change of the mean is {part['difference'].abs().max():.4f}.")
    return "\n".join(lines)


def weight_decrease_summary(tables: Mapping[str, pd.DataFrame], runs: Mapping[str, pd.DataFrame],
                            symbols: Mapping[str, str], defaults: Mapping[str, float],
                            value_of: Callable[[str], float]) -> str:
    """The paper's Fig. 8(a)-(c) sentence tested: "mAP decreases with a larger parameter value".

    Parameters
    ----------
    tables, runs : mapping
        ``{weight name: comparison with the default}`` and ``{weight name: its runs}``.
    symbols, defaults : mapping
        How each weight is written and its default.
    value_of : callable
        The value of a variant label.
    """
    parts = []
    for name, table in tables.items():
        for dataset, part in table.groupby("dataset", sort=False):
            records = runs[name][runs[name]["dataset"] == dataset]
            parts.append(f"* {symbols[name]} on {dataset}, "
                         + decrease_verdict(part, records, defaults[name], value_of, symbols[name], "value") + ".")
    return ("The paper reads Fig. 8(a)-(c) as \"mAP decreases with a larger parameter value for all three "
            "parameters\"; tested on our grid:\n\n" + "\n".join(parts))


def schedule_confound(steps: int | None, full_steps: int | None) -> str:
    """The clause every model-size verdict carries: the variants share a fixed schedule, not convergence.

    Parameters
    ----------
    steps, full_steps : int or None
        SiGAH's optimiser steps in this run and at its class defaults on the protocol's training set.
    """
    if steps is not None and full_steps is not None and steps < full_steps:
        share = "under 1%" if steps < 0.01 * full_steps else f"{steps / full_steps:.0%}"
        return (f"Every variant trained for the same {steps:,} optimiser steps, {share} of the "
                f"protocol's {full_steps:,}, not to convergence: a model of another size may converge faster or "
                "slower, so on this short schedule \"better\" can mean \"converges faster\".")
    return ("Every variant trained for the same number of optimiser steps, with no convergence check, so "
            "\"better\" can still mean \"converges faster\".")


def depth_summary(table: pd.DataFrame, confound: str) -> str:
    """Fig. 8(d): the one-layer generator against each auto-encoder, with the schedule confound."""
    found = _directions(table)
    ahead = table[found == "higher"]  # an auto-encoder higher than the default
    text = (f"The paper finds the one-layer sparse generator ahead of every auto-encoder. Here it is ahead in "
            f"{int((found == 'lower').sum())} of {plural(len(table), '(dataset, auto-encoder) comparison')} "
            f"and behind in {len(ahead)}")
    if len(ahead):
        text += ": " + ", ".join(f"{r.variant} on {r.dataset} ({signed(r.difference)})" for r in ahead.itertuples())
    return text + ", the others undecided. " + confound


def departure_lines(tables: Mapping[str, pd.DataFrame]) -> str:
    """One bullet per (departure, metric): the range of the change and how many cells it establishes.

    Parameters
    ----------
    tables : mapping
        ``{metric label: comparison of each variant with "our defaults"}`` over (dataset, bits).
    """
    lines = []
    for label, table in tables.items():
        for variant, part in table.groupby("variant", sort=False):
            found = _directions(part)
            lines.append(f"* **{variant}**, {label}: change against our defaults {value_range(part['difference'])} "
                         f"over {plural(len(part), '(dataset, code length) cell')}; "
                         + _count_phrase(found) + ".")
    return "\n".join(lines)


# -- chapter Reconstruction: Fig. 4 and Fig. 6 ----------------------------------------------------------------
def m_sweep_lines(tables: Mapping[str, pd.DataFrame], default: float, ratio_of: Callable[[str], float]) -> str:
    """Per metric and side of the default m/d, how many comparisons are better, worse or undecided.

    Parameters
    ----------
    tables : mapping
        ``{metric label: comparison of each m/d with the default}``; the label ``"relative error"``
        counts a lower value as better, any other a higher one.
    default : float
        The default m/d.
    ratio_of : callable
        The m/d of a variant label.
    """
    lines = []
    for label, table in tables.items():
        sign = -1 if label == "relative error" else 1
        ratio = table["variant"].map(ratio_of)
        for side, part in (("larger", table[ratio > default]), ("smaller", table[ratio < default])):
            if part.empty:
                continue
            found = _directions(part)
            better = int((found == ("higher" if sign > 0 else "lower")).sum())
            worse = int(found.notna().sum()) - better
            lines.append(f"* **{label}**, a {side} matrix than the default: better in {better}, worse in "
                         f"{worse}, undecided in {len(part) - better - worse} of "
                         f"{plural(len(part), '(dataset, code length, m) comparison')}.")
    return "\n".join(lines)


def plateau_summary(table: pd.DataFrame, default: float, ratio_of: Callable[[str], float], confound: str) -> str:
    """The paper's reading of Fig. 4 (a plateau once m ≈ 2d) tested on mAP, with the schedule confound.

    Parameters
    ----------
    table : pandas.DataFrame
        mAP of each m/d against the default, within (dataset, bits).
    default : float
    ratio_of : callable
    confound : str
        :func:`schedule_confound`.
    """
    parts = []
    for (dataset, bits), part in table.groupby(["dataset", "bits"], sort=False):
        found = _directions(part)
        ratio = part["variant"].map(ratio_of)
        def ratios(side: int, word: str, ratio: pd.Series = ratio, found: pd.Series = found) -> str:
            """The m/d on one side of the default (+1 larger, -1 smaller) whose verdict is ``word``."""
            return join_words([f"{r:g}" for r, f in zip(ratio, found) if (r - default) * side > 0 and f == word])

        if ratios(1, "higher"):
            verdict = f"a larger matrix is higher (m/d = {ratios(1, 'higher')}): no plateau yet at the default"
        else:
            verdict = "no larger matrix is established higher: consistent with a plateau, not evidence of one"
        if ratios(-1, "higher"):
            verdict += (f"; but a smaller one is higher (m/d = {ratios(-1, 'higher')}), against the paper's "
                        "reading: the default is past the best m here")
        elif ratios(-1, "lower"):
            verdict += f"; a smaller one is lower (m/d = {ratios(-1, 'lower')})"
        elif any(ratio < default):
            verdict += "; no smaller one is established lower either, so the plateau may start earlier"
        parts.append(f"on {dataset} at {bits} bits, {verdict}")
    return ("The paper reads Fig. 4 as a plateau: beyond m ≈ 2d neither error nor mAP improve. In mAP, "
            + "; ".join(parts) + ". " + confound)


def schedule_handicap(sigah_steps: int, sigah_full: int, baselines: Mapping[str, tuple[int | None, int | None]]) -> str:
    """Whether SiGAH and the baselines it is drawn beside trained for the same share of their schedules.

    Parameters
    ----------
    sigah_steps, sigah_full : int
        SiGAH's optimiser steps here and at its class defaults on the protocol's training set.
    baselines : mapping
        ``{display name: (iterations here, iterations of its full schedule)}``; ``(None, None)``
        for a method iterated to its own stopping rule.
    """
    full = [name for name, (here, whole) in baselines.items() if here is None or whole is None or here >= whole]
    cut = {name: (here, whole) for name, (here, whole) in baselines.items() if name not in full}
    ours = f"SiGAH trained for {sigah_steps:,} of its {sigah_full:,} optimiser steps"
    if sigah_steps >= sigah_full and not cut:
        return "Every method trained at its full schedule."
    text = ours
    if full:
        text += f", {join_words(full)} at {'its' if len(full) == 1 else 'their'} full schedule"
    if cut:
        text += ", " + ", ".join(f"{name} for {here:,} of {whole:,} iterations" for name, (here, whole) in cut.items())
    if sigah_steps < sigah_full and full:
        text += ": a handicap on SiGAH's side, and its errors here are not those of its full schedule"
    return text + "."


def reconstruction_summary(errors: pd.Series, *, dataset: str, n_queries: int, default_label: str,
                           dim: int, bits: int, handicap: str) -> str:
    """Fig. 6 in words: the best SiGAH error, the baselines', the trivial reconstruction and the schedules.

    Parameters
    ----------
    errors : pandas.Series
        Relative error by row name: ``"training mean (trivial)"``, SiGAH rows containing ``"SiGAH"``,
        and the baselines.
    dataset : str
    n_queries : int
    default_label : str
        The row of SiGAH at its default m/d.
    dim, bits : int
        Input dimension (QoLSH's code length) and the others' code length.
    handicap : str
        :func:`schedule_handicap`.
    """
    methods = errors.drop("training mean (trivial)")
    sigah = methods.filter(like="SiGAH")
    others = methods.drop(sigah.index)
    best = sigah.idxmin()
    text = (f"On the {n_queries:,} queries of {dataset} (one seed per model), the lowest relative error of a "
            f"SiGAH model is {sigah[best]:.3f} ({best})")
    if len(others):
        text += "; " + ", ".join(f"{name} {value:.3f}" for name, value in others.items())
    failing = [f"*{name}*" for name in methods[methods >= 1].index]
    text += (". Every method beats the trivial reconstruction (relative error 1). " if not failing else
             f". {join_words(failing)} {'does' if len(failing) == 1 else 'do'} not beat the trivial "
             "reconstruction (relative error 1). ")
    if len(others):
        below = sigah[default_label] < others.min()
        where = default_label.removeprefix("SiGAH, ")
        text += f"SiGAH at the default {where} is {'below' if below else 'not below'} every baseline. "
    if any("QoLSH" in name for name in others.index):
        text += (f"QoLSH's code has as many bits as the image has pixels, {dim / bits:g} times the others', "
                 "and keeps no norm. ")
    return text + handicap


def baseline_schedules(params: Mapping[str, Mapping[str, Any]], methods: Iterable[str]) -> dict[str, tuple[int, int]]:
    """``{display name: (iterations in this run, the class default)}`` of methods with an ``n_iter``.

    Parameters
    ----------
    params : mapping
        ``{method: constructor arguments}`` of the run (missing: the defaults).
    methods : iterable of str
        Names of :data:`sigah.hashers.METHODS`.
    """
    from sigah.hashers import make_hasher
    from sigah.studies.plotting import method_label

    out = {}
    for method in methods:
        full = int(make_hasher(method, 8).get_params()["n_iter"])
        out[method_label(method)] = (int(dict(params.get(method, {})).get("n_iter", full)), full)
    return out
