"""The interface every hashing method in :mod:`sigah` shares.

A hasher follows scikit-learn's estimator habits: hyper-parameters are constructor
arguments, ``fit(X)`` learns from an ``(n, d)`` float array and returns ``self``,
``encode(X)`` returns packed binary codes (``uint8``, ``n_bits // 8`` bytes per row,
the layout faiss binary indexes use: bit ``j`` of a code is bit ``j % 8`` (least
significant first) of byte ``j // 8``, set when the sign is ``+1``).

Subclasses implement three methods:

``_fit(X)``
    learn the model from validated ``float32`` data;
``_encode_bits(X) -> bool array (n, n_bits)``
    the unpacked codes, ``True`` for ``+1``;
``_state() -> dict[str, np.ndarray]`` / ``_set_state(state)``
    the learned arrays, for :meth:`Hasher.save` and :meth:`Hasher.load`.

and declare ``name`` (the registry key, used by the ``sigah`` command) and, when ``_fit`` sets
fitted attributes that ``_state`` does not hold (training histories, counts, timings), their names
in ``stored_attributes``: the store of runs (:mod:`sigah.store`) keeps exactly those beside the
model file, and refuses an entry that names any other. The
hyper-parameters are the arguments of the subclass's ``__init__`` (read from its signature,
as scikit-learn does), each stored untouched under its own name; they are validated in
``fit`` (through :func:`sigah.validation.check_scalar` / ``check_choice``), never rewritten,
so :func:`sklearn.base.clone` rebuilds an unfitted copy of any hasher.

After ``_fit``, :meth:`Hasher.fit` checks the training codes for collapse (a bit constant on
almost all of the training set, or far fewer distinct codes than the data allow) and warns
with a ``RuntimeWarning`` naming the method, so a method that silently fails on a new
dataset is noticed.
"""

from __future__ import annotations

import inspect
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sigah.codes import pack_bits
from sigah.progress import report_fit
from sigah.readers import check_npz_sizes
from sigah.storage import atomic_save_npz
from sigah.validation import check_matrix, check_scalar

__all__ = ["Hasher", "NotFittedError", "check_n_bits", "check_features", "collapse_report"]

_FORMAT_VERSION = 1
#: training points encoded by the collapse check after ``fit``
_COLLAPSE_SAMPLE = 1000


class NotFittedError(RuntimeError):
    """Raised when ``encode`` or ``save`` is called before ``fit``."""


def check_n_bits(n_bits: Any, *, multiple_of: int = 8) -> int:
    """Validate a code length.

    Parameters
    ----------
    n_bits : int
        Requested number of bits.
    multiple_of : int
        Code lengths must be positive multiples of this (8: whole bytes).

    Returns
    -------
    int
        ``n_bits`` as a Python int.
    """
    n_bits = check_scalar(n_bits, "n_bits", int, min_val=1)
    if n_bits % multiple_of:
        raise ValueError(f"n_bits must be a positive multiple of {multiple_of}, got {n_bits}")
    return n_bits


def check_features(X: Any, *, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """Validate a feature matrix and return it as C-contiguous ``float32``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Feature vectors, one per row.
    name : str
        Name used in error messages.
    n_features : int, optional
        Required number of columns ``d`` (the dimension the model was fitted on).

    Returns
    -------
    numpy.ndarray, shape (n, d), float32
    """
    X = check_matrix(X, name)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features per row but the model was fitted on {n_features}"
        )
    return X


