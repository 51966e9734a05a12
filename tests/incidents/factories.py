"""Incidents made through the service (so clocks, snapshots and timers are real)."""

from datetime import timedelta

from django.utils import timezone

from incidents import services
from qianwan.org.choices import Role


def system_actor():
    from qianwan.org.models import User

    actor, _ = User.objects.get_or_create(
        username="factory-admin", defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
    )
    return actor


def make_incident(station, actor=None, *, received_at=None, category="dispute", **kwargs):
    """An incident of ``station`` taken by ``actor`` (an admin when None), received now by default."""
    return services.incident_create(
        actor=actor or system_actor(),
        station=station,
        category=category,
        received_at=received_at or timezone.now(),
        address=kwargs.pop("address", "庵东镇兴业路1号"),
        description=kwargs.pop("description", "邻里纠纷"),
        caller_phone=kwargs.pop("caller_phone", "13800001234"),
        **kwargs,
    )


def record(incident, kind, *, actor=None, after=0, **kwargs):
    """Record ``kind`` ``after`` seconds after receipt."""
    return services.incident_record_event(
        actor=actor or system_actor(),
        incident=incident,
        kind=kind,
        at=incident.received_at + timedelta(seconds=after),
        **kwargs,
    )


def settled(station, *, received_at, dispatch=None, video=None, leader=None, arrival=None, close=None, **kw):
    """An incident with the given step times (seconds after receipt; None = not done)."""
    incident = make_incident(station, received_at=received_at, **kw)
    for kind, after in [
        ("dispatched", dispatch),
        ("video_supervised", video),
        ("leader_notified", leader),
        ("arrived", arrival),
        ("closed", close),
    ]:
        if after is not None:
            record(incident, kind, after=after)
    return incident


def payload(**over):
    """A valid `POST /api/v1/incidents/` body for station ADS, received now."""
    data = {
        "received_at": timezone.localtime().replace(microsecond=0).isoformat(),
        "station": "ADS",
        "category": "dispute",
        "address": "庵东镇兴业路1号",
        "lat": 30.33,
        "lon": 121.25,
        "description": "邻里纠纷",
        "caller_phone": "13800000000",
    }
    data.update(over)
    return data
