"""Loss functions of both papers, as pure functions over `keras.ops` tensors."""

from keras import ops


def bce_with_logits(logits, labels):
    """Mean sigmoid cross-entropy; `labels` broadcast to `logits`.

    Equal to BCE(sigmoid(logits), labels) as in the papers' code, computed stably.
    """
    logits = ops.reshape(ops.cast(logits, "float32"), (-1,))
    labels = ops.broadcast_to(ops.reshape(ops.cast(labels, "float32"), (-1,)), ops.shape(logits))
    return ops.mean(ops.maximum(logits, 0.0) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits))))


def binary_accuracy(logits, labels):
    """Fraction of logits on the side of 0 that `labels` (0/1) give."""
    logits = ops.reshape(ops.cast(logits, "float32"), (-1,))
    labels = ops.reshape(ops.cast(labels, "float32"), (-1,))
    return ops.mean(ops.cast(ops.equal(ops.cast(logits > 0, "float32"), labels), "float32"))


def half_squared_distance(a, b):
    """1/2 ||a - b||^2 summed over all but the batch axis, averaged over the batch (the paper's reduction)."""
    a, b = ops.cast(a, "float32"), ops.cast(b, "float32")  # features may be (b)float16 under mixed precision
    return 0.5 * ops.mean(ops.sum(ops.square(a - b), axis=tuple(range(1, len(a.shape)))))


def mode_seeking_loss(samples_a, samples_b, latents_a, latents_b, epsilon=1e-5):
    """MSGAN's diversity term (Mao et al., CVPR 2019), to minimise: 1 / (ratio + epsilon), where
    ratio = mean |samples_a - samples_b| / mean |latents_a - latents_b| over two batches generated
    from independent latents. A generator that maps different z to the same sample (mode collapse)
    has a small ratio and pays a large loss.
    """
    distance = lambda a, b: ops.mean(ops.abs(ops.cast(a, "float32") - ops.cast(b, "float32")))
    return 1.0 / (distance(samples_a, samples_b) / distance(latents_a, latents_b) + epsilon)


def kl_divergence(mu, log_var):
    """KL(N(mu, exp(log_var)) || N(0, I)), summed over z's dimensions, averaged over the batch."""
    mu, log_var = ops.cast(mu, "float32"), ops.cast(log_var, "float32")
    return 0.5 * ops.mean(ops.sum(ops.square(mu) + ops.exp(log_var) - log_var - 1.0, axis=-1))


def softmax_cross_entropy(logits, one_hot):
    return ops.mean(ops.categorical_crossentropy(one_hot, logits, from_logits=True))


def class_accuracy(logits, one_hot):
    return ops.mean(ops.cast(ops.argmax(logits, axis=-1) == ops.argmax(one_hot, axis=-1), "float32"))
