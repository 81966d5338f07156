"""Where one epoch of SiGAH's training goes: timing of stripped-down training steps.

One epoch of the full MNIST protocol's training set (69,000 × 784) at ``--bits`` (64) bits, batch 256,
the default networks (``m = 2d``, discriminator ``d → d/2 → d``). Each row times one variant of the step
over the same batches, all compiled with ``tf.function``; the differences between rows attribute the
time to its parts:

* ``python loop + copies``: the batch copy ``X[rows]`` and a trivial compiled call per step (the floor of
  a Python loop over batches);
* ``matmuls only``: the matrix products of one full step (forward and backward, the shapes of the
  networks at this batch size), nothing else: the floor set by the arithmetic itself;
* ``forward only``: hash layer, generator, both energies, graph and balance terms, no gradients;
* ``discriminator step``: the discriminator's Adam step on Eq. 21 alone;
* ``generator step (terms ...)``: the hash/generator Adam step on the terms named;
* ``full step`` with and without the per-step ``float()`` synchronisation of the 11 logged values,
  with and without XLA (``jit_compile``), and the whole epoch in one compiled ``tf.while_loop``.

Usage::

    OPENBLAS_NUM_THREADS=1 nice -n 5 python tests/benchmarks/profile_sigah_epoch.py [--bits 64] [--batches 270]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from sigah.data import load_dataset, make_protocol
from sigah.sigah_model import losses
from sigah.sigah_model.networks import EnergyDiscriminator, HashLayer, make_generator


def build(d: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    hash_layer = HashLayer((rng.standard_normal((d, k)) / np.sqrt(d)).astype(np.float32))
    generator = make_generator("sparse", k, d, 2 * d, "leaky_relu", False, rng, rng)
    discriminator = EnergyDiscriminator(d, d // 2, rng)

    def adam():
        return keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5, weight_decay=1e-5)

    g_opt, d_opt = adam(), adam()
    g_opt.build([hash_layer.W] + generator.weights)
    d_opt.build(discriminator.weights)
    return hash_layer, generator, discriminator, g_opt, d_opt


def make_variant(name: str, nets, sigma: float):
    """A compiled ``step(x) -> dict of scalars`` doing the part of the training step named."""
    hash_layer, generator, discriminator, g_opt, d_opt = nets
    g_vars = [hash_layer.W] + generator.weights
    noise = tf.random.Generator.from_seed(0)

    def codes(x):
        b = hash_layer(x)
        signs = tf.where(b >= noise.uniform(tf.shape(b), -1.0, 1.0), 1.0, -1.0)
        return b, b + tf.stop_gradient(signs - b)

    def d_step(x, x_hat):
        with tf.GradientTape() as tape:
            loss = losses.discriminator_loss(discriminator(x), discriminator(x_hat), 0.5)
        d_opt.apply_gradients(zip(tape.gradient(loss, discriminator.weights), discriminator.weights))
        return loss

    def g_step(x, terms):
        with tf.GradientTape() as tape:
            b, fed = codes(x)
            s, x_hat = generator(fed)
            total = losses.reconstruction_loss(x, x_hat) + 1e-2 * losses.sparsity_loss(s)
            if "graph" in terms:
                total += 1e-3 * losses.graph_loss(x, b, sigma)
            if "adversarial" in terms:
                total += 1e-3 * tf.reduce_mean(discriminator(x_hat))
            if "balance" in terms:
                total += losses.balance_decorrelation_loss(b)
        g_opt.apply_gradients(zip(tape.gradient(total, g_vars), g_vars))
        return total, x_hat

    d, k = hash_layer.W.shape
    m, h = generator.A.shape[1], discriminator.encoder.shape[1]

    def matmuls(x):
        n = x.shape[0] or 256
        r = tf.random.stateless_normal
        t = lambda *shape: r(shape, seed=[0, 1])  # noqa: E731
        x2 = tf.concat([x, x], 0)
        products = [  # (rows, inner) @ (inner, cols) of the forward pass and of both backward passes
            x @ t(d, k), t(n, k) @ t(k, m), t(n, m) @ t(m, d), x2 @ t(d, h), t(2 * n, h) @ t(h, d),
            x @ t(d, h), t(n, h) @ t(h, d), x @ tf.transpose(x), t(n, k) @ t(k, n), t(k, n) @ t(n, k),
            t(h, 2 * n) @ t(2 * n, d), t(2 * n, d) @ t(d, h), t(d, 2 * n) @ t(2 * n, h),
            t(n, d) @ t(d, h), t(n, h) @ t(h, d), t(n, d) @ t(d, m), t(k, n) @ t(n, m), t(n, m) @ t(m, k),
            t(d, n) @ t(n, k), t(n, n) @ t(n, k), t(n, n) @ t(n, k), t(n, k) @ t(k, k), t(n, k) @ t(k, k),
        ]
        return {"v": tf.add_n([tf.reduce_sum(p[:1, :1]) for p in products])}

    def step(x):
        if name == "matmuls only":
            return matmuls(x)
        if name == "python loop + copies":
            return {"v": tf.reduce_sum(x[:1, :1])}
        if name == "forward only":
            b, fed = codes(x)
            s, x_hat = generator(fed)
            out = losses.reconstruction_loss(x, x_hat) + losses.sparsity_loss(s) + losses.graph_loss(x, b, sigma)
            out += tf.reduce_mean(discriminator(x)) + tf.reduce_mean(discriminator(x_hat))
            return {"v": out + losses.balance_decorrelation_loss(b)}
        if name == "discriminator step":
            _, fed = codes(x)
            return {"v": d_step(x, generator(fed)[1])}
        if name.startswith("generator step"):
            terms = name.split("(")[1].rstrip(")").split(", ")
            return {"v": g_step(x, terms)[0]}
        # full step: the discriminator on the synthetic batch, then the generator
        _, fed = codes(x)
        loss_d = d_step(x, tf.stop_gradient(generator(fed)[1]))
        total, _ = g_step(x, ("graph", "adversarial", "balance"))
        return {f"v{i}": total + loss_d * i for i in range(11)}  # 11 logged values like the trainer

    return step


def time_python_loop(step_fn, X, order, batch, sync: bool) -> float:
    start = time.perf_counter()
    for i in range(len(order) // batch):
        values = step_fn(X[order[i * batch:(i + 1) * batch]])
        if sync:
            _ = {key: float(v) for key, v in values.items()}
    _ = {key: float(v) for key, v in values.items()}
    return time.perf_counter() - start


def time_while_loop(name, nets, sigma, X, order, batch) -> float:
    step = make_variant(name, nets, sigma)
    X_t, order_t = tf.constant(X), tf.constant(order[: (len(order) // batch) * batch].reshape(-1, batch))

    @tf.function(jit_compile=True)
    def epoch():
        total = tf.constant(0.0)
        for i in tf.range(tf.shape(order_t)[0]):
            total += step(tf.gather(X_t, order_t[i]))["v0"]
        return total

    float(epoch())  # compile (and run once)
    start = time.perf_counter()
    float(epoch())
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--batches", type=int, default=None, help="batches per timing (default: one epoch)")
    args = parser.parse_args(argv)
    protocol = make_protocol(load_dataset("mnist"), n_queries=1000, seed=0)
    X = protocol.train.astype(np.float32)
    X = (X - X.mean(0)) / np.sqrt(((X - X.mean(0)) ** 2).mean())
    n_batches = args.batches or -(-len(X) // args.batch_size)
    order = np.random.default_rng(0).permutation(len(X))[: n_batches * args.batch_size]
    sigma = losses.median_pairwise_distance(X, 2000, seed=0)
    print(f"machine: {platform.processor() or platform.machine()} ({os.cpu_count()} logical cores), "
          f"TensorFlow {tf.__version__}; {n_batches} batches of {args.batch_size} × {X.shape[1]}, "
          f"{args.bits} bits", flush=True)
    nets = build(X.shape[1], args.bits)
    variants = ["python loop + copies", "matmuls only", "forward only", "discriminator step",
                "generator step (reconstruction)", "generator step (reconstruction, graph)",
                "generator step (reconstruction, adversarial)", "generator step (reconstruction, balance)",
                "full step"]
    print(f"{'variant':<48} {'seconds':>8} {'ms/step':>8}")
    for name in variants:
        for jit in (False, True) if name == "full step" else (False,):
            step = tf.function(make_variant(name, nets, sigma), jit_compile=jit)
            step(tf.constant(X[:args.batch_size]))  # trace/compile outside the timing
            for sync in (True, False) if name == "full step" else (False,):
                seconds = time_python_loop(step, X, order, args.batch_size, sync)
                label = name + (" XLA" if jit else "") + (" + float() sync" if sync else "")
                print(f"{label:<48} {seconds:8.2f} {1e3 * seconds / n_batches:8.2f}", flush=True)
    seconds = time_while_loop("full step", nets, sigma, X, order, args.batch_size)
    print(f"{'full step XLA, epoch in one tf.while_loop':<48} {seconds:8.2f} {1e3 * seconds / n_batches:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
