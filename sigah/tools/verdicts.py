"""The build's side of the claims ledger: where chapters record verdicts, and the check that they did.

Before a chapter runs, :func:`verdict_environment` starts its record ``_build/verdicts/<chapter>.json``
and gives the kernel the variables :func:`sigah.studies.claims.record_verdict` reads. After it ran,
:func:`check_chapter_claims` names every claim that ``data/claims.csv`` wires to the chapter and the
chapter did not record; the build fails on it. :func:`ledger_status_lines` puts the tally and a link
to the *Claims ledger* page on the status page.
"""

from __future__ import annotations

from pathlib import Path

from sigah.studies.claims import (
    CHAPTER_ENV,
    CLAIMS_FILE,
    SIZE_ENV,
    VERDICTS_DIR_ENV,
    claim_list,
    read_verdict_file,
    start_verdict_file,
    verdict_file,
)
from sigah.studies.ledger import ledger_rows, missing_claims, tally_sentence

__all__ = ["LEDGER_PAGE", "check_chapter_claims", "ledger_status_lines", "verdicts_dir", "verdict_environment"]

#: the ``_toc.yml`` entry of the ledger page
LEDGER_PAGE = "book/claims_ledger"


def verdicts_dir(root: Path) -> Path:
    """``_build/verdicts`` under the repository root."""
    return root / "_build" / "verdicts"


def verdict_environment(root: Path, chapter: str, size: str, folder: Path | None = None) -> dict[str, str]:
    """Start a chapter's verdict record and return the kernel variables that point it there.

    Parameters
    ----------
    root : Path
        Repository root.
    chapter : str
        The chapter's name (``03_compressed_sensing``).
    size : str
        ``ci``, ``full`` or ``custom``: what the build runs it at.
    folder : Path, optional
        Where the record goes (default ``_build/verdicts``).
    """
    folder = folder or verdicts_dir(root)
    start_verdict_file(folder, chapter, size)
    return {VERDICTS_DIR_ENV: str(folder), CHAPTER_ENV: chapter, SIZE_ENV: size}


def check_chapter_claims(root: Path, chapter: str) -> str:
    """One line per claim wired to ``chapter`` that its run did not record ("" when none is missing)."""
    try:
        claims = claim_list()
    except FileNotFoundError:  # a book without a claim list wires no claim
        return ""
    path = verdict_file(verdicts_dir(root), chapter)
    recorded = read_verdict_file(path)[1] if path.is_file() else []
    return "\n".join(f"{chapter} did not record claim {claim_id}, which data/{CLAIMS_FILE} wires to it "
                     f"(sigah.studies.claims.record_verdict({claim_id!r}, ...))"
                     for claim_id in missing_claims(chapter, claims, recorded))


def ledger_status_lines(root: Path, entries: list[str]) -> list[str]:
    """The status page's line on the claims: the tally and a link to the ledger ([] without a ledger page)."""
    if LEDGER_PAGE not in entries:
        return []
    from sigah.studies.claims import read_verdicts

    rows = ledger_rows(claim_list(), read_verdicts(verdicts_dir(root)))
    return [f"- Claims: {tally_sentence(rows, link='{doc}`Claims ledger <claims_ledger>`')}"]
