"""Smoke-runs the benchmark code on tiny configurations so it cannot rot (no timing assertions)."""

import csv
import importlib.util
import math

import pytest

from benchmarks.__main__ import main
from benchmarks.flops import forward_flops

HAS_TORCH = importlib.util.find_spec("torch") is not None
NO_TORCH = "the PyTorch peer needs torch from the `bench` extra (pip install -e '.[bench]'); this venv has none"


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_benchmark_suite_runs_on_a_tiny_configuration(tmp_path):
    main(["--quick", "--backends", "tensorflow", "--output", str(tmp_path)])
    rows = {(row["model"], row["dtype_policy"]): row for row in read_csv(tmp_path / "quick_train_step.csv")}
    assert set(rows) == {("syncgan", "float32"), ("syncgan", "mixed_bfloat16"), ("cvaegan", "float32")}
    for row in rows.values():
        assert float(row["samples_per_s"]) > 0 and float(row["gflop_per_step"]) > 0
        assert float(row["peak_rss_mb"]) > 100 and float(row["fraction_of_matmul_peak"]) > 0
    libraries = {row["library"] for row in read_csv(tmp_path / "quick_matmul.csv")}
    assert {"keras.ops (tensorflow)", "keras.ops (tensorflow) bfloat16", "numpy"} <= libraries
    if HAS_TORCH:  # the peer ran interleaved with ours (bfloat16 autocast beside mixed_bfloat16), and alone
        assert {"torch", "torch bfloat16"} <= libraries
        for policy in ("float32", "mixed_bfloat16"):
            row = rows["syncgan", policy]
            assert float(row["ours_over_peer"]) > 0 and float(row["peer_peak_rss_mb"]) > 0
    text = (tmp_path / "quick_train_step.md").read_text()
    assert "train-step throughput" in text and "load average" in text and "ru_maxrss" in text
    assert "matmul peaks: float32" in text
    assert float(read_csv(tmp_path / "quick_inversion.csv")[0]["speedup"]) > 0


def test_gpu_suite_code_runs_on_a_tiny_configuration(tmp_path, monkeypatch):
    """The GPU suite's own code (configs, mixed-precision rows, per-precision peaks, table) on this CPU."""
    import benchmarks.__main__ as suite

    reference = suite.matmul_reference
    monkeypatch.setattr(suite, "gpu_train_configs", lambda backends: [
        ("syncgan", "tensorflow", "cpu", 8, "tf_function", False, "mixed_bfloat16")])
    monkeypatch.setattr(suite, "windows_for", lambda *args, **kwargs: ["--windows", 1, "--window-steps", 1,
                                                                         "--warmup", 1])
    monkeypatch.setattr(suite, "matmul_reference", lambda backends, quick, env=None: reference(backends, True, env))
    main(["--device", "gpu", "--suite", "train", "--backends", "tensorflow", "--output", str(tmp_path)])
    (row,) = read_csv(tmp_path / "gpu_train_step.csv")
    assert row["dtype_policy"] == "mixed_bfloat16" and row["device"] == "CPU"
    assert float(row["samples_per_s"]) > 0 and float(row["fraction_of_matmul_peak"]) > 0
    assert "matmul peaks: float32" in (tmp_path / "gpu_train_step.md").read_text()


def test_flop_count_enters_nested_models():
    from keras_syncgan.networks import conditional_generator, image_generator

    trunk = forward_flops(image_generator((16, 16, 1), latent_dim=8 + 10, filters=8))
    assert trunk > 0 and forward_flops(conditional_generator((16, 16, 1), 10, latent_dim=8, filters=8)) == trunk


@pytest.mark.skipif(not HAS_TORCH, reason=NO_TORCH)
def test_peer_has_our_networks_and_trains_every_one():
    import torch

    from benchmarks.peers.torch_syncgan import TorchSyncGAN
    from benchmarks.train_step import parameter_counts
    from keras_syncgan import presets

    shapes = {m: (28, 28, 1) for m in ("digit", "fashion")}
    for width, sizes in presets.WIDTHS.items():
        ours = parameter_counts(presets.build_syncgan(shapes, width=width))
        assert TorchSyncGAN(shapes, **sizes).trainable_parameter_counts() == ours

    torch.manual_seed(0)
    peer = TorchSyncGAN({"a": (8, 8, 1), "b": (8, 8, 1)}, latent_dim=4, filters=4, hidden=8)
    networks = {"g": peer.generators, "d": peer.discriminators, "s": peer.synchronizer}
    before = {name: [p.detach().clone() for p in net.parameters()] for name, net in networks.items()}
    losses = peer.train_step(peer.random_batch(6))
    assert all(math.isfinite(loss) for loss in losses.values())
    for name, net in networks.items():
        assert any(not torch.equal(old, new) for old, new in zip(before[name], net.parameters())), name
        assert all(p.requires_grad for p in net.parameters()) and net.training  # unfrozen after G's step


