import keras
import numpy as np
import pytest

from conftest import small_syncgan
from keras_syncgan import SyncGAN
from keras_syncgan.data import PairSampler, paired_dataset
from keras_syncgan.data.pairing import with_channel_axis
from keras_syncgan.losses import mode_seeking_loss
from keras_syncgan.testing import run_serialization_test


def _batch(x, y, batch_size=32, seed=0):
    """One training batch as numpy arrays (the same structure paired_dataset yields)."""
    indices = next(PairSampler(y, batch_size, seed=seed).batches(0))
    pick = lambda part: {m: with_channel_axis(x[m])[i] for m, i in indices[part].items()}
    return {"real": pick("real"), "pairs": pick("pairs"), "sync": indices["sync"]}


def _weights(network):
    return [v.numpy().copy() for v in network.trainable_variables]


OPTIMIZERS = ["discriminator_digit", "discriminator_rotated", "synchronizer", "generators"]


@pytest.mark.parametrize("active", OPTIMIZERS)
def test_each_update_changes_only_its_own_networks(digits_pairs, active):
    x, y, _, _ = digits_pairs
    # Spectral normalization rewrites D's kernel in training mode even at zero learning rate.
    model = small_syncgan(spectral_norm=False)
    model.compile(optimizers={name: keras.optimizers.Adam(1e-2 if name == active else 0.0) for name in OPTIMIZERS})
    networks = {**{f"discriminator_{m}": [model.discriminators[m]] for m in model.modalities},
                "synchronizer": [model.synchronizer], "generators": list(model.generators.values())}
    before = {name: [_weights(net) for net in nets] for name, nets in networks.items()}
    model.train_on_batch(_batch(x, y))
    for name, nets in networks.items():
        for net, old in zip(nets, before[name]):
            changed = [not np.array_equal(a, b) for a, b in zip(old, _weights(net))]
            assert all(changed) if name == active else not any(changed), f"{name} ({net.name}) with {active} active"


def test_training_learns_synchronization_on_held_out_pairs(digits_pairs):
    x, y, x_test, y_test = digits_pairs
    keras.utils.set_random_seed(0)
    model = small_syncgan()
    # A faster synchronizer than the paper's 2e-4, so that seconds of training suffice.
    model.compile(optimizers={"synchronizer": keras.optimizers.Adam(1e-3, beta_1=0.5)})
    dataset, _ = paired_dataset(x, y, batch_size=64, seed=0)
    history = model.fit(dataset, epochs=8, verbose=0)
    for key, values in history.history.items():
        assert np.isfinite(values).all(), key
    held_out = next(PairSampler(y_test, batch_size=len(y_test["digit"]), seed=1).batches(0))
    pairs = {m: x_test[m][i][..., None] for m, i in held_out["pairs"].items()}
    accuracy = np.mean((model.sync_probability(pairs) > 0.5) == held_out["sync"])
    assert accuracy > 0.8, f"held-out synchronizer accuracy {accuracy:.3f} (chance 0.5)"
    # The generators learned to agree with S: shared z is judged more synchronous than independent z.
    z = model.noise(256)
    shared = model.generate(z=z)
    independent = {"digit": shared["digit"], "rotated": model.generate(z=model.noise(256))["rotated"]}
    assert model.sync_probability(shared).mean() > model.sync_probability(independent).mean() + 0.1


def test_xla_compiled_step_runs_on_cpu(digits_pairs):
    x, y, _, _ = digits_pairs
    model = small_syncgan()
    model.compile(jit_compile=True)
    assert model.jit_compile is True
    dataset, _ = paired_dataset(x, y, batch_size=32, seed=0)
    history = model.fit(dataset.take(5), epochs=1, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())


