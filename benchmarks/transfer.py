"""Transfer accuracy against the inversion's latent prior, on a trained SyncGAN run directory.

    python -m benchmarks.transfer RUN_DIR [--prior-weights 0 0.5 1 2 5] [--samples 200] [--output DIR]

For each prior weight w, `keras_syncgan.evaluate`'s transfer accuracy (the same test samples,
evaluators, Adam 300 steps and 3 restarts as `python -m keras_syncgan evaluate`) with the inversion
minimising sum_pixels (G(z) - x)^2 + w ||z||^2, i.e. a MAP estimate under z ~ N(0, I) instead of
the plain fit (w = 0, the evaluation's and the authors' setting). Prints a table and writes
`transfer_prior_<run name>.csv` and `.md` to `--output` (default benchmarks/results).
"""

import argparse
import json
import pathlib
import time

import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[1]


def sweep(run_dir, prior_weights=(0.0, 0.5, 1.0, 2.0, 5.0), samples=200):
    """One row per prior weight and direction: accuracy, mean |z| of the codes found, seconds."""
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
    for weight in prior_weights:
        start = time.time()
        table = evaluate(model, data, scorers, metrics=("transfer_accuracy",), n=samples, transfer_samples=samples,
                         transfer_kwargs={**recipe.evaluation.get("transfer_kwargs", {}), "prior_weight": float(weight)},
                         seed=settings["seed"])
        seconds = time.time() - start
        for row in table.itertuples():
            rows.append({"run": run_dir.name, "prior_weight": float(weight), "direction": row.modality,
                         "transfer_accuracy": row.value, "ceiling": row.baseline, "chance": row.chance,
                         "seconds": seconds})
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=pathlib.Path)
    parser.add_argument("--prior-weights", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0, 5.0])
    parser.add_argument("--samples", type=int, default=200, help="test samples inverted per direction")
    parser.add_argument("--output", type=pathlib.Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args(argv)
    if any(w < 0 for w in args.prior_weights):
        parser.error(f"argument --prior-weights: expected numbers >= 0; received {args.prior_weights}")
    table = sweep(args.run_dir, args.prior_weights, args.samples)
    from keras_syncgan.cli import markdown_table

    wide = table.pivot(index="prior_weight", columns="direction", values="transfer_accuracy").reset_index()
    ceilings = ", ".join(f"{d} {c:.3f}" for d, c in table.groupby("direction").ceiling.first().items())
    markdown = (f"Transfer accuracy against the inversion's prior weight, {args.run_dir.name}, {args.samples} test "
                f"samples per direction (ceiling {ceilings}; chance {table.chance.iloc[0]:.2f})\n\n"
                f"{markdown_table(wide)}\n")
    args.output.mkdir(parents=True, exist_ok=True)
    stem = args.output / f"transfer_prior_{args.run_dir.name}"
    table.to_csv(stem.with_suffix(".csv"), index=False)
    stem.with_suffix(".md").write_text(markdown)
    print(markdown)
    return table


if __name__ == "__main__":
    main()
