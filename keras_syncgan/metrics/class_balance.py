"""Class balance of generated samples: a one-number sign of mode collapse."""

import numpy as np

from keras_syncgan.metrics.validation import as_predicted_classes


def largest_class_share(probs_or_pred):
    """Fraction of samples that the evaluator puts in their most frequent class.

    About 1/K for a generator that covers K balanced classes (real MNIST: about 0.11) and 1.0
    for one that draws a single class. It shows a collapse onto few classes that raises
    `chance_sync_rate`, and so the sync rate, without any pairing between the modalities.

    Args:
        probs_or_pred: class probabilities `(samples, classes)` or predicted classes `(samples,)`.

    Returns:
        The share as a Python float in (0, 1].

    Example:
    >>> largest_class_share(np.array([1, 1, 1, 0, 2, 1]))
    0.6666666666666666
    """
    predicted = as_predicted_classes(probs_or_pred, "probs_or_pred")
    return float(np.bincount(predicted).max() / predicted.size)
