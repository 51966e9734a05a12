"""Every reference an API operation accepts, in one reviewed table (issue 16, "scope on every
reference"). The request serializer of every POST/PUT/PATCH operation in ``/api/schema/`` is
walked for writable related fields; each must have a row here, so a new reference field cannot ship
without deciding how it is scoped:

- ``scoped``: a :class:`qianwan.api.fields.ScopedReferenceMixin` field. The probe posts a record of
  another station (CSS) as the ADS station leader and expects the field refused exactly like an id
  that does not exist (same field, same message but for the value echoed).
- ``station``: a station code; acting for another station is the 403 the contract defines.
- ``shared``: sub-bureau-wide reference data every staff member may name (zones, campaigns, the
  service catalogue, lecturer teams, the case library), with the reason.
"""

import pytest
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.plumbing import ComponentRegistry, force_instance
from rest_framework import relations, serializers
from rest_framework.test import APIRequestFactory

from qianwan.api.fields import ScopedReferenceMixin
from qianwan.org.choices import Role
from qianwan.references import not_found_message
from tests.factories import UserFactory, enterprise_for

pytestmark = pytest.mark.django_db

SHARED_ZONE = "patrol zones are the district's shared picture; acting in one is the zone's 403 rule"
SHARED_CAMPAIGN = "campaigns (and their operations) are sub-bureau wide"
SHARED_CATALOGUE = "the service catalogue and lecturer teams are the sub-bureau's reference data"

TABLE = {
    "AccidentSerializer.incident": "scoped",
    "AccidentSerializer.station": "station",
    "AdminStaffSerializer.enterprise": "scoped",
    "AllianceWriteSerializer.leader_member": "scoped",
    "AllianceWriteSerializer.members": "scoped",
    "AllianceWriteSerializer.station": "station",
    "BlockVisitInputSerializer.dispute": "scoped",
    "BlockVisitInputSerializer.hazard": "scoped",
    "DisputeCreateSerializer.incident": "scoped",
    "EmployeeSerializer.enterprise": "scoped",
    "EmployeeSerializer.work_class": "scoped",
    "EnterpriseSerializer.station": "station",
    "EvaluationSubmitSerializer.evaluator": "scoped",
    "FirstResponseCreateSerializer.alliance": "scoped",
    "FirstResponseCreateSerializer.call": "scoped",
    "FirstResponseCreateSerializer.incident": "scoped",
    "FirstResponseCreateSerializer.member": "scoped",
    "HazardCreateSerializer.responsible_officer": "scoped",
    "HazardCreateSerializer.risk_point": "scoped",
    "HazardCreateSerializer.station": "station",
    "ImportUploadSerializer.station": "station",
    "InboundAssignSerializer.station": "station",
    "InspectionCreateSerializer.operation": ("shared", SHARED_CAMPAIGN),
    "InspectionCreateSerializer.station": "station",
    "JointPatrolSerializer.enterprise": "scoped",
    "JointPatrolSerializer.station": "station",
    "LectureCreateSerializer.enterprises": "scoped",
    "LectureCreateSerializer.team": ("shared", SHARED_CATALOGUE),
    "LetterSerializer.enterprise": "scoped",
    "LiaisonGroupSerializer.station": "station",
    "MemberSerializer.team": "scoped",
    "MemberSerializer.user": "scoped",
    "NoticeSerializer.groups": "scoped",
    "OperationSerializer.stations": "station",
    "PatrolSerializer.campaign": ("shared", SHARED_CAMPAIGN),
    "PatrolSerializer.operation": ("shared", SHARED_CAMPAIGN),
    "PatrolSerializer.team": "scoped",
    "PatrolSerializer.zone": ("shared", SHARED_ZONE),
    "ReferralCreateSerializer.enterprise": "scoped",
    "ReferralCreateSerializer.request": "scoped",
    "RosterImportSerializer.enterprise": "scoped",
    "ServiceAssignSerializer.officer": "scoped",
    "ServiceAssignSerializer.team": ("shared", SHARED_CATALOGUE),
    "ServiceRequestCreateSerializer.enterprise": "scoped",
    "ServiceRequestCreateSerializer.service_type": ("shared", SHARED_CATALOGUE),
    "ShiftSerializer.members": "scoped",
    "ShiftSerializer.team": "scoped",
    "ShiftSerializer.zone": ("shared", SHARED_ZONE),
    "StudySessionSerializer.attendees": "scoped",
    "StudySessionSerializer.case": ("shared", "the fraud case library is shared study material"),
    "StudySessionSerializer.speaker": "scoped",
    "StudySessionSerializer.work_class": "scoped",
    "TeamSerializer.home_zone": ("shared", SHARED_ZONE),
    "TeamSerializer.station": "station",
    "VictimSerializer.employee": "scoped",
    "VictimSerializer.enterprise": "scoped",
    "VictimSerializer.incident": "scoped",
    "ViolationsSerializer.station": "station",
    "VisitCreateSerializer.enterprise": "scoped",
    "VisitCreateSerializer.officers": "scoped",
    "VisitCreateSerializer.request": "scoped",
    "VisitCreateSerializer.service_type": ("shared", SHARED_CATALOGUE),
    "WatchCallCreateSerializer.incident": "scoped",
    "WorkClassSerializer.deputy": "scoped",
    "WorkClassSerializer.enterprise": "scoped",
    "WorkClassSerializer.leader": "scoped",
    "WorkClassUpdateSerializer.deputy": "scoped",
    "WorkClassUpdateSerializer.leader": "scoped",
    "WorkPlanCreateSerializer.owner": "scoped",
    "ZoneSerializer.stations": "station",
    "ZoneUpdateSerializer.stations": "station",
}


