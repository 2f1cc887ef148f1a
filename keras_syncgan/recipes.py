"""The command line's named presets: per preset, its data, model, default length and evaluators.

A `Recipe` is one row of `RECIPES`; everything else (building, the input pipeline, callbacks,
evaluation) is written once and reads the row. `python -m keras_syncgan train PRESET` runs one.

| preset | data | model | evaluators |
| --- | --- | --- | --- |
| `syncgan-mnist-fashion` | MNIST digit k <-> Fashion-MNIST class k, every pair labelled | SyncGAN | MNIST, Fashion-MNIST |
| `syncgan-mnist-fashion-semi` | the same, pair labels for 10 % (`--paired-fraction`) | SyncGAN | MNIST, Fashion-MNIST |
| `syncgan-mnist-speech` | MNIST digit k <-> spoken digit k (FSDD spectrograms) | SyncGAN | MNIST, FSDD |
| `cvaegan-fashion` | Fashion-MNIST, class-conditional | CVAE-GAN | Fashion-MNIST |
| `cvae-fashion`, `cgan-fashion`, `fm-cgan-fashion` | the same | CVAE-GAN `mode` ablations (Table 1) | Fashion-MNIST |

Example:
>>> recipe = get("syncgan-mnist-fashion")
>>> recipe.kind, recipe.steps, recipe.evaluators
('syncgan', 20000, {'digit': 'mnist', 'fashion': 'fashion_mnist'})
"""

import dataclasses
import pathlib

import keras
import numpy as np

from keras_syncgan import presets

