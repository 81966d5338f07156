"""The paper's checkable claims, and the verdicts the chapters record for them.

The claims live in ``data/claims.csv``, one a row (see ``data/README.md`` for the columns): an id
(``R`` retrieval, ``E`` efficiency, ``A`` ablations, ``C`` reconstruction, ``D`` deep features,
``T`` theory, then two digits), the paper's words, where they stand in the paper, the chapter and
section that test them, and a status:

``wired``
    the chapter records a verdict for the claim in every run; the build fails when it does not;
``planned``
    a chapter is named but does not record the claim yet;
``not testable``
    nothing the book ships can test it; ``reason`` says what data or compute would.

Every chapter reads a claim from the paired comparisons of :mod:`sigah.stats` it rests on by one
rule, :func:`reading_of`: **held** when every comparison is what the claim says, **not held** when
any is decided against it, **inconclusive** otherwise, **not testable** when none has an interval;
:func:`combine_readings` joins the readings of one claim on several datasets. What each kind of
claim asks of one comparison ``a − b`` with its interval ``[low, high]`` (Holm-corrected) and
equivalence margin ``δ``:

* a claimed **difference** (``higher``, ``lower``) is held exactly when :mod:`sigah.stats`
  decides that direction (the interval excludes zero on the claimed side), however small the
  difference and whatever the margin; decided the other way, or equivalent within ``±δ`` (an
  interval that reaches zero but stays inside the margin), it is not held; an effect inside the
  margin is therefore held when its interval excludes zero and not held when it reaches zero;
* a claim of being **competitive** is non-inferiority: held when ``low > −δ`` (any loss is smaller
  than the margin), not held when ``high < −δ`` (the loss exceeds it), inconclusive otherwise;
* a claim of **equivalence** is held when :mod:`sigah.stats` finds the interval inside ``±δ``;
  ``same`` likewise, read from the interval alone.

A row of the paper's numbers is read against our intervals by :func:`published_cells`: held when
every published cell lies inside our interval *and* every interval is narrow (half-width at most
:data:`PUBLISHED_MARGIN`), not held when any cell lies outside, inconclusive otherwise. The record shows one
comparison's effect and interval, chosen by the same rule in every chapter: the clearest evidence
against the claim when not held (the interval farthest from zero in the wrong direction), the
comparison nearest to failing when held (the bound nearest zero closest to zero), and the
undecided comparison with the largest minimum detectable effect when inconclusive (that effect is
the record's smallest detectable one).

A chapter records a verdict with :func:`record_verdict`. Executed by the book's build, the record
goes to ``<build>/verdicts/<chapter>.json`` (the build sets :data:`VERDICTS_DIR_ENV`,
:data:`CHAPTER_ENV` and :data:`SIZE_ENV` for the kernel); run by hand, the verdict is checked and
returned, and nothing is written.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sigah import stats
from sigah.storage import atomic_write_text

__all__ = [
    "CHAPTER_ENV",
    "CLAIMS_FILE",
    "EQUIVALENCE_MARGIN",
    "GROUPS",
    "SIZES",
    "SIZE_ENV",
    "STATUSES",
    "VERDICTS",
    "VERDICTS_DIR_ENV",
    "EXPECTS",
    "NO_INTERVAL",
    "Claim",
    "ClaimError",
    "ComparisonReading",
    "Verdict",
    "chapter_anchors",
    "claim_list",
    "combine_readings",
    "not_testable",
    "read_comparisons",
    "comparison_label",
    "decidable",
    "detectable_text",
    "EFFECT_RANGE_KEY",
    "published_cells",
    "PUBLISHED_MARGIN",
    "reading_of",
    "read_verdict_file",
    "read_verdicts",
    "record_verdict",
    "start_verdict_file",
    "verdict_file",
    "verdict_table",
    "below_tolerance",
]

CLAIMS_FILE = "claims.csv"
#: the book's one equivalence margin for differences of PR-area mAP and of precision: every chapter's
#: ``equivalence`` or ``margin`` parameter equals it (a difference whose whole interval lies within
#: ±0.01 is "equivalent"; a hundredth of mAP is below what a reader of Table 2 would call a change)
EQUIVALENCE_MARGIN = 0.01
COLUMNS = ("id", "group", "quote", "place", "chapter", "anchor", "status", "reason", "stand_in")
#: id prefix → group name, in the order the ledger shows the groups.
GROUPS = {"R": "retrieval", "E": "efficiency", "A": "ablations", "C": "reconstruction",
          "D": "deep features", "T": "theory"}
STATUSES = ("wired", "planned", "not testable")
VERDICTS = ("held", "not held", "inconclusive", "not testable")
#: ``ci``: the chapter's CI-sized parameters; ``full``: its full-size defaults (the paper's protocol);
#: ``reduced``: full size by the build, but a protocol the chapter itself reduces (it says how);
#: ``custom``: other parameters (``sigah book run -p ...``).
SIZES = ("ci", "full", "reduced", "custom")

VERDICTS_DIR_ENV = "SIGAH_VERDICTS_DIR"
CHAPTER_ENV = "SIGAH_CHAPTER"
SIZE_ENV = "SIGAH_BOOK_SIZE"

_ID = re.compile(r"^([A-Z])(\d{2})$")
_CHAPTER = re.compile(r"^\d{2}_[a-z0-9_]+$")


class ClaimError(ValueError):
    """A bad claim list, or a verdict that does not fit it; the message is one line."""


@dataclass(frozen=True)
class Claim:
    """One checkable claim of the paper (a row of ``data/claims.csv``)."""

    id: str
    group: str
    quote: str
    place: str
    chapter: str
    anchor: str
    status: str
    reason: str = ""
    stand_in: str = ""

    @property
    def number(self) -> int:
        """The claim's number within its group (``R07`` → 7)."""
        return int(self.id[1:])


