"""Sphinx extension: a ``.md`` entry in each chapter's download menu, beside the ``.ipynb``.

The book's chapters are built from executed notebooks, so the theme's download menu offers the
``.ipynb``; readers who edit chapters want the MyST-markdown source too. The build copies each
chapter's source to ``_markdown_sources/<page>.md`` in the staging folder
(:func:`sigah.tools.publish.stage_for_publishing`); this extension copies it next to the other
downloads (``_sources/<page>.md``) and adds the menu entry. Pages without such a source are left
alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

MARKDOWN_SOURCES = "_markdown_sources"  # the same folder as sigah.tools.publish.MARKDOWN_SOURCES


def _add_markdown_download(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    source = Path(app.srcdir) / MARKDOWN_SOURCES / f"{pagename}.md"
    if not source.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        button = {
            "type": "link",
            "url": f"{context['pathto']('_sources', 1)}/{pagename}.md",
            "text": ".md",
            "tooltip": "Download the MyST-markdown source",
            "icon": "fas fa-file-lines",
            "label": "download-markdown-button",
        }
        buttons = group["buttons"]
        at = next((i for i, b in enumerate(buttons) if b.get("label") == "download-pdf-button"), len(buttons))
        buttons.insert(at, button)


def setup(app: Sphinx) -> dict[str, Any]:
    # after sphinx-book-theme's own header buttons (priority 501)
    app.connect("html-page-context", _add_markdown_download, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
