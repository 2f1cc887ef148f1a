"""A small CNN classifier per image dataset: the frozen "Inception network" of the offline metrics."""

import keras

from keras_syncgan import data
from keras_syncgan.metrics import conditional_accuracy
from keras_syncgan.metrics.validation import as_labels, as_unit_images, check_positive_int
from keras_syncgan.utils import atomic_write, cache_dir, describe

# Part of every cache key: bump it whenever the architecture or a training recipe changes, so
# that metrics are never computed with a stale evaluator.
EVALUATOR_VERSION = "v1"
FEATURES_LAYER = "features"

def load_spoken_digit_spectrograms():
    """FSDD spoken digits as the (128, 64, 1) spectrogram images SyncGAN's sound modality uses."""
    (x, y), (x_test, y_test) = data.load_spoken_digits(source="fsdd")
    return (data.waveform_to_spectrogram(x), y), (data.waveform_to_spectrogram(x_test), y_test)


# Per dataset: its loader and how long to train (enough for the documented test-accuracy
# targets: digits >= 95 %, MNIST >= 98 %, Fashion-MNIST >= 90 %, spoken digits >= 95 %).
DATASET_RECIPES = {
    "digits": {"load": data.load_digits, "epochs": 15, "batch_size": 32},
    "mnist": {"load": data.load_mnist, "epochs": 8, "batch_size": 64},
    "fashion_mnist": {"load": data.load_fashion_mnist, "epochs": 4, "batch_size": 64},
    "spoken_digits": {"load": load_spoken_digit_spectrograms, "epochs": 12, "batch_size": 32},
}


