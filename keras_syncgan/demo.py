"""The main demo (`make demo`): SyncGAN on MNIST <-> Fashion-MNIST, digit k paired with fashion class k.

A thin wrapper around the command line: it runs

    python -m keras_syncgan train syncgan-mnist-fashion --steps 2500 --output outputs/demo [options]

which trains the CPU-width SyncGAN with `fit()` (resumable), writes per-epoch grids from fixed shared z
to `outputs/demo/grids/`, `pairs.png`, `training_log.csv` and `model.keras`, then evaluates it
(`metrics.csv`, `metrics.md`): the synchronizer's accuracy on held-out real pairs, the sync rate
(both evaluator classifiers agree on the class of the two samples generated from one z; chance
~0.10), transfer accuracy both ways and per-modality FD, KID and precision/recall, each beside its
real-vs-real baseline. Options are the `train` command's, e.g. `--steps 20000` or `--width authors`.

    python -m keras_syncgan.demo [--steps 2500] [--width cpu|authors] [--output outputs/demo]
"""

import sys

from keras_syncgan import cli

DEMO_ARGUMENTS = ("train", "syncgan-mnist-fashion", "--steps", "2500", "--output", "outputs/demo")


def main(argv=None):
    """Runs `train` with the demo's settings; options in `argv` override them (the last one wins)."""
    argv = [str(a) for a in (sys.argv[1:] if argv is None else argv)]
    defaults = list(DEMO_ARGUMENTS)
    if any(a == "--epochs" or a.startswith("--epochs=") for a in argv):  # excludes the demo's --steps: drop it
        index = defaults.index("--steps")
        del defaults[index:index + 2]
    return cli.main([*defaults, *argv])


if __name__ == "__main__":
    main()
