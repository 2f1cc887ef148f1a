import keras
import numpy as np
import pytest

from keras_syncgan import networks
from keras_syncgan.testing import run_serialization_test


@pytest.mark.parametrize("shape", [(8, 8, 1), (16, 16, 1), (28, 28, 1), (64, 32, 1), (16, 16, 3)])
def test_image_networks_fit_the_shape_and_round_trip(shape):
    g = networks.image_generator(shape, latent_dim=8, filters=8)
    d = networks.image_discriminator(shape, filters=8)
    z = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    x = keras.ops.convert_to_numpy(g(z))
    assert x.shape == (3, *shape) and x.min() >= 0 and x.max() <= 1
    assert d(x).shape == (3, 1)
    run_serialization_test(g, z)
    run_serialization_test(d, x)


def test_synchronizer_takes_a_dict_of_modalities_and_round_trips():
    shapes = {"image": (16, 16, 1), "sound": (64, 32, 1), "third": (8, 8, 1)}
    s = networks.synchronizer(shapes, filters=4, hidden=8)
    inputs = {m: np.zeros((2, *shape), "float32") for m, shape in shapes.items()}
    assert s(inputs).shape == (2, 1)
    run_serialization_test(s, inputs)


def test_synchronizer_filters_per_modality_narrow_only_that_branch():
    shapes = {"image": (16, 16, 1), "sound": (32, 16, 1)}
    s = networks.synchronizer(shapes, filters={"image": 8, "sound": 3}, hidden=8)
    conv_filters = {layer.name: layer.filters for layer in s.layers if isinstance(layer, keras.layers.Conv2D)}
    assert conv_filters == {"image_conv_1": 8, "image_conv_2": 16, "sound_conv_1": 3, "sound_conv_2": 6}
    inputs = {m: np.zeros((2, *shape), "float32") for m, shape in shapes.items()}
    run_serialization_test(s, inputs)


def test_authors_size_matches_their_parameter_counts():
    # Counts measured on the authors' PyTorch nets (shared/docs/syncgan.md section 8).
    trainable = lambda net: sum(int(np.prod(v.shape)) for v in net.trainable_weights)
    assert trainable(networks.image_generator((28, 28, 1), 64, filters=128)) == 3_633_409
    assert trainable(networks.image_discriminator((28, 28, 1), filters=128)) == 2_028_033
    assert trainable(networks.synchronizer({"a": (28, 28, 1), "b": (28, 28, 1)}, filters=128)) == 7_151_617


@pytest.mark.parametrize("build, argument", [
    (lambda: networks.image_generator((28, 28), 8), "output_shape"),
    (lambda: networks.image_generator((30, 30, 1), 8), "output_shape"),
    (lambda: networks.image_discriminator((10, 12, 1)), "input_shape"),
    (lambda: networks.synchronizer({"a": (8, 8, 1)}), "input_shapes"),
    (lambda: networks.synchronizer({"a": (8, 8, 1), "b": (8, 8, 1)}, filters={"a": 4}), "filters"),
    (lambda: networks.synchronizer({"a": (8, 8, 1), "b": (8, 8, 1)}, downsamplings={"a": 1, "c": 2}), "downsamplings"),
])
def test_bad_shapes_name_the_argument(build, argument):
    with pytest.raises(ValueError, match=argument):
        build()
