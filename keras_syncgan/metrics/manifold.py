"""k-nearest-neighbour manifold metrics: improved precision/recall and density/coverage.

Each sample set is approximated by the union of balls around its points, each with the radius of
the distance to its k-th nearest neighbour. Pairwise distances are computed in row chunks, so
memory stays bounded (`CHUNK_ROWS` x the other set's size) for any number of samples.
"""

import numpy as np
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import NearestNeighbors

from keras_syncgan.metrics.validation import as_feature_pair, check_min_samples, check_positive_int

CHUNK_ROWS = 1024


def nearest_neighbour_radii(points, k):
    """Distance from each point to its k-th nearest *other* point of the same set."""
    # k + 1 neighbours: every point is its own nearest neighbour, at distance 0.
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
    return distances[:, k]


def _balls_containing(queries, centres, radii):
    """For each query point, the number of balls `B(centres[i], radii[i])` that contain it."""
    counts = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        counts[rows] = (euclidean_distances(queries[rows], centres) <= radii).sum(axis=1)
    return counts


def _validated(real, fake, k, min_fake):
    k = check_positive_int(k, "k")
    real, fake = as_feature_pair(real, fake, "real", "fake")
    check_min_samples(real, "real", k + 1, f"for k={k} nearest neighbours of each real sample")
    check_min_samples(fake, "fake", min_fake(k), f"for k={k} nearest neighbours of each fake sample")
    return real, fake, k


def precision_recall(real, fake, k=3):
    """Improved precision and recall (Kynkäänniemi et al., 2019).

    Precision is the fraction of fake samples inside the real manifold (sample quality); recall
    the fraction of real samples inside the fake manifold (mode coverage). Even two samples of
    one distribution score below 1 at finite size: compare with a real-vs-real baseline.

    Args:
        real: real features of shape `(n, d)`, `n > k`.
        fake: generated features of shape `(m, d)`, `m > k`.
        k: the neighbour whose distance sets each ball's radius.

    Returns:
        `(precision, recall)` as Python floats in [0, 1].

    Example:
    >>> rng = np.random.default_rng(0)
    >>> real = rng.normal(size=(1000, 4))
    >>> precision, recall = precision_recall(real, real + 10.0)
    >>> precision, recall
    (0.0, 0.0)
    """
    real, fake, k = _validated(real, fake, k, min_fake=lambda k: k + 1)
    precision = np.mean(_balls_containing(fake, real, nearest_neighbour_radii(real, k)) > 0)
    recall = np.mean(_balls_containing(real, fake, nearest_neighbour_radii(fake, k)) > 0)
    return float(precision), float(recall)


def density_coverage(real, fake, k=5):
    """Density and coverage (Naeem et al., 2020), which use only the real samples' balls.

    Density is the mean number of real balls containing a fake sample, divided by k (~1 when the
    distributions match, > 1 when fakes crowd dense real regions); coverage the fraction of real
    balls that contain at least one fake sample. Both ignore fake outliers, unlike precision/recall.

    Args:
        real: real features of shape `(n, d)`, `n > k`.
        fake: generated features of shape `(m, d)`.
        k: the neighbour whose distance sets each real ball's radius.

    Returns:
        `(density, coverage)` as Python floats; density >= 0, coverage in [0, 1].

    Example:
    >>> rng = np.random.default_rng(0)
    >>> density, coverage = density_coverage(rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)))
    >>> 0.8 < density < 1.2 and coverage > 0.9
    True
    """
    real, fake, k = _validated(real, fake, k, min_fake=lambda k: 1)
    radii = nearest_neighbour_radii(real, k)
    density = _balls_containing(fake, real, radii).sum() / (k * len(fake))
    # A real ball is covered when the real sample's nearest fake lies within its radius.
    nearest_fake, _ = NearestNeighbors(n_neighbors=1).fit(fake).kneighbors(real)
    coverage = np.mean(nearest_fake[:, 0] <= radii)
    return float(density), float(coverage)
