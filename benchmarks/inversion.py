"""Generator inversion throughput: the batched compiled loop vs a per-sample eager loop.

    python -m benchmarks.inversion [--samples 64 --steps 200]     (prints one JSON line)
Both invert the same CPU-width 28x28 generator with plain gradient descent on the same targets.
"""

import argparse
import json
import time

import numpy as np


def measure(samples=64, steps=200, eager_samples=4, eager_steps=20):
    import keras
    import tensorflow as tf

    from keras_syncgan import presets

    model = presets.build_syncgan({"digit": (28, 28, 1), "fashion": (28, 28, 1)}, width="cpu")
    x = model.generate(z=np.random.default_rng(0).normal(size=(samples, model.latent_dim)))["digit"]
    model.invert(x, "digit", steps=2, seed=0)  # compile once, as a user's second call would find it
    start = time.perf_counter()
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--eager-samples", type=int, default=4)
    parser.add_argument("--eager-steps", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(measure(args.samples, args.steps, args.eager_samples, args.eager_steps)))
