import keras
import numpy as np
import pytest

from conftest import small_syncgan
from keras_syncgan.data import paired_dataset
from keras_syncgan.latent import optimize_latents


@pytest.fixture(scope="module")
def trained_model(digits_pairs):
    x, y, _, _ = digits_pairs
    keras.utils.set_random_seed(0)
    model = small_syncgan()
    model.compile()
    dataset, _ = paired_dataset(x, y, batch_size=64, seed=0)
    model.fit(dataset, epochs=3, verbose=0)
    return model


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_optimize_latents_solves_a_quadratic_for_every_sample(optimizer):
    target = np.arange(12, dtype="float32").reshape(6, 2) / 10
    z, losses = optimize_latents(lambda z: keras.ops.sum((z - target) ** 2, axis=1), np.zeros((6, 2), "float32"),
                                 steps=300, learning_rate=0.1, optimizer=optimizer)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(z), target, atol=1e-3)


def test_inverting_generated_samples_recovers_them(trained_model):
    z_star = np.random.default_rng(5).normal(size=(16, trained_model.latent_dim)).astype("float32")
    x = trained_model.generate(z=z_star)["digit"]
    z, errors = trained_model.invert(x, "digit", steps=400, learning_rate=0.05, optimizer="adam", restarts=3, seed=0)
    start_error = np.mean((trained_model.generate(z=np.random.default_rng(0).normal(size=z.shape))["digit"] - x) ** 2)
    assert np.median(errors) < 0.1 * start_error, (np.median(errors), start_error)
    reconstruction = trained_model.generate(z=z)["digit"]
    np.testing.assert_allclose(np.mean((reconstruction - x) ** 2, axis=(1, 2, 3)), errors, rtol=1e-3, atol=1e-6)
    assert np.median(errors) < 5e-3


def test_authors_procedure_lowers_every_samples_error_and_restarts_never_hurt(trained_model, digits_pairs):
    _, _, x_test, _ = digits_pairs
    x = x_test["digit"][:12]
    _, start = trained_model.invert(x, "digit", steps=0, seed=3)
    _, after = trained_model.invert(x, "digit", steps=50, learning_rate=0.1, seed=3)
    assert (after < start).all(), (start, after)
    _, best_of_three = trained_model.invert(x, "digit", steps=50, learning_rate=0.1, restarts=3, seed=3)
    assert (best_of_three <= after + 1e-7).all()
    # From a given z0 the first restart starts at z0 and the others near it, not all at z0.
    z0 = np.random.default_rng(3).normal(size=(12, 16))
    _, from_z0 = trained_model.invert(x, "digit", steps=50, learning_rate=0.1, z0=z0)
    _, best_from_z0 = trained_model.invert(x, "digit", steps=50, learning_rate=0.1, z0=z0, restarts=3, seed=3)
    assert (best_from_z0 <= from_z0 + 1e-7).all() and (best_from_z0 < from_z0 - 1e-7).any()


def test_transfer_generates_the_other_modality_from_the_recovered_code(trained_model, digits_pairs):
    _, _, x_test, _ = digits_pairs
    samples, z, errors = trained_model.transfer(x_test["digit"][:5], "digit", "rotated", steps=20)
    assert samples.shape == (5, 8, 8, 1) and z.shape == (5, 16) and errors.shape == (5,)
    np.testing.assert_allclose(samples, trained_model.generate(z=z)["rotated"], atol=1e-6)


def test_all_restarts_are_returned_restart_major_and_invert_keeps_the_best_of_them(trained_model, digits_pairs):
    _, _, x_test, _ = digits_pairs
    x = x_test["digit"][:6]
    options = dict(steps=30, learning_rate=0.05, optimizer="adam", restarts=3, seed=1)
    z_all, errors_all = trained_model.invert(x, "digit", all_restarts=True, **options)
    assert z_all.shape == (18, 16) and errors_all.shape == (18,)
    z, errors = trained_model.invert(x, "digit", **options)
    best = errors_all.reshape(3, 6).argmin(axis=0)
    assert len(set(best)) > 1  # the test means something only if different restarts win
    np.testing.assert_allclose(errors, errors_all.reshape(3, 6).min(axis=0))
    np.testing.assert_allclose(z, z_all.reshape(3, 6, 16)[best, np.arange(6)])


