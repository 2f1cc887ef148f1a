"""The command line (`python -m keras_syncgan train|evaluate`): arguments, run directory, resume, metrics.

Training runs use the hidden `--tiny` option (sklearn 8x8 digits for every modality, tiny networks,
eager steps), so each preset trains through the real code path in seconds.
"""

import csv
import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from keras_syncgan import cli, recipes

RUN_FILES = ["backup/training_metadata.json", "config.json", "metrics.csv", "metrics.md", "model.keras",
             "training_log.csv"]


def assert_run_files(run_dir, extra):
    for name in RUN_FILES + extra:
        assert (run_dir / name).is_file(), name
    # The backup's weights: one file, the one its metadata commits to.
    committed = json.loads((run_dir / "backup" / "training_metadata.json").read_text())["weights"]
    assert [p.name for p in (run_dir / "backup").glob("*.weights.h5")] == [committed]


def _train(preset, run_dir, *options):
    return cli.main(["train", preset, "--tiny", "--steps-per-epoch", "1", "--output", run_dir, *options])


def _iterations(model):
    return [int(optimizer.iterations.numpy()) for optimizer in model.optimizers.values()]


def _error_of(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_unknown_preset_names_the_argument_and_lists_the_known_presets(capsys):
    error = _error_of(["train", "syncgan-cifar"], capsys)
    assert "argument preset: unknown preset 'syncgan-cifar'" in error
    for name in ("syncgan-mnist-fashion", "syncgan-mnist-fashion-semi", "syncgan-mnist-speech", "cvaegan-fashion"):
        assert name in error


@pytest.mark.parametrize("value", ["1.5", "0", "-0.1", "half"])
def test_bad_paired_fraction_says_what_was_expected_and_received(value, capsys):
    error = _error_of(["train", "syncgan-mnist-fashion-semi", "--paired-fraction", value], capsys)
    assert f"argument --paired-fraction: expected a number in (0, 1.0]; received '{value}'" in error


def _settings(*argv):
    args = cli.build_parser().parse_args(["train", *argv])
    return cli.settings_of(args, recipes.get(args.preset, tiny=args.tiny))


def test_steps_train_whole_epochs_exactly_and_a_resumed_run_keeps_its_epoch_length(capsys, tmp_path):
    for steps, epochs, steps_per_epoch in (("2500", 10, 250), ("100", 1, 100)):
        settings = _settings("syncgan-mnist-fashion", "--steps", steps, "--output", str(tmp_path / steps))
        assert (settings["epochs"], settings["steps_per_epoch"], settings["steps"]) == (epochs, steps_per_epoch, int(steps))
    error = _error_of(["train", "syncgan-mnist-fashion", "--steps", "2600", "--output", str(tmp_path / "x")], capsys)
    assert ("argument --steps: expected a multiple of the epoch length (250 steps); received 2600. "
            "Pass --steps 2750, or (for a new run) --steps-per-epoch 50") in error
    # A run directory's own epoch length is the default when it resumes (trained: the test below).
    (tmp_path / "short").mkdir()
    (tmp_path / "short" / "config.json").write_text(json.dumps({"steps_per_epoch": 100}))
    settings = _settings("syncgan-mnist-fashion", "--steps", "300", "--output", str(tmp_path / "short"))
    assert (settings["epochs"], settings["steps_per_epoch"]) == (3, 100)


def test_other_argument_errors(capsys, tmp_path):
    error = _error_of(["train", "cvaegan-fashion", "--paired-fraction", "0.1"], capsys)
    assert "--paired-fraction: applies to SyncGAN presets only; cvaegan-fashion is a cvaegan preset" in error
    error = _error_of(["train", "cvaegan-fashion", "--adversarial-synchronizer"], capsys)
    assert "--adversarial-synchronizer: applies to SyncGAN presets only; cvaegan-fashion is a cvaegan preset" in error
    assert "argument --steps: expected an integer >= 1; received '0'" in _error_of(
        ["train", "syncgan-mnist-fashion", "--steps", "0"], capsys)
    assert "not allowed with argument --steps" in _error_of(
        ["train", "syncgan-mnist-fashion", "--steps", "10", "--epochs", "2"], capsys)
    for bad in ("0", "1.5"):
        assert f"argument --synchronizer-selection: expected a number in (0, 1.0]; received '{bad}'" in _error_of(
            ["evaluate", str(tmp_path), "--synchronizer-selection", bad], capsys)
    assert "argument --transfer-restarts: expected an integer >= 1; received '0'" in _error_of(
        ["evaluate", str(tmp_path), "--transfer-restarts", "0"], capsys)
    assert "argument --transfer-select-by: invalid choice: 'error'" in _error_of(
        ["evaluate", str(tmp_path), "--transfer-select-by", "error"], capsys)
    for bad in ("0", "inf", "nan", "x"):
        assert f"argument --truncation: expected a number > 0; received '{bad}'" in _error_of(
            ["evaluate", str(tmp_path), "--truncation", bad], capsys)
    error = _error_of(["evaluate", str(tmp_path)], capsys)
    assert f"argument run_dir: expected a run directory written by `train` with config.json; received {str(tmp_path)!r}" in error


def test_the_demo_passes_its_settings_and_lets_the_users_override_them(monkeypatch):
    from keras_syncgan import demo

    seen = []
    monkeypatch.setattr(cli, "main", lambda argv: seen.append(argv))
    demo.main(["--steps", "5000"])
    demo.main(["--epochs", "3", "--width", "authors"])  # --epochs excludes --steps: the demo's is dropped
    assert seen[0] == ["train", "syncgan-mnist-fashion", "--steps", "2500", "--output", "outputs/demo", "--steps", "5000"]
    assert seen[1] == ["train", "syncgan-mnist-fashion", "--output", "outputs/demo", "--epochs", "3", "--width", "authors"]
    assert cli.build_parser().parse_args(seen[1]).epochs == 3


def test_help_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "keras_syncgan", "train", "--help"], capture_output=True, text=True,
                            check=True, env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert "--paired-fraction" in result.stdout and "syncgan-mnist-speech" in result.stdout


