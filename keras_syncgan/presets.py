"""Named, documented configurations: which data, which network sizes, which optimizers.

Network widths:

- `"authors"`: the SyncGAN authors' MNIST nets (generator Dense -> 7x7x512, ..., filters=128,
  synchronizer hidden 256; 18.5 M parameters, 0.65 TFLOP per iteration of 32 + 32 pairs by
  `benchmarks/flops.py`). A GPU size (2.3 s per iteration on 2 CPU cores with AMX, 0.9 s in bfloat16).
- `"cpu"`: the same architecture at filters=32 and hidden 128, ~1/16 of the FLOPs, for CPUs, the
  demo, notebooks and tests.

`build_syncgan(modality_filters=...)` narrows single modalities: `CPU_SPECTROGRAM_FILTERS` is what
the CPU width gives a 128 x 64 spectrogram.
"""

import dataclasses

import numpy as np

from keras_syncgan import networks
from keras_syncgan.models.cvaegan import CVAEGAN, NETWORKS_OF_MODE
from keras_syncgan.models.syncgan import SyncGAN

WIDTHS = {"authors": {"filters": 128, "hidden": 256}, "cpu": {"filters": 32, "hidden": 128}}
# A 128 x 64 spectrogram has 10.4x the pixels of a 28 x 28 image: at 32 filters its networks would
# make MNIST <-> speech 253 GFLOP per iteration of 32 + 32 pairs, 6x MNIST <-> Fashion-MNIST's 42.
# 12 filters (48 channels at the generator's 16 x 8 base) bring it to 57 GFLOP (`benchmarks/flops.py`), about
# 1/15 of the authors' MNIST nets, like the CPU width itself.
CPU_SPECTROGRAM_FILTERS = 12


def resolution_steps(shape):
    """Halvings for a sample shape: 3 for large inputs (e.g. 128x64 spectrograms), else the authors' 2."""
    height, width = shape[0], shape[1]
    return 3 if height % 8 == 0 and width % 8 == 0 and min(height, width) // 8 >= 7 else 2


def build_syncgan(sample_shapes, latent_dim=64, width="cpu", seed=0, modality_filters=None, **model_kwargs):
    """A SyncGAN with the authors' architecture for every modality, at a named width.

    Args:
        sample_shapes: dict `{modality: (height, width, channels)}`.
        width: "authors" or "cpu" (see module docstring), or a dict `{"filters": f, "hidden": h}`.
        modality_filters: optional dict `{modality: filters}` replacing the width's filters in that
            modality's generator, discriminator and synchronizer branch (e.g. fewer for a large
            spectrogram); the other modalities keep the width's.

    Example:
    >>> model = build_syncgan({"digit": (28, 28, 1), "fashion": (28, 28, 1)}, width="cpu")
    >>> model.modalities
    ['digit', 'fashion']
    """
    sizes = WIDTHS[width] if isinstance(width, str) else dict(width)
    modality_filters = dict(modality_filters or {})
    if not set(modality_filters) <= set(sample_shapes):
        raise ValueError(f"`modality_filters` names modalities {sorted(set(modality_filters) - set(sample_shapes))} "
                         f"that are not in `sample_shapes` ({sorted(sample_shapes)}).")
    filters = {m: int(modality_filters.get(m, sizes["filters"])) for m in sample_shapes}
    steps = {m: resolution_steps(shape) for m, shape in sample_shapes.items()}
    return SyncGAN(
        generators={m: networks.image_generator(shape, latent_dim, filters=filters[m], upsamplings=steps[m],
                                                name=f"generator_{m}") for m, shape in sample_shapes.items()},
        discriminators={m: networks.image_discriminator(shape, filters=filters[m], downsamplings=steps[m],
                                                        name=f"discriminator_{m}") for m, shape in sample_shapes.items()},
        synchronizer=networks.synchronizer(sample_shapes, filters=filters, hidden=sizes["hidden"],
                                           downsamplings=steps),
        latent_dim=latent_dim, seed=seed, **model_kwargs)