def test_pipeline_cost_alternates_both_feeds_on_one_model():
    from benchmarks.pipeline import pipeline_cost

    result = pipeline_cost(batch_size=8, rounds=1, steps=1, warmup=1)
    assert result["memory_step_ms"] > 0 and result["pipeline_step_ms"] > 0
    assert result["pipeline_cost"] == pytest.approx(result["pipeline_step_ms"] / result["memory_step_ms"] - 1)


def test_transfer_sweep_reads_a_run_directory_writes_its_table_and_keeps_earlier_settings(tmp_path, capsys,
                                                                                         monkeypatch):
    import json

    import pandas as pd

    from benchmarks import transfer
    from keras_syncgan import cli, recipes

    run_dir = tmp_path / "run-p0.5"  # a dot in the name must survive into the file names
    cli.main(["train", "syncgan-mnist-fashion", "--tiny", "--steps", "1", "--output", run_dir])
    first = transfer.main([str(run_dir), "--prior-weights", "0", "2", "--samples", "8", "--output", str(tmp_path)])
    assert list(first.prior_weight) == [0.0, 0.0, 2.0, 2.0] and set(first.restarts) == {3}
    assert list(first.direction) == ["digit->fashion", "fashion->digit"] * 2
    assert first.transfer_accuracy.between(0, 1).all() and (first.chance == 0.1).all()
    # A second sweep adds its settings and replaces only the rows it measured again.
    table = transfer.main([str(run_dir), "--prior-weights", "2", "--restarts", "1", "3", "--samples", "8",
                           "--output", str(tmp_path)])
    written = pd.read_csv(tmp_path / "transfer_inversion_run-p0.5.csv")
    assert list(zip(written.prior_weight, written.restarts))[::2] == [(0.0, 3), (2.0, 1), (2.0, 3)]
    pd.testing.assert_frame_equal(written, table, check_dtype=False)
    pd.testing.assert_frame_equal(written.iloc[:2], first.iloc[:2], check_dtype=False)
    assert set(written.select_by) == {"reconstruction"}
    header = "| samples | seed | prior_weight | restarts | select_by | refine_steps | digit->fashion | fashion->digit |"
    assert header in (tmp_path / "transfer_inversion_run-p0.5.md").read_text()
    # Tables written before `seed`, `select_by` and `refine_steps` were settings measured the run's seed and
    # the best reconstruction by the model's own S: their rows join as such, and sweeps choosing by the
    # synchronizer (refined or not) or drawing other samples add rows beside them. A refined synchronizer
    # changes nothing for the best reconstruction, so that row is not measured again.
    written.drop(columns=["seed", "select_by", "refine_steps"]).iloc[:2].to_csv(
        tmp_path / "transfer_inversion_run-p0.5.csv", index=False)
    # As for `evaluate`, the refined judge trains on the draws after the model's own steps: here a run
    # stopped after 1 of 4 (its config.json raised to 4), not after the target.
    config = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**config, "steps": 4}))
    refined, drawn_after = recipes.refined_synchronizer, []
    monkeypatch.setattr(recipes, "refined_synchronizer", lambda *args, steps_done: (
        drawn_after.append(steps_done), refined(*args, steps_done=steps_done))[1])
    transfer.main([str(run_dir), "--prior-weights", "0", "--restarts", "2", "--select-by", "synchronizer",
                   "reconstruction", "--refine-steps", "0", "3", "--samples", "8", "--output", str(tmp_path)])
    assert drawn_after == [1]
    table = transfer.main([str(run_dir), "--prior-weights", "0", "--restarts", "2", "--samples", "8", "--seed", "5",
                           "--output", str(tmp_path)])
    assert list(zip(table.seed, table.restarts, table.select_by, table.refine_steps))[::2] == [
        (0, 2, "reconstruction", 0), (0, 2, "synchronizer", 0), (0, 2, "synchronizer", 3),
        (0, 3, "reconstruction", 0), (5, 2, "reconstruction", 0)]
    assert not table.isna().any().any()

    capsys.readouterr()
    for option, bad, expected in (("--prior-weights", "-1", "expected numbers >= 0; received [-1.0]"),
                                  ("--restarts", "0", "expected integers >= 1; received [0]"),
                                  ("--samples", "0", "expected an integer >= 1; received 0"),
                                  ("--select-by", "error", "invalid choice: 'error'"),
                                  ("--refine-steps", "-1", "expected integers >= 0; received [-1]"),
                                  ("--refine-steps", "5", "rates the restarts, so it needs --select-by synchronizer; "
                                                          "received --select-by reconstruction")):
        with pytest.raises(SystemExit):
            transfer.main([str(run_dir), option, bad])
        assert f"argument {option}: {expected}" in capsys.readouterr().err
    cvaegan_dir = tmp_path / "cvaegan"
    cli.main(["train", "cvaegan-fashion", "--tiny", "--steps", "1", "--output", cvaegan_dir])
    with pytest.raises(ValueError, match="must hold a SyncGAN run; .* holds 'cvaegan-fashion'"):
        transfer.sweep(cvaegan_dir)