def test_training_writes_the_run_directory_and_a_rerun_resumes(tmp_path):
    run_dir = tmp_path / "run"
    first = _train("syncgan-mnist-fashion", run_dir, "--steps", "2")
    assert first.initial_epoch == 0 and first.history.epoch == [0, 1]
    assert_run_files(run_dir, ["pairs.png", "grids/samples_epoch_001.png", "grids/samples_epoch_002.png"])
    config = json.loads((run_dir / "config.json").read_text())
    assert config["preset"] == "syncgan-mnist-fashion" and config["steps"] == 2 and config["paired_fraction"] == 1.0
    assert config["command"].startswith("python -m keras_syncgan train syncgan-mnist-fashion --tiny")
    assert _iterations(first.model) == [2] * len(first.model.optimizers)

    # The same run directory with more steps (its epoch length is kept): training continues after epoch 2.
    second = cli.main(["train", "syncgan-mnist-fashion", "--tiny", "--output", run_dir, "--steps", "3"])
    assert second.initial_epoch == 2 and second.history.epoch == [2]
    assert _iterations(second.model) == [3] * len(second.model.optimizers)  # every network's optimizer went on
    with open(run_dir / "training_log.csv") as log:
        assert [row["epoch"] for row in csv.DictReader(log)] == ["0", "1", "2"]
    assert json.loads((run_dir / "backup/training_metadata.json").read_text())["epoch"] == 3

    # Defining arguments of the run directory cannot change.
    with pytest.raises(SystemExit):
        _train("syncgan-mnist-fashion", run_dir, "--steps", "4", "--batch-size", "32")
    with pytest.raises(cli.RunMismatchError, match="adversarial_synchronizer=False; this command has "
                                                   "adversarial_synchronizer=True"):
        cli.train(recipes.get("syncgan-mnist-fashion", tiny=True),
                  {**config, "adversarial_synchronizer": True, "steps": 4, "epochs": 4})


