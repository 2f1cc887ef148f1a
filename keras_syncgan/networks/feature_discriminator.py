import keras

from keras_syncgan.networks.image_discriminator import image_discriminator


def feature_discriminator(input_shape=(28, 28, 1), filters=64, downsamplings=2, spectral_norm=False,
                          negative_slope=0.01, name="feature_discriminator"):
    """CVAE-GAN's discriminator D: one real/fake logit **and** the feature f_D(x) it is computed from.

    The conv trunk of `image_discriminator`; f_D is the flattened last conv block, i.e. the input of
    the last fully-connected layer (the paper's choice of feature layer). CVAE-GAN's generator and
    encoder match these features (pairwise and mean feature matching), so D exposes them.
    Spectral normalization is off by default: the paper's D is a plain DCGAN discriminator.

    Returns a functional `keras.Model` mapping `(batch, *input_shape)` to `[logit (batch, 1),
    features (batch, F)]`.

    Example:
    >>> d = feature_discriminator((8, 8, 1), filters=4)
    >>> logit, features = d(keras.ops.zeros((2, 8, 8, 1)))
    >>> tuple(logit.shape), tuple(features.shape)
    ((2, 1), (2, 64))
    """
    trunk = image_discriminator(input_shape, filters=filters, downsamplings=downsamplings,
                                spectral_norm=spectral_norm, negative_slope=negative_slope, name=name)
    return with_features(trunk, trunk.output, name)


def with_features(trunk, head, name):
    """A model from `trunk`'s input to `[head, flattened features]`; `head` is a tensor of trunk's graph.

    Shared by D and C (and E's image branch), which all use `image_discriminator`'s conv trunk.
    """
    return keras.Model(trunk.input, [head, trunk.get_layer("flatten").output], name=name)