def test_save_load_restores_every_network_and_optimizer_and_resumes_identically(digits_pairs, tmp_path):
    x, y, _, _ = digits_pairs
    model = small_syncgan()
    model.compile()
    for seed in range(3):
        model.train_on_batch(_batch(x, y, seed=seed))
    path = tmp_path / "syncgan.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, SyncGAN) and set(restored.optimizers) == set(OPTIMIZERS)
    for name in OPTIMIZERS:
        original, loaded = model.optimizers[name], restored.optimizers[name]
        assert int(loaded.iterations.numpy()) == int(original.iterations.numpy()) == 3
        for a, b in zip(original.variables, loaded.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    batch = _batch(x, y, seed=7)
    expected = model.train_on_batch(batch, return_dict=True)
    actual = restored.train_on_batch(batch, return_dict=True)
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_config_and_keras_file_round_trip():
    model = small_syncgan(sync_weight=2.5, adversarial_synchronizer=True, diversity_weight=0.5,
                          synchronizer_translation=2)
    restored = run_serialization_test(model, np.random.default_rng(0).normal(size=(4, 16)).astype("float32"))
    assert restored.sync_weight == 2.5 and restored.modalities == model.modalities
    assert restored.adversarial_synchronizer is True and restored.diversity_weight == 0.5
    assert restored.synchronizer_translation == 2


def test_synchronizer_translation_shifts_every_sample_s_trains_on_and_checks_its_value(digits_pairs):
    from test_augment import _shifted

    x, y, _, _ = digits_pairs
    pairs = {m: v.astype("float32") / 255.0 for m, v in _batch(x, y)["pairs"].items()}
    model = small_syncgan(synchronizer_translation=1)
    assert small_syncgan().synchronizer_view(pairs) is pairs  # off by default: the authors' algorithm
    seen = {m: keras.ops.convert_to_numpy(v) for m, v in model.synchronizer_view(pairs).items()}
    shifts = []
    for m in model.modalities:
        for original, view in zip(pairs[m], seen[m]):
            # Each sample is its original moved by its own shift in [-1, 1]^2 (and some do move).
            matches = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                       if np.array_equal(view, _shifted(original, dy, dx))]
            assert matches, f"a {m} sample is not a shift of its original by at most 1 pixel"
            shifts.append(matches[0])
    assert len(set(shifts)) > 3, shifts
    # Training with it runs every update (the generators' through the shift) and logs finite values.
    model.compile()
    logs = [model.train_on_batch(_batch(x, y, seed=step), return_dict=True) for step in range(3)]
    assert all(np.isfinite(value) for log in logs for value in log.values())
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match=rf"`synchronizer_translation` must be an integer >= 0; "
                                             rf"received synchronizer_translation={bad!r}"):
            small_syncgan(synchronizer_translation=bad)
    # Whole-pixel shifts need a frame: samples without (height, width, channels) axes are refused.
    def flat(name, inputs, units):
        x = keras.Input((inputs,))
        return keras.Model(x, keras.layers.Dense(units)(x), name=name)

    with pytest.raises(ValueError, match=r"`synchronizer_translation` shifts samples of shape \(height, width, "
                                         r"channels\); 'a' samples have shape \(8,\)"):
        SyncGAN(generators={m: flat(f"g_{m}", 16, 8) for m in "ab"}, discriminators={m: flat(f"d_{m}", 8, 1) for m in "ab"},
                synchronizer=None, latent_dim=16, synchronizer_translation=1)


def test_mode_seeking_loss_follows_msgan_and_grows_as_samples_collapse():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(size=(2, 6, 8, 8, 1))
    z_a, z_b = rng.normal(size=(2, 6, 16))
    ratio = np.abs(a - b).mean() / np.abs(z_a - z_b).mean()
    assert float(mode_seeking_loss(a, b, z_a, z_b)) == pytest.approx(1.0 / (ratio + 1e-5), rel=1e-5)
    # Half as far apart: twice the loss; identical samples (collapse): 1 / epsilon.
    assert float(mode_seeking_loss(a, (a + b) / 2, z_a, z_b)) == pytest.approx(2.0 / (ratio + 2e-5), rel=1e-5)
    assert float(mode_seeking_loss(a, a, z_a, z_b)) == pytest.approx(1e5)