def test_a_run_directory_from_before_the_model_and_dtype_options_resumes(tmp_path):
    run_dir = tmp_path / "run"
    _train("syncgan-mnist-fashion", run_dir, "--steps", "1")
    config = json.loads((run_dir / "config.json").read_text())
    for key in ("adversarial_synchronizer", "sync_weight", "synchronizer_learning_rate", "diversity_weight",
                "synchronizer_translation", "dtype_policy", "ema_decay"):
        del config[key]  # as earlier versions wrote
    (run_dir / "config.json").write_text(json.dumps(config))
    resumed = _train("syncgan-mnist-fashion", run_dir, "--steps", "2")
    assert resumed.initial_epoch == 1 and resumed.model.adversarial_synchronizer is False
    assert resumed.model.dtype_policy.name == "float32" and resumed.model.ema_decay is None
    assert resumed.model.sync_weight == 1.0 and resumed.model.diversity_weight == 0.0
    assert resumed.model.synchronizer_translation == 0
    assert float(resumed.model.optimizers["synchronizer"].learning_rate) == pytest.approx(2e-4)


def test_the_dtype_policy_reaches_the_trained_networks_only_and_defines_the_run(tmp_path, capsys):
    import keras

    run_dir = tmp_path / "run"
    result = _train("syncgan-mnist-fashion", run_dir, "--steps", "1", "--dtype-policy", "mixed_bfloat16")
    assert json.loads((run_dir / "config.json").read_text())["dtype_policy"] == "mixed_bfloat16"
    generator = result.model.generators["digit"]
    assert generator.dtype_policy.name == "mixed_bfloat16" and generator.compute_dtype == "bfloat16"
    assert keras.config.dtype_policy().name == "float32"  # restored: evaluators and later models are float32
    loaded = keras.models.load_model(run_dir / "model.keras")
    policies = {layer.name: layer.dtype_policy.name for layer in loaded.generators["digit"].layers[1:]}
    assert policies.pop("image") == "float32"  # the output layer, by design
    assert set(policies.values()) == {"mixed_bfloat16"}
    samples = loaded.generate(n=4)
    assert all(str(x.dtype) == "float32" and np.isfinite(x).all() for x in samples.values())
    assert np.isfinite(pd.read_csv(run_dir / "metrics.csv")["value"].astype(float)).all()
    error = _error_of(["train", "syncgan-mnist-fashion", "--tiny", "--steps-per-epoch", "1", "--output", run_dir,
                       "--steps", "2"], capsys)
    assert "holds a run with dtype_policy='mixed_bfloat16'; this command has dtype_policy='float32'" in error
    error = _error_of(["train", "syncgan-mnist-fashion", "--dtype-policy", "float16"], capsys)
    assert "argument --dtype-policy: invalid choice: 'float16'" in error