def _claims_path(path: str | os.PathLike | None) -> Path:
    if path is not None:
        return Path(path)
    from sigah.data import data_dir  # here, so that a late SIGAH_DATA_DIR is honoured

    return data_dir() / CLAIMS_FILE


def _check_claim(row: Mapping[str, str], line: int, where: str) -> Claim:
    """One row of the claim list, or a one-line :class:`ClaimError` naming the line and the value."""
    at = f"{where} line {line}"
    if None in row or None in row.values():  # csv puts surplus fields under None, missing ones as None
        fields = len(row) - (None in row) + len(row.get(None) or []) - sum(v is None for v in row.values())
        raise ClaimError(f"{at}: {fields} fields, expected {len(COLUMNS)} ({', '.join(COLUMNS)})")
    claim_id = (row.get("id") or "").strip()
    match = _ID.match(claim_id)
    if not match or match.group(1) not in GROUPS:
        raise ClaimError(f"{at}: id must be one of the letters {''.join(GROUPS)} and two digits, got {claim_id!r}")
    values = {name: (row.get(name) or "").strip() for name in COLUMNS}
    expected_group = GROUPS[match.group(1)]
    if values["group"] != expected_group:
        raise ClaimError(f"{at}: claim {claim_id} has group {values['group']!r}, expected {expected_group!r}")
    if values["status"] not in STATUSES:
        raise ClaimError(f"{at}: claim {claim_id} has status {values['status']!r}, expected one of {STATUSES}")
    for name in ("quote", "place"):
        if not values[name]:
            raise ClaimError(f"{at}: claim {claim_id} has an empty {name}")
    if values["status"] == "not testable":
        if not values["reason"]:
            raise ClaimError(f"{at}: claim {claim_id} is not testable but gives no reason")
    elif not _CHAPTER.match(values["chapter"]):
        raise ClaimError(f"{at}: claim {claim_id} is {values['status']} but names no chapter "
                         f"(expected NN_slug, got {values['chapter']!r})")
    if values["status"] == "wired" and not values["anchor"]:
        raise ClaimError(f"{at}: claim {claim_id} is wired but names no section anchor")
    return Claim(**values)


