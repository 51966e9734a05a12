"""Incidents made through the service (so clocks, snapshots and timers are real)."""

from datetime import timedelta

from django.utils import timezone

from incidents import services


def make_incident(station, actor=None, *, received_at=None, category="dispute", **kwargs):
    """An incident of ``station`` taken by ``actor`` (an admin-like system actor when None)."""
    from qianwan.org.models import User

    if actor is None:
        actor, _ = User.objects.get_or_create(
            username="factory-admin", defaults={"role": "admin", "is_staff": True, "is_superuser": True}
        )
    return services.incident_create(
        actor=actor,
        station=station,
        category=category,
        received_at=received_at or timezone.now(),
        address=kwargs.pop("address", "庵东镇兴业路1号"),
        description=kwargs.pop("description", "邻里纠纷"),
        caller_phone=kwargs.pop("caller_phone", "13800001234"),
        **kwargs,
    )


def record(incident, kind, *, actor=None, after=0, **kwargs):
    from qianwan.org.models import User

    if actor is None:
        actor = User.objects.get(username="factory-admin") if User.objects.filter(
            username="factory-admin"
        ).exists() else User.objects.create(username="factory-admin", role="admin")
    return services.incident_record_event(
        actor=actor, incident=incident, kind=kind, at=incident.received_at + timedelta(seconds=after), **kwargs
    )
