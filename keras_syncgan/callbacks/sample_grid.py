import pathlib

import keras
import numpy as np

from keras_syncgan.plotting import pair_grid, save_figure


class SampleGrid(keras.callbacks.Callback):
    """Writes a grid of samples from the same fixed z at the end of every `every` epochs.

    For SyncGAN each z's modalities stand side by side, so one look tells whether the generators are
    synchronized (the same digit and fashion class, say) and whether quality improves across epochs.
    Files: `directory/{prefix}_epoch_{epoch:03d}.png`; with `log_dir`, also TensorBoard images
    (TensorFlow backend).

    Args:
        directory: folder of the PNG files.
        n: number of latent codes (fixed at the start of training, from `seed`).
        every: epochs between grids.
        pairs_per_row: samples per row of the picture.

    Example:
    >>> grid = SampleGrid("outputs/grids", n=16)
    >>> # model.fit(dataset, epochs=5, callbacks=[grid])
    """

    def __init__(self, directory, n=16, every=1, pairs_per_row=8, seed=1234, prefix="samples", log_dir=None):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.n, self.every, self.pairs_per_row = n, every, pairs_per_row
        self.seed, self.prefix, self.log_dir = seed, prefix, log_dir
        self.written = []

    def on_train_begin(self, logs=None):
        self.z = np.random.default_rng(self.seed).normal(size=(self.n, self.model.latent_dim)).astype("float32")

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        samples = self.model.generate(z=self.z)
        path = self.directory / f"{self.prefix}_epoch_{epoch + 1:03d}.png"
        self.written.append(save_figure(pair_grid(samples, self.pairs_per_row), path))
        if self.log_dir is not None and keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            with tf.summary.create_file_writer(str(self.log_dir)).as_default():
                for modality, images in samples.items():
                    tf.summary.image(f"{self.prefix}/{modality}", images, step=epoch + 1, max_outputs=self.n)