def claim_list(path: str | os.PathLike | None = None) -> dict[str, Claim]:
    """Read and check the claim list.

    Parameters
    ----------
    path : path, optional
        The CSV (default ``data/claims.csv``, honouring ``SIGAH_DATA_DIR``).

    Returns
    -------
    dict of str to Claim
        In the file's order, keyed by id.

    Raises
    ------
    ClaimError
        One line naming the row and the value: a missing column, a bad id, group or status, a
        duplicate id, a not-testable claim without a reason, a wired claim without chapter or anchor.
    """
    path = _claims_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"claim list not found: {path} (expected data/{CLAIMS_FILE})")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ClaimError(f"{path.name}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
        claims: dict[str, Claim] = {}
        for line, row in enumerate(reader, start=2):
            claim = _check_claim(row, line, path.name)
            if claim.id in claims:
                raise ClaimError(f"{path.name} line {line}: claim id {claim.id} appears twice")
            claims[claim.id] = claim
    return claims


@dataclass
class Verdict:
    """What one chapter computed for one claim.

    ``effect`` and ``interval`` are in the units the chapter states in ``measured`` or ``note``;
    ``smallest_detectable`` is the smallest effect the design could have detected (required when
    the verdict is ``inconclusive``); ``measured`` holds the quantities behind the verdict, by name.
    """

    claim: str
    verdict: str
    chapter: str = ""
    anchor: str = ""
    size: str = ""
    effect: float | None = None
    interval: tuple[float, float] | None = None
    n: int | None = None
    smallest_detectable: float | None = None
    measured: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["interval"] = list(self.interval) if self.interval is not None else None
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        if known.get("interval") is not None:
            known["interval"] = tuple(known["interval"])
        return cls(**known)


def _finite(name: str, value: Any, claim: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ClaimError(f"verdict for {claim}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ClaimError(f"verdict for {claim}: {name} must be finite, got {value!r}")
    return number


def _plain(value: Any) -> Any:
    """A measured value as JSON can hold it (NumPy scalars and arrays become numbers and lists)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ClaimError(f"measured value {value!r} of type {type(value).__name__} is not a number, text or list")


def verdict_file(folder: str | os.PathLike, chapter: str) -> Path:
    """``<folder>/<chapter>.json``: where a chapter's verdicts go."""
    return Path(folder) / f"{chapter}.json"


def start_verdict_file(folder: str | os.PathLike, chapter: str, size: str) -> Path:
    """Write an empty record for a chapter about to run (the build calls it before each chapter).

    Its existence says the chapter ran in the build; the chapter's :func:`record_verdict` calls add to it.
    """
    path = verdict_file(folder, chapter)
    atomic_write_text(path, json.dumps({"chapter": chapter, "size": size, "verdicts": []}, indent=1))
    return path


def read_verdict_file(path: str | os.PathLike) -> tuple[str, list[Verdict]]:
    """(the size the chapter ran at, its verdicts) from one verdict file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return str(data.get("size", "")), [Verdict.from_json(v) for v in data.get("verdicts", [])]


def read_verdicts(folder: str | os.PathLike) -> dict[str, list[Verdict]]:
    """Every chapter's verdicts in a build's verdict folder, keyed by chapter ({} if there is none).

    A chapter with a file and no verdicts ran and recorded nothing; a chapter without a file did not run.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {path.stem: read_verdict_file(path)[1] for path in sorted(folder.glob("*.json"))}


def _resolve_size(size: str | None, build_size: str) -> str:
    if size is not None and size not in SIZES:
        raise ClaimError(f"size must be one of {SIZES}, got {size!r}")
    if build_size in ("ci", "custom"):
        return build_size  # a chapter cannot run at more than the build gave it
    return size or build_size or "custom"


def record_verdict(
    claim: str,
    verdict: str,
    *,
    effect: float | None = None,
    interval: tuple[float, float] | None = None,
    n: int | None = None,
    smallest_detectable: float | None = None,
    measured: Mapping[str, Any] | None = None,
    note: str = "",
    size: str | None = None,
    claims: Mapping[str, Claim] | None = None,
) -> Verdict:
    """Record this chapter's verdict on one claim of ``data/claims.csv``.

    Parameters
    ----------
    claim : str
        The claim's id, e.g. ``"T04"``.
    verdict : {"held", "not held", "inconclusive", "not testable"}
    effect : float, optional
        The estimated effect (a difference, a rate, a ratio), in the units ``note`` states.
    interval : (float, float), optional
        Its interval (lower ≤ upper), when the chapter computed one.
    n : int, optional
        The number of independent units behind the effect (draws, seeds, query samples, images).
    smallest_detectable : float, optional
        The smallest effect the design could have detected; required when ``verdict`` is
        ``"inconclusive"``.
    measured : dict, optional
        The quantities behind the verdict by name (numbers, text, or lists of them).
    note : str
        One sentence: the rule that gave the verdict, or why the claim cannot be tested on this run.
    size : {"full", "reduced"}, optional
        ``"reduced"`` when the chapter's full-size run departs from the paper's protocol; the build's
        size (``ci``, ``full``) otherwise.
    claims : mapping, optional
        The claim list (default: :func:`claim_list`).

    Returns
    -------
    Verdict
        The record. Under the book's build it is also written, atomically, to
        ``$SIGAH_VERDICTS_DIR/$SIGAH_CHAPTER.json``, replacing an earlier record of the same claim;
        without those variables (a chapter run by hand) nothing is written.

    Raises
    ------
    ClaimError
        One line: an unknown claim id, a verdict word outside the four, an interval that is not
        (lower, upper), an inconclusive verdict without its smallest detectable effect, a claim the
        list assigns to another chapter.
    """
    claims = claim_list() if claims is None else claims
    if claim not in claims:
        raise ClaimError(f"unknown claim id {claim!r}: not in data/{CLAIMS_FILE}")
    if verdict not in VERDICTS:
        raise ClaimError(f"verdict for {claim} must be one of {', '.join(VERDICTS)}; got {verdict!r}")
    if interval is not None:
        if len(interval) != 2:
            raise ClaimError(f"verdict for {claim}: interval must be (lower, upper), got {interval!r}")
        lower, upper = (_finite("interval", v, claim) for v in interval)
        if lower > upper:
            raise ClaimError(f"verdict for {claim}: interval must be (lower, upper), got {interval!r}")
        interval = (lower, upper)
    if verdict == "inconclusive" and smallest_detectable is None:
        raise ClaimError(f"verdict for {claim} is inconclusive: give smallest_detectable, "
                         "the smallest effect this design could have detected")
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 1):
        raise ClaimError(f"verdict for {claim}: n must be a positive whole number, got {n!r}")
    chapter = os.environ.get(CHAPTER_ENV, "")
    owner = claims[claim].chapter
    if chapter and owner and chapter != owner:
        raise ClaimError(f"claim {claim} belongs to chapter {owner} in data/{CLAIMS_FILE}, not to {chapter}")
    record = Verdict(
        claim=claim, verdict=verdict, chapter=chapter or owner, anchor=claims[claim].anchor,
        size=_resolve_size(size, os.environ.get(SIZE_ENV, "")),
        effect=_finite("effect", effect, claim), interval=interval, n=None if n is None else int(n),
        smallest_detectable=_finite("smallest_detectable", smallest_detectable, claim),
        measured=_plain(dict(measured or {})), note=str(note).strip(),
    )
    folder = os.environ.get(VERDICTS_DIR_ENV)
    if folder and chapter:
        _write(verdict_file(folder, chapter), record)
    return record


# -- reading a claim from paired comparisons ---------------------------------------------------
#: what a claim can say of a difference ``a − b``: ``"competitive"`` is non-inferiority, no loss
#: larger than the comparison's margin (see the module docstring); ``"same"`` is an interval inside ± the margin, whatever the test decides
#: (a difference smaller than the margin is no difference for the claim)
EXPECTS = ("higher", "lower", "equivalent", "competitive", "same")
#: the reading of a comparison without an interval (one seed, no per-query scores)
NO_INTERVAL = "no interval"
_TALLY = ("held", "not held", "inconclusive", NO_INTERVAL)
_FOUND = ("higher", "lower", "equivalent", "inconclusive", NO_INTERVAL)
_SWAP = {"higher": "lower", "lower": "higher"}


@dataclass(frozen=True)
class ComparisonReading:
    """One paired comparison ``a − b`` read against what a claim says of it.

    ``found`` is the comparison's own verdict (:data:`sigah.stats.VERDICTS`, or
    :data:`NO_INTERVAL`); ``reading`` is ``held``, ``not held``, ``inconclusive`` or
    :data:`NO_INTERVAL`. ``effect`` and ``interval`` are in the comparison's units (sign-changed
    when it was read flipped); ``n`` counts its seeds (``n_variant`` of a table row).
    """

    label: str
    expects: str
    found: str
    reading: str
    effect: float
    interval: tuple[float, float] | None
    mde: float | None
    n: int
    n_queries: int | None
    margin: float | None
    p_adjusted: float | None
    correction: str

    @property
    def toward_claim(self) -> tuple[float, float]:
        """(lower, upper bound) signed so that larger favours the claim (NaN without an interval)."""
        sign = -1.0 if self.expects == "lower" else 1.0
        low, high = self.interval if self.interval is not None else (math.nan, math.nan)
        return min(sign * low, sign * high), max(sign * low, sign * high)

    def text(self) -> str:
        """``"held (higher; claimed higher): +0.0123 [+0.0100, +0.0150]"``."""
        interval = "" if self.interval is None else f" [{self.interval[0]:+.4f}, {self.interval[1]:+.4f}]"
        return f"{self.reading} ({self.found}; claimed {self.expects}): {self.effect:+.4f}{interval}"


def _number(value: Any) -> float | None:
    """A finite float, or None (a table's missing values are NaN or None)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _reading(found: str, expects: str, interval: tuple[float, float] | None, margin: float | None) -> str:
    if found == NO_INTERVAL:
        return NO_INTERVAL
    if expects == "same":
        if interval is not None and margin is not None and -margin < interval[0] and interval[1] < margin:
            return "held"
        return "inconclusive" if found in ("inconclusive", "equivalent") else "not held"
    if expects == "competitive":  # non-inferiority: no loss beyond the margin
        if interval is None or margin is None:
            return "inconclusive"
        return "held" if interval[0] > -margin else "not held" if interval[1] < -margin else "inconclusive"
    return "held" if found == expects else "inconclusive" if found == "inconclusive" else "not held"


def _raw_rows(comparisons: Any, label: Callable[[Mapping[str, Any]], str] | None
              ) -> list[tuple[str, dict[str, Any]]]:
    """(label, the comparison's numbers) of every comparison given, in order."""
    if hasattr(comparisons, "columns") and hasattr(comparisons, "to_dict"):  # a compare_to_baseline table
        if comparisons.empty:
            raise ClaimError("no comparison to read: the table is empty")
        records = comparisons.to_dict("records")
    elif hasattr(comparisons, "to_dict") and "difference" in comparisons:  # one row of such a table
        records = [comparisons.to_dict()]
    elif isinstance(comparisons, Mapping) and "difference" in comparisons:
        records = [dict(comparisons)]
    else:
        records = None
    if records is not None:
        name = label or comparison_label
        return [(name(r), {"found": str(r["verdict"]), "effect": r["difference"], "low": r["low"],
                           "high": r["high"], "mde": r["mde"], "n": r["n_variant"],
                           "n_queries": r.get("n_queries"), "margin": r.get("margin"),
                           "p_adjusted": r.get("p_adjusted"), "correction": str(r.get("method", ""))})
                for r in records]
    if isinstance(comparisons, stats.Family):
        pairs = list(zip(comparisons.labels, comparisons.comparisons))
    elif isinstance(comparisons, Mapping) and all(isinstance(c, stats.Comparison) for c in comparisons.values()):
        pairs = list(comparisons.items())
    elif isinstance(comparisons, stats.Comparison):
        pairs = [("comparison", comparisons)]
    else:
        raise ClaimError("comparisons must be a sigah.stats Family, Comparison or {label: Comparison}, or a "
                         f"compare_to_baseline table; got {type(comparisons).__name__}")
    if not pairs:
        raise ClaimError("no comparison to read: give at least one")
    return [(str(name), {"found": c.verdict, "effect": c.effect, "low": c.low, "high": c.high, "mde": c.mde,
                         "n": c.n_seeds, "n_queries": c.n_queries, "margin": c.margin, "p_adjusted": c.p_adjusted,
                         "correction": f"{c.method} over {c.family_size}"}) for name, c in pairs]


def comparison_label(row: Mapping[str, Any]) -> str:
    """``"variant (dataset, 64 bits)"``: a compare_to_baseline row by what varies in it."""
    where = [str(row["dataset"])] if "dataset" in row else []
    where += [f"{row['bits']} bits"] if "bits" in row else []
    return f"{row['variant']} ({', '.join(where)})" if where else str(row["variant"])




def read_comparisons(comparisons: Any, expects: str | Sequence[str], *, flip: bool = False,
                     label: Callable[[Mapping[str, Any]], str] | None = None,
                     require_intervals: bool = False) -> list[ComparisonReading]:
    """Each paired comparison read against what the claim says of it.

    Parameters
    ----------
    comparisons : sigah.stats.Family, Comparison, mapping or pandas.DataFrame
        A family, one comparison, ``{label: Comparison}``, or a table of
        :func:`sigah.studies.ablation.compare_to_baseline` (columns ``difference``, ``low``,
        ``high``, ``mde``, ``verdict``, ``n_variant``, optionally ``n_queries``, ``margin``,
        ``p_adjusted``, ``method``), or one row of it.
    expects : str or sequence of str
        What the claim says of every difference (one of :data:`EXPECTS`), or of each in order.
    flip : bool
        Read ``b − a`` (the claim is about the reference, e.g. "the default is best"): effects and
        intervals change sign, higher and lower swap.
    label : callable, optional
        A table row's name (default: its variant, dataset and code length); a family's own labels
        are kept.
    require_intervals : bool
        Refuse a comparison without an interval instead of reading it as :data:`NO_INTERVAL`.

    Returns
    -------
    list of ComparisonReading
        In the order given.

    Raises
    ------
    ClaimError
        One line: no comparison, an ``expects`` outside :data:`EXPECTS` or of the wrong length, an
        equivalence claim on a comparison without a margin, a missing interval under
        ``require_intervals``.
    """
    rows = _raw_rows(comparisons, label)
    claimed = [expects] * len(rows) if isinstance(expects, str) else list(expects)
    if len(claimed) != len(rows):
        raise ClaimError(f"expects must be one word or one per comparison ({len(rows)}), got {len(claimed)}")
    readings = []
    for (name, r), claim in zip(rows, claimed):
        if claim not in EXPECTS:
            raise ClaimError(f"expects must be one of {', '.join(EXPECTS)}; got {claim!r}")
        margin = _number(r["margin"])
        if claim in ("equivalent", "competitive", "same") and margin is None:
            raise ClaimError(f"comparison {name!r} has no equivalence margin, so a claim of {claim!r} cannot be read")
        low, high = _number(r["low"]), _number(r["high"])
        found, effect = r["found"], float(r["effect"])
        if low is None or high is None:
            if require_intervals:
                raise ClaimError(f"comparison {name!r} has no interval (one seed, no per-query scores): run two "
                                 "seeds or keep per-query scores to judge a claim")
            found, interval = NO_INTERVAL, None
        else:
            interval = (low, high)
        if flip:
            found, effect = _SWAP.get(found, found), -effect
            interval = None if interval is None else (-interval[1], -interval[0])
        n_queries = _number(r["n_queries"])
        readings.append(ComparisonReading(
            label=name, expects=claim, found=found, reading=_reading(found, claim, interval, margin), effect=effect,
            interval=interval, mde=_number(r["mde"]), n=int(r["n"]),
            n_queries=None if n_queries is None else int(n_queries), margin=margin,
            p_adjusted=_number(r["p_adjusted"]), correction=r["correction"]))
    return readings


def _against(r: ComparisonReading) -> float:
    """How far ``r``'s interval lies from zero on the side that decides against its claim.

    For a claimed direction (``higher``, ``lower``, ``competitive``), the bound nearest zero signed
    against the claim (``−0.3`` for an interval ``[−0.5, −0.3]`` under a claim of higher; negative
    when the interval reaches into the claimed side, as an equivalence decided against a claimed
    difference does); for a claimed absence of difference (``equivalent``, ``same``), the distance
    of the interval from zero.
    """
    low, high = r.toward_claim
    if r.expects in ("equivalent", "same"):
        return max(low, -high)
    return -high


def _room(r: ComparisonReading) -> float:
    """How far ``r``'s interval stays from deciding against its claim (small: near to failing).

    For a claimed direction, the bound nearest zero in the claimed direction (the lower bound,
    signed toward the claim); for a claimed absence of difference, the distance from the bound
    farthest from zero to the margin.
    """
    low, high = r.toward_claim
    if r.expects in ("equivalent", "same") and r.margin is not None:
        return r.margin - max(-low, high)
    return low


def _mde(r: ComparisonReading) -> float:
    return -math.inf if r.mde is None else r.mde


def _shown(readings: list[ComparisonReading], verdict: str) -> ComparisonReading:
    """The comparison whose effect, interval and ``n`` a reading shows (:func:`reading_of`, one rule).

    ``not held``: the clearest against the claim (:func:`_against` the largest; ties: the larger
    ``|effect|``); ``held``: the nearest to failing (:func:`_room` the smallest); ``inconclusive``:
    the undecided comparison with the largest MDE (a comparison without an interval when every one
    with an interval holds). Remaining ties: the first given.
    """
    if verdict == "not held":
        against = [r for r in readings if r.reading == "not held"]
        return max(against, key=lambda r: (_against(r), abs(r.effect)))
    if verdict == "held":
        return min(readings, key=_room)
    undecided = [r for r in readings if r.reading == "inconclusive"]
    if undecided:
        return max(undecided, key=_mde)
    return next(r for r in readings if r.reading == NO_INTERVAL)  # held where tested, one comparison untested


def reading_of(comparisons: Any, expects: str | Sequence[str], *, note: str, flip: bool = False,
               label: Callable[[Mapping[str, Any]], str] | None = None,
               measured: Mapping[str, Any] | None = None, itemise: bool = True,
               require_intervals: bool = False) -> dict[str, Any]:
    """One verdict on a claim from the paired comparisons of :mod:`sigah.stats` it rests on.

    The claim is **held** when every comparison reads as claimed, **not held** when any is
    decided against it (the opposite direction, or equivalence within its margin against a
    claimed difference, or a loss beyond the margin against a claim of being competitive), **inconclusive**
    otherwise; **not testable** when no comparison has an interval. A comparison without an
    interval keeps the claim from being held.

    The record's effect, interval and ``n`` are those of one comparison, chosen by the verdict
    (its label is ``measured["shown"]`` and the note names it):

    * **not held**: the clearest evidence against the claim, the comparison decided against it
      whose interval lies farthest from zero in the wrong direction (the largest distance of its
      bound nearest zero; for a claim of no difference, of the interval from zero); ties: the
      larger ``|effect|``;
    * **held**: the comparison nearest to failing, the one whose bound nearest zero is closest to
      zero (for a claim of no difference, whose bound farthest from zero is closest to the
      margin);
    * **inconclusive**: the undecided comparison with the largest minimum detectable effect
      (when every comparison with an interval holds, one without an interval);
    * a single comparison: itself.

    ``smallest_detectable`` is the shown comparison's minimum detectable effect when
    inconclusive, and the largest of every comparison with an interval otherwise.

    Parameters
    ----------
    comparisons, expects, flip, label, require_intervals
        As :func:`read_comparisons`. The comparisons must have been corrected together
        (:func:`sigah.stats.compare_family`, or one ``compare_to_baseline`` table).
    note : str
        The rule in one sentence; what was found is appended.
    measured : mapping, optional
        Put first in the record's ``measured``.
    itemise : bool
        Also put each comparison's reading, effect and interval in ``measured``, by label (a
        family of tens of comparisons may leave them out: the counts and the shown one remain).

    Returns
    -------
    dict
        Keyword arguments of :func:`record_verdict` after the claim id.

    Raises
    ------
    ClaimError
        As :func:`read_comparisons`.
    """
    readings = read_comparisons(comparisons, expects, flip=flip, label=label, require_intervals=require_intervals)
    states = [r.reading for r in readings]
    tally = ", ".join(f"{states.count(word)} {word}" for word in _TALLY if word in states)
    one = len(readings) == 1
    cells = {r.label: r.text() for r in readings} if itemise and not one else {}
    record = dict(measured or {})
    if not one:
        record |= {"comparisons": len(readings), **{word: sum(r.found == word for r in readings)
                                                     for word in _FOUND if word != NO_INTERVAL or word in states}}
    if all(state == NO_INTERVAL for state in states):
        return dict(verdict="not testable", measured=record | cells, note=(
            f"{note}; no comparison has an interval (one seed and no per-query scores): {tally}"))
    verdict = ("not held" if "not held" in states else "held" if all(s == "held" for s in states)
               else "inconclusive")
    shown = _shown(readings, verdict)
    against = [r.label for r in readings if r.reading == "not held"]
    if one:
        margin = "" if shown.margin is None else f" (margin ±{shown.margin:g})"
        found = f"the comparison finds {shown.found}{margin}; the paper claims {shown.expects}"
    else:
        record["shown"] = shown.label
        if against:
            record["against the claim"] = against
        found = f"found {tally} of {stats.plural(len(readings), 'comparison')} (effect: {shown.label})"
    record |= {"queries": shown.n_queries, "correction": shown.correction}
    mdes = [r.mde for r in readings if r.interval is not None and r.mde is not None]
    detectable = shown.mde if verdict == "inconclusive" and shown.mde is not None else max(mdes, default=None)
    return dict(verdict=verdict, effect=shown.effect, interval=shown.interval, n=shown.n,
                smallest_detectable=detectable,
                measured=record | cells, note=f"{note}; {found}" if note else found)


def _distance_from_zero(part: Mapping[str, Any]) -> float:
    """How far a part's interval lies from zero (negative when it reaches across zero; −inf without one)."""
    if part.get("interval") is None:
        return -math.inf
    low, high = part["interval"]
    return max(low, -high)


def _shown_part(readings: Mapping[str, Mapping[str, Any]], verdict: str) -> str:
    """The part whose effect a combined reading shows, by the rule of :func:`reading_of`.

    ``not held``: of the parts not held, the one whose interval lies farthest from zero (ties: the
    larger ``|effect|``); ``held``: the part nearest to failing, whose interval lies nearest to
    zero; ``inconclusive``: the inconclusive part with the largest smallest detectable effect.
    Remaining ties: the first given.
    """
    parts = [name for name, r in readings.items() if r["verdict"] == verdict] or list(readings)
    if verdict == "not held":
        return max(parts, key=lambda n: (_distance_from_zero(readings[n]), abs(readings[n].get("effect") or 0.0)))
    if verdict == "held":
        return min(parts, key=lambda n: _distance_from_zero(readings[n]))
    return max(parts, key=lambda n: -math.inf if readings[n].get("smallest_detectable") is None
               else readings[n]["smallest_detectable"])


def combine_readings(readings: Mapping[str, Mapping[str, Any]], *, note: str) -> dict[str, Any]:
    """One verdict from the readings of one claim on several datasets (or parts): held on all, not held on any.

    Inconclusive otherwise, with the largest smallest detectable effect of the parts. The effect,
    interval and ``n`` shown are one part's, chosen as :func:`reading_of` chooses a comparison
    (:func:`_shown_part`: the clearest against the claim when not held, the nearest to failing when
    held, the largest smallest detectable effect when inconclusive) and named in
    ``measured["shown"]`` and the note; each part's verdict, effect and interval are in ``measured``.

    Parameters
    ----------
    readings : mapping
        Part name → keyword arguments of :func:`record_verdict` (:func:`reading_of`), in order.
    note : str
        The record's sentence.

    Returns
    -------
    dict
        Keyword arguments of :func:`record_verdict` after the claim id.
    """
    if not readings:
        raise ClaimError("no readings to combine")
    verdicts = [r["verdict"] for r in readings.values()]
    verdict = ("not held" if "not held" in verdicts else "held" if all(v == "held" for v in verdicts)
               else "inconclusive")
    shown_name = _shown_part(readings, verdict)
    shown = readings[shown_name]
    detectable = [r["smallest_detectable"] for r in readings.values() if r.get("smallest_detectable") is not None]
    measured: dict[str, Any] = {"shown": shown_name}
    for name, r in readings.items():
        measured |= {f"{name} verdict": r["verdict"], f"{name} effect": r.get("effect")}
        if r.get("interval") is not None:
            measured[f"{name} interval"] = list(r["interval"])
    note = f"{note}; effect shown: {shown_name}" if len(readings) > 1 else note
    return dict(verdict=verdict, effect=shown.get("effect"), interval=shown.get("interval"), n=shown.get("n"),
                smallest_detectable=max(detectable) if detectable else None, measured=measured, note=note)


#: the largest half-width (in the metric's units, mAP) of our interval at which a published cell
#: inside it counts as agreement: a wider interval cannot tell the paper's number from a neighbour
PUBLISHED_MARGIN = 0.02


def published_cells(cells: Mapping[str, Any], *, what: str, margin: float = PUBLISHED_MARGIN) -> dict[str, Any]:
    """A row of the paper's numbers against our intervals, by one rule for every chapter.

    **Held** when every published cell lies inside our interval and every interval's half-width is
    at most ``margin``; **not held** when any cell lies outside; **inconclusive** otherwise, with
    the largest half-width as the smallest detectable effect. The effect is ours minus the
    paper's on the worst cell (the farthest outside, or the nearest to an edge of our interval);
    its interval is our interval minus the paper's number.

    Parameters
    ----------
    cells : mapping
        Cell label → :class:`sigah.stats.PublishedComparison` (:func:`sigah.stats.compare_to_published`,
        corrected together), in order.
    what : str
        What is compared, for the note (``"the paper's 6 cells of SiGAH"``).
    margin : float
        The largest half-width that counts as a narrow interval.

    Returns
    -------
    dict
        Keyword arguments of :func:`record_verdict` after the claim id; ``measured`` holds every cell.
    """
    if not cells:
        raise ClaimError("no published cell to read: give at least one")
    if not (math.isfinite(margin) and margin > 0):
        raise ClaimError(f"margin must be a positive number, got {margin!r}")
    inside = sum(c.verdict == stats.PUBLISHED_VERDICTS[0] for c in cells.values())

    def edge(c: Any) -> float:  # how near the cell is to leaving our interval (outside: beyond it)
        return abs(c.distance) if c.distance else -min(c.published - c.low, c.high - c.published)

    worst = max(cells, key=lambda k: (edge(cells[k]), abs(cells[k].mean - cells[k].published)))
    c = cells[worst]
    half = max((x.high - x.low) / 2 for x in cells.values())
    verdict = ("not held" if inside < len(cells) else "held" if half <= margin else "inconclusive")
    measured = {label: {"ours": x.mean, "low": x.low, "high": x.high, "paper": x.published}
                for label, x in cells.items()}
    measured |= {"inside": inside, "cells": len(cells), "level": c.confidence, "largest half-width": half,
                 "margin": margin, "worst cell": worst}
    return dict(verdict=verdict, effect=c.mean - c.published, interval=(c.low - c.published, c.high - c.published),
                n=c.n_seeds, smallest_detectable=half, measured=measured, note=(
                    f"{what} against the interval of our mean (Bonferroni over {len(cells)}): held when every "
                    f"cell is inside an interval of half-width at most {margin:g}; {inside} of {len(cells)} "
                    f"inside, largest half-width {half:.4f}; effect: {worst}, ours minus the paper's"))


def not_testable(note: str, measured: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """:func:`record_verdict` arguments of a claim this run cannot test; ``note`` says what is missing."""
    return {"verdict": "not testable", "measured": dict(measured or {}), "note": note}


def below_tolerance(estimate: stats.Estimate, tolerance: float, *, n: int) -> dict[str, Any]:
    """A claim that a mean stays below a stated tolerance, read by :func:`sigah.stats.against_tolerance`.

    Held when the mean's 95 % interval lies below ``tolerance``, not held when it lies above,
    inconclusive when it contains it.

    Parameters
    ----------
    estimate : sigah.stats.Estimate
        The mean and its standard error (:func:`sigah.stats.estimate_mean`).
    tolerance : float
    n : int
        Observations behind the mean.

    Returns
    -------
    dict
        ``verdict``, ``effect``, ``interval``, ``n`` and ``smallest_detectable`` for
        :func:`record_verdict` (the caller adds ``measured`` and ``note``).
    """
    side, low, high = stats.against_tolerance(estimate, tolerance)
    return dict(verdict={"below": "held", "above": "not held"}.get(side, "inconclusive"), effect=estimate.mean,
                interval=(low, high), n=int(n),
                smallest_detectable=stats.minimum_detectable_effect(estimate.standard_error, estimate.df))


def _write(path: Path, record: Verdict) -> None:
    data = {"chapter": record.chapter, "size": record.size, "verdicts": []}
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
    kept = [v for v in data.get("verdicts", []) if v.get("claim") != record.claim]
    data["verdicts"] = kept + [record.to_json()]
    atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False))


# -- section anchors of a chapter -------------------------------------------------------------
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_LABEL = re.compile(r"^\(([^()\s]+)\)=\s*$")
_MATH = re.compile(r"\$[^$]*\$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SLUG_DROP = re.compile(r"[^\w\u4e00-\u9fff\- ]")
#: heading levels that get an anchor (``myst_heading_anchors`` in ``_config.yml``)
HEADING_ANCHOR_LEVELS = 3


def heading_slug(title: str) -> str:
    """The anchor MyST gives a heading (``myst_heading_anchors``): GitHub's slug of its text, maths left out."""
    text = _LINK.sub(r"\1", _MATH.sub("", title)).replace("*", "").replace("`", "")
    return _SLUG_DROP.sub("", text.lower().replace(" ", "-"))


def chapter_anchors(text: str) -> dict[str, str]:
    """The link targets of a chapter source: heading slugs (levels 1-3) and ``(label)=`` targets.

    Parameters
    ----------
    text : str
        A MyST-markdown chapter (front matter and code cells are skipped).

    Returns
    -------
    dict of str to str
        Anchor → the heading it points to (for a label, the heading that follows it), in order.
    """
    anchors: dict[str, str] = {}
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    fence = ""
    pending: list[str] = []
    slugs: set[str] = set()
    for line in lines[start:]:
        stripped = line.strip()
        opened = _FENCE.match(stripped)
        if fence:
            if opened and stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        if label := _LABEL.match(stripped):
            pending.append(label.group(1))
            continue
        heading = _HEADING.match(line)
        if not heading:
            continue
        title = heading.group(2).strip()
        for name in pending:
            anchors[name] = title
        pending = []
        if len(heading.group(1)) <= HEADING_ANCHOR_LEVELS:
            slug = base = heading_slug(title)
            i = 1
            while slug in slugs:  # MyST numbers repeated headings -1, -2, ...
                slug = f"{base}-{i}"
                i += 1
            slugs.add(slug)
            anchors[slug] = title
    return anchors


#: the key of ``measured`` by which a record states how far its effect could ever range (the
#: largest possible ``|effect|``); without it, :data:`DEFAULT_EFFECT_RANGE`
EFFECT_RANGE_KEY = "effect range"
#: the largest difference of two scores in [0, 1] (mAP, precision, recall, a share)
DEFAULT_EFFECT_RANGE = 1.0


def decidable(smallest_detectable: float, effect_range: float | None = None) -> bool:
    """Whether a design could detect any effect the metric can take: its smallest detectable
    effect is at most ``effect_range`` (default :data:`DEFAULT_EFFECT_RANGE`)."""
    return smallest_detectable <= (DEFAULT_EFFECT_RANGE if effect_range is None else float(effect_range))


def detectable_text(smallest_detectable: float, n: int | None, *, effect_range: float | None = None,
                    digits: int = 4) -> str:
    """The smallest detectable effect as shown beside an undecided verdict.

    A design whose smallest detectable effect exceeds every difference the metric could take
    (``effect_range``, default :data:`DEFAULT_EFFECT_RANGE`) could detect nothing: it reads
    ``"not decidable with n = N"`` instead of a number.

    Parameters
    ----------
    smallest_detectable : float
    n : int or None
        The record's independent units (seeds), named in the text.
    effect_range : float, optional
        The largest possible ``|effect|`` in the record's units.
    digits : int
    """
    if not decidable(smallest_detectable, effect_range):
        return "not decidable with " + (f"n = {n}" if n is not None else "this design")
    return f"{smallest_detectable:.{digits}f}"


def verdict_table(verdicts: Mapping[str, Mapping[str, Any]]) -> Any:
    """A chapter's verdicts as a table: claim, verdict, effect with its interval, the smallest
    detectable effect (beside an inconclusive verdict only; "not decidable with n = N" when it
    exceeds any difference the metric can take, :func:`detectable_text`), and the rule with what
    it found.

    Parameters
    ----------
    verdicts : mapping
        Claim id → keyword arguments of :func:`record_verdict` after the id.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    import pandas as pd

    from sigah.studies.wording import html_table

    rows = []
    for claim, v in verdicts.items():
        effect = "—" if v.get("effect") is None else stats.format_signed(v["effect"], 4)
        if v.get("interval") is not None:
            effect += f" ({stats.format_interval(*v['interval'], 4)})"
        # the smallest detectable effect qualifies an undecided verdict only
        detectable = v.get("smallest_detectable") if v["verdict"] == "inconclusive" else None
        rows.append({"claim": claim, "verdict": v["verdict"], "effect (interval)": effect,
                     "detectable": "—" if detectable is None else detectable_text(
                         detectable, v.get("n"), effect_range=(v.get("measured") or {}).get(EFFECT_RANGE_KEY)),
                     "rule and finding": v["note"]})
    # the effect may break before its interval, "not decidable ..." between words and the rule
    # anywhere, so that the table fits the text column
    return html_table(pd.DataFrame(rows), wrap=["effect (interval)", "detectable", "rule and finding"])
