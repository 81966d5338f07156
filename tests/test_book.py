"""The book pipeline on a tiny book: papermill parameters, hidden injected cell, status page, failures."""

import json
import textwrap
from pathlib import Path

import pytest

from sigah.tools.build import build_book, chapter_sources, find_root, run_chapter


@pytest.fixture()
def tiny_book(tmp_path: Path, tiny_chapter: str) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "_config.yml").write_text(
        textwrap.dedent(
            """\
            title: tiny
            only_build_toc_files: true
            execute:
              execute_notebooks: "off"
            """
        )
    )
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n- file: book/01_demo\n- file: book/status\n"
    )
    (tmp_path / "book" / "intro.md").write_text("# Tiny\n\nA test book.\n")
    (tmp_path / "book" / "status.md").write_text("# Build status\n\nReplaced by the build.\n")
    (tmp_path / "book" / "01_demo.md").write_text(tiny_chapter)
    return tmp_path


def _outputs(nb: dict) -> str:
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))


def test_toc_entries_and_root(tiny_book):
    assert find_root(tiny_book / "book") == tiny_book
    assert chapter_sources(tiny_book) == ["book/intro", "book/01_demo", "book/status"]


@pytest.mark.slow
def test_ci_build_executes_with_ci_parameters(tiny_book):
    html = build_book("ci", root=tiny_book, log=lambda *_: None)
    assert (html / "index.html").exists()
    assert (html / "book" / "01_demo.html").exists()
    nb = json.loads((tiny_book / "_build/stage/book/01_demo.ipynb").read_text())
    assert "sum of squares: 5" in _outputs(nb)  # n = 3 from the ci block: 0 + 1 + 4
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "remove-cell" in injected[0]["metadata"]["tags"]
    status = (tiny_book / "_build/stage/book/status.md").read_text()
    assert "01_demo" in status and "`n=3`" in status and "| ci |" in status
    assert not list((tiny_book / "book").glob("*.ipynb")), "executed notebooks must not land in book/"


@pytest.mark.slow
def test_failing_chapter_fails_the_build(tiny_book, tiny_chapter):
    src = tiny_book / "book" / "01_demo.md"
    src.write_text(tiny_chapter.replace("fail = False", "fail = True"))
    with pytest.raises(RuntimeError, match="01_demo"):
        build_book("full", root=tiny_book, log=lambda *_: None)


@pytest.mark.slow
def test_run_chapter_writes_to_output_dir(tiny_book, tmp_path):
    out = run_chapter("01_demo", {"n": 4}, output_dir=tmp_path / "runs", root=tiny_book)
    assert out == tmp_path / "runs" / "01_demo.ipynb"
    assert "sum of squares: 14" in _outputs(json.loads(out.read_text()))


def test_unknown_chapter_is_a_clear_error(tiny_book):
    with pytest.raises(FileNotFoundError, match="available chapters: 01_demo"):
        run_chapter("99_nope", root=tiny_book)
    with pytest.raises(ValueError, match="unknown chapter '99_nope'"):
        build_book("ci", root=tiny_book, chapters=["99_nope"], log=lambda *_: None)
    with pytest.raises(ValueError, match="intro is a page without code .* nothing to run"):
        run_chapter("intro", root=tiny_book)


def test_bad_size_rejected(tiny_book):
    with pytest.raises(ValueError, match="size must be 'ci' or 'full'"):
        build_book("huge", root=tiny_book)


def test_tensorflow_banner_is_dropped_from_outputs(tmp_path):
    from sigah.tools.build import _tidy_outputs

    banner = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796004764.836524   17938 port.cc:153] oneDNN custom operations are on. You may see x.\n"
    )
    nb = {"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [
            {"output_type": "stream", "name": "stderr", "text": banner},
            {"output_type": "stream", "name": "stderr", "text": banner + "UserWarning: real problem\n"},
            {"output_type": "stream", "name": "stdout", "text": "result 42\n"},
        ]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    _tidy_outputs(path)
    outputs = json.loads(path.read_text())["cells"][0]["outputs"]
    assert [o["text"] for o in outputs] == ["UserWarning: real problem\n", "result 42\n"]


@pytest.mark.slow
def test_unreadable_chapter_is_a_failed_chapter_and_earlier_runs_are_kept(tiny_book, tiny_chapter):
    toc = tiny_book / "_toc.yml"
    toc.write_text(toc.read_text().replace("- file: book/status", "- file: book/02_broken\n- file: book/status"))
    (tiny_book / "book" / "02_broken.md").write_text(tiny_chapter.replace("n: 3", "n: 3\n  bad: \x0c"))
    with pytest.raises(RuntimeError, match="02_broken"):
        build_book("ci", root=tiny_book, log=lambda *_: None)
    runs = json.loads((tiny_book / "_build" / "chapter-runs.json").read_text())
    assert runs["book/01_demo"]["ok"] is True
    assert runs["book/02_broken"]["ok"] is False and "special characters" in runs["book/02_broken"]["error"]