def reference_fields() -> dict[str, tuple[type, str, serializers.Field]]:
    """``{"Serializer.field": (serializer class, field name, field)}`` for every writable related
    field of every write operation's request serializer (nested serializers included)."""
    generator = SchemaGenerator()
    found = {}
    for path, path_regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if method not in ("POST", "PUT", "PATCH"):
            continue
        view = generator.create_view(callback, method)
        schema = view.schema
        schema.registry, schema.path, schema.path_regex, schema.path_prefix = (
            ComponentRegistry(),
            path,
            path_regex,
            "",
        )
        schema.method = method
        request_serializer = schema.get_request_serializer()
        if isinstance(request_serializer, dict):
            request_serializer = next(iter(request_serializer.values()))
        _walk(force_instance(request_serializer), found)
    return found


def _walk(serializer, found):
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    if not isinstance(serializer, serializers.Serializer):
        return
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        inner = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
        if isinstance(inner, relations.RelatedField):
            found[f"{type(serializer).__name__}.{name}"] = (type(serializer), name, field)
        elif isinstance(field, serializers.BaseSerializer):
            _walk(field, found)


def test_every_reference_field_has_a_row():
    fields = reference_fields()
    missing = sorted(set(fields) - set(TABLE))
    stale = sorted(set(TABLE) - set(fields))
    assert not missing, f"reference fields without a row in {__name__}.TABLE (decide their scope): {missing}"
    assert not stale, f"rows for reference fields that no longer exist: {stale}"
    for key, (_cls, _name, field) in fields.items():
        inner = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
        kind = TABLE[key] if isinstance(TABLE[key], str) else TABLE[key][0]
        if kind == "scoped":
            assert isinstance(inner, ScopedReferenceMixin), f"{key} must be a scoped reference field"
        elif kind == "station":
            assert inner.queryset is not None and inner.queryset.model._meta.label == "org.Station", key


# ---------------------------------------------------------------- another station's records


