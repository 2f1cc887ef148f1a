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


def augmentation_accuracy(model, x_train, y_train, x_test, y_test, per_class=60, generated_per_class=300,
                          steps=300, seeds=3):
    """Low-data classification with and without a class-conditional model's samples.

    A classifier (the evaluator architecture) learns from the first `per_class` real training images
    of every class; a second one from the same images plus `model.augment(generated_per_class)`.
    Both train `steps` batches of 64, for each of `seeds` seeds, and are scored on the test set.

    Args:
        model: a class-conditional model with `augment(n_per_class)` (e.g. `CVAEGAN`).
        x_train, y_train: real training images (uint8 or [0, 1] floats) and integer labels.
        x_test, y_test: the test set both classifiers are scored on.
        per_class: real training images per class (60 is 1 % of Fashion-MNIST).
        generated_per_class: generated images per class added to them.

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
    training_sets = [(x_few, y_few),
                     (np.concatenate([x_few, np.asarray(x_generated, "float32")]), np.concatenate([y_few, y_generated]))]
    accuracies = [[classifier_accuracy(x, y, x_test, y_test, num_classes=model.num_classes, steps=steps, seed=seed)
                   for seed in range(seeds)] for x, y in training_sets]
    return tuple(np.asarray(a) for a in accuracies)