def test_sync_rate_draws_repeat_the_evaluation_and_keep_earlier_rows(tmp_path, capsys):
    import pandas as pd

    from benchmarks import sync_rate
    from keras_syncgan import cli, recipes

    run_dir = tmp_path / "run-p0.5"
    cli.main(["train", "syncgan-mnist-fashion", "--tiny", "--steps", "1", "--output", run_dir])
    evaluated = pd.read_csv(run_dir / "metrics.csv").set_index("metric").loc["sync_rate"]
    first = sync_rate.main([str(run_dir), "--seeds", "0", "1", "--output", str(tmp_path)])
    # Seed 0 with the default pairs (as many as the evaluation's) is the evaluation's own draw.
    assert first.sync_rate.iloc[0] == pytest.approx(evaluated.value)
    assert first.chance.iloc[0] == pytest.approx(evaluated.chance)
    assert list(first.seed) == [0, 1] and first.sync_rate.between(0, 1).all()
    # A second call replaces the rows it measured again and keeps the others.
    table = sync_rate.main([str(run_dir), "--seeds", "1", "2", "--pairs", "50", "--output", str(tmp_path)])
    written = pd.read_csv(tmp_path / "sync_rate_run-p0.5.csv")
    n = recipes.get("syncgan-mnist-fashion", tiny=True).evaluation["n"]
    assert n != 50 and set(first.pairs) == {n}
    assert list(zip(written.pairs, written.seed)) == [(50, 1), (50, 2), (n, 0), (n, 1)]
    pd.testing.assert_frame_equal(written, table, check_dtype=False)
    summary = sync_rate.summary(written).set_index("pairs")
    assert summary.loc[n, "draws"] == 2
    assert summary.loc[n, "mean"] == pytest.approx(first.sync_rate.mean())
    assert summary.loc[50, "binomial_spread"] == pytest.approx(
        (summary.loc[50, "mean"] * (1 - summary.loc[50, "mean"]) / 50) ** 0.5)
    assert "| pairs | modalities | draws | mean | std |" in (tmp_path / "sync_rate_run-p0.5.md").read_text()

    capsys.readouterr()
    for option, bad, expected in (("--seeds", "3 3", "distinct seeds; received [3, 3]"),
                                  ("--pairs", "1", "an integer >= 2; received 1")):
        with pytest.raises(SystemExit):
            sync_rate.main([str(run_dir), option, *bad.split()])
        assert f"argument {option}: expected {expected}" in capsys.readouterr().err
    cvaegan_dir = tmp_path / "cvaegan"
    cli.main(["train", "cvaegan-fashion", "--tiny", "--steps", "1", "--output", cvaegan_dir])
    with pytest.raises(ValueError, match="must hold a SyncGAN run; .* holds 'cvaegan-fashion'"):
        sync_rate.draws(cvaegan_dir)

    _check_the_sampling_sweep(run_dir, evaluated, tmp_path, capsys)


