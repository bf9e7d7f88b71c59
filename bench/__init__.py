"""Benchmarks that start the real services and report on them (run: python -m bench.rpc)."""
