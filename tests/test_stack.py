"""The pinned stack works together: tensorflow-io's native audio ops load beside TensorFlow."""

import io
import wave

import numpy as np


def test_tensorflow_io_decode_wav_runs_in_the_pinned_stack():
    import tensorflow as tf
    import tensorflow_io as tfio

    samples = (np.sin(2 * np.pi * 440 * np.arange(800) / 8000) * 20000).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(8000), f.writeframes(samples.tobytes())
    decoded = tfio.audio.decode_wav(tf.constant(buffer.getvalue()), dtype=tf.int16)
    np.testing.assert_array_equal(decoded.numpy()[:, 0], samples)
