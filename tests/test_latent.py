"""`keras_syncgan.latent.latent_codes`: the codes every model and evaluation draws, with the truncation trick."""

import math

import keras
import numpy as np
import pytest

from conftest import small_syncgan
from keras_syncgan.latent import latent_codes


def _truncated_normal_std(t):
    # Var of N(0, 1) given |z| <= t: 1 - 2 t phi(t) / (2 Phi(t) - 1).
    phi = math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    return math.sqrt(1 - 2 * t * phi / math.erf(t / math.sqrt(2)))


@pytest.mark.parametrize("truncation", [0.25, 1.0, 2.0])
def test_truncated_codes_stay_within_the_threshold_with_the_truncated_normal_spread(truncation):
    z = keras.ops.convert_to_numpy(latent_codes((100_000, 4), truncation, seed=1))
    assert z.shape == (100_000, 4) and z.dtype == np.float32
    assert np.abs(z).max() <= truncation and np.abs(z).max() > 0.99 * truncation
    assert abs(z.mean()) < 0.01
    assert z.std() == pytest.approx(_truncated_normal_std(truncation), rel=0.01)
    # Symmetric and not piled up at the ends: the share inside t/2 matches the truncated normal's.
    inside = math.erf(truncation / 2 / math.sqrt(2)) / math.erf(truncation / math.sqrt(2))
    assert np.mean(np.abs(z) <= truncation / 2) == pytest.approx(inside, abs=0.005)


def test_untruncated_codes_are_standard_normal_and_seeds_repeat():
    z = keras.ops.convert_to_numpy(latent_codes((50_000, 4), seed=2))
    assert z.std() == pytest.approx(1.0, rel=0.01) and np.abs(z).max() > 3.5
    np.testing.assert_array_equal(z, keras.ops.convert_to_numpy(latent_codes((50_000, 4), seed=2)))
    a, b = (keras.ops.convert_to_numpy(latent_codes((8, 4), 0.5, seed=s)) for s in (3, 4))
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("truncation", [0, -1.0, math.inf, math.nan, "0.5", True])
def test_bad_truncation_is_refused_by_name(truncation):
    with pytest.raises(ValueError, match=r"`truncation` must be None or a number > 0 \(the bound on \|z\|\); "
                                         r"received truncation="):
        latent_codes((2, 3), truncation, seed=0)


def test_models_draw_truncated_codes_and_refuse_truncation_with_given_codes():
    model = small_syncgan()
    model.compile()
    z = keras.ops.convert_to_numpy(model.noise(2000, truncation=0.3))
    assert z.shape == (2000, 16) and np.abs(z).max() <= 0.3
    assert np.abs(keras.ops.convert_to_numpy(model.noise(2000))).max() > 3.0
    # Codes squeezed to ~0 give one sample, repeated; untruncated codes vary.
    same = model.generate(4, truncation=1e-4)["digit"]
    assert same.shape == (4, 8, 8, 1) and np.abs(same - same[0]).max() < 1e-3
    assert np.abs(np.diff(model.generate(4)["digit"], axis=0)).max() > 1e-2
    with pytest.raises(ValueError, match=r"`truncation` applies to the codes `generate` draws; pass it with `n`"):
        model.generate(z=np.zeros((2, 16), "float32"), truncation=0.3)
