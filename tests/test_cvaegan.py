import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_syncgan.data import load_digits
from keras_syncgan.models.cvaegan import CVAEGAN
from keras_syncgan.networks.conditional_generator import conditional_generator
from keras_syncgan.networks.encoder import encoder
from keras_syncgan.networks.feature_classifier import feature_classifier
from keras_syncgan.networks.feature_discriminator import feature_discriminator
from keras_syncgan.testing import run_serialization_test

NUM_CLASSES, LATENT_DIM = 10, 8
OPTIMIZERS = ["discriminator", "classifier", "encoder", "generator"]
USED = {"cvae": ["encoder", "generator"], "cgan": ["generator", "discriminator", "classifier"],
        "fm-cgan": ["generator", "discriminator", "classifier"], "cvae-gan": OPTIMIZERS}


def small_cvaegan(mode="cvae-gan", shape=(8, 8, 1), filters=8, seed=0, synchronized_batchnorm=False, **kwargs):
    """A CVAE-GAN small enough for second-long tests; the networks `mode` does not use are None."""
    build = {
        "generator": lambda: conditional_generator(shape, NUM_CLASSES, LATENT_DIM, filters=filters,
                                                   synchronized_batchnorm=synchronized_batchnorm),
        "encoder": lambda: encoder(shape, NUM_CLASSES, LATENT_DIM, filters=filters, hidden=64),
        "discriminator": lambda: feature_discriminator(shape, filters=filters),
        "classifier": lambda: feature_classifier(shape, NUM_CLASSES, filters=filters),
    }
    return CVAEGAN(**{name: build[name]() for name in USED[mode]}, mode=mode, seed=seed, **kwargs)


def _compile(model, active=None, learning_rate=1e-3, optimizer=lambda lr: keras.optimizers.Adam(lr, beta_1=0.5),
             run_eagerly=False):
    """One optimizer per network; with `active`, every other optimizer has learning rate 0.

    Adam at 1e-3 rather than the paper's 2e-4, so that seconds of training suffice.
    Tests of a few steps run eagerly: tracing the step costs seconds, running it eagerly a fraction.
    """
    model.compile(optimizers={name: optimizer(0.0 if active not in (None, name) else learning_rate)
                              for name in model.optimizer_targets()}, run_eagerly=run_eagerly)
    return model


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_test, y_test) = load_digits(size=8)
    return x[..., None], y, x_test[..., None], y_test


def _weights(network):
    return [v.numpy().copy() for v in network.trainable_variables]


def _numpy(tensors):
    return [keras.ops.convert_to_numpy(t) for t in tensors]


@pytest.mark.parametrize("shape", [(8, 8, 1), (16, 16, 1), (28, 28, 1)])
def test_networks_fit_the_image_shape(shape):
    x = np.random.default_rng(0).uniform(size=(3, *shape)).astype("float32")
    c = np.eye(NUM_CLASSES, dtype="float32")[[0, 4, 9]]
    mu, log_var = _numpy(encoder(shape, NUM_CLASSES, LATENT_DIM, filters=4, hidden=8)([x, c]))
    assert mu.shape == log_var.shape == (3, LATENT_DIM)
    images = keras.ops.convert_to_numpy(conditional_generator(shape, NUM_CLASSES, LATENT_DIM, filters=4)([mu, c]))
    assert images.shape == (3, *shape) and 0 <= images.min() and images.max() <= 1
    logit, d_features = _numpy(feature_discriminator(shape, filters=4)(x))
    logits, c_features = _numpy(feature_classifier(shape, NUM_CLASSES, filters=4)(x))
    assert logit.shape == (3, 1) and logits.shape == (3, NUM_CLASSES)
    assert d_features.shape[0] == c_features.shape[0] == 3 and d_features.ndim == c_features.ndim == 2


