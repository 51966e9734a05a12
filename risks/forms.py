"""Forms of the risk pages; they shape input, the services validate and write."""

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from places.forms import code_field, place_errors, point_widgets
from qianwan.forms import DateRangeMixin, ScopedStationMixin
from qianwan.kpi import local_tz
from qianwan.org.models import Station, User
from qianwan.validators import validate_phone

from .choices import HazardCategory, HazardLevel, RiskPointStatus, VenueType, WorkPlanStatus
from .models import RiskPoint

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> needs
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def end_of_day(day):
    return datetime.combine(day, time(23, 59, 59), tzinfo=local_tz())


class HazardForm(forms.Form):
    title = forms.CharField(label=_("隐患名称"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=HazardCategory.choices)
    level = forms.ChoiceField(label=_("等级"), choices=HazardLevel.choices)
    station = forms.ModelChoiceField(label=_("派出所"), queryset=Station.objects.filter(is_active=True))
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    address_code = code_field()
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    found_at = forms.DateTimeField(
        label=_("发现时间"), widget=DATETIME, required=False, help_text=_("留空为当前时间")
    )
    rectify_by = forms.DateField(label=_("整改期限"), widget=DATE)
    responsible_party = forms.CharField(label=_("责任单位/责任人"), max_length=200, required=False)
    responsible_contact = forms.CharField(
        label=_("责任方联系电话"), max_length=30, required=False, validators=[validate_phone]
    )
    responsible_officer = forms.ModelChoiceField(
        label=_("责任民警"), queryset=User.objects.none(), required=False
    )
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    risk_point = forms.ModelChoiceField(
        queryset=RiskPoint.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from .selectors import risk_point_list

        self.fields["risk_point"].queryset = risk_point_list(user=user).filter(
            status=RiskPointStatus.ACCEPTED
        )
        point_widgets(self)
        if not self.is_bound:
            self._start_from_risk_point(str(self.initial.get("risk_point") or ""))
        if user.station_id:
            self.fields["station"].queryset = Station.objects.filter(pk=user.station_id)
            self.fields["station"].initial = user.station_id
            self.fields["responsible_officer"].queryset = User.objects.filter(
                station_id=user.station_id, is_active=True, role__in=["officer", "station_leader"]
            )
        else:
            self.fields["responsible_officer"].queryset = User.objects.filter(
                is_active=True, role__in=["officer", "station_leader"]
            ).select_related("station")

    def _start_from_risk_point(self, point_id: str) -> None:
        """``?risk_point=<id>`` of an accepted point in scope: the new hazard starts at its place."""
        # isascii: "²" and other Unicode digits pass isdigit() but are no number to the database
        wanted = point_id.isascii() and point_id.isdigit()
        point = self.fields["risk_point"].queryset.filter(pk=point_id).first() if wanted else None
        if point is None:
            self.initial.pop("risk_point", None)
            return
        self.initial.update(risk_point=point.pk, lat=point.lat, lon=point.lon, station=point.station_id)

    def clean(self):
        data = super().clean()
        place_errors(self, data)
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("address_code", None)
        data["rectify_by"] = end_of_day(data["rectify_by"])
        return data


class NoteForm(forms.Form):
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("重新打开原因"), widget=forms.Textarea(attrs={"rows": 2}))
    rectify_by = forms.DateField(label=_("新的整改期限"), widget=DATE, required=False)


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("佐证材料（JPEG/PNG/PDF）"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class PeriodForm(ScopedStationMixin, DateRangeMixin, forms.Form):
    date_from = forms.DateField(label=_("发现日期起"), widget=DATE, required=False)
    date_to = forms.DateField(label=_("发现日期止"), widget=DATE, required=False)
    station = forms.ModelChoiceField(
        label=_("派出所"), queryset=Station.objects.none(), required=False, to_field_name="code"
    )


class HotspotRunForm(forms.Form):
    category = forms.ChoiceField(label=_("警情类别"), choices=())
    period_end = forms.DateField(label=_("统计截止日期"), widget=DATE, initial=timezone.localdate)
    days = forms.IntegerField(label=_("统计天数"), min_value=7, max_value=366, initial=28)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from incidents.models import Incident

        self.fields["category"].choices = Incident._meta.get_field("category").choices


class DecisionForm(forms.Form):
    name = forms.CharField(label=_("风险点名称"), max_length=200, required=False)
    note = forms.CharField(label=_("研判意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class WorkPlanForm(forms.Form):
    title = forms.CharField(label=_("方案名称"), max_length=200)
    measures = forms.CharField(label=_("工作措施"), widget=forms.Textarea(attrs={"rows": 5}))
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE, initial=timezone.localdate)
    review_dates = forms.CharField(
        label=_("评估日期"),
        help_text=_("多个日期用逗号或空格分隔，如 2026-07-01, 2026-08-01"),
        max_length=500,
    )
    status = forms.ChoiceField(label=_("状态"), choices=WorkPlanStatus.choices, initial=WorkPlanStatus.ACTIVE)

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True, station=station)

    def clean_review_dates(self):
        from datetime import date

        raw = self.cleaned_data["review_dates"].replace("，", ",").replace(",", " ").split()
        try:
            return [date.fromisoformat(x) for x in raw]
        except ValueError as exc:
            raise forms.ValidationError(_("日期格式应为 YYYY-MM-DD。")) from exc


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("评估意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    status = forms.ChoiceField(
        label=_("方案状态"), choices=[("", "—"), *WorkPlanStatus.choices], required=False
    )


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("行动名称"), max_length=200)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class OperationForm(forms.Form):
    date = forms.DateField(label=_("行动日期"), widget=DATE)
    title = forms.CharField(label=_("行动内容"), max_length=200)
    stations = forms.ModelMultipleChoiceField(
        label=_("参与派出所"), queryset=Station.objects.filter(is_active=True), required=False
    )
    zones = forms.CharField(label=_("巡区/片区"), max_length=300, required=False)
    officers_deployed = forms.IntegerField(label=_("出动警力（人次）"), min_value=0)
    note = forms.CharField(label=_("备注"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.station_id:
            self.fields["stations"].queryset = Station.objects.filter(pk=user.station_id)


class InspectionForm(forms.Form):
    station = forms.ModelChoiceField(label=_("派出所"), queryset=Station.objects.filter(is_active=True))
    venue_name = forms.CharField(label=_("场所名称"), max_length=200)
    venue_type = forms.ChoiceField(label=_("场所类型"), choices=VenueType.choices)
    inspected_on = forms.DateField(label=_("检查日期"), widget=DATE)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    problems = forms.CharField(
        label=_("发现问题"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("每行一个问题"),
    )
    note = forms.CharField(label=_("备注"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.station_id:
            self.fields["station"].queryset = Station.objects.filter(pk=user.station_id)
            self.fields["station"].initial = user.station_id

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["problems"] = [line for line in data["problems"].splitlines() if line.strip()]
        return data


class ViolationsForm(forms.Form):
    station = forms.ModelChoiceField(label=_("派出所"), queryset=Station.objects.filter(is_active=True))
    date = forms.DateField(label=_("日期"), widget=DATE)
    count = forms.IntegerField(label=_("交通违法行为数"), min_value=0)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.station_id:
            self.fields["station"].queryset = Station.objects.filter(pk=user.station_id)
            self.fields["station"].initial = user.station_id


class PromoteForm(forms.Form):
    category = forms.ChoiceField(label=_("隐患类别"), choices=HazardCategory.choices)
    level = forms.ChoiceField(label=_("等级"), choices=HazardLevel.choices)
    rectify_by = forms.DateField(label=_("整改期限"), widget=DATE)
