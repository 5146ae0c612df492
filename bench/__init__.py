"""Benchmarks (not tests): python -m edp bench."""