# Metric settings of `evaluate`: generated samples per modality, and test samples inverted per
# transfer direction (Adam, 300 steps, 3 restarts: about a minute per direction on 2 CPU cores).
FULL_EVALUATION = {"n": 2000, "transfer_samples": 200}
# CVAE-GAN's augmentation rows (`augmentation_accuracy`): 60 real images per class (1 % of
# Fashion-MNIST) with and without 1,000 generated ones (real images half of every pass), 1,500
# classifier steps, 3 seeds: six classifier trainings, most of `evaluate`'s time for CVAE-GAN.
FULL_AUGMENTATION = {"per_class": 60, "generated_per_class": 1000, "real_fraction": 0.5, "steps": 1500, "seeds": 3}
# `--tiny` (tests): sklearn's 8x8 digits stand in for every modality, with tiny networks.
TINY_EVALUATION = {"n": 100, "transfer_samples": 8, "transfer_kwargs": {"steps": 5, "restarts": 1}}
TINY_AUGMENTATION = {"per_class": 20, "generated_per_class": 10, "steps": 3, "seeds": 2}
TINY_WIDTH = {"filters": 8, "hidden": 16}  # and eager steps: tracing would cost more than a few steps
TINY_SPECTROGRAM = {"frame_length": 16, "frame_step": 8}  # 8 frequency bins: an 8x8 "spectrogram"


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One named preset of the command line.

    Args:
        name: the preset's name on the command line.
        summary: one line for `--help` and the run's header.
        kind: "syncgan" or "cvaegan".
        data: a function returning `presets.PairedData` (one modality for CVAE-GAN).
        evaluators: `{modality: Evaluator.for_dataset name}`.
        steps: default training iterations.
        batch_size: SyncGAN: tuples per batch (half synchronous); CVAE-GAN: images per batch.
        paired_fraction: SyncGAN: the class-stratified fraction whose pair labels are kept.
        sound: the spectrogram modality written as WAV files (`AudioSamples`), if any.
        spectrogram_kwargs: the STFT settings of that modality's spectrograms.
        width: a fixed network width overriding `--width` (tiny runs).
        cpu_filters: at the CPU width, `{modality: filters}` narrowing single modalities
            (`presets.build_syncgan(modality_filters=...)`; the speech preset's spectrograms).
        compile_kwargs: options of the model's `compile()`.
        model_kwargs: options of the model's constructor (CVAE-GAN: `mode`, the Table 1 ablations).
        grid_codes: fixed latent codes in the sample grids (CVAE-GAN: a quarter of them per class).
        evaluation: options of `keras_syncgan.evaluate`.
        augmentation: CVAE-GAN: options of `keras_syncgan.evaluation.augmentation_accuracy`.
    """

    name: str
    summary: str
    kind: str
    data: object
    evaluators: dict
    steps: int
    batch_size: int = 64
    paired_fraction: float = 1.0
    sound: str = None
    spectrogram_kwargs: dict = dataclasses.field(default_factory=dict)
    width: dict = None
    cpu_filters: dict = dataclasses.field(default_factory=dict)
    compile_kwargs: dict = dataclasses.field(default_factory=dict)
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    grid_codes: int = 32
    evaluation: dict = dataclasses.field(default_factory=lambda: dict(FULL_EVALUATION))
    augmentation: dict = dataclasses.field(default_factory=lambda: dict(FULL_AUGMENTATION))

    @property
    def picture(self):
        """The file name of the final sample picture in the run directory."""
        return "pairs.png" if self.kind == "syncgan" else "classes.png"


_MNIST_FASHION = {"digit": "mnist", "fashion": "fashion_mnist"}
# lambda4, the weight of G's class-wise feature matching (CVAE-GAN and FM-CGAN), is 0.3, not the
# paper's 1e-3: on 28 x 28 images 1e-3 leaves the class weak (notebook 05 measured conditional
# accuracy 0.37 at 1e-3 and 0.65 at 0.3 after 300 quick-mode steps).
_CVAEGAN_WEIGHTS = {"classifier_matching_weight": 0.3}
RECIPES = {recipe.name: recipe for recipe in (
    Recipe("syncgan-mnist-fashion", "SyncGAN, MNIST digit k <-> Fashion-MNIST class k, fully paired",
           "syncgan", presets.mnist_fashion_data, _MNIST_FASHION, steps=20000),
    Recipe("syncgan-mnist-fashion-semi", "SyncGAN, MNIST <-> Fashion-MNIST, pair labels for a fraction (default 10 %)",
           "syncgan", presets.mnist_fashion_data, _MNIST_FASHION, steps=20000, paired_fraction=0.1),
    Recipe("syncgan-mnist-speech", "SyncGAN, MNIST digit k <-> spoken digit k (FSDD spectrograms, WAV samples)",
           "syncgan", presets.mnist_speech_data, {"digit": "mnist", "speech": "spoken_digits"}, steps=10000,
           sound="speech", cpu_filters={"speech": presets.CPU_SPECTROGRAM_FILTERS}),
    Recipe("cvaegan-fashion", "CVAE-GAN, class-conditional Fashion-MNIST",
           "cvaegan", presets.fashion_data, {"fashion": "fashion_mnist"}, steps=20000,
           model_kwargs=dict(_CVAEGAN_WEIGHTS)),
    # The paper's Table 1 ablations: the same data, networks, weights and steps, one mode each.
    *(Recipe(f"{mode}-fashion", f"{mode.upper()} (CVAE-GAN ablation, Table 1), class-conditional Fashion-MNIST",
             "cvaegan", presets.fashion_data, {"fashion": "fashion_mnist"}, steps=20000,
             model_kwargs={"mode": mode, **_CVAEGAN_WEIGHTS})
      for mode in ("cvae", "cgan", "fm-cgan")),
)}


def get(name, tiny=False):
    """The recipe called `name`; with `tiny`, its stand-in of seconds (8x8 digits, tiny networks)."""
    if name not in RECIPES:
        raise ValueError(f"Unknown preset {name!r}; expected one of {', '.join(RECIPES)}.")
    recipe = RECIPES[name]
    if not tiny:
        return recipe
    return dataclasses.replace(
        recipe, data=lambda: tiny_data(list(recipe.evaluators)), evaluators={m: "digits" for m in recipe.evaluators},
        width=TINY_WIDTH, evaluation=dict(TINY_EVALUATION), augmentation=dict(TINY_AUGMENTATION),
        compile_kwargs={"run_eagerly": True}, grid_codes=4,
        spectrogram_kwargs=TINY_SPECTROGRAM if recipe.sound else {})


def tiny_data(modalities):
    """sklearn's 8x8 digits as every modality: data for tests of the whole pipeline in seconds."""
    from keras_syncgan.data import load_digits

    (x, y), (x_test, y_test) = load_digits(size=8)
    copies = lambda array: {m: array for m in modalities}
    return presets.PairedData(copies(x), copies(y), copies(x_test), copies(y_test))


def build_model(recipe, data, width="cpu", seed=0, **model_kwargs):
    """The recipe's model for `data`, uncompiled; `recipe.width`, when set, overrides `width`;
    `model_kwargs` add to (or override) the recipe's options of the model's constructor."""
    model_kwargs = {**recipe.model_kwargs, **model_kwargs}
    width = recipe.width or width
    if recipe.kind == "syncgan":
        narrowed = recipe.cpu_filters if width == "cpu" else None
        return presets.build_syncgan(data.sample_shapes, width=width, seed=seed, modality_filters=narrowed,
                                     **model_kwargs)
    (modality, shape), = data.sample_shapes.items()
    return presets.build_cvaegan(shape, num_classes=int(data.y_train[modality].max()) + 1, width=width, seed=seed,
                                 **model_kwargs)


def training_dataset(recipe, data, batch_size, paired_fraction=None, seed=0, steps_done=0):
    """Endless training batches; `steps_done` (a resumed run) draws fresh ones.

    SyncGAN: `paired_dataset` batches (half synchronous, half asynchronous tuples). CVAE-GAN:
    shuffled `(images, labels)` batches. A `tf.data.Dataset` on TensorFlow; on other backends
    (where TensorFlow may be absent) a `keras.utils.PyDataset` of the same kind of batches.
    """
    from keras_syncgan.data import PairedBatches, paired_dataset

    on_tensorflow = keras.backend.backend() == "tensorflow"
    if recipe.kind == "syncgan":
        fraction = recipe.paired_fraction if paired_fraction is None else paired_fraction
        if not on_tensorflow:
            return PairedBatches(data.x_train, data.y_train, batch_size=batch_size, paired_fraction=fraction,
                                 seed=seed, start_step=steps_done)
        dataset, sampler = paired_dataset(data.x_train, data.y_train, batch_size=batch_size,
                                          paired_fraction=fraction, seed=seed)
        # The labelled subset depends on the seed alone, so it stays the same; the draws continue
        # where the interrupted run left them, as `PairedBatches(start_step=...)` does.
        sampler.epoch, skip = divmod(steps_done, sampler.steps_per_epoch)
        return dataset.repeat().skip(skip)
    (modality,) = data.x_train
    x, y = data.x_train[modality], data.y_train[modality].astype("int32")
    x = x[..., None] if x.ndim == 3 else x
    if not on_tensorflow:
        return _ShuffledBatches(x, y, batch_size, seed + steps_done)
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed + steps_done)
    return dataset.repeat().batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def refined_synchronizer(recipe, model, data, settings, steps, *, steps_done):
    """`model.refined_synchronizer(batches, steps)` on the run's kind of batches: its batch size and
    labelled fraction (`settings`, a run's config.json), fresh draws after the `steps_done` training
    steps behind `model` (`cli.steps_behind`: a stopped run's are fewer than its target)."""
    batches = training_dataset(recipe, data, settings["batch_size"], settings["paired_fraction"],
                               seed=settings["seed"], steps_done=steps_done)
    return model.refined_synchronizer(batches, steps=steps)


