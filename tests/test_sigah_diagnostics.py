"""The loss shares of a trained SiGAH against references: the terms add up to the loss, the
reconstruction term equals the model's own reconstruction error, the adversarial share moves with γ
as the loss's linearity says, and a model without discriminator has none."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from sigah.hashers.sigah import SiGAH
from sigah.sigah_model.diagnostics import TERMS, gamma_for_share, loss_shares

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((300, 12)) @ RNG.standard_normal((12, 12))).astype(np.float32)
TRAIN = dict(n_bits=8, seed=2, epochs=3, min_steps=0, batch_size=64, progress=False)


@pytest.fixture(scope="module")
def relaxed_model():
    # the relaxed generator input is deterministic, so the reconstruction term has a NumPy reference
    return SiGAH(generator_input="relaxed", **TRAIN).fit(X)


def test_weighted_terms_add_up_to_the_loss_and_gradients_obey_the_triangle_inequality(relaxed_model):
    shares = loss_shares(relaxed_model, X, n_batches=3)
    assert list(shares.index) == list(TERMS)
    assert shares["loss_share"].sum() == pytest.approx(1.0, rel=1e-6)
    assert (shares["loss_share"] >= 0).all() and (shares["gradient_share"] >= 0).all()
    weights = {t: 1.0 if a is None else getattr(relaxed_model, a) for t, a in TERMS.items()}
    assert shares["weight"].to_dict() == pytest.approx(weights)
    # ∇(Σ terms) = Σ ∇terms, so ‖∇ total‖ ≤ Σ ‖∇ term‖: the shares of the gradient sum to at least 1
    assert shares["gradient_share"].sum() >= 1 - 1e-5


def test_reconstruction_term_is_the_models_reconstruction_error(relaxed_model):
    # with every row in one batch, the term is the mean squared error in standardised units
    model = relaxed_model
    shares = loss_shares(model, X, n_batches=1, batch_size=len(X))
    standardised = lambda A: (A - model.mean_) / model.scale_  # noqa: E731
    expected = np.mean((standardised(X) - standardised(model.reconstruct(X))) ** 2)
    assert shares.loc["reconstruction", "value"] == pytest.approx(expected, rel=1e-4)


def test_adversarial_share_grows_with_gamma_at_fixed_networks(relaxed_model):
    base = loss_shares(relaxed_model, X, n_batches=2, seed=5)
    relaxed_model.gamma = relaxed_model.gamma * 10
    try:
        louder = loss_shares(relaxed_model, X, n_batches=2, seed=5)
    finally:
        relaxed_model.gamma = relaxed_model.gamma / 10
    assert louder.loc["adversarial", "weighted"] == pytest.approx(10 * base.loc["adversarial", "weighted"], rel=1e-5)
    assert louder.loc["adversarial", "loss_share"] > base.loc["adversarial", "loss_share"]
    # the γ that gives a 5 % share, applied at the same networks, gives that share
    target = gamma_for_share(base, 0.05)
    relaxed_model.gamma, saved = target, relaxed_model.gamma
    try:
        at_target = loss_shares(relaxed_model, X, n_batches=2, seed=5)
    finally:
        relaxed_model.gamma = saved
    assert at_target.loc["adversarial", "loss_share"] == pytest.approx(0.05, rel=1e-3)


def test_without_discriminator_there_is_no_adversarial_share():
    model = SiGAH(use_discriminator=False, **TRAIN).fit(X)
    shares = loss_shares(model, X, n_batches=2)
    assert shares.loc["adversarial", ["weighted", "loss_share", "gradient_share"]].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="no adversarial term"):
        gamma_for_share(shares)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_batch_counts_are_refused(relaxed_model, bad):
    with pytest.raises(ValueError, match="n_batches"):
        loss_shares(relaxed_model, X, n_batches=bad)
