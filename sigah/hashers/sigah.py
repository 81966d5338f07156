"""SiGAH: Sparse-Inductive Generative Adversarial Hashing (H. Liu et al., arXiv 2306.06928).

The model (paper §3; chapter "Hash learning"):

* hash layer ``b̃ = tanh(Wᵀx̃)`` while training, codes ``b = sgn(Wᵀx̃)`` (Eq. 2, 18);
* sparsity-inducing generator ``s = G(b̃) = φ(V b̃ + c) ∈ R^m`` (``m = 2d``, φ = LeakyReLU) and the fixed
  Gaussian measurement matrix ``A`` (``d × m``, entries ``N(0, 1/d)``): ``x̂ = A s`` (Eq. 5, 13); by
  default the generator is fed stochastic binary samples ``sgn(b̃ − ε)``, ``ε ~ U(−1, 1)``, whose mean
  is ``b̃`` (``generator_input="stochastic"``; ``"relaxed"`` feeds ``b̃`` as the paper does);
* energy discriminator: an auto-encoder ``d → d/2 → d`` whose mean squared reconstruction error is
  ``D(x)`` (Eq. 14);
* hash/generator loss (Eq. 20): ``‖x − x̂‖² + α‖s‖₁ + γ D(x̂)`` averaged over the batch ``+ β L_graph``,
  with ``L_graph = (1/N_b²) Σ S_ij ‖b̃_i − b̃_j‖²``, ``S_ij = exp(−‖x_i − x_j‖²/2σ²)`` (Eq. 17), plus
  ``λ_bd L_bd``, the soft form of the balance and decorrelation constraints that come with a graph term
  in graph hashing (the paper: "similar to traditional graph hashing [DGH]"),
  ``L_bd = ‖B̃ᵀB̃/N_b − I‖²_F / k² + ‖B̃ᵀ1/N_b‖² / k`` (``decorrelation``; 0 gives Eq. 20 as printed);
  discriminator loss (Eq. 21): ``D(x) + [μ − D(x̂)]⁺``; one Adam step on each per mini-batch.

Preprocessing (saved with the model): ``x̃ = (x − x̄) / ρ`` with the training mean ``x̄`` and the single
scalar ``ρ = sqrt(mean((x − x̄)²))`` (the root mean square of the centred training entries). A scalar
keeps the Euclidean geometry (a per-feature standardisation would blow up near-constant pixels), and it
fixes the scale of the energies: the mean squared feature of ``x̃`` is 1, so an energy ``D`` and the
margin ``μ`` are in units of the data's mean variance (``D = 1`` is the error of predicting all zeros).

The pieces live in :mod:`sigah.sigah_model`: the loss terms (``losses``), the networks (``networks``),
the trainer (``training``) and the weights' save/restore (``weights``). This module holds the
hyper-parameters, their validation and the inference API.

Defaults. The paper's values of α, β, γ, μ, the learning rate and the epochs were lost in extraction;
ours come from ``tests/benchmarks/sweep_sigah.py`` on validation splits (never the test queries),
recorded in ``data/sigah_sweeps.csv`` and discussed in the book's appendix "SiGAH's defaults".
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from sigah.codes import signs_to_bits, unpack_bits
from sigah.hashers.base import Hasher, check_features
from sigah.validation import check_choice, check_scalar

__all__ = ["SiGAH", "training_epochs"]


def training_epochs(n: int, *, batch_size: int, epochs: int, min_steps: int) -> int:
    """Passes over ``n`` training vectors that :meth:`SiGAH.fit` makes: ``epochs``, or more to reach ``min_steps``.

    An epoch is ``ceil(n / batch_size)`` optimiser steps (the last batch shorter), so the fit takes
    ``training_epochs(...) * ceil(n / batch_size)`` steps, that is ``max(epochs · ceil(n / N_b), min_steps)``
    rounded up to whole epochs.

    Parameters
    ----------
    n : int
        Training vectors.
    batch_size, epochs, min_steps : int
        As in :class:`SiGAH`.

    Returns
    -------
    int
    """
    batches_per_epoch = -(-int(n) // int(batch_size))
    return max(int(epochs), -(-int(min_steps) // batches_per_epoch))

_INFERENCE_BATCH = 8192  # rows per TensorFlow call at inference (bounds memory: 8192 × m floats)
_GENERATOR_INPUTS = ("stochastic", "relaxed", "sign")  # sigah.sigah_model.training.GENERATOR_INPUTS


class SiGAH(Hasher):
    """Sparse-Inductive Generative Adversarial Hashing.

    Parameters
    ----------
    n_bits : int
        Code length ``k``, a positive multiple of 8.
    seed : int
        Seeds the initial weights, the measurement matrix ``A``, the σ sample, the mini-batch order and
        the stochastic thresholds; the same seed gives the same codes on CPU.
    m_ratio : float
        Sparse-code size over input dimension, ``m = round(m_ratio · d)`` (2, the paper's "twice the
        dimension of the input feature").
    alpha : float
        Weight of the L1 sparsity of the generator output (Eq. 13), ≥ 0.
    beta : float
        Weight of the graph regulariser (Eq. 17), ≥ 0.
    gamma : float
        Weight of the adversarial term ``D(x̂)`` in the hash/generator loss (Eq. 20), ≥ 0.
    margin : float
        EBGAN margin μ of the discriminator loss (Eq. 21), ≥ 0, in units of the mean feature variance.
    sigma_scale : float
        The bandwidth σ of the graph similarities (Eq. 17) is ``sigma_scale`` times the median pairwise
        distance of 2,000 standardised training points (or, with ``graph_neighbors``, the median distance
        to the ``k_nn``-th in-batch neighbour); smaller values make the graph attend to close pairs only.
    graph_neighbors : int or None
        None: the graph term acts on all pairs of the batch. An integer ``k_nn``: only on the symmetric
        ``k_nn``-nearest-neighbour graph of the batch, as in SpectralNet's affinity (the paper's reference
        for the term).
    decorrelation : float
        Weight ``λ_bd`` of the balance-and-decorrelation penalty on the relaxed codes of a batch,
        ``‖B̃ᵀB̃/N_b − I‖²_F / k² + ‖B̃ᵀ1/N_b‖² / k``: the soft form of the constraints ``Bᵀ1 = 0`` and
        ``BᵀB = N I`` under which graph hashing (Discrete Graph Hashing, the paper's model for its graph
        term) minimises the graph term, ≥ 0. 0 gives Eq. 20 exactly as the paper prints it.
    batch_size : int
        Mini-batch size ``N_b`` (the graph term costs O(N_b²)).
    epochs : int
        Passes over the training set.
    min_steps : int
        Fewest optimiser steps: on a small training set the number of passes is raised to
        ``ceil(min_steps / batches per epoch)`` so that the model is trained enough (0: exactly
        ``epochs``). 5,000, about the steps of 20 epochs on the 69,000 MNIST training images, so that
        MNIST keeps its 20 epochs and SIFT10K's 10,000 vectors (40 batches) get 125.
    learning_rate : float
        Adam step size of both players.
    adam_beta1 : float
        Adam's first-moment decay (0.5, the GAN habit).
    weight_decay : float
        Decoupled weight decay of both Adam optimisers (the paper: "a weight decay").
    activation : str
        Generator activation φ: "leaky_relu" (slope 0.2), "sigmoid", "tanh", "relu" or "swish" (Table 5).
    generator : str
        "sparse" (the one-layer sparse generator with ``A``) or the auto-encoder decoders of Fig. 8(d):
        "ae3" (linear ``k → d``) and "ae4-<h>" (``k → h → d`` with a ReLU hidden layer), both without ``A``.
    use_discriminator : bool
        False drops the discriminator and the adversarial term (the Table 4 ablation).
    tanh_scale_end : float
        Continuation of the relaxation (chapter "Hash learning", ``eq-continuation``): epoch ``t`` of ``T``
        trains with ``b̃ = tanh(s_t Wᵀx̃)``, ``s_t`` geometric from 1 to ``tanh_scale_end`` (as in
        HashNet), so that the relaxed codes approach ``sgn(Wᵀx̃)`` and the quantisation gap of Eq. 18-19
        closes. The final ``s`` is folded into ``W`` after training (codes unchanged). 1: the paper's
        fixed relaxation ``tanh(Wᵀx̃)``.
    generator_input : str
        What the generator receives during training. "stochastic" (default): binary samples
        ``sgn(tanh(Wᵀx̃) − ε)``, ``ε ~ U(−1, 1)`` afresh at every step, whose mean is ``tanh(Wᵀx̃)``, with
        the gradient of ``tanh`` (a stochastic binary neuron in the spirit of SGH's, which the paper names
        as a difference between SGH and SiGAH, §3.5). "relaxed": ``tanh(Wᵀx̃)`` itself, as in the paper.
        "sign": ``sgn(Wᵀx̃)`` with the gradient of ``tanh`` (straight-through).
    progress : bool
        Show a progress bar over the epochs with the loss terms (on a terminal; elsewhere one line
        when the fit ends, :mod:`sigah.progress`).

    Attributes
    ----------
    mean_ : numpy.ndarray, shape (d,), float32
    scale_ : float
        ρ of the preprocessing.
    sigma_ : float
        The bandwidth used.
    m_ : int
    W_ : numpy.ndarray, shape (d, n_bits), float32
    measurement_matrix_ : numpy.ndarray, shape (d, m), float32
        ``A`` (None for the auto-encoder generators).
    generator_weights_, discriminator_weights_ : dict[str, numpy.ndarray]
    history_ : dict[str, list[float]]
        Per-epoch means of every loss term, ``energy_real``, ``energy_fake``, ``reconstruction_error``
        (per-feature MSE of ``x̂`` in standardised units), ``quantization_error`` (mean ``(b − b̃)²``
        per bit) and ``decorrelation`` (``L_bd``, recorded whatever its weight), plus ``epoch``,
        ``seconds`` (cumulative) and ``tanh_scale`` (``s_t``). ``pandas.DataFrame(model.history_)`` works.
    n_epochs_ : int
        Passes made (``epochs``, or more to reach ``min_steps``).
    fit_seconds_ : float
    interrupted_ : bool
        True when training was stopped with Ctrl-C (the model so far is kept).
    """

    name = "sigah"
    _param_names = (
        "n_bits", "seed", "m_ratio", "alpha", "beta", "gamma", "margin", "sigma_scale", "graph_neighbors",
        "decorrelation", "batch_size", "epochs", "min_steps", "learning_rate", "adam_beta1", "weight_decay",
        "activation", "generator", "use_discriminator", "tanh_scale_end", "generator_input", "progress",
    )

    def __init__(
        self,
        n_bits: int = 32,
        seed: int = 0,
        m_ratio: float = 2.0,
        alpha: float = 1e-2,
        beta: float = 1e-3,
        gamma: float = 1e-3,
        margin: float = 0.5,
        sigma_scale: float = 1.0,
        graph_neighbors: int | None = None,
        decorrelation: float = 1.0,
        batch_size: int = 256,
        epochs: int = 20,
        min_steps: int = 5000,
        learning_rate: float = 1e-3,
        adam_beta1: float = 0.5,
        weight_decay: float = 1e-5,
        activation: str = "leaky_relu",
        generator: str = "sparse",
        use_discriminator: bool = True,
        tanh_scale_end: float = 1.0,
        generator_input: str = "stochastic",
        progress: bool = True,
    ) -> None:
        super().__init__(n_bits=n_bits, seed=seed)
        self.m_ratio = m_ratio
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.margin = margin
        self.sigma_scale = sigma_scale
        self.graph_neighbors = graph_neighbors
        self.decorrelation = decorrelation
        self.batch_size = batch_size
        self.epochs = epochs
        self.min_steps = min_steps
        self.learning_rate = learning_rate
        self.adam_beta1 = adam_beta1
        self.weight_decay = weight_decay
        self.activation = activation
        self.generator = generator
        self.use_discriminator = use_discriminator
        self.tanh_scale_end = tanh_scale_end
        self.generator_input = generator_input
        self.progress = progress
        self._networks = None

    # -- validation -------------------------------------------------------------------------
    def _validate_params(self) -> None:
        from sigah.sigah_model.networks import ACTIVATIONS, parse_generator

        check_scalar(self.m_ratio, "m_ratio", float, min_val=0, include_boundaries="neither")
        for name in ("alpha", "beta", "gamma", "margin", "decorrelation", "weight_decay"):
            check_scalar(getattr(self, name), name, float, min_val=0)
        check_scalar(self.sigma_scale, "sigma_scale", float, min_val=0, include_boundaries="neither")
        check_scalar(self.graph_neighbors, "graph_neighbors", int, min_val=1, allow_none=True)
        check_scalar(self.batch_size, "batch_size", int, min_val=2)
        check_scalar(self.epochs, "epochs", int, min_val=0)
        check_scalar(self.min_steps, "min_steps", int, min_val=0)
        check_scalar(self.learning_rate, "learning_rate", float, min_val=0, include_boundaries="neither")
        check_scalar(self.adam_beta1, "adam_beta1", float, min_val=0, max_val=1, include_boundaries="left")
        check_scalar(self.tanh_scale_end, "tanh_scale_end", float, min_val=0, include_boundaries="neither")
        check_choice(self.activation, "activation", ACTIVATIONS)
        parse_generator(self.generator)
        check_choice(self.generator_input, "generator_input", _GENERATOR_INPUTS)
        for name in ("use_discriminator", "progress"):
            check_scalar(getattr(self, name), name, bool)

    # -- training ---------------------------------------------------------------------------
    def _fit(self, X: np.ndarray) -> None:
        from sigah.sigah_model import training
        from sigah.sigah_model.losses import median_neighbor_distance, median_pairwise_distance
        from sigah.sigah_model.weights import build_networks, export_weights

        if X.shape[0] < 2:
            raise ValueError(f"SiGAH needs at least 2 training points, got {X.shape[0]}")
        n, d = X.shape
        self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32)
        centred_sq = np.einsum("ij,ij->", X - self.mean_, X - self.mean_, dtype=np.float64) / X.size
        self.scale_ = float(np.sqrt(centred_sq)) if centred_sq > 0 else 1.0
        Xs = self._standardise(X)
        seeds = np.random.SeedSequence(self.seed).spawn(5)
        rng_A, rng_W, rng_G, rng_D, rng_order = (np.random.default_rng(s) for s in seeds)
        sigma_seed = int(seeds[4].generate_state(1)[0])
        if self.graph_neighbors:
            base = median_neighbor_distance(Xs, self.graph_neighbors, self.batch_size, seed=sigma_seed)
        else:
            base = median_pairwise_distance(Xs, n_sample=2000, seed=sigma_seed)
        self.sigma_ = float(self.sigma_scale) * base
        self.m_ = max(1, int(round(self.m_ratio * d)))
        hidden = max(1, d // 2) if self.use_discriminator else None
        networks = build_networks(d, self.n_bits, self.m_, self.generator, self.activation, hidden,
                                  (rng_A, rng_W, rng_G, rng_D))
        self.n_epochs_ = training_epochs(n, batch_size=self.batch_size, epochs=self.epochs, min_steps=self.min_steps)
        weights = training.LossWeights(
            sigma=self.sigma_, alpha=float(self.alpha), beta=float(self.beta), gamma=float(self.gamma),
            margin=float(self.margin), graph_neighbors=self.graph_neighbors, decorrelation=float(self.decorrelation),
        )
        start = time.perf_counter()
        self.history_, self.interrupted_ = training.train(
            networks, Xs, weights, epochs=self.n_epochs_, batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate), adam_beta1=float(self.adam_beta1),
            weight_decay=float(self.weight_decay), tanh_scale_end=float(self.tanh_scale_end),
            generator_input_kind=self.generator_input, noise_seed=int(self.seed), rng_order=rng_order,
            progress=bool(self.progress),
        )
        self.fit_seconds_ = time.perf_counter() - start
        if self.interrupted_:
            warnings.warn(
                f"SiGAH training interrupted after {len(self.history_['epoch'])} complete epoch(s); "
                "keeping the model trained so far",
                RuntimeWarning,
                stacklevel=3,
            )
        # fold the last relaxation scale into W: tanh(s Wᵀx) = tanh((sW)ᵀx), codes unchanged
        hash_layer = networks[0]
        hash_layer.W.assign(hash_layer.W * hash_layer.scale)
        hash_layer.scale.assign(1.0)
        self._networks = networks
        self.W_, self.generator_weights_, self.discriminator_weights_ = export_weights(networks)

    # -- inference --------------------------------------------------------------------------
    @property
    def measurement_matrix_(self) -> np.ndarray | None:
        """``A`` (d × m, float32), or None for the auto-encoder generators."""
        self._check_fitted()
        return self.generator_weights_.get("A")

    def _standardise(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean_) / np.float32(self.scale_)).astype(np.float32, copy=False)

    def _checked(self, X: Any) -> np.ndarray:
        self._check_fitted()
        return check_features(X, n_features=self.n_features_)

    def project(self, X: Any) -> np.ndarray:
        """Pre-activations ``u = Wᵀx̃`` of the hash layer (Eq. 2), ``x̃`` the preprocessed input.

        Parameters
        ----------
        X : array_like, shape (n, d)

        Returns
        -------
        numpy.ndarray, shape (n, n_bits), float32
            Codes are ``sgn(u)``; the training relaxation is ``tanh(u)``.
        """
        return self._standardise(self._checked(X)) @ self.W_

    def relaxed_codes(self, X: Any) -> np.ndarray:
        """``b̃ = tanh(Wᵀx̃)`` (Eq. 18, chapter "Hash learning", eq-relaxation), shape (n, n_bits), float32."""
        return np.tanh(self.project(X))

    def _encode_bits(self, X: np.ndarray) -> np.ndarray:
        return signs_to_bits(self._standardise(X) @ self.W_)

    def _code_matrix(self, b: Any) -> np.ndarray:
        """Codes as float32 values in [−1, 1]: packed uint8, booleans (True = +1) or numbers."""
        b = np.asarray(b)
        if b.ndim != 2:
            raise ValueError(f"codes must be a 2-D array, got shape {b.shape}")
        if b.dtype == np.uint8 and b.shape[1] == self.n_bits // 8 and b.shape[1] != self.n_bits:
            b = unpack_bits(b, self.n_bits)
        if b.dtype == bool:
            return np.where(b, 1.0, -1.0).astype(np.float32)
        if b.shape[1] != self.n_bits:
            raise ValueError(f"codes must have {self.n_bits} columns (or {self.n_bits // 8} packed bytes), got shape {b.shape}")
        b = np.asarray(b, dtype=np.float32)
        if not np.isfinite(b).all() or np.abs(b).max(initial=0) > 1:
            raise ValueError("codes must be ±1 or relaxed codes in [-1, 1]")
        return b

    def _tf_networks(self):
        if self._networks is None:  # a loaded model: rebuild the modules from the saved arrays
            from sigah.sigah_model.weights import restore_networks

            self._networks = restore_networks(
                self.W_, self.generator_weights_, self.discriminator_weights_, self.generator, self.activation
            )
        return self._networks

    def _batched(self, function, rows: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        parts = [function(tf.constant(rows[i:i + _INFERENCE_BATCH])).numpy() for i in range(0, len(rows), _INFERENCE_BATCH)]
        return np.concatenate(parts, axis=0) if parts else np.zeros((0,), np.float32)

    def generate(self, b: Any) -> np.ndarray:
        """Generator output ``G(b)`` for codes or relaxed codes (Eq. 13, eq-generator).

        Parameters
        ----------
        b : array_like, shape (n, n_bits)
            ±1 codes, relaxed codes in [−1, 1], booleans (True = +1) or packed uint8 codes.

        Returns
        -------
        numpy.ndarray, shape (n, m), float32
            The sparse code ``s`` (for "ae4-<h>" generators the hidden layer, shape (n, h)).
        """
        self._check_fitted()
        _, generator, _ = self._tf_networks()
        return self._batched(generator.code, self._code_matrix(b))

    def reconstruct_from_codes(self, b: Any) -> np.ndarray:
        """Synthetic features ``x̂ = A G(b)`` mapped back to the input space, shape (n, d), float32."""
        self._check_fitted()
        _, generator, _ = self._tf_networks()
        x_hat = self._batched(lambda t: generator(t)[1], self._code_matrix(b))
        return x_hat * np.float32(self.scale_) + self.mean_

    def reconstruct(self, X: Any) -> np.ndarray:
        """``x̂ = A G(tanh(Wᵀx̃))`` mapped back to the input space (Eq. 20, eq-loss-g), shape (n, d), float32."""
        return self.reconstruct_from_codes(self.relaxed_codes(X))

    def energy(self, X: Any) -> np.ndarray:
        """Discriminator energy ``D`` of feature vectors given in input space (Eq. 14, eq-energy).

        Parameters
        ----------
        X : array_like, shape (n, d)

        Returns
        -------
        numpy.ndarray, shape (n,), float32
            Mean squared auto-encoder error in standardised units.
        """
        X = self._checked(X)
        _, _, discriminator = self._tf_networks()
        if discriminator is None:
            raise ValueError("this model was trained with use_discriminator=False: it has no energy")
        return self._batched(discriminator, self._standardise(X))

    # -- persistence ------------------------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        state = {
            "mean": self.mean_,
            "scale": np.float64(self.scale_),
            "sigma": np.float64(self.sigma_),
            "m": np.int64(self.m_),
            "n_epochs": np.int64(self.n_epochs_),
            "W": self.W_,
            "fit_seconds": np.float64(self.fit_seconds_),
            "interrupted": np.bool_(self.interrupted_),
        }
        state.update({f"generator__{k}": v for k, v in self.generator_weights_.items()})
        state.update({f"discriminator__{k}": v for k, v in self.discriminator_weights_.items()})
        state.update({f"history__{k}": np.asarray(v, np.float64) for k, v in self.history_.items()})
        return state

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        self.mean_ = state["mean"].astype(np.float32)
        self.scale_ = float(state["scale"])
        self.sigma_ = float(state["sigma"])
        self.m_ = int(state["m"])
        self.n_epochs_ = int(state["n_epochs"])
        self.W_ = state["W"].astype(np.float32)
        self.fit_seconds_ = float(state["fit_seconds"])
        self.interrupted_ = bool(state["interrupted"])
        self.generator_weights_ = {k[len("generator__"):]: v for k, v in state.items() if k.startswith("generator__")}
        self.discriminator_weights_ = {
            k[len("discriminator__"):]: v for k, v in state.items() if k.startswith("discriminator__")
        }
        self.history_ = {k[len("history__"):]: v.tolist() for k, v in state.items() if k.startswith("history__")}
        self._networks = None
