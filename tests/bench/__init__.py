"""Benchmarks: `make bench` runs them; each writes one JSON file to .bench/ (git-ignored).

Figures are measured, never asserted: tests check behaviour, benchmarks measure speed and memory.
"""
