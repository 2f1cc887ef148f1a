import csv
import types

import keras
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from conftest import small_syncgan
from keras_syncgan.callbacks import MetricsCallback
from keras_syncgan.data import paired_dataset
from keras_syncgan.evaluation import Evaluator
from keras_syncgan.evaluation.report import evaluate, metric_keys
from keras_syncgan.presets import held_out_pairs


@pytest.fixture(scope="module")
def setting(digits_pairs):
    x, y, x_test, y_test = digits_pairs
    data = types.SimpleNamespace(x_train=x, y_train=y, x_test=x_test, y_test=y_test)
    evaluators = {m: Evaluator((8, 8, 1), 10) for m in x}
    for modality, evaluator in evaluators.items():
        evaluator.train(x[modality], y[modality], epochs=15, batch_size=32, seed=0)
    return data, evaluators


def test_evaluate_reports_every_metric_with_baselines_and_chance(setting):
    data, evaluators = setting
    model = small_syncgan()
    table = evaluate(model, data, evaluators, n=300,
                     metrics=["synchronizer_accuracy", "sync_rate", "inception_score", "largest_class_share", "fd", "kid",
                              "precision_recall", "density_coverage", "transfer_accuracy",
                              "synchronizer_acceptance", "synchronizer_auc"],
                     transfer_samples=20, transfer_kwargs={"steps": 5})
    assert list(table.columns) == ["metric", "modality", "value", "std", "baseline", "chance"]
    assert list(zip(table.metric, table.modality)) == metric_keys(model, ["synchronizer_accuracy",
        "synchronizer_auc", "synchronizer_acceptance", "sync_rate", "transfer_accuracy", "inception_score", "largest_class_share", "fd", "kid", "precision_recall",
        "density_coverage"])
    per_modality = {"inception_score", "largest_class_share", "fd", "kid", "precision", "recall", "density",
                    "coverage"}
    for metric in per_modality:
        assert sorted(table[table.metric == metric].modality) == ["digit", "rotated"]
    sync = table[table.metric == "sync_rate"].iloc[0]
    # Real synchronous pairs through two ~97 % evaluators agree ~94 % of the time; chance ~0.1.
    assert sync.baseline > 0.85 and 0.0 < sync.chance < 0.5
    transfer = table[table.metric == "transfer_accuracy"]
    assert sorted(transfer.modality) == ["digit->rotated", "rotated->digit"] and (transfer.baseline > 0.9).all()
    share = table[table.metric == "largest_class_share"]
    # Real test digits are nearly balanced over 10 classes; the share is at least 1/10 by definition.
    assert ((share.value >= 0.1) & (share.value <= 1.0)).all() and (share.baseline < 0.2).all()
    fd = table[table.metric == "fd"]
    assert (fd.value > fd.baseline).all()  # an untrained generator is far from real data
    assert table[table.metric == "synchronizer_accuracy"].chance.item() == 0.5
    acceptance = table[table.metric == "synchronizer_acceptance"].iloc[0]
    assert acceptance.modality == "digit+rotated" and 0.0 <= acceptance.value <= 1.0
    assert 0.0 <= acceptance.baseline <= 1.0 and np.isnan(acceptance.chance)


def test_synchronizer_acceptance_is_the_share_of_generated_tuples_s_calls_synchronous(setting):
    data, evaluators = setting
    model = small_syncgan()
    n = 50
    table = evaluate(model, data, evaluators, n=n, metrics=["synchronizer_acceptance", "sync_rate"], seed=3)
    z = np.random.default_rng(3).normal(size=(n, model.latent_dim)).astype("float32")
    expected = np.mean(model.sync_probability(model.generate(z=z)) > 0.5)
    assert table[table.metric == "synchronizer_acceptance"].value.item() == pytest.approx(expected)
    # The synchronizer's own rows do not draw from the shared random stream: the sync rate is the
    # same with and without them.
    alone = evaluate(model, data, evaluators, n=n, metrics=["sync_rate"], seed=3)
    assert alone.value.item() == table[table.metric == "sync_rate"].value.item()


def test_truncated_codes_trade_variety_for_typicality(setting):
    data, evaluators = setting
    model = small_syncgan()
    metrics = ["sync_rate", "largest_class_share"]
    full = evaluate(model, data, evaluators, n=200, metrics=metrics, seed=5).set_index(["metric", "modality"])
    # Codes squeezed to ~0: every pair is the same pair, so one class per modality, and the sync
    # rate is 0 or 1 (the chance level follows the generated classes: 1 for a single class each).
    near_zero = evaluate(model, data, evaluators, n=200, metrics=metrics, seed=5,
                         truncation=1e-4).set_index(["metric", "modality"])
    assert (near_zero.loc["largest_class_share", "value"] == 1.0).all()
    assert near_zero.loc["sync_rate", "value"].item() in (0.0, 1.0)
    assert near_zero.loc["sync_rate", "chance"].item() == pytest.approx(near_zero.loc["sync_rate", "value"].item())
    assert full.loc[("largest_class_share", "digit"), "value"] < 1.0  # untrained: already narrow, not one class
    # The real pairs are the plain evaluation's: the same baseline.
    assert near_zero.loc["sync_rate", "baseline"].item() == full.loc["sync_rate", "baseline"].item() > 0.85


