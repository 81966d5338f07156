"""Launch buttons only with a known repository, the Colab cell, .md downloads, the paper map, notebook export."""

import json
import os
import shutil
import sys
import types
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from jupytext.config import load_jupytext_configuration_file
from nbclient import NotebookClient

from sigah.tools.build import chapter_sources
from sigah.tools.publish import (
    LAUNCH_BRANCH,
    LAUNCH_CELL_TAG,
    PAPER_MAP_MARKER,
    add_launch_cell,
    github_repository,
    launch_cell_source,
    repository_url,
    stage_for_publishing,
)
from sigah.data import verify_checksums
from sigah.tools.notebooks import export_notebooks
from sigah.tools.paper_map import PAPER_MAP, render_paper_map

ROOT = Path(__file__).resolve().parent.parent
URL = "https://github.com/example-owner/sigah-book"


@pytest.fixture
def no_github_env(monkeypatch):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.delenv("GITHUB_SERVER_URL", raising=False)


def test_repository_url_sources_in_order(tmp_path, monkeypatch, no_github_env):
    (tmp_path / "_config.yml").write_text("title: t\n")
    assert repository_url(None, root=tmp_path) is None
    monkeypatch.setenv("GITHUB_REPOSITORY", "env-owner/env-repo")
    assert repository_url(None, root=tmp_path) == "https://github.com/env-owner/env-repo"
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/cfg-owner/cfg-repo.git\n")
    assert repository_url(None, root=tmp_path) == "https://github.com/cfg-owner/cfg-repo"
    assert repository_url(URL + "/", root=tmp_path) == URL
    with pytest.raises(ValueError, match="OWNER/REPO"):
        repository_url("not a url")
    assert github_repository(URL) == "example-owner/sigah-book"
    assert github_repository("https://gitlab.com/a/b") is None


