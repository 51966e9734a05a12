"""A realistic standard-address register, generated (not copied): for each station, communities and
roads around its headquarters, house numbers along the roads and residential compounds with
buildings, units and rooms. Used by the demo (a few thousand) and by the bench (200,000)."""

import math
import random

from .models import StandardAddress

DISTRICT_NAME = "前湾新区"
TOWNS = {"ADS": "庵东镇", "CSS": "崇寿镇", "SJC": "世纪城街道", "BHS": "滨海街道", "XPS": "新浦镇"}
COMMUNITIES = [
    "海塘村",
    "兴业社区",
    "元祥村",
    "华興村",
    "宏兴社区",
    "六塘南村",
    "傅家路村",
    "大云村",
    "天潮村",
    "滨海社区",
    "世纪城社区",
    "新浦村",
    "水湘村",
    "老浦村",
    "七二三村",
    "高王村",
    "西缪路村",
    "富民社区",
]
ROADS = [
    "兴业路",
    "滨海二路",
    "滨海四路",
    "崇寿大道",
    "新浦路",
    "海港大道",
    "前湾大道",
    "潮涌路",
    "银杏路",
    "水云路",
    "望海路",
    "镇北路",
    "振兴路",
    "工业大道",
    "学府路",
    "文化路",
    "横二路",
    "纬三路",
    "经五路",
    "杭州湾大道",
    "金源路",
    "富民路",
    "三北路",
    "海涂路",
]
COMPOUNDS = [
    "海湾花园",
    "兴业新苑",
    "滨海家园",
    "金湾名邸",
    "湾畔华庭",
    "人才公寓",
    "员工宿舍区",
    "和美小区",
    "锦绣苑",
]


def _in(boundary, lat, lon) -> bool:
    if boundary is None:
        return True
    from shapely.geometry import Point

    return boundary.covers(Point(lon, lat))


def addresses_for(station, count: int, rng: random.Random, *, prefix: str = "", spread: float = 0.03):
    """``count`` unsaved standard addresses around ``station`` (with its code in their codes)."""
    from qianwan import geo

    boundary = geo.geometry_of(station.boundary) if station.boundary else None
    town = TOWNS.get(station.code, station.name.replace("派出所", "") + "镇")
    base_lat, base_lon = station.lat or 30.29, station.lon or 121.23
    roads = rng.sample(ROADS, k=min(len(ROADS), 10))
    communities = rng.sample(COMMUNITIES, k=6)
    # each road: a start point and a direction; numbers run along it, odd on one side, even on the other
    lines = []
    for road in roads:
        for _try in range(20):
            lat0 = base_lat + rng.uniform(-spread, spread)
            lon0 = base_lon + rng.uniform(-spread, spread)
            if _in(boundary, lat0, lon0):
                break
        angle = rng.uniform(0, math.pi)
        lines.append((road, lat0, lon0, math.sin(angle), math.cos(angle), rng.choice(communities)))
    out, serial = [], 0
    while len(out) < count:
        road, lat0, lon0, dlat, dlon, community = rng.choice(lines)
        number = rng.randint(1, 400)
        along = number * 0.00012
        side = 0.00008 if number % 2 else -0.00008
        lat = round(lat0 + dlat * along - dlon * side + rng.uniform(-0.00003, 0.00003), 6)
        lon = round(lon0 + dlon * along + dlat * side + rng.uniform(-0.00003, 0.00003), 6)
        if not _in(boundary, lat, lon):
            continue
        compound = rng.random() < 0.45
        rooms = [("", "", "")]
        if compound:
            building = str(rng.randint(1, 30))
            rooms = [
                (building, str(unit), f"{floor}0{door}")
                for unit in range(1, rng.randint(1, 3) + 1)
                for floor in range(1, rng.randint(2, 6) + 1)
                for door in (1, 2)
            ]
        for building, unit, room in rooms:
            if len(out) >= count:
                break
            serial += 1
            address = StandardAddress(
                code=f"330282{prefix}{station.code}{serial:07d}",
                district=DISTRICT_NAME,
                street=town,
                community=community if not compound else community + rng.choice(COMPOUNDS),
                road=road,
                number=str(number),
                building=building,
                unit=unit,
                room=room,
                lat=lat,
                lon=lon,
                grid=f"{station.code}-WG-{(abs(hash((road, community))) % 24) + 1:02d}",
            )
            address.text = address.compose()
            out.append(address)
    return out


def place_all(addresses, *, station=None) -> None:
    """Station and block for many addresses without a query each (route by boundary, block by H3 cell)."""
    from disputes.geo import cell_for
    from disputes.selectors import block_index
    from qianwan.org import selectors as org_selectors
    from qianwan.org.choices import RoutedBy

    blocks = block_index()
    for address in addresses:
        found, routed_by = org_selectors.route_point(lat=address.lat, lon=address.lon)
        address.station = found if routed_by == RoutedBy.BOUNDARY else station
        block = blocks.get(cell_for(address.lat, address.lon))
        address.block = block if block is not None and block.station_id == address.station_id else None
