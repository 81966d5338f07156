"""Chapter cells stay short and show the experiment: a long cell, a line wider than the code box or
a cell that composes prose or styles a table belongs in the package (or in a folded cell)."""

import re
from pathlib import Path

import jupytext
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
MAX_CELL_LINES = 25


def long_cells(text: str) -> list[tuple[int, int]]:
    """(index, line count) of every code cell of a MyST chapter with more than ``MAX_CELL_LINES`` lines."""
    notebook = jupytext.reads(text, fmt="md:myst")
    return [(i, n) for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            and (n := len(cell.source.splitlines())) > MAX_CELL_LINES]


def test_the_counter_finds_a_cell_one_line_too_long():
    cell = "\n".join(f"x{i} = {i}" for i in range(MAX_CELL_LINES + 1))
    text = f"# Title\n\n```{{code-cell}} ipython3\n{cell}\n```\n\n```{{code-cell}} ipython3\nshort = 1\n```\n"
    assert long_cells(text) == [(1, MAX_CELL_LINES + 1)]


@pytest.mark.parametrize("chapter", sorted(BOOK.glob("*.md")), ids=lambda p: p.stem)
def test_no_chapter_code_cell_is_longer_than_25_lines(chapter):
    assert long_cells(chapter.read_text(encoding="utf-8")) == []


# -- what a reader sees: the code that does the experiment, not the plumbing ---------------------
#: tags that fold a cell's input away (its output stays)
FOLDED = {"hide-input", "remove-input", "remove-cell", "hide-cell"}
#: the rendered code box shows this many characters before it scrolls sideways
MAX_VISIBLE_WIDTH = 88
#: a visible cell that builds prose (Markdown(...)) or styles a table (.style) shows plumbing
COMPOSES = re.compile(r"\bMarkdown\(|\.style\b")


def visible_cells(text: str) -> list[tuple[int, str]]:
    """(index, source) of every code cell of a MyST chapter whose input the page shows."""
    notebook = jupytext.reads(text, fmt="md:myst")
    return [(i, cell.source) for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            and not FOLDED & set(cell.metadata.get("tags", []))]


def wide_lines(text: str) -> list[tuple[int, str]]:
    return [(i, line) for i, source in visible_cells(text) for line in source.splitlines()
            if len(line) > MAX_VISIBLE_WIDTH]


def composing_cells(text: str) -> list[int]:
    return [i for i, source in visible_cells(text) if COMPOSES.search(source)]


def test_the_style_checks_see_a_wide_line_and_a_composing_cell_but_not_folded_ones():
    wide = "x = " + "1 + " * 30 + "1"
    text = (f"```{{code-cell}} ipython3\n{wide}\ndisplay(Markdown(f'{{x}} fits'))\n```\n\n"
            f"```{{code-cell}} ipython3\n:tags: [hide-input]\n{wide}\ntable.style.hide()\n```\n")
    assert wide_lines(text) == [(0, wide)]
    assert composing_cells(text) == [0]


@pytest.mark.parametrize("chapter", sorted(BOOK.glob("*.md")), ids=lambda p: p.stem)
def test_no_visible_chapter_line_is_wider_than_the_code_box(chapter):
    assert wide_lines(chapter.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("chapter", sorted(BOOK.glob("*.md")), ids=lambda p: p.stem)
def test_no_visible_chapter_cell_composes_prose_or_styles_a_table(chapter):
    assert composing_cells(chapter.read_text(encoding="utf-8")) == []
