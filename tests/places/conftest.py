import pytest

from places.models import StandardAddress
from places.services import derive_place
from qianwan.org.models import Station

# a square around each test station's headquarters: the district is their union
ADS_BOX = (121.17, 30.27, 121.20, 30.30)  # min lon, min lat, max lon, max lat
CSS_BOX = (121.12, 30.24, 121.15, 30.26)


def square(box):
    x0, y0, x1, y1 = box
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@pytest.fixture
def bounded(station, other_station):
    """ADS and CSS with boundaries (the district is their union)."""
    Station.objects.filter(pk=station.pk).update(boundary=square(ADS_BOX))
    Station.objects.filter(pk=other_station.pk).update(boundary=square(CSS_BOX))
    from qianwan import refcache

    refcache.clear()
    station.refresh_from_db()
    other_station.refresh_from_db()
    return station, other_station


def make_address(code, road="兴业路", number="12", lat=30.2830, lon=121.1870, **kw):
    address = StandardAddress(
        code=code, district="前湾新区", street="庵东镇", road=road, number=number, lat=lat, lon=lon, **kw
    )
    address.text = address.compose()
    derive_place(address)
    address.save()
    return address


@pytest.fixture
def addresses(bounded):
    return [
        make_address("A001", road="兴业路", number="12"),
        make_address("A002", road="兴业路", number="14", lat=30.2835, lon=121.1875),
        make_address("A003", road="海塘路", number="3", lat=30.2900, lon=121.1800),
        make_address("C001", road="崇寿大道", number="88", lat=30.2500, lon=121.1300),
    ]
