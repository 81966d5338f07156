"""Build the book: jupytext → papermill (with parameters) → Jupyter Book 1.x.

The chapters in ``book/`` are MyST-markdown notebooks without outputs. A build

1. copies the book's sources into a staging folder ``_build/stage`` (so that executed
   notebooks never land beside their ``.md`` sources, which Jupyter Book would warn about);
2. converts each chapter listed in ``_toc.yml`` with jupytext and executes it with papermill,
   from the repository root as working directory, with the parameters of the chosen size:
   ``full`` runs the defaults of the chapter's ``parameters`` cell (the paper's protocol, or a
   reduced size that the chapter and the status page name),
   ``ci`` overrides them with the ``sigah: ci:`` block of the chapter's front matter;
3. hides papermill's injected-parameters cell (``remove-cell`` tag) and TensorFlow's start-up banner;
4. writes ``book/status.md``: each chapter's size, parameters, run time, how many fits it computed
   and how many it read from the store of runs (:mod:`sigah.store`), how many of its other results
   it read back (:mod:`sigah.stored_results`), whether its sizes are the
   paper's protocol or reduced (:func:`sigah.studies.scale.chapter_scale`), and the versions used;
   each chapter records its verdicts on the paper's claims in ``_build/verdicts/<chapter>.json``
   (:mod:`sigah.studies.claims`), and a chapter that does not record a claim the claim list wires to
   it fails the build, naming the claim; the *Claims ledger* page, which reads those records, is
   executed after every other chapter wherever it stands in ``_toc.yml``;
5. runs ``jupyter-book build -W -n --keep-going`` on the staging folder into ``_build/html``.

The log is one progress line per chapter (code cells done / total, elapsed time), the total at the
end and, when a chapter raises, the chapter, the cell and the error together. The kernels' own
stderr (IPython's shutdown messages, TensorFlow's C++ banner) goes to ``_build/logs/<chapter>.kernel.log``;
each kernel appends one line per fit, and per other result of :mod:`sigah.stored_results`, to
``_build/logs/<chapter>.fits.jsonl`` (``SIGAH_STORE_LOG``).
``fresh=True`` (``sigah book build --fresh``) points the kernels' ``SIGAH_CACHE`` at a new empty
folder, so nothing is read from the store (it is deleted after the build).

A chapter that raises fails the build. :func:`run_chapter` executes one chapter with
arbitrary parameters into ``runs/`` for readers who point a chapter at their own data.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from sigah.tools.publish import stage_for_publishing
from sigah.tools.params import ChapterParameterError, parameter_error_message
from sigah.tools.verdicts import LEDGER_PAGE, check_chapter_claims, ledger_status_lines, verdict_environment
from sigah.storage import atomic_write_text

__all__ = ["BookBuildError", "ChapterRun", "build_book", "chapter_sources", "find_root", "run_chapter"]

Size = Literal["ci", "full"]
STATUS_PAGE = "book/status"


class BookBuildError(RuntimeError):
    """A chapter raised, or Jupyter Book reported errors; the message says which and where the log is."""


@dataclass
class ChapterRun:
    """What happened to one chapter in a build."""

    chapter: str
    size: str
    parameters: dict[str, Any]
    seconds: float
    ok: bool
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    cells: int = 0
    fits_computed: int = 0
    fits_from_store: int = 0
    results_from_store: int = 0


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The repository root: the nearest folder at or above ``start`` holding ``_config.yml`` and ``_toc.yml``."""
    here = Path(start or Path.cwd()).resolve()
    candidates = [here, *here.parents, Path(__file__).resolve().parent.parent]
    for folder in candidates:
        if (folder / "_config.yml").is_file() and (folder / "_toc.yml").is_file():
            return folder
    raise FileNotFoundError(f"no _config.yml and _toc.yml found at or above {here}: run this from the sigah-book checkout")


