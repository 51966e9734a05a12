import re

from django import forms
from django.utils.translation import gettext_lazy as _

from places.forms import code_field, place_errors, point_widgets
from qianwan.attachments.forms import photo_field
from qianwan.forms import DateRangeMixin, ScopedFormMixin, ScopedModelChoiceField, ScopedStationMixin
from qianwan.org.choices import STATION_ROLES
from qianwan.org.models import Station

from . import selectors
from .choices import (
    AccidentCause,
    AccidentType,
    AssetKind,
    AssetStatus,
    HandledBy,
    MaintenanceStatus,
    PatrolKind,
    ViolationType,
)
from .models import PatrolZone

DT_FORMAT = "%Y-%m-%dT%H:%M"


def dt_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DT_FORMAT)


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _stations_for(user):
    qs = Station.objects.filter(is_active=True)
    return qs.filter(pk=user.station_id) if user.role in STATION_ROLES else qs


def _zones_for(user):
    qs = PatrolZone.objects.filter(is_active=True)
    return qs.filter(stations=user.station_id) if user.role in STATION_ROLES else qs


class ShiftForm(ScopedFormMixin, forms.Form):
    zone = forms.ModelChoiceField(label=_("巡区"), queryset=PatrolZone.objects.none())
    team = ScopedModelChoiceField(label=_("队伍"), scope=selectors.team_refs)
    starts_at = forms.DateTimeField(label=_("开始"), widget=dt_input())
    ends_at = forms.DateTimeField(label=_("结束"), widget=dt_input())
    note = forms.CharField(label=_("备注"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = _zones_for(self.user)


class PatrolForm(ScopedFormMixin, forms.Form):
    team = ScopedModelChoiceField(label=_("队伍"), scope=selectors.team_refs)
    zone = forms.ModelChoiceField(label=_("巡区"), queryset=PatrolZone.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=PatrolKind.choices)
    started_at = forms.DateTimeField(label=_("开始"), widget=dt_input())
    ended_at = forms.DateTimeField(label=_("结束"), widget=dt_input())
    officers = forms.IntegerField(label=_("出动警力（人次）"), min_value=0, initial=2)
    campaign = ScopedModelChoiceField(
        label=_("专项行动"), scope=selectors.campaign_refs, required=False, help_text=_("专项行动巡逻必选")
    )
    operation = ScopedModelChoiceField(
        label=_("行动批次"),
        scope=selectors.operation_refs,
        required=False,
        help_text=_("属于某次集中行动时选择：警力随该批次计一次"),
    )
    named_officers = forms.CharField(
        label=_("参与民警"),
        required=False,
        max_length=2000,
        help_text=_("本所民警的用户名，以逗号分隔；不多于出动警力"),
    )
    findings = forms.CharField(label=_("发现情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = _zones_for(self.user)
        for value, label in ViolationType.choices:
            self.fields[f"v_{value}"] = forms.IntegerField(
                label=_("查处：%(t)s") % {"t": label}, min_value=0, required=False, initial=0
            )
        self.fields["photo"] = photo_field()

    def violations(self) -> dict:
        return {t: self.cleaned_data.get(f"v_{t}") or 0 for t in ViolationType.values}

    def service_kwargs(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("v_") and k != "photo"}
        data["violations"] = self.violations()
        names = re.split(r"[,，、;；\s]+", data.get("named_officers") or "")
        data["named_officers"] = [n for n in names if n]
        return data


class JointPatrolForm(ScopedFormMixin, forms.Form):
    date = forms.DateField(label=_("日期"), widget=date_input())
    station = forms.ModelChoiceField(label=_("组织派出所"), queryset=Station.objects.none())
    organisers = forms.CharField(label=_("组织单位"), max_length=300)
    location = forms.CharField(label=_("路口/地点"), max_length=200)
    enterprise = ScopedModelChoiceField(label=_("企业"), scope=selectors.enterprise_refs, required=False)
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90, required=False)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180, required=False)
    police = forms.IntegerField(label=_("民警/辅警"), min_value=0, initial=0)
    grid_workers = forms.IntegerField(label=_("网格员"), min_value=0, initial=0)
    enterprise_security = forms.IntegerField(label=_("企业保安"), min_value=0, initial=0)
    volunteers = forms.IntegerField(label=_("志愿者"), min_value=0, initial=0)
    note = forms.CharField(label=_("情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photo = photo_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = _stations_for(self.user)
        self.fields["enterprise"].queryset = self.fields["enterprise"].queryset.order_by("name")
        point_widgets(self)

    def clean(self):
        data = super().clean()
        place_errors(self, data)  # the map pin: a point outside the district is refused with the reason
        data.pop("standard_address", None)
        return data


class AccidentForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("发生时间"), widget=dt_input())
    station = forms.ModelChoiceField(label=_("处理派出所"), queryset=Station.objects.none())
    address = forms.CharField(label=_("地点"), max_length=300)
    address_code = code_field()
    road = forms.CharField(label=_("道路"), max_length=100, required=False)
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)
    type = forms.ChoiceField(
        label=_("事故类型"), choices=[("", _("按伤亡自动判定")), *AccidentType.choices], required=False
    )
    vehicles = forms.IntegerField(label=_("涉事车辆"), min_value=0, initial=1)
    injured = forms.IntegerField(label=_("受伤人数"), min_value=0, initial=0)
    deaths = forms.IntegerField(label=_("死亡人数"), min_value=0, initial=0)
    cause = forms.ChoiceField(label=_("原因"), choices=AccidentCause.choices, initial=AccidentCause.OTHER)
    cause_note = forms.CharField(label=_("原因说明"), max_length=300, required=False)
    handled_by = forms.ChoiceField(label=_("处理单位"), choices=HandledBy.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = _stations_for(user)
        if user.role in STATION_ROLES:
            self.fields["station"].initial = user.station_id
        point_widgets(self)

    def clean(self):
        data = super().clean()
        place_errors(
            self, data
        )  # a standard address gives the point; a point outside the district is refused
        data.pop("address_code", None)
        data.pop("standard_address", None)
        return data


class AssetForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AssetKind.choices)
    code = forms.CharField(label=_("编号"), max_length=32)
    name = forms.CharField(label=_("名称"), max_length=100)
    road = forms.CharField(label=_("道路"), max_length=100)
    lat = forms.FloatField(label=_("纬度"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), min_value=-180, max_value=180)
    status = forms.ChoiceField(label=_("状态"), choices=AssetStatus.choices, initial=AssetStatus.ACTIVE)
    installed_on = forms.DateField(label=_("安装日期"), required=False, widget=date_input())
    maintenance_status = forms.ChoiceField(label=_("维护状态"), choices=MaintenanceStatus.choices)
    last_maintained_on = forms.DateField(label=_("最近维护"), required=False, widget=date_input())
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class AssetMaintenanceForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=AssetStatus.choices)
    maintenance_status = forms.ChoiceField(label=_("维护状态"), choices=MaintenanceStatus.choices)
    last_maintained_on = forms.DateField(label=_("最近维护"), required=False, widget=date_input())


class PeriodForm(ScopedStationMixin, DateRangeMixin, forms.Form):
    date_from = forms.DateField(label=_("开始日期"), widget=date_input())
    date_to = forms.DateField(label=_("结束日期"), widget=date_input())
    station = forms.ModelChoiceField(
        label=_("派出所"), queryset=Station.objects.none(), required=False, empty_label=_("全部")
    )

    def stations_for(self, user):
        return _stations_for(user)
