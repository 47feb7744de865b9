"""Lynex benchmarks: `make bench` (python -m bench.run) starts what it needs and writes bench/results/."""
