"""Where a point falls: H3 cells and block polygons (WGS84)."""

import h3
from shapely.geometry import Point, Polygon

from .models import H3_RESOLUTION


def cell_for(lat: float | None, lon: float | None) -> str:
    if lat is None or lon is None:
        return ""
    return h3.latlng_to_cell(lat, lon, H3_RESOLUTION)


def normalise_cells(cells) -> list[str]:
    """Valid H3 cells at the block resolution (coarser cells are expanded, finer ones raise ValueError)."""
    out: set[str] = set()
    for raw in cells:
        cell = str(raw).strip().lower()
        if not cell:
            continue
        if not h3.is_valid_cell(cell):
            raise ValueError(cell)
        res = h3.get_resolution(cell)
        if res > H3_RESOLUTION:
            out.add(h3.cell_to_parent(cell, H3_RESOLUTION))
        elif res < H3_RESOLUTION:
            out.update(h3.cell_to_children(cell, H3_RESOLUTION))
        else:
            out.add(cell)
    return sorted(out)


def polygon_cells(vertices: list) -> list[str]:
    """Cells whose centre lies in the polygon ([[lat, lon], …]); at least the cell of each vertex so a
    small polygon is never empty."""
    shape = h3.LatLngPoly([(float(lat), float(lon)) for lat, lon in vertices])
    cells = set(h3.polygon_to_cells(shape, H3_RESOLUTION))
    if not cells:
        cells = {h3.latlng_to_cell(float(lat), float(lon), H3_RESOLUTION) for lat, lon in vertices}
    return sorted(cells)


def polygon_contains(vertices: list, lat: float, lon: float) -> bool:
    return Polygon([(float(lo), float(la)) for la, lo in vertices]).covers(Point(lon, lat))


def cell_boundary(cell: str) -> list[tuple[float, float]]:
    return list(h3.cell_to_boundary(cell))
