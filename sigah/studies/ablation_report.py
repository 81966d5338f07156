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
    "weight_decrease_summary", "share_table", "clean_value_above", "acting_gamma_for", "change_clause",
    "discriminator_share_summary", "zero_weight_lines", "schedule_pairs", "schedule_table", "schedule_summary",
    "schedule_dataset_name", "step_cost_sentence", "SCHEDULE_DATASETS",
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
    k: int | Mapping[str, int],
    seed: int,
) -> tuple[dict[str, Any], dict[str, int], dict[str, list[str]]]:
    """The query/database/training split of each dataset, with its size preset fitted to it.

    Parameters
    ----------
    datasets : sequence of (name, queries_path)
        A shipped dataset's name or a file, and an optional query file (None: random queries).
    n_queries, n_database, n_train, seed
        As in :func:`sigah.data.make_protocol` and :func:`sigah.studies.sizes.cap_sizes`.
    k : int or mapping
        True neighbours per query: one for all, or ``{dataset name as given: K}`` (every dataset
        of ``datasets`` needs one).

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
        if isinstance(k, Mapping) and name not in k:
            raise ValueError(f"k has no K for dataset {name!r}; it has {sorted(k)}")
        k_here = int(k[name]) if isinstance(k, Mapping) else int(k)
        data = load_dataset(name, queries=queries) if queries else load_dataset(name)
        sizes, lowered = cap_sizes(data, n_queries=n_queries, n_database=n_database, n_train=n_train, k=k_here)
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
    """How many comparisons of each experiment and dataset are higher, lower, equivalent or undecided.

    Parameters
    ----------
    tables : mapping
        ``{experiment: comparison table}``, each with a ``dataset`` column.

    Returns
    -------
    pandas.DataFrame
        ``experiment``, ``dataset``, ``comparisons``, ``higher``, ``lower``, ``equivalent`` (within
        the margin of its table) and ``undecided`` (the rest: inconclusive, or no interval).
    """
    rows = []
    for experiment, table in tables.items():
        found = table.assign(found=_directions(table))
        for dataset, part in found.groupby("dataset", sort=False):
            higher = int((part["found"] == "higher").sum())
            lower = int((part["found"] == "lower").sum())
            same = int((part["verdict"] == "equivalent").sum())
            rows.append({"experiment": experiment, "dataset": dataset, "comparisons": len(part),
                         "higher": higher, "lower": lower, "equivalent": same,
                         "undecided": len(part) - higher - lower - same})
    return pd.DataFrame(rows, columns=["experiment", "dataset", "comparisons", "higher", "lower", "equivalent",
                                       "undecided"])


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
    same = int((table["verdict"] == "equivalent").sum())
    n = len(table)
    flat = [f"{d} {b} bits" for (d, b), g in paper_gain.items() if round(float(g), 6) == 0]
    text = (f"The paper's discriminator adds {value_range(paper_gain)} mAP (mean {signed(paper_gain.mean())}) over "
            f"its {plural(len(paper_gain), '(dataset, code length) cell')} and lowers it in "
            f"{int((paper_gain < 0).sum())}. Ours changes mAP by {value_range(ours)} over {plural(n, 'cell')}: "
            f"removing it lowers mAP in {helps}, raises it in {hurts}")
    if same:
        margin = float(table.loc[table["verdict"] == "equivalent", "margin"].iloc[0])
        text += f", is equivalent within ±{margin:.4f} in {same}"
    text += f" and is undecided in {n - helps - hurts - same}"
    if helps == n:
        text += ", so on these data and seeds the discriminator helps retrieval, as the paper reports."
    elif hurts:
        text += ", so on these data and seeds the discriminator does not help retrieval everywhere."
    elif same == n:
        text += (", so on these data and seeds the discriminator, at this weight, changes retrieval by less "
                 "than the margin: the paper's gain is not reproduced.")
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
    values = sorted({get(v) for v in records["variant"]})
    positive = [v for v in values if v > 0]
    if positive and len(positive) < len(values):  # a zero weight: linear up to the smallest positive value
        ax.set_xscale("symlog", linthresh=min(positive))
    else:
        ax.set_xscale("log")
    ax.set_xticks(values, [f"{v:g}" for v in values], minor=False)
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mAP (PR area)")
    ax.legend(fontsize=8)


# -- Fig. 8 -----------------------------------------------------------------------------------------------
def zero_weight_lines(table: pd.DataFrame, labels: Mapping[str, str], *, margin: float | None = None) -> str:
    """One bullet per (weight set to zero, dataset): the change of mAP against the defaults and its verdict.

    The paper's §5.5 says that setting all the weights to a value (lost from the text we have; zero
    is the natural reading) "can also achieve competitive results"; each row here is a model with
    one weight (or all of them) at zero against the defaults.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`~sigah.studies.ablation.compare_to_baseline` of the zero-weight variants against the
        defaults (``dataset``, ``variant``, ``difference`` and the verdict columns).
    labels : mapping
        ``{variant: how it is named}``, e.g. ``{"gamma = 0": "γ = 0"}``; a missing one is named by its
        label.
    margin : float, optional
        The equivalence margin the table was computed with, stated once.
    """
    lines = [f"* {labels.get(r['variant'], r['variant'])} on {r['dataset']}: {change_clause(r)}."
             for _, r in table.iterrows()]
    said = (f" A difference within ±{margin:.3f} mAP counts as equivalent (\"competitive\")." if margin
            else " No equivalence margin is set, so no comparison can be called equivalent.")
    return ("Against the defaults, mAP changes as follows when a weight is set to zero (the paper's §5.5: "
            "setting all the parameters to a value lost from the text we have \"can also achieve competitive "
            "results\"; zero is the reading tested here)." + said + "\n\n"
            + "\n".join(lines))


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
            same = [(v.split(" = ")[1], m) for v, verdict, m in zip(part["variant"], part["verdict"],
                                                                   part.get("margin", [None] * len(part)))
                    if verdict == "equivalent"]
            lines.append(f"* {labels[name]} on {dataset}: of {plural(len(part), 'value')} away from the default "
                         f"{defaults[name]:g}, " + (", ".join(differ) if differ else "none is established as different")
                         + (f"; {join_words([v for v, _ in same])} {'is' if len(same) == 1 else 'are'} "
                            f"equivalent within ±{same[0][1]:.3f}" if same else "")
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
        The SiGAH row set against the baselines (the chapter: default m/d, its own full schedule).
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
        text += f"{default_label} is {'below' if below else 'not below'} every baseline. "
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


# -- how much the discriminator weighs (Table 4, Fig. 7 at two γ) ---------------------------------------
def share_table(shares: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Each loss term's weight and its share of the generator's loss and gradient norm, per dataset.

    Parameters
    ----------
    shares : mapping
        ``{dataset: sigah.sigah_model.diagnostics.loss_shares(...)}``.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``term``, then per dataset ``<dataset> weight``, ``<dataset> loss %`` and
        ``<dataset> gradient %`` (percentages of the loss and of its gradient norm).
    """
    if not shares:
        raise ValueError("share_table needs the shares of at least one dataset")
    columns = {}
    for dataset, table in shares.items():
        columns[f"{dataset} weight"] = table["weight"]
        columns[f"{dataset} loss %"] = 100 * table["loss_share"]
        columns[f"{dataset} gradient %"] = 100 * table["gradient_share"]
    return pd.DataFrame(columns).rename_axis("term").reset_index()


