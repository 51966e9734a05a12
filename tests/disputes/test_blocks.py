"""Blocks (片区): H3 cells or a polygon; disputes and incidents fall into them by location."""

import h3
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from disputes import selectors, services
from disputes.models import BlockCell
from qianwan.audit.models import AuditEntry
from qianwan.org.choices import Role
from tests.disputes.factories import POINT_A, cell
from tests.errors import error_fields

pytestmark = pytest.mark.django_db

SQUARE = [[30.280, 121.180], [30.280, 121.195], [30.290, 121.195], [30.290, 121.180]]


def test_polygon_block_is_stored_as_cells_and_found_exactly(leader, officer):
    block = services.block_save(
        actor=leader, station=leader.station, name="兴业路片区", polygon=SQUARE, officer=officer
    )
    assert BlockCell.objects.filter(block=block).count() > 5
    assert selectors.block_for_point(station=leader.station, lat=30.285, lon=121.19) == block
    assert selectors.block_for_point(station=leader.station, lat=30.35, lon=121.30) is None
    assert selectors.block_for_point(station=leader.station, lat=None, lon=None) is None
    assert AuditEntry.objects.filter(action="disputes.block.save", object_id=str(block.pk)).exists()


def test_cells_block_and_coarser_cells_expand(leader):
    parent = h3.cell_to_parent(cell(*POINT_A), 8)
    block = services.block_save(actor=leader, station=leader.station, name="网格片区", cells=[parent])
    assert BlockCell.objects.filter(block=block).count() == 7
    assert selectors.block_for_point(station=leader.station, lat=POINT_A[0], lon=POINT_A[1]) == block


def test_overlap_and_bad_input_are_rejected(leader, officer, make_user, other_station):
    services.block_save(actor=leader, station=leader.station, name="甲", cells=[cell(*POINT_A)])
    with pytest.raises(ValidationError) as err:
        services.block_save(actor=leader, station=leader.station, name="乙", cells=[cell(*POINT_A)])
    assert "重叠" in str(err.value)
    with pytest.raises(ValidationError):
        services.block_save(actor=leader, station=leader.station, name="丙", cells=["not-a-cell"])
    with pytest.raises(ValidationError):
        services.block_save(actor=leader, station=leader.station, name="丁", polygon=[[30.2, 121.1]])
    with pytest.raises(ValidationError):
        services.block_save(actor=leader, station=leader.station, name="戊", cells=[])
    foreign = make_user(Role.OFFICER, station_=other_station, username="o2")
    with pytest.raises(ValidationError):
        services.block_save(
            actor=leader, station=leader.station, name="己", cells=[cell(30.3, 121.3)], officer=foreign
        )
    with pytest.raises(PermissionDenied):
        services.block_save(actor=officer, station=officer.station, name="庚", cells=[cell(30.3, 121.3)])


def test_block_api_create(api_as, leader, officer):
    body = {"name": "API片区", "polygon": SQUARE, "officer": officer.username}
    response = api_as(leader).post("/api/v1/dispute-blocks/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["officer"] == officer.display_name and response.json()["cells"]
    bad = api_as(leader).post("/api/v1/dispute-blocks/", {"name": "x", "cells": ["zzz"]}, format="json")
    assert bad.status_code == 400 and "cells" in error_fields(bad)
    unknown = api_as(leader).post(
        "/api/v1/dispute-blocks/", {**body, "name": "y", "officer": "ghost"}, format="json"
    )
    assert unknown.status_code == 400 and "officer" in error_fields(unknown)


def test_casefile_links_disputes_of_its_type(leader, officer):
    from tests.disputes.factories import make_dispute

    earlier = make_dispute(officer.station, officer, category="labour")
    case_file = services.casefile_save(
        actor=leader,
        station=leader.station,
        category="labour",
        title="欠薪纠纷档案",
        measures="联合人社所约谈",
    )
    earlier.refresh_from_db()
    assert earlier.case_file == case_file
    later = make_dispute(officer.station, officer, category="labour")
    assert later.case_file == case_file
    assert make_dispute(officer.station, officer, category="family").case_file is None
    with pytest.raises(ValidationError):
        services.casefile_save(actor=leader, station=leader.station, category="labour", title="重复")
    reviewed = services.casefile_review(actor=officer, case_file=case_file, note="措施有效")
    assert reviewed.last_reviewed_on and reviewed.next_review_on > reviewed.last_reviewed_on
    assert selectors.casefile_list(user=officer).get().n_disputes == 2
