"""Pixel agreement of image pairs linked by a known deterministic transform (CoGAN-style)."""

import numpy as np

from keras_syncgan.metrics.validation import as_unit_images
from keras_syncgan.utils import describe


def pair_agreement(x_a, x_b, transform=None):
    """Mean over pairs of `1 − mean|T(x_a) − x_b|`: 1 when every `x_b` is exactly `T(x_a)`.

    For SyncGAN trained on pairs such as MNIST ↔ inverted MNIST, it measures directly whether the
    two generators produce the matching image, without any classifier.

    Args:
        x_a: modality A images, uint8 in [0, 255] or float in [0, 1], shape `(pairs, ...)`.
        x_b: modality B images, same convention, shape of `T(x_a)`.
        transform: vectorised function mapping a batch of A images (float in [0, 1]) to the
            expected B images; `None` for the identity.

    Returns:
        The agreement as a Python float in [0, 1].

    Example:
    >>> x = np.random.default_rng(0).random((4, 8, 8))
    >>> pair_agreement(x, 1.0 - x, transform=lambda images: 1.0 - images)
    1.0
    """
    x_a, x_b = as_unit_images(x_a, "x_a", np.float64), as_unit_images(x_b, "x_b", np.float64)
    expected = x_a if transform is None else as_unit_images(transform(x_a), "transform(x_a)", np.float64)
    if expected.shape != x_b.shape or x_b.ndim < 2:
        raise ValueError(f"`x_b` must be a batch of images with the shape of `transform(x_a)`; received "
                         f"x_b as {describe(x_b)} and transform(x_a) as {describe(expected)}.")
    per_pair_error = np.abs(expected - x_b).reshape(len(x_b), -1).mean(axis=1)
    return float(np.mean(1.0 - per_pair_error))