def build_cvaegan(image_shape, num_classes=10, latent_dim=64, width="cpu", seed=0, **model_kwargs):
    """A CVAE-GAN (E, G, D, C) for one image shape, with the networks at a named width.

    Args:
        image_shape: `(height, width, channels)`, sides divisible by 4.
        width: "authors" or "cpu" (filters of every network, the encoder's hidden size), or a dict
            `{"filters": f, "hidden": h}`.

    Example:
    >>> model = build_cvaegan((8, 8, 1), num_classes=10, latent_dim=8, width={"filters": 4, "hidden": 8})
    >>> model.generate([0, 9]).shape
    (2, 8, 8, 1)
    """
    sizes = WIDTHS[width] if isinstance(width, str) else dict(width)
    filters = sizes["filters"]
    mode = model_kwargs.get("mode", "cvae-gan")
    builders = {
        "generator": lambda: networks.conditional_generator(image_shape, num_classes, latent_dim=latent_dim,
                                                            filters=filters),
        "encoder": lambda: networks.encoder(image_shape, num_classes, latent_dim=latent_dim, filters=filters,
                                            hidden=sizes["hidden"]),
        "discriminator": lambda: networks.feature_discriminator(image_shape, filters=filters),
        "classifier": lambda: networks.feature_classifier(image_shape, num_classes, filters=filters),
    }
    # The ablation modes (Table 1 of the paper) train a subset of the networks; the others are None.
    uses = NETWORKS_OF_MODE.get(mode, builders)
    return CVAEGAN(**{name: build() if name in uses else None for name, build in builders.items()}, seed=seed,
                   **model_kwargs)


@dataclasses.dataclass
class PairedData:
    """Train/test arrays per modality, paired by class label."""

    x_train: dict
    y_train: dict
    x_test: dict
    y_test: dict

    @property
    def sample_shapes(self):
        return {m: x.shape[1:] + ((1,) if x.ndim == 3 else ()) for m, x in self.x_train.items()}


def mnist_fashion_data():
    """MNIST digit k paired with Fashion-MNIST class k (0 T-shirt/top ... 9 Ankle boot), as in the paper."""
    from keras_syncgan.data import load_fashion_mnist, load_mnist

    (xd, yd), (xd_test, yd_test) = load_mnist()
    (xf, yf), (xf_test, yf_test) = load_fashion_mnist()
    return PairedData({"digit": xd, "fashion": xf}, {"digit": yd, "fashion": yf},
                      {"digit": xd_test, "fashion": xf_test}, {"digit": yd_test, "fashion": yf_test})


def fashion_data():
    """Fashion-MNIST alone, as one-modality `PairedData` ("fashion"): the CVAE-GAN preset's data."""
    from keras_syncgan.data import load_fashion_mnist

    (x, y), (x_test, y_test) = load_fashion_mnist()
    return PairedData({"fashion": x}, {"fashion": y}, {"fashion": x_test}, {"fashion": y_test})


def mnist_speech_data(source="fsdd", path=None, **spectrogram_kwargs):
    """MNIST digit k paired with spoken digit k as a log-magnitude spectrogram (image <-> sound).

    Sound comes from `load_spoken_digits(source, path)` (FSDD recordings, or espeak-ng synthesis)
    and becomes (128, 64, 1) spectrogram images in [0, 1] (`waveform_to_spectrogram`); generated
    spectrograms turn back into audio with `spectrogram_to_waveform` (Griffin-Lim).
    """
    from keras_syncgan.data import load_mnist, load_spoken_digits, waveform_to_spectrogram

    (xd, yd), (xd_test, yd_test) = load_mnist()
    (ws, ys), (ws_test, ys_test) = load_spoken_digits(source=source, path=path)
    to_image = lambda waveforms: waveform_to_spectrogram(waveforms, **spectrogram_kwargs)
    return PairedData({"digit": xd, "speech": to_image(ws)}, {"digit": yd, "speech": ys},
                      {"digit": xd_test, "speech": to_image(ws_test)}, {"digit": yd_test, "speech": ys_test})


def held_out_pairs(data, n=2000, seed=1):
    """Synchronous/asynchronous real tuples from the test splits, for the synchronizer's accuracy."""
    from keras_syncgan.data import PairSampler

    batch = next(PairSampler(data.y_test, batch_size=n, seed=seed).batches(0))
    pairs = {m: data.x_test[m][i] for m, i in batch["pairs"].items()}
    pairs = {m: x[..., None] if x.ndim == 3 else x for m, x in pairs.items()}
    return pairs, batch["sync"].astype(np.float32)
