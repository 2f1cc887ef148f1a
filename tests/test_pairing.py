import numpy as np
import pytest

from keras_syncgan.data import PairedBatches, PairSampler, paired_dataset


def _labels(n=600, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return {"a": rng.integers(0, classes, n), "b": rng.integers(0, classes, n + 137)}


def test_sync_pairs_share_the_class_and_async_pairs_never_do():
    labels = _labels()
    sampler = PairSampler(labels, batch_size=64, seed=1)
    for batch in sampler.batches(0):
        ya, yb = labels["a"][batch["pairs"]["a"]], labels["b"][batch["pairs"]["b"]]
        sync = batch["sync"] == 1
        assert sync.sum() == 32 and (ya[sync] == yb[sync]).all()
        assert (ya[~sync] != yb[~sync]).all()


def test_real_batches_cover_each_modality_once_per_epoch_and_draws_are_seeded():
    labels = _labels()
    sampler = PairSampler(labels, batch_size=50, seed=3)
    seen = np.concatenate([b["real"]["b"] for b in sampler.batches(0)])
    assert len(np.unique(seen)) == len(seen) == sampler.steps_per_epoch * 50  # no repeats within an epoch
    again = PairSampler(labels, batch_size=50, seed=3)
    for first, second in zip(sampler.batches(1), again.batches(1)):
        np.testing.assert_array_equal(first["pairs"]["a"], second["pairs"]["a"])
    assert not np.array_equal(next(sampler.batches(0))["pairs"]["a"], next(sampler.batches(1))["pairs"]["a"])


def test_semi_supervised_synchronizer_only_sees_the_labelled_subset():
    labels = _labels(n=2000)
    sampler = PairSampler(labels, batch_size=64, paired_fraction=0.1, seed=0)
    for m in "ab":
        labelled = sampler.labelled[m]
        assert abs(len(labelled) / len(labels[m]) - 0.1) < 0.01
        assert set(np.unique(labels[m][labelled])) == set(range(10))  # stratified: every class kept
    used_pairs = {m: set() for m in "ab"}
    used_real = {m: set() for m in "ab"}
    for epoch in range(3):
        for batch in sampler.batches(epoch):
            for m in "ab":
                used_pairs[m].update(batch["pairs"][m].tolist())
                used_real[m].update(batch["real"][m].tolist())
    for m in "ab":
        assert used_pairs[m] <= set(sampler.labelled[m].tolist())
        assert len(used_real[m]) > 0.9 * len(labels[m])  # the adversarial terms still use all data


def test_pairing_by_index_pairs_rows():
    n = 300
    sampler = PairSampler({"a": np.zeros(n), "b": np.zeros(n)}, batch_size=32, pair_by="index", seed=0)
    batch = next(sampler.batches(0))
    sync = batch["sync"] == 1
    np.testing.assert_array_equal(batch["pairs"]["a"][sync], batch["pairs"]["b"][sync])
    assert (batch["pairs"]["a"][~sync] != batch["pairs"]["b"][~sync]).all()


def test_paired_dataset_gathers_the_sampled_images(digits_pairs):
    x, y, _, _ = digits_pairs
    dataset, sampler = paired_dataset(x, y, batch_size=32, seed=0)
    assert dataset.cardinality().numpy() == sampler.steps_per_epoch
    batch = next(iter(dataset))
    indices = next(PairSampler(y, 32, seed=0).batches(0))
    np.testing.assert_array_equal(batch["pairs"]["digit"].numpy()[..., 0], x["digit"][indices["pairs"]["digit"]])
    assert batch["real"]["rotated"].shape == (32, 8, 8, 1) and batch["real"]["rotated"].dtype == np.uint8


def test_paired_batches_draw_what_the_tf_data_pipeline_draws_and_never_end(digits_pairs):
    x, y, _, _ = digits_pairs
    dataset, sampler = paired_dataset(x, y, batch_size=32, seed=3)
    batches = PairedBatches(x, y, batch_size=32, seed=3)
    assert batches.num_batches is None  # endless: fit() needs steps_per_epoch
    for expected in dataset.take(2):
        batch = batches[0]  # batches come in order, whatever the index
        for part in ("real", "pairs"):
            for m in x:
                np.testing.assert_array_equal(batch[part][m], expected[part][m].numpy())
        np.testing.assert_array_equal(batch["sync"], expected["sync"].numpy())
    # Past the sampler's epoch, the next epoch's draws follow; start_step resumes at any batch.
    steps = sampler.steps_per_epoch
    drawn = [batches[i]["pairs"]["digit"] for i in range(steps + 1)]
    resumed = PairedBatches(x, y, batch_size=32, seed=3, start_step=steps + 2)
    np.testing.assert_array_equal(resumed[0]["pairs"]["digit"], drawn[-1])
    assert not np.array_equal(drawn[-1], drawn[-1 - steps])


def test_a_resumed_run_draws_the_batches_the_uninterrupted_run_would_have_on_both_pipelines():
    from keras_syncgan import recipes

    recipe = recipes.get("syncgan-mnist-fashion", tiny=True)
    data = recipe.data()
    steps_done = 30  # mid-way through the sampler's second epoch (22 batches of 64 per epoch)
    uninterrupted = iter(recipes.training_dataset(recipe, data, 64, seed=0))
    expected = [next(uninterrupted) for _ in range(steps_done + 1)][-1]["pairs"]["digit"].numpy()
    resumed = next(iter(recipes.training_dataset(recipe, data, 64, seed=0, steps_done=steps_done)))
    np.testing.assert_array_equal(resumed["pairs"]["digit"].numpy(), expected)
    without_tf = PairedBatches(data.x_train, data.y_train, batch_size=64, seed=0, start_step=steps_done)
    np.testing.assert_array_equal(without_tf[0]["pairs"]["digit"], expected)


def test_a_refined_synchronizer_trains_on_the_draws_after_the_steps_behind_the_model():
    from keras_syncgan import recipes

    recipe = recipes.get("syncgan-mnist-fashion", tiny=True)
    data = recipe.data()
    settings = {"batch_size": 64, "paired_fraction": 1.0, "seed": 0, "steps": 40}  # a run whose target is 40

    class Model:  # stands in for SyncGAN: keeps the first batch it is given
        def refined_synchronizer(self, batches, steps):
            return next(iter(batches))["pairs"]["digit"].numpy()

    def expected(steps_done):
        return next(iter(recipes.training_dataset(recipe, data, 64, seed=0, steps_done=steps_done)))["pairs"]["digit"]

    # The draws follow `steps_done`, not the target in `settings`: 40 for a finished run, 30 for a stopped one.
    finished = recipes.refined_synchronizer(recipe, Model(), data, settings, 5, steps_done=40)
    np.testing.assert_array_equal(finished, expected(40))
    stopped = recipes.refined_synchronizer(recipe, Model(), data, settings, 5, steps_done=30)
    np.testing.assert_array_equal(stopped, expected(30))
    assert not np.array_equal(stopped, finished)


@pytest.mark.parametrize("kwargs, argument", [
    ({"batch_size": 1}, "batch_size"),
    ({"paired_fraction": 0.0}, "paired_fraction"),
    ({"paired_fraction": 1.5}, "paired_fraction"),
    ({"paired_fraction": "a"}, r"`paired_fraction` must be a number in \(0, 1\]; received paired_fraction='a'"),
    ({"pair_by": "speaker"}, "pair_by"),
])
def test_sampler_rejects_bad_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        PairSampler(_labels(), **kwargs)


def test_paired_dataset_rejects_bad_input(digits_pairs):
    x, y, _, _ = digits_pairs
    with pytest.raises(ValueError, match=r"y\['digit'\].*expected length"):
        paired_dataset(x, {"digit": y["digit"][:-1], "rotated": y["rotated"]})
    with pytest.raises(ValueError, match="modalities of `x`"):
        paired_dataset(x, {"digit": y["digit"]})
    with pytest.raises(ValueError, match=r"x\['digit'\].*shape"):
        paired_dataset({"digit": x["digit"][:, 0], "rotated": x["rotated"]}, y)
    with pytest.raises(ValueError, match="NaN"):
        paired_dataset({"digit": np.full(x["digit"].shape, np.nan), "rotated": x["rotated"]}, y)
    with pytest.raises(ValueError, match="index"):
        PairSampler({"a": np.zeros(10), "b": np.zeros(11)}, pair_by="index")
