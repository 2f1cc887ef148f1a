"""`evaluate(model, data, evaluators)`: a SyncGAN's quality as one pandas DataFrame.

Every row carries the value, its spread where the metric has one, a real-vs-real **baseline**
computed the same way (what real data scores at the same sample size) and the **chance** level
where one exists. Feature metrics (FD, KID, precision/recall, density/coverage) run in the
penultimate features of the frozen evaluator classifiers, so they compare only across runs that
use the same evaluators (`EVALUATOR_VERSION`).
"""

import itertools

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from keras_syncgan import metrics as m
from keras_syncgan.metrics.validation import check_number

# The rows computed from S's probabilities on held-out real tuples (one row each, over all modalities).
SYNCHRONIZER_METRICS = ("synchronizer_accuracy", "synchronizer_auc", "synchronizer_acceptance")
SYNCGAN_METRICS = (*SYNCHRONIZER_METRICS, "sync_rate", "transfer_accuracy", "inception_score",
                   "largest_class_share", "fd", "kid", "precision_recall", "density_coverage")
# "transfer_accuracy"'s inversion unless `transfer_kwargs` says otherwise (`SyncGAN.transfer`; the seed is evaluate's).
TRANSFER_DEFAULTS = {"optimizer": "adam", "steps": 300, "learning_rate": 0.05, "restarts": 3}
DEFAULT_METRICS = ("synchronizer_accuracy", "synchronizer_acceptance", "sync_rate", "inception_score",
                   "largest_class_share", "fd", "kid", "precision_recall", "density_coverage")


def metric_keys(model, metrics):
    """The `(metric, modality)` rows that `evaluate(model, ..., metrics)` returns, in order, without computing."""
    metrics = [name for name in SYNCGAN_METRICS if name in metrics]  # evaluate()'s order
    keys = []
    for metric in metrics:
        if metric in SYNCHRONIZER_METRICS:
            keys.append((metric, "+".join(model.modalities)))
        elif metric == "sync_rate":
            keys += [(metric, f"{a}+{b}") for a, b in itertools.combinations(model.modalities, 2)]
        elif metric == "transfer_accuracy":
            keys += [(metric, f"{a}->{b}") for a, b in itertools.permutations(model.modalities, 2)]
    for modality in model.modalities:
        for metric in metrics:
            parts = {"precision_recall": ("precision", "recall"), "density_coverage": ("density", "coverage")}
            if metric in ("inception_score", "largest_class_share", "fd", "kid", *parts):
                keys += [(name, modality) for name in parts.get(metric, (metric,))]
    return keys


def _row(metric, modality, value, std=np.nan, baseline=np.nan, chance=np.nan):
    return {"metric": metric, "modality": modality, "value": float(value), "std": float(std),
            "baseline": float(baseline), "chance": float(chance)}


def _images(x):
    x = np.asarray(x)
    x = x[..., None] if x.ndim == 3 else x
    return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)


def _subset(x, n, rng):
    return x[rng.permutation(len(x))[:n]]


def latent_sample(rng, n, latent_dim, truncation=None):
    """The evaluations' `n` codes from the numpy generator `rng`: N(0, I), or truncated to
    [-truncation, truncation] per entry (`keras_syncgan.latent.latent_codes`, seeded from `rng`)."""
    if truncation is None:  # numpy's own draw: the published tables' codes
        return rng.normal(size=(n, latent_dim)).astype("float32")
    from keras import ops

    from keras_syncgan.latent import latent_codes

    return ops.convert_to_numpy(latent_codes((n, latent_dim), truncation, seed=int(rng.integers(2**31 - 1))))


