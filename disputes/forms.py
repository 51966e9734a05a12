from django import forms
from django.utils.translation import gettext_lazy as _

from places.forms import code_field, place_errors, point_widgets
from qianwan.forms import DateRangeMixin, ScopedStationMixin
from qianwan.org.models import Station
from qianwan.validators import validate_phone

from .choices import Category, Channel, FollowupOutcome, RiskLevel
from .models import VisitKind

DT = {"type": "datetime-local", "step": "1"}
DT_FORMAT = "%Y-%m-%dT%H:%M:%S"


class DisputeForm(forms.Form):
    """The registration form; prefilled from an incident (转为纠纷) or an inbound grid event."""

    station = forms.ModelChoiceField(label=_("派出所"), queryset=Station.objects.filter(is_active=True))
    category = forms.ChoiceField(label=_("纠纷类型"), choices=[("", "—")] + list(Category.choices))
    risk_level = forms.ChoiceField(
        label=_("风险等级"),
        choices=[("", "—")] + list(RiskLevel.choices),
        help_text=_("低→网格员—楼长；中→社工委—调解办；高→多部门长效联动"),
    )
    summary = forms.CharField(label=_("纠纷概要"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("地点"), max_length=300, required=False)
    address_code = code_field()
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    occurred_at = forms.DateTimeField(
        label=_("发生/报警时间"),
        required=False,
        widget=forms.DateTimeInput(format=DT_FORMAT, attrs=DT),
        help_text=_("留空为现在"),
    )
    party1_name = forms.CharField(label=_("当事人甲 姓名"), max_length=100, required=False)
    party1_phone = forms.CharField(
        label=_("当事人甲 电话"), max_length=20, required=False, validators=[validate_phone]
    )
    party2_name = forms.CharField(label=_("当事人乙 姓名"), max_length=100, required=False)
    party2_phone = forms.CharField(
        label=_("当事人乙 电话"), max_length=20, required=False, validators=[validate_phone]
    )
    incident = forms.IntegerField(required=False, widget=forms.HiddenInput)
    inbound = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.station_id:
            self.fields["station"].queryset = Station.objects.filter(pk=user.station_id)
            self.fields["station"].initial = user.station_id
            self.fields["station"].widget = forms.HiddenInput()
        point_widgets(self)

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lat", _("纬度和经度必须同时填写。"))
        else:
            place_errors(self, data)
        return data

    def parties(self) -> list[dict]:
        out = []
        for key, role in (("party1", "applicant"), ("party2", "respondent")):
            name = self.cleaned_data.get(f"{key}_name", "").strip()
            if name:
                out.append({"name": name, "phone": self.cleaned_data.get(f"{key}_phone", ""), "role": role})
        return out


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(forms.Form):
    """结案: an optional note; a station leader closing short of follow-ups gives the approval reason."""

    note = forms.CharField(label=_("结案说明"), required=False, max_length=4000, widget=forms.HiddenInput)
    approval_reason = forms.CharField(
        label=_("批准理由"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("化解进展"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class FollowupForm(forms.Form):
    at = forms.DateTimeField(
        label=_("回访时间"),
        required=False,
        widget=forms.DateTimeInput(format=DT_FORMAT, attrs=DT),
        help_text=_("留空为现在"),
    )
    outcome = forms.ChoiceField(label=_("回访结果"), choices=FollowupOutcome.choices)
    note = forms.CharField(
        label=_("回访情况"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RetriageForm(forms.Form):
    risk_level = forms.ChoiceField(label=_("新风险等级"), choices=RiskLevel.choices)
    channel = forms.ChoiceField(
        label=_("处置机制"), required=False, choices=[("", _("按等级自动"))] + list(Channel.choices)
    )
    reason = forms.CharField(label=_("调整理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class HandlingForm(forms.Form):
    handling_org = forms.CharField(label=_("承办单位"), max_length=100)
    handling_contact = forms.CharField(label=_("联系人"), max_length=50, required=False)
    handling_phone = forms.CharField(
        label=_("联系电话"), max_length=20, required=False, validators=[validate_phone]
    )


class PeriodForm(ScopedStationMixin, DateRangeMixin, forms.Form):
    date_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    station = forms.ModelChoiceField(
        label=_("派出所"), required=False, queryset=Station.objects.none(), empty_label=_("全部")
    )


class CaseFileForm(forms.Form):
    category = forms.ChoiceField(label=_("纠纷类型"), choices=Category.choices)
    block = forms.ModelChoiceField(label=_("片区"), required=False, queryset=None, empty_label=_("全所范围"))
    title = forms.CharField(label=_("档案名称"), max_length=200)
    measures = forms.CharField(label=_("管控措施"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    review_every_days = forms.IntegerField(label=_("复查周期（天）"), min_value=1, max_value=366, initial=30)

    def __init__(self, *args, blocks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["block"].queryset = blocks


class BlockVisitForm(forms.Form):
    """Log a patrol or a visit to a block, with an optional photo."""

    at = forms.DateTimeField(
        label=_("巡访时间"),
        required=False,
        widget=forms.DateTimeInput(format=DT_FORMAT, attrs=DT),
        help_text=_("留空为现在"),
    )
    kind = forms.ChoiceField(label=_("方式"), choices=VisitKind.choices)
    officers = forms.MultipleChoiceField(
        label=_("民警"), required=False, choices=(), widget=forms.CheckboxSelectMultiple
    )
    findings = forms.CharField(
        label=_("发现情况"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=5000)
    photo = forms.FileField(label=_("照片"), required=False, help_text=_("JPEG、PNG 或 PDF，不超过 10 MB"))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officers"].choices = [(u.username, u.display_name) for u in people]
