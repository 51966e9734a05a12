"""Getis-Ord Gi* on H3 hexagons, computed with numpy (no esda/libpysal in the image).

Why this is the same statistic esda computes
---------------------------------------------
``esda.G_Local(y, w, star=True, transform="B")`` with a libpysal weights object ``w`` whose
neighbours are the H3 k=1 ring of each cell returns ``Zs``, the standardised Gi* of Getis & Ord
(1992) / Ord & Getis (1995). For a study area of ``n`` cells with counts ``x_j`` and binary weights
``w_ij`` (1 for the cell itself and its ring neighbours inside the study area, else 0):

    Gi* = (Σ_j w_ij x_j − x̄ W_i) / ( S · sqrt( (n · S1_i − W_i²) / (n − 1) ) )

with ``W_i = Σ_j w_ij``, ``S1_i = Σ_j w_ij²`` (= ``W_i`` for binary weights), ``x̄`` the mean
count and ``S = sqrt(Σ x_j² / n − x̄²)``. Gi* is already a z-score: under the null hypothesis of
no spatial association it is approximately standard normal, so a cell is a significant hot spot at
the 5 % level (two-sided) when ``z ≥ 1.96`` (a cold spot when ``z ≤ −1.96``), with
``p = erfc(|z| / √2)``. This is exactly what :func:`gi_star` computes:

- binary weights, "star" (the cell itself included, w_ii = 1), no row standardisation;
- neighbours = ``h3.grid_disk(cell, 1)`` (the 6 adjacent hexagons + itself) intersected with the
  study area, so edge cells have W_i < 7, as libpysal would for a ring cut by the study boundary;
- the analytic normal z (esda's ``Zs``/``p_norm``), not esda's conditional permutation
  pseudo-p-values, which would only add sampling noise to the same decision.

The study area is the district outline filled with resolution-9 hexagons plus every cell that had
an incident (and its ring), so empty cells count as zeros — the ordinary Gi* set-up on a lattice.
Sparse counts. When most cells are empty, S is tiny and a single incident lifts its whole ring
above 1.96: the normal approximation behind Gi* needs counts, not isolated points. A cell is
therefore reported hot only when ``z ≥ 1.96`` *and* its ring holds at least
``MIN_RING_INCIDENTS`` incidents (5, the usual floor for treating a count as approximately
normal). With thousands of cells about 5 % are significant by chance alone; this floor, a minimum
own count for candidates and the leader's review keep that noise off the risk-point list.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

import h3
import numpy as np

RESOLUTION = 9
RING = 1
Z_CRITICAL = 1.96
MIN_RING_INCIDENTS = 5


@dataclass(frozen=True)
class CellStat:
    cell: str
    count: int
    z: float
    p: float
    ring_count: int = 0

    @property
    def is_hot(self) -> bool:
        return self.z >= Z_CRITICAL and self.ring_count >= MIN_RING_INCIDENTS


def point_cell(lat: float, lon: float, resolution: int = RESOLUTION) -> str:
    return h3.latlng_to_cell(lat, lon, resolution)


def polygon_cells(ring_latlon: list[tuple[float, float]], resolution: int = RESOLUTION) -> set[str]:
    """H3 cells whose centres fall inside a polygon given as (lat, lon) vertices."""
    return set(h3.polygon_to_cells(h3.LatLngPoly(ring_latlon), resolution))


def study_area(base: Iterable[str], occupied: Iterable[str]) -> list[str]:
    """Cells of the study area: ``base`` plus every occupied cell and its k=1 ring (sorted, stable)."""
    cells = set(base)
    for cell in occupied:
        cells.update(h3.grid_disk(cell, RING))
    return sorted(cells)


def gi_star(cells: list[str], counts: dict[str, int]) -> list[CellStat]:
    """Gi* z-scores and two-sided normal p-values for every cell of ``cells`` (see module doc)."""
    n = len(cells)
    if n < 3:
        return [CellStat(c, counts.get(c, 0), 0.0, 1.0, counts.get(c, 0)) for c in cells]
    index = {c: i for i, c in enumerate(cells)}
    x = np.array([counts.get(c, 0) for c in cells], dtype=float)
    # neighbour lists (self included) as one padded index matrix; -1 = outside the study area
    rows = np.full((n, 7), -1, dtype=np.int64)
    for c, i in index.items():
        ring = [index[d] for d in h3.grid_disk(c, RING) if d in index]
        rows[i, : len(ring)] = ring
    mask = rows >= 0
    neighbour_sum = np.where(mask, x[np.where(mask, rows, 0)], 0.0).sum(axis=1)
    w = mask.sum(axis=1).astype(float)  # W_i = S1_i for binary weights
    mean = x.mean()
    s = math.sqrt(max((x**2).mean() - mean**2, 0.0))
    if s == 0.0:  # all cells equal: no spatial structure to test
        z = np.zeros(n)
    else:
        denom = s * np.sqrt((n * w - w**2) / (n - 1))
        z = np.divide(neighbour_sum - mean * w, denom, out=np.zeros(n), where=denom > 0)
    return [
        CellStat(
            cells[i],
            int(x[i]),
            float(z[i]),
            math.erfc(abs(float(z[i])) / math.sqrt(2)),
            int(neighbour_sum[i]),
        )
        for i in range(n)
    ]


def cell_centre(cell: str) -> tuple[float, float]:
    return h3.cell_to_latlng(cell)


def cell_boundary(cell: str) -> list[tuple[float, float]]:
    return list(h3.cell_to_boundary(cell))