def test_the_adversarial_synchronizer_option_reaches_the_model_and_the_run_config(tmp_path, capsys):
    run_dir = tmp_path / "run"
    result = _train("syncgan-mnist-fashion", run_dir, "--steps", "1", "--adversarial-synchronizer")
    assert result.model.adversarial_synchronizer is True
    assert json.loads((run_dir / "config.json").read_text())["adversarial_synchronizer"] is True
    import keras

    assert keras.models.load_model(run_dir / "model.keras").adversarial_synchronizer is True

    # Evaluating with the sampling options writes a table named after them, beside the run's own.
    table = cli.main(["evaluate", run_dir, "--truncation", "2", "--synchronizer-selection", "0.25"])
    written = pd.read_csv(run_dir / "metrics_truncation_2_selection_0.25.csv")
    assert list(written.metric) == list(pd.read_csv(run_dir / "metrics.csv").metric)
    np.testing.assert_allclose(written.value, table.value)
    assert (run_dir / "metrics_truncation_2_selection_0.25.md").read_text().startswith(
        "syncgan-mnist-fashion, 1 of 1 steps, codes truncated to |z| <= 2, the tuples S trusts most among 1/0.25 "
        "as many drawn (evaluated in ")

    # The transfer options change the transfer rows only: the other rows repeat the run's own table.
    table = cli.main(["evaluate", run_dir, "--transfer-restarts", "4", "--transfer-select-by", "synchronizer"])
    own = pd.read_csv(run_dir / "metrics.csv")
    pd.testing.assert_frame_equal(pd.read_csv(run_dir / "metrics_restarts_4_select_by_synchronizer.csv"), table,
                                  check_dtype=False)
    others = table.metric != "transfer_accuracy"
    np.testing.assert_allclose(table.value[others], own.value[others])
    assert (run_dir / "metrics_restarts_4_select_by_synchronizer.md").read_text().startswith(
        "syncgan-mnist-fashion, 1 of 1 steps, transfer from 4 inversion restarts, the one kept by synchronizer "
        "(evaluated in ")
    # Given the criterion alone, the header names the recipe's restarts (the tiny recipe's 1); a refined
    # synchronizer is named too, and needs the synchronizer's criterion.
    cli.main(["evaluate", run_dir, "--transfer-select-by", "synchronizer", "--transfer-refine-steps", "3"])
    assert (run_dir / "metrics_select_by_synchronizer_refine_steps_3.md").read_text().startswith(
        "syncgan-mnist-fashion, 1 of 1 steps, transfer from 1 inversion restarts, the one kept by synchronizer "
        "refined on 3 batches of real pairs (evaluated in ")
    for given, received in (([], "no --transfer-select-by"),
                            (["--transfer-select-by", "reconstruction"], "--transfer-select-by reconstruction")):
        error = _error_of(["evaluate", str(run_dir), "--transfer-refine-steps", "3", *given], capsys)
        assert ("argument --transfer-refine-steps: rates the restarts, so it needs --transfer-select-by synchronizer; "
                f"received {received}") in error


def _assert_the_option_defines_the_run_and_is_checked(capsys, preset, run_dir, mismatch, option, bad_values,
                                                     expected):
    """Resuming `run_dir` without the option is refused (`mismatch`), and each bad value is named."""
    error = _error_of(["train", preset, "--tiny", "--steps-per-epoch", "1", "--output", run_dir, "--steps", "9"], capsys)
    assert f"holds a run with {mismatch}" in error
    for bad in bad_values:
        error = _error_of(["train", preset, option, bad], capsys)
        assert f"argument {option}: expected {expected}; received '{bad}'" in error


def test_synchronizer_translation_reaches_the_model_defines_the_run_and_checks_its_value(tmp_path, capsys):
    import keras

    run_dir = tmp_path / "run"
    result = _train("syncgan-mnist-fashion", run_dir, "--steps", "1", "--synchronizer-translation", "2")
    assert json.loads((run_dir / "config.json").read_text())["synchronizer_translation"] == 2
    assert result.model.synchronizer_translation == 2
    assert keras.models.load_model(run_dir / "model.keras").synchronizer_translation == 2
    _assert_the_option_defines_the_run_and_is_checked(
        capsys, "syncgan-mnist-fashion", run_dir, "synchronizer_translation=2; this command has "
        "synchronizer_translation=0", "--synchronizer-translation", ("0", "-1", "1.5", "x"), "an integer >= 1")
    error = _error_of(["train", "cvaegan-fashion", "--synchronizer-translation", "2"], capsys)
    assert ("argument --synchronizer-translation: applies to SyncGAN presets only; cvaegan-fashion is a cvaegan "
            "preset") in error


GENERATOR_LOSS_WEIGHT_DEFAULTS = {"sync_weight": 1.0, "diversity_weight": 0.0}


@pytest.mark.parametrize("option, name, value", [("--sync-weight", "sync_weight", 3.0),
                                                 ("--diversity-weight", "diversity_weight", 0.5)])
