"""Offline GAN metrics on synthetic data with known answers (no training, a few seconds)."""

import numpy as np
import prdc
import pytest

from keras_syncgan.metrics import (chance_sync_rate, conditional_accuracy, density_coverage, largest_class_share,
                                   frechet_distance, inception_score, kernel_inception_distance,
                                   pair_agreement, precision_recall, sync_rate, transfer_accuracy)


def gaussian(rng, n, d, mean=0.0, std=1.0):
    return rng.normal(mean, std, size=(n, d))


def two_clusters(rng, n, d, separation=20.0):
    """Half the points around the origin, half around (separation, 0, ..., 0)."""
    points = gaussian(rng, n, d)
    points[n // 2:, 0] += separation
    return points


def one_hot(classes, num_classes):
    return np.eye(num_classes)[classes]


# Fréchet distance and KID


def test_frechet_distance_matches_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(0)
    n, d = 20_000, 16
    mean_1, mean_2 = rng.normal(size=d), rng.normal(size=d)
    std_1, std_2 = rng.uniform(0.5, 2.0, size=d), rng.uniform(0.5, 2.0, size=d)
    x = mean_1 + std_1 * rng.normal(size=(n, d))
    y = mean_2 + std_2 * rng.normal(size=(n, d))
    closed_form = np.sum((mean_1 - mean_2) ** 2) + np.sum((std_1 - std_2) ** 2)
    assert frechet_distance(x, y) == pytest.approx(closed_form, rel=0.02)


def test_frechet_distance_is_symmetric_and_near_zero_for_one_distribution():
    rng = np.random.default_rng(1)
    x, y = gaussian(rng, 5000, 16), gaussian(rng, 5000, 16)
    # The finite-sample bias is of order d^2 / n.
    assert frechet_distance(x, y) < 16**2 / 5000 * 2
    shifted = gaussian(rng, 5000, 16, mean=0.5, std=1.5)
    assert frechet_distance(x, shifted) == pytest.approx(frechet_distance(shifted, x), rel=1e-9)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_accepts_a_single_feature():
    rng = np.random.default_rng(2)
    x, y = gaussian(rng, 20_000, 1), gaussian(rng, 20_000, 1, mean=2.0, std=3.0)
    assert frechet_distance(x, y) == pytest.approx(4.0 + 4.0, rel=0.02)


def test_kid_is_near_zero_for_one_distribution_and_large_for_a_shifted_one():
    rng = np.random.default_rng(3)
    x, y = gaussian(rng, 2000, 16), gaussian(rng, 2000, 16)
    mean, std = kernel_inception_distance(x, y, subset_size=500, subsets=20)
    assert abs(mean) < 0.05 and std < 0.1
    shifted_mean, _ = kernel_inception_distance(x, y + 1.0, subset_size=500, subsets=20)
    assert shifted_mean > 5.0
    # Deterministic for a given seed.
    assert kernel_inception_distance(x, y, subset_size=100, subsets=3, seed=7) == \
        kernel_inception_distance(x, y, subset_size=100, subsets=3, seed=7)


def test_kid_caps_the_subset_size_at_the_smaller_set():
    rng = np.random.default_rng(4)
    mean, _ = kernel_inception_distance(gaussian(rng, 50, 4), gaussian(rng, 80, 4, mean=3.0), subsets=5)
    assert np.isfinite(mean) and mean > 1.0


# Precision / recall and density / coverage


def test_manifold_metrics_agree_with_prdc():
    rng = np.random.default_rng(5)
    real, fake = gaussian(rng, 600, 8), gaussian(rng, 500, 8, mean=0.3, std=1.2)
    for k in (3, 5):
        expected = prdc.compute_prdc(real, fake, nearest_k=k)
        precision, recall = precision_recall(real, fake, k=k)
        density, coverage = density_coverage(real, fake, k=k)
        assert precision == pytest.approx(expected["precision"], abs=1e-12)
        assert recall == pytest.approx(expected["recall"], abs=1e-12)
        assert density == pytest.approx(expected["density"], abs=1e-12)
        assert coverage == pytest.approx(expected["coverage"], abs=1e-12)


def test_precision_and_recall_swap_when_the_sets_swap():
    rng = np.random.default_rng(6)
    x, y = gaussian(rng, 700, 6), gaussian(rng, 900, 6, std=1.5)
    precision_xy, recall_xy = precision_recall(x, y)
    precision_yx, recall_yx = precision_recall(y, x)
    assert precision_xy == recall_yx and recall_xy == precision_yx


def test_manifold_metrics_work_across_several_chunks(monkeypatch):
    rng = np.random.default_rng(7)
    real, fake = gaussian(rng, 300, 4), gaussian(rng, 250, 4, mean=0.5)
    whole = precision_recall(real, fake), density_coverage(real, fake)
    monkeypatch.setattr("keras_syncgan.metrics.manifold.CHUNK_ROWS", 64)
    assert (precision_recall(real, fake), density_coverage(real, fake)) == whole


def test_mode_dropping_halves_recall_and_coverage():
    rng = np.random.default_rng(8)
    n, d = 4000, 8
    real = two_clusters(rng, n, d)
    same_distribution = two_clusters(rng, n, d)
    one_mode = gaussian(rng, n, d)  # only the cluster at the origin
    base_precision, base_recall = precision_recall(real, same_distribution, k=5)
    base_density, base_coverage = density_coverage(real, same_distribution, k=5)
    precision, recall = precision_recall(real, one_mode, k=5)
    density, coverage = density_coverage(real, one_mode, k=5)
    assert recall / base_recall == pytest.approx(0.5, abs=0.05)
    assert coverage / base_coverage == pytest.approx(0.5, abs=0.05)
    # The kept mode is rendered faithfully: quality metrics do not drop.
    assert precision == pytest.approx(base_precision, abs=0.05)
    assert density == pytest.approx(base_density, rel=0.1)


# Classifier-based metrics


def test_inception_score_bounds():
    num_classes = 10
    uniform_one_hot = one_hot(np.arange(1000) % num_classes, num_classes)
    mean, std = inception_score(uniform_one_hot)
    assert mean == pytest.approx(num_classes) and std == pytest.approx(0.0, abs=1e-9)
    constant = np.tile(np.random.default_rng(9).dirichlet(np.ones(num_classes)), (1000, 1))
    assert inception_score(constant)[0] == pytest.approx(1.0)


def test_conditional_and_transfer_accuracy_accept_probabilities_or_classes():
    labels = np.array([0, 1, 2, 2])
    probs = one_hot(np.array([0, 1, 2, 0]), 3) * 0.7 + 0.1
    assert conditional_accuracy(probs, labels) == 0.75
    assert conditional_accuracy(probs.argmax(axis=1), labels) == 0.75
    assert transfer_accuracy(probs, labels) == 0.75


def test_sync_rate_of_random_pairing_is_near_chance():
    rng = np.random.default_rng(10)
    n, num_classes = 20_000, 10
    probs_a = rng.dirichlet(np.ones(num_classes), size=n)
    probs_b = rng.dirichlet(np.ones(num_classes) * 0.5, size=n)
    chance = chance_sync_rate(probs_a, probs_b)
    assert chance == pytest.approx(1.0 / num_classes, abs=0.01)
    assert sync_rate(probs_a, probs_b) == pytest.approx(chance, abs=0.01)
    assert sync_rate(probs_a, probs_a) == 1.0


def test_largest_class_share_measures_collapse_onto_one_class():
    rng = np.random.default_rng(11)
    balanced = rng.dirichlet(np.ones(10) * 0.3, size=10_000)
    assert largest_class_share(balanced) == pytest.approx(0.1, abs=0.01)
    # Half the samples forced into class 1 (a digit generator that draws "1"s): the share follows.
    collapsed = balanced.argmax(axis=1)
    collapsed[: len(collapsed) // 2] = 1
    assert largest_class_share(collapsed) == pytest.approx(0.5 + 0.05, abs=0.01)
    assert largest_class_share(np.full(7, 3)) == 1.0


def test_chance_sync_rate_reflects_shared_mode_collapse():
    collapsed = np.zeros(100, dtype=np.int64)
    assert chance_sync_rate(collapsed, collapsed) == 1.0
    assert chance_sync_rate(collapsed, np.ones(50, dtype=np.int64)) == 0.0


def test_pair_agreement():
    rng = np.random.default_rng(11)
    images = rng.integers(0, 256, size=(20, 8, 8), dtype=np.uint8)
    invert = lambda x: 1.0 - x  # noqa: E731
    assert pair_agreement(images, 255 - images, invert) == pytest.approx(1.0)
    assert pair_agreement(images, images) == 1.0
    assert pair_agreement(np.zeros((3, 4, 4)), np.ones((3, 4, 4))) == 0.0
    # Independent uniform images differ by 1/3 on average.
    assert pair_agreement(rng.random((200, 8, 8)), rng.random((200, 8, 8))) == pytest.approx(2 / 3, abs=0.01)


# Input validation: each error names the offending argument.

_FEATURES = np.random.default_rng(12).normal(size=(20, 4))
_PROBS = np.full((20, 5), 0.2)
_WITH_NAN = np.where(np.arange(80).reshape(20, 4) == 5, np.nan, _FEATURES)


@pytest.mark.parametrize("call, match", [
    (lambda: frechet_distance(_FEATURES, _FEATURES[:, :3]), "`x` and `y` must have the same number of features"),
    (lambda: frechet_distance(_FEATURES.reshape(20, 2, 2), _FEATURES), "`x` must be a 2-D array"),
    (lambda: frechet_distance(_FEATURES, _WITH_NAN), "`y` must contain only finite values"),
    (lambda: frechet_distance(_FEATURES[:1], _FEATURES), "`x` needs at least 2 samples"),
    (lambda: kernel_inception_distance(_FEATURES, np.ones(20)), "`y` must be a 2-D array"),
    (lambda: kernel_inception_distance(_FEATURES, _FEATURES * np.inf), "`y` must contain only finite values"),
    (lambda: kernel_inception_distance(_FEATURES, _FEATURES, subsets=0), "`subsets` must be an integer"),
    (lambda: precision_recall(_FEATURES, _FEATURES[:, :2]), "`real` and `fake` must have the same number"),
    (lambda: precision_recall(_FEATURES[:3], _FEATURES, k=3), "`real` needs at least 4 samples"),
    (lambda: precision_recall(_FEATURES, _FEATURES[:3], k=3), "`fake` needs at least 4 samples"),
    (lambda: precision_recall(_WITH_NAN, _FEATURES), "`real` must contain only finite values"),
    (lambda: density_coverage(_FEATURES[:5], _FEATURES, k=5), "`real` needs at least 6 samples"),
    (lambda: density_coverage(_FEATURES, _FEATURES.ravel()), "`fake` must be a 2-D array"),
    (lambda: density_coverage(_FEATURES, _FEATURES, k=0), "`k` must be an integer >= 1"),
    (lambda: inception_score(_PROBS[:, 0]), "`probs` must be class probabilities of shape"),
    (lambda: inception_score(_PROBS * 2), "`probs` rows must be probability distributions"),
    (lambda: inception_score(_PROBS, splits=50), "`probs` needs at least 50 samples"),
    (lambda: conditional_accuracy(_PROBS, np.zeros(19, dtype=int)), "`probs_or_pred` and `labels`"),
    (lambda: conditional_accuracy(_PROBS, np.full(20, 0.5)), "`labels` must hold integer class indices"),
    (lambda: conditional_accuracy(_PROBS[None], np.zeros(20, dtype=int)), "`probs_or_pred` must be class"),
    (lambda: transfer_accuracy(_PROBS, np.zeros((20, 1), dtype=int)), "`source_labels` must be a 1-D array"),
    (lambda: sync_rate(_PROBS, _PROBS[:10]), "`probs_a` and `probs_b` must have one entry per sample"),
    (lambda: sync_rate(_PROBS, -_PROBS), "`probs_b` rows must be probability distributions"),
    (lambda: chance_sync_rate(_PROBS, np.full((20, 4), 0.25)), "`probs_a` and `probs_b` must have the same number"),
    (lambda: largest_class_share(np.zeros(0, dtype=int)),
     r"`probs_or_pred` must be a 1-D array of class indices of shape \(samples,\); received ndarray of shape \(0,\)"),
    (lambda: largest_class_share(_PROBS * 2), "`probs_or_pred` rows must be probability distributions"),
    (lambda: pair_agreement(np.ones((2, 4, 4)) * 2, np.ones((2, 4, 4))), "`x_a` must be uint8 images"),
    (lambda: pair_agreement(np.ones((2, 4, 4)), np.ones((2, 4, 5))), "`x_b` must be a batch of images"),
    (lambda: pair_agreement(np.ones((2, 4, 4)), np.ones((2, 4, 4)), lambda x: x * 255),
     r"`transform\(x_a\)` must be uint8 images"),
])
def test_bad_inputs_raise_value_errors_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
