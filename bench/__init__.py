"""Benchmarks: `make bench` (= `python -m bench`). Scripts, not tests; see bench/__main__.py and bench/common.py."""
