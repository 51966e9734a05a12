"""Factories for the traffic app. Zones are squares on a 3×3 grid over the district."""

from datetime import timedelta

import factory
from django.utils import timezone

from qianwan.org.choices import Role
from tests.factories import StationFactory, UserFactory
from traffic import services
from traffic.models import Accident, Asset, JointPatrol, Member, Patrol, PatrolZone, Shift, Team

# The district bounding box: lat 30.23–30.38, lon 121.10–121.35 (ADS at 30.2826, 121.1862).
LAT0, LAT1, LON0, LON1 = 30.23, 30.38, 121.10, 121.35


def square(lat0, lon0, lat1, lon1) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


def grid_cell(row: int, col: int) -> dict:
    dlat, dlon = (LAT1 - LAT0) / 3, (LON1 - LON0) / 3
    return square(LAT0 + row * dlat, LON0 + col * dlon, LAT0 + (row + 1) * dlat, LON0 + (col + 1) * dlon)


def make_zone(code="Z11", row=1, col=1, stations=(), name=None) -> PatrolZone:
    """A zone through the service (bounding box, validation). Row 1 / col 1 contains ADS."""
    existing = PatrolZone.objects.filter(code=code).first()
    if existing:
        return existing
    return services.zone_create(
        actor=None,
        code=code,
        name=name or f"{code}巡区",
        polygon=grid_cell(row, col),
        stations=list(stations),
    )


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"第{n}巡逻队")
    kind = "mixed"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"队员{n}")
    kind = "traffic_police"


def team_with_members(station, *, n=2, name=None, with_users=True) -> Team:
    team = TeamFactory(name=name, station=station) if name else TeamFactory(station=station)
    for i in range(n):
        user = (
            UserFactory(role=Role.OFFICER, station=station, username=f"{team.pk}-m{i}")
            if with_users
            else None
        )
        MemberFactory(team=team, user=user, is_leader=i == 0)
    return team


def make_shift(zone, team, *, start=None, hours=8) -> Shift:
    start = start or timezone.now() - timedelta(hours=1)
    return services.shift_create(
        actor=None, zone=zone, team=team, starts_at=start, ends_at=start + timedelta(hours=hours)
    )


def make_asset(zone_station=None, **kwargs) -> Asset:
    defaults = {
        "kind": "camera",
        "code": f"CAM-{Asset.objects.count() + 1:03d}",
        "name": "兴业路口摄像头",
        "road": "兴业路",
        "lat": 30.2826,
        "lon": 121.1862,
        "installed_on": timezone.localdate() - timedelta(days=30),
    }
    defaults.update(kwargs)
    return services.asset_create(actor=None, **defaults)


def make_accident(station, **kwargs) -> Accident:
    defaults = {
        "occurred_at": timezone.now() - timedelta(hours=2),
        "lat": 30.2826,
        "lon": 121.1862,
        "address": "兴业路与滨海大道交叉口",
        "station": station,
    }
    defaults.update(kwargs)
    return services.accident_create(actor=None, **defaults)


def make_patrol(zone, team, **kwargs) -> Patrol:
    start = timezone.now() - timedelta(hours=3)
    defaults = {"kind": "routine", "started_at": start, "ended_at": start + timedelta(hours=2), "officers": 2}
    defaults.update(kwargs)
    return services.patrol_create(actor=None, team=team, zone=zone, **defaults)


def make_joint(station, **kwargs) -> JointPatrol:
    defaults = {
        "date": timezone.localdate(),
        "organisers": "庵东派出所、庵东镇网格中心",
        "location": "兴业路企业路口",
        "grid_workers": 3,
        "enterprise_security": 2,
        "volunteers": 4,
        "police": 1,
    }
    defaults.update(kwargs)
    return services.joint_patrol_create(actor=None, station=station, **defaults)


__all__ = ["StationFactory"]
