"""Which chapter of the book covers which section, table and figure of the paper.

The front page shows this map as a table, rendered at build time (:func:`render_paper_map`) for
the chapters listed in ``_toc.yml`` only, so a chapter appears in the map once it is in the book.
Section, table and figure numbers are those of the SiGAH paper (arXiv 2306.06928).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PaperCoverage", "PAPER_MAP", "chapter_title", "render_paper_map"]


@dataclass(frozen=True)
class PaperCoverage:
    """The parts of the paper one chapter reproduces or explains."""

    sections: str
    tables: str = ""
    figures: str = ""


PAPER_MAP: dict[str, PaperCoverage] = {
    "01_evaluation": PaperCoverage("5.2 (evaluation protocol)", "Table 2 (LSH, ITQ rows)"),
    "02_baselines": PaperCoverage("2, 5.2 (compared methods)", "Tables 2 and 3 (baseline rows)"),
    "03_compressed_sensing": PaperCoverage("3.2 (sparsity-induced generative model)"),
    "04_generator_bound": PaperCoverage("3.2 (Theorem 1, the generator bound)"),
    "05_energy_discriminator": PaperCoverage("3.3 (discriminative model)", "", "Fig. 7 (b, c): energies in training"),
    "06_hash_learning": PaperCoverage("3.4, 4 (hash learning, implementation)", "Table 2 (SiGAH row)"),
    "07_retrieval_quality": PaperCoverage("5.3 (quantitative results)", "Tables 1 and 2", "Fig. 3"),
    "08_training_time": PaperCoverage("5.3 (training time)", "Table 3"),
    "09_ablations": PaperCoverage("5.5 (ablation study)", "Tables 4 and 5", "Figs. 7 and 8"),
    "10_reconstruction": PaperCoverage("3.6, 5.4 (reconstruction)", "", "Figs. 4 and 6"),
    "11_deep_features": PaperCoverage("5.6 (deep features)", "Tables 6 and 7"),
    "12_search": PaperCoverage("none (beyond the paper: searching with the codes)"),
    "13_further_claims": PaperCoverage("1, 3.5, 3.6 (claims without an experiment)", "", "Fig. 8 (all weights zero)"),
}


def chapter_title(md_path: Path) -> str:
    """The first level-one heading of a chapter source (its file name if it has none)."""
    match = re.search(r"^# (.+)$", md_path.read_text(encoding="utf-8"), re.MULTILINE)
    return match.group(1).strip() if match else md_path.stem


def render_paper_map(root: Path, entries: list[str], sizes: dict[str, str] | None = None) -> str:
    """A MyST table mapping the book's chapters (``_toc.yml`` entries) to the paper.

    Parameters
    ----------
    root : Path
        Repository root (chapter sources are ``root / entry + ".md"``).
    entries : list of str
        ``_toc.yml`` entries in order, as returned by :func:`sigah.tools.build.chapter_sources`.
    sizes : dict, optional
        Chapter name to the size (``ci`` or ``full``) it was executed at in this build.

    Returns
    -------
    str
        Markdown: one row per chapter of :data:`PAPER_MAP` present in ``entries``.
    """
    sizes = sizes or {}
    rows = [
        "| chapter | paper sections | tables | figures | size in this build |",
        "|---|---|---|---|---|",
    ]
    for entry in entries:
        name = Path(entry).name
        if name not in PAPER_MAP:
            continue
        cover = PAPER_MAP[name]
        title = chapter_title(root / f"{entry}.md")
        size = {"ci": "CI-sized", "full": "full"}.get(sizes.get(name, ""), "not run")
        rows.append(f"| {{doc}}`{title} <{name}>` | {cover.sections} | {cover.tables or '-'} | "
                    f"{cover.figures or '-'} | {size} |")
    return "\n".join(rows) + "\n"