def clean_value_above(value: float, steps: Sequence[float] = (1, 2, 5)) -> float:
    """The smallest ``step × 10^e`` at or above ``value`` (``0.025`` → ``0.05`` with steps 1, 2, 5).

    Raises
    ------
    ValueError
        If ``value`` is not a positive finite number.
    """
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"clean_value_above needs a positive finite value, got {value!r}")
    exponent = int(np.floor(np.log10(value)))
    for e in (exponent - 1, exponent, exponent + 1):
        for step in sorted(steps):
            candidate = float(f"{step * 10.0 ** e:.12g}")
            if candidate >= value * (1 - 1e-12):
                return candidate
    raise AssertionError("unreachable: 10^(exponent + 1) ≥ value")  # pragma: no cover


def acting_gamma_for(suggested: Mapping[str, float], chosen: float | None = None) -> float:
    """The one γ of the "acting discriminator" runs: ``chosen``, or the largest suggestion rounded up.

    Parameters
    ----------
    suggested : mapping
        ``{dataset: γ at which the adversarial term would make the target share}``
        (:func:`sigah.sigah_model.diagnostics.gamma_for_share` on each default model).
    chosen : float, optional
        A γ set by the reader (the chapter's ``acting_gamma``); None: computed.
    """
    if chosen is not None:
        if not float(chosen) > 0:
            raise ValueError(f"acting_gamma must be a positive number, got {chosen!r}")
        return float(chosen)
    if not suggested:
        raise ValueError("acting_gamma_for needs a suggested γ for at least one dataset")
    return clean_value_above(max(float(g) for g in suggested.values()))


