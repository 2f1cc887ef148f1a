"""The sync rate of a trained SyncGAN run over several noise draws, to see how far one draw moves it.

    python -m benchmarks.sync_rate RUN_DIR [--seeds 0 1 2 3 4] [--pairs N] [--output DIR]

`python -m keras_syncgan evaluate` scores one draw of shared z (2,000 for the presets; the run's
seed). This scores `--pairs` shared z (default: as many) for each seed with the same evaluators
(the run's seed with the default `--pairs` is the evaluation's own draw), and
prints each draw's sync rate and chance level (from the generated class frequencies), their mean
and standard deviation over the draws, and the binomial spread of one draw. Writes
`sync_rate_<run name>.csv` and `.md` to `--output` (default benchmarks/results); rows of earlier
calls with other seeds or pair counts are kept.
"""

import pathlib
import time

import numpy as np
import pandas as pd

from benchmarks.run_tables import load_syncgan_run, parser_for, publish

# What identifies a row's measurement; a later call replaces rows with the same settings.
SETTINGS = ["pairs", "seed"]


def draws(run_dir, seeds=(0, 1, 2, 3, 4), pairs=None):
    """One row per seed and modality pair: sync rate, its chance level, the real-pair baseline, seconds.
    `pairs`: shared z per draw (default: as many as the run's evaluation)."""
    from keras_syncgan.evaluation import evaluate

    run_dir = pathlib.Path(run_dir)
    _, recipe, model, data, scorers = load_syncgan_run(run_dir)
    pairs = pairs or recipe.evaluation["n"]
    rows = []
    for seed in seeds:
        start = time.time()
        table = evaluate(model, data, scorers, metrics=("sync_rate",), n=pairs, seed=int(seed))
        seconds = time.time() - start
        for row in table.itertuples():
            rows.append({"run": run_dir.name, "pairs": pairs, "seed": int(seed), "modalities": row.modality,
                         "sync_rate": row.value, "chance": row.chance, "baseline": row.baseline, "seconds": seconds})
    return pd.DataFrame(rows)


def summary(table):
    """Per pair count and modality pair: draws, mean and standard deviation of the sync rate over the
    draws, one draw's binomial spread sqrt(p (1 - p) / pairs), and the mean chance level."""
    grouped = table.groupby(["pairs", "modalities"])
    result = grouped.agg(draws=("seed", "size"), mean=("sync_rate", "mean"), std=("sync_rate", "std"),
                         min=("sync_rate", "min"), max=("sync_rate", "max"), chance=("chance", "mean")).reset_index()
    result["binomial_spread"] = np.sqrt(result["mean"] * (1 - result["mean"]) / result["pairs"])
    return result


def main(argv=None):
    from keras_syncgan.cli import markdown_table

    parser = parser_for(__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--pairs", type=int, help="shared z per draw (default: as many as `evaluate`, 2,000 for "
                        "the presets)")
    args = parser.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f"argument --seeds: expected distinct seeds; received {args.seeds}")
    if args.pairs is not None and args.pairs < 2:
        parser.error(f"argument --pairs: expected an integer >= 2; received {args.pairs}")
    table = draws(args.run_dir, args.seeds, args.pairs)
    columns = ["pairs", "seed", "modalities", "sync_rate", "chance", "baseline"]
    render = lambda table: (f"Sync rate over noise draws, {args.run_dir.name} (the evaluation's draw is the run's "
                            f"seed)\n\n{markdown_table(table[columns])}\n\nOver the draws:\n\n"
                            f"{markdown_table(summary(table))}\n")
    return publish(table, args.output, "sync_rate", args.run_dir, SETTINGS, [*SETTINGS, "modalities"], render)


if __name__ == "__main__":
    main()