def test_a_generator_loss_weight_option_reaches_the_model_defines_the_run_and_checks_its_value(
        tmp_path, capsys, option, name, value):
    import keras

    run_dir = tmp_path / "run"
    result = _train("syncgan-mnist-fashion", run_dir, "--steps", "1", option, str(value))
    assert json.loads((run_dir / "config.json").read_text())[name] == value
    assert getattr(result.model, name) == getattr(keras.models.load_model(run_dir / "model.keras"), name) == value
    # The weight scales its term of the generators' loss; every term is logged separately, at any weight.
    weights = {**GENERATOR_LOSS_WEIGHT_DEFAULTS, name: value}
    history = {key: values[0] for key, values in result.history.history.items()}
    np.testing.assert_allclose(history["g_loss"], history["g_adversarial_loss"] + weights["sync_weight"]
                               * history["g_sync_loss"] + weights["diversity_weight"] * history["g_diversity_loss"],
                               rtol=1e-5)

    default = GENERATOR_LOSS_WEIGHT_DEFAULTS[name]
    _assert_the_option_defines_the_run_and_is_checked(
        capsys, "syncgan-mnist-fashion", run_dir, f"{name}={value}; this command has {name}={default}",
        option, ("0", "-1", "x"), "a number > 0")
    error = _error_of(["train", "cvaegan-fashion", option, "2"], capsys)
    assert f"argument {option}: applies to SyncGAN presets only; cvaegan-fashion is a cvaegan preset" in error


def test_the_synchronizer_learning_rate_changes_that_optimizer_only_and_defines_the_run(tmp_path, capsys):
    import keras

    run_dir = tmp_path / "run"
    default_run = _train("syncgan-mnist-fashion", tmp_path / "default", "--steps", "1")
    defaults = {name: float(opt.learning_rate) for name, opt in default_run.model.optimizers.items()}
    assert defaults["synchronizer"] == pytest.approx(2e-4)  # the authors'

    result = _train("syncgan-mnist-fashion", run_dir, "--steps", "1", "--synchronizer-learning-rate", "5e-5")
    assert json.loads((run_dir / "config.json").read_text())["synchronizer_learning_rate"] == 5e-5
    resumed = _train("syncgan-mnist-fashion", run_dir, "--steps", "2", "--synchronizer-learning-rate", "5e-5")
    loaded = keras.models.load_model(run_dir / "model.keras")
    for model in (result.model, resumed.model, loaded):
        rates = {name: float(opt.learning_rate) for name, opt in model.optimizers.items()}
        assert rates == pytest.approx({**defaults, "synchronizer": 5e-5})
    assert resumed.initial_epoch == 1 and _iterations(resumed.model) == [2] * 4

    _assert_the_option_defines_the_run_and_is_checked(
        capsys, "syncgan-mnist-fashion", run_dir,
        "synchronizer_learning_rate=5e-05; this command has synchronizer_learning_rate=None",
        "--synchronizer-learning-rate", ("0", "-0.001", "x"), "a number > 0")
    error = _error_of(["train", "cvaegan-fashion", "--synchronizer-learning-rate", "1e-4"], capsys)
    assert ("argument --synchronizer-learning-rate: applies to SyncGAN presets only; cvaegan-fashion is a "
            "cvaegan preset (received --synchronizer-learning-rate 0.0001)") in error


def test_the_ema_decay_option_reaches_the_model_defines_the_run_and_checks_its_value(tmp_path, capsys):
    import keras

    run_dir = tmp_path / "run"
    result = _train("cvaegan-fashion", run_dir, "--steps", "2", "--ema-decay", "0.5")
    model = result.model
    assert model.ema_decay == 0.5 and json.loads((run_dir / "config.json").read_text())["ema_decay"] == 0.5
    # Two EMA steps from the initial weights: the shadows differ from the trained weights, and
    # sampling (hence grids and evaluation) uses the shadows.
    z = np.random.default_rng(0).normal(size=(2, model.latent_dim)).astype("float32")
    classes = np.array([0, 1])
    with_ema = model.generate(classes, z=z)
    one_hot = keras.ops.one_hot(classes, model.num_classes)
    without = keras.ops.convert_to_numpy(model.generator([keras.ops.convert_to_tensor(z), one_hot], training=False))
    assert not np.allclose(with_ema, without)
    assert keras.models.load_model(run_dir / "model.keras").ema_decay == 0.5

    _assert_the_option_defines_the_run_and_is_checked(
        capsys, "cvaegan-fashion", run_dir, "ema_decay=0.5; this command has ema_decay=None",
        "--ema-decay", ("1", "0", "x"), "a number in (0, 1.0)")


