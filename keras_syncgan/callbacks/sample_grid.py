import pathlib

import keras
import numpy as np

from keras_syncgan.plotting import image_grid, pair_grid, save_figure


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

    def figure(self):
        """Samples of the fixed z and the figure showing them."""
        samples = self.model.generate(z=self.z)
        return samples, pair_grid(samples, self.pairs_per_row)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        samples, figure = self.figure()
        path = self.directory / f"{self.prefix}_epoch_{epoch + 1:03d}.png"
        self.written.append(save_figure(figure, path))
        if self.log_dir is not None and keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            with tf.summary.create_file_writer(str(self.log_dir)).as_default():
                for modality, images in samples.items():
                    tf.summary.image(f"{self.prefix}/{modality}", images, step=epoch + 1, max_outputs=self.n)


class ClassGrid(SampleGrid):
    """`SampleGrid` for class-conditional models (CVAE-GAN): one row per class, one column per fixed z.

    Reading along a row shows variety within a class; down a column, the same z (style) across
    classes. Same files and options as `SampleGrid`; `n` is the number of z per class.

    Example:
    >>> grid = ClassGrid("outputs/classes", n=8)
    >>> # cvaegan.fit(x, y, epochs=5, callbacks=[grid])
    """

    def figure(self):
        classes = np.arange(self.model.num_classes)
        images = self.model.generate(np.repeat(classes, self.n), z=np.tile(self.z, (len(classes), 1)))
        rows = [images[k * self.n:(k + 1) * self.n] for k in classes]
        return {"samples": images}, image_grid(rows, row_labels=[str(k) for k in classes])
