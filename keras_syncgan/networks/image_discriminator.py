import keras
from keras import layers

from keras_syncgan.networks.shapes import check_image_shape


def image_discriminator(input_shape=(28, 28, 1), filters=128, downsamplings=2, spectral_norm=True,
                        negative_slope=0.01, units=1, name="discriminator"):
    """The SyncGAN authors' discriminator: conv stack with spectral normalization, one logit out.

    Conv 5x5 (f, stride 1) -> SN(Conv 5x5, 2f, stride 2) -> SN(Conv 3x3, 4f, stride 2) -> Dense(1),
    LeakyReLU(0.01) between them. The output is a **logit**: the losses use sigmoid cross-entropy
    from logits, the numerically stable form of the authors' sigmoid + BCE.
    Spectral normalization is Keras' `SpectralNormalization` (one power iteration per training call;
    it writes W/sigma into the kernel and does not backpropagate through sigma, unlike PyTorch's).
    With `units` > 1 (and no spectral norm) the same stack regresses a vector: SyncGAN's inversion
    encoder maps samples to latent codes this way.

    Example:
    >>> d = image_discriminator((16, 16, 1), filters=8)
    >>> tuple(d(keras.ops.zeros((2, 16, 16, 1))).shape)
    (2, 1)
    """
    check_image_shape("input_shape", input_shape, downsamplings)
    x_in = keras.Input(tuple(input_shape), name="image")
    x = layers.Conv2D(filters, 5, padding="same", name="conv_in")(x_in)
    x = layers.LeakyReLU(negative_slope, name="conv_in_lrelu")(x)
    for i in range(1, downsamplings + 1):
        conv = layers.Conv2D(filters * 2 ** i, 5 if i == 1 else 3, strides=2, padding="same", name=f"down_conv_{i}")
        x = (layers.SpectralNormalization(conv, name=f"sn_down_conv_{i}") if spectral_norm else conv)(x)
        x = layers.LeakyReLU(negative_slope, name=f"down_lrelu_{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    out = layers.Dense(units, dtype="float32", name="logit" if units == 1 else "output")(x)
    return keras.Model(x_in, out, name=name)
