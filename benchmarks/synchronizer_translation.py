"""The synchronizer alone on a preset's labelled tuples, with and without translation: how well it
generalises to held-out real tuples.

    python -m benchmarks.synchronizer_translation [--preset syncgan-mnist-fashion-semi] [--paired-fraction 0.01]
        [--translations 0 1 2 3] [--steps 4000] [--checkpoints 4] [--seed 0] [--output DIR]

For each translation t, a fresh model of the preset (CPU width, `seed`) with
`synchronizer_translation=t` trains its synchronizer only, `--steps` batches of the run's kind
(`recipes.training_dataset`: its batch size and labelled fraction), with the model's own S update
and Adam(2e-4, beta1 0.5) as in training: the real-tuple half of SyncGAN's S step, where the
labelled fraction is all S learns from. At `--checkpoints` evenly spaced steps it scores S on 2,000
held-out synchronous / asynchronous real tuples of the test splits (those of `evaluate`'s
"synchronizer_accuracy" and "synchronizer_auc"): accuracy at 0.5 and ROC AUC, beside the mean
training loss of the last 100 steps (what S fits). TensorFlow backend. Writes
`synchronizer_translation.csv` and `.md` to `--output` (default benchmarks/results); rows of other
settings are kept.
"""

import argparse
import pathlib
import time

import numpy as np

from benchmarks.run_tables import RESULTS, merge_into

# What identifies a row's measurement; a later call replaces rows with the same settings.
SETTINGS = ["preset", "paired_fraction", "seed", "steps", "translation", "step"]


def sweep(preset="syncgan-mnist-fashion-semi", paired_fraction=0.01, translations=(0, 1, 2, 3), steps=4000,
          checkpoints=4, seed=0, tiny=False):
    """One row per translation and checkpoint: held-out accuracy and AUC, recent training loss, seconds."""
    import keras
    import pandas as pd
    import tensorflow as tf
    from sklearn.metrics import roc_auc_score

    from keras_syncgan import recipes
    from keras_syncgan.models.base import to_float_images
    from keras_syncgan.presets import held_out_pairs

    recipe = recipes.get(preset, tiny=tiny)
    data = recipe.data()
    pairs, labels = held_out_pairs(data, n=recipe.evaluation["n"], seed=seed + 1)
    every = max(1, steps // checkpoints)
    rows = []
    for translation in translations:
        keras.utils.set_random_seed(seed)
        model = recipes.build_model(recipe, data, seed=seed, synchronizer_translation=int(translation))
        model.compile(optimizers={"synchronizer": keras.optimizers.Adam(2e-4, beta_1=0.5)})

        @tf.function
        def train_step(tuples, sync):
            loss, _ = model.update("synchronizer", lambda: model.labelled_tuples_loss(tuples, sync))
            return loss

        batches = recipes.training_dataset(recipe, data, recipe.batch_size, paired_fraction, seed=seed)
        losses, start = [], time.time()
        for step, batch in enumerate(batches.take(steps), start=1):
            tuples = {m: to_float_images(x) for m, x in batch["pairs"].items()}
            losses.append(float(train_step(tuples, tf.cast(batch["sync"], "float32"))))
            if step % every == 0 or step == steps:
                probability = model.sync_probability(pairs)
                rows.append({"preset": preset, "paired_fraction": paired_fraction, "seed": seed, "steps": steps,
                             "translation": int(translation), "step": step,
                             "train_loss": float(np.mean(losses[-100:])),
                             "heldout_accuracy": float(np.mean((probability > 0.5) == labels)),
                             "heldout_auc": float(roc_auc_score(labels, probability)),
                             "seconds": time.time() - start})
    return pd.DataFrame(rows)


def main(argv=None):
    from keras_syncgan.cli import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="syncgan-mnist-fashion-semi")
    parser.add_argument("--paired-fraction", type=float, default=0.01)
    parser.add_argument("--translations", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--checkpoints", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests: 8x8 digits
    args = parser.parse_args(argv)
    if any(t < 0 for t in args.translations) or len(set(args.translations)) != len(args.translations):
        parser.error(f"argument --translations: expected distinct integers >= 0; received {args.translations}")
    if not 0 < args.paired_fraction <= 1:
        parser.error(f"argument --paired-fraction: expected a fraction in (0, 1]; received {args.paired_fraction}")
    if args.steps < 1 or not 1 <= args.checkpoints <= args.steps:
        parser.error(f"arguments --steps/--checkpoints: expected 1 <= checkpoints <= steps; received "
                     f"{args.checkpoints} and {args.steps}")
    table = sweep(args.preset, args.paired_fraction, args.translations, args.steps, args.checkpoints, args.seed,
                  args.tiny)
    table = merge_into(table, args.output / "synchronizer_translation.csv", SETTINGS, SETTINGS)
    markdown = ("The synchronizer alone on the labelled tuples, with and without translation (held-out real "
                f"tuples)\n\n{markdown_table(table)}\n")
    (args.output / "synchronizer_translation.md").write_text(markdown)
    print(markdown)
    return table


if __name__ == "__main__":
    main()
