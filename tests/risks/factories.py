"""Factories for the risks app. Hazards go through the service so numbers, reminders and audit are real."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from risks import services
from risks.models import Campaign, HotspotRun, RiskPoint
from tests import images

# small valid files of each accepted type
JPEG = images.JPEG  # real images: the upload validator parses what it accepts
PNG = images.PNG
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name="photo.jpg", content=JPEG, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_hazard(
    station, actor, *, status="open", level="medium", found_days_ago=10, rectify_in_days=20, **kwargs
):
    """A hazard of ``station`` recorded by ``actor``; ``status`` rectified/closed walks it there with
    other users (closing needs a second person)."""
    from tests.factories import UserFactory

    now = timezone.now()
    hazard = services.hazard_create(
        actor=actor,
        station=station,
        title=kwargs.pop("title", "电动车违规充电"),
        category=kwargs.pop("category", "fire"),
        level=level,
        found_at=kwargs.pop("found_at", now - timedelta(days=found_days_ago)),
        rectify_by=kwargs.pop("rectify_by", now + timedelta(days=rectify_in_days)),
        address=kwargs.pop("address", "庵东镇兴业路18号"),
        lat=kwargs.pop("lat", 30.2826),
        lon=kwargs.pop("lon", 121.1862),
        responsible_party=kwargs.pop("responsible_party", "兴业电动车行"),
        **kwargs,
    )
    if status in ("rectified", "closed"):
        hazard = services.hazard_rectify(actor=actor, hazard=hazard, note="已整改")
    if status == "closed":
        closer = UserFactory(role="station_leader", station=station, username=f"closer-{station.code}")
        hazard = services.hazard_close(actor=closer, hazard=hazard, note="核对无误")
    return hazard


def make_risk_point(station, *, status="candidate", **kwargs):
    return RiskPoint.objects.create(
        name=kwargs.pop("name", "庵东镇夜宵街纠纷热点"),
        category=kwargs.pop("category", "dispute"),
        h3_index=kwargs.pop("h3_index", ""),
        station=station,
        lat=kwargs.pop("lat", 30.28),
        lon=kwargs.pop("lon", 121.19),
        gi_z=kwargs.pop("gi_z", 3.2),
        incident_count=kwargs.pop("incident_count", 12),
        status=status,
        **kwargs,
    )


def make_campaign(**kwargs):
    today = timezone.localdate()
    return Campaign.objects.create(
        name=kwargs.pop("name", "夏季治安巡防集中统一行动"),
        starts_on=kwargs.pop("starts_on", today - timedelta(days=30)),
        ends_on=kwargs.pop("ends_on", today + timedelta(days=70)),
        **kwargs,
    )


def incidents_bulk(points, *, station, category="dispute", received_at=None):
    """Synthetic incidents for the hotspot model: only the fields the model reads (bulk, fast)."""
    from incidents.models import Incident

    received_at = received_at or timezone.now() - timedelta(days=3)
    base = Incident.objects.count()
    Incident.objects.bulk_create(
        [
            Incident(
                number=f"T{base + i:08d}",
                station=station,
                category=category,
                received_at=received_at,
                lat=lat,
                lon=lon,
            )
            for i, (lat, lon) in enumerate(points)
        ]
    )


def make_hotspot_run(**kwargs):
    """A finished 28-day run (dispute category) ending today, without cells."""
    today = timezone.localdate()
    return HotspotRun.objects.create(
        category=kwargs.pop("category", "dispute"),
        period_start=kwargs.pop("period_start", today - timedelta(days=27)),
        period_end=kwargs.pop("period_end", today),
        previous_start=kwargs.pop("previous_start", today - timedelta(days=55)),
        previous_end=kwargs.pop("previous_end", today - timedelta(days=28)),
        status=kwargs.pop("status", "done"),
        **kwargs,
    )