def chapter_sources(root: Path) -> list[str]:
    """Entries of ``_toc.yml`` (``root`` and chapters) as paths without suffix, in order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    entries: list[str] = [toc["root"]]

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items or []:
            if "file" in item:
                entries.append(item["file"])
            walk(item.get("sections", []))
            for part in item.get("parts", []):
                walk(part.get("chapters", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return entries


def _is_notebook(md_path: Path) -> bool:
    head = md_path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "kernelspec:" in head


def _ci_parameters(nb: Any) -> dict[str, Any]:
    return dict((nb.metadata.get("sigah") or {}).get("ci") or {})


def _parameters_cell(md_path: Path) -> dict[str, Any]:
    """The literal values of a chapter's ``parameters`` cell ({} if it has none or cannot be read)."""
    import ast

    import jupytext

    try:
        cells = jupytext.read(md_path).cells
    except Exception:  # the execution step reports the unreadable source
        return {}
    values: dict[str, Any] = {}
    for cell in cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:  # not a literal: not a size the status page compares
                        continue
    return values


def _read_ci_parameters(md_path: Path) -> dict[str, Any]:
    """The ``sigah: ci:`` block of a chapter's front matter ({} if the source cannot be read)."""
    import jupytext

    try:
        return _ci_parameters(jupytext.read(md_path))
    except Exception:  # the execution step reports the unreadable source as the chapter's failure
        return {}


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block (kernels started inside inherit them), then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _engine_and_manager(kernel_log: Path | None, on_cell: Callable[[int, int], None] | None):
    """A papermill engine reporting each finished code cell, and a kernel manager writing the kernel's
    stdout/stderr (not the cells' outputs) to ``kernel_log`` instead of the terminal."""
    from jupyter_client import AsyncKernelManager
    from papermill.engines import NBClientEngine, papermill_engines

    class QuietKernelManager(AsyncKernelManager):
        async def _async_start_kernel(self, **kw: Any) -> None:
            if kernel_log is None:
                return await super()._async_start_kernel(**kw)
            with open(kernel_log, "ab") as handle:  # the kernel process keeps its own copy of the descriptor
                kw.setdefault("stdout", handle)
                kw.setdefault("stderr", handle)
                return await super()._async_start_kernel(**kw)

        start_kernel = _async_start_kernel

    class ProgressEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            total = sum(cell.cell_type == "code" for cell in nb_man.nb.cells)
            done = [0]
            complete = nb_man.cell_complete

            def cell_complete(cell, cell_index=None, **kw):
                complete(cell, cell_index=cell_index, **kw)
                if cell.cell_type == "code":
                    done[0] += 1
                    if on_cell is not None:
                        on_cell(done[0], total)

            nb_man.cell_complete = cell_complete
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("sigah-progress", ProgressEngine)
    return "sigah-progress", QuietKernelManager


def _execute(
    md_path: Path,
    out_path: Path,
    parameters: dict[str, Any],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    kernel_log: Path | None = None,
    on_cell: Callable[[int, int], None] | None = None,
) -> tuple[float, str]:
    """Execute one MyST notebook into ``out_path``; return (seconds, error message or "").

    ``env`` is added to the kernel's environment; the kernel's own stdout/stderr go to ``kernel_log``;
    ``on_cell(done, total)`` is called after each code cell.
    """
    import jupytext
    import papermill

    out_path.parent.mkdir(parents=True, exist_ok=True)
    unexecuted = out_path.with_suffix(".source.ipynb")
    if kernel_log is not None:
        kernel_log.parent.mkdir(parents=True, exist_ok=True)
        kernel_log.write_bytes(b"")
    engine, manager = _engine_and_manager(kernel_log, on_cell)
    start = time.perf_counter()
    error = ""
    try:
        # a source jupytext cannot read is a failed chapter, not the end of the build
        jupytext.write(jupytext.read(md_path), unexecuted, fmt="ipynb")
        with _environment(dict(env or {})):
            papermill.execute_notebook(
                str(unexecuted),
                str(out_path),
                parameters=parameters,
                cwd=str(cwd),
                kernel_name="python3",
                engine_name=engine,
                kernel_manager_class=manager,
                progress_bar=False,
                request_save_on_cell_execute=False,
            )
    except Exception as exc:  # papermill's error carries the failing cell's traceback
        error = parameter_error_message(exc) or _describe_error(exc)
    finally:
        unexecuted.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    if out_path.exists():
        _tidy_outputs(out_path)
    return seconds, error


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _describe_error(exc: Exception) -> str:
    """The failing cell (its number and first source lines) and the error, without terminal colours."""
    from papermill.exceptions import PapermillExecutionError

    if not isinstance(exc, PapermillExecutionError):
        return f"{type(exc).__name__}: {exc}".strip()
    source = [line for line in str(exc.source).splitlines() if line.strip()][:3]
    traceback = _ANSI.sub("", "\n".join(exc.traceback)).strip().splitlines()
    lines = [f"cell In [{exc.exec_count}] raised {exc.ename}: {exc.evalue}"]
    lines += [f"    | {line}" for line in source]
    lines += ["  traceback (last lines):"] + [f"    {line}" for line in traceback[-15:]]
    return "\n".join(lines)