def test_networks_round_trip():
    shape, rng = (8, 8, 1), np.random.default_rng(0)
    x = rng.uniform(size=(2, *shape)).astype("float32")
    c = np.eye(NUM_CLASSES, dtype="float32")[[1, 2]]
    run_serialization_test(encoder(shape, NUM_CLASSES, LATENT_DIM, filters=4, hidden=8), [x, c])
    run_serialization_test(conditional_generator(shape, NUM_CLASSES, LATENT_DIM, filters=4),
                           [rng.normal(size=(2, LATENT_DIM)).astype("float32"), c])
    run_serialization_test(feature_discriminator(shape, filters=4), x)
    run_serialization_test(feature_classifier(shape, NUM_CLASSES, filters=4), x)


# --------------------------------------------------------------------- Algorithm 1's routing
@pytest.mark.parametrize("active", OPTIMIZERS)
def test_each_update_changes_only_its_own_network(digits, active):
    x, y, _, _ = digits
    # Plain SGD: an update linear in the gradient, so that it can be compared with a reference step.
    model = _compile(small_cvaegan(), active, learning_rate=0.1, optimizer=keras.optimizers.SGD, run_eagerly=True)
    before = {name: _weights(getattr(model, name)) for name in OPTIMIZERS}
    reference = keras.models.clone_model(model.classifier)
    reference.set_weights(model.classifier.get_weights())
    model.train_on_batch(x[:32], y[:32])
    for name in OPTIMIZERS:
        changed = [not np.array_equal(a, b) for a, b in zip(before[name], _weights(getattr(model, name)))]
        assert all(changed) if name == active else not any(changed), f"{name} with {active} active"
    if active == "classifier":
        # C never learns from generated samples: its step is exactly one SGD step on real data.
        _classifier_step_on_real_data(reference, x[:32], y[:32])
        for expected, actual in zip(_weights(reference), _weights(model.classifier)):
            np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def _classifier_step_on_real_data(classifier, x, y):
    import tensorflow as tf

    optimizer = keras.optimizers.SGD(0.1)
    with tf.GradientTape() as tape:
        logits, _ = classifier(tf.constant(x, "float32") / 255.0, training=True)
        loss = tf.reduce_mean(keras.losses.categorical_crossentropy(tf.one_hot(y, NUM_CLASSES), logits,
                                                                    from_logits=True))
    optimizer.apply(tape.gradient(loss, classifier.trainable_variables), classifier.trainable_variables)


