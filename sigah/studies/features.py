"""CNN feature extractors: small networks trained to classify images, their penultimate layer as features.

The paper's §5.6 hashes the fully connected features of ImageNet-trained networks (VGG16 for Table 6,
six networks for Table 7). Those weights and datasets are not shipped, so the book trains its own
extractors on MNIST's training split, of different depth and width:

``"tiny"``
    one convolution of 4 filters and a 32-unit layer: a deliberately weak network;
``"lenet5"``
    LeNet-5's layout (LeCun et al. 1998): two convolutions (6 and 16 filters), layers of 120 and 84 units;
``"wide"``
    two wider convolutions (32 filters, then 64 with stride 2) and a 256-unit layer;
``"resnet"``
    a small residual network (He et al. 2016): a strided stem, three stages of two residual blocks
    (8, 16, 32 channels), global average pooling and a 64-unit layer; the deepest, 13 convolutions.

Each is trained with Adam on cross-entropy; the input of its last (softmax) layer is the feature
vector. :func:`extract_features` trains one network and returns a :class:`FeatureSet`;
:func:`save_features` writes it as four ``.npy`` files any method (or ``sigah evaluate``) can read.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sigah.machine import library_versions
from sigah.storage import atomic_save_npy, atomic_write_text
from sigah.store import cache_root, method_source_hash
from sigah.validation import check_choice, check_scalar

__all__ = ["NETWORKS", "FeatureSet", "build_network", "extract_features", "save_features", "load_features",
           "feature_paths", "cached_features"]

PathLike = str | os.PathLike

#: the extractors, weakest first: {name: one-line description}
NETWORKS: dict[str, str] = {
    "tiny": "1 convolution (4 filters), 32-unit layer",
    "lenet5": "LeNet-5: 2 convolutions (6, 16), 120- and 84-unit layers",
    "wide": "2 wider convolutions (32, 64), 256-unit layer",
    "resnet": "residual net: 13 convolutions in 3 stages × 2 blocks (8, 16, 32), average pooling, 64-unit layer",
}

_FILES = ("train_features", "train_labels", "test_features", "test_labels")


@dataclass(frozen=True)
class FeatureSet:
    """Penultimate-layer features of one trained network on a training and a test split.

    Attributes
    ----------
    network : str
        A name of :data:`NETWORKS`.
    train_features : numpy.ndarray, shape (n_train, d), float32
    train_labels : numpy.ndarray, shape (n_train,), int64
    test_features : numpy.ndarray, shape (n_test, d), float32
    test_labels : numpy.ndarray, shape (n_test,), int64
    test_accuracy : float
        Classification accuracy of the network on the test split.
    n_parameters : int
        Trainable and fixed weights of the network.
    train_seconds : float
        Wall-clock time of training (0 for a set loaded from disk that did not record it).
    """

    network: str
    train_features: np.ndarray
    train_labels: np.ndarray
    test_features: np.ndarray
    test_labels: np.ndarray
    test_accuracy: float
    n_parameters: int
    train_seconds: float

    @property
    def dim(self) -> int:
        """Feature dimension ``d``."""
        return int(self.train_features.shape[1])


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def build_network(network: str, input_shape: tuple[int, int, int], n_classes: int):
    """The Keras classifier ``network``; its layer named ``"features"`` is the penultimate layer.

    Parameters
    ----------
    network : str
        A name of :data:`NETWORKS`.
    input_shape : tuple of int
        ``(height, width, channels)``, e.g. ``(28, 28, 1)`` for MNIST, ``(32, 32, 3)`` for CIFAR-10.
    n_classes : int

    Returns
    -------
    keras.Model
        Input images, output class probabilities (softmax).
    """
    network = check_choice(network, "network", tuple(NETWORKS))
    keras = _keras()
    layers = keras.layers
    images = keras.Input(shape=input_shape)
    if network == "tiny":
        x = layers.MaxPooling2D(2)(layers.Conv2D(4, 5, activation="relu")(images))
        features = layers.Dense(32, activation="relu", name="features")(layers.Flatten()(x))
    elif network == "lenet5":
        x = layers.MaxPooling2D(2)(layers.Conv2D(6, 5, padding="same", activation="relu")(images))
        x = layers.MaxPooling2D(2)(layers.Conv2D(16, 5, activation="relu")(x))
        x = layers.Dense(120, activation="relu")(layers.Flatten()(x))
        features = layers.Dense(84, activation="relu", name="features")(x)
    elif network == "wide":
        x = layers.MaxPooling2D(2)(layers.Conv2D(32, 3, padding="same", activation="relu")(images))
        x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
        features = layers.Dense(256, activation="relu", name="features")(layers.Flatten()(x))
    else:
        x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(images)
        for stage, width in enumerate((8, 16, 32)):
            for block in range(2):
                x = _residual_block(layers, x, width, stride=2 if stage > 0 and block == 0 else 1)
        x = layers.GlobalAveragePooling2D()(x)
        features = layers.Dense(64, activation="relu", name="features")(x)
    outputs = layers.Dense(n_classes, activation="softmax")(features)
    return keras.Model(images, outputs, name=network)


def _residual_block(layers, x, width: int, stride: int):
    """Two 3 × 3 convolutions and the identity (or a strided 1 × 1 projection) added back."""
    shortcut = x
    if stride != 1 or x.shape[-1] != width:
        shortcut = layers.Conv2D(width, 1, strides=stride)(x)
    y = layers.Conv2D(width, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(width, 3, padding="same")(y)
    return layers.Activation("relu")(layers.Add()([shortcut, y]))


def _as_images(images: np.ndarray, what: str) -> np.ndarray:
    """Images as float32 (n, h, w, c) in [0, 1]: uint8 scaled by 1/255, (n, h, w) given one channel."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"{what} must be images of shape (n, height, width[, channels]), got shape {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / np.float32(255.0)
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)):
        raise ValueError(f"{what} hold NaN or infinite values")
    return images


