"""Input-pipeline cost: SyncGAN steps fed by the real `tf.data` pairing pipeline vs in-memory batches.

    python -m benchmarks.pipeline [--batch-size 64] [--rounds 5] [--steps 8]     (prints one JSON line)

One model, one process: `fit()` calls alternate between the two feeds, round after round, so that
both see the same machine load (as the peer's windows do in `benchmarks.train_step`). Each call
warms up for 2 steps (the pipeline fills its prefetch buffer), then times `--steps` steps. The cost
is the median pipeline step time over the median in-memory step time, minus one.
"""

import argparse
import json
import os

import numpy as np


def pipeline_cost(batch_size=64, rounds=5, steps=8, warmup=2, width="cpu"):
    """`{"memory_step_ms", "pipeline_step_ms", "pipeline_cost"}` for the CPU-width SyncGAN on random data."""
    from benchmarks.train_step import InterleavedWindows, random_data, repeated, syncgan_batch
    from keras_syncgan import presets
    from keras_syncgan.data import paired_dataset

    x, y = random_data(batch_size)
    model = presets.build_syncgan({m: (28, 28, 1) for m in x}, width=width)
    model.compile()
    feeds = {"memory": repeated(syncgan_batch(x, y, batch_size), batch_size, warmup + steps),
             "pipeline": dict(x=paired_dataset(x, y, batch_size=batch_size, seed=0)[0].repeat(),
                              steps_per_epoch=warmup + steps)}
    seconds = {name: [] for name in feeds}
    for _ in range(rounds):
        for name, feed in feeds.items():
            timer = InterleavedWindows(warmup, steps)
            model.fit(**feed, epochs=1, verbose=0, callbacks=[timer])
            seconds[name] += timer.seconds_per_step
    memory, pipeline = (float(np.median(seconds[name])) for name in ("memory", "pipeline"))
    return {"batch_size": batch_size, "rounds": rounds, "load_1min": os.getloadavg()[0],
            "memory_step_ms": 1000 * memory, "pipeline_step_ms": 1000 * pipeline, "pipeline_cost": pipeline / memory - 1}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args(argv)
    return pipeline_cost(args.batch_size, args.rounds, args.steps)


if __name__ == "__main__":
    print(json.dumps(main()))
