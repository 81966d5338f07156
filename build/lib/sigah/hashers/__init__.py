"""Hashing methods behind one interface (:class:`~sigah.hashers.base.Hasher`).

Methods are looked up by name (the ``--method`` of the ``sigah`` command). Modules are
imported on first use so that, for example, TensorFlow is loaded only for the methods
that need it.
"""

from __future__ import annotations

import importlib
from typing import Any

from sigah.hashers.base import Hasher, NotFittedError

__all__ = ["Hasher", "NotFittedError", "METHODS", "available_methods", "get_hasher_class", "make_hasher"]

#: method name -> "module:ClassName" (imported lazily)
METHODS: dict[str, str] = {
    "lsh": "sigah.hashers.lsh:LSH",
    "itq": "sigah.hashers.itq:ITQ",
    "sph": "sigah.hashers.sph:SphericalHashing",
    "ba": "sigah.hashers.ba:BinaryAutoencoder",
    "sgh": "sigah.hashers.sgh:StochasticGenerativeHashing",
    "och": "sigah.hashers.och:OrdinalConstraintHashing",
    "qolsh": "sigah.hashers.qolsh:QoLSH",
    "sigah": "sigah.hashers.sigah:SiGAH",
}


def available_methods() -> list[str]:
    """Names of the methods whose implementation is installed."""
    names = []
    for name, target in METHODS.items():
        module = target.split(":")[0]
        if importlib.util.find_spec(module) is not None:
            names.append(name)
    return names


def get_hasher_class(name: str) -> type[Hasher]:
    """The class registered under ``name`` (case-insensitive)."""
    key = str(name).strip().lower()
    if key not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(available_methods())}")
    module_name, cls_name = METHODS[key].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise ValueError(
                f"method {name!r} is not available in this version; choose one of {', '.join(available_methods())}"
            ) from None
        raise
    return getattr(module, cls_name)


def make_hasher(name: str, n_bits: int, seed: int = 0, **params: Any) -> Hasher:
    """Build the hasher ``name`` with ``n_bits`` bits, ``seed`` and method-specific ``params``."""
    return get_hasher_class(name)(n_bits=n_bits, seed=seed, **params)
