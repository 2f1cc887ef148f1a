"""Differentiable augmentation of a network's inputs, as pure functions over `keras.ops` tensors."""

from keras import ops


def translate(x, shifts):
    """Shifts each sample of `x` `(batch, height, width, channels)` by whole pixels, filling with zeros.

    DiffAugment's translation (Zhao et al., NeurIPS 2020): a network that sees every input shifted
    (real and generated alike, and the generated ones in the generators' step too) cannot overfit a
    few training samples' exact positions, and gradients flow through the shift to the generators.
    Written as two batched products with 0/1 selection matrices, so it runs on every backend and
    under XLA.

    Args:
        x: samples `(batch, height, width, channels)`.
        shifts: integer offsets `(batch, 2)`: sample i moves `shifts[i, 0]` rows down and
            `shifts[i, 1]` columns right (negative: up / left); what leaves the frame is lost.

    Example:
    >>> import numpy as np
    >>> x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    >>> ops.convert_to_numpy(translate(x, np.array([[1, -1]])))[0, :, :, 0]
    array([[0., 0., 0.],
           [1., 2., 0.],
           [4., 5., 0.]], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    shifts = ops.cast(shifts, "int32")
    rows = _selection(shifts[:, 0], x.shape[1], x.dtype)  # (batch, height out, height in)
    columns = _selection(shifts[:, 1], x.shape[2], x.dtype)  # (batch, width out, width in)
    x = ops.einsum("brh,bhwc->brwc", rows, x)
    return ops.einsum("bsw,brwc->brsc", columns, x)


def _selection(shifts, size, dtype):
    """0/1 matrices `(batch, size, size)` with out[b, i, j] = 1 where j = i - shifts[b]."""
    positions = ops.arange(size, dtype="int32")
    source = positions[None, :, None] - shifts[:, None, None]
    return ops.cast(ops.equal(source, positions[None, None, :]), dtype)
