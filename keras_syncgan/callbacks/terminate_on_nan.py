import math

import keras


class TerminateOnNaN(keras.callbacks.Callback):
    """Stops training at the first batch whose logged losses are not finite, naming the network.

    Keras' own `TerminateOnNaN` watches a single `"loss"` log, which GANs do not have; this one
    watches every logged loss. It reports the first non-finite log in the model's update order and
    the network group it belongs to (e.g. `discriminator_digit`), stops training cleanly and marks
    `model.diverged` so that `keras_syncgan.callbacks.ModelCheckpoint` and `BackupAndRestore` keep
    the last good checkpoint instead of overwriting it with non-finite weights.

    Example:
    >>> guard = TerminateOnNaN()
    >>> # model.fit(dataset, callbacks=[guard, ModelCheckpoint("run/model.keras")])
    >>> # model.diverged -> None, or {"batch": 17, "logs": ["d_loss_digit", ...], "networks": [...]}
    """

    def on_train_begin(self, logs=None):
        self.model.diverged = None

    def on_train_batch_end(self, batch, logs=None):
        bad = [name for name, value in (logs or {}).items() if not math.isfinite(float(value))]
        if not bad:
            return
        networks = self.model.networks_of_logs(bad) if hasattr(self.model, "networks_of_logs") else []
        self.model.diverged = {"batch": int(batch), "logs": bad, "networks": networks}
        self.model.stop_training = True
        where = f"network {networks[0]!r}" if networks else "the model"
        print(f"\nTerminateOnNaN: batch {batch}: {where} diverged (non-finite {', '.join(bad)}); "
              "training stopped. Checkpoints written before this batch are kept.")
