"""Building blocks of the SiGAH model (TensorFlow): loss terms, networks, the training step.

The :class:`~sigah.hashers.sigah.SiGAH` hasher assembles them; each piece is small and testable
on its own (the loss functions are checked against NumPy references in ``tests/``).
"""
