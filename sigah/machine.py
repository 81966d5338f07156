"""The machine and the library versions a computation ran on.

A fitted model depends on more than its code and data: a new NumPy, TensorFlow or faiss can round
differently, change a default or reorder a reduction, and a different processor architecture can
take other code paths in the BLAS. :func:`library_versions` names everything of that kind, so that
the store of runs (:mod:`sigah.store`) keys a fit by it; :func:`cpu_model` names the processor, which
the store records beside each fit (it changes timings, not results).
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform

__all__ = ["LIBRARIES", "cpu_model", "library_versions"]

#: what a fit can depend on: {name in the key: distributions that provide it, first found wins}
LIBRARIES: dict[str, tuple[str, ...]] = {
    "numpy": ("numpy",),
    "scipy": ("scipy",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
    "keras": ("keras",),
    "scikit-learn": ("scikit-learn",),
    "faiss": ("faiss-cpu", "faiss-gpu", "faiss"),
}


def _distribution_version(candidates: tuple[str, ...]) -> str:
    for name in candidates:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "absent"


@functools.cache
def library_versions() -> dict[str, str]:
    """The versions that can change what a fit computes.

    Read from the installed distributions' metadata, so that no library (TensorFlow above all) is
    imported to learn its version. Read once per process.

    Returns
    -------
    dict of str to str
        ``python`` (e.g. ``"3.11.9"``), ``machine`` (the architecture, e.g. ``"x86_64"``) and one
        entry per name of :data:`LIBRARIES` (``"absent"`` when it is not installed).
    """
    versions = {"python": platform.python_version(), "machine": platform.machine() or "unknown"}
    versions.update({name: _distribution_version(dists) for name, dists in LIBRARIES.items()})
    return versions


def cpu_model() -> str:
    """The CPU model from ``/proc/cpuinfo`` (``platform.processor()`` is often empty on Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