# --------------------------------------------------------------------- feature centres
def test_feature_centres_are_the_documented_moving_average(digits):
    x, y, _, _ = digits
    # D and C frozen, so the real features are fixed functions of the images we can recompute.
    model = small_cvaegan(centre_momentum=0.5)
    model.compile(optimizers={"discriminator": keras.optimizers.Adam(0.0), "classifier": keras.optimizers.Adam(0.0)},
                  run_eagerly=True)
    first = np.arange(40)
    second = np.flatnonzero(y < 5)[:40]  # classes 0-4 only
    features = lambda net, i: keras.ops.convert_to_numpy(net(x[i] / 255.0, training=False)[1])
    per_class = lambda f, i: np.stack([f[y[i] == k].mean(0) for k in range(NUM_CLASSES)])
    centres = lambda name, key: model.centres[name][key].numpy()

    model.train_on_batch(x[first], y[first])
    d_real, c_real = features(model.discriminator, first).mean(0), per_class(features(model.classifier, first), first)
    np.testing.assert_allclose(centres("discriminator", "real")[0], d_real, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(centres("classifier", "real"), c_real, rtol=1e-5, atol=1e-6)
    real_after_first, generated_after_first = centres("classifier", "real"), centres("classifier", "generated")

    model.train_on_batch(x[second], y[second])
    d_batch = features(model.discriminator, second).mean(0)
    np.testing.assert_allclose(centres("discriminator", "real")[0], 0.5 * d_real + 0.5 * d_batch, rtol=1e-5, atol=1e-6)
    c_batch = np.stack([features(model.classifier, second)[y[second] == k].mean(0) for k in range(5)])
    np.testing.assert_allclose(centres("classifier", "real")[:5], 0.5 * c_real[:5] + 0.5 * c_batch, rtol=1e-5, atol=1e-6)
    # Classes absent from the batch keep their centres.
    np.testing.assert_array_equal(centres("classifier", "real")[5:], real_after_first[5:])
    np.testing.assert_array_equal(centres("classifier", "generated")[5:], generated_after_first[5:])
    assert not np.allclose(centres("classifier", "generated")[:5], generated_after_first[:5])
    np.testing.assert_array_equal(centres("classifier", "updates"), [2] * 5 + [1] * 5)
    np.testing.assert_array_equal(centres("discriminator", "updates"), [2])


def test_save_load_restores_centres_and_optimizers_and_resumes_identically(digits, tmp_path):
    x, y, _, _ = digits
    model = _compile(small_cvaegan(), run_eagerly=True)
    for start in (0, 32, 64):
        model.train_on_batch(x[start:start + 32], y[start:start + 32])
    path = tmp_path / "cvaegan.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, CVAEGAN) and list(restored.optimizers) == OPTIMIZERS
    assert int(restored.optimizers["generator"].iterations.numpy()) == 3
    restored.run_eagerly = True
    for name, centres in model.centres.items():
        for key, variable in centres.items():
            assert np.any(variable.numpy() != 0), f"{name} {key} never moved"
            np.testing.assert_array_equal(restored.centres[name][key].numpy(), variable.numpy())
    expected = model.train_on_batch(x[96:128], y[96:128], return_dict=True)
    actual = restored.train_on_batch(x[96:128], y[96:128], return_dict=True)
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(restored.centres["classifier"]["generated"].numpy(),
                               model.centres["classifier"]["generated"].numpy(), rtol=1e-5, atol=1e-6)


def test_generator_ema_is_updated_used_by_generate_and_inpaint_and_saved(digits, tmp_path):
    x, y, _, _ = digits
    decay = 0.5
    model = _compile(small_cvaegan(ema_decay=decay), run_eagerly=True)
    before = [v.numpy().copy() for v in model.generator.weights]
    model.train_on_batch(x[:32], y[:32])
    after = [v.numpy().copy() for v in model.generator.weights]
    for shadow, w0, w1 in zip(model.ema_weights, before, after):
        np.testing.assert_allclose(shadow.numpy(), decay * w0 + (1 - decay) * w1, rtol=1e-5, atol=1e-7)
    classes = np.arange(6) % NUM_CLASSES
    z = np.random.default_rng(0).normal(size=(6, LATENT_DIM)).astype("float32")
    raw = keras.ops.convert_to_numpy(model([z, classes]))
    sampled = model.generate(classes, z=z)
    assert not np.allclose(raw, sampled, atol=1e-5)  # generate used the EMA weights...
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model([z, classes])), raw)  # ...and put G's back
    mask = np.ones((8, 8, 1), "float32")
    mask[4:] = 0.0
    # Inpainting optimises z against the same (EMA) generator that fills the hole.
    images = x[:6].astype("float32") / 255.0
    filled = model.inpaint(images, mask, classes, steps=0)
    mu, _ = model.encode(images * mask, classes)
    np.testing.assert_allclose(filled[:, 4:], model.generate(classes, z=mu)[:, 4:], atol=1e-6)
    model.save(tmp_path / "ema.keras")
    restored = keras.models.load_model(tmp_path / "ema.keras")
    assert restored.ema_decay == decay
    np.testing.assert_allclose(restored.generate(classes, z=z), sampled, atol=1e-6)


