from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from places.forms import place_errors
from qianwan.exchange.models import Partner
from qianwan.org.choices import STATION_ROLES
from qianwan.org.models import Station, User
from qianwan.validators import validate_phone

from .choices import RECORDABLE_KINDS, Category, ChainTarget, DiversionDirection
from .models import DiversionCategory, DiversionItem


def hotline_choices():
    return [("", "—")] + [(p.code, p.name) for p in Partner.objects.filter(enabled=True, is_hotline=True)]


def catalogue_choices(direction: str = DiversionDirection.TO_12345):
    """The active catalogue items of one direction, grouped by their category (for a <select>)."""
    from . import selectors

    groups: dict[str, list] = {}
    for item in selectors.diversion_catalogue(direction=direction):
        groups.setdefault(item.category.name, []).append((item.pk, item.name))
    return [("", "—")] + list(groups.items())


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M:%S", attrs={"step": "1", **kwargs.pop("attrs", {})}, **kwargs)


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


class CallForm(forms.Form):
    """The call-taking form: in the order the call goes, no mouse needed (Enter submits)."""

    caller_phone = forms.CharField(
        label=_("报警电话"),
        required=False,
        max_length=20,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "off"}),
    )
    # no preselected answer: an untouched call is not stored as 刑事
    category = forms.ChoiceField(
        label=_("警情类别"),
        choices=[("", _("请选择"))] + Category.choices,
        error_messages={"required": _("请选择警情类别。")},
    )
    address = forms.CharField(
        label=_("发生地址"), max_length=300, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    # the standard address picked from the type-ahead (places); empty: the typed text is 未标准化
    address_code = forms.CharField(
        required=False, max_length=40, widget=forms.HiddenInput(attrs={"data-place-code": True})
    )
    description = forms.CharField(
        label=_("简要警情"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    received_at = forms.DateTimeField(
        label=_("接警时间"), input_formats=DATETIME_FORMATS, widget=LocalDateTimeInput()
    )
    station = forms.ModelChoiceField(label=_("派出所"), queryset=Station.objects.filter(is_active=True))
    lat = forms.FloatField(
        label=_("纬度（可选）"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "data-point-lat": True}),
    )
    lon = forms.FloatField(
        label=_("经度（可选）"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "data-point-lon": True}),
    )
    divert_to = forms.ChoiceField(
        label=_("直接分流至"),
        required=False,
        choices=(),
        help_text=_("非警务警情：接警时即转热线，不启动处警计时"),
    )
    catalogue_item = forms.TypedChoiceField(
        label=_("分流目录事项"), required=False, choices=(), coerce=int, empty_value=None
    )

    def clean(self):
        """The service's own checks on what the fields gave, so every error shows on the first submit
        (the service checks again when it writes)."""
        data = super().clean()
        from .services import incident_input_errors

        problems = incident_input_errors(
            received_at=data.get("received_at"),
            lat=data.get("lat"),
            lon=data.get("lon"),
            caller_phone=data.get("caller_phone", ""),
        )
        for field, messages in problems.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages)
        place_errors(self, data)
        if data.get("catalogue_item") and not data.get("divert_to"):
            self.add_error("divert_to", _("选择了分流目录事项时须选择分流去向。"))
        return data

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["divert_to"].choices = hotline_choices()
        self.fields["catalogue_item"].choices = catalogue_choices()
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(microsecond=0))
        if user is not None and user.role in STATION_ROLES:
            self.fields["station"].queryset = Station.objects.filter(pk=user.station_id)
            self.fields["station"].initial = user.station_id
            self.fields["station"].widget = forms.HiddenInput()
        else:  # the command centre may leave it to the jurisdictions: the point decides
            self.fields["station"].required = False
            self.fields["station"].empty_label = _("按坐标自动分派（辖区，区外为最近派出所）")


