"""A content-addressed store of fitted models, their codes and their records.

Every fit of a method is stored once, under a key that names everything its result depends on:

- the method's registry name and its full constructor parameters (:meth:`Hasher.get_params`, as
  canonical JSON), the seed among them; only ``progress``, which changes what a fit prints and not
  what it computes, is left out;
- a fingerprint of the training matrix: shape, dtype and a BLAKE2b hash of its bytes;
- a hash of the source of the method's code: the hasher's module and, followed through their
  ``import`` statements, the package modules that define its computation (for SiGAH
  ``sigah/hashers/sigah.py`` and ``sigah/sigah_model/*.py``; for ITQ ``sigah/hashers/itq.py``,
  ``sigah/hashers/base.py``, ``sigah/codes.py`` ...). Editing a file therefore invalidates exactly
  the fits whose code reads it;
- the versions of Python and of the libraries that compute (NumPy, SciPy, TensorFlow, Keras,
  scikit-learn, faiss) and the machine's architecture (:func:`sigah.machine.library_versions`): an
  upgrade can change a fit's numbers, so after one every fit is computed again.

An entry is a folder ``<root>/fits/<key[:2]>/<key>/`` holding

``entry.json``
    the key's parts, the fit's wall-clock time and the CPU it ran on, the name and SHA-256 of the
    model file, the fitted attributes that :meth:`Hasher.save` does not keep (training histories,
    only those named by the method's :attr:`Hasher.stored_attributes`), and a checksum of itself;
``model-<sha>.npz``
    the fitted model in :meth:`Hasher.save` format (``sigah encode --model`` reads it);
``codes-<split>.npz``
    the codes of a protocol's queries and database (keyed by the split's fingerprint), with a checksum;
``record-<evaluation>.json``
    the evaluation record of those codes against one ground truth, with a checksum;
``scores-<evaluation>.npz``
    the same evaluation query by query (what :mod:`sigah.stats` resamples), with a checksum.

Every file is written atomically (temporary file + rename, :mod:`sigah.storage`) and carries or is
named by a checksum: a corrupt, truncated or half-written file is detected on reading and treated as
absent, so the fit is recomputed, never used. Two processes writing the same key at once lose
nothing: model files are named by their content, ``entry.json`` is replaced whole, and codes and
records of different splits live in different files.

The checksums detect damage, not tampering: whoever can write the store can re-sign an edited
entry. What an entry can do is therefore limited. Loading one never runs code (``.npz`` without
pickles, JSON), and the attributes it sets on the model must be among those its method declares
(:attr:`Hasher.stored_attributes`): an entry naming any other attribute (``W_``, say) is refused with
a ``RuntimeWarning`` and the fit is redone.

A process killed half-way (``kill -9``) leaves temporary files, and possibly a model file no
``entry.json`` names yet. The first store a process opens on a folder removes them
(:meth:`RunStore.tidy`): temporary files whose writer has exited or that are over an hour old, and
unnamed model files over ten minutes old. An entry folder found replaced by a file is moved aside
and written afresh, with one warning. A store that cannot be written at all (a read-only or full
disk, a file where its folder goes) costs time, never a result: the fit is computed and returned,
and one ``RuntimeWarning`` per store says that it was not stored.

Location: the folder in the environment variable ``SIGAH_CACHE``; by default ``_build/store`` in a
source checkout, else ``$XDG_CACHE_HOME/sigah`` (``~/.cache/sigah``). The exact ground-truth cache
of :mod:`sigah.studies.experiments` lives in its ``groundtruth/`` sub-folder. Pass ``store=None`` to the
functions that take a store to disable it.

Each process counts its hits and misses (:func:`counts`); when the environment variable
``SIGAH_STORE_LOG`` names a file, one JSON line per fit is appended to it (the book build uses this
to report, per chapter, how many fits were computed and how many came from the store).
"""

from __future__ import annotations

import ast
import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sigah import machine
from sigah.storage import (
    STALE_SECONDS, atomic_save_npz, atomic_write_text, error_about, is_stale_temporary, remove_stale_temporaries,
    sha256_file, temporary_name,
)

__all__ = [
    "DEFAULT", "ENV_CACHE", "ENV_LOG", "ORPHAN_SECONDS", "RunStore", "cache_root", "counts", "data_fingerprint", "default_store",
    "fit_cached", "fit_key", "load_or_fit", "load_stored_fit", "method_source_files", "method_source_hash", "reset_counts", "resolve_store",
]

