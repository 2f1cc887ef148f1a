"""The command line: train a named preset into a run directory, and evaluate a run.

    python -m keras_syncgan train PRESET [--steps N | --epochs N] [--steps-per-epoch N] [--batch-size N]
                                         [--width cpu|authors] [--paired-fraction F] [--adversarial-synchronizer]
                                         [--sync-weight W] [--synchronizer-learning-rate LR] [--diversity-weight W]
                                         [--synchronizer-translation PIXELS]
                                         [--dtype-policy float32|mixed_bfloat16|mixed_float16] [--ema-decay D]
                                         [--seed S] [--output DIR]
    python -m keras_syncgan evaluate RUN_DIR [--truncation T] [--synchronizer-selection F]
                                            [--transfer-restarts R] [--transfer-select-by reconstruction|synchronizer]
                                            [--transfer-refine-steps N]

A run directory (default `outputs/runs/PRESET`) holds `config.json` (the preset and arguments),
`training_log.csv`, per-epoch sample grids in `grids/` (and WAVs in `audio/` for sound), the
final picture (`pairs.png` or `classes.png`), `model.keras` (written every epoch), `backup/` and,
after evaluation, `metrics.csv` and `metrics.md` (for sound, also `audio_samples.csv`: what the
evaluators hear in the last epoch's WAVs, `recipes.audio_listing`). Running the same `train`
command again resumes from the last completed epoch (`backup/`); a larger `--steps` trains on
from there.

Example:
>>> main(["train", "syncgan-mnist-fashion", "--steps", "2500", "--output", "outputs/demo"])  # doctest: +SKIP
"""

import argparse
import contextlib
import json
import math
import pathlib
import sys
import time

import numpy as np

from keras_syncgan import presets, recipes
from keras_syncgan.models.syncgan import TRANSFER_SELECTIONS
from keras_syncgan.utils import atomic_write_text

CONFIG_FILE = "config.json"
MODEL_FILE = "model.keras"
LOG_FILE = "training_log.csv"  # one row per epoch, under a header (CSVLogger)
# Arguments that define what a run directory's model is: a resumed run must repeat them.
RUN_DEFINING = ("preset", "tiny", "width", "batch_size", "paired_fraction", "adversarial_synchronizer",
                "sync_weight", "synchronizer_learning_rate", "diversity_weight", "synchronizer_translation", "dtype_policy",
                "ema_decay", "seed", "steps_per_epoch")
# What a run directory written before a defining argument existed had instead.
RUN_DEFAULTS = {"adversarial_synchronizer": False, "sync_weight": 1.0, "synchronizer_learning_rate": None,
                "diversity_weight": 0.0, "synchronizer_translation": 0, "dtype_policy": "float32", "ema_decay": None}
# Run arguments that are model constructor options; passed only when not the default, so that a
# preset's model never receives an option of another model kind (CVAE-GAN has no synchronizer).
MODEL_OPTIONS = ("adversarial_synchronizer", "sync_weight", "diversity_weight", "synchronizer_translation", "ema_decay")
# Train arguments that only SyncGAN presets take, with their parser defaults (given otherwise: an error).
SYNCGAN_OPTIONS = {"paired_fraction": None,
                   **{key: RUN_DEFAULTS[key]
                      for key in ("adversarial_synchronizer", "sync_weight", "synchronizer_learning_rate",
                                  "diversity_weight", "synchronizer_translation")}}
DTYPE_POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")
STEPS_PER_EPOCH = 250


def _number(kind, minimum, maximum=None, name=None, open_above=False):
    """An argparse `type` accepting a `kind` in [minimum, maximum] (or (0, maximum] for minimum 0;
    `open_above` excludes `maximum` itself; no `maximum`: no upper bound)."""
    if minimum == 0:
        interval = f"in (0, {maximum}{')' if open_above else ']'}" if maximum is not None else "> 0"
    else:
        interval = f">= {minimum}"

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        value = value if value is not None and math.isfinite(value) else None
        low_ok = value is not None and (value > 0 if minimum == 0 else value >= minimum)
        if not low_ok or (maximum is not None and (value >= maximum if open_above else value > maximum)):
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'} {interval}; "
                                             f"received {text!r}")
        return value

    parse.__name__ = name or kind.__name__
    return parse