STORE_CHAPTER = """\
---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A chapter that fits

```{code-cell} ipython3
:tags: [parameters]
bits = 8  # code length
```

```{code-cell} ipython3
import numpy as np
from sigah.hashers import make_hasher
from sigah.store import fit_cached

X = np.random.default_rng(0).standard_normal((200, 16)).astype(np.float32)
for seed in (0, 1):
    print(fit_cached(make_hasher("lsh", bits, seed=seed), X).encode(X[:2]))
```
"""


@pytest.fixture()
def store_book(tiny_book: Path) -> Path:
    (tiny_book / "book" / "01_demo.md").write_text(STORE_CHAPTER)
    return tiny_book


def _status_row(book: Path) -> list[str]:
    status = (book / "_build/stage/book/status.md").read_text()
    assert "| fits computed | fits from store | results from store |" in status
    (row,) = [line for line in status.splitlines() if line.startswith("| 01_demo")]
    return [cell.strip() for cell in row.strip("|").split("|")]


@pytest.mark.slow
def test_status_page_counts_fits_computed_and_from_store(store_book, capfd):
    lines: list[str] = []
    build_book("ci", root=store_book, log=lines.append)
    assert _status_row(store_book)[4:6] == ["2", "0"]  # first build: both fits computed
    assert any(line.startswith("[book] 01_demo: ok, 2/2 cells") and "fits: 2 computed, 0 from the store" in line
               for line in lines)
    build_book("ci", root=store_book, log=lines.append)
    assert _status_row(store_book)[4:6] == ["0", "2"]  # second build: both read back
    build_book("ci", root=store_book, log=lines.append, fresh=True)
    assert _status_row(store_book)[4:6] == ["2", "0"]  # --fresh ignores the store
    assert "ignored the store" in (store_book / "_build/stage/book/status.md").read_text()
    assert not list((store_book / "_build").glob("fresh-store-*")), "the fresh store is removed after the build"
    build_book("ci", root=store_book, log=lines.append)
    assert _status_row(store_book)[4:6] == ["0", "2"]  # and --fresh did not empty the shared store
    # the kernels' own stderr (IPython's shutdown messages, TensorFlow's banner) stays out of the log
    out, err = capfd.readouterr()
    assert "ERROR" not in out + err and "IPKernelApp" not in out + err
    assert (store_book / "_build/logs/01_demo.kernel.log").exists()


@pytest.mark.slow
def test_failure_names_chapter_cell_and_error_in_one_message(tiny_book, tiny_chapter):
    (tiny_book / "book" / "01_demo.md").write_text(tiny_chapter.replace("fail = False", "fail = True"))
    lines: list[str] = []
    with pytest.raises(RuntimeError) as info:
        build_book("ci", root=tiny_book, log=lines.append)
    message = str(info.value)
    assert "chapter 01_demo failed" in message and "cell In [3] raised RuntimeError: asked to fail" in message
    assert "if fail:" in message and "\x1b[" not in message  # the cell's source, no terminal colours
    # cells: papermill's injected parameters (In [1]), the parameters cell, the failing cell
    assert any("01_demo: FAILED after 3/3 cells" in line for line in lines), lines


def test_status_page_says_each_chapters_size_against_the_protocol(tmp_path):
    from datetime import datetime, timezone

    from sigah.tools.build import ChapterRun, _parameters_cell, _status_page

    root = Path(__file__).resolve().parent.parent
    source = root / "book" / "09_ablations.md"
    defaults = _parameters_cell(source)
    assert defaults["n_train"] == 5000 and defaults["sigah_params"] == {"min_steps": 600}
    runs = [ChapterRun("09_ablations", "full", {}, 1.0, True),
            ChapterRun("09_ablations", "full", {"n_train": None, "sigah_params": {}, "second_dataset": ""}, 1.0, True),
            ChapterRun("01_demo", "ci", {"n": 3}, 1.0, True)]
    page = _status_page(runs, "full", datetime.now(timezone.utc), 3.0,
                        sources={"09_ablations": source, "01_demo": tmp_path / "missing.md"})
    lines = page.split("## Size against the paper's protocol")[1].splitlines()
    rows = [line for line in lines if line.startswith("- **")]
    assert rows[0].startswith("- **09_ablations**: reduced: MNIST: 5,000 of 69,000 training vectors")
    assert rows[1] == "- **09_ablations**: the paper's protocol."
    assert rows[2] == "- **01_demo**: not comparable (no retrieval protocol)."


def test_fit_counts_read_fits_and_stored_results_from_the_log(tmp_path):
    from sigah.tools.build import _fit_counts

    log = tmp_path / "chapter.fits.jsonl"
    events = ["miss", "hit", "hit", "unstored", "result-hit", "result-miss", "result-hit"]
    log.write_text("\n".join(json.dumps({"event": e}) for e in events) + "\nnot json\n")
    assert _fit_counts(log) == (2, 2, 2)
    assert _fit_counts(tmp_path / "absent.jsonl") == (0, 0, 0)
