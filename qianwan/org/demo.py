"""Demo organisation: the sub-bureau's stations, one user per role, duty rosters, the exchange partners.

Every demo login uses the password ``DEMO_PASSWORD`` (documented in the README).
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from qianwan.kpi import local_tz

from .choices import Role
from .models import DutyRoster, Station, User
from .services import check_boundary

DEMO_PASSWORD = "Qianwan@2026"  # noqa: S105  (documented demo login, never a real account)

STATIONS = [
    # code, name, address, lat, lon
    ("ADS", "庵东派出所", "前湾新区庵东镇兴业路1号", 30.2826, 121.1862),
    ("CSS", "崇寿派出所", "前湾新区崇寿镇崇寿大道88号", 30.2488, 121.1315),
    ("SJC", "世纪城派出所", "前湾新区世纪城滨海二路66号", 30.3325, 121.2613),
    ("BHS", "滨海派出所", "前湾新区滨海四路8号", 30.3547, 121.2055),
    ("XPS", "新浦派出所", "前湾新区新浦镇新浦路20号", 30.2712, 121.3035),
]

# the district's rectangle (as the traffic zones tile it): the stations' jurisdictions split it
DISTRICT = (121.10, 30.23, 121.35, 30.38)  # min lon, min lat, max lon, max lat


def boundaries() -> dict[str, dict]:
    """Realistic jurisdictions for the demo stations: the Voronoi cells of their headquarters clipped
    to the district rectangle — every point of the district is nearer its own station's HQ, the cells
    tile the rectangle without overlap. Rounded to 6 decimals (≈ 0.1 m); neighbouring cells share the
    very same vertices, so rounding keeps the shared edges shared."""
    from shapely.geometry import MultiPoint, Point, box, mapping
    from shapely.ops import voronoi_diagram

    rect = box(*DISTRICT)
    sites = {code: Point(lon, lat) for code, _n, _a, lat, lon in STATIONS}
    cells = list(voronoi_diagram(MultiPoint(list(sites.values())), envelope=rect).geoms)
    out = {}
    for code, site in sites.items():
        cell = next(c for c in cells if c.covers(site)).intersection(rect)
        ring = [[round(x, 6), round(y, 6)] for x, y in mapping(cell)["coordinates"][0]]
        out[code] = {"type": "Polygon", "coordinates": [ring]}
    return out


# username, full name, role, station code
USERS = [
    ("officer", "王建国", Role.OFFICER, "ADS"),
    ("officer2", "李晓峰", Role.OFFICER, "ADS"),
    ("officer_css", "陈志强", Role.OFFICER, "CSS"),
    ("leader", "张海涛", Role.STATION_LEADER, "ADS"),
    ("leader_css", "周文斌", Role.STATION_LEADER, "CSS"),
    ("bureau", "刘振华", Role.BUREAU_LEADER, None),
    ("grid", "基层治理四平台", Role.GRID_CLIENT, None),
    ("admin", "系统管理员", Role.ADMIN, None),
]


def _user(username, full_name, role, station=None, enterprise=None) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"full_name": full_name, "role": role, "station": station, "enterprise": enterprise},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.is_staff = user.is_superuser = role == Role.ADMIN
        user.save()
    return user


def load() -> str:
    stations = {}
    areas = boundaries()
    for code, name, address, lat, lon in STATIONS:
        stations[code], _ = Station.objects.update_or_create(
            code=code,
            defaults={"name": name, "address": address, "lat": lat, "lon": lon, "boundary": areas[code]},
        )
    for station in stations.values():  # the same validation and no-overlap check as the API's
        check_boundary(station)
    for username, full_name, role, code in USERS:
        _user(username, full_name, role, station=stations.get(code))
    # Duty rosters: the station leaders in 24-hour shifts from 08:00 for the last 7 and next 30 days.
    tz = local_tz()
    today = timezone.localdate()
    for code, username in [("ADS", "leader"), ("CSS", "leader_css"), (None, "bureau")]:
        leader = User.objects.get(username=username)
        for offset in range(-7, 31):
            start = datetime.combine(today + timedelta(days=offset), time(8), tzinfo=tz)
            DutyRoster.objects.get_or_create(
                station=stations.get(code) if code else None,
                leader=leader,
                starts_at=start,
                defaults={"ends_at": start + timedelta(days=1)},
            )
    return f"{len(stations)} stations, {len(USERS)} users"


def reset() -> None:
    DutyRoster.objects.all().delete()
    User.objects.filter(username__in=[u[0] for u in USERS]).delete()