def extract_features(
    network: str,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    *,
    epochs: int = 2,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    fit_size: int | None = None,
    seed: int = 0,
) -> FeatureSet:
    """Train ``network`` to classify the training images, then read its penultimate layer on both splits.

    Parameters
    ----------
    network : str
        A name of :data:`NETWORKS`.
    train_images : numpy.ndarray, shape (n, h, w) or (n, h, w, c)
        uint8 (scaled to [0, 1]) or floats used as they are.
    train_labels : numpy.ndarray, shape (n,), integers 0..n_classes-1
    test_images : numpy.ndarray, shape (n_test, h, w[, c])
    test_labels : numpy.ndarray, shape (n_test,)
    epochs, batch_size : int
        Passes over the training images and images per Adam step.
    learning_rate : float
        Adam's step size.
    fit_size : int, optional
        Train on this many random training images only (CI-sized runs); the features are still
        computed for every image.
    seed : int
        Seeds the weights and the order of the batches (``keras.utils.set_random_seed``): on the
        same machine and library versions, the same seed gives the same features.

    Returns
    -------
    FeatureSet
    """
    check_scalar(epochs, "epochs", int, min_val=1)
    check_scalar(batch_size, "batch_size", int, min_val=1)
    check_scalar(learning_rate, "learning_rate", float, min_val=0, include_boundaries="neither")
    check_scalar(seed, "seed", int, min_val=0)
    check_scalar(fit_size, "fit_size", int, min_val=1, allow_none=True)
    train_x, test_x = _as_images(train_images, "train_images"), _as_images(test_images, "test_images")
    if train_x.shape[1:] != test_x.shape[1:]:
        raise ValueError(f"train images are {train_x.shape[1:]}, test images {test_x.shape[1:]}: they must match")
    train_y, test_y = _class_ids(train_labels, len(train_x), "train_labels"), _class_ids(test_labels, len(test_x), "test_labels")
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    keras = _keras()
    keras.utils.set_random_seed(seed)
    model = build_network(network, train_x.shape[1:], n_classes)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    fit = slice(None)
    if fit_size is not None and fit_size < len(train_x):
        fit = np.sort(np.random.default_rng(seed).choice(len(train_x), size=fit_size, replace=False))
    model.fit(train_x[fit], train_y[fit], epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    # one forward pass per split gives both the features and the class probabilities
    both = keras.Model(model.input, [model.get_layer("features").output, model.output])
    train_features, _ = _forward(both, train_x)
    test_features, probabilities = _forward(both, test_x)
    return FeatureSet(
        network=network,
        train_features=np.asarray(train_features, dtype=np.float32),
        train_labels=train_y,
        test_features=np.asarray(test_features, dtype=np.float32),
        test_labels=test_y,
        test_accuracy=float(np.mean(np.argmax(probabilities, axis=1) == test_y)),
        n_parameters=int(model.count_params()),
        train_seconds=seconds,
    )


def _forward(model, images: np.ndarray, batch_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """``model``'s two outputs on ``images``, by direct calls on chunks (Keras' ``predict`` builds a
    data pipeline whose set-up costs more than the forward pass on these small networks)."""
    parts = [model(images[start:start + batch_size], training=False) for start in range(0, len(images), batch_size)]
    return tuple(np.concatenate([np.asarray(part[i]) for part in parts]) for i in range(2))


def _class_ids(labels: np.ndarray, n: int, what: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer) or (labels.size and labels.min() < 0):
        raise ValueError(f"{what} must be {n} non-negative integer class ids, got shape {labels.shape}, dtype {labels.dtype}")
    return labels.astype(np.int64)


def feature_paths(folder: PathLike, network: str) -> dict[str, Path]:
    """Where :func:`save_features` writes ``network``'s arrays: ``{folder}/{network}_{part}.npy``.

    Returns
    -------
    dict
        Keys ``train_features``, ``train_labels``, ``test_features``, ``test_labels``, ``meta``.
    """
    folder = Path(folder)
    return {part: folder / f"{network}_{part}.npy" for part in _FILES} | {"meta": folder / f"{network}_meta.json"}


def save_features(features: FeatureSet, folder: PathLike) -> dict[str, Path]:
    """Write a :class:`FeatureSet` as four ``.npy`` files and a JSON of its accuracy, atomically.

    The metadata file is written last, so its presence means the arrays are complete; it records
    the SHA-256 of each array file, which :func:`load_features` checks.

    Returns
    -------
    dict
        The paths of :func:`feature_paths`.
    """
    paths = feature_paths(folder, features.network)
    for part in _FILES:
        atomic_save_npy(paths[part], getattr(features, part))
    meta = {"network": features.network, "test_accuracy": features.test_accuracy,
            "n_parameters": features.n_parameters, "train_seconds": features.train_seconds,
            "sha256": {part: _sha256(paths[part]) for part in _FILES}}
    atomic_write_text(paths["meta"], json.dumps(meta, indent=1))
    return paths


def load_features(folder: PathLike, network: str) -> FeatureSet:
    """Read what :func:`save_features` wrote.

    Raises
    ------
    FileNotFoundError
        If the metadata or an array of ``network`` is missing from ``folder``.
    ValueError
        If a file is damaged: unreadable metadata, an array whose SHA-256 differs from the one the
        metadata records, an unreadable array, or arrays whose shapes do not fit together.
    """
    paths = feature_paths(folder, network)
    for path in paths.values():
        if not path.is_file():
            raise FileNotFoundError(f"no saved features of network {network!r}: {path} is missing")
    try:
        meta = json.loads(paths["meta"].read_text(encoding="utf-8"))
        details = (float(meta["test_accuracy"]), int(meta["n_parameters"]), float(meta["train_seconds"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{paths['meta']}: damaged feature metadata ({type(exc).__name__}: {exc})") from None
    recorded = meta.get("sha256") if isinstance(meta.get("sha256"), dict) else {}
    arrays = {}
    for part in _FILES:
        if part in recorded and _sha256(paths[part]) != recorded[part]:
            raise ValueError(f"{paths[part]}: its SHA-256 differs from the one recorded in {paths['meta'].name}")
        try:  # memory-mapped first: a header claiming more than the file holds fails here, not in an allocation
            arrays[part] = np.array(np.load(paths[part], mmap_mode="r", allow_pickle=False))
        except (ValueError, EOFError, OSError) as exc:
            raise ValueError(f"{paths[part]}: not a readable NumPy array ({exc})") from None
    if (arrays["train_features"].ndim != 2 or arrays["test_features"].ndim != 2
            or arrays["train_labels"].shape != arrays["train_features"].shape[:1]
            or arrays["test_labels"].shape != arrays["test_features"].shape[:1]
            or arrays["train_features"].shape[1] != arrays["test_features"].shape[1]):
        shapes = ", ".join(f"{part} {arrays[part].shape}" for part in _FILES)
        raise ValueError(f"{folder}: the saved features of {network!r} do not fit together ({shapes})")
    test_accuracy, n_parameters, train_seconds = details
    return FeatureSet(network=network, test_accuracy=test_accuracy, n_parameters=n_parameters,
                      train_seconds=train_seconds, **arrays)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cached_features(
    network: str,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    *,
    cache_dir: PathLike | None = None,
    **options: Any,
) -> tuple[FeatureSet, dict[str, Path]]:
    """:func:`extract_features`, saved in (and on later calls read from) a folder keyed by its inputs.

    The key hashes the network, the options, the image and label arrays, the source of this
    module and the library versions (as the store of runs keys a fit by its method's code and
    :func:`sigah.machine.library_versions`), so changed data, settings, network code or a
    TensorFlow upgrade train afresh. A damaged cached set (:func:`load_features` raises
    ``ValueError``) is trained again and rewritten, with a ``RuntimeWarning``.

    Parameters
    ----------
    cache_dir : path, optional
        Where the feature folders go; by default ``features/`` in the store of runs
        (:func:`sigah.store.cache_root`, ``$SIGAH_CACHE``), so that ``sigah book build --fresh``
        trains the networks again and deleting the store deletes them too.

    Returns
    -------
    features : FeatureSet
    paths : dict
        The saved files (:func:`feature_paths`), e.g. to pass to a chapter's ``features_path``.
    """
    code = method_source_hash(__name__)
    digest = hashlib.sha256(json.dumps({"network": network, "code": code, "versions": library_versions(), **options},
                                       sort_keys=True).encode())
    for array in (train_images, train_labels, test_images, test_labels):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    root = Path(cache_dir) if cache_dir is not None else cache_root() / "features"
    folder = root / f"{network}-{digest.hexdigest()[:16]}"
    if os.path.lexists(folder) and not folder.is_dir():  # damage: a file where the folder goes
        warnings.warn(f"{folder} is a file, not a folder of features: it is removed and the network trained "
                      f"again", RuntimeWarning, stacklevel=2)
        folder.unlink()
    try:
        return load_features(folder, network), feature_paths(folder, network)
    except FileNotFoundError:
        pass
    except ValueError as exc:
        warnings.warn(f"the cached features of {network!r} are damaged ({exc}): training the network again",
                      RuntimeWarning, stacklevel=2)
    features = extract_features(network, train_images, train_labels, test_images, test_labels, **options)
    return features, save_features(features, folder)