def _preset(name):
    if name not in recipes.RECIPES:
        raise argparse.ArgumentTypeError(f"unknown preset {name!r}; expected one of: {', '.join(recipes.RECIPES)}")
    return name


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m keras_syncgan", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    presets_help = "; ".join(f"{name}: {recipe.summary}" for name, recipe in recipes.RECIPES.items())
    train = commands.add_parser("train", help="train a named preset into a run directory (resumable)",
                                description=f"Presets: {presets_help}.")
    train.add_argument("preset", type=_preset, help=f"one of: {', '.join(recipes.RECIPES)}")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--steps", type=_number(int, 1), help="training iterations (default: the preset's)")
    length.add_argument("--epochs", type=_number(int, 1), help="epochs of --steps-per-epoch iterations")
    train.add_argument("--steps-per-epoch", type=_number(int, 1),
                       help=f"iterations between grids, logs and backups (default {STEPS_PER_EPOCH}, or fewer "
                       "for a shorter run; a resumed run keeps its own)")
    train.add_argument("--batch-size", type=_number(int, 2), help="SyncGAN: tuples per batch, half synchronous; "
                       "CVAE-GAN: images (default: the preset's, 64)")
    train.add_argument("--width", choices=sorted(presets.WIDTHS), default="cpu",
                       help="network size: 'cpu' (default) or the authors' ('authors', a GPU size)")
    train.add_argument("--paired-fraction", type=_number(float, 0, 1.0, name="fraction"),
                       help="SyncGAN: fraction of each class with pair labels (default: the preset's)")
    train.add_argument("--adversarial-synchronizer", action="store_true",
                       help="SyncGAN: also train the synchronizer to reject generated shared-z tuples (the "
                       "authors' 2017 variant; default: real tuples only, as in their final code)")
    train.add_argument("--sync-weight", type=_number(float, 0, name="weight"), default=RUN_DEFAULTS["sync_weight"],
                       help="SyncGAN: weight of the synchronizer term in the generators' loss, against 1 for "
                       "the discriminators' terms (default 1, the authors')")
    train.add_argument("--synchronizer-learning-rate", type=_number(float, 0, name="rate"),
                       help="SyncGAN: the synchronizer's Adam learning rate (default: the authors' 2e-4)")
    train.add_argument("--diversity-weight", type=_number(float, 0, name="weight"),
                       default=RUN_DEFAULTS["diversity_weight"],
                       help="SyncGAN: weight of a mode-seeking term (MSGAN) in the generators' loss, against "
                       "mode collapse (default: none, the authors' loss)")
    train.add_argument("--synchronizer-translation", type=_number(int, 1, name="pixels"),
                       default=RUN_DEFAULTS["synchronizer_translation"],
                       help="SyncGAN: shift every tuple the synchronizer sees in training by up to this many "
                       "pixels (DiffAugment's translation; for few pair labels; default: none, the authors')")
    train.add_argument("--dtype-policy", choices=DTYPE_POLICIES, default="float32",
                       help="the networks' Keras dtype policy: mixed_bfloat16 computes in bfloat16 (fast on "
                       "CPUs with AMX or AVX-512 BF16, and on GPUs); weights, outputs and losses stay float32")
    train.add_argument("--ema-decay", type=_number(float, 0, 1.0, name="decay", open_above=True),
                       help="keep an exponential moving average of the generators' weights with this decay "
                       "(e.g. 0.999); sampling, grids and evaluation then use it (default: none)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--output", type=pathlib.Path, help="run directory (default outputs/runs/PRESET)")
    train.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # tests: 8x8 digits, tiny networks
    evaluate = commands.add_parser("evaluate", help="evaluate a run directory; writes metrics.csv and metrics.md")
    evaluate.add_argument("run_dir", type=pathlib.Path, help="a directory written by `train`")
    evaluate.add_argument("--truncation", type=_number(float, 0, name="threshold"), metavar="T",
                          help="score samples from z truncated to [-T, T] (the truncation trick); writes "
                               "metrics_truncation_T.csv and .md beside the run's own metrics")
    evaluate.add_argument("--synchronizer-selection", type=_number(float, 0, 1.0, name="fraction"), metavar="F",
                          help="SyncGAN: draw n/F tuples and score the n the synchronizer finds most "
                               "synchronous; writes metrics_selection_F.csv and .md")
    evaluate.add_argument("--transfer-restarts", type=_number(int, 1), metavar="R",
                          help="SyncGAN: invert each transferred sample from R starts (default 3); writes "
                               "metrics_restarts_R.csv and .md")
    evaluate.add_argument("--transfer-select-by", choices=TRANSFER_SELECTIONS,
                          help="SyncGAN: keep the restart with the lowest reconstruction error (default, the "
                               "authors') or the one whose transfer the synchronizer finds most synchronous with "
                               "the real sample; writes metrics_select_by_S.csv and .md")
    evaluate.add_argument("--transfer-refine-steps", type=_number(int, 1), metavar="N",
                          help="SyncGAN, with --transfer-select-by synchronizer: rate the restarts with a copy of "
                               "the synchronizer trained on N more batches of the run's real pairs only "
                               "(SyncGAN.refined_synchronizer; 12000 in the README); writes "
                               "metrics_..._refine_steps_N.csv and .md")
    return parser


def main(argv=None):
    """Runs the command line; returns the result of the command (a `TrainResult` or a metrics table)."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "train":
        recipe = recipes.get(args.preset, tiny=args.tiny)
        for key, default in SYNCGAN_OPTIONS.items():
            value = getattr(args, key)
            if value != default and recipe.kind != "syncgan":
                flag = "--" + key.replace("_", "-")
                received = "" if isinstance(value, bool) else f" (received {flag} {value})"
                parser.error(f"argument {flag}: applies to SyncGAN presets only; {args.preset} is a "
                             f"{recipe.kind} preset{received}")
        try:
            return train(recipe, {**settings_of(args, recipe), "command": " ".join(["python -m keras_syncgan", *argv])})
        except (RunMismatchError, RunSettingsError) as error:
            parser.error(str(error))
    try:
        return evaluate_run(args.run_dir, truncation=args.truncation, selection=args.synchronizer_selection,
                            transfer_restarts=args.transfer_restarts, transfer_select_by=args.transfer_select_by,
                            transfer_refine_steps=args.transfer_refine_steps)
    except NotARunDirectoryError as error:
        parser.error(f"argument run_dir: {error}")
    except SyncGANOptionError as error:
        parser.error(f"argument {error.flag}: {error}")


class RunMismatchError(ValueError):
    """The output directory holds a run with other defining arguments, so it cannot resume."""


class NotARunDirectoryError(FileNotFoundError):
    """`evaluate`'s directory lacks a file `train` writes (other missing files, e.g. data, are not this)."""


class SyncGANOptionError(ValueError):
    """An `evaluate` option of SyncGAN runs (synchronizer selection, transfer) on another kind of run."""

    def __init__(self, flag, message):
        super().__init__(message)
        self.flag = flag


class RunSettingsError(ValueError):
    """`--steps` is not a whole number of epochs."""


def settings_of(args, recipe):
    """The run's resolved settings (what `config.json` records) from parsed arguments and the recipe.

    Training runs whole epochs, so `--steps` must be a multiple of the epoch length: by default
    250 steps, `--steps` itself for a shorter run, and a resumed run's own (so that a larger
    `--steps` trains on).
    """
    output = pathlib.Path(args.output or pathlib.Path("outputs", "runs", recipe.name))
    steps_per_epoch = args.steps_per_epoch
    if steps_per_epoch is None and (output / CONFIG_FILE).exists():
        steps_per_epoch = json.loads((output / CONFIG_FILE).read_text()).get("steps_per_epoch")
    if args.epochs is not None:
        epochs, steps_per_epoch = args.epochs, steps_per_epoch or STEPS_PER_EPOCH
    else:
        steps = args.steps or recipe.steps
        steps_per_epoch = steps_per_epoch or min(STEPS_PER_EPOCH, steps)
        if steps % steps_per_epoch:
            raise RunSettingsError(
                f"argument --steps: expected a multiple of the epoch length ({steps_per_epoch} steps); received "
                f"{steps}. Pass --steps {math.ceil(steps / steps_per_epoch) * steps_per_epoch}, or (for a new run) "
                f"--steps-per-epoch {math.gcd(steps, steps_per_epoch)}.")
        epochs = steps // steps_per_epoch
    return {
        "preset": recipe.name, "tiny": bool(args.tiny), "width": recipe.width or args.width,
        "batch_size": args.batch_size or recipe.batch_size,
        "paired_fraction": (args.paired_fraction or recipe.paired_fraction) if recipe.kind == "syncgan" else None,
        "adversarial_synchronizer": bool(args.adversarial_synchronizer), "sync_weight": args.sync_weight,
        "synchronizer_learning_rate": args.synchronizer_learning_rate, "diversity_weight": args.diversity_weight,
        "synchronizer_translation": args.synchronizer_translation, "dtype_policy": args.dtype_policy,
        "ema_decay": args.ema_decay, "seed": args.seed, "epochs": epochs, "steps_per_epoch": steps_per_epoch,
        "steps": epochs * steps_per_epoch, "output": str(output),
    }


def _check_resumable(run_dir, settings):
    path = run_dir / CONFIG_FILE
    if not path.exists():
        return
    previous = json.loads(path.read_text())
    for key in RUN_DEFINING:
        before = previous.get(key, RUN_DEFAULTS.get(key))
        if before != settings[key]:
            raise RunMismatchError(
                f"argument --output: {run_dir} holds a run with {key}={before!r}; this command has "
                f"{key}={settings[key]!r}. Resume with the same {key}, or choose another --output.")


def _resumed_epoch(backup_dir):
    """The epoch the backup in `backup_dir` resumes from (0 without one)."""
    metadata = backup_dir / "training_metadata.json"
    return json.loads(metadata.read_text())["epoch"] if metadata.exists() else 0


def _completed_epochs(run_dir):
    """The epochs behind a run's `model.keras`: its backup's, else (a copy without `backup/`) its log's rows."""
    epochs = _resumed_epoch(run_dir / "backup")
    log = run_dir / LOG_FILE
    if not epochs and log.exists():
        epochs = max(len(log.read_text().splitlines()) - 1, 0)  # less the header
    return epochs


def steps_behind(run_dir):
    """The training steps behind `run_dir/model.keras`: its completed epochs' (a run still training, or
    stopped, has fewer than configured), else (neither a backup nor a log) the steps configured."""
    run_dir = pathlib.Path(run_dir)
    settings = json.loads((run_dir / CONFIG_FILE).read_text())
    return _completed_epochs(run_dir) * settings["steps_per_epoch"] or settings["steps"]


def _write_json(path, value):
    atomic_write_text(path, json.dumps(value, indent=2) + "\n")


class TrainResult:
    """What `train` did: the model, its `History`, the epoch it resumed from and the metrics table."""

    def __init__(self, run_dir, model, history, initial_epoch, metrics):
        self.run_dir, self.model, self.history = run_dir, model, history
        self.initial_epoch, self.metrics = initial_epoch, metrics


def train(recipe, settings):
    """Trains `recipe` with `settings` (see `settings_of`) into `settings["output"]`, resuming if possible."""
    import keras

    from keras_syncgan import callbacks as package_callbacks

    run_dir = pathlib.Path(settings["output"])
    _check_resumable(run_dir, settings)
    run_dir.mkdir(parents=True, exist_ok=True)
    initial_epoch = _resumed_epoch(run_dir / "backup")
    _write_json(run_dir / CONFIG_FILE, settings)

    keras.utils.set_random_seed(settings["seed"])
    data = recipe.data()
    options = {key: settings[key] for key in MODEL_OPTIONS if settings.get(key, RUN_DEFAULTS[key]) != RUN_DEFAULTS[key]}
    # Only the trained networks take the run's policy: the evaluators stay float32.
    with dtype_policy(settings.get("dtype_policy", RUN_DEFAULTS["dtype_policy"])):
        model = recipes.build_model(recipe, data, settings["width"], settings["seed"], **options)
        # Built and compiled before fit, so that BackupAndRestore can restore into it.
        model.compile(**recipe.compile_kwargs, optimizers=_optimizer_overrides(model, settings))
    dataset = recipes.training_dataset(recipe, data, settings["batch_size"], settings["paired_fraction"],
                                       settings["seed"], steps_done=initial_epoch * settings["steps_per_epoch"])
    pictures = recipes.sample_callbacks(recipe, run_dir)
    print(f"{recipe.name}: {recipe.summary}\n  width={settings['width']}, {settings['epochs']} epochs x "
          f"{settings['steps_per_epoch']} steps, batch {settings['batch_size']}, {model.count_params():,} parameters, "
          f"{model.dtype_policy.name}; "
          + (f"resuming after epoch {initial_epoch}" if initial_epoch else "from scratch") + f"; run dir {run_dir}")
    start = time.time()
    history = model.fit(
        dataset, epochs=settings["epochs"], steps_per_epoch=settings["steps_per_epoch"],
        verbose=1 if sys.stdout.isatty() else 2, shuffle=False,  # batches come drawn and shuffled
        callbacks=[package_callbacks.TerminateOnNaN(),
                   package_callbacks.BackupAndRestore(backup_dir=str(run_dir / "backup"), save_freq="epoch",
                                                      delete_checkpoint=False),
                   package_callbacks.ModelCheckpoint(str(run_dir / MODEL_FILE), save_freq="epoch"),
                   keras.callbacks.CSVLogger(str(run_dir / LOG_FILE), append=initial_epoch > 0), *pictures])
    seconds = time.time() - start
    if getattr(model, "diverged", None):
        raise SystemExit(f"{recipe.name}: training diverged ({model.diverged}); the last good checkpoint is in "
                         f"{run_dir}. Re-run with another --seed or a smaller learning rate.")
    if not (run_dir / MODEL_FILE).exists():  # nothing left to train: the run was complete
        model.save(run_dir / MODEL_FILE)
    _save_final_picture(pictures[0], model, run_dir / recipe.picture)
    print(f"Trained epochs {initial_epoch + 1}-{settings['epochs']} in {seconds:.0f} s; model: {run_dir / MODEL_FILE}")
    return TrainResult(run_dir, model, history, initial_epoch, evaluate_run(run_dir, model=model, data=data))


def _optimizer_overrides(model, settings):
    """The optimizers a run's settings change: the model's default ones with another learning rate."""
    rate = settings.get("synchronizer_learning_rate", RUN_DEFAULTS["synchronizer_learning_rate"])
    if rate is None:
        return {}
    default = model.default_optimizers()["synchronizer"]
    return {"synchronizer": default.__class__.from_config({**default.get_config(), "learning_rate": rate})}


@contextlib.contextmanager
def dtype_policy(name):
    """Within this context, Keras builds new layers and models with the dtype policy `name`."""
    import keras

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def _save_final_picture(grid, model, path):
    """The sample grid's figure for its fixed z, drawn by the final model."""
    from keras_syncgan.plotting import save_figure

    grid.set_model(model)
    grid.on_train_begin()
    save_figure(grid.figure()[1], path)


def evaluate_run(run_dir, model=None, data=None, truncation=None, selection=None, transfer_restarts=None,
                 transfer_select_by=None, transfer_refine_steps=None):
    """Evaluates the run in `run_dir`; writes `metrics.csv` and `metrics.md` there and prints the table.

    With `truncation` (codes truncated to |z| <= T), `selection` (SyncGAN: the tuples the
    synchronizer trusts most among n / F drawn; see `keras_syncgan.evaluate`), `transfer_restarts` or
    `transfer_select_by` (SyncGAN: `SyncGAN.transfer`'s restarts and criterion) or `transfer_refine_steps`
    (with `transfer_select_by="synchronizer"`: the restarts rated by `SyncGAN.refined_synchronizer` trained
    that many steps), the table goes to
    `metrics_truncation_<T>_selection_<F>_restarts_<R>_select_by_<S>_refine_steps_<N>.csv` and `.md` (the
    options given), leaving the run's own.
    """
    import keras

    run_dir = pathlib.Path(run_dir)
    for name in (CONFIG_FILE, MODEL_FILE):
        if not (run_dir / name).exists():
            raise NotARunDirectoryError(f"expected a run directory written by `train` with {name}; "
                                    f"received {str(run_dir)!r}, which has no {name}")
    settings = json.loads((run_dir / CONFIG_FILE).read_text())
    recipe = recipes.get(settings["preset"], tiny=settings["tiny"])
    given = {"restarts": transfer_restarts, "select_by": transfer_select_by}
    transfer = {name: value for name, value in given.items() if value is not None}
    # Checked before loading the model, naming the flag.
    misapplied = recipes.misapplied_options(recipe, **{"--synchronizer-selection": selection,
                                                       "--transfer-restarts": transfer_restarts,
                                                       "--transfer-select-by": transfer_select_by,
                                                       "--transfer-refine-steps": transfer_refine_steps})
    if misapplied:
        flag = next(iter(misapplied))  # the first one given
        raise SyncGANOptionError(flag, f"applies to SyncGAN runs (a synchronizer and transfer); {str(run_dir)!r} "
                                       f"holds {settings['preset']}, a {recipe.kind} run")
    if transfer_refine_steps is not None and transfer_select_by != "synchronizer":
        received = f"--transfer-select-by {transfer_select_by}" if transfer_select_by else "no --transfer-select-by"
        raise SyncGANOptionError("--transfer-refine-steps", "rates the restarts, so it needs --transfer-select-by "
                                                            f"synchronizer; received {received}")
    model = model if model is not None else keras.models.load_model(run_dir / MODEL_FILE)
    data = data if data is not None else recipe.data()
    steps = steps_behind(run_dir)
    start = time.time()
    scorers = recipes.evaluators(recipe)  # loaded once for the metrics and the WAV listing
    judge = {}
    if transfer_refine_steps is not None:
        judge["synchronizer"] = recipes.refined_synchronizer(recipe, model, data, settings, transfer_refine_steps,
                                                             steps_done=steps)
    table = recipes.evaluate(recipe, model, data, seed=settings["seed"], scorers=scorers, truncation=truncation,
                             selection=selection, transfer_kwargs={**transfer, **judge} or None)
    options = {"truncation": truncation, "selection": selection, **transfer, "refine_steps": transfer_refine_steps}
    stem = "_".join(["metrics", *(f"{name}_{value:g}" if isinstance(value, (int, float)) else f"{name}_{value}"
                                  for name, value in options.items() if value is not None)])
    written = [run_dir / f"{stem}.csv", run_dir / f"{stem}.md"]
    atomic_write_text(written[0], table.to_csv(index=False))
    markdown = markdown_table(table)
    header = f"{settings['preset']}, {steps} of {settings['steps']} steps"
    if truncation is not None:
        header += f", codes truncated to |z| <= {truncation:g}"
    if selection is not None:
        header += f", the tuples S trusts most among 1/{selection:g} as many drawn"
    if transfer:
        from keras_syncgan.evaluation import TRANSFER_DEFAULTS

        inversion = {**TRANSFER_DEFAULTS, **recipes.transfer_options(recipe, **transfer)}
        header += (f", transfer from {inversion['restarts']} inversion restarts, the one kept by "
                   f"{inversion.get('select_by', 'reconstruction')}")
        if transfer_refine_steps is not None:
            header += f" refined on {transfer_refine_steps} batches of real pairs"
    if recipe.sound and stem == "metrics":
        heard = recipes.audio_listing(recipe, model, run_dir, steps // settings["steps_per_epoch"], scorers)
        atomic_write_text(run_dir / "audio_samples.csv", heard.to_csv(index=False))
        written.append(run_dir / "audio_samples.csv")
        markdown += (f"\n\nThe last epoch's WAVs, classified after a round trip (`{recipe.sound}_class`), beside "
                     f"the other samples from the same z:\n\n{markdown_table(heard)}")
    atomic_write_text(written[1], f"{header} (evaluated in {time.time() - start:.0f} s)\n\n{markdown}\n")
    print(f"\nMetrics of {run_dir} ({header}; baseline: real data scored the same way):\n{markdown}\n"
          f"Written: {', '.join(map(str, written))}")
    return table


def markdown_table(table, digits=3):
    """A pandas DataFrame as a markdown table, numbers rounded to `digits` decimals, NaN left blank."""
    cell = lambda v: "" if isinstance(v, float) and np.isnan(v) else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(table.columns) + " |", "| " + " | ".join("---" for _ in table.columns) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)
