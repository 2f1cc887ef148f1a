"""What the per-run benchmarks (`benchmarks.transfer`, `benchmarks.sync_rate`) share: their command
line's run directory and output folder, loading a SyncGAN run with its data and evaluators, and a
results table per run that keeps earlier rows."""

import argparse
import json
import pathlib

import pandas as pd

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def parser_for(doc):
    """An argument parser with RUN_DIR and `--output` (default benchmarks/results), described by `doc`'s
    first paragraph."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("run_dir", type=pathlib.Path)
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    return parser


def run_settings(run_dir):
    """The settings `train` recorded in `run_dir/config.json`."""
    return json.loads((pathlib.Path(run_dir) / "config.json").read_text())


def load_syncgan_run(run_dir):
    """`(settings, recipe, model, data, evaluators)` of the SyncGAN run written by `train` in `run_dir`."""
    import keras

    from keras_syncgan import recipes

    run_dir = pathlib.Path(run_dir)
    settings = run_settings(run_dir)
    recipe = recipes.get(settings["preset"], tiny=settings["tiny"])
    if recipe.kind != "syncgan":
        raise ValueError(f"`run_dir` must hold a SyncGAN run; {run_dir} holds {settings['preset']!r} "
                         f"(a {recipe.kind} preset).")
    model = keras.models.load_model(run_dir / "model.keras")
    return settings, recipe, model, recipe.data(), recipes.evaluators(recipe)


def merge_into(table, csv_path, settings, order, defaults=None):
    """`table` with the rows already in `csv_path` whose `settings` columns it did not measure again,
    sorted by `order`; written back to `csv_path` (the folder is created). `defaults`
    `{column: value}` fills setting columns that tables written before them lack."""
    csv_path = pathlib.Path(csv_path)
    if csv_path.exists():
        # round_trip: pandas' default parser can move a float by one ulp, which rewrote earlier rows.
        earlier = pd.read_csv(csv_path, float_precision="round_trip")
        earlier = earlier.assign(**{k: v for k, v in (defaults or {}).items() if k not in earlier})
        replaced = earlier.set_index(settings).index.isin(table.set_index(settings).index)
        columns = [*table.columns, *(c for c in earlier if c not in table)]  # this sweep's order first
        table = pd.concat([earlier[~replaced], table])[columns].sort_values(order, ignore_index=True)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False)
    return table


def publish(table, output, prefix, run_dir, settings, order, render, defaults=None):
    """Merges `table` into `<output>/<prefix>_<run name>.csv` (`merge_into`), writes `render(merged)` to
    the `.md` beside it and prints it; returns the merged table."""
    # Not Path.with_suffix: run names such as "...-p0.01-..." hold dots of their own.
    stem = f"{prefix}_{pathlib.Path(run_dir).name}"
    csv_path, md_path = (pathlib.Path(output) / (stem + ext) for ext in (".csv", ".md"))
    table = merge_into(table, csv_path, settings, order, defaults)
    markdown = render(table)
    md_path.write_text(markdown)
    print(markdown)
    return table