#: environment variable naming the cache root (store of fits and ground-truth cache)
ENV_CACHE = "SIGAH_CACHE"
#: environment variable naming a JSON-lines file that receives one line per fit
ENV_LOG = "SIGAH_STORE_LOG"
#: bump when the layout or the meaning of an entry changes, so old entries are not read
#: (2: the key names the library versions and the architecture; attributes are allow-listed)
_FORMAT = 2
#: a model file no entry names is removed once this old (a writer names it milliseconds after writing it)
ORPHAN_SECONDS = 600.0
_MODEL_FILE = re.compile(r"model-[0-9a-f]{32}\.npz")
_PACKAGE_DIR = Path(__file__).resolve().parent
# Package modules that do not define any method's computation (registry, file writing and reading,
# progress display, version lookup, this store and the store of other results).
_NOT_COMPUTATION = frozenset({
    "sigah", "sigah.hashers", "sigah.storage", "sigah.store", "sigah.stored_results", "sigah.machine", "sigah.progress",
    "sigah.readers",
})
# Constructor arguments that change how a fit reports, not what it computes: left out of the key.
_NOT_RESULT_PARAMS = frozenset({"progress", "verbose"})


class _DefaultStore:
    """Marker for "the shared store of this process' ``SIGAH_CACHE``" (resolved at call time)."""

    def __repr__(self) -> str:
        return "DEFAULT"


#: the shared store, resolved from ``SIGAH_CACHE`` when a function runs
DEFAULT = _DefaultStore()

_COUNTS = {"hits": 0, "misses": 0, "unstored": 0}


# -- location ---------------------------------------------------------------------------------
def cache_root() -> Path:
    """The cache root: ``$SIGAH_CACHE``, else ``<checkout>/_build/store``, else ``~/.cache/sigah``.

    Raises
    ------
    ValueError
        If ``$SIGAH_CACHE`` names a file, or a path below one, instead of a folder.
    """
    env = os.environ.get(ENV_CACHE)
    if env:
        root = Path(env)
        for level in (root, *root.parents):
            if os.path.lexists(level):
                if not level.is_dir():
                    where = "" if level == root else f" ({level} is a file)"
                    raise ValueError(f"{ENV_CACHE}={env} is not a folder{where}: set it to a folder, "
                                     f"or to a path where one can be created")
                break
        return root
    checkout = _PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "_toc.yml").is_file():
        return checkout / "_build" / "store"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sigah"


def default_store() -> RunStore:
    """The shared store under :func:`cache_root` (``fits/`` sub-folder).

    The first call of a process also removes stale temporary files from the other caches under the
    root (``groundtruth/``, ``features/``, ``results/``): what writers killed half-way left there.
    """
    root = cache_root()
    marker = os.path.abspath(root)
    if marker not in _TIDIED:
        _TIDIED.add(marker)
        for folder in (root / "groundtruth", root / "features", root / "results"):
            with contextlib.suppress(OSError):
                remove_stale_temporaries(folder)
    return RunStore(root / "fits")


def resolve_store(store: RunStore | _DefaultStore | str | os.PathLike | None) -> RunStore | None:
    """``DEFAULT`` → the shared store; a path → a store there; ``None`` → ``None`` (disabled)."""
    if store is None or isinstance(store, RunStore):
        return store
    if isinstance(store, _DefaultStore):
        return default_store()
    if isinstance(store, (str, os.PathLike)):
        return RunStore(store)
    raise ValueError(f"store must be a RunStore, a folder, DEFAULT or None, got {type(store).__name__}")


# -- counters and log ---------------------------------------------------------------------------
def counts() -> dict[str, int]:
    """Fits of this process: ``hits`` (read from the store), ``misses`` (computed and stored),
    ``unstored`` (computed with the store disabled)."""
    return dict(_COUNTS)


def reset_counts() -> None:
    """Set this process' counters back to zero."""
    for name in _COUNTS:
        _COUNTS[name] = 0


