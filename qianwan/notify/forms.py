from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from qianwan.masking import MASK, mask_url
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
        # write-only (issue 16): the signing secret is never sent back to the browser; left blank on an
        # edit it stays as it is
        widgets = {"secret": forms.PasswordInput(render_value=False)}

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
            # the robot's access_token / key is shown masked; sent back unchanged, the stored URL stays
            self.initial["url"] = mask_url(self.instance.url)
        if self.instance.pk and self.instance.secret:
            self.fields["secret"].help_text = _("已设置；留空则保持不变。")

    def clean_url(self):
        """A credential shown as ``***`` and sent back so keeps its stored value (the rest of the
        URL may change)."""
        url = self.cleaned_data.get("url") or ""
        stored = self.instance.url if self.instance.pk else ""
        if not stored or MASK not in url:
            return url
        kept = dict(parse_qsl(urlsplit(stored).query, keep_blank_values=True))
        parts = urlsplit(url)
        query = [(k, kept.get(k, v) if v == MASK else v) for k, v in parse_qsl(parts.query, True)]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if not secret and self.instance.pk:
            return self.instance.secret
        return secret

    def clean_kinds(self):
        return [k.strip() for k in (self.cleaned_data.get("kinds") or "").split(",") if k.strip()]
