"""Results of a chapter's own computations kept beside the fits: a rebuild after a prose edit reads them.

The store of runs (:mod:`sigah.store`) keeps fitted models; some chapters also compute things that
are not a fit of one method (the phase-transition grid of basis pursuit, the timing studies of
chapter *Training time*) and take minutes. :func:`computed_or_stored` keeps such a result under a
key that names everything it depends on, the same way a fit's key does:

- the result's name and its inputs (canonical JSON; arrays by their fingerprint);
- a hash of the source of the package modules named by the caller, followed through their imports
  (:func:`sigah.store.method_source_hash`): editing the code invalidates the result;
- the versions of Python and of the libraries that compute, and the machine's architecture.

A result is a :class:`pandas.DataFrame` or a mapping of names to arrays and scalars. It is written
atomically as one checked JSON file ``<root>/results/<key[:2]>/<key>.json`` with the CPU it was
computed on, when, and in how many seconds, so that a chapter can say of every number whether this
run computed it or read it (:class:`Provenance`); a damaged file is treated as absent. Each lookup
appends a line to ``SIGAH_STORE_LOG`` (events ``result-hit`` and ``result-miss``), so that the
build's status page counts the results read back.

A time measured in an earlier run is a measurement of that run: chapters that read timings back
say so beside them, with the CPU, and take a parameter that measures them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sigah import machine
from sigah.store import (
    DEFAULT, _canonical_json, _DefaultStore, _from_json, _read_checked_json, _to_json,
    _write_checked_json, append_log, cache_root, data_fingerprint, method_source_hash,
)

__all__ = ["Provenance", "UnstorableResult", "computed_or_stored", "provenance_phrase", "result_key"]

#: bump when the layout or the meaning of a stored result changes
_FORMAT = 1


@dataclass(frozen=True)
class Provenance:
    """Where a result comes from.

    Attributes
    ----------
    from_store : bool
        True when read from the store (computed by an earlier run), False when computed now.
    seconds : float
        Wall-clock seconds the computation took, in whichever run made it.
    cpu : str
        The CPU it ran on (:func:`sigah.machine.cpu_model`).
    created : str
        When it was computed (UTC, ISO 8601).
    """

    from_store: bool
    seconds: float
    cpu: str
    created: str


def _inputs_json(value: Any) -> Any:
    """Inputs as canonical JSON values; an array stands for itself by its fingerprint."""
    if isinstance(value, np.ndarray):
        return {"__fingerprint__": data_fingerprint(value)}
    if isinstance(value, Mapping):
        return {str(k): _inputs_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_inputs_json(v) for v in value]
    return value


def result_key(name: str, inputs: Mapping[str, Any], modules: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The key of result ``name`` computed from ``inputs`` by the code of ``modules``.

    Parameters
    ----------
    name : str
        What the result is, e.g. ``"phase_transition"``.
    inputs : mapping
        Everything else the result depends on: parameters (JSON values, tuples, numpy scalars) and
        arrays (keyed by their content).
    modules : sequence of str
        Package modules whose code computes it, e.g. ``["sigah.cs.measurements"]``; the modules
        they import are followed.

    Returns
    -------
    key : str
        SHA-256 hex digest of the canonical JSON of ``parts``.
    parts : dict
        ``format, result, inputs, source, versions``.

    Raises
    ------
    ValueError
        When ``modules`` is empty or names no module of the package, or an input is not a JSON
        value, a numpy array or scalar.
    """
    if not modules:
        raise ValueError(f"result {name!r} needs the modules that compute it, got none")
    parts = {
        "format": _FORMAT,
        "result": str(name),
        "inputs": json.loads(_canonical_json(_inputs_json(dict(inputs)))),
        "source": {module: method_source_hash(module) for module in sorted(modules)},
        "versions": dict(machine.library_versions()),
    }
    return hashlib.sha256(_canonical_json(parts).encode()).hexdigest(), parts


class UnstorableResult(ValueError):
    """A result of a kind the store cannot keep and read back unchanged."""


def _is_numpy(dtype: Any) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind in "biuf"


def _encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        raise UnstorableResult("a stored frame needs a default index (0, 1, ...): reset_index() it first")
    labels = list(frame.columns)
    if not all(isinstance(c, str) for c in labels) or frame.columns.name is not None:
        raise UnstorableResult(f"a stored frame needs unnamed string column labels, got {labels!r}")
    columns = [frame[c] for c in labels]
    for label, column in zip(labels, columns):
        if not (_is_numpy(column.dtype) or column.dtype == object or str(column.dtype) == "str"):
            raise UnstorableResult(f"column {label!r} has dtype {column.dtype}: stored frames hold numbers, "
                                   "booleans and strings")
    # numeric and boolean columns keep their numpy dtype; strings and objects their pandas one
    return {"kind": "frame", "columns": labels,
            "dtypes": [{"numpy": c.dtype.str} if _is_numpy(c.dtype) else {"pandas": str(c.dtype)} for c in columns],
            "values": [_to_json(c.to_numpy()) if _is_numpy(c.dtype) else c.tolist() for c in columns]}


