"""Latent codes: one routine draws them, one optimises them (SyncGAN's inversion, CVAE-GAN's inpainting).

`latent_codes(shape, truncation, seed)` draws z ~ N(0, I), optionally truncated (the truncation
trick); the models' `noise` (hence `generate` and training) and the evaluation's truncated codes
draw through it.

`optimize_latents(loss_fn, z0, ...)` minimises per-sample losses over a whole batch of latent codes
at once, in one compiled loop (`keras.ops.fori_loop` inside `tf.function` / `jax.jit`): no Python
loop per step. The update rules (SGD, Adam) are written once in `keras.ops`; only "the gradient
of the summed loss w.r.t. z" and "compile this function" depend on the backend.

Losses are summed over the batch, so every sample follows its own gradient, independent of the
batch size. (The SyncGAN authors averaged over the batch, which divides each sample's step by the
batch size.)
"""

import math

import keras
import numpy as np
from keras import ops

from keras_syncgan.metrics.validation import check_number

OPTIMIZERS = ("sgd", "adam")


def latent_codes(shape, truncation=None, seed=None):
    """Latent codes z ~ N(0, I) of `shape`; with `truncation`, N(0, 1) restricted to [-t, t] per entry.

    The truncation trick (Brock et al., 2019, BigGAN): codes nearer the mode give samples that are
    more typical (higher precision) and less varied (lower recall). On SyncGAN it lowered the sync
    rate (README, Results): codes near 0 give class-ambiguous samples.
    `truncation=None` is the training distribution. Truncated codes come from inverting the normal
    CDF on uniform noise: one draw per entry on every backend, no rejection loop.

    Args:
        shape: the codes' shape, e.g. `(n, latent_dim)`.
        truncation: None, or the threshold t > 0 on |z| (BigGAN used 0.04-2).
        seed: an int or a `keras.random.SeedGenerator` (as for `keras.random.normal`).

    Returns: a float32 backend tensor.

    Example:
    >>> z = latent_codes((1000, 8), truncation=0.5, seed=0)
    >>> bool(keras.ops.max(keras.ops.abs(z)) <= 0.5)
    True
    """
    if truncation is None:
        return keras.random.normal(shape, seed=seed)
    t = check_number(truncation, "truncation", "None or a number > 0 (the bound on |z|)",
                     lambda v: 0 < v < math.inf)
    # erf(z / sqrt 2) is uniform on (-erf(t / sqrt 2), erf(t / sqrt 2)) for z ~ N(0, 1) given |z| <= t.
    mass = math.erf(t / math.sqrt(2))
    u = keras.random.uniform(shape, minval=-mass, maxval=mass, seed=seed)
    return ops.clip(math.sqrt(2) * ops.erfinv(u), -t, t)  # clip: float32 rounding at the ends


def _gradient(per_sample_loss_fn, z):
    if keras.backend.backend() == "jax":
        import jax

        return jax.grad(lambda v: ops.sum(per_sample_loss_fn(v)))(z)
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(z)
        total = ops.sum(per_sample_loss_fn(z))
    return tape.gradient(total, z)


def _compiled(fn, jit_compile):
    if keras.backend.backend() == "jax":
        import jax

        return jax.jit(fn)
    import tensorflow as tf

    if jit_compile == "auto":  # XLA pays on GPUs; on CPUs it made these loops 2-3x slower (benchmarks/)
        jit_compile = bool(tf.config.list_physical_devices("GPU"))
    # No AutoGraph: the loop is `ops.fori_loop` already, and converting the caller's loss closures
    # only produced "could not transform" warnings.
    return tf.function(fn, jit_compile=bool(jit_compile), autograph=False)


def optimize_latents(loss_fn, z0, steps=1500, learning_rate=0.1, optimizer="sgd", beta_1=0.9, beta_2=0.999,
                     epsilon=1e-8, jit_compile="auto"):
    """Minimises `loss_fn(z)` (one loss per sample, shape `(n,)`) over `z` of shape `(n, latent_dim)`.

    Args:
        loss_fn: function of a batch of latent codes returning per-sample losses; the networks it
            calls stay frozen (call them with `training=False`).
        z0: starting codes, `(n, latent_dim)`.
        steps: number of updates.
        learning_rate: step size.
        optimizer: "sgd" (plain gradient descent, the SyncGAN authors' choice) or "adam".
        jit_compile: XLA-compile the loop on TensorFlow: True, False, or "auto" (only when a GPU is
            visible). JAX always jit-compiles.

    Returns:
        `(z, losses)`: the final codes and their per-sample losses, as backend tensors.

    Example:
    >>> target = keras.ops.ones((4, 2))
    >>> z, losses = optimize_latents(lambda z: keras.ops.sum((z - target) ** 2, axis=1),
    ...                              keras.ops.zeros((4, 2)), steps=100, learning_rate=0.1)
    >>> bool(keras.ops.max(losses) < 1e-6)
    True
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"`optimizer` must be one of {OPTIMIZERS}; received {optimizer!r}.")
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"`steps` must be a non-negative int; received {steps!r}.")
    lr = float(learning_rate)

    def step(i, state):
        z, m, v = state
        g = _gradient(loss_fn, z)
        if optimizer == "sgd":
            return z - lr * g, m, v
        m = beta_1 * m + (1.0 - beta_1) * g
        v = beta_2 * v + (1.0 - beta_2) * g * g
        t = ops.cast(i + 1, "float32")
        m_hat = m / (1.0 - ops.power(beta_1, t))
        v_hat = v / (1.0 - ops.power(beta_2, t))
        return z - lr * m_hat / (ops.sqrt(v_hat) + epsilon), m, v

    def run(z_start):
        state = (z_start, ops.zeros_like(z_start), ops.zeros_like(z_start))
        z, _, _ = ops.fori_loop(0, steps, step, state)
        return z, loss_fn(z)

    z0 = ops.convert_to_tensor(z0, dtype="float32")
    return _compiled(run, jit_compile)(z0)


def best_restarts(losses, restarts):
    """Row indices of the restart with the lowest loss per sample.

    `losses` `(restarts * n,)` is restart-major: restart r of sample i at row r * n + i. Returns a
    numpy int array `(n,)` of rows, to index any array laid out the same way (codes, samples).

    Example:
    >>> best_restarts(np.array([3.0, 1.0, 2.0, 5.0]), restarts=2).tolist()  # two samples, two restarts
    [2, 1]
    """
    losses = np.asarray(ops.convert_to_numpy(losses)).reshape(restarts, -1)
    n = losses.shape[1]
    return np.argmin(losses, axis=0) * n + np.arange(n)
