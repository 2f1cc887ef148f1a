import keras
from keras import layers

from keras_syncgan.networks.shapes import check_image_shape, scaled_size


def image_generator(output_shape=(28, 28, 1), latent_dim=64, filters=128, upsamplings=2,
                    synchronized_batchnorm=False, name="generator"):
    """The SyncGAN authors' image generator, sized by `output_shape` and `filters`.

    z -> Dense -> (H/2^u, W/2^u, 4f) -> Conv 3x3 (2f) -> [UpSample x2 -> Conv 5x5 -> BatchNorm -> ReLU]
    -> UpSample x2 -> Conv 5x5 (channels) -> sigmoid. With `output_shape=(28, 28, 1)`, `filters=128`
    and `upsamplings=2` this is exactly the authors' MNIST generator (3.6 M parameters); `filters=32`
    costs ~1/16 of its FLOPs and is the CPU preset. Works for spectrogram "images" too.

    `synchronized_batchnorm=True` (TensorFlow backend only) computes BatchNorm statistics over the
    global batch under `tf.distribute`, so an N-replica step equals the 1-replica step on the same
    batch; by default each replica normalises its own share, as PyTorch DDP does without SyncBN.

    Returns a functional `keras.Model` mapping `(batch, latent_dim)` to `(batch, *output_shape)` in [0, 1].

    Example:
    >>> g = image_generator((16, 16, 1), latent_dim=8, filters=8)
    >>> tuple(g(keras.random.normal((2, 8))).shape)
    (2, 16, 16, 1)
    """
    # The last upsampling always runs (the final conv works at full resolution), so 0 would double the output.
    if isinstance(upsamplings, bool) or not isinstance(upsamplings, int) or upsamplings < 1:
        raise ValueError(f"`upsamplings` must be an int >= 1; received {upsamplings!r}.")
    height, width, channels = check_image_shape("output_shape", output_shape, upsamplings)
    h0, w0 = scaled_size(height, width, upsamplings)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(h0 * w0 * 4 * filters, activation="relu", name="project")(z)
    x = layers.Reshape((h0, w0, 4 * filters), name="to_grid")(x)
    x = layers.Conv2D(2 * filters, 3, padding="same", activation="relu", name="conv_in")(x)
    for i in range(1, upsamplings):
        x = layers.UpSampling2D(2, name=f"upsample_{i}")(x)
        x = layers.Conv2D(max(filters // 2 ** (i - 1), 8), 5, padding="same", name=f"up_conv_{i}")(x)
        # PyTorch's BatchNorm defaults, as in the authors' code.
        x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=synchronized_batchnorm,
                                      name=f"up_bn_{i}")(x)
        x = layers.ReLU(name=f"up_relu_{i}")(x)
    x = layers.UpSampling2D(2, name=f"upsample_{upsamplings}")(x)
    x = layers.Conv2D(channels, 5, padding="same", name="conv_out")(x)
    out = layers.Activation("sigmoid", dtype="float32", name="image")(x)
    return keras.Model(z, out, name=name)