def test_config_and_keras_file_round_trip():
    model = small_cvaegan(kl_weight=2.0, classifier_matching_weight=0.01, centre_momentum=0.9)
    z = np.random.default_rng(0).normal(size=(4, LATENT_DIM)).astype("float32")
    restored = run_serialization_test(model, [z, np.eye(NUM_CLASSES, dtype="float32")[[0, 3, 5, 9]]])
    assert (restored.mode, restored.kl_weight, restored.classifier_matching_weight, restored.centre_momentum) == \
        ("cvae-gan", 2.0, 0.01, 0.9)
    ablation = run_serialization_test(small_cvaegan("cgan"), [z, np.array([1, 2, 3, 4])])
    assert ablation.mode == "cgan" and ablation.encoder is None


# --------------------------------------------------------------------- training and applications
@pytest.fixture(scope="module")
def trained(digits):
    """A CVAE-GAN trained for seconds on sklearn digits, and the untrained model's reconstruction error."""
    x, y, x_test, y_test = digits
    keras.utils.set_random_seed(0)
    model = _compile(small_cvaegan())
    untrained_error = np.mean((model.reconstruct(x_test, y_test) - x_test / 255.0) ** 2)
    history = model.fit(x[:1408], y[:1408], batch_size=64, epochs=8, verbose=0)  # whole batches: one trace
    return model, untrained_error, history.history


def test_training_makes_generations_class_consistent_and_reconstructions_better(digits, trained):
    from sklearn.linear_model import LogisticRegression

    x, y, x_test, y_test = digits
    model, untrained_error, history = trained
    for key, values in history.items():
        assert np.isfinite(values).all(), key
    judge = LogisticRegression(max_iter=1000).fit(x.reshape(len(x), -1) / 255.0, y)
    assert judge.score(x_test.reshape(len(x_test), -1) / 255.0, y_test) > 0.9
    samples, labels = model.augment(30)
    assert samples.shape == (300, 8, 8, 1) and np.array_equal(np.bincount(labels), [30] * 10)
    accuracy = judge.score(samples.reshape(len(samples), -1), labels)
    assert accuracy > 0.7, f"class consistency of generations {accuracy:.3f} (chance 0.1)"
    error = np.mean((model.reconstruct(x_test, y_test) - x_test / 255.0) ** 2)
    assert error < 0.5 * untrained_error, f"reconstruction MSE {error:.4f}, untrained {untrained_error:.4f}"


def test_inpainting_lowers_the_error_in_the_hole(digits, trained):
    _, _, x_test, y_test = digits
    model, _, _ = trained
    x, c = x_test[:60], y_test[:60]
    mask = np.ones((8, 8), "float32")
    mask[2:6, 2:6] = 0  # a missing square in the middle
    hole = lambda filled: np.mean(((filled - x / 255.0)[:, 2:6, 2:6]) ** 2)
    known = x / 255.0 * mask[:, :, None]
    start = known + (1 - mask[:, :, None]) * model.generate(c, z=model.encode(known, c)[0])  # inpaint's z0
    filled = model.inpaint(x, mask, c)
    np.testing.assert_allclose(filled[:, :2], x[:, :2] / 255.0, atol=1e-6)  # known pixels kept
    assert hole(filled) < 0.95 * hole(start), f"hole MSE {hole(filled):.4f} vs {hole(start):.4f} at the start"


def test_morphing_returns_the_frames_between_the_endpoint_generations(trained):
    model, _, _ = trained
    z_start, z_end = np.random.default_rng(0).normal(size=(2, LATENT_DIM)).astype("float32")
    frames = model.morph(3, 8, z_start=z_start, z_end=z_end, frames=6)
    assert frames.shape == (6, 8, 8, 1)
    np.testing.assert_allclose(frames[0], model.generate([3], z=z_start[None])[0], atol=1e-5)
    np.testing.assert_allclose(frames[-1], model.generate([8], z=z_end[None])[0], atol=1e-5)
    class_only = model.morph(np.eye(NUM_CLASSES)[1], 7, z_start=z_start, frames=3)
    np.testing.assert_allclose(class_only[-1], model.generate([7], z=z_start[None])[0], atol=1e-5)
    assert model.morph(2, frames=4).shape == (4, 8, 8, 1)