def change_clause(row: Mapping[str, Any], digits: int = 4) -> str:
    """``"mAP changes by −0.0123 (−0.02 to −0.004 at 95 %, Holm-corrected): **lower**"``.

    The verdict words of :mod:`sigah.stats`: higher, lower, equivalent within the margin, or
    inconclusive with the smallest difference the design detects.
    """
    from sigah.stats import POWER, format_interval

    text = f"mAP changes by {signed(row['difference'], digits)}"
    verdict = str(row["verdict"])
    if verdict not in ("higher", "lower", "equivalent", "inconclusive"):
        return text + " (one seed: no interval, no verdict)"
    method = {"holm": ", Holm-corrected", "bonferroni": ", Bonferroni-corrected"}.get(row.get("method"), "")
    text += (f" ({format_interval(row['low'], row['high'], digits)} at "
             f"{100 * row['confidence']:.4g}\u00a0%{method})")
    if verdict == "equivalent":
        return text + f": **equivalent within ±{row['margin']:.{digits}f}**"
    if verdict == "inconclusive":
        return (text + f": **inconclusive**, the design detects {row['mde']:.{digits}f} or more "
                f"{100 * POWER:.0f}\u00a0% of the time")
    return text + f": **{verdict}**"


def discriminator_share_summary(default_shares: Mapping[str, pd.DataFrame],
                                acting_shares: Mapping[str, pd.DataFrame], *, default_gamma: float,
                                acting_gamma: float, suggested: Mapping[str, float],
                                tables: Mapping[float, pd.DataFrame], bits: int,
                                target: float = 0.05) -> str:
    """What the discriminator weighs at each γ and what removing it does there, one bullet per dataset.

    Parameters
    ----------
    default_shares, acting_shares : mapping
        ``{dataset: loss_shares(...)}`` of a model trained at the default γ and at ``acting_gamma``.
    default_gamma, acting_gamma : float
    suggested : mapping
        ``{dataset: gamma_for_share(default shares, target)}``.
    tables : mapping
        ``{γ: comparison of "without discriminator" against "with discriminator"}`` at both γ
        (``dataset``, ``bits``, verdict columns).
    bits : int
        The code length the shares were measured at.
    target : float
        The share the acting γ aims at.
    """
    def share(table: pd.DataFrame) -> tuple[float, float]:
        return (100 * float(table.loc["adversarial", "loss_share"]),
                100 * float(table.loc["adversarial", "gradient_share"]))

    def removal(gamma: float, dataset: str) -> str:
        part = tables[gamma][tables[gamma]["dataset"] == dataset]
        return "; ".join(f"at {r['bits']} bits {change_clause(r)}" for _, r in part.iterrows())

    lines = []
    for dataset in default_shares:
        loss0, grad0 = share(default_shares[dataset])
        line = (f"* **{dataset}**: at the default γ = {default_gamma:g} the adversarial term is "
                f"{loss0:.2f}\u00a0% of the generator's loss and {grad0:.1f}\u00a0% of its gradient norm "
                f"({bits} bits, first seed); removing the discriminator there: {removal(default_gamma, dataset)}. ")
        if dataset in acting_shares:
            loss1, grad1 = share(acting_shares[dataset])
            reached = (f"at least the {100 * target:.0f}\u00a0% aimed at" if loss1 >= 100 * target
                       else f"**below** the {100 * target:.0f}\u00a0% aimed at")
            line += (f"At γ = {acting_gamma:g} (the default model's networks reach {100 * target:.0f}\u00a0% "
                     f"at γ ≈ {suggested[dataset]:.3g}) a model trained there gives the term {loss1:.2f}\u00a0% "
                     f"of the loss, {reached}, and {grad1:.1f}\u00a0% of the gradient norm; removing the "
                     f"discriminator there: {removal(acting_gamma, dataset)}.")
        lines.append(line.rstrip())
    return "\n".join(lines)


# -- does a verdict depend on the schedule? --------------------------------------------------------------
SCHEDULE_DATASETS = ("first", "second")


def schedule_dataset_name(names: Sequence[str], which: str | None) -> str:
    """The dataset the schedule table runs on: the ``"first"`` or the ``"second"`` of ``names``.

    Parameters
    ----------
    names : sequence of str
        The run's datasets, in order.
    which : {"first", "second"} or None
        ``"second"`` (or ``None``) falls back to the first when the run has one dataset only.

    Returns
    -------
    str
        One of ``names``.

    Raises
    ------
    ValueError
        When ``which`` is neither, or ``names`` is empty.
    """
    if not names:
        raise ValueError("the schedule table needs at least one dataset")
    which = "second" if which is None else which
    if which not in SCHEDULE_DATASETS:
        raise ValueError(f"schedule_dataset must be one of {SCHEDULE_DATASETS}, got {which!r}")
    return names[1] if which == "second" and len(names) > 1 else names[0]