class _ChapterProgress:
    """One progress line per chapter: rewritten in place on a terminal, else printed once a minute."""

    def __init__(self, name: str, log: Callable[[str], Any], *, interval: float = 60.0) -> None:
        self.name, self.log, self.interval = name, log, interval
        self.start = time.perf_counter()
        self.last = self.start
        self.tty = log is print and sys.stdout.isatty()

    def line(self, done: int, total: int) -> str:
        return f"[book] {self.name}: {done}/{total} cells, {_duration(time.perf_counter() - self.start)}"

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.tty:
            sys.stdout.write("\r" + self.line(done, total) + "\x1b[K")
            sys.stdout.flush()
        elif now - self.last >= self.interval and done < total:
            self.last = now
            self.log(self.line(done, total))

    def close(self) -> None:
        if self.tty:
            sys.stdout.write("\r\x1b[K")
            sys.stdout.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _fit_counts(path: Path) -> tuple[int, int, int]:
    """(fits computed, fits read from the store, other results read from the store) in a chapter's
    ``SIGAH_STORE_LOG`` file (results: :mod:`sigah.stored_results`)."""
    counted = {"hit": 0, "miss": 0, "unstored": 0, "result-hit": 0}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line).get("event")
            except ValueError:
                continue
            if event in counted:
                counted[event] += 1
    return counted["miss"] + counted["unstored"], counted["hit"], counted["result-hit"]


# TensorFlow's C++ start-up banner, written to the kernel's stderr on first import: it says
# nothing about the chapter, so it is dropped from the published outputs.
_STARTUP_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} [\d:.]+ +\d+ port\.cc:\d+\] oneDNN custom operations are on.*)\n?",
    re.MULTILINE,
)


