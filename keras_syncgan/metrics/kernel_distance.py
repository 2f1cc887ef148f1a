"""Kernel Inception Distance (Bińkowski et al., 2018): unbiased MMD² with a cubic polynomial kernel."""

import numpy as np

from keras_syncgan.metrics.validation import as_feature_pair, check_min_samples, check_positive_int


def _polynomial_kernel(a, b):
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def _unbiased_mmd2(x, y):
    """Unbiased MMD² of two equal-size samples: the kernel diagonals (k(x, x)) are left out."""
    s = len(x)
    k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (s * (s - 1))
    return within - 2.0 * k_xy.mean()


def kernel_inception_distance(x, y, subset_size=1000, subsets=100, seed=0):
    """Kernel Inception Distance of two feature sets, as `(mean, std)` over random subsets.

    Kernel `k(a, b) = (aᵀb / d + 1)³`; on each subset the unbiased MMD² estimate is computed,
    so the value is ~0 (and can be slightly negative) for two samples of one distribution.
    Unbiased, hence more reliable than the Fréchet distance for small samples.

    Args:
        x: features of shape `(n, d)`.
        y: features of shape `(m, d)`.
        subset_size: samples per subset, drawn without replacement; capped at `min(n, m)`.
        subsets: number of random subsets.
        seed: seed of the subset draws (the result is deterministic).

    Returns:
        `(mean, std)` of the MMD² estimates over the subsets, as Python floats.

    Example:
    >>> rng = np.random.default_rng(0)
    >>> mean, std = kernel_inception_distance(rng.normal(size=(500, 8)), rng.normal(size=(500, 8)),
    ...                                       subset_size=200, subsets=10)
    >>> abs(mean) < 0.1
    True
    """
    x, y = as_feature_pair(x, y, "x", "y")
    subset_size = check_positive_int(subset_size, "subset_size", minimum=2)
    subsets = check_positive_int(subsets, "subsets")
    check_min_samples(x, "x", 2, "for the unbiased MMD estimate")
    check_min_samples(y, "y", 2, "for the unbiased MMD estimate")
    size = min(subset_size, len(x), len(y))
    rng = np.random.default_rng(seed)
    estimates = np.array([
        _unbiased_mmd2(x[rng.choice(len(x), size, replace=False)], y[rng.choice(len(y), size, replace=False)])
        for _ in range(subsets)
    ])
    return float(estimates.mean()), float(estimates.std())