def test_evaluate_reads_a_run_directory_and_writes_the_tables(tmp_path, capsys):
    run_dir = tmp_path / "cvaegan"
    trained = _train("cvaegan-fashion", run_dir, "--steps", "1")
    assert_run_files(run_dir, ["classes.png", "grids/samples_epoch_001.png"])
    (run_dir / "metrics.csv").unlink()
    (run_dir / "metrics.md").unlink()
    capsys.readouterr()

    table = cli.main(["evaluate", run_dir])
    written = pd.read_csv(run_dir / "metrics.csv")
    assert list(written.columns) == ["metric", "modality", "value", "std", "baseline", "chance"]
    assert list(written.metric) == ["conditional_accuracy", "augmented_accuracy", "inception_score", "fd", "kid",
                                    "precision", "recall"]
    np.testing.assert_allclose(written.value, table.value)
    accuracy = written.iloc[0]
    assert accuracy.chance == pytest.approx(0.1) and 0.0 <= accuracy.value <= 1.0
    assert accuracy.baseline > 0.9  # the digits evaluator on real test digits
    augmented = written.iloc[1]  # 20 real digits per class, with and without 10 generated ones
    assert 0.1 < augmented.baseline <= 1.0 and 0.0 <= augmented.value <= 1.0 and augmented["std"] >= 0.0
    assert written.set_index("metric").loc["fd", "value"] > written.set_index("metric").loc["fd", "baseline"]
    markdown = (run_dir / "metrics.md").read_text()
    assert markdown.startswith("cvaegan-fashion, 1 of 1 steps (evaluated in ")
    assert "| metric | modality | value | std | baseline | chance |" in markdown
    assert f"| conditional_accuracy | fashion | {accuracy.value:.3f} |" in markdown
    assert "| conditional_accuracy | fashion |" in capsys.readouterr().out
    # The reloaded model generates exactly what the trained one did.
    z = np.zeros((2, trained.model.latent_dim), "float32")
    import keras

    reloaded = keras.models.load_model(run_dir / "model.keras")
    np.testing.assert_allclose(reloaded.generate([0, 1], z=z), trained.model.generate([0, 1], z=z), atol=1e-6)

    # With --truncation the table goes beside the run's own, which stays as it was.
    before = (run_dir / "metrics.csv").read_text()
    truncated = cli.main(["evaluate", run_dir, "--truncation", "0.5"])
    assert (run_dir / "metrics.csv").read_text() == before
    assert pd.read_csv(run_dir / "metrics_truncation_0.5.csv").metric.tolist() == list(written.metric)
    np.testing.assert_allclose(pd.read_csv(run_dir / "metrics_truncation_0.5.csv").value, truncated.value)
    assert (run_dir / "metrics_truncation_0.5.md").read_text().startswith(
        "cvaegan-fashion, 1 of 1 steps, codes truncated to |z| <= 0.5 (evaluated in ")
    for option, value in (("--synchronizer-selection", "0.5"), ("--transfer-restarts", "2"),
                          ("--transfer-select-by", "synchronizer"), ("--transfer-refine-steps", "2")):
        error = _error_of(["evaluate", str(run_dir), option, value], capsys)
        assert (f"argument {option}: applies to SyncGAN runs (a synchronizer and transfer); "
                f"{str(run_dir)!r} holds cvaegan-fashion, a cvaegan run") in error
    for name, value in (("selection", 0.5), ("transfer_kwargs", {"restarts": 2})):
        with pytest.raises(ValueError, match=f"`{name}` applies to SyncGAN recipes .* 'cvaegan-fashion' is a cvaegan"):
            recipes.evaluate(recipes.get("cvaegan-fashion", tiny=True), trained.model, None, **{name: value})
    # Other samples, so other scores (FD of an untrained generator cannot tie to every digit).
    assert truncated.set_index("metric").loc["fd", "value"] != table.set_index("metric").loc["fd", "value"]