def _tidy_outputs(ipynb: Path) -> None:
    """Hide papermill's injected-parameters cell and drop TensorFlow's start-up banner."""
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = _STARTUP_NOISE.sub("", "".join(out.get("text", "")))
                if not text.strip():
                    continue
                out["text"] = text
            outputs.append(out)
        if "outputs" in cell:
            cell["outputs"] = outputs
    atomic_write_text(ipynb, json.dumps(nb, indent=1, ensure_ascii=False))


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    import sigah

    out = {"sigah": sigah.__version__, "python": platform.python_version()}
    for dist in ("numpy", "scipy", "scikit-learn", "faiss-cpu", "tensorflow-cpu", "tensorflow", "keras",
                 "jupyter-book", "papermill", "jupytext"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            continue
    return out


def _scale_lines(runs: list[ChapterRun], sources: Mapping[str, Path]) -> list[str]:
    """One line per chapter: its size against the paper's protocol (:func:`sigah.studies.scale.chapter_scale`)."""
    from sigah.studies.scale import chapter_scale

    lines = ["", "## Size against the paper's protocol", "",
             "Each chapter's parameters in this build, set against the protocol of chapter *Retrieval quality* "
             "(`sigah.studies.scale.chapter_scale`; chapters 09-11 open with the same statement):", ""]
    for run in runs:
        source = sources.get(run.chapter)
        params = (_parameters_cell(source) if source else {}) | dict(run.parameters)
        lines.append(f"- **{run.chapter}**: {chapter_scale(run.chapter, params).summary()}.")
    return lines


def _status_page(runs: list[ChapterRun], size: str, started: datetime, total_seconds: float,
                 fresh: bool = False, claims: list[str] | None = None,
                 sources: Mapping[str, Path] | None = None) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Build status",
        "",
        "This page is written by the build: what ran, with which parameters, for how long.",
        "",
        f"- Built on {started:%Y-%m-%d %H:%M} UTC, book size **{size}** "
        f"({'CI-sized parameters from each chapter' if size == 'ci' else 'the default parameters of each chapter'}; "
        "*Size against the paper's protocol* below says which chapters run the protocol and which a reduced size).",
        f"- Machine: {platform.system()} {platform.machine()} ({cpu}), {os.cpu_count()} logical CPUs.",
        f"- Total chapter execution time: {total_seconds:.0f} s.",
        "- Fits: *computed* ran in the chapter; *from store* were read from the store of runs, fitted by an "
        "earlier chapter or build with the same method, parameters, seed, training data and code"
        + (" (this build ignored the store: `--fresh`)." if fresh else ".")
        + " *Results from store* are a chapter's other computations read back the same way (the chapter "
        "says which, with the CPU and the date they were computed on).",
        "",
        *(claims or []),
        "",
        "| chapter | size | run time (s) | status | fits computed | fits from store | results from store "
        "| parameters |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        params = ", ".join(f"`{k}={v!r}`" for k, v in run.parameters.items()) or "defaults"
        status = "ok" if run.ok else "**failed**"
        lines.append(f"| {run.chapter} | {run.size} | {run.seconds:.1f} | {status} | {run.fits_computed} "
                     f"| {run.fits_from_store} | {run.results_from_store} | {params} |")
    lines += _scale_lines(runs, sources or {})
    lines += ["", "## Package versions", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in _versions().items()]
    return "\n".join(lines) + "\n"


def build_book(
    size: Size = "full",
    *,
    root: str | os.PathLike | None = None,
    chapters: list[str] | None = None,
    execute: bool = True,
    strict: bool = True,
    fresh: bool = False,
    log=print,
    repository_url: str | None = None,
) -> Path:
    """Execute the chapters and build the HTML book.

    Parameters
    ----------
    size : {"full", "ci"}
        ``full`` runs each chapter with the defaults of its parameters cell; ``ci`` with the
        small parameters of its front matter.
    root : path, optional
        Repository root (found from the working directory by default).
    chapters : list of str, optional
        Only (re-)execute these chapters (names like ``01_evaluation``); the others keep the
        executed notebooks of the previous build in ``_build/stage``.
    execute : bool
        ``False`` reuses every executed notebook already staged.
    strict : bool
        Treat Sphinx warnings as errors (``-W``).
    fresh : bool
        Ignore the store of runs: the chapters fit everything (in a temporary, empty store).
    log : callable
        Where progress lines go.
    repository_url : str, optional
        The repository's address for the Colab and Binder launch buttons (else ``_config.yml``'s
        ``repository: url:`` or ``GITHUB_REPOSITORY``; none known: no launch buttons).

    Returns
    -------
    pathlib.Path
        ``_build/html`` under the root.
    """
    if size not in ("ci", "full"):
        raise ValueError(f"size must be 'ci' or 'full', got {size!r}")
    root = find_root(root)
    build = root / "_build"
    stage = build / "stage"
    started = datetime.now(timezone.utc)
    entries = chapter_sources(root)
    known = {Path(e).name for e in entries}
    for name in chapters or []:
        if name not in known:
            raise ValueError(f"unknown chapter {name!r}; chapters in _toc.yml: {', '.join(sorted(known))}")

    stage.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, stage / name)
    _sync_static(root / "book", stage / "book")

    notebooks = [e for e in entries if e != STATUS_PAGE and (root / f"{e}.md").exists() and _is_notebook(root / f"{e}.md")]
    for entry in notebooks:  # before executing anything: a build that cannot finish stops at once
        name = Path(entry).name
        # the ledger runs again whenever a chapter does, so it needs no earlier execution
        reused = not execute or (chapters is not None and name not in chapters and entry != LEDGER_PAGE)
        if reused and not (stage / f"{entry}.ipynb").exists():
            raise FileNotFoundError(f"{name} has never been executed; build it first (without --chapters)")

    status_file = build / "chapter-runs.json"
    previous = json.loads(status_file.read_text()) if status_file.exists() else {}
    runs: list[ChapterRun] = []
    failures: list[ChapterRun] = []
    executed = 0
    logs = build / "logs"
    fresh_store = Path(tempfile.mkdtemp(prefix="fresh-store-", dir=build)) if fresh and execute else None
    # the ledger reads every other chapter's verdicts: it runs last, and again whenever a chapter ran
    in_order = [e for e in entries if e != LEDGER_PAGE] + [e for e in entries if e == LEDGER_PAGE]
    try:
        for entry in in_order:
            if entry == STATUS_PAGE:
                continue
            src = root / f"{entry}.md"
            if not src.exists():
                raise FileNotFoundError(f"_toc.yml lists {entry} but {src} does not exist")
            if not _is_notebook(src):  # plain pages were staged by _sync_static
                continue
            out = stage / f"{entry}.ipynb"
            name = Path(entry).name
            rerun_ledger = entry == LEDGER_PAGE and executed > 0
            if not execute or (chapters is not None and name not in chapters and not rerun_ledger):
                if entry in previous:
                    runs.append(ChapterRun(**previous[entry]))
                continue
            run = _run_chapter_in_build(src, out, name, size, root, logs, fresh_store, log)
            executed += 1
            runs.append(run)
            if not run.ok:
                failures.append(run)
            previous[entry] = run.__dict__
            atomic_write_text(status_file, json.dumps(previous, indent=1))  # kept even if a later step stops
    finally:
        if fresh_store is not None:
            shutil.rmtree(fresh_store, ignore_errors=True)

    atomic_write_text(status_file, json.dumps(previous, indent=1))
    total = sum(r.seconds for r in runs)
    atomic_write_text(stage / f"{STATUS_PAGE}.md", _status_page(
        runs, size, started, total, fresh=fresh, claims=ledger_status_lines(root, entries),
        sources={Path(e).name: root / f"{e}.md" for e in entries}))
    stage_for_publishing(root, stage, entries, repository=repository_url, sizes={r.chapter: r.size for r in runs})
    computed, stored = sum(r.fits_computed for r in runs), sum(r.fits_from_store for r in runs)
    log(f"[book] {len(runs)} chapters ({executed} executed now, the others from the last build), "
        f"{_duration(total)} of execution; fits: {computed} computed, {stored} from the store")

    log("[book] jupyter-book build ...")
    cmd = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())", "build", str(stage), "--path-output", str(root), "--keep-going", "-n"]
    if strict:
        cmd.append("-W")
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    (build / "jupyter-book.log").write_text(proc.stdout + proc.stderr)
    problems = [f"chapter {f.chapter} failed: {f.error}" for f in failures]
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        problems.append(f"jupyter-book build failed (log: {build / 'jupyter-book.log'}):\n{tail}")
    if problems:
        raise BookBuildError("\n".join(problems))
    html = build / "html"
    log(f"[book] done: {html / 'index.html'} ({total:.0f} s of chapter execution)")
    return html