def evaluate(model, data, evaluators, metrics=DEFAULT_METRICS, n=2000, transfer_samples=200, transfer_kwargs=None,
             seed=0, truncation=None, selection=None):
    """Evaluates a SyncGAN against real data; returns a DataFrame with one row per metric and modality.

    Args:
        model: a trained `SyncGAN`.
        data: an object with dicts `x_train`, `y_train`, `x_test`, `y_test` per modality
            (e.g. `keras_syncgan.presets.mnist_fashion_data()`).
        evaluators: dict `{modality: keras_syncgan.evaluation.Evaluator}`.
        metrics: names from `SYNCGAN_METRICS`. "synchronizer_accuracy": S on held-out real
            synchronous/asynchronous tuples, thresholded at 0.5; "synchronizer_auc": the area under
            the ROC curve of S's probabilities on the same tuples (how well S ranks them, whatever
            its threshold); "synchronizer_acceptance": the fraction of generated
            shared-z tuples that S calls synchronous (compare it with "sync_rate", what the
            evaluators find same-class); "sync_rate"; "transfer_accuracy"; classifier IS;
            "largest_class_share", the share of generated samples in their most frequent class
            (mode collapse, which raises the sync rate's chance level); the feature metrics per modality.
        n: generated (and real) samples per modality.
        transfer_samples: test samples inverted per direction for "transfer_accuracy" (costly).
        transfer_kwargs: options of `SyncGAN.transfer` (`select_by`) and `SyncGAN.invert` (default:
            Adam, 300 steps, 3 restarts, the one with the lowest reconstruction error kept).
        seed: seeds the codes, the real subsets and the inversion.
        truncation: None, or draw the generated samples' codes from N(0, 1) truncated to
            [-truncation, truncation] (the truncation trick). Transfer inverts real samples and
            is unaffected.
        selection: None, or a fraction f in (0, 1]: draw n / f tuples and score the `n` that the
            synchronizer finds most synchronous (`SyncGAN.most_synchronous`).
            With either option the codes come from a stream seeded by `[seed, 1]`; the real
            samples and baselines stay those of the plain evaluation with the same `seed`.

    Columns: metric, modality, value, std, baseline (real vs real), chance.

    Example:
    >>> table = evaluate(model, data, {"digit": Evaluator.for_dataset("mnist"),  # doctest: +SKIP
    ...                                "fashion": Evaluator.for_dataset("fashion_mnist")})
    """
    unknown = set(metrics) - set(SYNCGAN_METRICS)
    if unknown:
        raise ValueError(f"`metrics` has unknown names {sorted(unknown)}; expected names from {list(SYNCGAN_METRICS)}.")
    missing = set(model.modalities) - set(evaluators)
    if missing:
        raise ValueError(f"`evaluators` must have one evaluator per modality {model.modalities}; missing {sorted(missing)}.")
    rng = np.random.default_rng(seed)
    rows = []
    # The plain evaluation's codes, drawn in every case so that the real subsets and inverted test
    # samples `rng` draws below stay the plain evaluation's and the rows compare with its rows.
    codes = latent_sample(rng, n, model.latent_dim)
    if truncation is not None or selection is not None:  # other codes, from a stream of their own
        fraction = 1.0 if selection is None else check_number(selection, "selection", "None or a fraction in (0, 1]",
                                                              lambda f: 0 < f <= 1)
        codes = latent_sample(np.random.default_rng([seed, 1]), int(np.ceil(n / fraction)), model.latent_dim,
                              truncation)
    generated = model.generate(z=codes)
    if selection is not None:
        generated = model.most_synchronous(generated, n)
    probs = {k: evaluators[k].probabilities(v) for k, v in generated.items()}

    if set(SYNCHRONIZER_METRICS) & set(metrics):
        from keras_syncgan.presets import held_out_pairs

        pairs, labels = held_out_pairs(data, n=n, seed=seed + 1)
        probability = model.sync_probability(pairs)
        accepted = probability > 0.5
        tuples = "+".join(model.modalities)
    if "synchronizer_accuracy" in metrics:
        rows.append(_row("synchronizer_accuracy", tuples, np.mean(accepted == labels), chance=0.5))
    if "synchronizer_auc" in metrics:
        # An S pushed down on every generated tuple (adversarial_synchronizer) can call all real
        # tuples asynchronous at 0.5 and still rank them well; the generators follow its gradient.
        rows.append(_row("synchronizer_auc", tuples, roc_auc_score(labels, probability), chance=0.5))
    if "synchronizer_acceptance" in metrics:
        # Unless adversarial_synchronizer, S never sees generated tuples in training, so the generators
        # can satisfy it with tuples that are not same-class: read this beside the sync rate.
        # Baseline: real synchronous pairs.
        rows.append(_row("synchronizer_acceptance", tuples, np.mean(model.sync_probability(generated) > 0.5),
                         baseline=np.mean(accepted[labels == 1])))

    if "sync_rate" in metrics:
        for a, b in itertools.combinations(model.modalities, 2):
            # Baseline: real synchronous test pairs (same class) through the same evaluators.
            classes = np.intersect1d(data.y_test[a], data.y_test[b])
            pick = lambda k, c: rng.choice(np.flatnonzero(data.y_test[k] == c))
            chosen = rng.choice(classes, n)
            real_a = evaluators[a].probabilities(_images(data.x_test[a][[pick(a, c) for c in chosen]]))
            real_b = evaluators[b].probabilities(_images(data.x_test[b][[pick(b, c) for c in chosen]]))
            rows.append(_row("sync_rate", f"{a}+{b}", m.sync_rate(probs[a], probs[b]),
                             baseline=m.sync_rate(real_a, real_b), chance=m.chance_sync_rate(probs[a], probs[b])))

    if "transfer_accuracy" in metrics:
        options = {**TRANSFER_DEFAULTS, "seed": seed, **(transfer_kwargs or {})}
        for source, target in itertools.permutations(model.modalities, 2):
            index = _subset(np.arange(len(data.x_test[source])), transfer_samples, rng)
            transferred, _, _ = model.transfer(data.x_test[source][index], source, target, **options)
            accuracy = m.transfer_accuracy(evaluators[target].probabilities(transferred), data.y_test[source][index])
            ceiling = evaluators[target].accuracy(_images(data.x_test[target]), data.y_test[target])
            rows.append(_row("transfer_accuracy", f"{source}->{target}", accuracy, baseline=ceiling,
                             chance=1.0 / len(np.unique(data.y_test[target]))))

    for k in model.modalities:
        feature_metrics = {"fd", "kid", "precision_recall", "density_coverage"} & set(metrics)
        if {"inception_score", "largest_class_share"} & set(metrics):
            real = evaluators[k].probabilities(_images(_subset(data.x_test[k], n, rng)))
        if "inception_score" in metrics:
            value, std = m.inception_score(probs[k])
            rows.append(_row("inception_score", k, value, std, baseline=m.inception_score(real)[0], chance=1.0))
        if "largest_class_share" in metrics:
            rows.append(_row("largest_class_share", k, m.largest_class_share(probs[k]),
                             baseline=m.largest_class_share(real)))
        if not feature_metrics:
            continue
        train = evaluators[k].features(_images(_subset(data.x_train[k], n, rng)))
        test = evaluators[k].features(_images(_subset(data.x_test[k], n, rng)))
        fake = evaluators[k].features(generated[k])
        if "fd" in metrics:
            rows.append(_row("fd", k, m.frechet_distance(train, fake), baseline=m.frechet_distance(train, test)))
        if "kid" in metrics:
            value, std = m.kernel_inception_distance(train, fake, seed=seed)
            rows.append(_row("kid", k, value, std, baseline=m.kernel_inception_distance(train, test, seed=seed)[0]))
        if "precision_recall" in metrics:
            (precision, recall), (base_p, base_r) = m.precision_recall(train, fake), m.precision_recall(train, test)
            rows += [_row("precision", k, precision, baseline=base_p), _row("recall", k, recall, baseline=base_r)]
        if "density_coverage" in metrics:
            (density, coverage), (base_d, base_c) = m.density_coverage(train, fake), m.density_coverage(train, test)
            rows += [_row("density", k, density, baseline=base_d), _row("coverage", k, coverage, baseline=base_c)]
    return pd.DataFrame(rows, columns=["metric", "modality", "value", "std", "baseline", "chance"])
