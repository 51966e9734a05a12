"""Celery tasks of the incident clocks: take ids, call the service."""

from celery import shared_task

from . import services


@shared_task
def clock_fire(clock_id: int, task_id: str) -> list[str]:
    """ETA task of an incident's timer, addressed to the clock due first: fires every step due across
    the incident's clocks and arms the next; does nothing once no clock carries ``task_id``."""
    return services.clock_fire(clock_id=clock_id, task_id=task_id)


@shared_task
def clocks_sweep() -> int:
    """Beat, every 15 s: fire any due clock that no task fired (lost message, broker restart)."""
    return services.clocks_sweep()


@shared_task
def stats_refresh() -> dict:
    """Beat, every 10 min: seal the rollup's settled days and months (a bounded batch per run)."""
    return services.stats_refresh()


@shared_task
def stats_verify_sample() -> dict:
    """Beat, nightly: verify a random sample of the rollup's sealed units; admins are notified of a
    mismatch."""
    return services.stats_verify_sample()