def _count(event: str, hasher: Any, key: str, fit_seconds: float) -> None:
    _COUNTS[{"hit": "hits", "miss": "misses", "unstored": "unstored"}[event]] += 1
    append_log({"event": event, "method": hasher.name, "bits": int(hasher.n_bits), "seed": int(hasher.seed),
                "key": key[:16], "fit_seconds": round(float(fit_seconds), 3)})


def append_log(record: Mapping[str, Any]) -> None:
    """Append ``record`` as one JSON line to the file ``SIGAH_STORE_LOG`` names (nothing when unset).

    One short line per write, opened in append mode: concurrent writers do not interleave lines.
    """
    log = os.environ.get(ENV_LOG)
    if not log:
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(dict(record)) + "\n")


# -- keys ---------------------------------------------------------------------------------------
def _canonical(value: Any) -> Any:
    """Parameters as plain JSON values: numpy scalars to Python, tuples to lists, mappings sorted."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return {"__array__": value.dtype.str, "shape": list(value.shape), "values": value.ravel().tolist()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"cannot store a fit whose parameter has type {type(value).__name__} ({value!r})")


def _canonical_json(value: Any) -> str:
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), allow_nan=True)


def data_fingerprint(X: np.ndarray) -> str:
    """Shape, dtype and BLAKE2b-128 hash of the bytes of ``X`` (C order), as one string.

    Parameters
    ----------
    X : numpy.ndarray, any shape

    Returns
    -------
    str
        e.g. ``"float32(69000, 784):3f2a..."``; equal strings mean equal arrays.
    """
    X = np.ascontiguousarray(X)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(memoryview(X).cast("B"))
    return f"{X.dtype.str}{tuple(X.shape)}:{digest.hexdigest()}"


def _module_file(name: str, root: Path) -> Path | None:
    """The source file of package module ``name`` under the package folder ``root`` (None if not one)."""
    parts = name.split(".")
    if parts[0] != "sigah":
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path, module: str) -> set[str]:
    """Names of the ``sigah`` modules imported anywhere in ``path`` (also inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # submodules imported by name
    return {name for name in found if name == "sigah" or name.startswith("sigah.")}


def method_source_files(module: str, *, root: str | os.PathLike | None = None) -> dict[str, Path]:
    """The package modules a method's computation reads: ``module`` and what it imports, transitively.

    Parameters
    ----------
    module : str
        The hasher's module, e.g. ``"sigah.hashers.itq"``.
    root : path, optional
        The ``sigah`` package folder to read (default: this package).

    Returns
    -------
    dict of str to pathlib.Path
        Module name → source file, sorted by name. The registry, file-writing helpers and this
        store are left out: they do not change what a fit computes.
    """
    root = Path(root) if root is not None else _PACKAGE_DIR
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or name in _NOT_COMPUTATION:
            continue
        path = _module_file(name, root)
        if path is None:
            continue
        seen[name] = path
        todo.extend(_imported_modules(path, name))
    if module not in seen:
        raise ValueError(f"no source file for module {module!r} under {root}")
    return dict(sorted(seen.items()))


@functools.cache
def _source_hash_cached(module: str, root: str, stamps: tuple) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for name, path in method_source_files(module, root=root).items():
        digest.update(f"|{name}|".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def method_source_hash(module: str, *, root: str | os.PathLike | None = None) -> str:
    """BLAKE2b-128 hex digest of the sources :func:`method_source_files` lists (re-read when a file changes)."""
    root = Path(root) if root is not None else _PACKAGE_DIR
    files = method_source_files(module, root=root)
    stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files.values())
    return _source_hash_cached(module, str(root), stamps)


def _result_params(hasher: Any) -> dict[str, Any]:
    """The constructor arguments that change what a fit computes."""
    return {k: v for k, v in hasher.get_params().items() if k not in _NOT_RESULT_PARAMS}


def fit_key(hasher: Any, train_fingerprint: str) -> tuple[str, dict[str, Any]]:
    """The store key of fitting ``hasher`` (not yet fitted) on the data of ``train_fingerprint``.

    Returns
    -------
    key : str
        SHA-256 hex digest of the canonical JSON of ``parts``.
    parts : dict
        ``format, method, params, seed, train, source, versions`` (what the key is made of;
        ``versions`` is :func:`sigah.machine.library_versions`).
    """
    parts = {
        "format": _FORMAT,
        "method": hasher.name,
        "params": _canonical(_result_params(hasher)),
        "seed": _canonical(getattr(hasher, "seed", None)),
        "train": train_fingerprint,
        "source": method_source_hash(type(hasher).__module__),
        "versions": dict(machine.library_versions()),
    }
    return hashlib.sha256(_canonical_json(parts).encode()).hexdigest(), parts


# -- checked files ------------------------------------------------------------------------------


def _write_checked_json(path: Path, body: dict[str, Any]) -> None:
    text = _canonical_json(body)
    atomic_write_text(path, json.dumps({"checksum": hashlib.sha256(text.encode()).hexdigest(), "body": json.loads(text)}))


def _read_checked_json(path: Path) -> dict[str, Any] | None:
    """The body of a file written by :func:`_write_checked_json`, or None if absent or damaged."""
    try:
        wrapper = json.loads(path.read_text(encoding="utf-8"))
        text = _canonical_json(wrapper["body"])
        if hashlib.sha256(text.encode()).hexdigest() != wrapper["checksum"]:
            return None
        return wrapper["body"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _array_checksum(arrays: Mapping[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"|{name}|{array.dtype.str}{array.shape}|".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def _write_checked_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    out = {k: np.asarray(v) for k, v in arrays.items()}
    out["checksum"] = np.array(_array_checksum(out))
    atomic_save_npz(path, out)


def _read_checked_npz(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception:  # a truncated or overwritten zip raises many kinds of errors: all mean "damaged"
        return None
    checksum = arrays.pop("checksum", None)
    if checksum is None or str(checksum) != _array_checksum(arrays):
        return None
    return arrays


def _to_json(value: Any) -> Any:
    """A fitted attribute as JSON; numpy arrays and scalars tagged so they come back with their dtype."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.dtype.str, "shape": list(value.shape), "values": value.ravel().tolist()}
    if isinstance(value, np.generic):
        return {"__npscalar__": value.dtype.str, "value": value.item()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(type(value).__name__)


def _from_json(value: Any) -> Any:
    """Inverse of :func:`_to_json` (tuples come back as lists)."""
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.array(value["values"], dtype=value["__ndarray__"]).reshape(value["shape"])
        if "__npscalar__" in value:
            return np.dtype(value["__npscalar__"]).type(value["value"])
        return {k: _from_json(v) for k, v in value.items()}
    return value


# -- the store ----------------------------------------------------------------------------------
#: folders tidied by this process (:meth:`RunStore.tidy` runs once per folder and process)
_TIDIED: set[str] = set()
#: stores this process found it cannot write (warned about once)
_UNWRITABLE: set[str] = set()


class RunStore:
    """Fitted models, codes and records, content-addressed under one folder.

    The first store a process opens on a folder tidies it (:meth:`tidy`).

    Parameters
    ----------
    folder : path
        Where entries live (created on first write).
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        marker = os.path.abspath(self.folder)
        if marker not in _TIDIED:
            _TIDIED.add(marker)
            self.tidy()

    def __repr__(self) -> str:
        return f"RunStore({str(self.folder)!r})"

    def entry_dir(self, key: str) -> Path:
        """The folder of entry ``key``."""
        return self.folder / key[:2] / key

    # upkeep ------------------------------------------------------------------------------------
    def tidy(self) -> list[Path]:
        """Remove what killed writers left behind; never fails (a store is usable untidied).

        Removed: temporary files whose writer has exited or that are over
        :data:`sigah.storage.STALE_SECONDS` old, and model files that no ``entry.json`` of their
        folder names and that are over :data:`ORPHAN_SECONDS` old.

        Returns
        -------
        list of pathlib.Path
            The files removed.
        """
        removed: list[Path] = []
        now = time.time()
        folders = [self.folder]  # the root, then its key prefixes, then their entry folders
        while folders:
            folder = folders.pop()
            try:
                children = list(folder.iterdir())
                if folder.parent.parent == self.folder:  # an entry folder
                    removed += _tidy_entry(folder, now)
                    continue
                removed += _remove_stale(children, now)
                folders += [child for child in children if child.is_dir() and not child.is_symlink()]
            except OSError:
                continue  # another process removing the same files, or an unreadable folder: not ours to fix
        return removed

    def _make_entry_dir(self, key: str) -> Path:
        """The folder of ``key``, created; a file in the way of it (damage) is moved aside first."""
        folder = self.entry_dir(key)
        if os.path.lexists(self.folder) and not self.folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "the store of runs is a file, expected a folder", str(self.folder))
        for level in (folder.parent, folder):
            if os.path.lexists(level) and not level.is_dir():
                aside = temporary_name(level)
                try:
                    os.replace(level, aside)  # atomic: readers see the file or nothing, never a mixture
                except FileNotFoundError:
                    continue  # a concurrent writer moved it first
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(aside)
                warnings.warn(f"the store entry {level} was a file, not a folder: it is replaced by a fresh "
                              f"entry", RuntimeWarning, stacklevel=3)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @contextlib.contextmanager
    def _writing(self) -> Any:
        """Writes that fail (a read-only or full disk, a file in the way) cost time, never the result:
        the computed fit, codes or record is still returned, and one warning per store says why."""
        try:
            yield
        except OSError as exc:
            marker = os.path.abspath(self.folder)
            if marker not in _UNWRITABLE:
                _UNWRITABLE.add(marker)
                warnings.warn(f"the store of runs {self.folder} cannot be written ({exc}): results are computed "
                              f"but not stored", RuntimeWarning, stacklevel=4)

    # model -------------------------------------------------------------------------------------
    def put_model(self, key: str, parts: Mapping[str, Any], hasher: Any, fit_seconds: float) -> None:
        """Store a fitted ``hasher`` (and the fit's wall-clock time) under ``key``.

        A store that cannot be written warns once and stores nothing (see :meth:`_writing`).
        """
        with self._writing():
            self._put_model(key, parts, hasher, fit_seconds)

    def _put_model(self, key: str, parts: Mapping[str, Any], hasher: Any, fit_seconds: float) -> None:
        folder = self._make_entry_dir(key)
        tmp = temporary_name(folder / "model.npz")
        try:
            hasher.save(tmp)
            sha = sha256_file(tmp)
            model_file = f"model-{sha[:32]}.npz"
            os.replace(tmp, folder / model_file)  # named by content: a concurrent writer never overwrites it
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise error_about(exc, folder / "model.npz") from None  # never name the temporary file
            raise
        _write_checked_json(folder / "entry.json", {
            "key": key,
            "parts": dict(parts),
            "model_file": model_file,
            "model_sha256": sha,
            "fit_seconds": float(fit_seconds),
            "cpu": machine.cpu_model(),
            "attributes": _extra_attributes(hasher),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })

    def entry_cpu(self, key: str) -> str | None:
        """The CPU the fit stored under ``key`` ran on, as its entry records it (None: no entry, or
        an entry written before the CPU was recorded)."""
        entry = _read_checked_json(self.entry_dir(key) / "entry.json")
        cpu = entry.get("cpu") if entry is not None and entry.get("key") == key else None
        return str(cpu) if cpu else None

    def get_model(self, key: str) -> tuple[Any, dict[str, Any]] | None:
        """``(fitted hasher, entry)`` for ``key``, or None if absent, damaged or refused.

        Never a partial model. An entry whose ``attributes`` name anything the method does not
        declare (:attr:`Hasher.stored_attributes`) is refused with a ``RuntimeWarning``.
        """
        from sigah.hashers import Hasher

        folder = self.entry_dir(key)
        entry = _read_checked_json(folder / "entry.json")
        if entry is None or entry.get("key") != key:
            return None
        model_file, sha = str(entry.get("model_file", "")), str(entry.get("model_sha256", ""))
        if not _MODEL_FILE.fullmatch(model_file) or model_file != f"model-{sha[:32]}.npz":
            return None  # only a file of this folder, named by its content, is ever read
        try:
            if sha256_file(folder / model_file) != sha:
                return None
            model = Hasher.load(folder / model_file)
        except (OSError, ValueError, KeyError, MemoryError):
            return None
        parts = entry.get("parts") or {}
        if (model.name != parts.get("method")
                or _canonical_json(_result_params(model)) != _canonical_json(parts.get("params"))):
            return None  # a model of another method or other parameters than the key names
        if not _attributes_allowed(entry, type(model), key):
            return None
        try:
            values = {name: _from_json(value) for name, value in (entry.get("attributes") or {}).items()}
        except (ValueError, TypeError):
            return None
        for name, value in values.items():
            setattr(model, name, value)
        return model, entry

    # codes -------------------------------------------------------------------------------------
    def put_codes(self, key: str, split: str, query_codes: np.ndarray, database_codes: np.ndarray,
                  encode_seconds: float) -> None:
        """Store the codes of one split's queries and database under ``key``."""
        with self._writing():
            _write_checked_npz(self._make_entry_dir(key) / f"codes-{_short(split)}.npz", {
                "split": np.array(split), "query_codes": query_codes, "database_codes": database_codes,
                "encode_seconds": np.array(float(encode_seconds)),
            })

    def get_codes(self, key: str, split: str) -> tuple[np.ndarray, np.ndarray, float] | None:
        """``(query_codes, database_codes, encode_seconds)`` of ``split``, or None."""
        arrays = _read_checked_npz(self.entry_dir(key) / f"codes-{_short(split)}.npz")
        if arrays is None or str(arrays.get("split")) != split:
            return None
        return arrays["query_codes"], arrays["database_codes"], float(arrays["encode_seconds"])

    # records -----------------------------------------------------------------------------------
    def put_record(self, key: str, evaluation: str, record: Mapping[str, Any]) -> None:
        """Store one evaluation record of the codes of ``key`` (``evaluation`` names split and ground truth)."""
        with self._writing():
            _write_checked_json(self._make_entry_dir(key) / f"record-{_short(evaluation)}.json",
                                {"evaluation": evaluation, "record": dict(record)})

    def get_record(self, key: str, evaluation: str) -> dict[str, Any] | None:
        """The stored record, or None (also when the entry of its fit is refused: a forged entry's
        records are not trusted either)."""
        from sigah.hashers import get_hasher_class

        entry = _read_checked_json(self.entry_dir(key) / "entry.json")
        if entry is not None:
            try:
                method = get_hasher_class(str((entry.get("parts") or {}).get("method")))
            except ValueError:
                return None
            if entry.get("key") != key or not _attributes_allowed(entry, method, key):
                return None
        body = _read_checked_json(self.entry_dir(key) / f"record-{_short(evaluation)}.json")
        if body is None or body.get("evaluation") != evaluation:
            return None
        return dict(body["record"])

    # per-query scores ---------------------------------------------------------------------------
    def put_scores(self, key: str, evaluation: str, scores: Mapping[str, np.ndarray]) -> None:
        """Store the per-query scores of one evaluation of the codes of ``key`` (one array per metric)."""
        with self._writing():
            _write_checked_npz(self._make_entry_dir(key) / f"scores-{_short(evaluation)}.npz",
                               {"evaluation": np.array(evaluation), **{f"score:{k}": v for k, v in scores.items()}})

    def get_scores(self, key: str, evaluation: str) -> dict[str, np.ndarray] | None:
        """The stored per-query scores ``{metric: array of shape (n_queries,)}``, or None."""
        arrays = _read_checked_npz(self.entry_dir(key) / f"scores-{_short(evaluation)}.npz")
        if arrays is None or str(arrays.get("evaluation")) != evaluation:
            return None
        return {k.removeprefix("score:"): v for k, v in arrays.items() if k.startswith("score:")}


def _attributes_allowed(entry: Mapping[str, Any], method: type, key: str) -> bool:
    """Whether every attribute ``entry`` sets is one ``method`` declares; warns when not."""
    attributes = entry.get("attributes") or {}
    allowed = set(method.stored_attributes)
    refused = sorted(set(attributes) - allowed) if isinstance(attributes, dict) else ["(not a mapping)"]
    if refused:
        warnings.warn(
            f"the store entry {key[:16]} of {method.name} sets attributes {refused} that {method.__name__} "
            f"does not declare (it declares {sorted(allowed)}): the entry is refused and the fit is redone",
            RuntimeWarning, stacklevel=4)
    return not refused


def _remove_stale(paths: Any, now: float) -> list[Path]:
    removed = []
    for path in paths:
        if is_stale_temporary(path, now=now, max_age=STALE_SECONDS):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _tidy_entry(folder: Path, now: float) -> list[Path]:
    """Stale temporary files of one entry folder, and model files its ``entry.json`` does not name."""
    names = os.listdir(folder)
    removed = _remove_stale((folder / name for name in names), now)
    models = [name for name in names if name.startswith("model-") and name.endswith(".npz")]
    if not models or (len(models) == 1 and "entry.json" in names):
        return removed  # the usual entry: its one model file is the one it names (checked when read)
    entry = _read_checked_json(folder / "entry.json") if "entry.json" in names else None
    named = entry.get("model_file") if entry else None
    for name in models:
        path = folder / name
        if name == named:
            continue
        with contextlib.suppress(FileNotFoundError):
            if now - path.lstat().st_mtime > ORPHAN_SECONDS:
                path.unlink()
                removed.append(path)
    return removed


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _extra_attributes(hasher: Any) -> dict[str, Any]:
    """The fitted attributes the method declares in ``stored_attributes`` (those the model file lacks)."""
    out = {}
    for name in type(hasher).stored_attributes:
        if name not in vars(hasher):
            continue
        try:
            out[name] = _to_json(vars(hasher)[name])
        except (TypeError, ValueError):
            continue  # not representable: a reloaded model simply lacks it
    return out


# -- one fit ------------------------------------------------------------------------------------
def _adopt_stored_fit(store: RunStore, hasher: Any, key: str) -> float | None:
    """Give ``hasher`` the learned state stored under ``key`` (counted as a hit) and return the
    original fit's seconds, or None when no intact model is stored there."""
    found = store.get_model(key)
    if found is None:
        return None
    model, entry = found
    params = set(hasher.get_params())
    for name, value in vars(model).items():
        if name not in params:  # keep the caller's parameter objects, take the learned state
            setattr(hasher, name, value)
    _count("hit", hasher, key, entry["fit_seconds"])
    return float(entry["fit_seconds"])


def load_stored_fit(hasher: Any, train_fingerprint: str, *, store: Any = DEFAULT) -> bool:
    """Give ``hasher`` (not yet fitted) its stored fit on the training data of ``train_fingerprint``.

    Parameters
    ----------
    hasher : sigah.hashers.Hasher
    train_fingerprint : str
        :func:`data_fingerprint` of the training set.
    store : RunStore, DEFAULT or None

    Returns
    -------
    bool
        Whether an intact stored model was found (and counted as a hit); the hasher is left
        unfitted otherwise.
    """
    store = resolve_store(store)
    return store is not None and _adopt_stored_fit(store, hasher, fit_key(hasher, train_fingerprint)[0]) is not None


def load_or_fit(hasher: Any, X_train: np.ndarray, *, store: Any = DEFAULT,
                train_fingerprint: str | None = None) -> tuple[Any, str, float, bool]:
    """Load the fit of ``hasher`` on ``X_train`` from the store, or fit and store it.

    Returns
    -------
    hasher : Hasher
        The same object, fitted (its learned state copied from the store on a hit).
    key : str
        The store key ("" with the store disabled).
    fit_seconds : float
        Wall-clock time of the fit (the original fit's time on a hit).
    from_store : bool
    """
    store = resolve_store(store)
    if store is None:
        start = time.perf_counter()
        hasher.fit(X_train)
        seconds = time.perf_counter() - start
        _count("unstored", hasher, "", seconds)
        return hasher, "", seconds, False
    key, parts = fit_key(hasher, train_fingerprint or data_fingerprint(np.asarray(X_train)))
    fit_seconds = _adopt_stored_fit(store, hasher, key)
    if fit_seconds is not None:
        return hasher, key, fit_seconds, True
    start = time.perf_counter()
    hasher.fit(X_train)
    seconds = time.perf_counter() - start
    store.put_model(key, parts, hasher, seconds)
    _count("miss", hasher, key, seconds)
    return hasher, key, seconds, False


def fit_cached(hasher: Any, X_train: Any, *, store: Any = DEFAULT) -> Any:
    """``hasher.fit(X_train)``, read from the store when this exact fit was stored before.

    Parameters
    ----------
    hasher : sigah.hashers.Hasher
        Not yet fitted; its parameters (seed included) are part of the key.
    X_train : array_like, shape (n, d)
    store : RunStore, path, DEFAULT or None
        ``DEFAULT``: the shared store (``SIGAH_CACHE``); ``None``: fit without the store.

    Returns
    -------
    sigah.hashers.Hasher
        ``hasher`` itself, fitted: identical codes to a fresh ``fit``.
    """
    X = np.asarray(X_train)
    return load_or_fit(hasher, X, store=store)[0]