class EventForm(forms.Form):
    """Record a step (the board's one-click buttons and the detail page)."""

    kind = forms.ChoiceField(label=_("环节"), choices=RECORDABLE_KINDS)
    at = forms.DateTimeField(
        label=_("时间"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=LocalDateTimeInput(),
        help_text=_("留空为当前时间"),
    )
    note = forms.CharField(label=_("备注"), required=False, max_length=2000)
    target = forms.ChoiceField(label=_("分流去向"), required=False, choices=())
    catalogue_item = forms.TypedChoiceField(
        label=_("分流目录事项"), required=False, choices=(), coerce=int, empty_value=None
    )
    supersedes = forms.IntegerField(required=False, widget=forms.HiddenInput())
    officers = forms.MultipleChoiceField(
        label=_("出警民警"),
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("派警、到场时填写；按当前值班排序"),
    )
    unit = forms.CharField(label=_("呼号"), required=False, max_length=40)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = hotline_choices()
        self.fields["catalogue_item"].choices = catalogue_choices()
        # any username is accepted here; the service checks it is an active user of the station
        names = list(people or [])
        submitted = self.data.getlist("officers") if hasattr(self.data, "getlist") else []
        known = {p["username"] for p in names}
        self.fields["officers"].choices = [
            (p["username"], p["name"] + (" ★" if p.get("on_duty") else "")) for p in names
        ] + [(n, n) for n in submitted if n not in known]


class AcceptInboundForm(forms.Form):
    category = forms.ChoiceField(label=_("警情类别"), choices=Category.choices)
    catalogue_item = forms.TypedChoiceField(
        label=_("分流目录事项（12345 → 110）"), required=False, choices=(), coerce=int, empty_value=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["catalogue_item"].choices = catalogue_choices(DiversionDirection.TO_110)


class ChainStepForm(forms.Form):
    """One step of an escalation chain."""

    target = forms.ChoiceField(
        label=_("通知对象"),
        choices=[("", "—")] + list(ChainTarget.choices),
        required=False,
    )
    person = forms.ModelChoiceField(label=_("指定人员"), queryset=None, required=False)
    wait_seconds = forms.IntegerField(label=_("等待(秒)"), initial=0, required=False)
    repeat_times = forms.IntegerField(label=_("重复次数"), initial=0, required=False)
    repeat_every_seconds = forms.IntegerField(label=_("重复间隔(秒)"), initial=0, required=False)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people if people is not None else User.objects.none()
        self.fields["person"].label_from_instance = lambda u: f"{u.display_name}（{u.username}）"

    def clean(self):
        data = super().clean()
        numbers = [data.get(f) for f in ("wait_seconds", "repeat_times", "repeat_every_seconds")]
        blank = not data.get("target") and not data.get("person") and all(not n for n in numbers)
        if blank or data.get("DELETE"):
            return data  # an empty row, or one being removed, is not a step
        if not data.get("target"):
            self.add_error("target", _("每一步必须选择通知对象。"))
        elif data["target"] == ChainTarget.PERSON and not data.get("person"):
            self.add_error("person", _("通知“指定人员”时必须选择人员。"))
        for field in ("wait_seconds", "repeat_times", "repeat_every_seconds"):
            if (data.get(field) or 0) < 0:
                self.add_error(field, _("不能为负数。"))
        if (data.get("repeat_times") or 0) > 10:
            self.add_error("repeat_times", _("重复次数最多 10 次。"))
        if (data.get("repeat_times") or 0) > 0 and (data.get("repeat_every_seconds") or 0) <= 0:
            self.add_error("repeat_every_seconds", _("设置了重复提醒时，重复间隔必须大于0秒。"))
        return data


ChainStepFormSet = forms.formset_factory(ChainStepForm, extra=2, can_delete=True, max_num=10)


class DiversionCategoryForm(forms.ModelForm):
    class Meta:
        model = DiversionCategory
        fields = ["direction", "name", "position", "is_active"]


class DiversionItemForm(forms.ModelForm):
    class Meta:
        model = DiversionItem
        fields = ["category", "name", "description", "keywords", "incident_category", "position", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = DiversionCategory.objects.order_by("direction", "position", "id")
