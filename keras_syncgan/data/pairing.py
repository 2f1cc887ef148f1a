"""Paired and semi-supervised training data for SyncGAN.

A SyncGAN batch is `{"real": {modality: x}, "pairs": {modality: x}, "sync": labels}`:

- `real`: samples of each modality drawn independently from *all* of its data (the adversarial
  terms need no pair labels);
- `pairs`: half synchronous tuples (label 1: the same class in every modality, or the same row when
  pairing by index) and half asynchronous tuples (label 0: a different class, never a same-class
  tuple labelled 0 unless asked), drawn only from the *labelled* subset, a class-stratified
  fraction `paired_fraction` of each modality.

`PairSampler` draws the indices (numpy, seeded, a new draw every epoch); `paired_dataset` turns
them into a `tf.data.Dataset` that gathers the samples, batches and prefetches.
"""

import numpy as np

from keras_syncgan.metrics.validation import as_labels, as_unit_images, check_number
from keras_syncgan.utils import describe


class PairSampler:
    """Draws index batches for SyncGAN training.

    Args:
        labels: dict `{modality: int array (n_m,)}` of non-negative class ids.
        batch_size: number of tuples per batch for the synchronizer (half synchronous, half
            asynchronous) and of real samples per modality for the discriminators.
        paired_fraction: fraction of each class of each modality whose pair labels are kept
            (semi-supervised when < 1; at least one sample per class).
        pair_by: "label" (synchronous = same class) or "index" (synchronous = the same row in every
            modality, e.g. an image and its transformed copy; all modalities must be equally long).
        exclude_same_class: asynchronous tuples never share the first modality's class ("label"),
            so no synchronous tuple is ever labelled 0.
        seed: seed of every draw.
    """

    def __init__(self, labels, batch_size=64, paired_fraction=1.0, pair_by="label", exclude_same_class=True, seed=0):
        if not isinstance(labels, dict) or len(labels) < 2:
            raise ValueError(f"`labels` must be a dict of at least two modalities; received {describe(labels)}.")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 2:
            raise ValueError(f"`batch_size` must be an int >= 2 (half synchronous, half asynchronous); received {batch_size!r}.")
        check_number(paired_fraction, "paired_fraction", "a number in (0, 1]", lambda v: 0.0 < v <= 1.0)
        if pair_by not in ("label", "index"):
            raise ValueError(f"`pair_by` must be 'label' or 'index'; received {pair_by!r}.")
        self.modalities = list(labels)
        self.labels = {m: class_ids(y, f"labels[{m!r}]") for m, y in labels.items()}
        self.batch_size = int(batch_size)
        self.paired_fraction = float(paired_fraction)
        self.pair_by = pair_by
        self.exclude_same_class = exclude_same_class
        self.seed = seed
        self.epoch = 0
        rng = np.random.default_rng(seed)
        if pair_by == "index":
            lengths = {m: len(y) for m, y in self.labels.items()}
            if len(set(lengths.values())) != 1:
                raise ValueError(f"`labels` must have one entry per row, equally many in every modality, with "
                                 f"pair_by='index'; received lengths {lengths}.")
            n = next(iter(lengths.values()))
            keep = np.sort(rng.permutation(n)[:max(2, int(round(n * self.paired_fraction)))])
            self.labelled = {m: keep for m in self.modalities}
        else:
            self.classes = _shared_classes(self.labels, "labels")
            self.labelled = {m: self._stratified_subset(y, rng) for m, y in self.labels.items()}
            self.by_class = {m: {k: idx[self.labels[m][idx] == k] for k in self.classes}
                             for m, idx in self.labelled.items()}
        self.steps_per_epoch = max(1, max(len(y) for y in self.labels.values()) // self.batch_size)

    def _stratified_subset(self, y, rng):
        keep = []
        for k in np.unique(y):
            idx = np.flatnonzero(y == k)
            keep.append(rng.permutation(idx)[:max(1, int(round(len(idx) * self.paired_fraction)))])
        return np.sort(np.concatenate(keep))

    def _pairs(self, rng, n_sync, n_async):
        if self.pair_by == "index":
            rows = self.labelled[self.modalities[0]]
            sync = rng.choice(rows, n_sync)
            first = rng.choice(rows, n_async)
            pairs = {self.modalities[0]: np.concatenate([sync, first])}
            for m in self.modalities[1:]:
                other = rng.choice(rows, n_async)
                clash = other == first
                while clash.any():  # an asynchronous tuple never repeats the first modality's row
                    other[clash] = rng.choice(rows, clash.sum())
                    clash = other == first
                pairs[m] = np.concatenate([sync, other])
            return pairs
        sync_classes = rng.choice(self.classes, n_sync)
        async_first = rng.choice(self.classes, n_async)
        pairs = {}
        for i, m in enumerate(self.modalities):
            if i == 0 or not self.exclude_same_class:
                async_classes = async_first if i == 0 else rng.choice(self.classes, n_async)
            else:
                shift = rng.integers(1, len(self.classes), n_async)  # any class but the first modality's
                position = np.searchsorted(self.classes, async_first)
                async_classes = self.classes[(position + shift) % len(self.classes)]
            classes = np.concatenate([sync_classes, async_classes])
            pairs[m] = np.array([rng.choice(self.by_class[m][k]) for k in classes])
        return pairs

    def batches(self, epoch=None):
        """Yields the index batches of one epoch: dicts like the training batches, with indices."""
        epoch = self.epoch if epoch is None else epoch
        rng = np.random.default_rng([self.seed, epoch])
        order = {m: rng.permutation(np.resize(rng.permutation(len(y)), self.steps_per_epoch * self.batch_size))
                 for m, y in self.labels.items()}
        n_sync = self.batch_size // 2
        for step in range(self.steps_per_epoch):
            window = slice(step * self.batch_size, (step + 1) * self.batch_size)
            yield {"real": {m: order[m][window] for m in self.modalities},
                   "pairs": self._pairs(rng, n_sync, self.batch_size - n_sync),
                   "sync": np.concatenate([np.ones(n_sync, np.float32), np.zeros(self.batch_size - n_sync, np.float32)])}

    def __iter__(self):
        yield from self.batches(self.epoch)
        self.epoch += 1


def class_ids(labels, name):
    """Labels of one modality as int64 class ids `(n,)`; `(n, 1)` columns are accepted.

    Negative ids are refused: a -1 "unlabelled" marker would otherwise pair as a class of its own
    (use `paired_fraction` for semi-supervised training).
    """
    labels = np.asarray(labels)
    return as_labels(labels[:, 0] if labels.ndim == 2 and labels.shape[1] == 1 else labels, name)


def with_channel_axis(x):
    x = np.asarray(x)
    return x[..., None] if x.ndim == 3 else x


def _shared_classes(labels, argument):
    """The class ids present in every modality of `labels`, sorted; at least two, or a ValueError naming `argument`."""
    shared = np.array(sorted(set.intersection(*(set(np.unique(y).tolist()) for y in labels.values()))))
    if len(shared) < 2:
        raise ValueError(f"`{argument}` of all modalities must share at least two classes; shared: {shared.tolist()}.")
    return shared


def _checked_inputs(x, y, pair_by):
    """`paired_dataset`'s arguments checked: `({modality: array (n, h, w, c)}, {modality: class ids})`.

    uint8 arrays stay uint8 (a quarter of the memory; the train step scales them); floats are checked
    once here to lie in [0, 1].
    """
    if not isinstance(x, dict) or len(x) < 2:
        raise ValueError(f"`x` must be a dict of at least two modalities; received {describe(x)}.")
    if y is None and pair_by != "index":
        raise ValueError("`y` (labels per modality) is required unless pair_by='index'.")
    if pair_by == "index":
        lengths = {m: len(v) for m, v in x.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"`x` must have equally many samples in every modality with pair_by='index' (row i of "
                             f"each modality makes one synchronous tuple); received lengths {lengths}.")
        if y is None:
            y = {m: np.arange(n) for m, n in lengths.items()}
    if not isinstance(y, dict) or set(y) != set(x):
        raise ValueError(f"`y` must be a dict with the modalities of `x` {sorted(x)}; received {describe(y)}.")
    arrays, checked_labels = {}, {}
    for m, v in x.items():
        v = with_channel_axis(v)
        if v.ndim != 4 or len(v) == 0:
            raise ValueError(f"`x[{m!r}]` must have shape (n, height, width[, channels]) with n >= 1; "
                             f"received shape {v.shape}.")
        if len(v) != len(y[m]):
            raise ValueError(f"`y[{m!r}]` must hold one label per sample of `x[{m!r}]`: expected length {len(v)}, "
                             f"received {len(y[m])}.")
        checked_labels[m] = class_ids(y[m], f"y[{m!r}]")
        arrays[m] = v if v.dtype == np.uint8 else as_unit_images(v, f"x[{m!r}]")
    if pair_by == "label":  # `PairSampler` checks it too, but would name its own argument, `labels`
        _shared_classes(checked_labels, "y")
    return arrays, checked_labels


def paired_dataset(x, y=None, batch_size=64, paired_fraction=1.0, pair_by="label", exclude_same_class=True,
                   seed=0, prefetch=True):
    """A `tf.data.Dataset` of SyncGAN training batches (see the module docstring).

    Args:
        x: dict `{modality: array (n_m, height, width[, channels])}`, uint8 in [0, 255] or float in [0, 1].
        y: dict `{modality: labels (n_m,)}` of non-negative integer class ids; optional with `pair_by="index"`.
        Other arguments: see `PairSampler`.

    Returns `(dataset, sampler)`; each pass over the dataset is one epoch with fresh, seeded draws.
    Without TensorFlow (e.g. on the JAX backend) use `PairedBatches`, which draws the same batches.

    Example:
    >>> from keras_syncgan.data import load_digits
    >>> (x, y), _ = load_digits()
    >>> ds, sampler = paired_dataset({"a": x, "b": 255 - x}, {"a": y, "b": y}, batch_size=32)
    >>> batch = next(iter(ds))
    >>> batch["pairs"]["a"].shape, batch["sync"].shape
    (TensorShape([32, 8, 8, 1]), TensorShape([32]))
    """
    try:
        import tensorflow as tf
    except ImportError as error:
        raise ImportError("`paired_dataset` builds a tf.data pipeline and needs TensorFlow; without it, feed "
                          "`keras_syncgan.data.PairedBatches(x, y, ...)` to `fit()` (any Keras backend).") from error

    arrays, labels = _checked_inputs(x, y, pair_by)
    arrays = {m: tf.constant(v) for m, v in arrays.items()}
    sampler = PairSampler(labels, batch_size, paired_fraction, pair_by, exclude_same_class, seed)
    index = tf.TensorSpec((batch_size,), tf.int64)
    signature = {"real": {m: index for m in sampler.modalities}, "pairs": {m: index for m in sampler.modalities},
                 "sync": tf.TensorSpec((batch_size,), tf.float32)}
    dataset = tf.data.Dataset.from_generator(lambda: iter(sampler), output_signature=signature)

    def gather(batch):
        return {"real": {m: tf.gather(arrays[m], i) for m, i in batch["real"].items()},
                "pairs": {m: tf.gather(arrays[m], i) for m, i in batch["pairs"].items()},
                "sync": batch["sync"]}

    dataset = dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(sampler.steps_per_epoch))
    if prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    return dataset, sampler
