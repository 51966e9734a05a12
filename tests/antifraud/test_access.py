"""EndpointAccess for every anti-fraud endpoint: 401 anonymous, 403 wrong role, 404 other scope."""

from datetime import date

import pytest

from antifraud import services
from antifraud.models import AdminStaff, FraudNotice, ResponsibilityLetter, RosterImport
from qianwan.notify.models import Channel
from tests.access import EndpointAccess
from tests.factories import enterprise_for

from .factories import (
    EmployeeFactory,
    FraudCaseFactory,
    PairingFactory,
    RoundFactory,
    SessionFactory,
    StandardFactory,
    VictimFactory,
    WorkClassFactory,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/antifraud"
STAFF = {"officer", "station_leader", "bureau_leader", "admin"}
READ = STAFF | {"liaison"}
MANAGE = {"liaison", "officer", "station_leader", "admin"}
DISTRICT = {"bureau_leader", "admin"}


class DistrictWide(EndpointAccess):
    """Reference data shared by every station (case library, standards, rounds): no other-station 404."""

    def test_other_station_gets_404(self, *args, **kwargs):
        pytest.skip("district-wide reference data")


def _class(station):
    return WorkClassFactory(enterprise=enterprise_for(station))


# ---- structure


class TestAdminStaffList(EndpointAccess):
    detail = False
    allowed_roles = READ

    def url(self, record):
        return f"{API}/admin-staff/"


class TestAdminStaffCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = MANAGE

    def make_record(self, station):
        return enterprise_for(station)

    def url(self, record):
        return f"{API}/admin-staff/"

    def payload(self, record):
        return {"enterprise": record.pk, "name": "张总", "position": "副总经理"}


class TestAdminStaffDetail(EndpointAccess):
    allowed_roles = READ

    def make_record(self, station):
        return AdminStaff.objects.create(enterprise=enterprise_for(station), name="张总")

    def url(self, record):
        return f"{API}/admin-staff/{record.pk}/"


class TestClassList(EndpointAccess):
    detail = False
    allowed_roles = READ

    def url(self, record):
        return f"{API}/classes/"


class TestClassCreate(TestAdminStaffCreate):
    def url(self, record):
        return f"{API}/classes/"

    def payload(self, record):
        return {"enterprise": record.pk, "name": "新班组"}


class TestClassDetail(EndpointAccess):
    allowed_roles = READ

    def make_record(self, station):
        return _class(station)

    def url(self, record):
        return f"{API}/classes/{record.pk}/"


class TestClassUpdate(TestClassDetail):
    method = "patch"
    allowed_roles = MANAGE

    def payload(self, record):
        return {"name": "改名班组"}


class TestEmployeeList(TestClassList):
    def url(self, record):
        return f"{API}/employees/"


class TestEmployeeCreate(TestAdminStaffCreate):
    def url(self, record):
        return f"{API}/employees/"

    def payload(self, record):
        return {"enterprise": record.pk, "name": "新员工", "number": "N1", "phone": "13911112222"}


class TestEmployeeDetail(TestClassDetail):
    def make_record(self, station):
        return EmployeeFactory(work_class=_class(station))

    def url(self, record):
        return f"{API}/employees/{record.pk}/"


class TestRosterImportList(TestClassList):
    def url(self, record):
        return f"{API}/roster-imports/"


class TestRosterImportCreate(TestAdminStaffCreate):
    def url(self, record):
        return f"{API}/roster-imports/"

    def payload(self, record):
        return {"enterprise": record.pk}  # no file: 400 for the allowed roles


class TestRosterImportDetail(TestClassDetail):
    def make_record(self, station):
        return RosterImport.objects.create(enterprise=enterprise_for(station), file="x.xlsx")

    def url(self, record):
        return f"{API}/roster-imports/{record.pk}/"


# ---- case library, sessions


class TestCaseList(TestClassList):
    def url(self, record):
        return f"{API}/cases/"


class TestCaseCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return f"{API}/cases/"

    def payload(self, record):
        return {"title": "冒充客服退款", "fraud_type": "impersonate_service", "lesson": "官方不会要求转账"}


class TestCaseDetail(DistrictWide):
    allowed_roles = READ

    def make_record(self, station):
        return FraudCaseFactory()

    def url(self, record):
        return f"{API}/cases/{record.pk}/"


class TestCaseUpdate(TestCaseDetail):
    method = "patch"
    allowed_roles = STAFF

    def payload(self, record):
        return {"lesson": "新的防范要点"}


class TestSessionList(TestClassList):
    def url(self, record):
        return f"{API}/sessions/"


class TestSessionCoverage(TestClassList):
    def url(self, record):
        return f"{API}/sessions/coverage/?month=2026-05"


class TestSessionCreate(TestAdminStaffCreate):
    def make_record(self, station):
        return EmployeeFactory(work_class=_class(station))

    def url(self, record):
        return f"{API}/sessions/"

    def payload(self, record):
        return {
            "work_class": record.work_class_id,
            "held_on": "2026-01-05",
            "kind": "class_study",
            "attendees": [record.pk],
        }


class TestSessionDetail(TestClassDetail):
    def make_record(self, station):
        return SessionFactory(work_class=_class(station))

    def url(self, record):
        return f"{API}/sessions/{record.pk}/"


# ---- standards, rounds, evaluations


class TestStandardList(TestClassList):
    def url(self, record):
        return f"{API}/standards/"


class TestStandardCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = DISTRICT

    def url(self, record):
        return f"{API}/standards/"

    def payload(self, record):
        return {
            "name": "2027版",
            "effective_from": "2027-01-01",
            "criteria": [{"name": "学习", "weight": "50", "max_score": "10"}],
        }


class TestStandardDetail(DistrictWide):
    allowed_roles = READ

    def make_record(self, station):
        return StandardFactory()

    def url(self, record):
        return f"{API}/standards/{record.pk}/"


class TestRoundList(TestClassList):
    def url(self, record):
        return f"{API}/rounds/"


class TestRoundDetail(DistrictWide):
    allowed_roles = READ

    def make_record(self, station):
        return RoundFactory()

    def url(self, record):
        return f"{API}/rounds/{record.pk}/"


class TestRoundClose(TestRoundDetail):
    method = "post"
    allowed_roles = DISTRICT

    def url(self, record):
        return f"{API}/rounds/{record.pk}/close/"


class TestRoundOpen(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = DISTRICT

    def url(self, record):
        return f"{API}/rounds/open/"

    def payload(self, record):
        return {"month": "2026-05"}


class TestEvaluationList(TestClassList):
    def url(self, record):
        return f"{API}/evaluations/"


class TestEvaluationRanking(TestClassList):
    def url(self, record):
        return f"{API}/evaluations/ranking/?month=2026-05"


class TestEvaluationTrend(TestClassList):
    def url(self, record):
        return f"{API}/evaluations/trend/?month=2026-05&months=3"


class TestEvaluationDetail(TestClassDetail):
    def make_record(self, station):
        return PairingFactory(evaluator=_class(station))

    def url(self, record):
        return f"{API}/evaluations/{record.pk}/"


class TestEvaluationSubmit(TestAdminStaffCreate):
    def make_record(self, station):
        pairing = PairingFactory(evaluator=_class(station))
        pairing.criteria = list(pairing.round.standard.criteria.all())
        return pairing

    def url(self, record):
        return f"{API}/evaluations/"

    def payload(self, record):
        return {
            "month": "2026-05",
            "evaluator": record.evaluator_id,
            "evaluated": record.evaluated_id,
            "scores": [{"criterion": c.pk, "score": "1"} for c in record.criteria],
        }


# ---- letters, liaison groups, notices


class TestLetterList(TestClassList):
    def url(self, record):
        return f"{API}/letters/"


class TestLetterMissing(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return f"{API}/letters/missing/"


class TestLetterCreate(TestAdminStaffCreate):
    def url(self, record):
        return f"{API}/letters/"

    def payload(self, record):
        return {
            "enterprise": record.pk,
            "signatory": "甲",
            "signed_on": "2026-01-01",
            "valid_until": "2026-12-31",
        }


class TestLetterDetail(TestClassDetail):
    def make_record(self, station):
        return ResponsibilityLetter.objects.create(
            enterprise=enterprise_for(station),
            signatory="甲",
            signed_on=date(2026, 1, 1),
            valid_until=date(2026, 12, 31),
            file="x.pdf",
        )

    def url(self, record):
        return f"{API}/letters/{record.pk}/"


def _group(station):
    return Channel.objects.create(
        name=f"{station.code}群",
        kind="wecom",
        url="http://127.0.0.1:9/x",
        station=station,
        broadcast_only=True,
        kinds=[services.NOTICE_KIND],
    )


class TestLiaisonGroupList(EndpointAccess):
    detail = False
    allowed_roles = STAFF

    def url(self, record):
        return f"{API}/liaison-groups/"


class TestLiaisonGroupCreate(TestLiaisonGroupList):
    method = "post"

    def payload(self, record):
        return {"name": "群", "kind": "wecom", "url": "http://127.0.0.1:9/x", "station": "ADS"}


class TestLiaisonGroupDetail(EndpointAccess):
    allowed_roles = STAFF

    def make_record(self, station):
        return _group(station)

    def url(self, record):
        return f"{API}/liaison-groups/{record.pk}/"


class TestNoticeList(TestLiaisonGroupList):
    def url(self, record):
        return f"{API}/notices/"


class TestNoticeCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = STAFF

    def make_record(self, station):
        return _group(station)

    def url(self, record):
        return f"{API}/notices/"

    def payload(self, record):
        return {"title": "预警", "body": "内容", "fraud_type": "brushing", "groups": [record.pk]}


class TestNoticeDetail(TestLiaisonGroupDetail):
    def make_record(self, station):
        notice = FraudNotice.objects.create(station=station, title="t", body="b", fraud_type="brushing")
        notice.groups.set([_group(station)])
        return notice

    def url(self, record):
        return f"{API}/notices/{record.pk}/"


# ---- victims


class TestVictimList(TestLiaisonGroupList):
    def url(self, record):
        return f"{API}/victims/"


class TestVictimKpis(TestLiaisonGroupList):
    def url(self, record):
        return f"{API}/victims/kpis/?from=2026-01-01&to=2026-05-31"


class TestVictimCreate(EndpointAccess):
    method = "post"
    detail = False
    allowed_roles = STAFF

    def make_record(self, station):
        return enterprise_for(station)

    def url(self, record):
        return f"{API}/victims/"

    def payload(self, record):
        return {
            "enterprise": record.pk,
            "name": "张三",
            "occurred_on": "2026-01-05",
            "fraud_type": "brushing",
            "amount_lost": "100",
        }


class TestVictimDetail(TestLiaisonGroupDetail):
    def make_record(self, station):
        return VictimFactory(enterprise=enterprise_for(station))

    def url(self, record):
        return f"{API}/victims/{record.pk}/"


# ---- list query counts do not grow with rows


@pytest.mark.parametrize(
    "path", ["classes", "employees", "sessions", "evaluations", "letters", "victims", "notices", "rounds"]
)
def test_list_query_count_is_flat(path, api_as, admin_user, station, django_assert_max_num_queries):
    client = api_as(admin_user)
    ent = enterprise_for(station)
    standard = StandardFactory()

    def grow(n):
        for i in range(n):
            wc = WorkClassFactory(enterprise=ent)
            employee = EmployeeFactory(work_class=wc)
            session = SessionFactory(work_class=wc)
            session.attendees.add(employee)
            round_ = RoundFactory(month=date(2020 + len(str(i)) + i, 1, 1), standard=standard)
            PairingFactory(round=round_, evaluator=wc, evaluated=WorkClassFactory(enterprise=ent))
            ResponsibilityLetter.objects.create(
                enterprise=ent,
                signatory="甲",
                signed_on=date(2026, 1, 1),
                valid_until=date(2026, 12, 31),
                file="x.pdf",
            )
            VictimFactory(enterprise=ent)
            notice = FraudNotice.objects.create(station=station, title="t", body="b", fraud_type="brushing")
            notice.groups.set([_group(station)])

    grow(1)
    with django_assert_max_num_queries(12) as ctx:
        client.get(f"{API}/{path}/")
    few = len(ctx.captured_queries)
    grow(5)
    with django_assert_max_num_queries(few):
        response = client.get(f"{API}/{path}/")
    assert response.status_code == 200 and response.json()["count"] >= 5
