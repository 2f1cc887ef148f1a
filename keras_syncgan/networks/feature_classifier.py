from keras import layers

from keras_syncgan.networks.feature_discriminator import with_features
from keras_syncgan.networks.image_discriminator import image_discriminator
from keras_syncgan.utils import describe


def feature_classifier(input_shape=(28, 28, 1), num_classes=10, filters=64, downsamplings=2, negative_slope=0.01,
                       name="feature_classifier"):
    """CVAE-GAN's classifier C: K class logits **and** the feature f_C(x) they are computed from.

    The conv trunk of `image_discriminator` with a K-way head; f_C is the input of that head (the
    flattened last conv block), the layer CVAE-GAN's generator matches per class.

    Returns a functional `keras.Model` mapping `(batch, *input_shape)` to `[logits (batch, num_classes),
    features (batch, F)]`. The logits feed a softmax cross-entropy.

    Example:
    >>> c = feature_classifier((8, 8, 1), num_classes=10, filters=4)
    >>> logits, features = c(keras.ops.zeros((2, 8, 8, 1)))
    >>> tuple(logits.shape), tuple(features.shape)
    ((2, 10), (2, 64))
    """
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"`num_classes` must be an int >= 2; received {describe(num_classes)}.")
    trunk = image_discriminator(input_shape, filters=filters, downsamplings=downsamplings, spectral_norm=False,
                                negative_slope=negative_slope, name=name)
    logits = layers.Dense(num_classes, dtype="float32", name="class_logits")(trunk.get_layer("flatten").output)
    return with_features(trunk, logits, name)