class _ShuffledBatches(keras.utils.PyDataset):
    """Endless shuffled `(x, y)` batches, a new permutation per pass (CVAE-GAN's input without tf.data)."""

    def __init__(self, x, y, batch_size, seed):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.order, self.position = self.rng.permutation(len(x)), 0

    @property
    def num_batches(self):
        return None  # endless

    def __getitem__(self, index):
        if self.position + self.batch_size > len(self.order):
            self.order, self.position = self.rng.permutation(len(self.x)), 0
        rows = self.order[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return self.x[rows], self.y[rows]


def sample_callbacks(recipe, run_dir):
    """The recipe's picture callbacks (and WAVs for a sound modality); the first one draws the final picture."""
    from keras_syncgan.callbacks import AudioSamples, ClassGrid, SampleGrid

    if recipe.kind == "cvaegan":
        return [ClassGrid(run_dir / "grids", n=max(1, recipe.grid_codes // 4))]
    callbacks = [SampleGrid(run_dir / "grids", n=recipe.grid_codes, pairs_per_row=8)]
    if recipe.sound:
        callbacks.append(AudioSamples(run_dir / "audio", sound=recipe.sound, n=min(8, recipe.grid_codes),
                                      spectrogram_kwargs=recipe.spectrogram_kwargs))
    return callbacks


def audio_listing(recipe, model, run_dir, epoch, scorers):
    """What the evaluators hear in a sound recipe's WAVs of `epoch`: a pandas table, one row per file.

    For each fixed z of the run's `AudioSamples`: the WAV as written, read back and made a
    spectrogram again (so the Griffin-Lim round trip counts) and classified by the sound's evaluator;
    beside it, the class each other modality's evaluator gives that modality's sample from the same z.
    `scorers` is `evaluators(recipe)`. Columns: `file`, `{sound}_class`, `{modality}_class` per other
    modality, `agree` (all equal).
    """
    import pandas as pd

    from keras_syncgan.callbacks import AudioSamples
    from keras_syncgan.data import read_wav, waveform_to_spectrogram

    run_dir = pathlib.Path(run_dir)
    (audio,) = [c for c in sample_callbacks(recipe, run_dir) if isinstance(c, AudioSamples)]
    files = [audio.wav_path(epoch, i) for i in range(audio.n)]
    heard = waveform_to_spectrogram(np.stack([read_wav(path)[0] for path in files]), **recipe.spectrogram_kwargs)
    samples = model.generate(z=audio.latent_codes(model.latent_dim))
    columns = {"file": [str(path.relative_to(run_dir)) for path in files],
               f"{recipe.sound}_class": scorers[recipe.sound].probabilities(heard).argmax(axis=-1)}
    for modality in model.modalities:
        if modality != recipe.sound:
            columns[f"{modality}_class"] = scorers[modality].probabilities(samples[modality]).argmax(axis=-1)
    table = pd.DataFrame(columns)
    classes = table.drop(columns="file").to_numpy()
    table["agree"] = (classes == classes[:, :1]).all(axis=1)
    return table


def evaluators(recipe):
    """`{modality: Evaluator}`: trained on first use (minutes for MNIST), then cached."""
    from keras_syncgan.evaluation import Evaluator

    return {m: Evaluator.for_dataset(name) for m, name in recipe.evaluators.items()}


def transfer_options(recipe, **given):
    """`SyncGAN.transfer`'s options in the recipe's evaluation (e.g. the tiny recipe's few steps), `given` over them;
    `keras_syncgan.evaluate`'s `TRANSFER_DEFAULTS` fill the rest."""
    return {**recipe.evaluation.get("transfer_kwargs", {}), **given}


def misapplied_options(recipe, **options):
    """The SyncGAN-only evaluation `options` given (not None) for a recipe of another kind, `{name: value}`:
    what `evaluate` and the command line refuse, each naming the option its own way."""
    return {name: value for name, value in options.items() if value is not None and recipe.kind != "syncgan"}


def evaluate(recipe, model, data, seed=0, scorers=None, truncation=None, selection=None, transfer_kwargs=None):
    """The run's metrics table (pandas): `keras_syncgan.evaluate` for SyncGAN; for CVAE-GAN,
    conditional accuracy, classifier Inception Score, FD, KID, precision/recall and augmentation accuracy.

    Columns: metric, modality, value, std, baseline (real data scored the same way), chance.
    `scorers`: `evaluators(recipe)` when the caller has them loaded already. `truncation`: draw the
    generated samples' codes truncated (the truncation trick; `keras_syncgan.evaluate`). `selection`
    (SyncGAN): score the tuples the synchronizer trusts most among n / selection drawn.
    `transfer_kwargs` (SyncGAN): options of `SyncGAN.transfer` over the recipe's (e.g. `restarts`,
    `select_by`).
    """
    from keras_syncgan.evaluation import SYNCGAN_METRICS
    from keras_syncgan.evaluation import evaluate as evaluate_syncgan

    misapplied = misapplied_options(recipe, selection=selection, transfer_kwargs=transfer_kwargs)
    if misapplied:
        name, value = next(iter(misapplied.items()))  # the first one given
        raise ValueError(f"`{name}` applies to SyncGAN recipes (a synchronizer and transfer); {recipe.name!r} "
                         f"is a {recipe.kind} recipe (received {name}={value!r}).")
    scorers = scorers or evaluators(recipe)
    if recipe.kind == "syncgan":
        options = {**recipe.evaluation, "transfer_kwargs": transfer_options(recipe, **(transfer_kwargs or {}))}
        return evaluate_syncgan(model, data, scorers, metrics=SYNCGAN_METRICS, seed=seed, truncation=truncation,
                                selection=selection, **options)
    return evaluate_conditional(model, data, scorers, n=recipe.evaluation["n"], augmentation=recipe.augmentation,
                                seed=seed, truncation=truncation)


def evaluate_conditional(model, data, evaluators, n=2000, augmentation=None, seed=0, truncation=None):
    """A class-conditional model's metrics table, in `keras_syncgan.evaluate`'s columns.

    `conditional_accuracy`: the fraction of `n` samples (classes in equal numbers) that the
    evaluator assigns to their class; baseline: its accuracy on real test images. The other rows
    (Inception Score, FD, KID, precision, recall) come from `keras_syncgan.evaluate` on
    class-balanced samples. `augmented_accuracy` (when `augmentation`, the options of
    `augmentation_accuracy`, is given): test accuracy of a classifier trained on a few real images
    per class plus generated ones; std over seeds; baseline: the same classifier on the real images alone.
    `truncation`: draw the samples' codes truncated (`keras_syncgan.evaluate`'s argument; the
    augmentation's samples stay untruncated).
    """
    import pandas as pd

    from keras_syncgan import metrics
    from keras_syncgan.evaluation import augmentation_accuracy
    from keras_syncgan.evaluation import evaluate as evaluate_samples
    from keras_syncgan.evaluation.report import latent_sample

    (modality,) = data.x_train
    evaluator = evaluators[modality]
    num_classes = model.num_classes
    classes = np.arange(n) % num_classes
    z = latent_sample(np.random.default_rng(seed), n, model.latent_dim, truncation)
    accuracy = metrics.conditional_accuracy(evaluator.probabilities(model.generate(classes, z=z)), classes)
    real_accuracy = evaluator.accuracy(data.x_test[modality], data.y_test[modality])
    row = {"metric": "conditional_accuracy", "modality": modality, "value": accuracy, "std": np.nan,
           "baseline": real_accuracy, "chance": 1.0 / num_classes}
    rows = [row]
    if augmentation is not None:
        real_only, augmented = augmentation_accuracy(model, data.x_train[modality], data.y_train[modality],
                                                     data.x_test[modality], data.y_test[modality], **augmentation)
        rows.append({"metric": "augmented_accuracy", "modality": modality, "value": augmented.mean(),
                     "std": augmented.std(), "baseline": real_only.mean(), "chance": 1.0 / num_classes})
    others = evaluate_samples(_ClassBalancedSamples(model, modality), data, evaluators,
                              metrics=("inception_score", "fd", "kid", "precision_recall"), n=n, seed=seed,
                              truncation=truncation)
    return pd.concat([pd.DataFrame(rows), others], ignore_index=True)


class _ClassBalancedSamples:
    """A class-conditional model seen as a one-modality generator `generate(z=...)`, for `evaluate`.

    The i-th code is generated as class `i % num_classes`, so every class has the same share.
    """

    def __init__(self, model, modality):
        self.model, self.modalities, self.latent_dim = model, [modality], model.latent_dim

    def generate(self, z):
        classes = np.arange(len(z)) % self.model.num_classes
        return {self.modalities[0]: self.model.generate(classes, z=z)}
