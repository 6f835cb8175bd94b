"""Benchmarks (filled in below)."""
