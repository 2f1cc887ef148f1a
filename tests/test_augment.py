import keras
import numpy as np
import pytest

from keras_syncgan.augment import translate


def _shifted(image, dy, dx):
    """The reference: `image` (h, w, c) moved dy rows down and dx columns right, zeros where it left."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    for r in range(h):
        for c in range(w):
            if 0 <= r - dy < h and 0 <= c - dx < w:
                out[r, c] = image[r - dy, c - dx]
    return out


def test_translate_moves_each_sample_by_its_own_shift_and_fills_with_zeros():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(6, 5, 7, 2)).astype("float32")
    # Zero, small, negative, and out-of-frame shifts (the last sample leaves the frame entirely).
    shifts = np.array([[0, 0], [1, 2], [-2, 1], [3, -4], [-1, -1], [5, 0]])
    out = keras.ops.convert_to_numpy(translate(x, shifts))
    for image, result, (dy, dx) in zip(x, out, shifts):
        np.testing.assert_array_equal(result, _shifted(image, dy, dx))
    np.testing.assert_array_equal(out[0], x[0])
    assert not out[5].any()


def test_gradients_flow_back_through_the_shift_to_the_pixels_that_stay_in_frame():
    import tensorflow as tf

    x = tf.Variable(np.ones((1, 4, 4, 1), "float32"))
    weights = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(weights * translate(x, np.array([[1, -1]])))
    gradient = tape.gradient(loss, x).numpy()[0, :, :, 0]
    # Pixel (r, c) lands at (r + 1, c - 1): its gradient is that position's weight, 0 if it left the frame.
    expected = np.zeros((4, 4), "float32")
    expected[:3, 1:] = weights[0, 1:, :3, 0]
    np.testing.assert_array_equal(gradient, expected)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_translate_keeps_the_samples_dtype_and_values(dtype):
    x = keras.ops.cast(np.linspace(0, 1, 2 * 3 * 3).reshape(2, 3, 3, 1), dtype)
    out = translate(x, np.array([[0, 1], [-1, 0]]))
    assert keras.backend.standardize_dtype(out.dtype) == dtype
    expected = [_shifted(image, dy, dx) for image, (dy, dx) in zip(keras.ops.convert_to_numpy(x), [(0, 1), (-1, 0)])]
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(out), np.stack(expected))