@pytest.mark.parametrize("mode", ["cvae", "cgan", "fm-cgan"])
def test_ablations_train_with_finite_losses(digits, mode):
    import tensorflow as tf

    x, y, _, _ = digits
    model = _compile(small_cvaegan(mode), run_eagerly=True)
    assert list(model.optimizers) == [name for name in OPTIMIZERS if name in USED[mode]]
    # One-hot labels from tf.data, the other input form.
    dataset = tf.data.Dataset.from_tensor_slices((x[:96], np.eye(NUM_CLASSES, dtype="float32")[y[:96]])).batch(32)
    history = model.fit(dataset, epochs=1, verbose=0).history
    assert sorted(history) == sorted(model.tracker_names())
    for key, values in history.items():
        assert np.isfinite(values).all(), f"{mode} {key}"
    assert model.generate([0, 5]).shape == (2, 8, 8, 1)


@pytest.mark.jax
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (dev extra: jax[cpu])")
def test_one_algorithm_runs_on_jax():
    code = ("import json, sys, numpy as np; sys.path.insert(0, %r); "
            "from test_cvaegan import small_cvaegan, _compile; from keras_syncgan.data import load_digits; "
            "(x, y), _ = load_digits(size=8); m = _compile(small_cvaegan()); "
            "h = m.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0).history; "
            "logs = {k: float(v[-1]) for k, v in h.items()}; "
            "logs['inpainted'] = float(m.inpaint(x[:4], np.tri(8), y[:4], steps=3).mean()); "
            "print(json.dumps(logs))") % str(pathlib.Path(__file__).parent)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(logs) >= {"d_loss", "c_loss", "e_loss", "g_loss", "kl_loss", "c_matching_loss", "inpainted"}
    assert all(np.isfinite(v) for v in logs.values()), logs


# --------------------------------------------------------------------- bad input
ONE_HOT_9 = np.eye(9, dtype="float32")[[0, 1, 2]]


@pytest.mark.parametrize("call, match", [
    (lambda m: m.generate([0, 10]), r"`class_ids` class ids must be in \[0, 10\).*received ids from 0 to 10"),
    (lambda m: m.generate([-1]), r"`class_ids`.*\[0, 10\)"),
    (lambda m: m.generate(ONE_HOT_9), r"`class_ids`.*one-hot of shape \(batch, 10\).*received shape \(3, 9\)"),
    (lambda m: m.generate([0.0, 1.0]), "must be integers"),
    (lambda m: m.generate([1, 2], z=np.zeros((2, 7))), r"`z` must have shape \(2, 8\).*\(2, 7\)"),
    (lambda m: m.reconstruct(np.zeros((4, 8, 8)), [1, 2, 3]), r"`c` must hold one label per image: expected 4"),
    (lambda m: m.reconstruct(np.zeros((4, 16, 16, 1)), [1, 2, 3, 4]), r"`x` must be images of shape \(batch, 8, 8, 1\)"),
    (lambda m: m.inpaint(np.zeros((2, 8, 8)), np.ones((7, 7)), [1, 2]), r"`mask` must have the shape.*received shape \(7, 7\)"),
    (lambda m: m.inpaint(np.zeros((2, 8, 8)), np.ones((3, 8, 8)), [1, 2]), r"`mask`.*\(3, 8, 8\)"),
    (lambda m: m.morph(1, frames=1), "`frames` must be an int >= 2"),
    (lambda m: m.morph(1, z_start=np.zeros(3)), r"`z_start`.*\(8,\)"),
    (lambda m: m.augment(0), "`n_per_class`"),
    (lambda m: m.augment(2, classes=[3, 11]), r"`classes`.*\[0, 10\)"),
    (lambda m: m.generate([0, 1], batch_size=0), r"`batch_size` must be an integer >= 1; received batch_size=0"),
    (lambda m: small_cvaegan(centre_momentum="0.5"),
     r"`centre_momentum` must be a number in \[0, 1\); received centre_momentum='0.5'"),
])
def test_inference_rejects_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(small_cvaegan())


