"""Disputes test data. Disputes go through the service where the workflow matters; bulk history for
the analysis tests is written directly (it is data, not workflow)."""

import itertools
from datetime import datetime

import h3
from django.utils import timezone

from disputes import services
from disputes.choices import CHANNEL_FOR_LEVEL
from disputes.models import H3_RESOLUTION, Block, BlockCell, Dispute
from qianwan.kpi import local_tz

_seq = itertools.count(1)

# two neighbouring points in Andong (ADS) and their cells
POINT_A = (30.2830, 121.1870)
POINT_B = (30.2900, 121.2000)


def cell(lat, lon) -> str:
    return h3.latlng_to_cell(lat, lon, H3_RESOLUTION)


def make_block(station, name="兴业路片区", *, officer=None, points=(POINT_A,), rings: int = 1) -> Block:
    block = Block.objects.create(station=station, name=name, officer=officer)
    cells = set()
    for lat, lon in points:
        cells.update(h3.grid_disk(cell(lat, lon), rings))
    BlockCell.objects.bulk_create([BlockCell(block=block, cell=c) for c in cells])
    return block


def make_dispute(station, actor, **kwargs) -> Dispute:
    """Through the service: channel, block, case file and timeline as in production."""
    defaults = {
        "category": "neighbour",
        "risk_level": "low",
        "summary": "楼上漏水引发邻里纠纷",
        "address": "兴业路18号",
        "lat": POINT_A[0],
        "lon": POINT_A[1],
        "parties": [{"name": "张三", "phone": "13800001111"}, {"name": "李四", "phone": "13900002222"}],
    }
    defaults.update(kwargs)
    return services.dispute_create(actor=actor, station=station, **defaults)


def handled_dispute(station, actor, *, at=None, **kwargs) -> Dispute:
    dispute = make_dispute(station, actor, occurred_at=kwargs.pop("occurred_at", None) or at, **kwargs)
    return services.dispute_resolve(actor=actor, dispute=dispute, at=at)


def raw_dispute(
    station, occurred_at: datetime, *, block=None, category="neighbour", level="low", **kw
) -> Dispute:
    """A historic row written directly (for counting), with what the analysis reads."""
    n = next(_seq)
    lat, lon = kw.pop("point", POINT_A)
    return Dispute.objects.create(
        number=f"T{n:08d}",
        station=station,
        block=block,
        category=category,
        risk_level=level,
        channel=CHANNEL_FOR_LEVEL[level],
        summary="历史纠纷",
        lat=lat,
        lon=lon,
        h3_cell=cell(lat, lon),
        occurred_at=occurred_at,
        **kw,
    )


def make_incident(station, *, received_at=None, category="dispute", lat=POINT_A[0], lon=POINT_A[1], **kw):
    """An incident row with the base fields only (the incidents app owns its workflow)."""
    from incidents.models import Incident

    n = next(_seq)
    return Incident.objects.create(
        number=kw.pop("number", f"JQ-T{n:07d}"),
        station=station,
        category=category,
        received_at=received_at or timezone.now(),
        address=kw.pop("address", "兴业路18号"),
        lat=lat,
        lon=lon,
        description=kw.pop("description", "报警称与邻居因漏水发生争吵"),
        **kw,
    )


def local(*args) -> datetime:
    return datetime(*args, tzinfo=local_tz())
