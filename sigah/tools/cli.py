"""The ``sigah`` command: fit, encode, search, evaluate, and build or run the book.

User errors (a missing file, a wrong format, impossible settings) end with one line
``sigah: error: …`` and exit status 2, without a traceback; anything else is a bug and
shows its traceback.

Examples
--------
::

    sigah fit --method itq --bits 64 --data mnist --model itq64.npz
    sigah encode --model itq64.npz --data my_vectors.fvecs --out codes.npy
    sigah search --model itq64.npz --database codes.npy --queries q.fvecs --index mih --k 10 \\
        --rerank 1000 --vectors base.fvecs --out knn.npz
    sigah evaluate --data mnist --methods lsh,itq --bits 32,64 --repeats 3
    sigah evaluate --data base.fvecs --queries query.fvecs --methods itq --bits 32 --format json
    sigah book build --size ci
    sigah book run 01_evaluation -p n_queries 500
    sigah book check
    sigah book claims
    sigah book notebooks notebooks/ --size ci
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["main", "build_parser"]


class UserError(Exception):
    """A problem with the command's input, reported in one line."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# -- argument helpers ---------------------------------------------------------------------
def _parse_bits_list(text: str) -> list[int]:
    out = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            value = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bits must be integers separated by commas, got {text!r}") from None
        out.append(_check_bits(value))
    return out


def _check_bits(value: int) -> int:
    if value <= 0 or value % 8:
        raise argparse.ArgumentTypeError(f"bits must be a positive multiple of 8, got {value}")
    return value


