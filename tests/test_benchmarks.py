"""Smoke-runs the benchmark code on a tiny configuration so it cannot rot (no timing assertions)."""

import csv

from benchmarks.__main__ import main


def test_benchmark_suite_runs_on_a_tiny_configuration(tmp_path):
    main(["--quick", "--backends", "tensorflow", "--output", str(tmp_path)])
    rows = list(csv.DictReader(open(tmp_path / "quick_train_step.csv")))
    assert rows and float(rows[0]["samples_per_s"]) > 0 and float(rows[0]["gflop_per_step"]) > 0
    inversion = list(csv.DictReader(open(tmp_path / "quick_inversion.csv")))[0]
    assert float(inversion["speedup"]) > 0
    assert "train-step throughput" in (tmp_path / "quick_train_step.md").read_text()