def _stage(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A staging folder as the build leaves it: config, intro with the marker, executed chapter notebooks."""
    root, stage = tmp_path / "root", tmp_path / "stage"
    shutil.copytree(ROOT / "book", root / "book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, root / name)
    entries = chapter_sources(root)
    (stage / "book").mkdir(parents=True)
    shutil.copy2(root / "_config.yml", stage / "_config.yml")
    (stage / "book" / "intro.md").write_text(f"# Intro\n\n{PAPER_MAP_MARKER}\n")
    for entry in entries:
        if Path(entry).name[:2].isdigit():
            nb = jupytext.read(root / f"{entry}.md")
            nbformat.write(nb, stage / f"{entry}.ipynb")
    return root, stage, entries


def test_local_build_without_repository_has_no_launch_buttons(tmp_path, no_github_env):
    root, stage, entries = _stage(tmp_path)
    assert stage_for_publishing(root, stage, entries) is None
    config = yaml.safe_load((stage / "_config.yml").read_text())
    assert "repository" not in config and "launch_buttons" not in config
    assert config["html"]["use_download_button"] is True
    nb = json.loads((stage / "book" / "01_evaluation.ipynb").read_text())
    assert not any(LAUNCH_CELL_TAG in c["metadata"].get("tags", []) for c in nb["cells"])
    # the .md source is still offered for download
    assert (stage / "_markdown_sources" / "book" / "01_evaluation.md").read_text() == (root / "book" / "01_evaluation.md").read_text()


def test_build_with_repository_gets_colab_and_binder_and_a_first_cell(tmp_path, no_github_env):
    root, stage, entries = _stage(tmp_path)
    assert stage_for_publishing(root, stage, entries, repository=URL) == URL
    config = yaml.safe_load((stage / "_config.yml").read_text())
    assert config["repository"] == {"url": URL, "branch": LAUNCH_BRANCH, "path_to_book": ""}
    buttons = config["launch_buttons"]
    assert buttons["colab_url"].startswith("https://colab.research.google.com")
    assert buttons["binderhub_url"] == "https://mybinder.org"
    # the sphinx extension of the .md download is configured
    assert "sigah.tools.markdown_download" in config["sphinx"]["extra_extensions"]
    for entry in entries:
        staged = stage / f"{entry}.ipynb"
        if staged.exists():
            first = json.loads(staged.read_text())["cells"][0]
            assert first["metadata"]["tags"] == [LAUNCH_CELL_TAG, "remove-cell"]
            assert 'if "google.colab" in sys.modules:' in "".join(first["source"])
    # staging twice keeps one launch cell, and a later build without the address removes it
    stage_for_publishing(root, stage, entries, repository=URL)
    cells = json.loads((stage / "book" / "01_evaluation.ipynb").read_text())["cells"]
    assert sum(LAUNCH_CELL_TAG in c["metadata"].get("tags", []) for c in cells) == 1
    stage_for_publishing(root, stage, entries)
    cells = json.loads((stage / "book" / "01_evaluation.ipynb").read_text())["cells"]
    assert sum(LAUNCH_CELL_TAG in c["metadata"].get("tags", []) for c in cells) == 0
    assert "launch_buttons" not in yaml.safe_load((stage / "_config.yml").read_text())


def test_front_page_map_lists_only_the_chapters_in_the_toc(tmp_path, no_github_env):
    root, stage, entries = _stage(tmp_path)
    stage_for_publishing(root, stage, entries, sizes={"01_evaluation": "ci"})
    intro = (stage / "book" / "intro.md").read_text()
    assert PAPER_MAP_MARKER not in intro
    in_book = [Path(e).name for e in entries if Path(e).name in PAPER_MAP]
    rows = [line for line in intro.splitlines() if line.startswith("| {doc}")]
    assert len(rows) == len(in_book)
    for name in PAPER_MAP:
        assert (f"<{name}>`" in intro) == (name in in_book)
    assert "| CI-sized |" in rows[0] and "Binary codes and their evaluation" in rows[0]
    # a planned chapter appears once it is in the toc, with its tables and figures
    (root / "book" / "07_retrieval_quality.md").write_text("# Retrieval quality\n")
    table = render_paper_map(root, [*entries, "book/07_retrieval_quality"], {"07_retrieval_quality": "full"})
    assert "| {doc}`Retrieval quality <07_retrieval_quality>` | 5.3 (quantitative results) | Tables 1 and 2 | Fig. 3 | full |" in table


def test_launch_cell_installs_and_downloads_the_shipped_data_on_colab_only(tmp_path, monkeypatch):
    """Run the Colab cell with Colab simulated: the raw URLs it fetches map to this checkout's data/."""
    source = launch_cell_source("example-owner/sigah-book")
    compile(source, "launch-cell", "exec")
    fetched, installs = [], []
    raw = f"https://raw.githubusercontent.com/example-owner/sigah-book/{LAUNCH_BRANCH}/data/"

    def fake_retrieve(url, filename):
        assert url.startswith(raw), url
        fetched.append(url[len(raw):])
        shutil.copy2(ROOT / "data" / url[len(raw):], filename)

    monkeypatch.setattr("urllib.request.urlretrieve", fake_retrieve)
    monkeypatch.setattr("subprocess.run", lambda cmd, check: installs.append(cmd))
    monkeypatch.chdir(tmp_path)
    # set, then deleted: monkeypatch then restores the variable's state at teardown, undoing what the cell sets
    monkeypatch.setenv("SIGAH_DATA_DIR", "")
    monkeypatch.delenv("SIGAH_DATA_DIR")
    exec(source, {})  # not on Colab: nothing happens
    assert fetched == [] and installs == []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(source, {})
    assert installs and "git+https://github.com/example-owner/sigah-book@notebooks" in installs[0][-1]
    assert os.environ["SIGAH_DATA_DIR"] == str(tmp_path / "sigah-data")
    for dataset in ("mnist", "siftsmall"):
        verify_checksums(dataset, folder=tmp_path / "sigah-data")  # every shipped file, intact
    assert "paper_results.csv" in fetched and "claims.csv" in fetched  # record_verdict reads the claim list


def test_add_launch_cell_is_idempotent():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# T"}]}
    once = add_launch_cell(json.loads(json.dumps(nb)), "a/b")
    twice = add_launch_cell(json.loads(json.dumps(once)), "a/b")
    assert once == twice and len(twice["cells"]) == 2
    assert add_launch_cell(twice, None)["cells"] == nb["cells"]


def test_saving_a_chapter_from_jupyter_keeps_its_source(tmp_path):
    """With the repository's jupytext.toml, a chapter opened and saved in Jupyter keeps its front matter
    (the CI parameters) and gets no outputs, even after it ran."""
    config = load_jupytext_configuration_file(str(ROOT / "jupytext.toml"))
    for path in sorted((ROOT / "book").glob("[0-9]*.md")):
        nb = jupytext.read(path)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", text="OUTPUT-THAT-MUST-NOT-BE-SAVED\n")]
        saved = jupytext.writes(nb, fmt="md:myst", config=config)
        assert "OUTPUT-THAT-MUST-NOT-BE-SAVED" not in saved
        assert jupytext.reads(saved, fmt="md:myst").metadata["sigah"] == jupytext.read(path).metadata["sigah"]
        assert "jupytext_version" not in saved
        original = path.read_text()
        assert [line for line in saved.splitlines() if line.strip()] == [line for line in original.splitlines() if line.strip()]


def test_exported_notebooks_are_plain_and_carry_the_ci_parameters(tmp_path, no_github_env):
    written = export_notebooks(tmp_path, size="ci")
    # every page of the table of contents with a kernel (the numbered chapters and the appendix), in order
    chapters = [Path(e).name for e in chapter_sources(ROOT) if "kernelspec:" in (ROOT / f"{e}.md").read_text()[:2000]]
    assert {"01_evaluation", "08_training_time", "appendix_sigah_defaults"} <= set(chapters)
    assert [p.stem for p in written] == chapters
    for path in written:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert "jupytext" not in nb.metadata
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        assert "parameters" in tags[first_code] and "injected-parameters" in tags[first_code + 1]
        injected = {}
        exec(nb.cells[first_code + 1].source, {}, injected)  # papermill writes Python literals
        assert injected == nb.metadata["sigah"]["ci"]
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    with_colab = export_notebooks(tmp_path / "colab", chapters=["01_evaluation"], repository=URL)
    assert LAUNCH_CELL_TAG in nbformat.read(with_colab[0], as_version=4).cells[0].metadata["tags"]
    with pytest.raises(ValueError, match="unknown chapter"):
        export_notebooks(tmp_path, chapters=["99_nothing"])


def test_exported_chapter_runs_with_nbclient_at_ci_size(tmp_path, no_github_env):
    """The fastest chapter, exported with its CI parameters, runs top to bottom in a plain Jupyter kernel."""
    (path,) = export_notebooks(tmp_path, size="ci", chapters=["01_evaluation"])
    nb = nbformat.read(path, as_version=4)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)  # this checkout's package
    try:
        NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type in ("display_data", "execute_result") for o in outputs)