def step_cost_sentence(records: pd.DataFrame, steps: Mapping[str, int]) -> str:
    """The mean fit seconds per optimiser step on each dataset, from a run's records.

    Parameters
    ----------
    records : pandas.DataFrame
        Records of :func:`~sigah.studies.ablation.run_on_datasets` (``dataset``, ``fit_seconds``,
        ``from_store``).
    steps : mapping
        ``{dataset: optimiser steps of each of its fits}``.

    Returns
    -------
    str
        One sentence: the mean fit time over the steps, in milliseconds, per dataset (a fit's fixed
        cost included), and how many fits were read from the store.
    """
    parts = []
    for name, group in records.groupby("dataset", sort=False):
        per_step = 1e3 * float(group["fit_seconds"].mean()) / max(int(steps[name]), 1)
        parts.append(f"{per_step:.1f} ms on {name}")
    stored = int(records["from_store"].sum()) if "from_store" in records else 0
    source = (f" ({stored} read from the store of runs, timed where they were made)"
              if stored else "")
    return f"Fit time per optimiser step, mean of {plural(len(records), 'fit')}{source}: {join_words(parts)}."


def schedule_pairs(candidates: Mapping[str, tuple], dataset: str, bits: int) -> dict[str, dict[str, Any]]:
    """Two ablation pairs to rerun on a longer schedule: one the run decides, one it does not.

    The first candidate (in the given order) whose comparison on ``dataset`` at ``bits`` is
    established higher or lower, and the first that is not; when the run decides none (or all), the
    two with the smallest corrected p-values.

    Parameters
    ----------
    candidates : mapping
        ``{name: (comparison table, variant label in it, the variant's settings[, the baseline's
        settings])}``; without the fourth item the baseline is the defaults (``{}``).
    dataset : str
    bits : int

    Returns
    -------
    dict
        ``{name: {"settings": ..., "baseline": ..., "row": the comparison row of the reduced run}}``,
        at most two.
    """
    rows = {}
    for name, (table, variant, settings, *baseline) in candidates.items():
        part = table[(table["dataset"] == dataset) & (table["bits"] == bits) & (table["variant"] == variant)]
        if part.empty:
            raise ValueError(f"no comparison {variant!r} on {dataset} at {bits} bits for {name!r}")
        rows[name] = {"settings": dict(settings), "baseline": dict(baseline[0]) if baseline else {},
                      "row": part.iloc[0]}
    decided = [n for n, v in rows.items() if direction(v["row"])]
    undecided = [n for n, v in rows.items() if not direction(v["row"])]
    if decided and undecided:
        chosen = [decided[0], undecided[0]]
    else:
        chosen = sorted(rows, key=lambda n: float(rows[n]["row"]["p_adjusted"]))[:2]
    return {n: rows[n] for n in chosen}


def schedule_table(pairs: Mapping[str, Mapping[str, Any]], longer: pd.DataFrame, steps: tuple[int, int],
                   dataset: str | None = None) -> pd.DataFrame:
    """Each pair's difference and verdict on both schedules, and whether the verdict changes.

    Parameters
    ----------
    pairs : mapping
        :func:`schedule_pairs`.
    longer : pandas.DataFrame
        The same pairs on the longer schedule (:func:`~sigah.studies.ablation.compare_to_baseline`),
        named by a ``pair`` column when it has one, else by ``variant``.
    steps : (int, int)
        Optimiser steps of the chapter's schedule and of the longer one.
    dataset : str, optional
        The dataset both schedules ran on, shown in a first column.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``comparison``, the difference and verdict on each schedule, ``verdict
        changes``; ``dataset`` first when given.
    """
    out = []
    for name, pair in pairs.items():
        row = pair["row"]
        long_row = longer[longer["pair" if "pair" in longer else "variant"] == name]
        if long_row.empty:
            raise ValueError(f"the longer schedule has no comparison {name!r}")
        long_row = long_row.iloc[0]
        out.append(({} if dataset is None else {"dataset": dataset}) | {
                    "comparison": name, f"Δ mAP, {steps[0]:,} steps": float(row["difference"]),
                    f"verdict, {steps[0]:,} steps": str(row["verdict"]),
                    f"Δ mAP, {steps[1]:,} steps": float(long_row["difference"]),
                    f"verdict, {steps[1]:,} steps": str(long_row["verdict"]),
                    "verdict changes": "yes" if str(row["verdict"]) != str(long_row["verdict"]) else "no"})
    return pd.DataFrame(out)


def schedule_summary(table: pd.DataFrame, longer: pd.DataFrame, steps: tuple[int, int], dataset: str) -> str:
    """How many verdicts change with the schedule, and each comparison on the longer one in words."""
    changed = table[table["verdict changes"] == "yes"]["comparison"].tolist()
    head = (f"On {dataset}, from {steps[0]:,} to {steps[1]:,} optimiser steps, the verdict changes for "
            f"{len(changed)} of {plural(len(table), 'comparison')}"
            + (f" ({join_words(changed)})" if changed else "") + ". On the longer schedule:")
    key = "pair" if "pair" in longer else "variant"
    lines = [f"* {r[key]}: {change_clause(r)}." for _, r in longer.iterrows()]
    return head + "\n\n" + "\n".join(lines)
