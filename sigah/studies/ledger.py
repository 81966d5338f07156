"""The claims ledger: every claim of ``data/claims.csv`` beside the verdict this build computed.

The book's page *Claims ledger* shows one table per group (:func:`group_table`), the tally
(:func:`tally_sentence`) and the terminal command ``sigah book claims`` prints the same rows
(:func:`ledger_text`). The rows come from the claim list and the verdict records the chapters
wrote during the build (:mod:`sigah.studies.claims`):

- a claim whose chapter recorded a verdict shows it, with the numbers behind it;
- a claim marked ``not testable`` shows why, and what would test it;
- a claim whose chapter did not run in this build shows "not run in this build";
- a claim whose chapter ran without recording it shows that the chapter does not record it yet
  (for a ``wired`` claim the build has already failed, naming it: :func:`missing_claims`).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigah.studies.claims import (
    EFFECT_RANGE_KEY,
    GROUPS,
    VERDICTS_DIR_ENV,
    Claim,
    Verdict,
    chapter_anchors,
    claim_list,
    decidable,
    detectable_text,
    read_verdicts,
)

__all__ = [
    "OUTCOMES",
    "LedgerRow",
    "default_verdicts_dir",
    "group_table",
    "ledger_rows",
    "ledger_text",
    "load_ledger",
    "missing_claims",
    "numbers_text",
    "tally",
    "tally_sentence",
]

#: what a row can show, in the order the tally counts them
OUTCOMES = ("held", "not held", "inconclusive", "not testable", "not run")
NOT_RUN = "not run in this build"
NOT_RECORDED = "its chapter ran but does not record this claim yet"
SIZE_WORDS = {"ci": "CI size", "full": "full size", "reduced": "reduced size", "custom": "custom parameters"}


@dataclass(frozen=True)
class LedgerRow:
    """One claim and what this build found for it.

    ``outcome`` is one of :data:`OUTCOMES`; ``verdict`` the chapter's record, if any; ``detail``
    the reason for a not-testable claim or why no verdict was computed.
    """

    claim: Claim
    outcome: str
    verdict: Verdict | None = None
    detail: str = ""


def _find_root(start: Path | None = None) -> Path:
    """The book's root: the folder holding ``_toc.yml`` at or above the working directory, else the checkout."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    from sigah.data import data_dir

    return data_dir().parent


def default_verdicts_dir() -> Path:
    """``$SIGAH_VERDICTS_DIR`` under the book's build, else ``_build/verdicts`` of the book's root."""
    folder = os.environ.get(VERDICTS_DIR_ENV)
    return Path(folder) if folder else _find_root() / "_build" / "verdicts"


def ledger_rows(
    claims: Mapping[str, Claim] | None = None,
    verdicts: Mapping[str, Sequence[Verdict]] | None = None,
) -> list[LedgerRow]:
    """Every claim of the list with what the build found for it, in the list's order.

    Parameters
    ----------
    claims : mapping, optional
        Claim id → claim (default: :func:`sigah.studies.claims.claim_list`).
    verdicts : mapping, optional
        Chapter → the verdicts it recorded; a chapter present with no verdicts ran and recorded
        none, a chapter absent did not run (default: the records of :func:`default_verdicts_dir`).

    Returns
    -------
    list of LedgerRow
    """
    claims = claim_list() if claims is None else claims
    verdicts = read_verdicts(default_verdicts_dir()) if verdicts is None else verdicts
    recorded = {v.claim: v for records in verdicts.values() for v in records}
    rows = []
    for claim in claims.values():
        if claim.id in recorded:
            record = recorded[claim.id]
            rows.append(LedgerRow(claim, record.verdict, record, record.note))
        elif claim.status == "not testable":
            rows.append(LedgerRow(claim, "not testable", None, claim.reason))
        elif claim.chapter not in verdicts:
            rows.append(LedgerRow(claim, "not run", None, NOT_RUN))
        else:
            rows.append(LedgerRow(claim, "not run", None, NOT_RECORDED))
    return rows