def _encode(value: Any) -> dict[str, Any]:
    """The JSON body of a result; raises :class:`UnstorableResult` for what would not read back equal."""
    if isinstance(value, pd.DataFrame):
        encoded = _encode_frame(value)
    elif isinstance(value, Mapping) and value and all(isinstance(v, pd.DataFrame) for v in value.values()):
        encoded = {"kind": "frames", "names": [str(k) for k in value],
                   "frames": [_encode_frame(v) for v in value.values()]}
    elif isinstance(value, Mapping):
        try:
            encoded = {"kind": "mapping", "values": _to_json(dict(value))}
        except TypeError as exc:
            raise UnstorableResult(f"a value of the result is not JSON: a {exc}") from None
    else:
        raise UnstorableResult(f"a stored result is a DataFrame or a mapping, got {type(value).__name__}")
    if isinstance(value, Mapping) and not all(isinstance(k, str) for k in value):
        raise UnstorableResult(f"a stored mapping needs string keys, got {list(value)!r}")
    try:
        _canonical_json(encoded)  # everything in it must be JSON (a pandas NA or a timestamp is not)
    except (TypeError, ValueError) as exc:
        raise UnstorableResult(f"a value of the result is not JSON: {exc}") from None
    return encoded


def _decode(body: Mapping[str, Any]) -> Any:
    if body["kind"] == "frames":
        return {name: _decode(frame) for name, frame in zip(body["names"], body["frames"])}
    if body["kind"] == "frame":
        columns = {name: _from_json(values) if "numpy" in dtype else pd.Series(values, dtype=dtype["pandas"])
                   for name, dtype, values in zip(body["columns"], body["dtypes"], body["values"])}
        return pd.DataFrame(columns, columns=body["columns"])
    return _from_json(body["values"])


def _results_folder(store: Any) -> Path | None:
    if store is None:
        return None
    if isinstance(store, _DefaultStore):
        return cache_root() / "results"
    if isinstance(store, (str, os.PathLike)):
        return Path(store)
    raise ValueError(f"store must be a folder, DEFAULT or None, got {type(store).__name__}")


def _log(event: str, name: str, key: str, seconds: float) -> None:
    append_log({"event": event, "result": name, "key": key[:16], "seconds": round(float(seconds), 3)})


def computed_or_stored(
    name: str,
    inputs: Mapping[str, Any],
    compute: Callable[[], Any],
    *,
    modules: Sequence[str],
    store: Any = DEFAULT,
    reuse: bool = True,
) -> tuple[Any, Provenance]:
    """``compute()``, or the result an earlier run stored for the same name, inputs, code and libraries.

    Parameters
    ----------
    name, inputs, modules
        As in :func:`result_key`.
    compute : callable
        Returns the result: a :class:`pandas.DataFrame` with a default index and string column
        labels (numeric, boolean and string columns), a mapping of names to such frames, or a
        mapping of names to arrays, numpy scalars and JSON values. A result of another kind is
        returned and not stored, with a ``RuntimeWarning``.
    store : DEFAULT, path or None
        ``DEFAULT``: ``results/`` under :func:`sigah.store.cache_root`; a folder; None: compute and
        keep nothing.
    reuse : bool
        False computes again (and replaces what is stored), e.g. to measure times in this run.

    Returns
    -------
    result
        What ``compute`` returned, or its stored copy (same columns, dtypes and values).
    provenance : Provenance
    """
    folder = _results_folder(store)
    key, parts = result_key(name, inputs, modules)
    path = folder / key[:2] / f"{key}.json" if folder is not None else None
    if path is not None and reuse:
        body = _read_checked_json(path)
        if body is not None and body.get("key") == key:
            _log("result-hit", name, key, body["seconds"])
            return _decode(body["result"]), Provenance(True, float(body["seconds"]), body["cpu"], body["created"])
    start = time.perf_counter()
    result = compute()
    seconds = time.perf_counter() - start
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    provenance = Provenance(False, seconds, machine.cpu_model(), created)
    if path is not None:
        try:  # what cannot be stored, or a store that cannot be written, costs time, never the result
            encoded = _encode(result)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_checked_json(path, {"key": key, "parts": parts, "seconds": seconds, "cpu": provenance.cpu,
                                       "created": created, "result": encoded})
        except (OSError, UnstorableResult) as exc:
            warnings.warn(f"the result {name!r} was computed but not stored in {folder} ({exc})",
                          RuntimeWarning, stacklevel=2)
        _log("result-miss", name, key, seconds)
    return result, provenance


def provenance_phrase(provenance: Provenance, verb: str = "computed") -> str:
    """Where a result comes from, in words.

    Parameters
    ----------
    provenance : Provenance
    verb : str
        What the work was (``"measured"`` for timings).

    Returns
    -------
    str
        ``"computed in this run (12 s)"``, or ``"read from the store of runs (computed on 2026-12-04
        in 12 s, on AMD EPYC)"``.
    """
    took = f"{provenance.seconds:,.0f}\u00a0s" if provenance.seconds >= 1 else f"{provenance.seconds:.2f}\u00a0s"
    if not provenance.from_store:
        return f"{verb} in this run ({took})"
    return (f"read from the store of runs ({verb} on {provenance.created[:10]} in {took}, "
            f"on {provenance.cpu})")