@pytest.mark.parametrize("select_by", ["reconstruction", "synchronizer"])
def test_transfer_keeps_the_restart_its_criterion_prefers(trained_model, digits_pairs, select_by):
    _, _, x_test, _ = digits_pairs
    x = x_test["digit"][:8]
    options = dict(steps=20, learning_rate=0.05, optimizer="adam", restarts=4, seed=2)
    samples, z, errors = trained_model.transfer(x, "digit", "rotated", select_by=select_by, **options)
    z_all, errors_all = trained_model.invert(x, "digit", all_restarts=True, **options)
    transfers = trained_model.generate(z=z_all)["rotated"]
    sync = trained_model.sync_probability({"digit": np.tile(x[..., None] / 255.0, (4, 1, 1, 1)),
                                           "rotated": transfers}).reshape(4, 8)
    best = (errors_all.reshape(4, 8).argmin(axis=0) if select_by == "reconstruction" else sync.argmax(axis=0))
    rows = best * 8 + np.arange(8)
    np.testing.assert_allclose(z, z_all[rows])
    np.testing.assert_allclose(errors, errors_all[rows])
    np.testing.assert_allclose(samples, transfers[rows], atol=1e-6)
    # The two criteria disagree on some samples: the most synchronous restart need not reconstruct best.
    assert (errors_all.reshape(4, 8).argmin(axis=0) != sync.argmax(axis=0)).any()


@pytest.mark.parametrize("call, match", [
    (lambda m, x: m.transfer(x, "digit", "rotated", select_by="error"),
     r"`select_by` must be one of \('reconstruction', 'synchronizer'\); received 'error'"),
    (lambda m, x: m.invert(x, "sound"), r"`modality` must be one of \['digit', 'rotated'\]"),
    (lambda m, x: m.transfer(x, "digit", "sound"), r"`target` must be one of \['digit', 'rotated'\]"),
    (lambda m, x: m.invert(x[:, :4], "digit"), r"`x` must be samples of 'digit' with shape \(n, 8, 8, 1\)"),
    (lambda m, x: m.invert(x, "digit", z0=np.zeros((2, 16))), r"`z0` must have shape \(3, 16\)"),
    (lambda m, x: m.invert(x, "digit", restarts=0), "`restarts`"),
    (lambda m, x: m.invert(x, "digit", optimizer="lbfgs"), "`optimizer`"),
])
def test_bad_inversion_arguments_raise_clear_errors(trained_model, digits_pairs, call, match):
    _, _, x_test, _ = digits_pairs
    with pytest.raises(ValueError, match=match):
        call(trained_model, x_test["digit"][:3])


def test_transfer_grid_writes_a_picture_during_fit(tmp_path, digits_pairs):
    from keras_syncgan.callbacks import SampleGrid, TransferGrid

    x, y, x_test, _ = digits_pairs
    model = small_syncgan()
    model.compile()
    dataset, _ = paired_dataset(x, y, batch_size=64, seed=0)
    grids = [TransferGrid(tmp_path / "transfer", {"digit": x_test["digit"][:4], "rotated": x_test["rotated"][:4]},
                          steps=5, log_dir=tmp_path / "tb"),
             SampleGrid(tmp_path / "samples", n=8, every=2, log_dir=tmp_path / "tb")]
    model.fit(dataset.take(3), epochs=2, verbose=0, callbacks=grids)
    assert [p.name for p in grids[0].written] == ["transfer_epoch_001.png", "transfer_epoch_002.png"]
    assert [p.name for p in grids[1].written] == ["samples_epoch_002.png"]
    for path in grids[0].written + grids[1].written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any((tmp_path / "tb").iterdir())  # TensorBoard event file


