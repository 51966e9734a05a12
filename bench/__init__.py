"""Benchmarks: each module defines ``run(argv: list[str]) -> None`` and prints its figures."""
