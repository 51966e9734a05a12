"""Forms of the anti-fraud pages; querysets are always narrowed to the user's scope by the view."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qianwan.egress import validate_url
from qianwan.forms import ScopedStationMixin
from qianwan.notify.choices import ChannelKind
from qianwan.org.models import Station

from . import services
from .choices import FraudType, SessionKind
from .models import Employee, FraudCase, WorkClass


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # what <input type=date> takes, in any language
        super().__init__(attrs, format)


class MonthForm(forms.Form):
    """A page's ``?month=YYYY-MM`` (empty: this month); bad input is an error on the field."""

    month = forms.CharField(label=_("月份"), required=False)

    def clean_month(self):
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        try:
            return services.parse_month(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


class MonthStationForm(ScopedStationMixin, MonthForm):
    """``?month=`` and ``?station=CODE``; only the stations the user may see are valid."""

    station = forms.ModelChoiceField(
        label=_("派出所"),
        queryset=Station.objects.none(),
        required=False,
        to_field_name="code",
        error_messages={"invalid_choice": _("派出所代码“%(value)s”不存在或不在您的管辖范围内。")},
    )


class AdminStaffForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    position = forms.CharField(label=_("职务"), max_length=100, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)


class WorkClassForm(forms.Form):
    name = forms.CharField(label=_("班组名称"), max_length=100)


class WorkClassEditForm(forms.Form):
    name = forms.CharField(label=_("班组名称"), max_length=100)
    leader = forms.ModelChoiceField(label=_("班长"), queryset=Employee.objects.none(), required=False)
    deputy = forms.ModelChoiceField(label=_("副班长"), queryset=Employee.objects.none(), required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False)

    def __init__(self, *args, employees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = employees
        self.fields["deputy"].queryset = employees


class EmployeeForm(forms.Form):
    number = forms.CharField(label=_("工号"), max_length=40, required=False)
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    work_class = forms.ModelChoiceField(label=_("班组"), queryset=WorkClass.objects.none(), required=False)
    joined_on = forms.DateField(label=_("入职日期"), required=False, widget=DateInput)

    def __init__(self, *args, classes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work_class"].queryset = classes


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("花名册（Excel .xlsx）"),
        help_text=_(
            "第一行为表头：工号、姓名、手机号、班组、入职日期；按工号（无工号时按手机号）更新已有员工。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("日期"), widget=DateInput)
    kind = forms.ChoiceField(label=_("形式"), choices=SessionKind.choices)
    case = forms.ModelChoiceField(label=_("学习案例"), queryset=FraudCase.objects.none(), required=False)
    speaker = forms.ModelChoiceField(label=_("主讲员工"), queryset=Employee.objects.none(), required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("参加人员"), queryset=Employee.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(label=_("记录"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, cases=None, employees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases
        self.fields["speaker"].queryset = employees
        self.fields["attendees"].queryset = employees


class ScoreForm(forms.Form):
    """One decimal field per criterion of the round's standard, bounded by its maximum."""

    def __init__(self, *args, criteria=(), initial_scores=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_scores = initial_scores or {}
        for criterion in criteria:
            self.fields[f"c{criterion.pk}"] = forms.DecimalField(
                label=f"{criterion.name}（{_('满分')} {criterion.max_score.normalize():f}，{_('权重')} {criterion.weight.normalize():f}）",
                min_value=0,
                max_value=criterion.max_score,
                decimal_places=2,
                initial=initial_scores.get(criterion.pk),
                help_text=criterion.description,
            )

    def scores(self) -> dict[int, object]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items()}


class LetterForm(forms.Form):
    signatory = forms.CharField(label=_("签署人"), max_length=50)
    signatory_title = forms.CharField(label=_("签署人职务"), max_length=100, required=False)
    signed_on = forms.DateField(label=_("签署日期"), widget=DateInput)
    valid_until = forms.DateField(label=_("有效期至"), widget=DateInput)
    file = forms.FileField(
        label=_("扫描件"),
        help_text=_("PDF、JPG 或 PNG，不超过 10 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class CaseForm(forms.Form):
    title = forms.CharField(label=_("案例标题"), max_length=200)
    fraud_type = forms.ChoiceField(label=_("诈骗类型"), choices=FraudType.choices)
    summary = forms.CharField(label=_("案情"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    lesson = forms.CharField(label=_("防范要点"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)


class LiaisonGroupForm(forms.Form):
    name = forms.CharField(label=_("群名称"), max_length=100)
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[
            (ChannelKind.DINGTALK.value, ChannelKind.DINGTALK.label),
            (ChannelKind.WECOM.value, ChannelKind.WECOM.label),
        ],
    )
    url = forms.URLField(
        label=_("机器人 Webhook 地址"), max_length=500, assume_scheme="https", validators=[validate_url]
    )
    secret = forms.CharField(label=_("加签密钥（钉钉）"), max_length=200, required=False)
    station = forms.ModelChoiceField(label=_("派出所"), queryset=None)

    def __init__(self, *args, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=150)
    fraud_type = forms.ChoiceField(label=_("诈骗类型"), choices=FraudType.choices)
    body = forms.CharField(label=_("预警内容"), widget=forms.Textarea(attrs={"rows": 4}))
    groups = forms.ModelMultipleChoiceField(
        label=_("发送到联络群"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = groups


class VictimForm(forms.Form):
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=None)
    name = forms.CharField(label=_("受害人"), max_length=50)
    occurred_on = forms.DateField(label=_("被骗日期"), widget=DateInput)
    fraud_type = forms.ChoiceField(label=_("诈骗类型"), choices=FraudType.choices)
    amount_lost = forms.DecimalField(
        label=_("损失金额（元）"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    incident = forms.ModelChoiceField(label=_("关联诈骗警情"), queryset=None, required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, enterprises=None, incidents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises
        self.fields["incident"].queryset = incidents


class StandardForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    effective_from = forms.DateField(
        label=_("起用月份"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m"],
    )


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("评分项"), max_length=100, required=False)
    description = forms.CharField(label=_("评分说明"), max_length=300, required=False)
    weight = forms.DecimalField(label=_("权重"), min_value=0, max_digits=5, decimal_places=2, required=False)
    max_score = forms.DecimalField(
        label=_("满分"), min_value=0, max_digits=6, decimal_places=2, required=False
    )


CriterionFormSet = forms.formset_factory(CriterionForm, extra=0, min_num=1, max_num=20)
