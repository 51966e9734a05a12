"""Which records may carry attachments, who may see them and who may attach to them.

``visible(kind, user)`` is the caller's scope of that kind of record, from its app's own selector or
scope rule, so a file of a record outside the scope is a 404 and a ``record`` reference outside it a
400, like every reference."""

from django.apps import apps
from django.db.models import QuerySet

from qianwan.org.choices import Role
from qianwan.org.scopes import scope_queryset

from .models import RecordKind

POLICE_ROLES = frozenset({Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN})

# kind → (model label, station lookup, enterprise lookup or None)
RECORDS = {
    RecordKind.INCIDENT: ("incidents.Incident", "station", None),
    RecordKind.PATROL: ("traffic.Patrol", "team__station", None),
    RecordKind.JOINT_PATROL: ("traffic.JointPatrol", "station", None),
    RecordKind.BLOCK_VISIT: ("disputes.BlockVisit", "block__station", None),
    RecordKind.ACCIDENT: ("traffic.Accident", "station", None),
    RecordKind.PROBLEM: ("risks.InspectionProblem", "inspection__station", None),
    RecordKind.FOLLOWUP: ("disputes.Followup", "dispute__station", None),
    RecordKind.SERVICE_VISIT: ("enterprises.ServiceVisit", "enterprise__station", "enterprise"),
    RecordKind.HAZARD: ("risks.Hazard", "station", None),
}


def model_of(kind: str):
    return apps.get_model(RECORDS[kind][0])


def kind_of(obj) -> str | None:
    label = obj._meta.label
    return next((k for k, (m, _s, _e) in RECORDS.items() if m == label), None)


def visible(kind: str, user) -> QuerySet:
    """The records of ``kind`` that ``user`` may see."""
    label, station_field, enterprise_field = RECORDS[kind]
    if kind == RecordKind.PATROL:
        from traffic.selectors import patrol_list

        return patrol_list(user=user)
    if kind == RecordKind.SERVICE_VISIT:
        from enterprises.selectors import visit_list

        return visit_list(user=user)
    return scope_queryset(
        apps.get_model(label).objects.all(),
        user,
        station_field=station_field,
        enterprise_field=enterprise_field,
    )


def may_attach(kind: str, user) -> bool:
    """Anyone who may edit a record may attach to it: police roles on the records of their scope,
    and a liaison on their enterprise's service visits (the record is already known to be visible)."""
    role = getattr(user, "role", None)
    return role in POLICE_ROLES or (role == Role.LIAISON and kind == RecordKind.SERVICE_VISIT)


def parse_ref(ref) -> tuple[str, int] | None:
    """``"kind:ID"`` → (kind, id), or None when it is not one."""
    if not isinstance(ref, str) or ":" not in ref:
        return None
    kind, _sep, raw = ref.strip().partition(":")
    if kind not in RECORDS or not raw.isdigit() or len(raw) > 18:
        return None
    return kind, int(raw)