def test_inversion_encoder_warm_start_saves_steps_and_is_saved(trained_model, digits_pairs, tmp_path):
    _, _, x_test, _ = digits_pairs
    histories = trained_model.train_inversion_encoders(n=4000, epochs=8, batch_size=64)
    assert histories["digit"].history["loss"][-1] < histories["digit"].history["loss"][0]
    x = trained_model.generate(z=np.random.default_rng(9).normal(size=(32, 16)).astype("float32"))["digit"]
    options = dict(steps=30, learning_rate=0.05, optimizer="adam", seed=0)
    _, cold = trained_model.invert(x, "digit", **options)
    _, warm = trained_model.invert(x, "digit", warm_start=True, **options)
    assert np.median(warm) < np.median(cold), (np.median(warm), np.median(cold))
    _, warm_start_only = trained_model.invert(x, "digit", warm_start=True, steps=0)
    _, cold_start_only = trained_model.invert(x, "digit", steps=0, seed=0)
    assert np.median(warm_start_only) < 0.5 * np.median(cold_start_only)
    with pytest.raises(ValueError, match="not both"):
        trained_model.invert(x, "digit", warm_start=True, z0=np.zeros((32, 16)))
    trained_model.save(tmp_path / "with_encoders.keras")
    restored = keras.models.load_model(tmp_path / "with_encoders.keras")
    np.testing.assert_allclose(restored.invert(x, "digit", warm_start=True, steps=0)[1], warm_start_only, rtol=1e-4)


def test_a_refined_synchronizer_learns_real_pairs_rates_the_restarts_and_leaves_the_model_as_it_was(
        trained_model, digits_pairs):
    from types import SimpleNamespace

    from keras_syncgan.data import PairedBatches
    from keras_syncgan.presets import held_out_pairs

    x, y, x_test, y_test = digits_pairs
    pairs, sync = held_out_pairs(SimpleNamespace(x_test=x_test, y_test=y_test), n=300)
    accuracy = lambda net: np.mean((trained_model.sync_probability(pairs, synchronizer=net) > 0.5) == sync)
    own_weights = trained_model.synchronizer.get_weights()
    judge = trained_model.refined_synchronizer(PairedBatches(x, y, batch_size=64, seed=3), steps=300)
    for own, kept in zip(own_weights, trained_model.synchronizer.get_weights()):
        np.testing.assert_array_equal(own, kept)
    assert accuracy(judge) > accuracy(trained_model.synchronizer) + 0.05, (accuracy(judge),
                                                                           accuracy(trained_model.synchronizer))

    # With select_by="synchronizer" the judge, not the model's S, rates the restarts.
    x = x_test["digit"][:8]
    options = dict(steps=20, learning_rate=0.05, optimizer="adam", restarts=4, seed=2)
    samples, z, _ = trained_model.transfer(x, "digit", "rotated", select_by="synchronizer", synchronizer=judge,
                                           **options)
    z_all, _ = trained_model.invert(x, "digit", all_restarts=True, **options)
    transfers = trained_model.generate(z=z_all)["rotated"]
    tuples = {"digit": np.tile(x[..., None] / 255.0, (4, 1, 1, 1)), "rotated": transfers}
    by_judge = trained_model.sync_probability(tuples, synchronizer=judge).reshape(4, 8).argmax(axis=0)
    np.testing.assert_allclose(z, z_all[by_judge * 8 + np.arange(8)])
    assert (by_judge != trained_model.sync_probability(tuples).reshape(4, 8).argmax(axis=0)).any()


@pytest.mark.parametrize("call, match", [
    (lambda m, b: m.refined_synchronizer(b[:2], steps=5),
     r"`batches` must hold at least `steps` batches \(5\); it ran out after 2"),
    (lambda m, b: m.refined_synchronizer([(b[0]["pairs"], b[0]["sync"])], steps=1),
     r"`batches` must yield the model's training batches \{'pairs': \{modality: x\}, 'sync': labels, ...\}; "
     "received tuple"),
    (lambda m, b: m.refined_synchronizer(b, steps=0), "`steps`"),
    (lambda m, b: m.transfer(b[0]["pairs"]["digit"], "digit", "rotated", synchronizer=m.synchronizer),
     r"`synchronizer` rates the restarts with select_by='synchronizer'; received select_by='reconstruction'"),
])
def test_bad_refinement_arguments_raise_clear_errors(trained_model, digits_pairs, call, match):
    from keras_syncgan.data import PairedBatches

    x, y, _, _ = digits_pairs
    batches = PairedBatches(x, y, batch_size=8, seed=0)
    with pytest.raises(ValueError, match=match):
        call(trained_model, [batches[i] for i in range(4)])
