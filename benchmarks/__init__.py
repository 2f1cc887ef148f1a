"""Benchmarks of keras_syncgan: `python -m benchmarks` (or `make bench`). Results in benchmarks/results/."""
