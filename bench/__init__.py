"""Benchmark scripts. Each prints its figures and writes its own section of BENCHMARKS.md."""
