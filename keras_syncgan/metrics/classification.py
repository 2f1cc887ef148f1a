"""Classifier-based metrics: does the evaluator recognise the class a sample was made for?"""

import numpy as np

from keras_syncgan.metrics.validation import as_labels, as_predicted_classes, check_same_length


def _fraction_classified_as(predictions, labels, predictions_name, labels_name):
    predicted = as_predicted_classes(predictions, predictions_name)
    labels = as_labels(labels, labels_name)
    check_same_length(predicted, labels, predictions_name, labels_name)
    # A label with no probability column could never be predicted: a mismatched evaluator, not a miss.
    if np.ndim(predictions) == 2 and labels.max() >= np.shape(predictions)[1]:
        raise ValueError(f"`{labels_name}` must hold class indices in [0, {np.shape(predictions)[1]}) (the columns "
                         f"of `{predictions_name}`); received labels up to {labels.max()}.")
    return float(np.mean(predicted == labels))


def conditional_accuracy(probs_or_pred, labels):
    """Fraction of samples the evaluator assigns to the class they were generated for.

    The offline analogue of CVAE-GAN's classifier "discriminability". Applied to real test
    images with their labels it equals the evaluator's test accuracy (the perfect generator).

    Args:
        probs_or_pred: class probabilities `(samples, classes)` or predicted classes `(samples,)`.
        labels: the conditioning classes, shape `(samples,)`.

    Returns:
        The accuracy as a Python float in [0, 1].

    Example:
    >>> conditional_accuracy(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1]))
    0.6666666666666666
    """
    return _fraction_classified_as(probs_or_pred, labels, "probs_or_pred", "labels")


def transfer_accuracy(target_probs, source_labels):
    """Accuracy of modality transfer: target-modality outputs classified as their source's label.

    For SyncGAN, a source sample `x_A` is inverted to a latent `ẑ` and decoded by the other
    generator; the transfer is correct when the evaluator of modality B predicts `x_A`'s label.

    Args:
        target_probs: the target evaluator's probabilities `(samples, classes)` (or classes).
        source_labels: labels of the source samples, shape `(samples,)`.

    Returns:
        The accuracy as a Python float in [0, 1].

    Example:
    >>> transfer_accuracy(np.array([[0.1, 0.9], [0.7, 0.3]]), np.array([1, 1]))
    0.5
    """
    return _fraction_classified_as(target_probs, source_labels, "target_probs", "source_labels")
