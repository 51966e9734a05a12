"""Forms of the pages; they only shape input, the services validate and write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qianwan.attachments.forms import photo_field
from qianwan.forms import DateRangeMixin, ScopedStationMixin
from qianwan.org.choices import STATION_ROLES
from qianwan.org.models import Station, User
from qianwan.org.scopes import scope_queryset

from . import selectors
from .choices import Partner, ReferralStatus, VisitKind
from .models import Enterprise, LecturerTeam, ServiceType

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _now_local():
    return timezone.localtime().replace(second=0, microsecond=0)


def station_officers(user):
    return scope_queryset(User.objects.filter(role__in=STATION_ROLES, is_active=True), user).order_by(
        "username"
    )


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "kind",
            "name",
            "credit_code",
            "station",
            "address",
            "lat",
            "lon",
            "industry",
            "is_above_size",
            "employee_count",
            "contact_name",
            "contact_phone",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role in STATION_ROLES:
            self.fields["station"].queryset = Station.objects.filter(pk=user.station_id)
            self.fields["station"].initial = user.station_id

    def _post_clean(self):
        # validation (credit-code check character, uniqueness) is the service's; keep the form's to fields
        pass


class ImportForm(ScopedStationMixin, forms.Form):
    file = forms.FileField(
        label=_("Excel 文件（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
    station = forms.ModelChoiceField(
        label=_("默认派出所"),
        queryset=Station.objects.all(),
        required=False,
        help_text=_("“派出所代码”列为空的行归入此所"),
    )


class ServiceRequestForm(forms.Form):
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.none())
    service_type = forms.ModelChoiceField(
        label=_("服务项目"), queryset=ServiceType.objects.filter(is_active=True)
    )
    description = forms.CharField(
        label=_("需求说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    requested_at = forms.DateTimeField(
        label=_("提出时间"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS, initial=_now_local
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.enterprise_id and user.role not in STATION_ROLES:
            del self.fields["enterprise"]
            del self.fields["requested_at"]
        else:
            self.fields["enterprise"].queryset = selectors.enterprise_list(user=user)


class AssignForm(forms.Form):
    officer = forms.ModelChoiceField(label=_("承办民警"), queryset=User.objects.none(), required=False)
    team = forms.ModelChoiceField(
        label=_("承办团队"), queryset=LecturerTeam.objects.filter(is_active=True), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = station_officers(user)


class VisitForm(forms.Form):
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=VisitKind.choices)
    service_type = forms.ModelChoiceField(
        label=_("服务项目"), queryset=ServiceType.objects.all(), required=False
    )
    visited_at = forms.DateTimeField(
        label=_("走访时间"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS, initial=_now_local
    )
    officers = forms.ModelMultipleChoiceField(
        label=_("走访民警"), queryset=User.objects.none(), required=False, help_text=_("不选则为本人")
    )
    summary = forms.CharField(label=_("服务内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, user, for_request=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officers"].queryset = station_officers(user)
        if for_request:
            for name in ("enterprise", "kind", "service_type"):
                del self.fields[name]
        else:
            self.fields["enterprise"].queryset = selectors.enterprise_list(user=user)
            self.fields["photo"] = photo_field()


class FeedbackForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("是否满意"),
        choices=[("1", _("满意")), ("0", _("不满意"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    # no preselected 5★: the liaison picks a score, consistent with 满意/不满意 (the service checks)
    score = forms.TypedChoiceField(
        label=_("评分"),
        choices=[("", _("请选择"))] + [(str(i), f"{i} ★") for i in range(5, 0, -1)],
        coerce=int,
        error_messages={"required": _("请选择评分。")},
        help_text=_("满意为 3–5 星，不满意为 1–3 星。"),
    )
    comment = forms.CharField(
        label=_("评价意见"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReferralForm(forms.Form):
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.none())
    partner = forms.ChoiceField(label=_("联动单位"), choices=Partner.choices)
    summary = forms.CharField(label=_("移送事项"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = selectors.enterprise_list(user=user)


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        choices=[(s, label) for s, label in ReferralStatus.choices if s != ReferralStatus.SENT],
    )
    note = forms.CharField(
        label=_("办理情况"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class LectureForm(forms.Form):
    team = forms.ModelChoiceField(label=_("宣讲团队"), queryset=LecturerTeam.objects.filter(is_active=True))
    enterprises = forms.ModelMultipleChoiceField(label=_("企业"), queryset=Enterprise.objects.none())
    held_on = forms.DateField(label=_("宣讲日期"), widget=DATE_WIDGET, initial=timezone.localdate)
    topic = forms.CharField(label=_("主题"), max_length=200)
    audience_count = forms.IntegerField(label=_("受众人数"), min_value=1, max_value=1_000_000)
    venue = forms.CharField(label=_("地点"), max_length=200, required=False)
    materials = forms.FileField(
        label=_("宣讲材料"),
        required=False,
        help_text=_("PDF、JPG 或 PNG，不超过 10 MB（课件请另存为 PDF）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    materials_note = forms.CharField(label=_("材料说明"), max_length=2000, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprises"].queryset = selectors.enterprise_list(user=user)


class AllianceForm(forms.Form):
    name = forms.CharField(label=_("联盟名称"), max_length=100)
    station = forms.ModelChoiceField(label=_("派出所"), queryset=Station.objects.all())
    area = forms.CharField(label=_("守望区域"), max_length=300)
    members = forms.ModelMultipleChoiceField(
        label=_("成员单位"),
        queryset=Enterprise.objects.none(),
        help_text=_("10–15 家企业或沿街商铺（按住 Ctrl 多选）"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    leader_member = forms.ModelChoiceField(
        label=_("盟主单位"), queryset=Enterprise.objects.none(), required=False
    )
    contacts = forms.CharField(
        label=_("联系人"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一人：姓名,手机号,职责"),
    )
    override_reason = forms.CharField(
        label=_("成员数例外理由"),
        required=False,
        max_length=1000,
        help_text=_("成员不足 10 家或超过 15 家时，由所领导填写"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        enterprises = selectors.enterprise_list(user=user).filter(is_active=True)
        self.fields["members"].queryset = enterprises
        self.fields["leader_member"].queryset = enterprises
        if user.role in STATION_ROLES:
            self.fields["station"].queryset = Station.objects.filter(pk=user.station_id)
            self.fields["station"].initial = user.station_id

    def clean_contacts(self):
        contacts = []
        for line in (self.cleaned_data.get("contacts") or "").splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            contacts.append(
                {
                    "name": parts[0],
                    "phone": parts[1] if len(parts) > 1 else "",
                    "duty": parts[2] if len(parts) > 2 else "",
                }
            )
        return contacts


class WatchCallForm(forms.Form):
    place = forms.CharField(label=_("地点"), max_length=300)
    message = forms.CharField(label=_("情况说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class FirstResponseForm(forms.Form):
    alliance = forms.ModelChoiceField(label=_("联盟"), queryset=None)
    member = forms.ModelChoiceField(label=_("处置成员"), queryset=Enterprise.objects.none())
    occurred_at = forms.DateTimeField(
        label=_("发生时间"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS, initial=_now_local
    )
    police_arrived_at = forms.DateTimeField(
        label=_("民警到场时间"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS, required=False
    )
    place = forms.CharField(label=_("地点"), max_length=300)
    action_taken = forms.CharField(
        label=_("处置经过"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.CharField(label=_("处置结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alliance"].queryset = selectors.alliance_list(user=user)
        if user.role in STATION_ROLES or user.enterprise_id is None:
            self.fields["member"].queryset = selectors.enterprise_list(user=user).filter(
                alliance_membership__isnull=False
            )
        else:
            del self.fields["member"]


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, max_length=2000)


class PeriodForm(ScopedStationMixin, DateRangeMixin, forms.Form):
    date_from = forms.DateField(label=_("起始日期"), widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("截止日期"), widget=DATE_WIDGET)
    station = forms.ModelChoiceField(
        label=_("派出所"), queryset=Station.objects.all(), required=False, empty_label=_("全部")
    )
