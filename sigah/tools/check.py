"""Open every page of the built book in headless Chromium and check what a reader would see.

``sigah book check [--html DIR]`` runs :func:`check_book`. For each HTML page it

- waits for MathJax to finish, then fails on a MathJax error or TeX left as text (``$...$``,
  ``\\(...\\)``, ``\\[...\\]``, ``\\begin{...}``, a TeX macro) outside code;
- fails on an image that did not load;
- fails on an output cell that holds a traceback or papermill's error banner;
- fails when the page scrolls horizontally (content wider than the window outside code blocks,
  which scroll in their own box), naming the outermost elements that stick out;
- fails on a table in a cell's output that is wider than its box (the reader would have to scroll
  the output sideways to read a row); any other box that scrolls inside itself (a long display
  equation) is logged as a note;
- saves a full-page screenshot under ``_build/screenshots/``;

and, without the browser, crawls the HTML for internal links to a missing file or anchor.
Every problem names the page and the element.

Chromium and its driver come from Debian (``apt-get install chromium chromium-driver``), driven
through selenium. The browser starts with a fresh profile and without any network service of its
own (no updates, sync or QUIC), so a check needs no network.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["BookCheckError", "PageProblem", "check_book", "check_links", "chromium_paths", "html_pages", "is_redirect"]

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
)
WINDOW = (1280, 900)
# Folders of the HTML output that hold assets, not pages.
_ASSET_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static", "_panels_static"}


class BookCheckError(RuntimeError):
    """The browser check cannot run (no Chromium, no built book)."""


@dataclass(frozen=True)
class PageProblem:
    """One defect on one page: which page, what kind, which element, what is wrong."""

    page: str
    kind: str
    element: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.element}: {self.detail}"


def html_pages(html_dir: str | os.PathLike) -> list[Path]:
    """Every ``.html`` page of the book, assets excluded, in a stable order."""
    html_dir = Path(html_dir)
    return sorted(p for p in html_dir.rglob("*.html") if not (set(p.relative_to(html_dir).parts[:-1]) & _ASSET_DIRS))


# ----------------------------------------------------------------------------- links, without a browser
class _LinkParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (href, description of the element)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attributes.get(key):
                self.ids.add(attributes[key])
        if tag == "a" and attributes.get("href") is not None:
            self.links.append((attributes["href"], f'<a href="{attributes["href"]}">'))


def _parse(page: Path) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser


def check_links(html_dir: str | os.PathLike, pages: list[Path] | None = None) -> list[PageProblem]:
    """Internal links of the book that point to a missing file or to a missing anchor.

    External links (with a scheme such as ``https:``) are not followed: the check runs offline.
    """
    html_dir = Path(html_dir).resolve()
    pages = [p.resolve() for p in (pages if pages is not None else html_pages(html_dir))]
    parsed: dict[Path, _LinkParser] = {}

    def parsed_page(path: Path) -> _LinkParser:
        if path not in parsed:
            parsed[path] = _parse(path)
        return parsed[path]

    problems = []
    for page in pages:
        name = page.relative_to(html_dir).as_posix()
        for href, element in parsed_page(page).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("//"):
                continue  # external: not checked offline
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(PageProblem(name, "broken link", element, f"no file {_relative(target, html_dir)}"))
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in parsed_page(target).ids:
                problems.append(PageProblem(name, "broken anchor", element,
                                            f"no element with id {fragment!r} in {_relative(target, html_dir)}"))
    return problems


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# ----------------------------------------------------------------------------- the browser
def chromium_paths() -> tuple[str, str]:
    """Paths of the Chromium binary and of chromedriver; :class:`BookCheckError` if either is missing."""
    browser = os.environ.get("SIGAH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("SIGAH_CHROMEDRIVER") or shutil.which("chromedriver")
    if not browser or not driver:
        missing = " and ".join(n for n, p in (("chromium", browser), ("chromedriver", driver)) if not p)
        raise BookCheckError(
            f"{missing} not found: install Debian's packages with "
            "`apt-get update && apt-get install -y chromium chromium-driver` (as root)"
        )
    return browser, driver


@contextmanager
def _chromium() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = chromium_paths()
    profile = tempfile.mkdtemp(prefix="sigah-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# Resolves when MathJax 3 has typeset the page (or at once on a page without MathJax).
_WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
const started = Date.now();
(function poll() {
  const mj = window.MathJax;
  const hasScript = !!document.querySelector('script[src*="mathjax" i], script[src*="tex-" i]');
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(() => done('typeset')).catch(e => done('error: ' + e));
  } else if (!hasScript) {
    done('no mathjax');
  } else if (Date.now() - started > 30000) {
    done('mathjax did not start within 30 s');
  } else {
    setTimeout(poll, 100);
  }
})();
"""

