"""Benchmarks, run as commands (`python -m tests.perf.bench_...`), never collected by pytest."""
