import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import ROTATION_PERIOD_DAYS, DutyPost, RotationPeriod


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误。连续失败 5 次将锁定 30 分钟。"),
        "inactive": _("该账号已停用。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


class _DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format="%Y-%m-%dT%H:%M")


class RotationForm(forms.Form):
    """A repeating pattern: who (in order), which post, daily or weekly, from when, how long a shift."""

    name = forms.CharField(label=_("名称"), max_length=100)
    post = forms.ChoiceField(label=_("岗位"), choices=DutyPost.choices)
    period = forms.ChoiceField(label=_("轮换周期"), choices=RotationPeriod.choices)
    starts_on = forms.DateField(label=_("首班日期"), widget=forms.DateInput(attrs={"type": "date"}))
    shift_start = forms.TimeField(
        label=_("交班时间"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    shift_hours = forms.IntegerField(
        label=_("每班时长(小时)"),
        min_value=1,
        max_value=168,
        help_text=_("每日轮换最多24小时，每周轮换最多168小时"),
    )
    ends_on = forms.DateField(
        label=_("结束日期（可选）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    members = forms.CharField(
        label=_("值班人员（按顺序）"),
        help_text=_("按轮换顺序填写用户名，用逗号或空格分隔"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {u.username: u for u in people}

    def clean_members(self):
        names = [n for n in re.split(r"[\s,，、]+", self.cleaned_data["members"]) if n]
        unknown = [n for n in names if n not in self.people]
        if unknown:
            raise forms.ValidationError(
                _("以下用户名不是本值班表可排的人员：%(names)s") % {"names": "、".join(unknown)}
            )
        if not names:
            raise forms.ValidationError(_("至少需要一名值班人员。"))
        return [self.people[n] for n in names]

    def clean(self):
        data = super().clean()
        hours, period = data.get("shift_hours"), data.get("period")
        if hours and period and hours > 24 * ROTATION_PERIOD_DAYS[period]:
            self.add_error("shift_hours", _("每班时长不能超过轮换周期（每日 24 小时，每周 168 小时）。"))
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("结束日期不能早于首班日期。"))
        return data


class OverrideForm(forms.Form):
    """A one-off entry (临时替班): one person on one post for a window."""

    post = forms.ChoiceField(label=_("岗位"), choices=DutyPost.choices)
    person = forms.ModelChoiceField(label=_("值班人员"), queryset=None)
    starts_at = forms.DateTimeField(label=_("开始"), input_formats=DATETIME_FORMATS, widget=_DateTimeLocal())
    ends_at = forms.DateTimeField(label=_("结束"), input_formats=DATETIME_FORMATS, widget=_DateTimeLocal())
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda u: f"{u.display_name}（{u.username}）"


class SwapForm(forms.Form):
    """Two rotation shifts whose holders swap (调班)."""

    first = forms.ChoiceField(label=_("班次一"))
    second = forms.ChoiceField(label=_("班次二"))

    def __init__(self, *args, shifts, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (
                f"{s['rotation'].pk}:{s['k']}",
                f"{s['rotation'].name} {timezone.localtime(s['start']):%m-%d %H:%M}–"
                f"{timezone.localtime(s['end']):%m-%d %H:%M} {s['person'].display_name}",
            )
            for s in shifts
        ]
        self.fields["first"].choices = choices
        self.fields["second"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("first") == data.get("second"):
            self.add_error("second", _("请选择两个不同的班次。"))
        return data
