"""Geometry helpers of the traffic app: distances and bounding boxes. Polygon validation, point-in-polygon
and the overlap check are shared with station boundaries and live in qianwan/geo.py.

Coordinates are WGS84; GeoJSON positions are ``[lon, lat]`` (RFC 7946), records store ``lat``/``lon``.
"""

import math

from qianwan.geo import contains, geometry_of, overlapping, validate_polygon

__all__ = ["bbox_around", "contains", "geometry_of", "haversine_m", "overlapping", "validate_polygon"]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    rlat1, rlat2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = rlat2 - rlat1, math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rlat1) * math.cos(rlat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371000.0 * math.asin(math.sqrt(a))


def bbox_around(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a square that contains the circle (an index-friendly pre-filter)."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 1e-6))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
