"""Features redrawn from binary codes, for every method that has a decoder, and how far they are off.

The paper's Fig. 6 redraws MNIST digits from their codes: SiGAH through its generator and the random
matrix, ``x̂ = A G(b)`` (Eq. 13), BA through its linear decoder, SGH through its generative model, and
QoLSH through its frame. Every reconstruction here starts from the *binary* code of the input, as at
search time, never from a relaxation.

QoLSH codes keep only a direction: its decoder returns the unit vector ``W b / ‖W b‖`` of the centred
input. To draw it in input units we scale every direction by the same number, the root mean square
norm of the centred training vectors (``norm_scale``), and add the training mean back: nothing of the
individual input beyond its code is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["DECODABLE_METHODS", "blank_entry_error", "digit_grid", "per_image_error", "reconstruct_from_codes",
           "relative_error"]

#: methods whose codes can be mapped back to the input space
DECODABLE_METHODS = ("sigah", "ba", "sgh", "qolsh")


def reconstruct_from_codes(model: Any, X: Any, *, norm_scale: float | None = None) -> np.ndarray:
    """Encode ``X`` with a fitted model and map the binary codes back to the input space.

    Parameters
    ----------
    model : sigah.hashers.Hasher
        A fitted SiGAH, BA, SGH or QoLSH model.
    X : array_like, shape (n, d)
    norm_scale : float, optional
        QoLSH only: the length given to its unit directions (default: 1, directions as they are).

    Returns
    -------
    numpy.ndarray, shape (n, d), float32

    Raises
    ------
    ValueError
        For a method without a decoder, or ``norm_scale`` given for another method or not positive.
    """
    name = getattr(model, "name", type(model).__name__)
    if name not in DECODABLE_METHODS:
        raise ValueError(f"method {name!r} has no decoder; expected one of {DECODABLE_METHODS}")
    if norm_scale is not None and (name != "qolsh" or not np.isfinite(norm_scale) or norm_scale <= 0):
        raise ValueError(f"norm_scale is a positive number for QoLSH only, got {norm_scale!r} for {name!r}")
    if name == "sigah":
        return np.asarray(model.reconstruct_from_codes(model.encode(X)), np.float32)
    if name in ("ba", "sgh"):  # their decoders take {0, 1} codes
        return np.asarray(model.decode(model.encode_bits(X).astype(np.float32)), np.float32)
    directions = model.reconstruct(model.encode(X))
    return (directions * np.float32(1.0 if norm_scale is None else norm_scale) + model.mean_).astype(np.float32)


def relative_error(X: Any, X_hat: Any, reference: Any) -> float:
    """Squared reconstruction error over the squared spread of the data around a reference point.

    ``Σ_i ‖x_i − x̂_i‖² / Σ_i ‖x_i − r‖²``: 0 for a perfect reconstruction, 1 for predicting the
    reference (e.g. the training mean) for every input, whatever the units of the features.

    Parameters
    ----------
    X, X_hat : array_like, shape (n, d)
    reference : array_like, shape (d,)

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Shapes that do not match, or data identical to the reference (no spread to compare with).
    """
    X = np.asarray(X, dtype=np.float64)
    X_hat = np.asarray(X_hat, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if X.ndim != 2 or X_hat.shape != X.shape or reference.shape != (X.shape[1],):
        raise ValueError(f"expected X and X_hat of one shape (n, d) and reference (d,), got {X.shape}, "
                         f"{X_hat.shape} and {reference.shape}")
    spread = float(((X - reference) ** 2).sum())
    if spread == 0:
        raise ValueError("the data equal the reference: the relative error is undefined")
    return float(((X - X_hat) ** 2).sum()) / spread


def digit_grid(rows: Mapping[str, Any], n_images: int, *, title: str = "") -> Any:
    """Square grey images in a grid: one row per name (originals, each reconstruction), ``n_images`` across.

    Parameters
    ----------
    rows : mapping
        ``{row name: array of shape (n, side * side)}`` with ``n >= n_images``, values in [0, 1].
    n_images : int
    title : str

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Vectors that are not square images, or fewer than ``n_images`` of them.
    """
    import matplotlib.pyplot as plt

    arrays = {name: np.asarray(images) for name, images in rows.items()}
    dims = {a.shape[1] for a in arrays.values()}
    side = int(round(np.sqrt(next(iter(dims))))) if len(dims) == 1 else 0
    if len(dims) != 1 or side * side != next(iter(dims)):
        raise ValueError(f"digit_grid draws square images of one size, got dimensions {sorted(dims)}")
    if n_images < 1 or any(a.shape[0] < n_images for a in arrays.values()):
        raise ValueError(f"digit_grid needs at least {n_images} images per row and n_images >= 1")
    fig, axes = plt.subplots(len(arrays), n_images, figsize=(1.1 * n_images, 1.15 * len(arrays)), squeeze=False)
    for r, (name, images) in enumerate(arrays.items()):
        for c in range(n_images):
            ax = axes[r, c]
            ax.imshow(images[c].reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def per_image_error(X: Any, X_hat: Any, reference: Any) -> np.ndarray:
    """Each input's share of :func:`relative_error`: ``‖x_i − x̂_i‖² / mean_j ‖x_j − r‖²``.

    The denominator is one number for all inputs, so the mean of the result is the relative error,
    and two methods' values on the same inputs can be compared paired, input by input.

    Parameters
    ----------
    X, X_hat, reference
        As :func:`relative_error`.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    ValueError
        As :func:`relative_error`.
    """
    relative_error(X, X_hat, reference)  # checks the shapes and that the data have a spread
    X = np.asarray(X, dtype=np.float64)
    X_hat = np.asarray(X_hat, dtype=np.float64)
    spread = ((X - np.asarray(reference, dtype=np.float64)) ** 2).sum(axis=1).mean()
    return ((X - X_hat) ** 2).sum(axis=1) / spread


def blank_entry_error(X: Any, X_hat: Any) -> np.ndarray:
    """Per input, the mean squared reconstruction on the entries that are zero in the input.

    On an image these are the background pixels: the number measures how noisy the redrawn
    background is, whatever the foreground.

    Parameters
    ----------
    X, X_hat : array_like, shape (n, d)

    Returns
    -------
    numpy.ndarray, shape (n,)
        NaN for an input without a zero entry.

    Raises
    ------
    ValueError
        Shapes that do not match.
    """
    X = np.asarray(X, dtype=np.float64)
    X_hat = np.asarray(X_hat, dtype=np.float64)
    if X.ndim != 2 or X_hat.shape != X.shape:
        raise ValueError(f"expected X and X_hat of one shape (n, d), got {X.shape} and {X_hat.shape}")
    blank = X == 0
    counts = blank.sum(axis=1)
    sums = np.where(blank, X_hat**2, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
