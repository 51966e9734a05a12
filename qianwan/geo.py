"""Area geometry shared by every app: GeoJSON polygon validation (shapely), point-in-polygon and the
no-overlap check of patrol zones (traffic) and station boundaries (qianwan.org).

Coordinates are WGS84; GeoJSON positions are ``[lon, lat]`` (RFC 7946), records store ``lat``/``lon``.
"""

import math
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

MIN_RING_POSITIONS = 4


def _check_position(pos: Any, where: str) -> None:
    if not isinstance(pos, list | tuple) or len(pos) < 2:
        raise ValidationError(_("%(where)s：每个坐标必须是 [经度, 纬度]。") % {"where": where})
    lon, lat = pos[0], pos[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
        raise ValidationError(_("%(where)s：坐标必须是数字。") % {"where": where})
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValidationError(_("%(where)s：坐标必须是有限数字。") % {"where": where})
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise ValidationError(
            _("%(where)s：坐标 [%(lon)s, %(lat)s] 超出范围；GeoJSON 的顺序是 [经度, 纬度]。")
            % {"where": where, "lon": lon, "lat": lat}
        )


def _check_rings(rings: Any, label: str) -> None:
    if not isinstance(rings, list) or not rings:
        raise ValidationError(_("%(label)s至少需要一个外环。") % {"label": label})
    for index, ring in enumerate(rings):
        where = _("%(label)s第 %(n)s 个环") % {"label": label, "n": index + 1}
        if not isinstance(ring, list) or len(ring) < MIN_RING_POSITIONS:
            raise ValidationError(_("%(where)s至少需要 4 个坐标（首尾相同）。") % {"where": where})
        for pos in ring:
            _check_position(pos, where)
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise ValidationError(_("%(where)s未闭合：首尾坐标必须相同。") % {"where": where})


def validate_polygon(value: Any) -> dict:
    """Validate a GeoJSON Polygon/MultiPolygon (or a Feature holding one); return the geometry.

    Raises ``ValidationError`` with a message a person can act on: wrong type, unclosed ring, too
    few points, out-of-range or swapped coordinates, self-intersection, zero area.
    """
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise ValidationError(_("范围必须是 GeoJSON 对象（Polygon 或 MultiPolygon）。"))
    kind = value.get("type")
    coords = value.get("coordinates")
    if kind == "Polygon":
        _check_rings(coords, _("多边形"))
    elif kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise ValidationError(_("MultiPolygon 至少需要一个多边形。"))
        for index, polygon in enumerate(coords):
            _check_rings(polygon, _("第 %(n)s 个多边形") % {"n": index + 1})
    else:
        raise ValidationError(
            _("范围的类型必须是 Polygon 或 MultiPolygon，而不是 %(kind)s。") % {"kind": kind or "—"}
        )
    try:
        geometry = shape({"type": kind, "coordinates": coords})
    except (ValueError, TypeError, shapely.errors.ShapelyError) as exc:
        raise ValidationError(_("无法解析范围：%(err)s") % {"err": exc}) from exc
    if not geometry.is_valid:
        raise ValidationError(
            _("范围不是有效的多边形（%(why)s），请检查边界是否自相交。") % {"why": explain_validity(geometry)}
        )
    if geometry.area <= 0:
        raise ValidationError(_("范围面积为零。"))
    return {"type": kind, "coordinates": coords}


def geometry_of(geojson: dict):
    return shape(geojson)


def contains(geometry, lat: float, lon: float) -> bool:
    """Point-in-polygon; a point exactly on a boundary belongs to the zone (``covers``)."""
    return geometry.covers(Point(lon, lat))


# a shared edge is not an overlap; ≈ 10 m² in square degrees at this latitude
OVERLAP_MIN_AREA = 1e-9


def overlapping(geometry, others):
    """The keys of ``others`` (an iterable of ``(key, geometry)``) whose area meaningfully overlaps
    ``geometry``; shared borders are fine."""
    return [key for key, other in others if geometry.intersection(other).area > OVERLAP_MIN_AREA]
