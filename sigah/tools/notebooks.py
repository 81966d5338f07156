"""Export the chapters as plain ``.ipynb`` notebooks, for any Jupyter front end.

``sigah book notebooks DIR`` writes ``DIR/NN_slug.ipynb`` for every chapter in ``_toc.yml``: the
chapter's cells without outputs, its kernel, its ``parameters`` cell. With ``--size ci`` the CI-sized
parameters of the chapter's front matter follow the ``parameters`` cell as an
``injected-parameters`` cell, as papermill would insert them; with a repository address (or in
GitHub Actions) the first cell is the Colab cell of :func:`sigah.tools.publish.add_launch_cell`.

A notebook is run from the repository root (so ``data/`` and the package are found); it can also be
run with papermill, which takes parameters the same way as ``sigah book run``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sigah.storage import atomic_write_text

__all__ = ["export_notebooks"]


def export_notebooks(
    dest: str | os.PathLike,
    *,
    size: str = "full",
    chapters: list[str] | None = None,
    repository: str | None = None,
    root: str | os.PathLike | None = None,
) -> list[Path]:
    """Write each chapter as a plain notebook into ``dest``.

    Parameters
    ----------
    dest : path
        Output folder (created).
    size : {"full", "ci"}
        ``ci`` adds the chapter's CI-sized parameters after its ``parameters`` cell.
    chapters : list of str, optional
        Only these chapters (names like ``01_evaluation``); default every chapter notebook in ``_toc.yml``.
    repository : str, optional
        Repository address for the Colab cell (else ``_config.yml`` or ``GITHUB_REPOSITORY``; none: no cell).
    root : path, optional
        Repository root.

    Returns
    -------
    list of Path
        The notebooks written, in book order.
    """
    import jupytext
    from papermill.parameterize import parameterize_notebook

    from sigah.tools.build import _ci_parameters, _is_notebook, chapter_sources, find_root
    from sigah.tools.publish import add_launch_cell, github_repository, repository_url

    if size not in ("ci", "full"):
        raise ValueError(f"size must be 'ci' or 'full', got {size!r}")
    root = find_root(root)
    entries = [e for e in chapter_sources(root) if (root / f"{e}.md").is_file() and _is_notebook(root / f"{e}.md")]
    known = {Path(e).name: e for e in entries}
    for name in chapters or []:
        if name not in known:
            raise ValueError(f"unknown chapter {name!r}; chapter notebooks in _toc.yml: {', '.join(known)}")
    owner_repo = github_repository(repository_url(repository, root=root))
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, entry in known.items():
        if chapters is not None and name not in chapters:
            continue
        nb = jupytext.read(root / f"{entry}.md")
        if size == "ci":
            for cell in nb.cells:  # papermill expects every cell to carry a tags list
                cell.metadata.setdefault("tags", [])
            nb.metadata.setdefault("papermill", {})
            nb = parameterize_notebook(nb, _ci_parameters(nb), report_mode=False)
        nb_dict: dict[str, Any] = json.loads(jupytext.writes(nb, fmt="ipynb"))
        for cell in nb_dict["cells"]:
            if cell["metadata"].get("tags") == []:
                del cell["metadata"]["tags"]
        nb_dict = add_launch_cell(nb_dict, owner_repo)
        nb_dict["metadata"].pop("jupytext", None)  # a plain notebook, not paired with a text file
        out = dest / f"{name}.ipynb"
        atomic_write_text(out, json.dumps(nb_dict, indent=1, ensure_ascii=False) + "\n")
        written.append(out)
    return written