def _run_chapter_in_build(src: Path, out: Path, name: str, size: str, root: Path, logs: Path,
                          fresh_store: Path | None, log: Callable[[str], Any]) -> ChapterRun:
    """Execute one chapter of a build, with its progress line, fit counts and, on failure, its error."""
    params = _read_ci_parameters(src) if size == "ci" else {}
    fits_log = logs / f"{name}.fits.jsonl"
    fits_log.parent.mkdir(parents=True, exist_ok=True)
    fits_log.write_text("")
    env = {"SIGAH_STORE_LOG": str(fits_log), "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
           **verdict_environment(root, name, size)}
    if fresh_store is not None:
        env["SIGAH_CACHE"] = str(fresh_store)
    progress = _ChapterProgress(name, log)
    cells = [0, 0]

    def on_cell(done: int, total: int) -> None:
        cells[:] = [done, total]
        progress(done, total)

    try:
        seconds, error = _execute(src, out, params, cwd=root, env=env, kernel_log=logs / f"{name}.kernel.log",
                                  on_cell=on_cell)
    finally:
        progress.close()
    computed, from_store, results = _fit_counts(fits_log)
    if not error:  # a chapter that ran to the end must have recorded every claim wired to it
        error = check_chapter_claims(root, name)
    run = ChapterRun(chapter=name, size=size, parameters=params, seconds=seconds, ok=not error, error=error,
                     cells=cells[0], fits_computed=computed, fits_from_store=from_store,
                     results_from_store=results)
    fits = f"fits: {computed} computed, {from_store} from the store" + (
        f"; {results} other results from the store" if results else "")
    if run.ok:
        log(f"[book] {name}: ok, {cells[0]}/{cells[1]} cells in {_duration(seconds)}; {fits}")
    else:
        log(f"[book] {name}: FAILED after {cells[0]}/{cells[1]} cells, {_duration(seconds)}; {fits} "
            "(the error is reported at the end)")
        run.error = (f"{error[-3000:]}\n  executed notebook: {out}\n  kernel log: {logs / (name + '.kernel.log')}")
    return run


