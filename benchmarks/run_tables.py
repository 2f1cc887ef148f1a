"""What the per-run benchmarks (`benchmarks.transfer`, `benchmarks.sync_rate`) share: loading a
SyncGAN run directory with its data and evaluators, and a results table that keeps earlier rows."""

import json
import pathlib

import pandas as pd


def load_syncgan_run(run_dir):
    """`(settings, recipe, model, data, evaluators)` of the SyncGAN run written by `train` in `run_dir`."""
    import keras

    from keras_syncgan import recipes

    run_dir = pathlib.Path(run_dir)
    settings = json.loads((run_dir / "config.json").read_text())
    recipe = recipes.get(settings["preset"], tiny=settings["tiny"])
    if recipe.kind != "syncgan":
        raise ValueError(f"`run_dir` must hold a SyncGAN run; {run_dir} holds {settings['preset']!r} "
                         f"(a {recipe.kind} preset).")
    model = keras.models.load_model(run_dir / "model.keras")
    return settings, recipe, model, recipe.data(), recipes.evaluators(recipe)


def merge_into(table, csv_path, settings, order):
    """`table` with the rows already in `csv_path` whose `settings` columns it did not measure again,
    sorted by `order`; written back to `csv_path` (the folder is created)."""
    csv_path = pathlib.Path(csv_path)
    if csv_path.exists():
        earlier = pd.read_csv(csv_path)
        replaced = earlier.set_index(settings).index.isin(table.set_index(settings).index)
        table = pd.concat([earlier[~replaced], table]).sort_values(order, ignore_index=True)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False)
    return table


def result_paths(output, prefix, run_dir):
    """The CSV and markdown paths of a run's table (not Path.with_suffix: run names such as
    "...-p0.01-..." hold dots of their own)."""
    return (pathlib.Path(output) / f"{prefix}_{pathlib.Path(run_dir).name}{ext}" for ext in (".csv", ".md"))