def _foreign(model_label: str, css):
    """A record of ``model_label`` that belongs to the other station (CSS), and how it is typed."""
    from antifraud.models import Employee, WorkClass
    from qianwan.notify.models import Channel
    from tests.enterprises.factories import AllianceFactory, ServiceRequestFactory, WatchCallFactory
    from tests.incidents.factories import make_incident
    from tests.risks.factories import make_risk_point
    from tests.traffic.factories import team_with_members

    enterprise = enterprise_for(css)
    if model_label == "incidents.Incident":
        return make_incident(css, category="fraud")
    if model_label == "enterprises.Enterprise":
        return enterprise
    if model_label == "antifraud.WorkClass":
        return WorkClass.objects.create(enterprise=enterprise, name="崇寿班组")
    if model_label == "antifraud.Employee":
        work_class = WorkClass.objects.create(enterprise=enterprise, name="崇寿班组")
        return Employee.objects.create(
            enterprise=enterprise,
            work_class=work_class,
            number="E99999",
            name="崇寿员工",
            phone="13900000000",
        )
    if model_label == "notify.Channel":
        return Channel.objects.create(
            name="崇寿联络群", kind="wecom", url="https://example.invalid/hook", station=css,
            broadcast_only=True, kinds=["antifraud.notice"],
        )  # fmt: skip
    if model_label == "enterprises.Alliance":
        return AllianceFactory(station=css, members__n=2)
    if model_label == "enterprises.WatchCall":
        return WatchCallFactory(alliance=AllianceFactory(station=css, members__n=2))
    if model_label == "enterprises.ServiceRequest":
        return ServiceRequestFactory(enterprise=enterprise)
    if model_label == "org.User":
        return UserFactory(username="css-officer", role=Role.OFFICER, station=css)
    if model_label == "traffic.Team":
        return team_with_members(css, name="崇寿一队")
    if model_label == "traffic.Member":
        return team_with_members(css, name="崇寿二队").members.first()
    if model_label == "risks.RiskPoint":
        return make_risk_point(css)
    if model_label == "risks.Hazard":
        from tests.risks.factories import make_hazard

        return make_hazard(css, UserFactory(username="css-hazard", role=Role.OFFICER, station=css))
    if model_label == "disputes.Dispute":
        from django.utils import timezone

        from disputes.models import Dispute

        return Dispute.objects.create(
            station=css, number="JF-CSS-1", category="neighbour", risk_level="low",
            channel="grid_building", summary="崇寿纠纷", occurred_at=timezone.now(),
        )  # fmt: skip
    raise AssertionError(f"no builder of another station's {model_label}: add one to _foreign")


SCOPED = sorted(k for k, v in TABLE.items() if v == "scoped")


@pytest.mark.parametrize("key", SCOPED)
def test_another_stations_record_is_refused_like_a_missing_one(key, make_user, other_station):
    cls, name, _ = reference_fields()[key]
    actor = make_user(Role.STATION_LEADER, username="ads-leader")
    request = APIRequestFactory().post("/")
    request.user = actor

    def errors_for(value):
        serializer = cls(data={name: value}, context={"request": request})
        field = serializer.fields[name]
        if isinstance(field, relations.ManyRelatedField):
            value = [value]
            serializer = cls(data={name: value}, context={"request": request})
        assert not serializer.is_valid()
        return serializer.errors.get(name), field

    probe_field = cls(context={"request": request}).fields[name]
    inner = probe_field.child_relation if isinstance(probe_field, relations.ManyRelatedField) else probe_field
    model = inner.scope(user=actor).model
    record = _foreign(model._meta.label, other_station)
    slug = getattr(inner, "slug_field", None)
    value = getattr(record, slug) if slug else record.pk
    missing_value = "no-such-record" if slug else 999999

    errors, _ = errors_for(value)
    missing_errors, _ = errors_for(missing_value)
    assert errors, f"{key}: another station's {model._meta.label} {value!r} was accepted"
    assert [str(m) for m in _flat(missing_errors)] == [not_found_message(missing_value)], key
    expected = [str(m).replace(str(missing_value), str(value)) for m in _flat(missing_errors)]
    assert [str(m) for m in _flat(errors)] == expected, key
    assert model.objects.filter(pk=record.pk).exists()


def _flat(errors):
    if isinstance(errors, dict):  # a many field reports by index
        return [m for v in errors.values() for m in v]
    return list(errors)
