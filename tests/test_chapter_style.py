"""Chapter cells stay short: a code cell of more than 25 lines belongs in the package."""

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