# Loads every image (lazy ones too) and reports those that fail.
_WAIT_FOR_IMAGES = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
images.forEach(img => { img.loading = 'eager'; });
Promise.all(images.map(img => img.complete ? Promise.resolve() : new Promise(resolve => {
  img.addEventListener('load', resolve); img.addEventListener('error', resolve); setTimeout(resolve, 15000);
}))).then(() => done(images.filter(img => !img.complete || img.naturalWidth === 0)
  .map(img => '<img src="' + img.getAttribute('src') + '">')));
"""

# Everything else is read from the rendered page in one pass.
_INSPECT = r"""
const describe = el => {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  const cls = (typeof el.className === 'string' ? el.className : '').trim().split(/\s+/).filter(Boolean).slice(0, 3);
  if (cls.length) s += '.' + cls.join('.');
  const text = (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 80);
  return text ? s + ' "' + text + '"' : s;
};
const CODE = 'pre, code, kbd, samp, script, style, textarea, .highlight, div.cell_input, .jp-InputArea';
const out = {tex: [], mathjax: [], traceback: [], scroll: [], tables: [], boxes: []};
// A TeX error (merror) or an undefined macro, which MathJax's noundefined extension shows in red.
document.querySelectorAll('mjx-merror, [data-mjx-error], .MathJax_Error, merror, [mathcolor="red"]').forEach(el => {
  if (el.closest('mjx-assistive-mml') && el.closest('mjx-container').querySelector('mjx-merror')) return;
  const what = el.getAttribute('mathcolor') === 'red' ? 'undefined TeX macro ' + el.textContent
    : 'TeX error: ' + (el.getAttribute('data-mjx-error') || el.textContent);
  out.mathjax.push([describe(el.closest('mjx-container') || el), what]);
});
const TEX = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\(frac|sum|mathbf|mathrm|operatorname|left|right|sqrt|alpha|beta|lambda|sigma|tilde|hat)\b|\$[^\s$][^$\n]*\$/;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const parent = node.parentElement;
  if (!parent || parent.closest(CODE + ', mjx-container, mjx-assistive-mml, .MathJax, noscript')) continue;
  const m = node.textContent.match(TEX);
  if (m) out.tex.push([describe(parent), m[0]]);
}
document.querySelectorAll('.cell_output, .output').forEach(el => {
  const text = el.textContent || '';
  const bad = el.matches('.traceback, .error') || el.querySelector('.traceback, .output.error')
    || /Traceback \(most recent call last\)|PapermillExecutionError|An Exception was encountered at/.test(text);
  if (bad && !el.parentElement.closest('.cell_output')) out.traceback.push([describe(el), text.trim().slice(0, 200)]);
});
const papermill = document.getElementById('papermill-error-cell');
if (papermill) out.traceback.push([describe(papermill), 'papermill error cell']);
const root = document.scrollingElement || document.documentElement;
const width = root.clientWidth;
if (root.scrollWidth > width + 1) {
  const culprits = Array.from(document.body.querySelectorAll('*')).filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && !el.closest(CODE);
  });
  const outer = culprits.filter(el => !culprits.includes(el.parentElement)).slice(0, 3);
  out.scroll.push([outer.length ? outer.map(describe).join('; ') : 'html',
                   'page is ' + root.scrollWidth + ' px wide in a ' + width + ' px window']);
}
document.querySelectorAll('body *').forEach(el => {
  if (el.closest(CODE)) return;
  const style = getComputedStyle(el);
  if (!['auto', 'scroll'].includes(style.overflowX) || el.clientWidth === 0) return;
  if (el.scrollWidth > el.clientWidth + 1) {
    const detail = 'scrolls inside its box: ' + el.scrollWidth + ' px of content in ' + el.clientWidth + ' px';
    // An output table that scrolls is a failure; a long equation (or other box) only a note.
    const table = el.closest('.cell_output') && (el.closest('table') || el.querySelector('table'));
    (table ? out.tables : out.boxes).push([describe(table || el), detail]);
  }
});
return out;
"""

_KINDS = {
    "tex": ("unrendered TeX", "TeX left as text: {}"),
    "mathjax": ("MathJax error", "{}"),
    "traceback": ("error in output", "{}"),
    "scroll": ("horizontal scroll", "{}"),
    "tables": ("wide table", "an output table wider than its box, {}"),
}


def _screenshot(driver, path: Path, max_height: int = 16000) -> None:
    """A full-page PNG (at most ``max_height`` pixels tall) through the DevTools protocol.

    The window is made as tall as the page for the capture, so the page lays out as a reader's
    window of the same width shows it (capturing beyond the viewport instead shifts the theme's
    sidebars out of place).
    """
    import base64

    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    height = min(int(size["height"]) + 1, max_height)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WINDOW[0], "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        time.sleep(0.3)  # let the page lay out at the new height
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    tmp.write_bytes(base64.b64decode(shot["data"]))
    os.replace(tmp, path)


_REDIRECT = re.compile(r"""<meta[^>]+http-equiv=["']?refresh""", re.IGNORECASE)


