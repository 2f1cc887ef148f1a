import keras
from keras import layers

from keras_syncgan.networks.image_discriminator import image_discriminator
from keras_syncgan.utils import describe


def encoder(input_shape=(28, 28, 1), num_classes=10, latent_dim=64, filters=64, hidden=256, downsamplings=2,
            negative_slope=0.01, name="encoder"):
    """CVAE-GAN's encoder E(x, c): the mean and log-variance of q(z | x, c).

    The conv trunk of `image_discriminator` on the image; the one-hot class joins at the fully-connected
    layer ("categorical information is merged at the last FC layer of E", as in the paper):
    flatten -> concat(c) -> Dense(hidden) -> LeakyReLU -> Dense(latent_dim) twice (mu, log_var).

    Returns a functional `keras.Model` mapping `[image (batch, *input_shape), label (batch, num_classes)]`
    to `[mu, log_var]`, each `(batch, latent_dim)`.

    Example:
    >>> e = encoder((8, 8, 1), num_classes=10, latent_dim=4, filters=4, hidden=8)
    >>> mu, log_var = e([keras.ops.zeros((2, 8, 8, 1)), keras.ops.one_hot([0, 3], 10)])
    >>> tuple(mu.shape), tuple(log_var.shape)
    ((2, 4), (2, 4))
    """
    for argument, value, low in (("num_classes", num_classes, 2), ("latent_dim", latent_dim, 1), ("hidden", hidden, 1)):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"`{argument}` must be an int >= {low}; received {describe(value)}.")
    trunk = image_discriminator(input_shape, filters=filters, downsamplings=downsamplings, spectral_norm=False,
                                negative_slope=negative_slope, name=name)
    label = keras.Input((num_classes,), name="label")
    h = layers.Concatenate(name="features_and_label")([trunk.get_layer("flatten").output, label])
    h = layers.Dense(hidden, name="hidden")(h)
    h = layers.LeakyReLU(negative_slope, name="hidden_lrelu")(h)
    mu = layers.Dense(latent_dim, dtype="float32", name="mu")(h)
    log_var = layers.Dense(latent_dim, dtype="float32", name="log_var")(h)
    return keras.Model([trunk.input, label], [mu, log_var], name=name)
