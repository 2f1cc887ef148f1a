"""Sampling options on a trained SyncGAN run: truncated codes and selection by the synchronizer,
against the plain draw, scored the same way.

    python -m benchmarks.sampling RUN_DIR [--truncations 2 1 0.5] [--selections 0.5 0.25 0.1] [--output DIR]

Scores, with the run's evaluators, seed and sample count, the samples of untruncated codes
(`none`, what `python -m keras_syncgan evaluate` scores), of codes truncated to |z| <= T for each
T (`keras_syncgan.latent.latent_codes`, the truncation trick), and the n tuples the synchronizer
trusts most among n / F drawn for each fraction F (`SyncGAN.most_synchronous`): the sync rate and
its chance level (from the generated class frequencies; collapse onto few classes raises it), S's
acceptance, and per modality the largest class share, classifier IS, FD, precision and recall.
Writes `sampling_<run name>.csv` and `.md` to `--output` (default benchmarks/results); rows of
other settings are kept.
"""

import math
import time

from benchmarks.run_tables import load_syncgan_run, parser_for, publish

METRICS = ("synchronizer_acceptance", "sync_rate", "largest_class_share", "inception_score", "fd",
           "precision_recall")
COLUMN_ORDER = ("synchronizer_acceptance", "sync_rate", "largest_class_share", "inception_score", "fd", "precision",
                "recall")
# What identifies a row's sampling; no truncation is stored as inf (no bound), no selection as 1 (keep all).
SETTINGS = ["truncation", "selection"]


def sweep(run_dir, truncations=(2.0, 1.0, 0.5), selections=(0.5, 0.25, 0.1)):
    """Long table: one row per sampling (plain first, then each truncation, then each selection),
    metric and modality, with the seconds each sampling's scoring took."""
    import pandas as pd

    from keras_syncgan.evaluation import evaluate

    settings, recipe, model, data, scorers = load_syncgan_run(run_dir)
    samplings = [(math.inf, 1.0), *((float(t), 1.0) for t in truncations), *((math.inf, float(f)) for f in selections)]
    tables = []
    for truncation, selection in samplings:
        start = time.time()
        table = evaluate(model, data, scorers, metrics=METRICS, n=recipe.evaluation["n"], seed=settings["seed"],
                         truncation=None if truncation == math.inf else truncation,
                         selection=None if selection == 1.0 else selection)
        table.insert(0, "selection", selection)
        table.insert(0, "truncation", truncation)
        table["seconds"] = time.time() - start
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def _label(truncation, selection):
    parts = ([] if truncation == math.inf else [f"|z| <= {truncation:g}"]) + \
            ([] if selection == 1.0 else [f"S's top {selection:g}"])
    return ", ".join(parts) or "none"


def wide(table):
    """One row per sampling (plain first) and a last row of real-data baselines (the plain scoring's);
    one column per metric and modality, the sync rate's chance level beside it."""
    import pandas as pd

    table = table.assign(column=table.metric + " " + table.modality)
    rank = {name: i for i, name in enumerate(COLUMN_ORDER)}
    order = sorted(set(table.column), key=lambda c: (rank[c.split(" ")[0]], c))
    values = table.pivot_table(index=SETTINGS, columns="column", values="value")[order]
    values = values.sort_index(ascending=False)
    sync = table[table.metric == "sync_rate"]
    values.insert(order.index(sync.column.iloc[0]) + 1, "sync_rate chance", sync.groupby(SETTINGS).chance.mean())
    plain = (table.truncation == math.inf) & (table.selection == 1.0)
    real = table[plain].set_index("column").baseline.rename("real data")
    labels = [_label(t, f) for t, f in values.index]
    result = pd.concat([values.reset_index(drop=True), real.to_frame().T], ignore_index=True)
    return result.rename_axis(None, axis=1).assign(sampling=[*labels, "real data"])[["sampling", *values.columns]]


def main(argv=None):
    from keras_syncgan.cli import _number, markdown_table

    parser = parser_for(__doc__)
    parser.add_argument("--truncations", type=_number(float, 0, name="threshold"), nargs="*", default=[2.0, 1.0, 0.5],
                        help="bounds T on |z| (the plain draw is always scored)")
    parser.add_argument("--selections", type=_number(float, 0, 1.0, name="fraction"), nargs="*",
                        default=[0.5, 0.25, 0.1], help="fractions F: keep the n tuples S trusts most among n / F")
    args = parser.parse_args(argv)
    table = sweep(args.run_dir, args.truncations, args.selections)
    render = lambda table: (f"Sampling options on {args.run_dir.name} ({int(table.seconds.max())} s or less per "
                            f"sampling)\n\n{markdown_table(wide(table))}\n")
    return publish(table, args.output, "sampling", args.run_dir, SETTINGS, [*SETTINGS, "metric", "modality"], render)


if __name__ == "__main__":
    main()
