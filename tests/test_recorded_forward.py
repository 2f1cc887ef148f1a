"""`GANModel.record` + `update(..., through=)`: one forward pass serving several updates gives the
gradients of running it again, on TensorFlow and JAX (one process per backend)."""

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


def _weights(backend, variant, steps=3):
    env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, str(HERE / "backend_record.py"), variant, str(steps)],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", [
    "tensorflow",
    pytest.param("jax", marks=[pytest.mark.jax, pytest.mark.skipif(
        importlib.util.find_spec("jax") is None, reason="JAX is not installed (dev extra: jax[cpu])")]),
])
def test_backpropagating_through_a_recorded_forward_equals_running_it_again(backend):
    initial = _weights(backend, "record", steps=0)["trainable"]
    recorded, regenerated = _weights(backend, "record"), _weights(backend, "regenerate")
    assert recorded["iterations"] == regenerated["iterations"] == [3, 3]
    # Every kernel and bias of both networks (BatchNorm's gamma and beta too) has moved, the same way.
    assert len(initial) == len(recorded["trainable"]) == 10
    for start, ours, reference in zip(initial, recorded["trainable"], regenerated["trainable"]):
        assert np.abs(np.subtract(ours, start)).max() > 1e-5
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)


def test_update_through_rejects_a_forward_recorded_for_another_optimizer(digits_pairs):
    x, y, _, _ = digits_pairs
    model = small_syncgan()
    model.compile()
    recorded = model.record("generators", lambda: model.generators["digit"](model.noise(2), training=True))
    with pytest.raises(ValueError, match=r"`through` must be the result of `record\('synchronizer', \.\.\.\)`"):
        model.update("synchronizer", lambda fake: (0.0, None), through=recorded)
    with pytest.raises(ValueError, match="received str 'generated'"):
        model.update("generators", lambda fake: (0.0, None), through="generated")


def test_a_recorded_output_the_loss_does_not_use_moves_nothing():
    from keras import ops

    model = small_syncgan()
    model.compile()
    z = model.noise(4)
    recorded = model.record("generators", lambda: {m: model.generators[m](z, training=True) for m in model.modalities})
    before = {m: [v.numpy() for v in model.generators[m].trainable_variables] for m in model.modalities}
    model.update("generators", lambda fakes: (ops.mean(fakes["digit"]), None), through=recorded)
    moved = {m: max(np.abs(v.numpy() - b).max() for v, b in zip(model.generators[m].trainable_variables, before[m]))
             for m in model.modalities}
    assert moved["digit"] > 1e-5 and moved["rotated"] == 0.0
