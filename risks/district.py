"""The district outline (approximate) shared by the map and the hotspot study area."""

import json
from functools import lru_cache

from django.conf import settings

from . import hotspots

OUTLINE_STATIC_PATH = "risks/qianwan-district.geojson"


@lru_cache(maxsize=1)
def outline_geojson() -> dict:
    path = settings.BASE_DIR / "static" / OUTLINE_STATIC_PATH
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def outline_latlon() -> list[tuple[float, float]]:
    ring = outline_geojson()["features"][0]["geometry"]["coordinates"][0]
    return [(lat, lon) for lon, lat in ring]


@lru_cache(maxsize=4)
def cells(resolution: int) -> frozenset[str]:
    return frozenset(hotspots.polygon_cells(outline_latlon(), resolution))
