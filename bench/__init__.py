"""Benchmarks run by hand (`python -m bench` or `make bench`); they print figures, they are not tests."""