def _check_the_sampling_sweep(run_dir, evaluated, tmp_path, capsys):
    import numpy as np
    import pandas as pd

    from benchmarks import sampling

    first = sampling.main([str(run_dir), "--truncations", "1e-4", "--selections", "0.5", "--output", str(tmp_path)])
    assert list(dict.fromkeys(zip(first.truncation, first.selection))) == [(math.inf, 1.0), (1e-4, 1.0), (math.inf, 0.5)]
    plain, squeezed, selected = (first[(first.truncation == t) & (first.selection == f)].set_index(["metric", "modality"])
                                 for t, f in ((math.inf, 1.0), (1e-4, 1.0), (math.inf, 0.5)))
    # Plain: the evaluation's own draw; codes ~0: one pair repeated, one class per modality;
    # selected: S's most trusted half, so S accepts at least as large a share as of a plain draw.
    assert plain.loc[("sync_rate", "digit+fashion"), "value"] == pytest.approx(evaluated.value)
    assert (squeezed.loc["largest_class_share", "value"] == 1.0).all()
    assert (squeezed.loc["recall", "value"] <= plain.loc["recall", "value"]).all()
    assert selected.loc["synchronizer_acceptance", "value"].item() >= plain.loc["synchronizer_acceptance", "value"].item()
    for other in (squeezed, selected):  # scored against the same real samples
        np.testing.assert_array_equal(other.baseline, plain.baseline)
    sampling.main([str(run_dir), "--truncations", "1", "1e-4", "--selections", "--output", str(tmp_path)])
    written = pd.read_csv(tmp_path / "sampling_run-p0.5.csv")
    assert sorted(set(zip(written.truncation, written.selection))) == [(1e-4, 1.0), (1.0, 1.0), (math.inf, 0.5),
                                                                      (math.inf, 1.0)]
    assert len(written) == 4 * len(first) // 3
    markdown = (tmp_path / "sampling_run-p0.5.md").read_text()
    assert "| sampling | synchronizer_acceptance digit+fashion | sync_rate digit+fashion | sync_rate chance |" in markdown
    rows = [line.split(" | ")[0] for line in markdown.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[1:] == ["| none", "| S's top 0.5", "| |z| <= 1", "| |z| <= 0.0001", "| real data"]
    capsys.readouterr()
    for option, bad, expected in (("--truncations", "0", "a number > 0"), ("--selections", "2", "a number in (0, 1.0]")):
        with pytest.raises(SystemExit):
            sampling.main([str(run_dir), option, bad])
        assert f"argument {option}: expected {expected}; received '{bad}'" in capsys.readouterr().err


def test_merging_a_sweep_leaves_the_earlier_rows_byte_for_byte(tmp_path):
    import pandas as pd

    from benchmarks.run_tables import merge_into

    # 0.9833333333333333 is one that pandas' default CSV parser reads one ulp low.
    path = tmp_path / "table.csv"
    path.write_text("seed,ceiling\n0,0.9833333333333333\n1,0.9833333333333332\n")
    merge_into(pd.DataFrame({"seed": [2], "ceiling": [0.5]}), path, settings=["seed"], order=["seed"])
    assert path.read_text().splitlines() == ["seed,ceiling", "0,0.9833333333333333", "1,0.9833333333333332",
                                             "2,0.5"]


def test_synchronizer_translation_sweep_trains_s_alone_scores_it_and_keeps_earlier_rows(tmp_path, capsys):
    import pandas as pd

    from benchmarks import synchronizer_translation as sweep

    common = ["--tiny", "--paired-fraction", "0.5", "--steps", "30", "--checkpoints", "3", "--output", str(tmp_path)]
    first = sweep.main([*common, "--translations", "0", "1"])
    assert list(zip(first.translation, first.step)) == [(0, 10), (0, 20), (0, 30), (1, 10), (1, 20), (1, 30)]
    assert first.heldout_accuracy.between(0, 1).all() and first.heldout_auc.between(0, 1).all()
    assert (first.train_loss > 0).all()
    scores = ["train_loss", "heldout_accuracy", "heldout_auc"]
    # S saw shifted tuples with translation 1, so it learnt something else than without.
    assert not first[first.translation == 1][scores].reset_index(drop=True).equals(
        first[first.translation == 0][scores].reset_index(drop=True))
    # Seeded: measured again, translation 0 gives the same numbers; the other translation's rows stay.
    again = sweep.main([*common, "--translations", "0"])
    written = pd.read_csv(tmp_path / "synchronizer_translation.csv")
    assert len(written) == 6 and list(again.translation) == [0, 0, 0, 1, 1, 1]
    pd.testing.assert_frame_equal(again[scores], first[scores], check_exact=False, rtol=1e-6)
    assert "| translation | step |" in (tmp_path / "synchronizer_translation.md").read_text()

    capsys.readouterr()
    for option, bad, expected in (("--translations", "1 1", "distinct integers >= 0; received [1, 1]"),
                                  ("--paired-fraction", "0", "a fraction in (0, 1]; received 0.0")):
        with pytest.raises(SystemExit):
            sweep.main([option, *bad.split()])
        assert f"argument {option}: expected {expected}" in capsys.readouterr().err


def _fake_run(path, seed, sync_rate, chance, **settings):
    """A run directory as `train` leaves it, as far as `benchmarks.seeds` reads it."""
    import json

    path.mkdir()
    config = {"preset": "syncgan-mnist-fashion-semi", "paired_fraction": 0.01, "seed": seed, "output": str(path),
              "command": f"python -m keras_syncgan train ... --seed {seed}", **settings}
    (path / "config.json").write_text(json.dumps(config))
    (path / "metrics.csv").write_text("metric,modality,value,std,baseline,chance\n"
                                      f"sync_rate,digit+fashion,{sync_rate},,0.9,{chance}\n"
                                      f"fd,digit,{10 * seed + 5},,2.5,\n")
    return path


def test_seed_comparison_lines_up_the_runs_and_their_selections(tmp_path, capsys):
    import pandas as pd

    from benchmarks import seeds

    runs = [_fake_run(tmp_path / f"run-seed{seed}", seed, rate, chance)
            for seed, rate, chance in ((0, 0.8, 0.15), (1, 0.7, 0.1), (2, 0.9, 0.2))]
    for run, top in zip(runs, (0.96, 0.9, 0.93)):
        pd.DataFrame({"truncation": [math.inf, math.inf, 2.0], "selection": [0.25, 0.5, 1.0],
                      "metric": "sync_rate", "modality": "digit+fashion", "value": [top, 0.5, 0.4],
                      "std": math.nan, "baseline": 0.9, "chance": [0.3, 0.2, 0.1], "seconds": 1.0}
                     ).to_csv(tmp_path / f"sampling_{run.name}.csv", index=False)
    long = seeds.main([*map(str, runs), "--selection", "0.25", "--output", str(tmp_path)])
    assert len(long) == 3 * 5 and set(long.seed) == {0, 1, 2}
    table = seeds.wide(long).set_index(["sampling", "metric"])
    assert list(table.index) == [("evaluation", "sync_rate"), ("evaluation", "sync_rate chance"),
                                 ("evaluation", "fd"), ("S's top 0.25", "sync_rate"),
                                 ("S's top 0.25", "sync_rate chance")]
    assert list(table.loc[("evaluation", "sync_rate"), ["seed 0", "seed 1", "seed 2"]]) == [0.8, 0.7, 0.9]
    assert table.loc[("evaluation", "sync_rate"), ["mean", "min", "max", "baseline"]].tolist() == pytest.approx(
        [0.8, 0.7, 0.9, 0.9])
    assert table.loc[("evaluation", "fd"), "mean"] == pytest.approx(15)
    # S's top quarter, not the other selection or the truncation.
    assert table.loc[("S's top 0.25", "sync_rate"), "mean"] == pytest.approx(0.93)
    assert table.loc[("S's top 0.25", "sync_rate chance"), "max"] == pytest.approx(0.3)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "seeds_run-seed0.csv"), long, check_dtype=False)
    assert "| sampling | metric | modality | seed 0 | seed 1 | seed 2 | mean | min | max | baseline |" in (
        tmp_path / "seeds_run-seed0.md").read_text()

    measured = r"must be a fraction sampling_run-seed0.csv scored \(\[0.25, 0.5\]\); received 0.1"
    with pytest.raises(ValueError, match=measured):
        seeds.gather(runs, selection=0.1, results=tmp_path)
    with pytest.raises(FileNotFoundError, match="run `python -m benchmarks.sampling"):
        seeds.gather(runs, selection=0.25, results=tmp_path / "elsewhere")
    other = _fake_run(tmp_path / "other", 3, 0.5, 0.1, paired_fraction=0.1)
    with pytest.raises(ValueError, match="differ only in seed, output; .*other differs from .* in paired_fraction"):
        seeds.gather([runs[0], other])
    with pytest.raises(ValueError, match=r"must hold distinct seeds; received \[0, 0\]"):
        seeds.gather([runs[0], runs[0]])
    with pytest.raises(ValueError, match="at least two runs; received 1"):
        seeds.gather(runs[:1])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        seeds.main([str(runs[0]), str(runs[1]), "--selection", "2"])
    assert "argument --selection: expected a number in (0, 1.0]; received '2'" in capsys.readouterr().err