def test_selection_scores_the_tuples_the_synchronizer_trusts_most(setting):
    data, evaluators = setting
    model = small_syncgan()
    # The options draw their codes from a stream of their own, seeded [seed, 1].
    drawn = model.generate(z=np.random.default_rng([3, 1]).normal(size=(200, model.latent_dim)).astype("float32"))
    probability = model.sync_probability(drawn)
    kept = model.most_synchronous(drawn, 50)
    chosen = np.sort(np.argsort(-probability)[:50])  # in the drawn order
    for modality in drawn:
        np.testing.assert_array_equal(kept[modality], drawn[modality][chosen])
    assert np.min(probability[chosen]) >= np.max(np.delete(probability, chosen))
    # evaluate(selection=0.25) draws 4 n codes from the seed's stream and scores the kept n.
    table = evaluate(model, data, evaluators, n=50, metrics=["synchronizer_acceptance", "sync_rate"], seed=3,
                     selection=0.25).set_index("metric")
    assert table.loc["synchronizer_acceptance", "value"] == pytest.approx(np.mean(probability[chosen] > 0.5))
    classes = {k: evaluators[k].probabilities(kept[k]).argmax(axis=1) for k in kept}
    assert table.loc["sync_rate", "value"] == pytest.approx(np.mean(classes["digit"] == classes["rotated"]))
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match=r"`selection` must be None or a fraction in \(0, 1\]; received"):
            evaluate(model, data, evaluators, n=50, metrics=["sync_rate"], selection=bad)
    for bad, match in ((0, "`n` must be an integer >= 1"), (201, r"`n` must be at most the number of tuples in "
                                                                 r"`samples` \(200\); received n=201")):
        with pytest.raises(ValueError, match=match):
            model.most_synchronous(drawn, bad)


def test_synchronizer_auc_ranks_held_out_pairs_whatever_the_threshold(setting, monkeypatch):
    data, evaluators = setting
    model = small_syncgan()
    metrics = ["synchronizer_accuracy", "synchronizer_auc"]
    table = evaluate(model, data, evaluators, n=200, metrics=metrics, seed=3).set_index("metric")
    pairs, labels = held_out_pairs(data, n=200, seed=4)
    probability = model.sync_probability(pairs)
    assert table.loc["synchronizer_auc", "value"] == pytest.approx(roc_auc_score(labels, probability))
    assert table.loc["synchronizer_auc", "chance"] == 0.5
    # An S that calls every tuple asynchronous at 0.5 but keeps its order: accuracy falls to the
    # asynchronous share, the AUC stays.
    original = model.sync_probability
    monkeypatch.setattr(model, "sync_probability", lambda samples, **kw: 1e-3 * original(samples, **kw))
    shrunk = evaluate(model, data, evaluators, n=200, metrics=metrics, seed=3).set_index("metric")
    assert shrunk.loc["synchronizer_accuracy", "value"] == pytest.approx(np.mean(labels == 0))
    assert shrunk.loc["synchronizer_auc", "value"] == pytest.approx(table.loc["synchronizer_auc", "value"])


def test_evaluate_rejects_unknown_metrics_and_missing_evaluators(setting):
    data, evaluators = setting
    with pytest.raises(ValueError, match=r"unknown names \['fid'\]"):
        evaluate(small_syncgan(), data, evaluators, metrics=["fid"])
    with pytest.raises(ValueError, match=r"missing \['rotated'\]"):
        evaluate(small_syncgan(), data, {"digit": evaluators["digit"]})


def test_metrics_callback_writes_into_history_and_csv_logger(setting, digits_pairs, tmp_path):
    data, evaluators = setting
    x, y, _, _ = digits_pairs
    model = small_syncgan()
    model.compile()
    dataset, _ = paired_dataset(x, y, batch_size=64, seed=0)
    callbacks = [MetricsCallback(data, evaluators, metrics=["synchronizer_accuracy", "sync_rate"], n=200, every=2),
                 keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))]
    history = model.fit(dataset.take(2), epochs=2, verbose=0, callbacks=callbacks)
    key = "sync_rate_digit+rotated"
    assert np.isnan(history.history[key][0]) and 0.0 <= history.history[key][1] <= 1.0
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert rows[0][key] == "nan" and 0.0 <= float(rows[1][key]) <= 1.0
    assert float(rows[1]["synchronizer_accuracy_digit+rotated"]) >= 0.0
