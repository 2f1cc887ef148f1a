import keras
from keras import layers

from keras_syncgan.networks.shapes import check_image_shape
from keras_syncgan.utils import describe


def synchronizer(input_shapes, filters=128, hidden=256, negative_slope=0.01, downsamplings=2, name="synchronizer"):
    """The SyncGAN synchronizer: is this tuple of samples synchronous (one concept) or not?

    One conv branch per modality (separate weights): Conv 5x5 (f, stride 2) -> Conv 3x3 (2f, stride 2)
    [-> Conv 3x3 (4f, stride 2) ...] -> Dense(hidden); the branch features are concatenated ->
    Dense(hidden) -> Dense(1) logit. No normalization, as in the authors' code. Works for any number
    of modalities >= 2.

    Args:
        input_shapes: dict `{modality: (height, width, channels)}`.
        filters: the first convolution's filters of each branch (doubling per halving); an int, or
            a dict per modality (e.g. fewer for a large spectrogram).
        downsamplings: stride-2 convolutions per branch (2 in the authors' nets); an int, or a dict
            per modality (e.g. 3 for a 128x64 spectrogram beside a 28x28 image).

    Returns a functional `keras.Model` taking a dict `{modality: batch}` to `(batch, 1)` logits.

    Example:
    >>> s = synchronizer({"a": (8, 8, 1), "b": (16, 16, 1)}, filters=4, hidden=8)
    >>> tuple(s({"a": keras.ops.zeros((3, 8, 8, 1)), "b": keras.ops.zeros((3, 16, 16, 1))}).shape)
    (3, 1)
    """
    if not isinstance(input_shapes, dict) or len(input_shapes) < 2:
        raise ValueError(f"`input_shapes` must be a dict of at least two modalities; received {describe(input_shapes)}.")
    for argument, value in (("filters", filters), ("downsamplings", downsamplings)):
        if isinstance(value, dict) and set(value) != set(input_shapes):
            raise ValueError(f"`{argument}` as a dict must have one entry per modality {sorted(input_shapes)}; "
                             f"received keys {sorted(value)}.")
    inputs, features = {}, []
    for modality, shape in input_shapes.items():
        steps = downsamplings[modality] if isinstance(downsamplings, dict) else downsamplings
        width = filters[modality] if isinstance(filters, dict) else filters
        check_image_shape(f"input_shapes[{modality!r}]", shape, steps)
        inputs[modality] = x = keras.Input(tuple(shape), name=modality)
        for i in range(1, steps + 1):
            x = layers.Conv2D(width * 2 ** (i - 1), 5 if i == 1 else 3, strides=2, padding="same",
                              name=f"{modality}_conv_{i}")(x)
            x = layers.LeakyReLU(negative_slope, name=f"{modality}_lrelu_{i}")(x)
        x = layers.Flatten(name=f"{modality}_flatten")(x)
        x = layers.Dense(hidden, name=f"{modality}_features")(x)
        features.append(layers.LeakyReLU(negative_slope, name=f"{modality}_features_lrelu")(x))
    x = layers.Concatenate(name="concat")(features)
    x = layers.Dense(hidden, name="joint")(x)
    x = layers.LeakyReLU(negative_slope, name="joint_lrelu")(x)
    out = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(inputs, out, name=name)
