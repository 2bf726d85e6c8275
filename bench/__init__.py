"""Benchmarks, each against a floor measured in the same run; run from the repository's root
as ``.venv/bin/python -m bench.NAME [--json]`` (README, "Benchmarks").

Real services and the pty driver come from ``tests.services``, which the tests use too.
"""
