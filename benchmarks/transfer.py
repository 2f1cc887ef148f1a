"""Transfer accuracy against the inversion's settings, on a trained SyncGAN run directory.

    python -m benchmarks.transfer RUN_DIR [--prior-weights 0 1] [--restarts 3 10]
        [--select-by reconstruction synchronizer] [--refine-steps 0 12000] [--samples 200] [--seed S]
        [--output DIR]

For each prior weight w, number of restarts and way of choosing among them, `keras_syncgan.evaluate`'s
transfer accuracy (the same evaluators and Adam steps as `python -m keras_syncgan evaluate`, which
uses w = 0, 3 restarts, the best reconstruction kept; every row inverts the same test samples, but
not the evaluation's, which draws them after its other metrics' samples) with the inversion minimising
sum_pixels (G(z) - x)^2 + w ||z||^2: w > 0 is a MAP estimate under z ~ N(0, I), w = 0 the plain fit
(the authors'); more restarts fit better; `--select-by synchronizer` keeps the restart whose transfer
the synchronizer finds most synchronous with the real sample (`SyncGAN.transfer`), rated with
`--refine-steps N` > 0 by a copy of it trained on N more batches of the run's real pairs only
(`SyncGAN.refined_synchronizer`; 0, the default, is the model's own). `--seed` (default:
the run's) draws other test samples and starts, to see how much a draw moves the numbers. Prints a table and
writes `transfer_inversion_<run name>.csv` and `.md` to `--output` (default benchmarks/results); rows
of earlier sweeps of the same run with other settings are kept.
"""

import itertools
import pathlib
import time

import pandas as pd

from benchmarks.run_tables import load_syncgan_run, parser_for, publish, run_settings

# What identifies a row's measurement; a later sweep replaces rows with the same settings.
SETTINGS = ["samples", "seed", "prior_weight", "restarts", "select_by", "refine_steps"]


def sweep(run_dir, prior_weights=(0.0, 1.0), restarts=(3,), samples=200, select_by=("reconstruction",), seed=None,
          refine_steps=(0,)):
    """One row per prior weight, number of restarts, selection (with `refine_steps`, the synchronizer's
    refinement) and direction: accuracy, ceiling, chance, seconds (a refinement's own not included).
    `seed` (default: the run's) draws the test samples and the inversion's starts."""
    from keras_syncgan import recipes
    from keras_syncgan.cli import steps_behind
    from keras_syncgan.evaluation import evaluate

    run_dir = pathlib.Path(run_dir)
    settings, recipe, model, data, scorers = load_syncgan_run(run_dir)
    seed = settings["seed"] if seed is None else int(seed)
    rows = []
    for refine in refine_steps:
        # Trained on the draws after the model's own, as `python -m keras_syncgan evaluate` trains it.
        judge = {"synchronizer": recipes.refined_synchronizer(recipe, model, data, settings, refine,
                                                              steps_done=steps_behind(run_dir))} if refine else {}
        # A refined synchronizer rates restarts: it changes nothing for the lowest reconstruction error.
        kept = [s for s in select_by if s == "synchronizer" or not refine]
        for weight, tries, selection in itertools.product(prior_weights, restarts, kept):
            start = time.time()
            options = recipes.transfer_options(recipe, prior_weight=float(weight), restarts=int(tries),
                                               select_by=selection, **judge)
            table = evaluate(model, data, scorers, metrics=("transfer_accuracy",), n=samples,
                             transfer_samples=samples, transfer_kwargs=options, seed=seed)
            seconds = time.time() - start
            for row in table.itertuples():
                rows.append({"run": run_dir.name, "samples": samples, "seed": seed, "prior_weight": float(weight),
                             "restarts": int(tries), "select_by": selection, "refine_steps": int(refine),
                             "direction": row.modality,
                             "transfer_accuracy": row.value, "ceiling": row.baseline, "chance": row.chance,
                             "seconds": seconds})
    return pd.DataFrame(rows)


def main(argv=None):
    from keras_syncgan.cli import markdown_table
    from keras_syncgan.models.syncgan import TRANSFER_SELECTIONS

    parser = parser_for(__doc__)
    parser.add_argument("--prior-weights", type=float, nargs="+", default=[0.0, 1.0])
    parser.add_argument("--restarts", type=int, nargs="+", default=[3])
    parser.add_argument("--select-by", nargs="+", default=["reconstruction"], choices=TRANSFER_SELECTIONS,
                        help="how to keep one restart per sample")
    parser.add_argument("--refine-steps", type=int, nargs="+", default=[0],
                        help="with --select-by synchronizer: rate the restarts with the synchronizer refined on "
                             "this many batches of real pairs (0: the model's own)")
    parser.add_argument("--samples", type=int, default=200, help="test samples inverted per direction")
    parser.add_argument("--seed", type=int, help="draws the test samples and starts (default: the run's seed)")
    args = parser.parse_args(argv)
    if any(w < 0 for w in args.prior_weights):
        parser.error(f"argument --prior-weights: expected numbers >= 0; received {args.prior_weights}")
    if any(r < 1 for r in args.restarts):
        parser.error(f"argument --restarts: expected integers >= 1; received {args.restarts}")
    if any(n < 0 for n in args.refine_steps):
        parser.error(f"argument --refine-steps: expected integers >= 0; received {args.refine_steps}")
    if any(args.refine_steps) and "synchronizer" not in args.select_by:
        parser.error(f"argument --refine-steps: rates the restarts, so it needs --select-by synchronizer; "
                     f"received --select-by {' '.join(args.select_by)}")
    if args.samples < 1:
        parser.error(f"argument --samples: expected an integer >= 1; received {args.samples}")
    table = sweep(args.run_dir, args.prior_weights, args.restarts, args.samples, args.select_by, args.seed,
                  args.refine_steps)
    # Tables written before `seed`, `select_by` and `refine_steps` were settings measured the run's seed
    # and the authors' choice among restarts.
    defaults = {"seed": run_settings(args.run_dir)["seed"], "select_by": "reconstruction", "refine_steps": 0}

    def render(table):
        wide = table.pivot(index=SETTINGS, columns="direction", values="transfer_accuracy").reset_index()
        ceilings = ", ".join(f"{d} {c:.3f}" for d, c in table.groupby("direction").ceiling.first().items())
        return (f"Transfer accuracy against the inversion's settings, {args.run_dir.name}; `samples` test samples "
                f"per direction (ceiling {ceilings}; chance {table.chance.iloc[0]:.2f})\n\n{markdown_table(wide)}\n")

    return publish(table, args.output, "transfer_inversion", args.run_dir, SETTINGS, [*SETTINGS, "direction"], render,
                   defaults)


if __name__ == "__main__":
    main()
