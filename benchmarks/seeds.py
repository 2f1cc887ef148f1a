"""Runs that differ only in their seed, side by side: each run's evaluation and, optionally, its
selection by the synchronizer, with the mean, minimum and maximum over the runs.

    python -m benchmarks.seeds RUN_DIR RUN_DIR [...] [--selection F] [--output DIR]

Reads what is already measured, trains and scores nothing: each run's `metrics.csv` (what `train` or
`python -m keras_syncgan evaluate` wrote) and, with `--selection F`, the rows of S's top F in
`sampling_<run name>.csv` in `--output` (written by `python -m benchmarks.sampling RUN_DIR
--selections F`). The runs' `config.json` must agree on every setting but the seed and the run
directory. Writes `seeds_<first run's name>.csv` (long: one row per run, sampling, metric and
modality) and `.md` (one column per seed) to `--output` (default benchmarks/results).
"""

import math
import pathlib

from benchmarks.run_tables import RESULTS, run_settings

# Settings that may differ between the runs compared; `command` repeats the other two.
VARYING = ("seed", "output", "command")
PLAIN = "evaluation"


def _selection_rows(run_dir, selection, results):
    """The rows of S's top `selection` in the run's sampling table, labelled as such."""
    import pandas as pd

    path = pathlib.Path(results) / f"sampling_{run_dir.name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"`--selection {selection:g}` needs {path}; run `python -m benchmarks.sampling "
                                f"{run_dir} --selections {selection:g}` first.")
    table = pd.read_csv(path, float_precision="round_trip")
    rows = table[(table.truncation == math.inf) & (table.selection == selection)]
    if rows.empty:
        measured = sorted(set(table.selection) - {1.0})
        raise ValueError(f"`selection` must be a fraction {path.name} scored ({measured}); received {selection:g}.")
    return rows.drop(columns=["truncation", "selection", "seconds"]).assign(sampling=f"S's top {selection:g}")


def gather(run_dirs, selection=None, results=RESULTS):
    """Long table: `run`, `seed`, `sampling` (`evaluation`, or S's top `selection`), metric, modality,
    value, baseline, chance; the sync rate's chance level also as a metric of its own."""
    import pandas as pd

    run_dirs = [pathlib.Path(run_dir) for run_dir in run_dirs]
    if len(run_dirs) < 2:
        raise ValueError(f"`run_dirs` must name at least two runs; received {len(run_dirs)}.")
    settings = [run_settings(run_dir) for run_dir in run_dirs]
    shared = lambda s: {key: value for key, value in s.items() if key not in VARYING}
    for run_dir, other in zip(run_dirs[1:], settings[1:]):
        differing = sorted(key for key in shared(settings[0]).keys() | shared(other).keys()
                           if shared(settings[0]).get(key) != shared(other).get(key))
        if differing:
            raise ValueError(f"`run_dirs` must differ only in {', '.join(VARYING[:2])}; {run_dir} differs from "
                             f"{run_dirs[0]} in {', '.join(differing)}.")
    seeds = [s["seed"] for s in settings]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"`run_dirs` must hold distinct seeds; received {seeds}.")
    tables = []
    for run_dir, run in zip(run_dirs, settings):
        parts = [pd.read_csv(run_dir / "metrics.csv", float_precision="round_trip").assign(sampling=PLAIN)]
        if selection is not None:
            parts.append(_selection_rows(run_dir, selection, results))
        table = pd.concat(parts, ignore_index=True)
        sync = table[table.metric == "sync_rate"]
        chance = sync.assign(metric="sync_rate chance", value=sync.chance, baseline=math.nan)
        table = pd.concat([table, chance]).sort_index(kind="stable")  # the chance row under its sync rate
        tables.append(table.assign(run=run_dir.name, seed=run["seed"]))
    columns = ["run", "seed", "sampling", "metric", "modality", "value", "baseline", "chance"]
    return pd.concat(tables, ignore_index=True)[columns]


def wide(table):
    """One row per sampling, metric and modality in the first run's order; one column per seed, then
    mean, min, max and the first run's real-data baseline."""
    keys = ["sampling", "metric", "modality"]
    order = table.drop_duplicates(keys)[keys]
    values = table.pivot_table(index=keys, columns="seed", values="value", sort=False)
    values.columns = [f"seed {seed}" for seed in values.columns]
    first = table[table.run == table.run.iloc[0]].set_index(keys).baseline
    summary = values.assign(mean=values.mean(axis=1), min=values.min(axis=1), max=values.max(axis=1), baseline=first)
    return summary.loc[list(order.itertuples(index=False, name=None))].reset_index()


def main(argv=None):
    import argparse

    from keras_syncgan.cli import _number, markdown_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", type=pathlib.Path, nargs="+")
    parser.add_argument("--selection", type=_number(float, 0, 1.0, name="fraction"), default=None,
                        help="also compare S's top F, as benchmarks.sampling scored it")
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    args = parser.parse_args(argv)
    table = gather(args.run_dirs, args.selection, args.output)
    stem = args.output / f"seeds_{args.run_dirs[0].name}"
    args.output.mkdir(parents=True, exist_ok=True)
    table.to_csv(stem.with_name(stem.name + ".csv"), index=False)
    markdown = (f"{len(args.run_dirs)} runs differing only in their seed: "
                f"{', '.join(d.name for d in args.run_dirs)}\n\n{markdown_table(wide(table))}\n")
    stem.with_name(stem.name + ".md").write_text(markdown)
    print(markdown)
    return table


if __name__ == "__main__":
    main()
