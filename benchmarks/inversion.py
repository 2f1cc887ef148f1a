"""Generator inversion throughput: the batched compiled loop vs a per-sample eager loop.

    python -m benchmarks.inversion [--samples 64 --steps 200]     (prints one JSON line)
Both invert the same CPU-width 28x28 generator with plain gradient descent on the same targets.
"""

import argparse
import json
import time

import numpy as np


def measure(samples=64, steps=1500, eager_samples=4, eager_steps=20):
    import keras
    import tensorflow as tf

    from keras_syncgan import presets

    model = presets.build_syncgan({"digit": (28, 28, 1), "fashion": (28, 28, 1)}, width="cpu")
    x = model.generate(z=np.random.default_rng(0).normal(size=(samples, model.latent_dim)))["digit"]
    start = time.perf_counter()  # tracing included: each call builds its loop (the authors' 1,500 steps amortise it)
    model.invert(x, "digit", steps=steps, seed=0)
    batched = samples * steps / (time.perf_counter() - start)

    generator = model.generators["digit"]
    start = time.perf_counter()
    for i in range(eager_samples):  # the naive way: one sample, one Python-level step at a time
        z = tf.Variable(np.random.default_rng(i).normal(size=(1, model.latent_dim)).astype("float32"))
        for _ in range(eager_steps):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum((generator(z, training=False) - x[i:i + 1]) ** 2)
            z.assign_sub(0.1 * tape.gradient(loss, z))
    eager = eager_samples * eager_steps / (time.perf_counter() - start)
    return {"batched_compiled_sample_steps_per_s": batched, "per_sample_eager_sample_steps_per_s": eager,
            "speedup": batched / eager, "samples": samples, "steps": steps, "backend": keras.backend.backend()}


def warm_start_steps_saved(epochs=4, samples=64, warm_steps=20, learning_rate=0.05, seed=0):
    """Optimisation steps the inversion encoder saves for the same reconstruction error.

    Trains a small SyncGAN on scikit-learn digits paired with their rotations, fits the inversion
    encoders, then inverts generated samples: `warm_steps` Adam steps from the encoder's code vs
    Adam from random codes, doubling the cold steps until the cold median error is no higher.
    """
    import keras

    from keras_syncgan import presets
    from keras_syncgan.data import load_digits, paired_dataset

    (x, y), _ = load_digits(size=16)
    x = {"digit": x, "rotated": np.rot90(x, axes=(1, 2)).copy()}
    y = {"digit": y, "rotated": y}
    keras.utils.set_random_seed(seed)
    model = presets.build_syncgan({m: (16, 16, 1) for m in x}, latent_dim=32, width={"filters": 16, "hidden": 64})
    model.compile()
    model.fit(paired_dataset(x, y, batch_size=64, seed=seed)[0], epochs=epochs, verbose=0)
    model.train_inversion_encoders(n=10000, epochs=10)
    targets = model.generate(z=np.random.default_rng(seed + 1).normal(size=(samples, 32)))["digit"]
    options = dict(optimizer="adam", learning_rate=learning_rate, seed=seed)
    warm = float(np.median(model.invert(targets, "digit", steps=warm_steps, warm_start=True, **options)[1]))
    cold_steps, cold = warm_steps, float("inf")
    while cold > warm and cold_steps <= 5120:
        cold = float(np.median(model.invert(targets, "digit", steps=cold_steps, **options)[1]))
        cold_steps *= 2
    matched = cold_steps // 2 if cold <= warm else None
    return {"warm_steps": warm_steps, "warm_median_mse": warm, "cold_steps_to_match": matched,
            "cold_median_mse_at_match": cold, "steps_saved": None if matched is None else matched - warm_steps}


def main(argv=None):
    """Command-line entry point: one result row (throughput, or with --warm-start the steps saved)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--eager-samples", type=int, default=4)
    parser.add_argument("--eager-steps", type=int, default=20)
    parser.add_argument("--warm-start", action="store_true", help="measure the steps the encoder saves instead")
    args = parser.parse_args(argv)
    if args.warm_start:
        return warm_start_steps_saved()
    return measure(args.samples, args.steps, args.eager_samples, args.eager_steps)


if __name__ == "__main__":
    print(json.dumps(main()))
