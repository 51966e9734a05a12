from django import forms
from django.utils.translation import gettext_lazy as _

from qianwan.org.models import Station

from .choices import ChannelKind, ContactKind, Level
from .models import Channel


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=ContactKind.choices)
    address = forms.CharField(
        label=_("账号/号码/邮箱"),
        max_length=200,
        help_text=_("钉钉/企业微信填用户ID，短信填手机号，邮件填邮箱"),
    )
    levels = forms.MultipleChoiceField(
        label=_("接收的级别"),
        choices=Level.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示全部级别"),
    )


class ChannelForm(forms.ModelForm):
    url = forms.URLField(label=_("Webhook 地址"), max_length=500, required=False, assume_scheme="https")
    kinds = forms.CharField(
        label=_("订阅类别"),
        required=False,
        help_text=_("用逗号分隔，如 incidents.sla_breach；留空表示全部"),
    )

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "url",
            "secret",
            "email_to",
            "station",
            "kinds",
            "enabled",
            "broadcast_only",
        ]
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ChannelKind.choices
        if user.role == "station_leader":
            self.fields["station"].queryset = Station.objects.filter(pk=user.station_id)
            self.fields["station"].empty_label = None
            self.fields["station"].required = True
        else:
            self.fields["station"].queryset = Station.objects.filter(is_active=True)
            self.fields["station"].empty_label = _("分局（全部派出所）")
        if self.instance.pk and not self.is_bound:
            self.initial["kinds"] = ", ".join(self.instance.kinds or [])

    def clean_kinds(self):
        return [k.strip() for k in (self.cleaned_data.get("kinds") or "").split(",") if k.strip()]