@pytest.mark.slow
@pytest.mark.parametrize("url", [None, URL], ids=["local", "with-repository"])
def test_tiny_book_build_shows_launch_buttons_only_with_a_repository(tmp_path, no_github_env, url, tiny_chapter):
    """Build a one-chapter book for real: downloads always, Colab and Binder links only with an address."""
    from sigah.tools.build import build_book
    from sigah.tools.check import check_links

    root = tmp_path / "tiny"
    (root / "book").mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", root / "_config.yml")
    shutil.copy2(ROOT / "book" / "references.bib", root / "book" / "references.bib")
    shutil.copytree(ROOT / "book" / "_static", root / "book" / "_static")  # the stylesheet _config.yml names
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n- file: book/01_tiny\n")
    (root / "book" / "intro.md").write_text("# Tiny\n\nThe chapter: {doc}`01_tiny`.\n")
    (root / "book" / "01_tiny.md").write_text(tiny_chapter)
    html = build_book("ci", root=root, repository_url=url, log=lambda line: None)
    page = (html / "book" / "01_tiny.html").read_text()
    assert '../_sources/book/01_tiny.ipynb"' in page and '../_sources/book/01_tiny.md"' in page
    assert (html / "_sources" / "book" / "01_tiny.md").read_text() == tiny_chapter
    colab = "https://colab.research.google.com/github/example-owner/sigah-book/blob/notebooks/book/01_tiny.ipynb"
    binder = "https://mybinder.org/v2/gh/example-owner/sigah-book/notebooks?urlpath=lab/tree/book/01_tiny.ipynb"
    if url is None:
        assert "colab.research.google.com" not in page and "mybinder.org" not in page
    else:
        assert colab in page and binder in page
    assert "google.colab" not in page  # the launch cell is in the notebook, not on the page
    assert check_links(html) == []
