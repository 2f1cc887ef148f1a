"""Inception Score computed from any classifier's probabilities."""

import numpy as np
from scipy.special import rel_entr

from keras_syncgan.metrics.validation import as_probabilities, check_min_samples, check_positive_int


def inception_score(probs, splits=10):
    """Inception Score `exp(E_x KL(p(y|x) ‖ p(y)))`, as `(mean, std)` over `splits` parts.

    With a locally trained evaluator in place of Inception it measures how confidently and how
    evenly the samples are classified: 1 for constant predictions, K for confident predictions
    spread uniformly over K classes.

    Args:
        probs: class probabilities of shape `(samples, classes)`, e.g. `Evaluator.probabilities()`.
        splits: number of consecutive parts the score is computed on.

    Returns:
        `(mean, std)` over the parts, as Python floats.

    Example:
    >>> mean, std = inception_score(np.eye(10)[np.arange(1000) % 10])
    >>> round(mean, 6), round(std, 6)
    (10.0, 0.0)
    """
    probs = as_probabilities(probs, "probs")
    splits = check_positive_int(splits, "splits")
    check_min_samples(probs, "probs", splits, f"for splits={splits}")
    scores = []
    for part in np.array_split(probs, splits):
        # rel_entr is exactly 0 where p(y|x) = 0, so one-hot probabilities need no epsilon.
        kl = rel_entr(part, part.mean(axis=0, keepdims=True)).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
