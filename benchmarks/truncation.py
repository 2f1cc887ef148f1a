"""The truncation trick on a trained SyncGAN run: sync rate and typicality against variety, per threshold.

    python -m benchmarks.truncation RUN_DIR [--thresholds 2 1 0.5 0.25] [--output DIR]

Scores the samples of untruncated codes (`none`, what `python -m keras_syncgan evaluate` scores)
and of codes truncated to |z| <= T for each threshold (`keras_syncgan.latent.latent_codes`), with
the run's evaluators, seed and sample count: the sync rate and its chance level (from the generated
class frequencies; collapse onto few classes raises it), S's acceptance, and per modality the
largest class share, classifier IS, FD, precision and recall. Writes `truncation_<run name>.csv`
and `.md` to `--output` (default benchmarks/results); rows of other thresholds are kept.
"""

import math
import time

from benchmarks.run_tables import load_syncgan_run, parser_for, publish

METRICS = ("synchronizer_acceptance", "sync_rate", "largest_class_share", "inception_score", "fd",
           "precision_recall")
ROW_ORDER = ("synchronizer_acceptance", "sync_rate", "largest_class_share", "inception_score", "fd", "precision",
             "recall")  # the table's columns
SETTINGS = ["truncation"]  # untruncated codes are stored as inf (no bound), shown as "none"


def sweep(run_dir, thresholds=(2.0, 1.0, 0.5, 0.25)):
    """Long table: one row per threshold (inf: untruncated first), metric and modality, with the seconds
    each threshold's scoring took."""
    import pandas as pd

    from keras_syncgan.evaluation import evaluate

    settings, recipe, model, data, scorers = load_syncgan_run(run_dir)
    tables = []
    for threshold in (math.inf, *thresholds):
        start = time.time()
        table = evaluate(model, data, scorers, metrics=METRICS, n=recipe.evaluation["n"], seed=settings["seed"],
                         truncation=None if threshold == math.inf else float(threshold))
        table.insert(0, "truncation", float(threshold))
        table["seconds"] = time.time() - start
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def wide(table):
    """One row per threshold (untruncated first) and a last row of real-data baselines (the untruncated
    scoring's); one column per metric and modality, the sync rate's chance level beside it."""
    import pandas as pd

    table = table.assign(column=table.metric + " " + table.modality)
    rank = {name: i for i, name in enumerate(ROW_ORDER)}
    order = sorted(set(table.column), key=lambda c: (rank[c.split(" ")[0]], c))
    values = table.pivot(index="truncation", columns="column", values="value")[order].sort_index(ascending=False)
    sync = table[table.metric == "sync_rate"]
    values.insert(order.index(sync.column.iloc[0]) + 1, "sync_rate chance", sync.groupby("truncation").chance.mean())
    real = table[table.truncation == math.inf].set_index("column").baseline.rename("real data")
    result = pd.concat([values, real.to_frame().T])
    labels = ["none" if t == math.inf else f"{t:g}" for t in values.index]
    return result.reset_index(drop=True).rename_axis(None, axis=1).assign(
        truncation=[*labels, "real data"])[["truncation", *result.columns]]


def main(argv=None):
    from keras_syncgan.cli import _number, markdown_table

    parser = parser_for(__doc__)
    parser.add_argument("--thresholds", type=_number(float, 0, name="threshold"), nargs="+",
                        default=[2.0, 1.0, 0.5, 0.25], help="bounds T on |z| (untruncated codes are always scored)")
    args = parser.parse_args(argv)
    table = sweep(args.run_dir, args.thresholds)
    render = lambda table: (f"The truncation trick on {args.run_dir.name} ({int(table.seconds.max())} s or less "
                            f"per threshold)\n\n{markdown_table(wide(table))}\n")
    return publish(table, args.output, "truncation", args.run_dir, SETTINGS, ["truncation", "metric", "modality"],
                   render)


if __name__ == "__main__":
    main()