def is_redirect(page: Path) -> bool:
    """A page that only forwards the reader elsewhere (Jupyter Book's root ``index.html``): a
    ``<meta http-equiv="refresh">`` and no body of its own."""
    text = page.read_text(encoding="utf-8", errors="replace")
    return bool(_REDIRECT.search(text)) and "<body" not in text.lower()


def _check_page(driver, page: Path, name: str, screenshot: Path | None) -> tuple[list[PageProblem], list[PageProblem]]:
    driver.get(page.as_uri())
    problems = []
    state = driver.execute_async_script(_WAIT_FOR_MATHJAX)
    if state.startswith(("error", "mathjax did not")):
        problems.append(PageProblem(name, "MathJax error", "MathJax", state))
    for element in driver.execute_async_script(_WAIT_FOR_IMAGES):
        problems.append(PageProblem(name, "image not loaded", element, "the image did not load"))
    found = driver.execute_script(_INSPECT)
    for key, (kind, template) in _KINDS.items():
        for element, detail in found[key]:
            problems.append(PageProblem(name, kind, element, template.format(detail)))
    notes = [PageProblem(name, "wide box", element, detail) for element, detail in found["boxes"]]
    if screenshot is not None:
        _screenshot(driver, screenshot)
    return problems, notes


def check_book(
    html_dir: str | os.PathLike = "_build/html",
    *,
    screenshots: str | os.PathLike | None = "_build/screenshots",
    log: Callable[[str], None] = print,
) -> list[PageProblem]:
    """Check every page of a built book in headless Chromium and crawl its internal links.

    Parameters
    ----------
    html_dir : path
        The built HTML (``_build/html``).
    screenshots : path or None
        Folder for one full-page PNG per page (named after the page's path); None takes none.
    log : callable
        Where one line per page goes.

    Returns
    -------
    list of PageProblem
        Empty when every page passes.

    Raises
    ------
    BookCheckError
        No built book in ``html_dir``, or Chromium/chromedriver missing.
    """
    html_dir = Path(html_dir).resolve()
    pages = html_pages(html_dir) if html_dir.is_dir() else []
    if not pages:
        raise BookCheckError(f"no HTML pages in {html_dir}: build the book first (sigah book build)")
    chromium_paths()  # a clear message before selenium's
    problems = check_links(html_dir, pages)
    shots = Path(screenshots) if screenshots is not None else None
    with _chromium() as driver:
        for page in pages:
            name = page.relative_to(html_dir).as_posix()
            if is_redirect(page):  # its target is checked as a page of its own
                log(f"[check] {name}: a redirect, not opened")
                continue
            start = time.perf_counter()
            shot = shots / (re.sub(r"[/\\]", "__", name[: -len(".html")]) + ".png") if shots else None
            found, notes = _check_page(driver, page, name, shot)
            problems += found
            log(f"[check] {name}: {'ok' if not found else f'{len(found)} problem(s)'} ({time.perf_counter() - start:.1f} s)")
            for note in notes:
                log(f"[check] note (not a failure): {note}")
    return problems
