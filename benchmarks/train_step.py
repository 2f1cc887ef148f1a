"""One train-step throughput measurement in this process; prints one JSON line.

    python -m benchmarks.train_step --width cpu --batch-size 64 --mode tf_function|xla|spe4 [--pipeline]
"""

import argparse
import json
import resource
import time

import numpy as np


class StepTimer:
    """Timestamps of on_train_batch_end (every steps_per_execution steps) inside one fit() call."""

    def __new__(cls):
        import keras

        class _Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.stamps = []

            def on_train_batch_end(self, batch, logs=None):
                self.stamps.append((batch, time.perf_counter()))

        return _Timer()


def measure(width="cpu", batch_size=64, mode="tf_function", pipeline=False, windows=5, window_steps=8, warmup=4):
    import keras

    from keras_syncgan import presets
    from keras_syncgan.data import PairSampler, paired_dataset
    from keras_syncgan.data.pairing import with_channel_axis

    rng = np.random.default_rng(0)
    n = max(2048, 2 * batch_size)
    x = {m: rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8) for m in ("digit", "fashion")}
    y = {m: rng.integers(0, 10, size=n) for m in x}
    model = presets.build_syncgan({m: (28, 28, 1) for m in x}, width=width)
    spe = int(mode[3:]) if mode.startswith("spe") else 1
    jit = {"tf_function": False, "xla": True}.get(mode, False) if keras.backend.backend() == "tensorflow" else True
    model.compile(jit_compile=jit, steps_per_execution=spe)
    total = warmup + windows * window_steps
    total = int(np.ceil(total / spe) * spe)
    if pipeline:
        import tensorflow as tf

        dataset = paired_dataset(x, y, batch_size=batch_size, seed=0)[0].repeat()
        feed = dict(x=dataset, steps_per_epoch=total)
    else:
        indices = next(PairSampler(y, batch_size, seed=0).batches(0))
        batch = {part: {m: with_channel_axis(x[m])[i] for m, i in indices[part].items()} for part in ("real", "pairs")}
        batch["sync"] = indices["sync"]
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            feed = dict(x=tf.data.Dataset.from_tensors(batch).repeat(), steps_per_epoch=total)
        else:  # numpy arrays: repeat the batch along the batch axis, fit() slices it
            tiled = keras.tree.map_structure(lambda a: np.concatenate([a] * total), batch)
            feed = dict(x=tiled, batch_size=batch_size, shuffle=False)
    timer = StepTimer()
    model.fit(**feed, epochs=1, verbose=0, callbacks=[timer])
    stamps = [(b, t) for b, t in timer.stamps if b + 1 >= warmup]
    per_step = [(t1 - t0) / (b1 - b0) for (b0, t0), (b1, t1) in zip(stamps, stamps[1:])]
    step_s = float(np.median(per_step))
    from benchmarks.flops import syncgan_iteration_flops

    flops = syncgan_iteration_flops(model, batch_size)
    return {"backend": keras.backend.backend(), "width": width, "batch_size": batch_size, "mode": mode,
            "input": "tf.data pairing" if pipeline else "in-memory", "step_ms": 1000 * step_s,
            "samples_per_s": batch_size / step_s, "gflop_per_step": flops / 1e9, "achieved_gflops": flops / step_s / 1e9,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def matmul_peak_gflops(size=1024, repeats=10):
    """Measured dense float32 matmul FLOP/s of this device (the denominator of 'achieved')."""
    import keras

    a = keras.random.normal((size, size))
    keras.ops.convert_to_numpy(keras.ops.matmul(a, a))
    start = time.perf_counter()
    for _ in range(repeats):
        out = keras.ops.matmul(a, a)
    keras.ops.convert_to_numpy(out)
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--mode", default="tf_function")
    parser.add_argument("--pipeline", action="store_true")
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--window-steps", type=int, default=8)
    parser.add_argument("--matmul", action="store_true", help="measure the matmul peak instead")
    args = parser.parse_args()
    if args.matmul:
        print(json.dumps({"matmul_gflops": matmul_peak_gflops()}))
    else:
        print(json.dumps(measure(args.width, args.batch_size, args.mode, args.pipeline, args.windows, args.window_steps)))
