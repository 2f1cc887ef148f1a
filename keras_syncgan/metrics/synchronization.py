"""SyncGAN synchronisation: do paired samples of two modalities show the same class?"""

import numpy as np

from keras_syncgan.metrics.validation import as_predicted_classes, check_same_length


def sync_rate(probs_a, probs_b):
    """Fraction of pairs `(G_A(z), G_B(z))` whose two evaluators predict the same class.

    Compare with `chance_sync_rate` (what unrelated pairs would reach), and with the product of
    the two evaluators' test accuracies (what perfectly synchronised real pairs reach).

    Args:
        probs_a: modality A probabilities `(pairs, classes)` or predicted classes `(pairs,)`.
        probs_b: modality B probabilities or classes, one row per pair, aligned with `probs_a`.

    Returns:
        The rate as a Python float in [0, 1].

    Example:
    >>> sync_rate(np.array([0, 1, 2, 2]), np.array([0, 1, 2, 1]))
    0.75
    """
    predicted_a = as_predicted_classes(probs_a, "probs_a")
    predicted_b = as_predicted_classes(probs_b, "probs_b")
    check_same_length(predicted_a, predicted_b, "probs_a", "probs_b")
    return float(np.mean(predicted_a == predicted_b))


def chance_sync_rate(probs_a, probs_b):
    """Sync rate of random pairing, `Σ_k p_A(k) p_B(k)` over the predicted-class frequencies.

    About 1/K for balanced classes; higher when both modalities collapse onto the same classes.
    The two sets need not have the same length.

    Args:
        probs_a: modality A probabilities `(samples, classes)` or predicted classes `(samples,)`.
        probs_b: modality B probabilities or predicted classes.

    Returns:
        The chance level as a Python float in [0, 1].

    Example:
    >>> chance_sync_rate(np.array([0, 1, 0, 1]), np.array([0, 0, 0, 1]))
    0.5
    """
    predicted_a = as_predicted_classes(probs_a, "probs_a")
    predicted_b = as_predicted_classes(probs_b, "probs_b")
    if np.ndim(probs_a) == np.ndim(probs_b) == 2 and np.shape(probs_a)[1] != np.shape(probs_b)[1]:
        raise ValueError(f"`probs_a` and `probs_b` must have the same number of classes (columns); "
                         f"received shapes {np.shape(probs_a)} and {np.shape(probs_b)}.")
    num_classes = max(predicted_a.max(), predicted_b.max()) + 1
    frequency_a = np.bincount(predicted_a, minlength=num_classes) / len(predicted_a)
    frequency_b = np.bincount(predicted_b, minlength=num_classes) / len(predicted_b)
    return float(frequency_a @ frequency_b)