class Hasher:
    """Base class of all hashing methods.

    Parameters
    ----------
    n_bits : int
        Code length, a positive multiple of 8.
    seed : int
        Seed of every random choice the method makes; the same seed gives the same codes.
    """

    name: ClassVar[str] = "base"
    #: fitted attributes outside the model file that the store of runs keeps and restores (an
    #: allow-list: a stored entry naming any other attribute is refused); subclasses add their own
    stored_attributes: ClassVar[tuple[str, ...]] = ("collapse_check_seconds_",)
    #: constructor arguments, derived from the signature of ``__init__`` (see :meth:`_get_param_names`)
    _param_names: ClassVar[tuple[str, ...]] = ("n_bits", "seed")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # one source of truth: a hand-written list could drift from the signature
        cls._param_names = cls._get_param_names()

    def __init__(self, n_bits: int = 32, seed: int = 0) -> None:
        self.n_bits = n_bits
        self.seed = seed
        self.n_features_: int | None = None

    @classmethod
    def _get_param_names(cls) -> tuple[str, ...]:
        """Names of the constructor arguments, in signature order (scikit-learn's rule: no ``*args``)."""
        signature = inspect.signature(cls.__init__)
        names = []
        for parameter in list(signature.parameters.values())[1:]:
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must list its hyper-parameters explicitly, not {parameter}")
            names.append(parameter.name)
        return tuple(names)

    # -- public API -------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> "Hasher":
        """Learn the hash functions from training data.

        Parameters
        ----------
        X : array_like, shape (n, d)
            Training vectors, one per row (any real values: each method centres and scales
            them as its docstring says, and stores what it used with the model).
        y : None
            Ignored; present so that hashers fit in scikit-learn pipelines.

        Returns
        -------
        self

        Notes
        -----
        After training, the codes of up to 1,000 training points are checked for collapse
        (:func:`collapse_report`; a ``RuntimeWarning`` names the method and the bits). That
        encoding is part of the time ``fit`` takes; ``collapse_check_seconds_`` records it.
        """
        check_n_bits(self.n_bits)
        check_scalar(self.seed, "seed", int, min_val=0)
        self._validate_params()
        X = check_features(X)
        self.n_features_ = X.shape[1]
        start = time.perf_counter()
        try:
            self._fit(X)
        except Exception:
            self.n_features_ = None  # a failed fit leaves the model unfitted
            raise
        self._warn_if_collapsed(X)
        if getattr(self, "progress", False):  # off a terminal no bar was shown: say once what was done
            report_fit(f"{type(self).__name__} ({self.n_bits} bits, seed {self.seed})", time.perf_counter() - start,
                       detail=f"{X.shape[0]} × {X.shape[1]} training vectors")
        return self

    def encode(self, X: Any) -> np.ndarray:
        """Packed binary codes of ``X``.

        Parameters
        ----------
        X : array_like, shape (n, d)

        Returns
        -------
        numpy.ndarray, shape (n, n_bits // 8), uint8
        """
        return pack_bits(self.encode_bits(X))

    def encode_bits(self, X: Any) -> np.ndarray:
        """Unpacked codes of ``X``: a boolean array of shape ``(n, n_bits)``, ``True`` for ``+1``."""
        self._check_fitted()
        X = check_features(X, n_features=self.n_features_)
        bits = np.asarray(self._encode_bits(X), dtype=bool)
        if bits.shape != (X.shape[0], self.n_bits):
            raise AssertionError(f"{type(self).__name__} produced codes of shape {bits.shape}")
        return bits

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, as a dict (scikit-learn style).

        Parameters
        ----------
        deep : bool
            Accepted for scikit-learn compatibility; hashers hold no nested estimators.
        """
        return {k: getattr(self, k) for k in self._get_param_names()}

    def set_params(self, **params: Any) -> "Hasher":
        """Set constructor arguments by name and return ``self`` (validated at the next ``fit``)."""
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{key!r} is not a parameter of {type(self).__name__}; valid: {', '.join(valid)}")
            setattr(self, key, value)
        return self

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model to ``path`` (a ``.npz`` file), atomically.

        The file holds the method name, its constructor arguments (JSON) and the
        learned arrays; :meth:`load` rebuilds an identical model from it.
        """
        self._check_fitted()
        path = Path(path)
        meta = {
            "format_version": _FORMAT_VERSION,
            "method": self.name,
            "params": _jsonable(self.get_params()),
            "n_features": self.n_features_,
        }
        arrays = {f"state__{k}": np.asarray(v) for k, v in self._state().items()}
        arrays["meta_json"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        atomic_save_npz(path, arrays)
        return path

    @staticmethod
    def load(path: str | os.PathLike) -> "Hasher":
        """Load a model written by :meth:`save`, whatever its method."""
        from sigah.hashers import get_hasher_class

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"model file not found: {path}")
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a directory, expected a model file (.npz) written by `sigah fit`")
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":  # np.load would read any .npy whole, then fail
                raise ValueError(f"{path} is not a sigah model file: expected the .npz archive that "
                                 "`sigah fit --model` writes")
        try:
            check_npz_sizes(path)  # np.load would allocate whatever a crafted header claims
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(bytes(f["meta_json"]).decode())
                state = {k[len("state__"):]: f[k] for k in f.files if k.startswith("state__")}
        except (OSError, KeyError, ValueError) as exc:
            raise ValueError(f"{path} is not a sigah model file ({exc})") from None
        if meta.get("format_version") != _FORMAT_VERSION:
            raise ValueError(f"{path}: unsupported model format version {meta.get('format_version')!r}")
        cls = get_hasher_class(meta["method"])
        model = cls(**meta["params"])
        model.n_features_ = meta["n_features"]
        model._set_state(state)
        return model

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- for subclasses ---------------------------------------------------------------------
    def _validate_params(self) -> None:
        """Check hyper-parameters; raise ``ValueError`` naming the argument and the allowed range."""

    def _fit(self, X: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _encode_bits(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _state(self) -> dict[str, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_state(self, state: dict[str, np.ndarray]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _warn_if_collapsed(self, X: np.ndarray) -> None:
        """Warn (``RuntimeWarning``) when the codes of the training set have collapsed."""
        start = time.perf_counter()
        sample = X
        if X.shape[0] > _COLLAPSE_SAMPLE:  # a fixed, seed-independent subsample keeps the check cheap
            sample = X[np.linspace(0, X.shape[0] - 1, _COLLAPSE_SAMPLE).astype(np.int64)]
        problem = collapse_report(self.encode_bits(sample), sample)
        self.collapse_check_seconds_ = time.perf_counter() - start  # part of fit's time, reported apart
        if problem:
            warnings.warn(
                f"{type(self).__name__} ('{self.name}', {self.n_bits} bits): the codes of the training set have "
                f"collapsed: {problem}. Such codes carry little information; check the method's input scaling and "
                f"hyper-parameters.",
                RuntimeWarning,
                stacklevel=3,
            )

    def _checked_input(self, X: Any, name: str = "X") -> np.ndarray:
        """``X`` validated as in :meth:`encode`: fitted model, finite float32 rows of the fitted width."""
        self._check_fitted()
        return check_features(X, name=name, n_features=self.n_features_)

    def _check_fitted(self) -> None:
        if self.n_features_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) first")

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)


def collapse_report(
    bits: np.ndarray, X: np.ndarray | None = None, *, max_constant: float = 0.99, min_distinct: float = 0.01
) -> str:
    """Describe how a set of codes has collapsed, or return ``""`` when it has not.

    Two symptoms count: a bit that takes one value on more than ``max_constant`` of the
    points (it carries almost no information), and far fewer distinct codes than the data
    allow (fewer than ``min_distinct`` times ``min(distinct rows of X, 2^n_bits)``).

    Parameters
    ----------
    bits : numpy.ndarray, shape (n, n_bits), bool
        Unpacked codes of the training points.
    X : numpy.ndarray, shape (n, d), optional
        The points themselves, to count their distinct rows (``n`` when omitted).
    max_constant, min_distinct : float

    Returns
    -------
    str
        Empty when the codes are fine, otherwise a sentence naming the bits and counts.
    """
    bits = np.asarray(bits, dtype=bool)
    n, n_bits = bits.shape
    if n < 2:
        return ""
    ones = bits.mean(axis=0)
    constant = np.flatnonzero(np.maximum(ones, 1.0 - ones) > max_constant)
    problems = []
    if constant.size:
        shown = ", ".join(str(int(j)) for j in constant[:10]) + (", ..." if constant.size > 10 else "")
        problems.append(
            f"{constant.size} of {n_bits} bits take one value on more than {max_constant:.0%} of "
            f"{n} training points (bits {shown})"
        )
    distinct = len(np.unique(np.packbits(bits, axis=1), axis=0))
    rows = n if X is None else len(np.unique(np.asarray(X), axis=0))
    possible = rows if n_bits >= 63 else min(rows, 2**n_bits)
    if distinct < min_distinct * possible:
        problems.append(f"only {distinct} distinct codes for {rows} distinct training points")
    return "; ".join(problems)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in params.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out
