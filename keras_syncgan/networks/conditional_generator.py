import keras
from keras import layers

from keras_syncgan.networks.image_generator import image_generator
from keras_syncgan.utils import describe


def conditional_generator(output_shape=(28, 28, 1), num_classes=10, latent_dim=64, filters=64, upsamplings=2,
                          synchronized_batchnorm=False, name="conditional_generator"):
    """CVAE-GAN's generator G(z, c): `image_generator` fed the concatenation of z and the one-hot class.

    The CVAE's decoder and the GAN's generator at once. Conditioning by concatenation at the input,
    as in the public CVAE-GAN implementations. `synchronized_batchnorm`: see `image_generator`.

    Returns a functional `keras.Model` mapping `[z (batch, latent_dim), label (batch, num_classes)]`
    to images `(batch, *output_shape)` in [0, 1].

    Example:
    >>> g = conditional_generator((8, 8, 1), num_classes=10, latent_dim=4, filters=4)
    >>> tuple(g([keras.ops.zeros((2, 4)), keras.ops.one_hot([0, 3], 10)]).shape)
    (2, 8, 8, 1)
    """
    for argument, value in (("num_classes", num_classes), ("latent_dim", latent_dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"`{argument}` must be a positive int; received {describe(value)}.")
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((num_classes,), name="label")
    z_and_label = layers.Concatenate(name="z_and_label")([z, label])
    trunk = image_generator(output_shape, latent_dim + num_classes, filters=filters, upsamplings=upsamplings,
                            synchronized_batchnorm=synchronized_batchnorm, name=f"{name}_trunk")
    return keras.Model([z, label], trunk(z_and_label), name=name)
