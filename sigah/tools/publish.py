"""What a published book adds to the staged one: launch buttons, downloads, the paper map.

:func:`stage_for_publishing` runs on the staging folder just before Jupyter Book builds it:

- **Launch buttons** (Colab, Binder) appear only when the build knows the repository's address:
  ``--repository-url`` (:func:`sigah.tools.build.build_book`'s ``repository_url``), else the
  ``repository: url:`` entry of ``_config.yml``, else ``GITHUB_REPOSITORY`` (set in GitHub Actions).
  Without one, the staged ``_config.yml`` gets no launch buttons and the pages link nowhere.
  The buttons open the chapter's notebook on the branch :data:`LAUNCH_BRANCH`, which the Pages
  workflow publishes: the repository as built, plus each chapter exported as ``book/NAME.ipynb``.
- **A first cell for Colab** (:func:`add_launch_cell`): guarded by ``"google.colab" in
  sys.modules`` so it does nothing elsewhere, it installs the package from the repository and
  downloads the shipped data files (``data/``) from the repository's raw URL into ``sigah-data/``,
  then points ``SIGAH_DATA_DIR`` there. It is hidden in the HTML (``remove-cell``) and kept in the
  downloaded notebook.
- **The ``.md`` source for download** beside the ``.ipynb``: chapter sources are copied to
  ``_markdown_sources/`` in the staging folder, where the Sphinx extension
  :mod:`sigah.tools.markdown_download` finds them.
- **The paper map** of the front page (:mod:`sigah.tools.paper_map`), rendered for the chapters in
  ``_toc.yml`` in place of the marker :data:`PAPER_MAP_MARKER` in ``book/intro.md``.
- **The claims tally** of the front page (:func:`sigah.studies.ledger.tally_sentence`, with a link to
  the *Claims ledger*), from the verdicts the chapters recorded in ``_build/verdicts``, in place of the
  marker :data:`CLAIMS_TALLY_MARKER` in ``book/intro.md``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from sigah.storage import atomic_write_text

__all__ = [
    "BINDER_URL",
    "CLAIMS_TALLY_MARKER",
    "COLAB_URL",
    "LAUNCH_BRANCH",
    "LAUNCH_CELL_TAG",
    "MARKDOWN_SOURCES",
    "PAPER_MAP_MARKER",
    "add_launch_cell",
    "github_repository",
    "launch_cell_source",
    "repository_url",
    "stage_for_publishing",
]

LAUNCH_BRANCH = "notebooks"
BINDER_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"
LAUNCH_CELL_TAG = "sigah-launch"
MARKDOWN_SOURCES = "_markdown_sources"
PAPER_MAP_MARKER = "<!-- paper-map -->"
CLAIMS_TALLY_MARKER = "<!-- claims-tally -->"


def repository_url(explicit: str | None = None, *, root: Path | None = None) -> str | None:
    """The repository's web address the launch buttons point to, or None if the build does not know it.

    Parameters
    ----------
    explicit : str, optional
        ``--repository-url``; wins over everything else.
    root : Path, optional
        Repository root whose ``_config.yml`` may hold ``repository: url:``.

    Returns
    -------
    str or None
        For example ``https://github.com/owner/sigah-book`` (no trailing slash).
    """
    import yaml

    url = explicit
    if not url and root is not None and (root / "_config.yml").is_file():
        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
        url = (config.get("repository") or {}).get("url")
    if not url and os.environ.get("GITHUB_REPOSITORY"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        url = f"{server}/{os.environ['GITHUB_REPOSITORY']}"
    if not url:
        return None
    url = str(url).strip().rstrip("/").removesuffix(".git")
    if not re.match(r"^https?://[^/\s]+/\S+$", url):
        raise ValueError(f"repository URL must look like https://github.com/OWNER/REPO, got {url!r}")
    return url


def github_repository(url: str | None) -> str | None:
    """``OWNER/REPO`` of a GitHub address (Colab opens notebooks from GitHub only), else None."""
    match = re.match(r"^https?://(www\.)?github\.com/([^/\s]+/[^/\s]+)$", url or "")
    return match.group(2) if match else None


def launch_cell_source(owner_repo: str, branch: str = LAUNCH_BRANCH) -> str:
    """The source of the first cell of a launched chapter: on Colab, install the package and fetch the data."""
    return f'''# On Colab: install the sigah package and fetch the shipped data files; elsewhere this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import json
    import os
    import subprocess
    import urllib.request

    REPOSITORY, BRANCH = "{owner_repo}", "{branch}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    f"sigah @ git+https://github.com/{{REPOSITORY}}@{{BRANCH}}"], check=True)
    raw = f"https://raw.githubusercontent.com/{{REPOSITORY}}/{{BRANCH}}/data/"
    data = os.path.abspath("sigah-data")
    os.makedirs(data, exist_ok=True)
    for name in ("checksums.json", "paper_results.csv", "claims.csv"):
        urllib.request.urlretrieve(raw + name, os.path.join(data, name))
    with open(os.path.join(data, "checksums.json")) as handle:
        shipped = {{dataset: [f for f in files if not f.startswith("_")] for dataset, files in json.load(handle).items()}}
    for dataset, files in shipped.items():
        os.makedirs(os.path.join(data, dataset), exist_ok=True)
        for file in files:  # the package checks each file against checksums.json when it loads it
            urllib.request.urlretrieve(f"{{raw}}{{dataset}}/{{file}}", os.path.join(data, dataset, file))
    os.environ["SIGAH_DATA_DIR"] = data
'''


def add_launch_cell(nb: dict[str, Any], owner_repo: str | None, branch: str = LAUNCH_BRANCH) -> dict[str, Any]:
    """Put the Colab cell first in a notebook (JSON dict), replacing an earlier one; remove it if ``owner_repo`` is None."""
    cells = [c for c in nb["cells"] if LAUNCH_CELL_TAG not in c.get("metadata", {}).get("tags", [])]
    if owner_repo:
        source = launch_cell_source(owner_repo, branch)
        cells.insert(0, {
            "cell_type": "code",
            "execution_count": None,
            "id": "sigah-launch",
            "metadata": {"tags": [LAUNCH_CELL_TAG, "remove-cell"]},
            "outputs": [],
            "source": source.splitlines(keepends=True),
        })
    nb["cells"] = cells
    return nb


def _launch_config(url: str | None) -> dict[str, Any]:
    """The ``_config.yml`` entries of the launch buttons (none without a repository address)."""
    if not url:
        return {}
    buttons: dict[str, Any] = {"notebook_interface": "jupyterlab", "binderhub_url": BINDER_URL}
    if github_repository(url):
        buttons["colab_url"] = COLAB_URL
    return {"repository": {"url": url, "branch": LAUNCH_BRANCH, "path_to_book": ""}, "launch_buttons": buttons}


def stage_for_publishing(
    root: Path,
    stage: Path,
    entries: list[str],
    *,
    repository: str | None = None,
    sizes: dict[str, str] | None = None,
) -> str | None:
    """Add launch buttons, the Colab cell, ``.md`` downloads and the paper map to a staged book.

    Parameters
    ----------
    root, stage : Path
        Repository root and staging folder (``_build/stage``), already holding the executed notebooks.
    entries : list of str
        ``_toc.yml`` entries.
    repository : str, optional
        ``--repository-url``; see :func:`repository_url` for the other sources.
    sizes : dict, optional
        Chapter name to the size it ran at, for the paper map.

    Returns
    -------
    str or None
        The repository address the launch buttons use, None if there are none.
    """
    import yaml

    from sigah.tools.paper_map import render_paper_map

    url = repository_url(repository, root=root)
    config_path = stage / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    launch = _launch_config(url)
    config.pop("repository", None)
    config.pop("launch_buttons", None)  # a top-level section of Jupyter Book's _config.yml
    config.update(launch)
    atomic_write_text(config_path, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))

    markdown_dir = stage / MARKDOWN_SOURCES
    shutil.rmtree(markdown_dir, ignore_errors=True)
    for entry in entries:
        staged = stage / f"{entry}.ipynb"
        if not staged.exists():
            continue
        nb = add_launch_cell(json.loads(staged.read_text(encoding="utf-8")), github_repository(url))
        atomic_write_text(staged, json.dumps(nb, indent=1, ensure_ascii=False))
        target = markdown_dir / f"{entry}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / f"{entry}.md", target)

    intro = stage / f"{entries[0]}.md"
    if intro.exists() and PAPER_MAP_MARKER in intro.read_text(encoding="utf-8"):
        text = intro.read_text(encoding="utf-8").replace(PAPER_MAP_MARKER, render_paper_map(root, entries, sizes))
        atomic_write_text(intro, text)
    if intro.exists() and CLAIMS_TALLY_MARKER in intro.read_text(encoding="utf-8"):
        text = intro.read_text(encoding="utf-8").replace(CLAIMS_TALLY_MARKER, _claims_tally(stage.parent / "verdicts"))
        atomic_write_text(intro, text)
    return url


def _claims_tally(verdicts: Path) -> str:
    """The tally sentence of the claims ledger, linked to it, from a build's verdict records."""
    from sigah.studies.claims import read_verdicts
    from sigah.studies.ledger import ledger_rows, tally_sentence

    return tally_sentence(ledger_rows(verdicts=read_verdicts(verdicts)), link="{doc}`Claims ledger <claims_ledger>`")