@pytest.mark.parametrize("batch, match", [
    (lambda x, y: (x, np.eye(9, dtype="float32")[y % 9]), r"`labels`.*\(batch, 10\).*received shape \(32, 9\)"),
    (lambda x, y: (x, y[:-1]), r"`labels` must hold one label per image: expected 32"),
    (lambda x, y: (x[:, :4], y), r"`x` must be images of shape \(batch, 8, 8, 1\).*\(32, 4, 8, 1\)"),
    (lambda x, y: (x, None), r"\(images, labels\) batches"),
])
def test_bad_training_batches_raise_clear_errors(digits, batch, match):
    x, y, _, _ = digits
    model = _compile(small_cvaegan(), run_eagerly=True)
    with pytest.raises(ValueError, match=match):
        model.train_on_batch(*batch(x[:32], y[:32]))


def test_constructor_checks_mode_and_networks():
    g = conditional_generator((8, 8, 1), NUM_CLASSES, LATENT_DIM, filters=4)
    e = encoder((8, 8, 1), NUM_CLASSES, LATENT_DIM, filters=4, hidden=8)
    with pytest.raises(ValueError, match="`mode` must be one of"):
        CVAEGAN(g, e, mode="vae")
    with pytest.raises(ValueError, match=r"`discriminator` must be a keras.Model; received NoneType"):
        CVAEGAN(g, e)
    with pytest.raises(ValueError, match="`encoder` must be None"):
        CVAEGAN(g, e, mode="cgan", discriminator=feature_discriminator((8, 8, 1), filters=4),
                classifier=feature_classifier((8, 8, 1), NUM_CLASSES, filters=4))
    with pytest.raises(ValueError, match="`encoder` must map inputs"):
        CVAEGAN(g, encoder((8, 8, 1), NUM_CLASSES, LATENT_DIM + 1, filters=4, hidden=8), mode="cvae")
    with pytest.raises(ValueError, match="`latent_dim` must equal"):
        CVAEGAN(g, e, mode="cvae", latent_dim=4)
    with pytest.raises(ValueError, match="`inpaint` needs the encoder"):
        small_cvaegan("fm-cgan").inpaint(np.zeros((1, 8, 8)), np.ones((8, 8)), [0])


def test_class_grid_writes_one_row_per_class_during_fit(digits, tmp_path):
    from keras_syncgan.callbacks import ClassGrid

    x, y = digits[0], digits[1]
    model = _compile(small_cvaegan())
    grid = ClassGrid(tmp_path / "classes", n=3, log_dir=tmp_path / "tb")
    model.fit(x[:128], y[:128], batch_size=64, epochs=1, verbose=0, callbacks=[grid])
    assert [p.name for p in grid.written] == ["samples_epoch_001.png"]
    assert grid.written[0].read_bytes()[:4] == b"\x89PNG"
    samples, _ = grid.figure()
    assert samples["samples"].shape == (NUM_CLASSES * 3, 8, 8, 1)


def test_generate_draws_truncated_codes_on_request():
    model = small_cvaegan()
    _compile(model)
    same = model.generate([2, 2, 2, 2], truncation=1e-4)  # codes ~0: one image per class, repeated
    assert same.shape == (4, 8, 8, 1) and np.abs(same - same[0]).max() < 1e-3
    assert np.abs(np.diff(model.generate([2, 2, 2, 2]), axis=0)).max() > 1e-2
    with pytest.raises(ValueError, match=r"`truncation` applies to the codes `generate` draws; pass it without `z`"):
        model.generate([2], z=np.zeros((1, model.latent_dim), "float32"), truncation=0.5)
