"""The same algorithm on Keras' TensorFlow and JAX backends (one process per backend)."""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from conftest import small_syncgan

HERE = pathlib.Path(__file__).parent
pytestmark = [pytest.mark.jax, pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                                                  reason="JAX is not installed (dev extra: jax[cpu])")]


def _run(backend, *args, code=None):
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-c", code] if code else [sys.executable, str(HERE / "backend_step.py"), *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_importing_the_package_on_jax_does_not_import_tensorflow():
    out = _run("jax", code="import sys, keras_syncgan, keras_syncgan.data, keras_syncgan.presets, "
                           "keras_syncgan.callbacks; print('tensorflow' in sys.modules)")
    assert out == "False"


@pytest.mark.parametrize("spectral_norm, rtol", [
    (False, 1e-4),
    # Keras' SpectralNormalization writes W/sigma into the kernel in the forward pass: TF's tape takes
    # the gradient at the written kernel, JAX through W/sigma (sigma held constant), i.e. scaled by
    # 1/sigma ~ 1. Same algorithm, slightly different gradients: a looser bound.
    (True, 5e-3),
])
def test_one_algorithm_gives_the_same_losses_on_tensorflow_and_jax(tmp_path, spectral_norm, rtol):
    weights = tmp_path / "initial.weights.h5"
    small_syncgan(spectral_norm=spectral_norm).save_weights(weights)
    flag = "sn" if spectral_norm else "plain"
    tf_run, jax_run = (json.loads(_run(backend, str(weights), "3", flag)) for backend in ("tensorflow", "jax"))
    assert jax_run["tensorflow_imported"] is False
    assert tf_run["iterations"] == jax_run["iterations"] == [3, 3, 3, 3]
    for step, (tf_logs, jax_logs) in enumerate(zip(tf_run["losses"], jax_run["losses"])):
        for key in tf_logs:
            assert np.isfinite(jax_logs[key])
            np.testing.assert_allclose(jax_logs[key], tf_logs[key], rtol=rtol, atol=rtol / 10,
                                       err_msg=f"step {step} {key}")
