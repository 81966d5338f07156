"""How much each term of SiGAH's generator loss weighs in a trained model (Eq. 20-21).

Every term of the generator's loss is a per-entry mean in the units of the standardised features,
so its weight (α, β, γ, λ_bd) says how far it can move the codes only together with its size. This
module measures, for a trained :class:`~sigah.hashers.sigah.SiGAH` on data it is given, each
weighted term's share of the loss and of the gradient that reaches the hash layer and the generator
(the variables the generator's optimiser updates). A term whose shares are a fraction of a percent
can hardly change the codes, whatever the ablation tables say of it.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TERMS", "loss_shares", "gamma_for_share"]

#: the generator loss's terms, as named in the history of a fit, with the model attribute weighting each
TERMS: dict[str, str | None] = {
    "reconstruction": None,
    "sparsity": "alpha",
    "graph": "beta",
    "adversarial": "gamma",
    "decorrelation": "decorrelation",
}


def loss_shares(
    model: Any, X: Any, *, n_batches: int = 8, batch_size: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """Each weighted loss term's share of the generator's loss and of its gradient.

    The terms are evaluated as in training (the model's generator input, the graph term over the
    batch, the energy of the synthetic features) on ``n_batches`` random mini-batches of the model's
    batch size drawn from ``X``, with the trained networks held fixed, and averaged over the batches.

    Parameters
    ----------
    model : sigah.hashers.sigah.SiGAH
        A fitted model (trained in this process or loaded).
    X : array_like, shape (n, d)
        Feature vectors in input space (the model standardises them as in training), n ≥ 2.
    n_batches : int
        Mini-batches to average over.
    batch_size : int, optional
        Rows per mini-batch (default: the model's; at most n).
    seed : int
        Seed of the batches and of the stochastic generator input.

    Returns
    -------
    pandas.DataFrame
        One row per term of :data:`TERMS`, columns ``weight`` (1 for the reconstruction),
        ``value`` (the unweighted term), ``weighted``, ``loss_share`` (``weighted`` over the
        generator loss, the shares sum to 1), ``gradient_norm`` (Euclidean norm of the gradient of
        the weighted term over all generator-side variables) and ``gradient_share``
        (``gradient_norm`` over the norm of the whole loss's gradient). A term whose weight is 0
        has shares 0.
    """
    import tensorflow as tf

    from sigah.sigah_model.losses import (
        balance_decorrelation_loss,
        graph_loss,
        reconstruction_loss,
        sparsity_loss,
    )
    from sigah.sigah_model.training import generator_input

    X = model._checked(X)
    if X.shape[0] < 2:
        raise ValueError(f"loss_shares needs at least 2 vectors, got {X.shape[0]}")
    if isinstance(n_batches, bool) or not isinstance(n_batches, int) or n_batches < 1:
        raise ValueError(f"n_batches must be a positive integer, got {n_batches!r}")
    hash_layer, generator, discriminator = model._tf_networks()
    variables = [hash_layer.W] + generator.weights
    weights = {term: 1.0 if attr is None else float(getattr(model, attr)) for term, attr in TERMS.items()}
    if discriminator is None:
        weights["adversarial"] = 0.0
    rng = np.random.default_rng(seed)
    noise = tf.random.Generator.from_seed(int(seed)) if model.generator_input == "stochastic" else None
    batch = min(int(model.batch_size if batch_size is None else batch_size), X.shape[0])
    values = {term: [] for term in TERMS}
    norms = {term: [] for term in (*TERMS, "total")}
    for _ in range(n_batches):
        x = tf.constant(model._standardise(X[rng.choice(X.shape[0], batch, replace=False)]))
        with tf.GradientTape(persistent=True) as tape:
            b_relaxed = hash_layer(x)
            sparse_code, x_hat = generator(generator_input(b_relaxed, model.generator_input, noise))
            terms = {
                "reconstruction": reconstruction_loss(x, x_hat),
                "sparsity": sparsity_loss(sparse_code),
                "graph": graph_loss(x, b_relaxed, model.sigma_, model.graph_neighbors),
                "adversarial": (tf.reduce_mean(discriminator(x_hat)) if discriminator is not None
                                else tf.constant(0.0)),
                "decorrelation": balance_decorrelation_loss(b_relaxed),
            }
            weighted = {term: weights[term] * value for term, value in terms.items()}
            total = tf.add_n(list(weighted.values()))
        for term, value in terms.items():
            values[term].append(float(value))
            norms[term].append(_gradient_norm(tape, weighted[term], variables))
        norms["total"].append(_gradient_norm(tape, total, variables))
        del tape
    table = pd.DataFrame({"weight": pd.Series(weights), "value": {t: np.mean(v) for t, v in values.items()}})
    table["weighted"] = table["weight"] * table["value"]
    loss = table["weighted"].sum()
    table["loss_share"] = table["weighted"] / loss if loss > 0 else 0.0
    table["gradient_norm"] = pd.Series({t: float(np.mean(norms[t])) for t in TERMS})
    total_norm = float(np.mean(norms["total"]))
    table["gradient_share"] = table["gradient_norm"] / total_norm if total_norm > 0 else 0.0
    table.index.name = "term"
    return table


def gamma_for_share(shares: pd.DataFrame, target: float = 0.05) -> float:
    """The adversarial weight γ at which the adversarial term would make ``target`` of the loss.

    At fixed networks the weighted adversarial term grows linearly with γ while the other terms stay,
    so ``γ' = t R / ((1 − t) A)`` with ``A`` the unweighted adversarial term and ``R`` the rest of
    the loss. A model trained at ``γ'`` has other networks, so its share must be measured again; this
    is where to start looking, not a promise.

    Parameters
    ----------
    shares : pandas.DataFrame
        The output of :func:`loss_shares`.
    target : float
        The wanted share, in (0, 1).

    Returns
    -------
    float
    """
    if not 0 < target < 1:
        raise ValueError(f"target must lie strictly between 0 and 1, got {target!r}")
    adversarial = float(shares.loc["adversarial", "value"])
    if adversarial <= 0:
        raise ValueError("the model has no adversarial term (no discriminator, or zero energy)")
    rest = float(shares["weighted"].sum() - shares.loc["adversarial", "weighted"])
    return target * rest / ((1 - target) * adversarial)


def _gradient_norm(tape: Any, target: Any, variables: list[Any]) -> float:
    import tensorflow as tf

    grads = [g for g in tape.gradient(target, variables, unconnected_gradients="zero")]
    return float(tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads])))
