"""Benchmarks: each module defines ``run(argv: list[str]) -> None`` and prints its figures."""


def pct(values, p):
    """Nearest-rank percentile of unsorted samples (None for none), as the platform's KPIs take it."""
    from qianwan.kpi import nearest_rank

    return nearest_rank(sorted(values), p)
