"""Reading a claim from paired comparisons of :mod:`sigah.stats`: one comparison, or several that must all hold.

A claim made of several comparisons (:func:`all_of`) is **held** when every comparison reads as
claimed, **not held** when any is decided against the claim, and **inconclusive** otherwise, with
the largest minimum detectable effect among the undecided ones. The comparisons of one table are
corrected together by the caller (:func:`sigah.stats.compare_family`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["EXPECTS", "reading", "all_of"]

#: what a claim can say of one comparison ``a − b``
EXPECTS = ("higher", "lower", "competitive", "same")


def reading(comparison: Any, expects: str) -> str:
    """One comparison read against a claim: ``"held"``, ``"not held"`` or ``"inconclusive"``.

    ``expects`` is ``"higher"``, ``"lower"``, ``"competitive"`` (equivalent within the comparison's
    margin, or higher) or ``"same"`` (the interval within ± the margin, whatever the test decides:
    a difference smaller than the margin is the same for the claim).
    """
    verdict = comparison.verdict
    if expects in ("higher", "lower"):
        return "held" if verdict == expects else "inconclusive" if verdict == "inconclusive" else "not held"
    if comparison.margin is None:
        raise ValueError(f"a {expects!r} reading needs a comparison with an equivalence margin")
    if expects == "competitive":
        return {"equivalent": "held", "higher": "held", "lower": "not held"}.get(verdict, "inconclusive")
    if expects == "same":
        if -comparison.margin < comparison.low and comparison.high < comparison.margin:
            return "held"
        return "inconclusive" if verdict in ("inconclusive", "equivalent") else "not held"
    raise ValueError(f"expects must be higher, lower, competitive or same, got {expects!r}")


def all_of(items: Sequence[tuple[str, Any, str]], *, note: str, measured: Mapping[str, Any] | None = None
           ) -> dict[str, Any]:
    """One verdict from several comparisons that must all read as claimed.

    Parameters
    ----------
    items : sequence of (label, sigah.stats.Comparison, expects)
        ``expects`` as in :func:`reading`.
    note : str
        The rule, one sentence; what was found (the verdict and the deciding comparison) is appended.
    measured : mapping, optional
        More quantities for the record.

    Returns
    -------
    dict
        Keyword arguments of :func:`sigah.studies.claims.record_verdict` after the claim id: the
        effect and interval of the comparison that decides (the first against the claim, else the
        first undecided, else the weakest held one by adjusted p-value).
    """
    if not items:
        raise ValueError("all_of needs at least one comparison")
    reads = [(label, c, reading(c, expects)) for label, c, expects in items]
    verdicts = [r for _, _, r in reads]
    if "not held" in verdicts:
        verdict, key = "not held", verdicts.index("not held")
    elif "inconclusive" in verdicts:
        verdict, key = "inconclusive", verdicts.index("inconclusive")
    else:
        verdict, key = "held", int(np.argmax([c.p_adjusted for _, c, _ in reads]))
    label, deciding, _ = reads[key]
    undecided = [c.mde for _, c, r in reads if r == "inconclusive"]
    out = {f"{lab}": f"{r}: {c.effect:+.3f} [{c.low:+.3f}, {c.high:+.3f}]" for lab, c, r in reads}
    found = f"{label} {deciding.effect:+.3g}, interval [{deciding.low:+.3g}, {deciding.high:+.3g}]"
    return dict(verdict=verdict, effect=deciding.effect, interval=(deciding.low, deciding.high),
                n=deciding.n_seeds, smallest_detectable=max(undecided) if undecided else deciding.mde,
                measured={"deciding comparison": label, **out, **dict(measured or {})},
                note=f"{note}; found {verdict}, deciding: {found}")