def load_ledger(verdicts_dir: str | os.PathLike | None = None) -> list[LedgerRow]:
    """The ledger's rows from the claim list and a build's verdict folder (default :func:`default_verdicts_dir`)."""
    return ledger_rows(claim_list(), read_verdicts(verdicts_dir or default_verdicts_dir()))


def missing_claims(chapter: str, claims: Mapping[str, Claim], recorded: Sequence[Verdict]) -> list[str]:
    """Ids of the claims wired to ``chapter`` that it did not record, in the list's order."""
    written = {v.claim for v in recorded}
    return [c.id for c in claims.values() if c.status == "wired" and c.chapter == chapter and c.id not in written]


def tally(rows: Sequence[LedgerRow]) -> dict[str, int]:
    """How many rows show each outcome, in the order of :data:`OUTCOMES` (zeros included)."""
    counts = Counter(row.outcome for row in rows)
    return {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}


def tally_sentence(rows: Sequence[LedgerRow], *, link: str | None = None) -> str:
    """One sentence of counts, for the ledger page, the introduction and the terminal.

    Parameters
    ----------
    rows : sequence of LedgerRow
    link : str, optional
        A MyST link to the ledger page, appended (e.g. ``{doc}`Claims ledger <claims_ledger>```).
    """
    counts = tally(rows)
    text = (f"Of the paper's {len(rows)} checkable claims, this build found {counts['held']} held, "
            f"{counts['not held']} not held and {counts['inconclusive']} inconclusive; "
            f"{counts['not testable']} are not testable with what the book ships and "
            f"{counts['not run']} were not run in this build.")
    return text[:-1] + f" ({link})." if link else text


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return str(value)


#: measured entries that name the comparison a note spells out ("SIFT10K shown" too)
_NAMING_KEYS = ("shown", "against the claim")


def _said_in(name: str, value: Any, note: str) -> bool:
    """Whether a measured entry only names the comparison the verdict's note already writes out."""
    if not name.endswith(_NAMING_KEYS):
        return False
    texts = value if isinstance(value, (list, tuple)) else [value]
    return bool(texts) and all(isinstance(t, str) and t and t in note for t in texts)


def numbers_text(verdict: Verdict) -> str:
    """The numbers behind a verdict in one line: effect and interval, n, smallest detectable effect,
    the measured quantities, and the size the chapter ran at.

    The comparison shown (``shown``, ``against the claim``) is left out when the verdict's note
    already spells it out: the ledger prints the note beside these numbers, and one fact is said once."""
    parts = []
    if verdict.effect is not None:
        effect = f"effect {_number(verdict.effect)}"
        if verdict.interval is not None:
            effect += f" [{_number(verdict.interval[0])}, {_number(verdict.interval[1])}]"
        parts.append(effect)
    if verdict.n is not None:
        parts.append(f"n = {verdict.n:,}")
    if verdict.smallest_detectable is not None and verdict.verdict == "inconclusive":
        # it qualifies an undecided verdict; beside a decided one it only repeats the design
        # beyond any difference the metric can take, the number would pretend to a design
        if decidable(verdict.smallest_detectable, verdict.measured.get(EFFECT_RANGE_KEY)):
            parts.append(f"smallest detectable effect {_number(verdict.smallest_detectable)}")
        else:
            parts.append(detectable_text(verdict.smallest_detectable, verdict.n))
    parts += [f"{name} = {_number(value)}" for name, value in verdict.measured.items()
              if not _said_in(name, value, verdict.note)]
    if verdict.size:
        parts.append(SIZE_WORDS.get(verdict.size, verdict.size))
    return "; ".join(parts)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _section_link(claim: Claim, book_dir: Path) -> str:
    """A MyST link to the chapter section that tests the claim; the chapter alone if the anchor is gone."""
    if not claim.chapter:
        return "–"
    source = book_dir / f"{claim.chapter}.md"
    if not source.is_file():
        return f"`{claim.chapter}`"
    anchors = chapter_anchors(source.read_text(encoding="utf-8"))
    number = claim.chapter[:2]
    if claim.anchor in anchors:
        title = _cell(anchors[claim.anchor]).replace("$", "")
        if "(" + claim.anchor + ")=" in source.read_text(encoding="utf-8"):
            return f"{{ref}}`{number} · {title} <{claim.anchor}>`"
        return f"[{number} · {title}]({_built_name(claim.chapter, source)}#{claim.anchor})"
    return f"[{number}]({_built_name(claim.chapter, source)})"