def test_the_steps_behind_a_run_come_from_its_backup_else_its_log(tmp_path):
    # `evaluate` heads metrics.md with them ("PRESET, S of N steps"; see the test above).
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text(json.dumps({"steps": 40, "steps_per_epoch": 10}))
    assert cli._completed_epochs(run_dir) == 0
    assert cli.steps_behind(run_dir) == 40  # neither: the configured steps
    # A run stopped after two of four epochs, copied without its backup/: the log's rows count.
    (run_dir / "training_log.csv").write_text("epoch,g_loss\n0,1.5\n1,1.2\n")
    assert (cli._completed_epochs(run_dir), cli.steps_behind(run_dir)) == (2, 20)
    (run_dir / "backup").mkdir()
    (run_dir / "backup" / "training_metadata.json").write_text(json.dumps({"epoch": 3, "weights": "w.h5"}))
    # The backup, which BackupAndRestore writes before the log.
    assert (cli._completed_epochs(run_dir), cli.steps_behind(run_dir)) == (3, 30)


def test_evaluate_blames_a_missing_dataset_on_the_data_not_on_run_dir(tmp_path, monkeypatch):
    run_dir = tmp_path / "cvaegan"
    _train("cvaegan-fashion", run_dir, "--steps", "1")

    def absent_data():
        raise FileNotFoundError("Fashion-MNIST not found in /nowhere")

    real_get = recipes.get
    monkeypatch.setattr(recipes, "get", lambda name, tiny=False: dataclasses.replace(real_get(name, tiny), data=absent_data))
    with pytest.raises(FileNotFoundError, match="Fashion-MNIST not found in /nowhere"):
        cli.main(["evaluate", str(run_dir)])  # the data's own error, not argparse's "argument run_dir: ..."


@pytest.mark.parametrize("preset, files", [
    ("syncgan-mnist-fashion-semi", ["pairs.png"]),
    ("syncgan-mnist-speech", ["pairs.png", "audio/epoch_001.png", "audio/epoch_001_00.wav", "audio_samples.csv"]),
])
def test_every_syncgan_preset_trains_through_the_cli(preset, files, tmp_path):
    run_dir = tmp_path / preset
    result = _train(preset, run_dir, "--steps", "1", *(["--paired-fraction", "0.2"] if "semi" in preset else []))
    assert_run_files(run_dir, files)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["paired_fraction"] == (0.2 if "semi" in preset else 1.0)
    modalities = list(recipes.RECIPES[preset].evaluators)
    assert result.model.modalities == modalities
    table = pd.read_csv(run_dir / "metrics.csv")
    assert f"{modalities[0]}+{modalities[1]}" in set(table.modality)
    assert np.isfinite(table.value).all()
    if recipes.RECIPES[preset].sound:
        # One row per WAV of the last epoch: the speech evaluator on the WAV read back, the digit
        # evaluator on the image from the same z.
        heard = pd.read_csv(run_dir / "audio_samples.csv")
        assert list(heard.columns) == ["file", "speech_class", "digit_class", "agree"] and len(heard) == 4
        assert all((run_dir / name).is_file() for name in heard.file) and heard.file[0] == "audio/epoch_001_00.wav"
        assert heard.speech_class.between(0, 9).all() and heard.digit_class.between(0, 9).all()
        assert (heard.agree == (heard.speech_class == heard.digit_class)).all()
        assert "| file | speech_class | digit_class | agree |" in (run_dir / "metrics.md").read_text()


@pytest.mark.parametrize("preset, networks", [
    ("cvae-fashion", {"encoder", "generator"}),
    ("cgan-fashion", {"generator", "discriminator", "classifier"}),
    ("fm-cgan-fashion", {"generator", "discriminator", "classifier"}),
])
def test_cvaegan_ablation_presets_train_only_their_networks(preset, networks, tmp_path):
    result = _train(preset, tmp_path / preset, "--steps", "1")
    model = result.model
    assert model.mode == preset[:-len("-fashion")]
    assert {name for name in ("encoder", "generator", "discriminator", "classifier")
            if getattr(model, name) is not None} == networks
    assert list(result.metrics.metric)[0] == "conditional_accuracy" and np.isfinite(result.metrics.value).all()
