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

and declare ``name`` (the registry key, used by the ``sigah`` command) and
``_param_names`` (the constructor arguments saved with a model).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sigah.codes import pack_bits
from sigah.storage import atomic_save_npz
from sigah.validation import check_matrix

__all__ = ["Hasher", "NotFittedError", "check_n_bits", "check_features"]

_FORMAT_VERSION = 1


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
    if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)):
        raise ValueError(f"n_bits must be a positive integer multiple of {multiple_of}, got {n_bits!r}")
    if n_bits <= 0 or n_bits % multiple_of:
        raise ValueError(f"n_bits must be a positive multiple of {multiple_of}, got {n_bits}")
    return int(n_bits)


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
    _param_names: ClassVar[tuple[str, ...]] = ("n_bits", "seed")

    def __init__(self, n_bits: int = 32, seed: int = 0) -> None:
        self.n_bits = n_bits
        self.seed = seed
        self.n_features_: int | None = None

    # -- public API -------------------------------------------------------------------------
    def fit(self, X: Any) -> "Hasher":
        """Learn the hash functions from training data ``X`` of shape ``(n, d)``; returns ``self``."""
        self.n_bits = check_n_bits(self.n_bits)
        self._validate_params()
        X = check_features(X)
        self.n_features_ = X.shape[1]
        self._fit(X)
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

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, as a dict (scikit-learn style)."""
        return {k: getattr(self, k) for k in self._param_names}

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
        try:
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

    def _check_fitted(self) -> None:
        if self.n_features_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) first")

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in params.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out
