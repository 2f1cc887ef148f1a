import copy
import os
import tempfile

import keras
import numpy as np


def _as_numpy(outputs):
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), outputs)


def run_serialization_test(instance, inputs, atol=1e-6):
    """Round-trips a layer or model through `get_config`/`from_config` and a `.keras` file.

    Checks that the config survives unchanged, that the `.keras` copy has the same weights, and
    that it gives the same outputs on `inputs` (inference mode). Returns the reloaded instance.

    Example:
    >>> from keras_syncgan import networks
    >>> g = networks.image_generator((8, 8, 1), latent_dim=4, filters=4)
    >>> _ = run_serialization_test(g, np.zeros((2, 4), "float32"))
    """
    config = instance.get_config()
    clone = type(instance).from_config(copy.deepcopy(config))  # from_config may consume its argument
    assert clone.get_config() == config, "get_config() changed across from_config()"

    expected = _as_numpy(instance(inputs, training=False))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        if isinstance(instance, keras.Model):
            instance.save(path)
            restored = keras.models.load_model(path)
        else:
            wrapper = keras.Sequential([instance])
            wrapper.save(path)
            restored = keras.models.load_model(path).layers[0]
    assert type(restored) is type(instance), f"loaded a {type(restored).__name__}, saved a {type(instance).__name__}"
    assert len(restored.weights) == len(instance.weights), (
        f"{len(instance.weights)} weights saved, {len(restored.weights)} loaded")
    for saved, loaded in zip(instance.weights, restored.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(saved), keras.ops.convert_to_numpy(loaded),
                                      err_msg=f"weight {saved.path} differs after loading")
    actual = _as_numpy(restored(inputs, training=False))
    keras.tree.map_structure(lambda a, b: np.testing.assert_allclose(a, b, atol=atol), expected, actual)
    return restored
