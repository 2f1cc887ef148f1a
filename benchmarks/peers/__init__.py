"""Peer implementations the benchmarks compare against (installed with the `bench` extra)."""
