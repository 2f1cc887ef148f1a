"""Transfer accuracy against the inversion's settings, on a trained SyncGAN run directory.

    python -m benchmarks.transfer RUN_DIR [--prior-weights 0 1] [--restarts 3 10] [--samples 200] [--output DIR]

For each prior weight w and number of restarts, `keras_syncgan.evaluate`'s transfer accuracy (the
same test samples, evaluators and Adam steps as `python -m keras_syncgan evaluate`, which uses w = 0
and 3 restarts) with the inversion minimising sum_pixels (G(z) - x)^2 + w ||z||^2: w > 0 is a MAP
estimate under z ~ N(0, I), w = 0 the plain fit (the authors'); more restarts fit better. Prints a
table and writes `transfer_inversion_<run name>.csv` and `.md` to `--output` (default
benchmarks/results); rows of earlier sweeps of the same run with other settings are kept.
"""

import argparse
import itertools
import json
import pathlib
import time

import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[1]
# What identifies a row's measurement; a later sweep replaces rows with the same settings.
SETTINGS = ["samples", "prior_weight", "restarts"]


def sweep(run_dir, prior_weights=(0.0, 1.0), restarts=(3,), samples=200):
    """One row per prior weight, number of restarts and direction: accuracy, ceiling, chance, seconds."""
    import keras

    from keras_syncgan import recipes
    from keras_syncgan.evaluation import evaluate

    run_dir = pathlib.Path(run_dir)
    settings = json.loads((run_dir / "config.json").read_text())
    recipe = recipes.get(settings["preset"], tiny=settings["tiny"])
    if recipe.kind != "syncgan":
        raise ValueError(f"`run_dir` must hold a SyncGAN run; {run_dir} holds {settings['preset']!r} "
                         f"(a {recipe.kind} preset).")
    model = keras.models.load_model(run_dir / "model.keras")
    data = recipe.data()
    scorers = recipes.evaluators(recipe)
    rows = []
    for weight, tries in itertools.product(prior_weights, restarts):
        start = time.time()
        options = {**recipe.evaluation.get("transfer_kwargs", {}), "prior_weight": float(weight),
                   "restarts": int(tries)}
        table = evaluate(model, data, scorers, metrics=("transfer_accuracy",), n=samples, transfer_samples=samples,
                         transfer_kwargs=options, seed=settings["seed"])
        seconds = time.time() - start
        for row in table.itertuples():
            rows.append({"run": run_dir.name, "samples": samples, "prior_weight": float(weight),
                         "restarts": int(tries), "direction": row.modality, "transfer_accuracy": row.value,
                         "ceiling": row.baseline, "chance": row.chance, "seconds": seconds})
    return pd.DataFrame(rows)


def main(argv=None):
    from keras_syncgan.cli import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=pathlib.Path)
    parser.add_argument("--prior-weights", type=float, nargs="+", default=[0.0, 1.0])
    parser.add_argument("--restarts", type=int, nargs="+", default=[3])
    parser.add_argument("--samples", type=int, default=200, help="test samples inverted per direction")
    parser.add_argument("--output", type=pathlib.Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    if any(w < 0 for w in args.prior_weights):
        parser.error(f"argument --prior-weights: expected numbers >= 0; received {args.prior_weights}")
    if any(r < 1 for r in args.restarts):
        parser.error(f"argument --restarts: expected integers >= 1; received {args.restarts}")
    if args.samples < 1:
        parser.error(f"argument --samples: expected an integer >= 1; received {args.samples}")
    table = sweep(args.run_dir, args.prior_weights, args.restarts, args.samples)
    # Not Path.with_suffix: run names such as "...-p0.01-..." hold dots of their own.
    csv_path, md_path = (args.output / f"transfer_inversion_{args.run_dir.name}{ext}" for ext in (".csv", ".md"))
    if csv_path.exists():  # keep earlier sweeps' other settings
        earlier = pd.read_csv(csv_path)
        replaced = earlier.set_index(SETTINGS).index.isin(table.set_index(SETTINGS).index)
        table = pd.concat([earlier[~replaced], table]).sort_values([*SETTINGS, "direction"], ignore_index=True)
    wide = table.pivot(index=SETTINGS, columns="direction", values="transfer_accuracy").reset_index()
    ceilings = ", ".join(f"{d} {c:.3f}" for d, c in table.groupby("direction").ceiling.first().items())
    markdown = (f"Transfer accuracy against the inversion's settings, {args.run_dir.name}; `samples` test samples "
                f"per direction (ceiling {ceilings}; chance {table.chance.iloc[0]:.2f})\n\n"
                f"{markdown_table(wide)}\n")
    args.output.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False)
    md_path.write_text(markdown)
    print(markdown)
    return table


if __name__ == "__main__":
    main()
