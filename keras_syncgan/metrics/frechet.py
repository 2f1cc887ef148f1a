"""Fréchet distance between Gaussians fitted to two feature sets (the FID formula)."""

import numpy as np

from keras_syncgan.metrics.validation import as_feature_pair, check_min_samples


def _psd_sqrt(matrix):
    """Symmetric square root of a positive semi-definite matrix (rounding negatives clipped to 0)."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def frechet_distance(x, y):
    """Fréchet distance between two feature sets, `‖μx − μy‖² + Tr(Σx + Σy − 2 (Σx Σy)^½)`.

    Computed in float64 with symmetric eigendecompositions: with `A = Σx^½`,
    `Tr((Σx Σy)^½) = Σ sqrt(eigvalsh(A Σy A))`. Unlike `scipy.linalg.sqrtm` this never returns
    complex values for nearly singular covariances and is faster. The estimate is biased upward
    for small samples: compare only values computed with the same number of samples.

    Args:
        x: features of shape `(n, d)`, e.g. an evaluator's `features()` of real images.
        y: features of shape `(m, d)`.

    Returns:
        The distance as a Python float (>= 0).

    Example:
    >>> rng = np.random.default_rng(0)
    >>> round(frechet_distance(rng.normal(size=(5000, 2)), rng.normal(3.0, size=(5000, 2))), 1)
    18.0
    """
    x, y = as_feature_pair(x, y, "x", "y")
    check_min_samples(x, "x", 2, "to estimate a covariance")
    check_min_samples(y, "y", 2, "to estimate a covariance")
    mean_difference = x.mean(axis=0) - y.mean(axis=0)
    # atleast_2d: np.cov returns a scalar for a single feature.
    cov_x = np.atleast_2d(np.cov(x, rowvar=False))
    cov_y = np.atleast_2d(np.cov(y, rowvar=False))
    sqrt_cov_x = _psd_sqrt(cov_x)
    eigenvalues = np.linalg.eigvalsh(sqrt_cov_x @ cov_y @ sqrt_cov_x)
    trace_sqrt_product = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    distance = mean_difference @ mean_difference + np.trace(cov_x) + np.trace(cov_y) - 2.0 * trace_sqrt_product
    # Rounding can leave identical distributions a hair below zero.
    return float(max(distance, 0.0))
