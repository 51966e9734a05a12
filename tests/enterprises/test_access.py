"""EndpointAccess for every endpoint of the enterprises app (401 / 403 / 404 by role and scope)."""

import pytest

from enterprises.choices import RequestStatus
from enterprises.models import ImportJob
from qianwan.org.choices import Role
from tests.access import EndpointAccess
from tests.factories import enterprise_for

from .factories import (
    AllianceFactory,
    EnterpriseFactory,
    FirstResponseFactory,
    LectureFactory,
    LecturerTeamFactory,
    ReferralFactory,
    ServiceRequestFactory,
    ServiceTypeFactory,
    VisitFactory,
    WatchCallFactory,
    officer_of,
)

STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
PORTAL = STAFF | {Role.LIAISON}
ADMIN = {Role.ADMIN}
PERIOD = "?from=2026-01-01&to=2026-12-31"


def _alliance(station):
    members = [enterprise_for(station), *[EnterpriseFactory(station=station) for _ in range(9)]]
    return AllianceFactory(station=station, members=members)


def _import_job(station):
    from django.core.files.base import ContentFile

    job = ImportJob(created_by=officer_of(station), station=station, original_name="x.xlsx")
    job.file.save("x.xlsx", ContentFile(b"PK"), save=False)
    job.save()
    return job


def access(method, url, roles, *, make=None, payload=None, detail=True, station_scoped=True):
    attrs = {
        "method": method,
        "detail": detail,
        "allowed_roles": roles,
        "make_record": lambda self, station: make(station) if make else None,
        "url": lambda self, record: url(record),
        "payload": lambda self, record: payload(record) if callable(payload) else payload,
    }
    if not station_scoped:
        attrs["test_other_station_gets_404"] = lambda self: pytest.skip("reference data: not station-scoped")
    return type("Access", (EndpointAccess,), attrs)


# lists
TestEnterpriseList = access("get", lambda r: "/api/v1/enterprises/", PORTAL, detail=False)
TestImportList = access("get", lambda r: "/api/v1/enterprise-imports/", STAFF, detail=False)
TestServiceTypeList = access("get", lambda r: "/api/v1/service-types/", PORTAL, detail=False)
TestTeamList = access("get", lambda r: "/api/v1/lecturer-teams/", PORTAL, detail=False)
TestRequestList = access("get", lambda r: "/api/v1/service-requests/", PORTAL, detail=False)
TestVisitList = access("get", lambda r: "/api/v1/service-visits/", PORTAL, detail=False)
TestReferralList = access("get", lambda r: "/api/v1/referrals/", PORTAL, detail=False)
TestLectureList = access("get", lambda r: "/api/v1/lectures/", PORTAL, detail=False)
TestAllianceList = access("get", lambda r: "/api/v1/alliances/", PORTAL, detail=False)
TestWatchCallList = access("get", lambda r: "/api/v1/watch-calls/", PORTAL, detail=False)
TestResponseList = access("get", lambda r: "/api/v1/first-responses/", PORTAL, detail=False)
TestServiceKpi = access("get", lambda r: "/api/v1/kpis/enterprise-services/" + PERIOD, STAFF, detail=False)
TestWatchKpi = access("get", lambda r: "/api/v1/kpis/watch/" + PERIOD, STAFF, detail=False)

# creates
TestEnterpriseCreate = access("post", lambda r: "/api/v1/enterprises/", STAFF, payload={}, detail=False)
TestImportCreate = access("post", lambda r: "/api/v1/enterprise-imports/", STAFF, payload={}, detail=False)
TestServiceTypeCreate = access("post", lambda r: "/api/v1/service-types/", ADMIN, payload={}, detail=False)
TestTeamCreate = access("post", lambda r: "/api/v1/lecturer-teams/", ADMIN, payload={}, detail=False)
TestRequestCreate = access("post", lambda r: "/api/v1/service-requests/", PORTAL, payload={}, detail=False)
TestVisitCreate = access("post", lambda r: "/api/v1/service-visits/", STAFF, payload={}, detail=False)
TestReferralCreate = access("post", lambda r: "/api/v1/referrals/", STAFF, payload={}, detail=False)
TestLectureCreate = access("post", lambda r: "/api/v1/lectures/", STAFF, payload={}, detail=False)
TestAllianceCreate = access("post", lambda r: "/api/v1/alliances/", STAFF, payload={}, detail=False)
TestResponseCreate = access("post", lambda r: "/api/v1/first-responses/", PORTAL, payload={}, detail=False)


# details and actions
def _request(station):
    return ServiceRequestFactory(enterprise=enterprise_for(station))