def test_diversity_weight_adds_the_mode_seeking_term_and_spreads_the_generators(digits_pairs):
    x, y, _, _ = digits_pairs
    logs = {}
    for weight in (0.0, 3.0):
        keras.utils.set_random_seed(0)  # the same initial weights and z for both
        model = small_syncgan(diversity_weight=weight)
        model.compile()
        logs[weight] = [model.train_on_batch(_batch(x, y, seed=step), return_dict=True) for step in range(12)]
    first = {weight: steps[0] for weight, steps in logs.items()}
    # The term is logged at any weight (a collapse monitor) and added to G's loss with its weight.
    assert first[0.0]["g_diversity_loss"] == pytest.approx(first[3.0]["g_diversity_loss"], rel=1e-5)
    for weight, log in first.items():
        assert log["g_loss"] == pytest.approx(log["g_adversarial_loss"] + log["g_sync_loss"]
                                              + weight * log["g_diversity_loss"], rel=1e-5)
    # A few steps in, the generators trained with it map different z further apart (a lower term).
    last = {weight: np.mean([log["g_diversity_loss"] for log in steps[-4:]]) for weight, steps in logs.items()}
    assert last[3.0] < 0.85 * last[0.0], last
    with pytest.raises(ValueError, match=r"`diversity_weight` must be a number >= 0; received diversity_weight=-1"):
        small_syncgan(diversity_weight=-1)


def test_adversarial_synchronizer_also_learns_that_generated_tuples_are_asynchronous(digits_pairs):
    x, y, _, _ = digits_pairs
    batch = _batch(x, y)
    logs, synchronizers = {}, {}
    for adversarial in (False, True):
        keras.utils.set_random_seed(0)  # the same initial weights; the model's seed gives the same z
        model = small_syncgan(adversarial_synchronizer=adversarial)
        model.compile()
        logs[adversarial] = model.train_on_batch(batch, return_dict=True)
        synchronizers[adversarial] = _weights(model.synchronizer)
    # The same real-tuple loss plus BCE(S(G(z_shared)), 0) > 0; real-tuple accuracy is unchanged.
    assert logs[True]["s_loss"] > logs[False]["s_loss"] + 0.1
    assert logs[True]["s_accuracy"] == logs[False]["s_accuracy"]
    assert logs[True]["d_loss_digit"] == pytest.approx(logs[False]["d_loss_digit"])
    assert any(not np.allclose(a, b) for a, b in zip(synchronizers[True], synchronizers[False]))


def test_adversarial_synchronizer_must_be_a_bool():
    with pytest.raises(ValueError, match="`adversarial_synchronizer` must be True or False; received"):
        small_syncgan(adversarial_synchronizer="yes")


def test_generate_shares_z_across_modalities():
    model = small_syncgan(modalities=("a", "b", "c"))
    model.compile()
    z = np.random.default_rng(0).normal(size=(5, 16)).astype("float32")
    samples = model.generate(z=z)
    assert sorted(samples) == ["a", "b", "c"] and all(s.shape == (5, 8, 8, 1) for s in samples.values())
    np.testing.assert_array_equal(model.generate(z=z)["b"], samples["b"])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(z)["c"]), samples["c"], atol=1e-6)
    assert model.generate(3)["a"].shape == (3, 8, 8, 1)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 3, "z": np.zeros((3, 16))}, "exactly one of"),
    ({"n": 0}, "`n`"),
    ({"z": np.zeros((3, 15))}, r"\(n, 16\)"),
    ({"n": 3, "batch_size": 0}, r"`batch_size` must be an integer >= 1; received batch_size=0"),
])
def test_generate_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_syncgan().generate(**kwargs)


def _bad(batch, change):
    batch = {"real": dict(batch["real"]), "pairs": dict(batch["pairs"]), "sync": batch["sync"]}
    change(batch)
    return batch


@pytest.mark.parametrize("change, match", [
    (lambda b: b["real"].pop("rotated"), r"modality keys \['digit', 'rotated'\]"),
    (lambda b: b["pairs"].update(sound=b["pairs"]["digit"]), "modality keys"),
    (lambda b: b["real"].update(digit=b["real"]["digit"][:-1]), "same batch size"),
    (lambda b: b["pairs"].update(digit=np.zeros((32, 16, 16, 1), "uint8")), r"\(batch, 8, 8, 1\).*received shape \(32, 16, 16, 1\)"),
    (lambda b: b.update(sync=b["sync"][:-2]), "one label per pair"),
    (lambda b: b.pop("pairs"), "SyncGAN trains on dicts"),
])
def test_bad_training_batches_raise_clear_errors(digits_pairs, change, match):
    x, y, _, _ = digits_pairs
    model = small_syncgan()
    model.compile()
    with pytest.raises(ValueError, match=match):
        model.train_on_batch(_bad(_batch(x, y), change))


