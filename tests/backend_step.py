"""Runs a few SyncGAN steps from saved weights on one backend and prints the losses as JSON.

Used by test_backends.py in a subprocess, since a process has one Keras backend. The noise is
pinned (numpy, seeded) because TF and JAX random streams differ; everything else is the package's.
"""

import json
import sys

import keras
import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from conftest import small_syncgan  # noqa: E402
from keras_syncgan.data import PairSampler, load_digits  # noqa: E402

BATCH_SIZE = 32  # pairs per step: the synchronizer's accuracy is a share of this many decisions


class PinnedNoiseModel:
    """Mixin: z comes from a seeded numpy stream, identical on every backend."""

    def noise(self, n):
        self._draws = getattr(self, "_draws", 0) + 1
        rng = np.random.default_rng(self._draws)
        return keras.ops.convert_to_tensor(rng.normal(size=(n, self.latent_dim)).astype("float32"))


def main(weights_path, steps, spectral_norm):
    (x, y), _ = load_digits(size=8)
    x = {"digit": x[..., None], "rotated": np.rot90(x, axes=(1, 2)).copy()[..., None]}
    y = {"digit": y, "rotated": y}
    model = small_syncgan(spectral_norm=spectral_norm)
    model.__class__ = type("Pinned", (PinnedNoiseModel, type(model)), {})
    model.load_weights(weights_path)
    model.compile(jit_compile=True)
    losses = []
    for indices in list(PairSampler(y, BATCH_SIZE, seed=0).batches(0))[:steps]:
        batch = {"real": {m: x[m][i] for m, i in indices["real"].items()},
                 "pairs": {m: x[m][i] for m, i in indices["pairs"].items()}, "sync": indices["sync"]}
        model._draws = 0  # the same z for every step on both backends
        logs = model.train_on_batch(batch, return_dict=True)
        losses.append({k: float(v) for k, v in logs.items()})
    print(json.dumps({"backend": keras.backend.backend(), "losses": losses,
                      "tensorflow_imported": "tensorflow" in sys.modules,
                      "iterations": [int(o.iterations.numpy()) for o in model.optimizers.values()]}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "sn")
