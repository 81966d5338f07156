"""Static checks of the chapter sources: they parse, carry parameters, and hold no stray control characters.

Executing the chapters is the job of the book build (`sigah book build --size ci`, run by CI);
these checks catch a broken source in seconds.
"""

import re
from pathlib import Path

import jupytext
import pytest

from sigah.tools.build import chapter_sources

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [ROOT / f"{entry}.md" for entry in chapter_sources(ROOT) if Path(entry).name[:2].isdigit()]


def test_every_toc_entry_exists():
    for entry in chapter_sources(ROOT):
        assert (ROOT / f"{entry}.md").is_file(), entry


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_parses_with_parameters_and_ci_block(path):
    text = path.read_text(encoding="utf-8")
    # A control character (form feed, tab, carriage return...) is almost always a LaTeX escape
    # such as \frac or \tanh mangled by a non-raw string.
    bad = re.search(r"[\x00-\x08\x0b-\x1f]", text)
    assert bad is None, f"control character {bad.group()!r} at offset {bad.start()}"
    nb = jupytext.read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "parameters" in code[0].metadata.get("tags", []), "the first code cell must be tagged parameters"
    ci = nb.metadata.get("sigah", {}).get("ci")
    assert isinstance(ci, dict) and ci, "front matter needs a non-empty sigah: ci: block"
    assigned = set(re.findall(r"^(\w+)\s*=", code[0].source, re.MULTILINE))
    assert set(ci) <= assigned, f"ci parameters not in the parameters cell: {set(ci) - assigned}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_equation_references_have_targets(path):
    text = path.read_text(encoding="utf-8")
    labels = set(re.findall(r"^[\s>]*\$\$ \((eq-[\w-]+)\)", text, re.MULTILINE))
    for other in CHAPTERS:  # {eq} may point to another chapter's label
        labels |= set(re.findall(r"^[\s>]*\$\$ \((eq-[\w-]+)\)", other.read_text(encoding="utf-8"), re.MULTILINE))
    for ref in re.findall(r"\{eq\}`(eq-[\w-]+)`", text):
        assert ref in labels, f"{{eq}}`{ref}` has no target"
