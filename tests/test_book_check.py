"""`sigah book check` catches each kind of defect planted in a small book, and passes the clean one.

The pages load the same offline MathJax 3 as the book (from sphinx-mathjax-offline) and are opened
in headless Chromium. On a machine without it these tests are skipped with one line naming the
packages to install; with ``SIGAH_REQUIRE_BROWSER=1`` (which `.ci/run` sets after installing
Chromium) a missing browser fails them instead, so CI always proves the check.
"""

import importlib.util
import os
import shutil
from pathlib import Path

import matplotlib
import pytest

from sigah.tools.check import BookCheckError, check_book, check_links, chromium_paths, html_pages, is_redirect
from sigah.tools.cli import main

matplotlib.use("Agg")

MATHJAX = Path(importlib.util.find_spec("sphinx-mathjax-offline").submodule_search_locations[0]) / "static" / "mathjax"

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>pre {{ overflow-x: auto; }}</style>
<script>window.MathJax = {{options: {{processHtmlClass: "math", ignoreHtmlClass: "tex2jax_ignore"}}}};</script>
<script defer src="{up}_static/mathjax/tex-chtml.js"></script></head>
<body class="tex2jax_ignore"><article>
<h1 id="top">{title}</h1>
<p>The code length is <span class="math">\\(b \\in \\{{-1, +1\\}}^L\\)</span>, and</p>
<div class="math">\\[ \\|x - y\\|_2^2 = \\sum_i (x_i - y_i)^2 \\]</div>
<p><img src="{up}_images/plot.png" alt="a plot"> See <a href="{up}book/other.html#section">the other page</a>
and <a href="#top">the top</a>.</p>
<pre>cost = "$5" + r"\\frac{{a}}{{b}}"  # TeX-looking text inside code is not maths</pre>
<div class="cell_output docutils container"><div class="output stream highlight-myst-ansi"><pre>mAP 0.42</pre></div></div>
<div class="highlight"><pre>{long_code}</pre></div>
{extra}
</article></body></html>
"""

DEFECTS = {
    "unrendered TeX": '<p>The bound $\\|x\\|_2 \\le 1$ was left as text.</p>',
    "MathJax error": '<p><span class="math">\\(\\frac{1}{2} + \\nosuchmacro\\)</span></p>',
    "image not loaded": '<p><img src="../_images/missing.png" alt="missing"></p>',
    "error in output": (
        '<div class="cell_output docutils container"><div class="output traceback highlight-ipythontb"><pre>'
        "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad</pre></div></div>"
    ),
    "broken link": '<p><a href="missing.html">a missing page</a></p>',
    "broken anchor": '<p><a href="other.html#no-such-section">a missing section</a></p>',
    "horizontal scroll": '<table id="wide-table"><tr><td style="min-width: 3000px">a table wider than the window</td></tr></table>',
    # The output box scrolls (as the theme's ``div.cell_output .output`` does), so the page does not.
    "wide table": (
        '<div class="cell_output docutils container"><div class="output text_html" style="max-width: 100%; '
        'overflow-x: auto"><table id="wide-output"><tr><td style="min-width: 3000px">0.4242 ± 0.0042</td>'
        "</tr></table></div></div>"
    ),
}

# Boxes that scroll inside themselves but are not output tables: logged as notes, never failures.
WIDE_NOTES = {
    "equation": '<div id="long-equation" style="overflow-x: auto"><span style="display: inline-block; '
                'min-width: 3000px">a long display equation</span></div>',
    "prose table": '<div class="pst-scrollable-table-container" style="overflow-x: auto">'
                   '<table id="prose-table"><tr><td style="min-width: 3000px">a table in the text</td></tr>'
                   "</table></div>",
    "narrow output table": '<div class="cell_output docutils container"><div class="output text_html" '
                           'style="max-width: 100%; overflow-x: auto"><table id="narrow-output"><tr>'
                           "<td>0.42</td></tr></table></div></div>",
}


@pytest.fixture(scope="module")
def chromium():
    return browser_or_skip()


def browser_or_skip() -> tuple[str, str]:
    """Chromium and its driver; without them a skip naming the packages, or a failure when
    ``SIGAH_REQUIRE_BROWSER=1`` asks for the browser check to be proved."""
    try:
        return chromium_paths()
    except BookCheckError as exc:
        if os.environ.get("SIGAH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"these tests need Chromium (SIGAH_REQUIRE_BROWSER=1): {exc}")
        pytest.skip(f"browser check not run: {exc}")


@pytest.mark.parametrize("required", ["", "1"])
def test_a_missing_browser_skips_unless_required(monkeypatch, tmp_path, required):
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, no chromedriver on it
    monkeypatch.delenv("SIGAH_CHROMIUM", raising=False)
    monkeypatch.delenv("SIGAH_CHROMEDRIVER", raising=False)
    monkeypatch.setenv("SIGAH_REQUIRE_BROWSER", required)
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome, match="chromium-driver"):
        browser_or_skip()


def make_book(root: Path, extra: str = "", defects: dict[str, str] | None = None) -> Path:
    """A small HTML book laid out like Jupyter Book's output: a chapter page holding ``extra``, a
    second page it links to, and one more chapter page per entry of ``defects`` (``book/<slug>.html``)."""
    import matplotlib.pyplot as plt

    html = root / "html"
    shutil.copytree(MATHJAX, html / "_static" / "mathjax")
    (html / "_images").mkdir(parents=True)
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    fig.savefig(html / "_images" / "plot.png")
    plt.close(fig)
    (html / "book").mkdir()
    long_code = "x = " + " + ".join(["value"] * 400)  # code blocks scroll in their own box: allowed
    for slug, planted in {"chapter": extra, **{_slug(k): v for k, v in (defects or {}).items()}}.items():
        (html / "book" / f"{slug}.html").write_text(
            PAGE.format(title="Chapter", up="../", long_code=long_code, extra=planted), encoding="utf-8")
    other = PAGE.format(title="Other", up="../", long_code="y = 1", extra='<h2 id="section">Section</h2>')
    (html / "book" / "other.html").write_text(other.replace('href="../book/other.html#section"', 'href="chapter.html"'),
                                              encoding="utf-8")
    (html / "index.html").write_text('<html><body><a href="book/chapter.html">start</a></body></html>', encoding="utf-8")
    return html


def _slug(kind: str) -> str:
    return kind.replace(" ", "-").lower()


def test_clean_book_passes_and_every_page_gets_a_screenshot(tmp_path, chromium):
    html = make_book(tmp_path)
    problems = check_book(html, screenshots=tmp_path / "shots", log=lambda line: None)
    assert problems == []
    shots = sorted(p.name for p in (tmp_path / "shots").glob("*.png"))
    assert shots == ["book__chapter.png", "book__other.png", "index.png"]
    assert all((tmp_path / "shots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in shots)


def test_each_planted_defect_is_caught_and_named(tmp_path, chromium):
    """One page per kind of defect, checked in one browser session: each page fails with its kind only."""
    html = make_book(tmp_path, defects=DEFECTS)
    problems = check_book(html, screenshots=None, log=lambda line: None)
    expected_element = {
        "unrendered TeX": "p", "MathJax error": "nosuchmacro", "image not loaded": "missing.png",
        "error in output": "Traceback", "broken link": "missing.html", "broken anchor": "no-such-section",
        "horizontal scroll": "wide-table", "wide table": "wide-output",
    }
    for kind in DEFECTS:
        page = f"book/{_slug(kind)}.html"
        found = [p for p in problems if p.page == page]
        assert found, f"{kind} was not caught"
        assert {p.kind for p in found} == {kind}, found
        assert expected_element[kind] in found[0].element or expected_element[kind] in found[0].detail, found[0]
    assert {p.page for p in problems} == {f"book/{_slug(kind)}.html" for kind in DEFECTS}  # the clean pages pass


def test_a_wide_equation_or_prose_table_is_a_note_not_a_failure(tmp_path, chromium):
    """Only an output table that scrolls fails; other scrolling boxes are logged, and a narrow
    output table is neither."""
    html = make_book(tmp_path, "".join(WIDE_NOTES.values()))
    lines = []
    assert check_book(html, screenshots=None, log=lines.append) == []
    notes = [line for line in lines if "note (not a failure)" in line]
    assert any("long-equation" in line for line in notes), lines
    assert any("pst-scrollable-table-container" in line for line in notes), lines
    assert not any("narrow-output" in line for line in lines), lines


def test_a_redirect_page_is_not_opened(tmp_path, chromium):
    """Jupyter Book's root index.html only forwards to the first chapter; opening it raced the
    forward and failed the whole check."""
    html = make_book(tmp_path)
    (html / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=book/chapter.html" />\n',
                                     encoding="utf-8")
    assert is_redirect(html / "index.html") and not is_redirect(html / "book" / "chapter.html")
    lines = []
    assert check_book(html, screenshots=None, log=lines.append) == []
    assert "[check] index.html: a redirect, not opened" in lines


def test_links_are_checked_without_a_browser(tmp_path):
    html = make_book(tmp_path, DEFECTS["broken anchor"])
    assert [p.page for p in check_links(html)] == ["book/chapter.html"]
    assert [p.relative_to(html).as_posix() for p in html_pages(html)] == ["book/chapter.html", "book/other.html",
                                                                          "index.html"]


def test_command_fails_with_the_page_and_element(tmp_path, chromium, capsys):
    html = make_book(tmp_path, DEFECTS["image not loaded"])
    assert main(["book", "check", "--html", str(html), "--screenshots", str(tmp_path / "shots")]) == 1
    err = capsys.readouterr().err
    assert "book/chapter.html: image not loaded: <img src=\"../_images/missing.png\">" in err
    assert (tmp_path / "shots" / "book__chapter.png").is_file()


def test_command_without_a_built_book_says_so(tmp_path, capsys):
    assert main(["book", "check", "--html", str(tmp_path / "nothing")]) == 2
    assert "build the book first" in capsys.readouterr().err
