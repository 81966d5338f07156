"""sigah: Sparse-Inductive Generative Adversarial Hashing, its baselines and an honest evaluator.

The package behind the book *SiGAH, explained and reproduced*. Submodules:

- :mod:`sigah.data`: dataset readers, the shipped datasets, query/database splits;
- :mod:`sigah.codes`: bit packing, Hamming distances, ranking and search;
- :mod:`sigah.metrics`: exact Euclidean ground truth, tie-aware mAP, P@N, R@N, label-based mAP@K;
- :mod:`sigah.semantic`: the label-based protocol (test-split queries, training-split database);
- :mod:`sigah.features`: small CNNs trained on images, their penultimate layer as features;
- :mod:`sigah.hashers`: every method behind one ``fit``/``encode`` interface;
- :mod:`sigah.experiments`: methods × bits × repeats on a protocol, as tidy tables.

Importing :mod:`sigah` is cheap: TensorFlow is loaded only by the methods that need it.
"""

__version__ = "0.1.0"

from sigah.hashers import available_methods, get_hasher_class, make_hasher  # noqa: E402

__all__ = ["__version__", "available_methods", "get_hasher_class", "make_hasher"]
