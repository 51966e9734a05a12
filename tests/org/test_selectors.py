"""Station reads that depend on who asks."""

import pytest

from qianwan.org.selectors import stations_in_scope

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["officer", "station_leader"])
def test_station_roles_have_their_own_station_in_scope(make_user, station, other_station, role):
    assert list(stations_in_scope(user=make_user(role=role, station=station))) == [station]


@pytest.mark.parametrize("role", ["bureau_leader", "admin"])
def test_sub_bureau_roles_have_every_station_in_scope(make_user, station, other_station, role):
    assert set(stations_in_scope(user=make_user(role=role))) == {station, other_station}
