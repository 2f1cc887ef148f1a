"""A small training run in its own process, for the reliability tests (test_reliability.py).

    python tests/reliability_worker.py train MODEL RUN_DIR EPOCHS [--kill-at EPOCH:BATCH]
    python tests/reliability_worker.py save-loop MODEL PATH [--kill-during-save N]

`train` fits a tiny SyncGAN or CVAE-GAN on fixed digits batches (no shuffling, so every epoch sees the
same batches in the same order) with op determinism, `BackupAndRestore` in RUN_DIR/backup and
`TerminateOnNaN`. `--kill-at` sends SIGKILL to this process at the end of that batch: a real kill, not
an exception. Re-running the same command resumes. At the end it writes RUN_DIR/final.weights.h5 and
prints a JSON line with the epochs it ran and every optimizer's iteration count.

`save-loop` saves the model to PATH (one epoch of training between saves); with `--kill-during-save N`
the N-th save is killed half-way, after some of its weights are written.
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


def model_and_data(kind):
    """A compiled tiny model and `fit` keyword arguments whose batches are the same every epoch."""
    (x, y), _ = load_digits(size=8)
    if kind == "cvaegan":
        model = small_cvaegan()
        model.compile(optimizers={name: keras.optimizers.Adam(1e-3, beta_1=0.5) for name in model.optimizer_targets()})
        n = BATCH * STEPS_PER_EPOCH
        return model, {"x": x[:n, ..., None], "y": y[:n]}
    images = {"digit": x[..., None], "rotated": np.rot90(x, axes=(1, 2)).copy()[..., None]}
    labels = {"digit": y, "rotated": y}
    batches = list(PairSampler(labels, BATCH, seed=0).batches(0))[:STEPS_PER_EPOCH]
    gather = lambda part: {m: np.concatenate([images[m][b[part][m]] for b in batches]) for m in images}
    data = {"real": gather("real"), "pairs": gather("pairs"), "sync": np.concatenate([b["sync"] for b in batches])}
    model = small_syncgan()
    model.compile()
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["train", "save-loop"])
    parser.add_argument("model", choices=["syncgan", "cvaegan"])
    parser.add_argument("path")
    parser.add_argument("epochs", type=int, nargs="?", default=1)
    parser.add_argument("--kill-at")
    parser.add_argument("--kill-during-save", type=int, default=0)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    train(args) if args.command == "train" else save_loop(args)