def _bits(text: str) -> int:
    try:
        return _check_bits(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bits must be an integer, got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _parse_params(items: Sequence[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise UserError(f"--param takes NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        params[key.strip()] = _literal(value.strip())
    return params


def _load(data: str, *, queries: str | None = None):
    from sigah.data import load_dataset

    return load_dataset(data, queries=queries) if queries else load_dataset(data)


# -- commands -----------------------------------------------------------------------------
def _cmd_fit(args: argparse.Namespace) -> int:
    from sigah.hashers import make_hasher

    params = _parse_params(args.param)
    dataset = _load(args.data)
    try:
        hasher = make_hasher(args.method, args.bits, seed=args.seed, **params)
    except TypeError as exc:
        raise UserError(f"bad --param for method {args.method!r}: {exc}") from None
    hasher.fit(dataset.features)
    path = hasher.save(args.model)
    print(f"fitted {hasher!r} on {dataset.features.shape[0]} × {dataset.features.shape[1]} ({dataset.name}); saved {path}")
    return 0


def _cmd_encode(args: argparse.Namespace) -> int:
    from sigah.hashers import Hasher
    from sigah.storage import atomic_save_npy

    model = Hasher.load(args.model)
    dataset = _load(args.data)
    codes = model.encode(dataset.features)
    atomic_save_npy(args.out, codes)
    print(f"encoded {codes.shape[0]} vectors into {8 * codes.shape[1]}-bit codes ({codes.dtype}); saved {args.out}")
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from sigah.hashers import Hasher
    from sigah.search import CodeIndex, rerank
    from sigah.storage import atomic_save_npz

    model = Hasher.load(args.model)
    codes_given = str(args.database).endswith(".npy")
    vectors = None
    if args.rerank is not None:
        if args.vectors is None and codes_given:
            raise UserError("--rerank needs the database vectors: give --vectors FILE (the vectors encoded "
                            "into --database)")
        vectors = _load(args.vectors or args.database).features
    elif args.vectors is not None:
        raise UserError("--vectors is read only for --rerank L; add --rerank or leave --vectors out")
    database = _code_file(args.database, model.n_bits) if codes_given else model.encode(_load(args.database).features)
    queries_data = _load(args.queries).features
    queries = model.encode(queries_data)
    n = len(database)
    if vectors is not None and len(vectors) != n:
        raise UserError(f"--vectors holds {len(vectors)} vectors but the database has {n} codes; "
                        "give the vectors the codes were encoded from")
    k = min(args.k, n)
    if args.k > n:
        print(f"# --k {args.k} capped to the {n:,} codes of the database", file=sys.stderr)
    if args.rerank is not None and args.rerank < k:
        raise UserError(f"--rerank {args.rerank} must be at least --k {k}: re-ranking keeps k of the L candidates")
    candidates = k if args.rerank is None else min(args.rerank, n)
    if args.rerank is not None and args.rerank > n:
        print(f"# --rerank {args.rerank} capped to the {n:,} codes of the database", file=sys.stderr)
    index = CodeIndex(8 * database.shape[1], args.index).add(database)
    dist, idx = index.search(queries, candidates)
    how = f"{args.index} index"
    if args.rerank is not None:
        dist, idx = rerank(queries_data, vectors, idx, k)
        how += f", top {candidates} re-ranked by Euclidean distance (distances are squared Euclidean)"
    atomic_save_npz(Path(args.out), {"distances": dist, "indices": idx})
    print(f"searched {len(queries)} queries in {n} codes, k={k}, {how}; saved {args.out}")
    return 0


def _code_file(path: str, n_bits: int):
    """Packed codes of ``n_bits`` written by ``sigah encode``, or a one-line error naming the file."""
    import numpy as np

    from sigah.readers import read_npy

    codes = read_npy(path)
    width = n_bits // 8
    if codes.ndim != 2 or codes.dtype != np.uint8 or codes.shape[0] < 1 or codes.shape[1] != width:
        raise UserError(f"--database {path}: {codes.dtype} array of shape {codes.shape}, expected the {n_bits}-bit codes "
                        f"`sigah encode` writes with this model (uint8, shape (n ≥ 1, {width}))")
    return np.ascontiguousarray(codes)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from sigah.studies.experiments import RECORD_COLUMNS, run_grid
    from sigah.store import DEFAULT

    methods = [m.strip().lower() for m in args.methods.split(",") if m.strip()]
    if not methods:
        raise UserError("--methods needs at least one method name")
    from sigah.hashers import get_hasher_class

    for m in methods:
        get_hasher_class(m)  # unknown names fail before any data is read
    protocol = _evaluation_protocol(args)
    params = _params_per_method(_parse_params(args.param), methods)
    overrides = {"qolsh": _qolsh_bits(protocol.database.shape[1])} if "qolsh" in methods else None
    if protocol.n_database < 100:
        print(f"# P@100 is scored at the database size: precision_at_100 = P@{protocol.n_database}", file=sys.stderr)
    printer = _RecordPrinter(args.format, RECORD_COLUMNS, label_columns=protocol.query_labels is not None)
    print(f"# {protocol.description}; k = {args.k}", file=sys.stderr)
    run_grid(
        protocol, methods, args.bits, repeats=args.repeats, seed=args.seed, k=args.k, params=params,
        bits_override=overrides, progress=sys.stderr.isatty(), on_record=printer,
        store=None if args.no_store else DEFAULT,
        **({"cache_dir": None} if args.no_store else {}),  # nothing under $SIGAH_CACHE is touched
    )
    return 0


def _evaluation_protocol(args: argparse.Namespace):
    """The protocol of ``sigah evaluate``; with labels on both sides the records gain label scores."""
    import dataclasses

    from sigah.data import load_dataset, make_protocol

    if args.query_labels and not args.queries:
        raise UserError("--query-labels needs --queries (without it the queries are drawn from --data with --labels)")
    if args.queries and args.labels and not args.query_labels:
        raise UserError("with --queries and --labels, give the queries' labels too (--query-labels)")
    from sigah.studies.sizes import cap_sizes

    extra = {key: value for key, value in (("labels", args.labels), ("queries", args.queries)) if value}
    dataset = load_dataset(args.data, **extra)
    # counts larger than the data are lowered, with a note, as in the chapters
    sizes, notes = cap_sizes(dataset, n_queries=args.n_queries, n_database=args.n_database, n_train=args.n_train,
                             k=args.k)
    for note in notes:
        print(f"# Size lowered: {note}", file=sys.stderr)
    args.k = sizes["k"]
    protocol = make_protocol(dataset, n_queries=sizes["n_queries"], seed=args.seed, n_database=sizes["n_database"],
                             n_train=sizes["n_train"])
    if args.query_labels:
        from sigah.data import _as_labels
        from sigah.readers import load_array

        labels = _as_labels(load_array(args.query_labels), protocol.n_queries, str(args.query_labels))
        protocol = dataclasses.replace(protocol, query_labels=labels)
    return protocol


def _params_per_method(params: dict[str, Any], methods: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Route ``--param`` values to the methods that take them.

    ``NAME=VALUE`` goes to every listed method whose constructor has the argument ``NAME``;
    ``METHOD.NAME=VALUE`` to that method only. An argument no listed method takes is an error.
    """
    from sigah.hashers import get_hasher_class

    routed: dict[str, dict[str, Any]] = {m: {} for m in methods}
    for key, value in params.items():
        target, _, name = key.rpartition(".")
        if target and target.lower() not in routed:
            raise UserError(f"--param {key}: method {target!r} is not among --methods {','.join(methods)}")
        takers = [m for m in ([target.lower()] if target else methods) if name in get_hasher_class(m)._param_names]
        if not takers:
            raise UserError(f"--param {key}: no method among {','.join(methods)} takes an argument {name!r}")
        for m in takers:
            routed[m][name] = value
    return routed


def _qolsh_bits(dim: int) -> int:
    """QoLSH runs at (at least) as many bits as dimensions, rounded up to whole bytes."""
    return 8 * math.ceil(dim / 8)


class _RecordPrinter:
    """Prints records as they arrive: an aligned table, or one JSON object per line."""

    def __init__(self, fmt: str, columns: Sequence[str], *, label_columns: bool = False) -> None:
        self.fmt = fmt
        self.columns = list(columns)
        self.label_columns = label_columns
        self.header_done = False

    def __call__(self, record: dict[str, Any]) -> None:
        if self.label_columns and not self.header_done:  # label_map_at_1000, label_precision_at_100
            self.columns += [c for c in record if c.startswith("label_") and c not in self.columns]
        if self.fmt == "json":
            self.header_done = True
            print(json.dumps({c: record[c] for c in self.columns}), flush=True)
            return
        widths = [max(len(c), 9) for c in self.columns]
        if not self.header_done:
            print("  ".join(c.rjust(w) for c, w in zip(self.columns, widths)))
            self.header_done = True
        cells = []
        for c, w in zip(self.columns, widths):
            v = record[c]
            cells.append((f"{v:.4f}" if isinstance(v, float) else str(v)).rjust(w))
        print("  ".join(cells), flush=True)


def _cmd_download(args: argparse.Namespace) -> int:
    from sigah.download import DownloadError, download_dataset

    try:
        result = download_dataset(args.dataset, args.dest, url=args.url, progress=sys.stderr.isatty(),
                                  trust_unpinned=args.trust_unpinned)
    except DownloadError as exc:
        raise UserError(str(exc)) from None
    if result.archive is None:
        print(f"{args.dataset}: every file already in {args.dest} and checked")
    else:
        how = "pinned" if result.pinned else "recorded, not pinned"
        print(f"{args.dataset}: fetched {result.archive} (sha256 {result.sha256}, {how}; in {result.archive}.sha256)")
    for path, (n, d) in result.files.items():
        print(f"  {path}: {n:,} × {d}, size and records checked")
    return 0


def _cmd_book_build(args: argparse.Namespace) -> int:
    from sigah.tools.build import build_book

    chapters = [c.strip() for c in args.chapters.split(",")] if args.chapters else None
    if args.fresh and args.no_execute:
        raise UserError("--fresh re-executes chapters without the store; it cannot go with --no-execute")
    build_book(args.size, chapters=chapters, execute=not args.no_execute, strict=not args.no_strict, fresh=args.fresh,
               repository_url=args.repository_url)
    return 0


def _absolute_if_file(value: Any) -> Any:
    if isinstance(value, str) and value and Path(value).expanduser().exists():
        return str(Path(value).expanduser().resolve())
    return value


def _cmd_book_run(args: argparse.Namespace) -> int:
    from sigah.tools.build import run_chapter

    # The chapter runs from the repository root: a file named relative to here is passed as an absolute path.
    params = {k: _absolute_if_file(_literal(v)) for k, v in (args.parameter or [])}
    out = run_chapter(args.chapter, params, output_dir=args.output_dir, size=args.size)
    print(f"executed {args.chapter}; notebook: {out}")
    return 0


def _cmd_book_check(args: argparse.Namespace) -> int:
    from sigah.tools.check import BookCheckError, check_book

    try:
        problems = check_book(args.html, screenshots=None if args.no_screenshots else args.screenshots)
    except BookCheckError as exc:
        raise UserError(str(exc)) from None
    for problem in problems:
        print(f"sigah book check: {problem}", file=sys.stderr)
    if problems:
        print(f"sigah book check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"sigah book check: every page of {args.html} passed")
    return 0


def _cmd_book_claims(args: argparse.Namespace) -> int:
    from sigah.studies.claims import read_verdicts
    from sigah.studies.ledger import ledger_rows, ledger_text

    print(ledger_text(ledger_rows(verdicts=read_verdicts(args.verdicts))), end="")
    return 0


def _cmd_book_notebooks(args: argparse.Namespace) -> int:
    from sigah.tools.notebooks import export_notebooks

    chapters = [c.strip() for c in args.chapters.split(",")] if args.chapters else None
    written = export_notebooks(args.dest, size=args.size, chapters=chapters, repository=args.repository_url)
    print(f"wrote {len(written)} notebooks to {args.dest}: {', '.join(p.name for p in written)}")
    return 0


# -- parser -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The ``sigah`` argument parser."""
    from sigah import __version__

    parser = _Parser(prog="sigah", description="Learning to hash: SiGAH, its baselines and an evaluator.")
    parser.add_argument("--version", action="version", version=f"sigah {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data_help = "a shipped dataset name (mnist, siftsmall) or a file (.fvecs .bvecs .npy .npz .mat .csv IDX)"
    p = sub.add_parser("fit", help="fit a hashing method and save the model")
    p.add_argument("--method", required=True, help="lsh, itq, sph, ba, sgh, och, qolsh or sigah")
    p.add_argument("--bits", required=True, type=_bits, help="code length, a positive multiple of 8")
    p.add_argument("--data", required=True, help=data_help)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", required=True, help="output model file (.npz)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="method argument (repeatable)")
    p.set_defaults(func=_cmd_fit)

    p = sub.add_parser("encode", help="encode vectors into packed codes with a saved model")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True, help=data_help)
    p.add_argument("--out", required=True, help="output .npy file: one row of n_bits/8 bytes per vector")
    p.set_defaults(func=_cmd_encode)

    p = sub.add_parser("search", help="k nearest codes of query vectors in a code database")
    p.add_argument("--model", required=True)
    p.add_argument("--database", required=True, help="codes .npy from `sigah encode`, or vectors to encode")
    p.add_argument("--queries", required=True, help=data_help)
    p.add_argument("--k", type=_positive_int, default=10)
    p.add_argument("--index", choices=("flat", "mih", "ivf", "hnsw"), default="flat",
                   help="flat: exhaustive scan (exact); mih: multi-index hashing; ivf: inverted file; "
                   "hnsw: graph (the last three approximate; see sigah.search)")
    p.add_argument("--rerank", type=_positive_int, metavar="L",
                   help="re-rank the L nearest codes by exact Euclidean distance on the database vectors")
    p.add_argument("--vectors", help="the database vectors for --rerank (default: --database when it is "
                   "a vector file; needed when --database holds codes)")
    p.add_argument("--out", required=True, help="output .npz with arrays distances (Hamming, or squared "
                   "Euclidean with --rerank) and indices")
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("evaluate", help="fit and score methods against exact neighbours")
    p.add_argument("--data", required=True, help=data_help + "; the database (and training set)")
    p.add_argument("--queries", help="a query file used as is (no random split)")
    p.add_argument("--labels", help="integer class labels of --data, one per vector: records gain label_map_at_1000 "
                   "and label_precision_at_100 (relevant = same label); MNIST has its own")
    p.add_argument("--query-labels", help="class labels of --queries (with --queries and --labels)")
    p.add_argument("--n-queries", type=_positive_int, default=1000, help="random queries drawn from --data (default 1000)")
    p.add_argument("--n-database", type=_positive_int, default=None, help="subsample the database (default: all)")
    p.add_argument("--n-train", type=_positive_int, default=None,
                   help="train on this many database vectors drawn at random (default: the whole database)")
    p.add_argument("--k", type=_positive_int, default=1000, help="true Euclidean neighbours per query (default 1000)")
    p.add_argument("--methods", required=True, help="comma-separated method names, e.g. lsh,itq")
    p.add_argument("--bits", required=True, type=_parse_bits_list, help="comma-separated code lengths, e.g. 32,64")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and of the first repeat")
    p.add_argument("--repeats", type=_positive_int, default=1, help="seeds per method and code length")
    p.add_argument("--param", action="append", metavar="[METHOD.]NAME=VALUE",
                   help="method argument (repeatable): NAME goes to every method that takes it, METHOD.NAME to one")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--no-store", action="store_true",
                   help="fit every method afresh: read and write nothing under $SIGAH_CACHE (neither the "
                        "store of runs nor the ground-truth cache)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("download", help="fetch and check a TEXMEX dataset (sift1m, gist1m)")
    p.add_argument("dataset", choices=("sift1m", "gist1m"))
    p.add_argument("--dest", required=True, help="folder to download and extract into")
    p.add_argument("--url", help="another address of the same archive (a mirror, or a file:// copy)")
    p.add_argument("--trust-unpinned", action="store_true",
                   help="extract an archive whose SHA-256 is pinned nowhere (data/texmex_sha256.json), and record "
                   "its digest beside it for later runs")
    p.set_defaults(func=_cmd_download)

    book = sub.add_parser("book", help="build, run, check or export the book")
    bsub = book.add_subparsers(dest="book_command", required=True, parser_class=_Parser)
    p = bsub.add_parser("build", help="execute every chapter and build the HTML book")
    p.add_argument("--size", choices=("full", "ci"), default="full", help="full-sized or CI-sized parameters")
    p.add_argument("--chapters", help="comma-separated chapters to re-execute (others reuse the last build)")
    p.add_argument("--no-execute", action="store_true", help="rebuild the HTML from the last executed notebooks")
    p.add_argument("--no-strict", action="store_true", help="do not turn Sphinx warnings into errors")
    p.add_argument("--fresh", action="store_true",
                   help="ignore the store of runs: every chapter fits its methods again (in an empty, temporary store)")
    p.add_argument("--repository-url", help="repository address for Colab/Binder launch buttons, "
                   "e.g. https://github.com/OWNER/REPO (default: _config.yml, else GITHUB_REPOSITORY; none: no buttons)")
    p.set_defaults(func=_cmd_book_build)
    p = bsub.add_parser("run", help="execute one chapter with parameters into runs/")
    p.add_argument("chapter", help="chapter name, e.g. 01_evaluation, or path to its .md")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"))
    p.add_argument("--size", choices=("full", "ci"), default="full")
    p.add_argument("--output-dir", default="runs")
    p.set_defaults(func=_cmd_book_run)
    p = bsub.add_parser("check", help="check every built page in headless Chromium")
    p.add_argument("--html", default="_build/html", help="the built book (default _build/html)")
    p.add_argument("--screenshots", default="_build/screenshots", help="where one PNG per page goes")
    p.add_argument("--no-screenshots", action="store_true", help="take no screenshots")
    p.set_defaults(func=_cmd_book_check)
    p = bsub.add_parser("claims", help="print the claims ledger of the last build")
    p.add_argument("--verdicts", default="_build/verdicts", help="the build's verdict records (default _build/verdicts)")
    p.set_defaults(func=_cmd_book_claims)
    p = bsub.add_parser("notebooks", help="export the chapters as plain .ipynb notebooks")
    p.add_argument("dest", help="output folder")
    p.add_argument("--size", choices=("full", "ci"), default="full", help="ci: add the CI-sized parameters")
    p.add_argument("--chapters", help="comma-separated chapters (default: all)")
    p.add_argument("--repository-url", help="add the Colab first cell for this repository (default: as the build)")
    p.set_defaults(func=_cmd_book_notebooks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sigah`` console script."""
    from sigah.tools.build import BookBuildError
    from sigah.hashers.base import NotFittedError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BookBuildError as exc:  # the chapter's own traceback is in the message; ours adds nothing
        print(f"sigah: error: {exc}", file=sys.stderr)
        return 1
    except (UserError, ValueError, FileNotFoundError, NotFittedError, IsADirectoryError, PermissionError) as exc:
        message = str(exc) if not isinstance(exc, FileNotFoundError) or not exc.filename else f"file not found: {exc.filename}"
        print(f"sigah: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sigah: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
