import pathlib

import keras
import numpy as np

from keras_syncgan.plotting import image_grid, save_figure


def transfer_rows(model, x, source, target, **invert_kwargs):
    """Rows of a transfer picture: real source, its reconstruction G_source(z), the transfer G_target(z)."""
    transferred, z, _ = model.transfer(x, source, target, **invert_kwargs)
    reconstruction = model.generate(z=z)[source]
    return [np.asarray(x, dtype=np.float32) / (255.0 if np.asarray(x).dtype == np.uint8 else 1.0),
            reconstruction, transferred], [f"real {source}", f"G_{source}(z)", f"G_{target}(z)"]


class TransferGrid(keras.callbacks.Callback):
    """Every `every` epochs, writes a cross-modal transfer picture for fixed real samples.

    For each direction (`source -> target` for every pair in `samples`), three rows: the real samples,
    their reconstructions G_source(z) after inverting G_source, and the transfers G_target(z).
    Files: `directory/transfer_epoch_{epoch:03d}.png`; with `log_dir`, TensorBoard images too.

    Args:
        samples: dict `{source modality: real samples}`; each is transferred to every other modality.
        invert_kwargs: options of `SyncGAN.transfer` (steps, learning_rate, optimizer, restarts, select_by, ...).

    Example:
    >>> grid = TransferGrid("outputs/transfer", {"digit": x_test[:8]}, steps=300, optimizer="adam")  # doctest: +SKIP
    >>> # model.fit(dataset, epochs=5, callbacks=[grid])
    """

    def __init__(self, directory, samples, every=1, log_dir=None, **invert_kwargs):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.samples, self.every, self.log_dir = samples, every, log_dir
        self.invert_kwargs = {"seed": 0, **invert_kwargs}
        self.written = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        rows, labels = [], []
        for source, x in self.samples.items():
            for target in self.model.modalities:
                if target != source:
                    new_rows, new_labels = transfer_rows(self.model, x, source, target, **self.invert_kwargs)
                    rows += new_rows
                    labels += new_labels
        path = self.directory / f"transfer_epoch_{epoch + 1:03d}.png"
        figure = image_grid(rows, row_labels=labels)
        if self.log_dir is not None and keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            figure.canvas.draw()
            picture = np.asarray(figure.canvas.buffer_rgba())[None, ..., :3]
            with tf.summary.create_file_writer(str(self.log_dir)).as_default():
                tf.summary.image("transfer", picture, step=epoch + 1)
        self.written.append(save_figure(figure, path))
