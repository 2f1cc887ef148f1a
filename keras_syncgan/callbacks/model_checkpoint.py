import keras


class ModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """`keras.callbacks.ModelCheckpoint` that never overwrites a good checkpoint with a diverged model.

    The package's models save atomically (temporary file, then rename), so a kill during a save
    leaves the previous checkpoint readable. With `TerminateOnNaN` before it in the callbacks,
    this callback skips saving once the model has diverged, so the last checkpoint holds finite
    weights. Arguments are those of `keras.callbacks.ModelCheckpoint`.

    Example:
    >>> checkpoint = ModelCheckpoint("run/model-{epoch:03d}.keras")
    >>> # model.fit(dataset, epochs=10, callbacks=[TerminateOnNaN(), checkpoint])
    """

    def _save_model(self, epoch, batch, logs):
        if getattr(self.model, "diverged", None):
            return
        super()._save_model(epoch, batch, logs)
