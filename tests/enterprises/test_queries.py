"""List endpoints and list pages: the number of queries does not grow with the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprises.choices import RequestStatus
from qianwan.org.choices import Role
from tests.factories import enterprise_for

from .factories import (
    AllianceFactory,
    EnterpriseFactory,
    FirstResponseFactory,
    LectureFactory,
    ReferralFactory,
    ServiceRequestFactory,
    VisitFactory,
    WatchCallFactory,
)


def seed(station, n):
    mine = enterprise_for(station)
    for _ in range(n):
        e = EnterpriseFactory(station=station)
        r = ServiceRequestFactory(enterprise=mine, status=RequestStatus.SERVICED)
        VisitFactory(enterprise=mine, request=r)
        ReferralFactory(enterprise=e)
        ReferralFactory(enterprise=mine)
        LectureFactory(station=station, enterprises=[mine, e])
        alliance = AllianceFactory(
            station=station, members=[EnterpriseFactory(station=station) for _ in range(3)]
        )
        WatchCallFactory(alliance=alliance)
        FirstResponseFactory(alliance=alliance)


LISTS = [
    "/api/v1/enterprises/",
    "/api/v1/service-requests/",
    "/api/v1/service-visits/",
    "/api/v1/referrals/",
    "/api/v1/lectures/",
    "/api/v1/alliances/",
    "/api/v1/watch-calls/",
    "/api/v1/first-responses/",
    "/api/v1/service-types/",
    "/api/v1/enterprise-imports/",
]
PAGES = [
    "/enterprises/",
    "/enterprises/registry/",
    "/enterprises/requests/",
    "/enterprises/visits/",
    "/enterprises/referrals/",
    "/enterprises/lectures/",
    "/enterprises/alliances/",
    "/enterprises/responses/",
]


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx)


@pytest.mark.parametrize("url", LISTS)
def test_api_list_queries_do_not_grow(api_as, officer, station, url):
    client = api_as(officer)
    seed(station, 2)
    count(client, url)  # the first call also stamps the token's last use
    few = count(client, url)
    seed(station, 5)
    count(client, url)  # the seeding saved users: the first call reads the token again (qianwan/refcache.py)
    assert count(client, url) == few


@pytest.mark.parametrize("url", PAGES)
def test_pages_queries_do_not_grow(client, officer, station, url):
    client.force_login(officer)
    seed(station, 2)
    few = count(client, url)
    seed(station, 5)
    assert count(client, url) <= few


def test_liaison_portal_queries_do_not_grow(client, make_user, station):
    liaison = make_user(Role.LIAISON, username="lia")
    client.force_login(liaison)
    seed(station, 2)
    few = count(client, "/enterprises/")
    seed(station, 5)
    assert count(client, "/enterprises/") <= few
