"""SyncGAN training batches as a `keras.utils.PyDataset`: the pairing pipeline without TensorFlow."""

import itertools

import keras

from keras_syncgan.data.pairing import PairSampler, _checked_inputs


class PairedBatches(keras.utils.PyDataset):
    """Endless SyncGAN training batches gathered with numpy, for `fit()` on any Keras backend.

    The same batches as `paired_dataset` (the same `PairSampler` draws, epoch after epoch), without
    `tf.data`: this is the input of the JAX backend, where TensorFlow may be absent. Batches come in
    order, whatever index Keras asks for, so pass `steps_per_epoch` to `fit()`.

    Args:
        x: dict `{modality: array (n_m, height, width[, channels])}`, uint8 in [0, 255] or float in [0, 1].
        y: dict `{modality: class ids (n_m,)}`; optional with `pair_by="index"`.
        batch_size, paired_fraction, pair_by, exclude_same_class, seed: see `PairSampler`.
        start_step: batches already drawn (a resumed run continues with fresh draws).

    Example:
    >>> from keras_syncgan.data import load_digits
    >>> (x, y), _ = load_digits()
    >>> batches = PairedBatches({"a": x, "b": 255 - x}, {"a": y, "b": y}, batch_size=32)
    >>> batch = batches[0]
    >>> batch["pairs"]["a"].shape, batch["sync"].shape
    ((32, 8, 8, 1), (32,))
    """

    def __init__(self, x, y=None, batch_size=64, paired_fraction=1.0, pair_by="label", exclude_same_class=True,
                 seed=0, start_step=0):
        super().__init__()
        self.arrays, labels = _checked_inputs(x, y, pair_by)
        self.sampler = PairSampler(labels, batch_size, paired_fraction, pair_by, exclude_same_class, seed)
        self.sampler.epoch, skip = divmod(int(start_step), self.sampler.steps_per_epoch)
        # The sampler moves to its next epoch after each pass, so repeating it draws fresh batches.
        self._indices = itertools.islice(itertools.chain.from_iterable(itertools.repeat(self.sampler)), skip, None)

    @property
    def num_batches(self):
        return None  # endless

    def __getitem__(self, index):
        indices = next(self._indices)
        gather = lambda part: {m: self.arrays[m][i] for m, i in indices[part].items()}
        return {"real": gather("real"), "pairs": gather("pairs"), "sync": indices["sync"]}
