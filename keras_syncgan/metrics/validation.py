"""Argument checks shared by the metrics, the evaluator, the data pipelines and the models' inference methods.

Every error names the argument, says what was expected and what came, so that a wrong array
passed deep inside an evaluation script is easy to trace.
"""

import numbers

import numpy as np

from keras_syncgan.utils import describe

# Softmax outputs in float32 sum to 1 only up to rounding.
PROBABILITY_TOLERANCE = 1e-3


def check_number(value, name, expected, holds):
    """Returns `value` as a float, or raises if it is not a real number for which `holds(value)` is true.

    `expected` completes "must be ...", e.g. "a number in (0, 1)".
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not holds(float(value)):
        raise ValueError(f"`{name}` must be {expected}; received {name}={value!r}.")
    return float(value)


def check_positive_int(value, name, minimum=1):
    """Returns `value` as an int, or raises if it is not an integer >= `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; received {name}={value!r}.")
    return int(value)


def _check_finite(x, name):
    if not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"`{name}` must contain only finite values; received {describe(x)} "
                         f"with {bad} NaN or infinite entries.")


def as_real_array(x, name, dtype=np.float32):
    """`x` as a finite array of `dtype`; strings, complex numbers, objects and NaN/inf are refused."""
    array = np.asarray(x)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"`{name}` must be a real-valued (integer or float) array; received {describe(array)}.")
    array = array.astype(dtype)
    _check_finite(array, name)
    return array


def as_features(x, name):
    """`x` as a finite float64 array of shape `(samples, features)`."""
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"`{name}` must be a 2-D array of shape (samples, features) with at least one "
                         f"sample; received {describe(array)}. Flatten images or extract features first.")
    _check_finite(array, name)
    return array


def as_feature_pair(x, y, x_name, y_name):
    """Two feature arrays that describe points of one space (same number of columns)."""
    x, y = as_features(x, x_name), as_features(y, y_name)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"`{x_name}` and `{y_name}` must have the same number of features (columns); "
                         f"received {x_name} of shape {x.shape} and {y_name} of shape {y.shape}.")
    return x, y


def check_min_samples(x, name, minimum, reason):
    """Raises if `x` has fewer than `minimum` rows; `reason` says why they are needed."""
    if len(x) < minimum:
        raise ValueError(f"`{name}` needs at least {minimum} samples {reason}; received {len(x)} "
                         f"(shape {x.shape}).")


def as_probabilities(p, name):
    """`p` as a float64 array of shape `(samples, classes)` whose rows are distributions."""
    array = np.asarray(p, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] < 2:
        raise ValueError(f"`{name}` must be class probabilities of shape (samples, classes) with at "
                         f"least one sample and two classes; received {describe(array)}.")
    _check_finite(array, name)
    row_sums = array.sum(axis=1)
    if array.min() < -PROBABILITY_TOLERANCE or np.abs(row_sums - 1.0).max() > PROBABILITY_TOLERANCE:
        raise ValueError(f"`{name}` rows must be probability distributions (non-negative, summing to 1, "
                         f"e.g. softmax outputs); received values in [{array.min():.4g}, {array.max():.4g}] "
                         f"and row sums in [{row_sums.min():.4g}, {row_sums.max():.4g}].")
    return array


def as_labels(y, name):
    """`y` as an int64 array of shape `(samples,)` of non-negative class indices."""
    array = np.asarray(y)
    if array.ndim != 1 or array.shape[0] == 0:
        raise ValueError(f"`{name}` must be a 1-D array of class indices of shape (samples,); "
                         f"received {describe(array)}.")
    if array.dtype.kind not in "iub":
        as_float = np.asarray(array, dtype=np.float64)
        _check_finite(as_float, name)
        if not np.array_equal(as_float, np.round(as_float)):
            raise ValueError(f"`{name}` must hold integer class indices; received {describe(array)} "
                             f"with non-integer values.")
    labels = array.astype(np.int64)
    if labels.min() < 0:
        raise ValueError(f"`{name}` must hold non-negative class indices; received minimum {labels.min()}.")
    return labels


def as_predicted_classes(p, name):
    """Predicted class indices from probabilities `(samples, classes)` or indices `(samples,)`."""
    if np.ndim(p) == 2:
        return as_probabilities(p, name).argmax(axis=1)
    if np.ndim(p) == 1:
        return as_labels(p, name)
    raise ValueError(f"`{name}` must be class probabilities of shape (samples, classes) or predicted "
                     f"class indices of shape (samples,); received {describe(np.asarray(p))}.")


def check_same_length(a, b, a_name, b_name):
    """Raises unless `a` and `b` describe the same samples (same first dimension)."""
    if len(a) != len(b):
        raise ValueError(f"`{a_name}` and `{b_name}` must have one entry per sample (same length); "
                         f"received {len(a)} and {len(b)}.")


def as_unit_images(x, name, dtype=np.float32):
    """Images as floats in [0, 1]: uint8 is divided by 255, floats must already lie in [0, 1]."""
    given = np.asarray(x)
    if given.dtype == np.uint8:
        return given.astype(dtype) / 255.0
    if given.dtype.kind not in "fiu":
        raise ValueError(f"`{name}` must be uint8 images in [0, 255] or float images in [0, 1]; "
                         f"received {describe(given)}.")
    array = as_real_array(given, name, dtype)
    # Small tolerance: resizing or float16 round trips overshoot [0, 1] by a rounding error.
    if array.size and (array.min() < -1e-3 or array.max() > 1.0 + 1e-3):
        raise ValueError(f"`{name}` must be uint8 images in [0, 255] or float images in [0, 1]; received "
                         f"{describe(given)} with values in [{array.min():.4g}, {array.max():.4g}]. "
                         f"Rescale tanh outputs with (x + 1) / 2.")
    return np.clip(array, 0.0, 1.0)
