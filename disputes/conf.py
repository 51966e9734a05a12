"""The follow-up cadence's knobs: settings first (tests override them), then the environment."""

from django.conf import settings

from qianwan.env import env_int


def followups_per_month() -> int:
    """Follow-up visits each handled dispute needs per calendar month (Asia/Shanghai); default 2."""
    return int(getattr(settings, "DISPUTES_FOLLOWUPS_PER_MONTH", env_int("DISPUTES_FOLLOWUPS_PER_MONTH", 2)))


def followup_months() -> int:
    """For how many calendar months (the month it was handled included) the cadence runs; 0 = until closed."""
    return int(getattr(settings, "DISPUTES_FOLLOWUP_MONTHS", env_int("DISPUTES_FOLLOWUP_MONTHS", 3)))


def sweep_not_before_hour() -> int:
    """The sweep runs hourly (so a missed run is made up) but reminds people only from this local hour."""
    return int(getattr(settings, "DISPUTES_SWEEP_HOUR", env_int("DISPUTES_SWEEP_HOUR", 8)))


def close_min_followups() -> int:
    """Follow-ups recorded after a dispute was marked handled before it may be closed (结案) without a
    station leader's approval; default 2."""
    return int(getattr(settings, "DISPUTE_CLOSE_MIN_FOLLOWUPS", env_int("DISPUTE_CLOSE_MIN_FOLLOWUPS", 2)))