def _built_name(chapter: str, source: Path) -> str:
    """The file a link must name in the built book: a notebook chapter is executed into
    ``<chapter>.ipynb`` (a link to its ``.md`` would not resolve), a plain page stays ``.md``."""
    head = source.read_text(encoding="utf-8").split("\n---", 1)[0]
    return f"{chapter}.ipynb" if "kernelspec:" in head else f"{chapter}.md"


def _verdict_cell(row: LedgerRow) -> str:
    if row.verdict is not None:
        words = f"**{row.outcome}**"
        return f"{words}: {_cell(row.detail)}" if row.detail else words
    if row.outcome == "not testable":
        return f"not testable here: {_cell(row.detail)}"
    return _cell(row.detail)


def group_table(rows: Sequence[LedgerRow], group: str, *, book_dir: str | os.PathLike | None = None) -> str:
    """The ledger's Markdown table for one group of claims.

    Parameters
    ----------
    rows : sequence of LedgerRow
    group : str
        One of the group names of :data:`sigah.studies.claims.GROUPS` (``"theory"``, ...).
    book_dir : path, optional
        The folder of the chapter sources, for the section titles (default: ``book/`` of the root).

    Returns
    -------
    str
        MyST Markdown: a table with the claim's id, the paper's words and their place, the section
        that tests it, the verdict (or why there is none) and the numbers behind it.
    """
    if group not in GROUPS.values():
        raise ValueError(f"group must be one of {', '.join(GROUPS.values())}; got {group!r}")
    book_dir = Path(book_dir) if book_dir is not None else _find_root() / "book"
    lines = ["| claim | the paper's words, and where | tested in | verdict | numbers and notes |",
             "|---|---|---|---|---|"]
    for row in rows:
        claim = row.claim
        if claim.group != group:
            continue
        notes = numbers_text(row.verdict) if row.verdict is not None else ""
        if claim.stand_in:
            notes = f"{notes}. {claim.stand_in}" if notes else claim.stand_in
        lines.append(f"| {claim.id} | “{_cell(claim.quote)}” ({_cell(claim.place)}) | "
                     f"{_section_link(claim, book_dir)} | {_verdict_cell(row)} | {_cell(notes)} |")
    return "\n".join(lines) + "\n"


def ledger_text(rows: Sequence[LedgerRow], *, width: int = 100) -> str:
    """The ledger as plain text for a terminal: one line per claim, then the tally.

    Parameters
    ----------
    rows : sequence of LedgerRow
    width : int
        Longest line; the last column (numbers or reason) is cut to fit, ending in "…".
    """
    lines = []
    for group in GROUPS.values():
        part = [r for r in rows if r.claim.group == group]
        if not part:
            continue
        lines.append(f"{group} ({len(part)} claims)")
        for row in part:
            chapter = row.claim.chapter or "-"
            rest = numbers_text(row.verdict) if row.verdict is not None else row.detail
            line = f"  {row.claim.id}  {row.outcome:<13} {chapter:<24} {rest}".rstrip()
            lines.append(line if len(line) <= width else line[: width - 1] + "…")
    lines.append(tally_sentence(rows))
    return "\n".join(lines) + "\n"
