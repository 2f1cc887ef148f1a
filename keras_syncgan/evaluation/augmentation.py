"""Augmentation accuracy: does a low-data classifier gain from a conditional model's samples?"""

import numpy as np

from keras_syncgan.evaluation.evaluator import Evaluator
from keras_syncgan.metrics.validation import as_labels, as_unit_images, check_positive_int


def first_per_class(y, per_class):
    """Indices of the first `per_class` samples of every class in `y`: a fixed low-data subset."""
    y = as_labels(y, "y")
    per_class = check_positive_int(per_class, "per_class")
    counts = np.bincount(y)
    if counts.min() < per_class:
        raise ValueError(f"`per_class` must be at most the smallest class's size {counts.min()}; "
                         f"received per_class={per_class}.")
    return np.concatenate([np.flatnonzero(y == k)[:per_class] for k in np.unique(y)])


def classifier_accuracy(x, y, x_test, y_test, num_classes=None, steps=300, batch_size=64, seed=0):
    """Test accuracy of a fresh evaluator-architecture classifier trained for about `steps` batches.

    The step count, not the epoch count, is fixed, so training sets of different sizes get the same
    compute (a larger set is seen fewer times).
    """
    steps = check_positive_int(steps, "steps")
    num_classes = num_classes or int(max(np.max(y), np.max(y_test))) + 1
    classifier = Evaluator(np.shape(x)[1:], num_classes)
    epochs = max(1, round(steps / -(-len(x) // batch_size)))
    classifier.train(x, y, epochs=epochs, batch_size=batch_size, seed=seed)
    return classifier.accuracy(x_test, y_test)


def mix_real_and_generated(x_real, y_real, x_generated, y_generated, real_fraction=0.5):
    """One training set of real and generated images in which the real ones make up `real_fraction`.

    The real images are repeated a whole number of times (at least once), so that a shuffled pass
    over the set draws real and generated images in that proportion however many samples a model
    adds: otherwise a few hundred real images drown among thousands of generated ones, and a
    classifier trained a fixed number of steps sees each real image several times less often.

    Args:
        x_real, y_real, x_generated, y_generated: images `(n, ...)` (same shape after the first
            axis) and their integer labels.
        real_fraction: the real images' share, in (0, 1); None concatenates the two sets as they are.

    Returns:
        `(x, y)`: the real images (repeated) followed by the generated ones.

    Example:
    >>> x, y = mix_real_and_generated(np.zeros((10, 2)), np.zeros(10), np.ones((30, 2)), np.ones(30))
    >>> len(x), int(y.sum())
    (60, 30)
    """
    x_real, x_generated = np.asarray(x_real, "float32"), np.asarray(x_generated, "float32")
    y_real, y_generated = as_labels(y_real, "y_real"), as_labels(y_generated, "y_generated")
    if x_real.shape[1:] != x_generated.shape[1:]:
        raise ValueError(f"`x_generated` must hold images of the real ones' shape {x_real.shape[1:]}; received "
                         f"shape {x_generated.shape[1:]}.")
    for x, y, argument in ((x_real, y_real, "y_real"), (x_generated, y_generated, "y_generated")):
        if y.shape != (len(x),):
            raise ValueError(f"`{argument}` must hold one label per image, shape ({len(x)},); "
                             f"received shape {y.shape}.")
    repeats = 1
    if real_fraction is not None:
        if not 0.0 < real_fraction < 1.0:
            raise ValueError(f"`real_fraction` must be in (0, 1), or None; received {real_fraction!r}.")
        repeats = max(1, round(real_fraction / (1.0 - real_fraction) * len(x_generated) / len(x_real)))
    return (np.concatenate([np.tile(x_real, (repeats,) + (1,) * (x_real.ndim - 1)), x_generated]),
            np.concatenate([np.tile(y_real, repeats), y_generated]))


def augmentation_accuracy(model, x_train, y_train, x_test, y_test, per_class=60, generated_per_class=1000,
                          real_fraction=0.5, steps=1500, seeds=3):
    """Low-data classification with and without a class-conditional model's samples.

    A classifier (the evaluator architecture) learns from the first `per_class` real training images
    of every class; a second one from the same images plus `model.augment(generated_per_class)`,
    mixed so that real images make `real_fraction` of what it sees (`mix_real_and_generated`). Both train
    `steps` batches of 64, for each of `seeds` seeds, and are scored on the test set.

    Args:
        model: a class-conditional model with `augment(n_per_class)` (e.g. `CVAEGAN`).
        x_train, y_train: real training images (uint8 or [0, 1] floats) and integer labels.
        x_test, y_test: the test set both classifiers are scored on.
        per_class: real training images per class (60 is 1 % of Fashion-MNIST).
        generated_per_class: generated images per class added to them.
        real_fraction: the real images' share of the augmented set (see `mix_real_and_generated`).
        steps: classifier steps; 1,500 lets both classifiers converge (1 % of Fashion-MNIST alone
            scored 0.814 / 0.821 / 0.822 after 300 / 900 / 1,500 steps).

    Returns:
        `(real_only, augmented)`: numpy arrays of test accuracies, one per seed.

    Example:
    >>> real_only, augmented = augmentation_accuracy(model, x_train, y_train, x_test, y_test)  # doctest: +SKIP
    >>> print(f"{real_only.mean():.3f} -> {augmented.mean():.3f}")  # doctest: +SKIP
    """
    seeds = check_positive_int(seeds, "seeds")
    few = first_per_class(y_train, per_class)
    x_few = as_unit_images(np.asarray(x_train)[few], "x_train")
    x_few = x_few[..., None] if x_few.ndim == 3 else x_few
    y_few = np.asarray(y_train)[few].astype("int64")
    x_generated, y_generated = model.augment(generated_per_class)
    training_sets = [(x_few, y_few), mix_real_and_generated(x_few, y_few, x_generated, y_generated, real_fraction)]
    accuracies = [[classifier_accuracy(x, y, x_test, y_test, num_classes=model.num_classes, steps=steps, seed=seed)
                   for seed in range(seeds)] for x, y in training_sets]
    return tuple(np.asarray(a) for a in accuracies)
