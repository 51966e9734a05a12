"""Every reference a page form offers, in one reviewed table (issue 16, "HTML forms offer only
in-scope choices"). Each ModelChoiceField of the project's forms needs a row:

- ``scoped``: a :class:`qianwan.forms.ScopedModelChoiceField` (choices from the field's scope and the
  form's user; another record is refused like a missing one);
- ``per_user``: the form sets the choices from its user in ``__init__``; the class-level queryset
  must be empty, so a form that forgets offers nothing rather than everything;
- ``station``: a station choice (acting for another station is the 403 rule; forms limit it by role);
- ``shared``: sub-bureau-wide reference data (lecturer teams, the service catalogue), with a reason.

A field whose class-level choices are a whole table is exactly the hole issue 16 found (“the HTML
forms offer every team”): it fails here unless it is a station or shared reference data.
"""

import importlib
import inspect
from pathlib import Path

from django import forms
from django.apps import apps

from qianwan.forms import ScopedModelChoiceField, ScopedModelMultipleChoiceField

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("shared", "the sub-bureau's catalogue: every staff member may choose any entry")

TABLE = {
    "antifraud.forms.EmployeeForm.work_class": "per_user",
    "antifraud.forms.LiaisonGroupForm.station": "station",
    "antifraud.forms.MonthStationForm.station": "station",
    "antifraud.forms.NoticeForm.groups": "per_user",
    "antifraud.forms.SessionForm.attendees": "per_user",
    "antifraud.forms.SessionForm.case": "per_user",
    "antifraud.forms.SessionForm.speaker": "per_user",
    "antifraud.forms.VictimForm.enterprise": "per_user",
    "antifraud.forms.VictimForm.incident": "per_user",
    "antifraud.forms.WorkClassEditForm.deputy": "per_user",
    "antifraud.forms.WorkClassEditForm.leader": "per_user",
    "disputes.forms.CaseFileForm.block": "per_user",
    "disputes.forms.DisputeForm.station": "station",
    "disputes.forms.PeriodForm.station": "station",
    "enterprises.forms.AllianceForm.leader_member": "per_user",
    "enterprises.forms.AllianceForm.members": "per_user",
    "enterprises.forms.AllianceForm.station": "station",
    "enterprises.forms.AssignForm.officer": "per_user",
    "enterprises.forms.AssignForm.team": SHARED,
    "enterprises.forms.EnterpriseForm.station": "station",
    "enterprises.forms.FirstResponseForm.alliance": "per_user",
    "enterprises.forms.FirstResponseForm.member": "per_user",
    "enterprises.forms.ImportForm.station": "station",
    "enterprises.forms.LectureForm.enterprises": "per_user",
    "enterprises.forms.LectureForm.team": SHARED,
    "enterprises.forms.PeriodForm.station": "station",
    "enterprises.forms.ReferralForm.enterprise": "per_user",
    "enterprises.forms.ServiceRequestForm.enterprise": "per_user",
    "enterprises.forms.ServiceRequestForm.service_type": SHARED,
    "enterprises.forms.VisitForm.enterprise": "per_user",
    "enterprises.forms.VisitForm.officers": "per_user",
    "enterprises.forms.VisitForm.service_type": SHARED,
    "incidents.forms.CallForm.station": "station",
    "incidents.forms.ChainStepForm.person": "per_user",
    "incidents.forms.DiversionItemForm.category": (
        "shared",
        "the sub-bureau's diversion catalogue, edited by bureau leaders and admins only",
    ),
    "qianwan.notify.forms.ChannelForm.station": "station",
    "qianwan.org.forms.OverrideForm.person": "per_user",
    "risks.forms.HazardForm.responsible_officer": "per_user",
    "risks.forms.HazardForm.risk_point": "per_user",
    "risks.forms.HazardForm.station": "station",
    "risks.forms.InspectionForm.station": "station",
    "risks.forms.OperationForm.stations": "station",
    "risks.forms.PeriodForm.station": "station",
    "risks.forms.ViolationsForm.station": "station",
    "risks.forms.WorkPlanForm.owner": "per_user",
    "traffic.forms.AccidentForm.station": "station",
    "traffic.forms.JointPatrolForm.enterprise": "scoped",
    "traffic.forms.JointPatrolForm.station": "station",
    "traffic.forms.PatrolForm.campaign": "scoped",
    "traffic.forms.PatrolForm.operation": "scoped",
    "traffic.forms.PatrolForm.team": "scoped",
    "traffic.forms.PatrolForm.zone": "per_user",
    "traffic.forms.PeriodForm.station": "station",
    "traffic.forms.ShiftForm.team": "scoped",
    "traffic.forms.ShiftForm.zone": "per_user",
}


def form_reference_fields() -> dict:
    found = {}
    for app in apps.get_app_configs():
        path = Path(app.path).resolve()
        # the project's own apps only (CI's virtualenv lives inside the checkout: not its packages)
        if not path.is_relative_to(ROOT) or "site-packages" in path.parts:
            continue
        try:
            module = importlib.import_module(f"{app.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != module.__name__:
                continue
            for field_name, field in cls.base_fields.items():
                if isinstance(field, forms.ModelChoiceField):
                    found[f"{module.__name__}.{name}.{field_name}"] = field
    return found


def test_every_form_reference_has_a_row():
    fields = form_reference_fields()
    missing = sorted(set(fields) - set(TABLE))
    stale = sorted(set(TABLE) - set(fields))
    assert not missing, f"form reference fields without a row in {__name__}.TABLE: {missing}"
    assert not stale, f"rows for form fields that no longer exist: {stale}"
    for key, field in fields.items():
        kind = TABLE[key] if isinstance(TABLE[key], str) else TABLE[key][0]
        queryset = field.queryset
        if kind == "scoped":
            assert isinstance(field, ScopedModelChoiceField | ScopedModelMultipleChoiceField), key
        elif kind == "per_user":
            assert queryset is None or queryset.query.is_empty(), (
                f"{key}: offers a whole table until __init__ narrows it; start from .none()"
            )
        elif kind == "station":
            assert queryset is None or queryset.model._meta.label == "org.Station", key
        else:
            assert queryset is not None and queryset.model._meta.label in (
                "enterprises.LecturerTeam",
                "enterprises.ServiceType",
                "incidents.DiversionCategory",
            ), key