def _sync_static(src_dir: Path, dst_dir: Path) -> None:
    """Copy everything in ``book/`` except chapter sources and notebooks (handled per chapter)."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    for path in src_dir.rglob("*"):
        rel = path.relative_to(src_dir)
        if path.is_dir() or path.suffix == ".ipynb" or any(p.startswith(".") for p in rel.parts):
            continue
        if path.suffix == ".md" and _is_notebook(path):
            continue
        target = dst_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def run_chapter(
    chapter: str,
    parameters: dict[str, Any] | None = None,
    *,
    output_dir: str | os.PathLike = "runs",
    size: Size = "full",
    root: str | os.PathLike | None = None,
) -> Path:
    """Execute one chapter with papermill parameters into ``output_dir`` (never into ``book/``).

    Parameters
    ----------
    chapter : str
        Chapter name (``02_baselines``) or path to its ``.md``.
    parameters : dict, optional
        Overrides of the chapter's parameters cell (applied after the ``ci`` block if ``size="ci"``).
    output_dir : path
        Where the executed notebook is written, as ``<output_dir>/<chapter>.ipynb``.
    size : {"full", "ci"}

    Returns
    -------
    pathlib.Path
        The executed notebook.
    """

    root = find_root(root)
    src = Path(chapter)
    if src.suffix != ".md":
        src = root / "book" / f"{chapter}.md"
    if not src.exists():
        available = ", ".join(sorted(p.stem for p in (root / "book").glob("[0-9]*.md")))
        raise FileNotFoundError(f"chapter not found: {src}; available chapters: {available}")
    if not _is_notebook(src):
        raise ValueError(f"{src.stem} is a page without code (no kernelspec in its front matter): there is "
                         "nothing to run; `sigah book build` copies it into the book as it is")
    params = _read_ci_parameters(src) if size == "ci" else {}
    params.update(parameters or {})
    out = Path(output_dir) / f"{src.stem}.ipynb"
    # verdicts go beside the run (runs/verdicts/), never into the build's ledger
    env = verdict_environment(root, src.stem, "custom" if parameters else size, folder=out.resolve().parent / "verdicts")
    seconds, error = _execute(src, out.resolve(), params, cwd=root, env=env,
                              kernel_log=out.resolve().with_suffix(".kernel.log"))
    prefix = f"{ChapterParameterError.__name__}: "
    if error.startswith(prefix):  # a bad parameter is a user error: one line, as from any other command
        raise ChapterParameterError(f"{src.stem}: {error.removeprefix(prefix)} (stopped in its check cell; {out})")
    if error:
        raise BookBuildError(f"{src.stem} failed after {seconds:.0f} s (partial output in {out}):\n{error[-3000:]}")
    return out