def evaluator_classifier(image_shape, num_classes, filters=(32, 32, 64), feature_dim=128):
    """The evaluator network: conv-conv-pool-conv-pool-dense(features)-dense(softmax).

    `same` padding keeps it valid down to 8x8 inputs (sklearn digits).
    """
    inputs = keras.Input(shape=image_shape, name="images")
    x = keras.layers.Conv2D(filters[0], 3, padding="same", activation="relu")(inputs)
    x = keras.layers.Conv2D(filters[1], 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(filters[2], 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(feature_dim, activation="relu", name=FEATURES_LAYER)(x)
    # Dropout regularises the classifier only: `features()` is read before it.
    x = keras.layers.Dropout(0.3)(features)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="evaluator_classifier")


class Evaluator:
    """A frozen image classifier that turns samples into class probabilities and features.

    Used by the offline metrics in `keras_syncgan.metrics`: `probabilities()` feeds conditional
    accuracy, sync rate and the Inception Score; `features()` (the 128-d penultimate layer) feeds
    the Fréchet distance, KID and precision/recall. Images are uint8 in [0, 255] or floats in
    [0, 1], of shape `(n, H, W, C)` or `(n, H, W)` for one channel.

    Args:
        image_shape: `(H, W, C)` of the images, or `(H, W)` for grayscale.
        num_classes: number of classes.
        model: an existing Keras model with a layer named "features" (used by `load`);
            by default a fresh `evaluator_classifier`.

    Example:
    >>> from keras_syncgan.data import load_digits
    >>> evaluator = Evaluator.for_dataset("digits")  # trained on first use (seconds), then cached
    >>> _, (x_test, y_test) = load_digits()
    >>> evaluator.accuracy(x_test, y_test) >= 0.95
    True
    >>> evaluator.features(x_test).shape
    (359, 128)
    """

    def __init__(self, image_shape, num_classes, model=None):
        image_shape = tuple(image_shape)
        self.image_shape = image_shape + (1,) if len(image_shape) == 2 else image_shape
        self.num_classes = check_positive_int(num_classes, "num_classes", minimum=2)
        self.model = model if model is not None else evaluator_classifier(self.image_shape, self.num_classes)
        self._feature_model = None

    def _images(self, x, name="x"):
        """Validates images and brings them to the model's float input in [0, 1]."""
        images = as_unit_images(x, name)
        if images.ndim == 3 and self.image_shape[-1] == 1:
            images = images[..., None]
        if images.shape[1:] != self.image_shape:
            raise ValueError(f"`{name}` must be images of shape (n, {', '.join(map(str, self.image_shape))}) "
                             f"(the channel axis may be omitted for one channel); received {describe(x)}.")
        return images

    def train(self, x, y, epochs=5, batch_size=64, seed=0, validation_data=None, verbose=0):
        """Trains from freshly initialised weights, so the same data and seed give the same evaluator.

        Args:
            x: training images.
            y: integer labels of shape `(n,)`, in `[0, num_classes)`.
            epochs, batch_size: as in `keras.Model.fit`.
            seed: seeds Python, NumPy and the backend (`keras.utils.set_random_seed`).
            validation_data: optional `(x_val, y_val)`, reported in the returned history.
            verbose: as in `keras.Model.fit`.

        Returns:
            The `keras.callbacks.History` of the run.
        """
        images, labels = self._images(x), as_labels(y, "y")
        if len(images) != len(labels) or labels.max() >= self.num_classes:
            raise ValueError(f"`y` must hold one label in [0, {self.num_classes}) per image; received "
                             f"{len(labels)} labels up to {labels.max()} for {len(images)} images.")
        if validation_data is not None:
            validation_data = (self._images(validation_data[0], "validation_data[0]"),
                               as_labels(validation_data[1], "validation_data[1]"))
        keras.utils.set_random_seed(seed)
        self.model = evaluator_classifier(self.image_shape, self.num_classes)
        self._feature_model = None
        # Cosine decay to zero: the last epoch ends at a settled optimum, not at a noisy snapshot
        # whose test accuracy depends on luck.
        total_steps = epochs * -(-len(images) // batch_size)
        learning_rate = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=max(total_steps, 1))
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                           metrics=["accuracy"])
        return self.model.fit(images, labels, epochs=epochs, batch_size=batch_size, shuffle=True,
                              validation_data=validation_data, verbose=verbose)

    def probabilities(self, x, batch_size=512):
        """Class probabilities, float32 array of shape `(n, num_classes)`."""
        return self.model.predict(self._images(x), batch_size=batch_size, verbose=0)

    def features(self, x, batch_size=512):
        """Penultimate-layer activations (post-ReLU), float32 array of shape `(n, 128)`."""
        if self._feature_model is None:
            self._feature_model = keras.Model(self.model.inputs, self.model.get_layer(FEATURES_LAYER).output)
        return self._feature_model.predict(self._images(x), batch_size=batch_size, verbose=0)

    def accuracy(self, x, y):
        """Fraction of images classified as their label."""
        return conditional_accuracy(self.probabilities(x), y)

    def save(self, path):
        """Saves the network (without optimizer state) as a `.keras` file, atomically."""
        # A fresh functional wrapper shares the trained layers but is not compiled, so the
        # file holds only the weights needed for inference.
        inference_model = keras.Model(self.model.inputs, self.model.outputs, name=self.model.name)
        return atomic_write(path, inference_model.save, suffix=".keras")

    @classmethod
    def load(cls, path):
        """Loads an evaluator written by `save`."""
        model = keras.models.load_model(path, compile=False)
        return cls(model.input_shape[1:], model.output_shape[-1], model=model)

    @classmethod
    def for_dataset(cls, name, size=8, retrain=False, verbose=0):
        """The evaluator of a dataset, trained on its train split on first use and then cached.

        The cache file is `cache_dir("evaluators") / f"{key}-{EVALUATOR_VERSION}.keras"` (under
        `$KERAS_SYNCGAN_HOME`, default `~/.keras_syncgan`), so every metric run with the same
        package version uses the same frozen network. Training uses seed 0.

        Args:
            name: "digits" (scikit-learn 8x8 digits), "mnist", "fashion_mnist" or "spoken_digits"
                (FSDD spectrograms from `waveform_to_spectrogram`, the image <-> sound preset's).
            size: image size for "digits": 8, 16 or 28 (ignored otherwise).
            retrain: train again even when a cached evaluator exists.
            verbose: passed to `keras.Model.fit`.

        Returns:
            An `Evaluator`.
        """
        if name not in DATASET_RECIPES:
            raise ValueError(f"`name` must be one of {sorted(DATASET_RECIPES)}; received name={name!r}.")
        recipe = DATASET_RECIPES[name]
        key = f"{name}{size}" if name == "digits" else name
        path = cache_dir("evaluators") / f"{key}-{EVALUATOR_VERSION}.keras"
        if path.exists() and not retrain:
            return cls.load(path)
        (x_train, y_train), _ = recipe["load"](**({"size": size} if name == "digits" else {}))
        evaluator = cls(x_train.shape[1:], int(y_train.max()) + 1)
        evaluator.train(x_train, y_train, epochs=recipe["epochs"], batch_size=recipe["batch_size"], seed=0,
                        verbose=verbose)
        evaluator.save(path)
        return evaluator
