import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="mpl-"))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from keras_syncgan import SyncGAN, networks  # noqa: E402
from keras_syncgan.data import load_digits  # noqa: E402


@pytest.fixture(scope="session")
def digits_pairs():
    """sklearn digits (8x8) paired with their 90-degree rotation: a cross-domain toy with labels."""
    (x, y), (x_test, y_test) = load_digits(size=8)
    rotate = lambda images: np.rot90(images, axes=(1, 2)).copy()
    return ({"digit": x, "rotated": rotate(x)}, {"digit": y, "rotated": y},
            {"digit": x_test, "rotated": rotate(x_test)}, {"digit": y_test, "rotated": y_test})


def small_syncgan(shape=(8, 8, 1), modalities=("digit", "rotated"), latent_dim=16, filters=16, seed=0,
                  spectral_norm=True, synchronized_batchnorm=False, **kwargs):
    """A SyncGAN small enough for second-long tests."""
    return SyncGAN(
        generators={m: networks.image_generator(shape, latent_dim, filters=filters, name=f"generator_{m}",
                                                synchronized_batchnorm=synchronized_batchnorm)
                    for m in modalities},
        discriminators={m: networks.image_discriminator(shape, filters=filters, spectral_norm=spectral_norm,
                                                        name=f"discriminator_{m}") for m in modalities},
        synchronizer=networks.synchronizer({m: shape for m in modalities}, filters=filters, hidden=64),
        latent_dim=latent_dim, seed=seed, **kwargs)
