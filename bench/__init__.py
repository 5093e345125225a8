"""Benchmarks run against the synthetic corpus (see bench/classify_bench.py)."""
