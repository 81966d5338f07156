"""sigah: Sparse-Inductive Generative Adversarial Hashing, its baselines and an honest evaluator.

The package behind the book *SiGAH, explained and reproduced*, in three layers; imports run one way
only, tools → studies → library (``tests/test_layers.py`` enforces it).

**The method library** (this package's top level; what ``import sigah`` users need):

- :mod:`sigah.hashers`: every method (LSH, ITQ, SpH, BA, SGH, OCH, QoLSH, SiGAH) behind one
  ``fit``/``encode`` interface; :mod:`sigah.sigah_model`: SiGAH's networks, losses and trainer;
- :mod:`sigah.cs`: compressed-sensing recovery and the generator bound; :mod:`sigah.energy`: the
  energy discriminator;
- :mod:`sigah.codes`: bit packing, Hamming distances, ranking and search;
- :mod:`sigah.metrics` and :mod:`sigah.groundtruth`: exact Euclidean ground truth, tie-aware mAP,
  P@N, R@N, label-based mAP@K;
- :mod:`sigah.data`, :mod:`sigah.readers`, :mod:`sigah.download`: the shipped datasets, file
  readers, query/database splits, the TEXMEX downloads;
- :mod:`sigah.store`: the store of runs, which reads a fit back instead of repeating it;
  :mod:`sigah.storage`: atomic writes; :mod:`sigah.machine`: the library versions and CPU a fit
  ran on; :mod:`sigah.progress`: progress bars on a terminal, one line per fit elsewhere.

**The studies** (:mod:`sigah.studies`): the experiments the chapters run (grids of methods, bits
and seeds; retrieval, ablations, timing, reconstruction, deep features; the paper's numbers; plots).

**The book's tooling** (:mod:`sigah.tools`): the ``sigah`` command, and building, checking,
publishing and exporting the book.

Importing :mod:`sigah` is cheap: TensorFlow is loaded only by the methods that need it.
"""

__version__ = "0.1.0"

from sigah.hashers import available_methods, get_hasher_class, make_hasher  # noqa: E402

__all__ = ["__version__", "available_methods", "get_hasher_class", "make_hasher"]
