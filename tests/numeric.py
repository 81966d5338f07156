"""Helpers shared by the tests (not a test module)."""

import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``, perturbed in place."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f()
        x[idx] = old - h
        down = f()
        x[idx] = old
        g[idx] = (up - down) / (2 * h)
    return g