def test_constructor_and_compile_validate_their_arguments():
    from keras_syncgan import networks
    shape = (8, 8, 1)
    g = lambda m: networks.image_generator(shape, 16, filters=4, name=f"g_{m}")
    d = lambda m: networks.image_discriminator(shape, filters=4, name=f"d_{m}")
    s = networks.synchronizer({"a": shape, "b": shape}, filters=4, hidden=8)
    with pytest.raises(ValueError, match="at least two modalities"):
        SyncGAN({"a": g("a")}, {"a": d("a")}, s, latent_dim=16)
    with pytest.raises(ValueError, match="`discriminators`"):
        SyncGAN({"a": g("a"), "b": g("b")}, {"a": d("a")}, s, latent_dim=16)
    with pytest.raises(ValueError, match="latent_dim"):
        SyncGAN({"a": g("a"), "b": g("b")}, {"a": d("a"), "b": d("b")}, s, latent_dim=8)
    model = SyncGAN({"a": g("a"), "b": g("b")}, {"a": d("a"), "b": d("b")}, s, latent_dim=16)
    with pytest.raises(ValueError, match=r"unknown names \['dsicriminator_a'\]"):
        model.compile(optimizers={"dsicriminator_a": "adam"})
    with pytest.raises(ValueError, match="`loss` is not used"):
        model.compile(loss="mse")


def test_generator_ema_follows_its_formula_is_used_for_sampling_and_is_saved(digits_pairs, tmp_path):
    x, y, _, _ = digits_pairs
    decay = 0.9
    model = small_syncgan(ema_decay=decay)
    model.compile()
    generator_weights = [v for m in model.modalities for v in model.generators[m].weights]
    before = [v.numpy().copy() for v in generator_weights]
    model.train_on_batch(_batch(x, y))
    after = [v.numpy().copy() for v in generator_weights]
    for shadow, w0, w1 in zip(model.ema_weights, before, after):
        np.testing.assert_allclose(shadow.numpy(), decay * w0 + (1 - decay) * w1, rtol=1e-5, atol=1e-7)
    z = np.random.default_rng(0).normal(size=(4, 16)).astype("float32")
    raw = keras.ops.convert_to_numpy(model(z)["digit"])
    sampled = model.generate(z=z)["digit"]
    assert not np.allclose(raw, sampled)  # sampling used the EMA weights...
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(z)["digit"]), raw)  # ...and put the raw ones back
    model.save(tmp_path / "ema.keras")
    restored = keras.models.load_model(tmp_path / "ema.keras")
    assert restored.ema_decay == decay
    np.testing.assert_allclose(restored.generate(z=z)["digit"], sampled, atol=1e-6)
    with pytest.raises(ValueError, match="ema_decay"):
        small_syncgan(ema_decay=1.5)
    with pytest.raises(ValueError, match=r"`ema_decay` must be None or a number in \(0, 1\); received ema_decay='x'"):
        small_syncgan(ema_decay="x")


def test_inversion_uses_the_generator_that_generate_samples_from(digits_pairs):
    """With an EMA, `invert` fits the EMA generator, so `transfer` inverts and generates with one set."""
    x, y, _, _ = digits_pairs
    model = small_syncgan(ema_decay=0.5)
    model.compile()
    for _ in range(3):
        model.train_on_batch(_batch(x, y))
    images = with_channel_axis(x["digit"][:6]).astype("float32") / 255.0
    z, errors = model.invert(images, "digit", steps=20, optimizer="adam", seed=0)
    regenerated = model.generate(z=z)["digit"]
    np.testing.assert_allclose(errors, np.mean((regenerated - images) ** 2, axis=(1, 2, 3)), rtol=1e-4, atol=1e-6)
    raw = keras.ops.convert_to_numpy(model(z)["digit"])  # the raw weights are back and give other images
    assert not np.allclose(raw, regenerated, atol=1e-4)
