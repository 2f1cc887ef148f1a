"""A small training run in its own process, for the reliability tests (test_reliability.py).

    python tests/reliability_worker.py train MODEL RUN_DIR EPOCHS [--kill-at EPOCH:BATCH]
    python tests/reliability_worker.py save-loop MODEL PATH [--kill-during-save N]
    python tests/reliability_worker.py distributed MODEL DIR

`train` fits a tiny SyncGAN or CVAE-GAN on fixed digits batches (no shuffling, so every epoch sees the
same batches in the same order) with op determinism, `BackupAndRestore` in RUN_DIR/backup and
`TerminateOnNaN`. `--kill-at` sends SIGKILL to this process at the end of that batch: a real kill, not
an exception. Re-running the same command resumes. At the end it writes RUN_DIR/final.weights.h5 and
prints a JSON line with the epochs it ran and every optimizer's iteration count.

`save-loop` saves the model to PATH (one epoch of training between saves); with `--kill-during-save N`
the N-th save is killed half-way, after some of its weights are written.

`distributed` makes two logical CPU devices, takes one step on one device and one step under a
2-replica `MirroredStrategy` on the same global batch from the same weights, and prints both.
"""

import argparse
import json
import os
import pathlib
import signal
import sys

import keras
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from conftest import small_syncgan  # noqa: E402
from test_cvaegan import small_cvaegan  # noqa: E402

from keras_syncgan.callbacks import BackupAndRestore, TerminateOnNaN  # noqa: E402
from keras_syncgan.data import PairSampler, load_digits  # noqa: E402

BATCH, STEPS_PER_EPOCH = 32, 4


def model_and_data(kind, optimizer=lambda: keras.optimizers.Adam(1e-3, beta_1=0.5), **model_kwargs):
    """A compiled tiny model and `fit` keyword arguments whose batches are the same every epoch."""
    (x, y), _ = load_digits(size=8)
    model = small_cvaegan(**model_kwargs) if kind == "cvaegan" else small_syncgan(**model_kwargs)
    model.compile(optimizers={name: optimizer() for name in model.optimizer_targets()})
    if kind == "cvaegan":
        n = BATCH * STEPS_PER_EPOCH
        return model, {"x": x[:n, ..., None], "y": y[:n]}
    images = {"digit": x[..., None], "rotated": np.rot90(x, axes=(1, 2)).copy()[..., None]}
    labels = {"digit": y, "rotated": y}
    batches = list(PairSampler(labels, BATCH, seed=0).batches(0))[:STEPS_PER_EPOCH]
    gather = lambda part: {m: np.concatenate([images[m][b[part][m]] for b in batches]) for m in images}
    data = {"real": gather("real"), "pairs": gather("pairs"), "sync": np.concatenate([b["sync"] for b in batches])}
    return model, {"x": data}


class KillAt(keras.callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            os.kill(os.getpid(), signal.SIGKILL)


class EpochRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def train(args):
    run_dir = pathlib.Path(args.path)
    model, data = model_and_data(args.model)
    recorder = EpochRecorder()
    callbacks = [TerminateOnNaN(), BackupAndRestore(str(run_dir / "backup"), delete_checkpoint=False), recorder]
    if args.kill_at:
        callbacks.append(KillAt(*map(int, args.kill_at.split(":"))))
    history = model.fit(**data, batch_size=BATCH, epochs=args.epochs, shuffle=False, verbose=0, callbacks=callbacks)
    model.save_weights(run_dir / "final.weights.h5")
    print(json.dumps({"epochs": recorder.epochs, "history": history.history,
                      "iterations": {name: int(opt.iterations.numpy()) for name, opt in model.optimizers.items()}}))


def save_loop(args):
    model, data = model_and_data(args.model)
    saves = 0
    original = type(model).save_own_variables

    def save_then_maybe_die(self, store):
        original(self, store)  # the model's own weights are written; its networks are not yet
        if saves == args.kill_during_save:
            os.kill(os.getpid(), signal.SIGKILL)

    type(model).save_own_variables = save_then_maybe_die
    while True:
        model.fit(**data, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        saves += 1
        model.save(args.path)
        print(json.dumps({"saved": saves}), flush=True)


def distributed(args):
    """One step on one device vs the same global batch on two replicas, from the same weights."""
    import tensorflow as tf

    # Plain SGD: its update is linear in the gradient, so the weights compare the gradients themselves
    # (Adam's first step, g / (|g| + eps), magnifies float noise in near-zero gradients).
    build = lambda: model_and_data(args.model, optimizer=lambda: keras.optimizers.SGD(0.1), synchronized_batchnorm=True)
    single, data = build()
    single.save_weights(pathlib.Path(args.path) / "initial.weights.h5")
    first_batch = tf.data.Dataset.from_tensor_slices(tuple(data.values())).batch(BATCH).take(1)
    single_logs = single.fit(first_batch, verbose=0).history
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        replicated, _ = build()
        replicated.load_weights(pathlib.Path(args.path) / "initial.weights.h5")
    replicated_logs = replicated.fit(first_batch, verbose=0).history
    noise = tf.function(lambda: strategy.run(replicated.noise, args=(4,)))()
    values = lambda model: [keras.ops.convert_to_numpy(v).tolist() for v in model.weights]
    print(json.dumps({"replicas": strategy.num_replicas_in_sync, "single": single_logs, "replicated": replicated_logs,
                      "single_weights": values(single), "replicated_weights": values(replicated),
                      "replica_noise": [keras.ops.convert_to_numpy(z).tolist() for z in noise.values]}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["train", "save-loop", "distributed"])
    parser.add_argument("model", choices=["syncgan", "cvaegan"])
    parser.add_argument("path")
    parser.add_argument("epochs", type=int, nargs="?", default=1)
    parser.add_argument("--kill-at")
    parser.add_argument("--kill-during-save", type=int, default=0)
    args = parser.parse_args()
    import tensorflow as tf

    if args.command == "distributed":  # two logical CPUs, before TensorFlow initialises its devices
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    {"train": train, "save-loop": save_loop, "distributed": distributed}[args.command](args)
