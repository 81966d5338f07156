"""Building SiGAH's three networks, and moving their weights to and from NumPy arrays (save/restore).

A fitted :class:`~sigah.hashers.sigah.SiGAH` keeps its learned weights as NumPy arrays (what
:meth:`~sigah.hashers.base.Hasher.save` writes); the TensorFlow modules are rebuilt from them when a
loaded model is asked to generate, reconstruct or score energies.
"""

from __future__ import annotations

import numpy as np

from sigah.sigah_model.networks import (
    AutoencoderGenerator,
    EnergyDiscriminator,
    HashLayer,
    SparseGenerator,
    make_generator,
)

__all__ = ["Networks", "build_networks", "export_weights", "restore_networks"]

Networks = tuple[HashLayer, SparseGenerator | AutoencoderGenerator, EnergyDiscriminator | None]

_DISCRIMINATOR_KEYS = ("encoder", "encoder_bias", "decoder", "decoder_bias")


def build_networks(
    n_features: int,
    n_bits: int,
    m: int,
    generator: str,
    activation: str,
    discriminator_hidden: int | None,
    rngs: tuple[np.random.Generator, np.random.Generator, np.random.Generator, np.random.Generator],
) -> Networks:
    """The hash layer (``W`` with ``N(0, 1/d)`` entries), the generator and the discriminator.

    Parameters
    ----------
    n_features, n_bits, m : int
        ``d``, ``k`` and the sparse-code size ``m``.
    generator, activation : str
        See :func:`sigah.sigah_model.networks.make_generator`.
    discriminator_hidden : int or None
        Hidden width ``h`` of the discriminator; None builds no discriminator.
    rngs : four numpy.random.Generator
        Sources of ``A``, ``W``, the generator's and the discriminator's weights.
    """
    rng_A, rng_W, rng_G, rng_D = rngs
    W = (rng_W.standard_normal((n_features, n_bits)) / np.sqrt(n_features)).astype(np.float32)
    gen = make_generator(generator, n_bits, n_features, m, activation, False, rng_G, rng_A)
    disc = EnergyDiscriminator(n_features, discriminator_hidden, rng_D) if discriminator_hidden else None
    return HashLayer(W), gen, disc


def export_weights(networks: Networks) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``(W, generator weights, discriminator weights)`` as NumPy arrays.

    The generator's keys are ``V``, ``c``, ``A`` (sparse generator) or ``kernel<i>``, ``bias<i>``
    (auto-encoder generators); the discriminator's ``encoder``, ``encoder_bias``, ``decoder``,
    ``decoder_bias`` (empty without a discriminator).
    """
    hash_layer, generator, discriminator = networks
    if isinstance(generator, SparseGenerator):
        generator_weights = {key: getattr(generator, key).numpy() for key in ("V", "c", "A")}
    else:
        generator_weights = {f"kernel{i}": kernel.numpy() for i, kernel in enumerate(generator.kernels)}
        generator_weights.update({f"bias{i}": bias.numpy() for i, bias in enumerate(generator.biases)})
    discriminator_weights = (
        {key: getattr(discriminator, key).numpy() for key in _DISCRIMINATOR_KEYS} if discriminator else {}
    )
    return hash_layer.W.numpy(), generator_weights, discriminator_weights


def restore_networks(
    W: np.ndarray,
    generator_weights: dict[str, np.ndarray],
    discriminator_weights: dict[str, np.ndarray],
    generator: str,
    activation: str,
) -> Networks:
    """Rebuild the networks of a saved model from the arrays of :func:`export_weights`."""
    n_features, n_bits = W.shape
    m = generator_weights["A"].shape[1] if "A" in generator_weights else 1
    hidden = discriminator_weights["encoder"].shape[1] if discriminator_weights else None
    rngs = tuple(np.random.default_rng(0) for _ in range(4))  # placeholder values, overwritten below
    hash_layer, gen, disc = build_networks(n_features, n_bits, m, generator, activation, hidden, rngs)
    hash_layer.W.assign(W)
    for key, value in generator_weights.items():
        if key in ("V", "c", "A"):
            getattr(gen, key).assign(value)
        else:
            kind, index = key[:-1], int(key[-1])
            (gen.kernels if kind == "kernel" else gen.biases)[index].assign(value)
    for key, value in discriminator_weights.items():
        getattr(disc, key).assign(value)
    return hash_layer, gen, disc