TestEnterpriseRetrieve = access("get", lambda r: f"/api/v1/enterprises/{r.pk}/", PORTAL, make=enterprise_for)
TestEnterpriseUpdate = access(
    "patch",
    lambda r: f"/api/v1/enterprises/{r.pk}/",
    STAFF,
    make=enterprise_for,
    payload={"industry": "制造业"},
)
TestImportRetrieve = access("get", lambda r: f"/api/v1/enterprise-imports/{r.pk}/", STAFF, make=_import_job)
TestServiceTypeRetrieve = access(
    "get",
    lambda r: f"/api/v1/service-types/{r.pk}/",
    PORTAL,
    make=lambda s: ServiceTypeFactory(),
    station_scoped=False,
)
TestServiceTypeUpdate = access(
    "patch",
    lambda r: f"/api/v1/service-types/{r.pk}/",
    ADMIN,
    make=lambda s: ServiceTypeFactory(),
    payload={"description": "x"},
    station_scoped=False,
)
TestTeamRetrieve = access(
    "get",
    lambda r: f"/api/v1/lecturer-teams/{r.pk}/",
    PORTAL,
    make=lambda s: LecturerTeamFactory(),
    station_scoped=False,
)
TestTeamUpdate = access(
    "patch",
    lambda r: f"/api/v1/lecturer-teams/{r.pk}/",
    ADMIN,
    make=lambda s: LecturerTeamFactory(),
    payload={"leader_name": "x"},
    station_scoped=False,
)
TestRequestRetrieve = access("get", lambda r: f"/api/v1/service-requests/{r.pk}/", PORTAL, make=_request)
TestRequestAssign = access(
    "post", lambda r: f"/api/v1/service-requests/{r.pk}/assign/", STAFF, make=_request, payload={}
)
TestRequestCancel = access(
    "post", lambda r: f"/api/v1/service-requests/{r.pk}/cancel/", PORTAL, make=_request, payload={}
)
TestRequestFeedback = access(
    "post",
    lambda r: f"/api/v1/service-requests/{r.pk}/feedback/",
    {Role.LIAISON},
    make=lambda s: ServiceRequestFactory(enterprise=enterprise_for(s), status=RequestStatus.SERVICED),
    payload={"satisfied": True, "score": 5},
)
TestVisitRetrieve = access(
    "get",
    lambda r: f"/api/v1/service-visits/{r.pk}/",
    PORTAL,
    make=lambda s: VisitFactory(enterprise=enterprise_for(s)),
)
TestReferralRetrieve = access(
    "get",
    lambda r: f"/api/v1/referrals/{r.pk}/",
    PORTAL,
    make=lambda s: ReferralFactory(enterprise=enterprise_for(s)),
)
TestReferralStatus = access(
    "post",
    lambda r: f"/api/v1/referrals/{r.pk}/status/",
    STAFF,
    make=lambda s: ReferralFactory(enterprise=enterprise_for(s)),
    payload={"status": "accepted"},
)
TestLectureRetrieve = access(
    "get",
    lambda r: f"/api/v1/lectures/{r.pk}/",
    PORTAL,
    make=lambda s: LectureFactory(station=s, enterprises=[enterprise_for(s)]),
)
TestAllianceRetrieve = access("get", lambda r: f"/api/v1/alliances/{r.pk}/", PORTAL, make=_alliance)
TestAllianceUpdate = access(
    "patch", lambda r: f"/api/v1/alliances/{r.pk}/", STAFF, make=_alliance, payload={"area": "新区域"}
)
TestAllianceCall = access(
    "post",
    lambda r: f"/api/v1/alliances/{r.pk}/call/",
    STAFF,
    make=_alliance,
    payload={"place": "路口", "message": "口角"},
)
TestWatchCallRetrieve = access(
    "get",
    lambda r: f"/api/v1/watch-calls/{r.pk}/",
    PORTAL,
    make=lambda s: WatchCallFactory(alliance=_alliance(s)),
)


def _response(station):
    return FirstResponseFactory(alliance=_alliance(station), member=enterprise_for(station))


TestResponseRetrieve = access("get", lambda r: f"/api/v1/first-responses/{r.pk}/", PORTAL, make=_response)
TestResponseConfirm = access(
    "post", lambda r: f"/api/v1/first-responses/{r.pk}/confirm/", STAFF, make=_response, payload={}
)
TestResponseReject = access(
    "post",
    lambda r: f"/api/v1/first-responses/{r.pk}/reject/",
    STAFF,
    make=_response,
    payload={"note": "不实"},
)
