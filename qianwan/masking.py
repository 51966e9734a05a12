"""Masking personal data for roles that do not need it (ui.md): 138****0000, 330282********1234, 张*.

One rule for every path:
- API: :class:`MaskedField` (a serializer field that shows the clear value only to roles that need it,
  or after an audited reveal) and :func:`mask_personal` for JSON payloads (exchange events);
- pages: the template filter ``{% load masking %}{{ value|mask:"phone" }}``;
- audit rows: :func:`mask_personal` on every snapshot before it is stored (qianwan.audit.services);
- the Django admin: :class:`MaskedAdminMixin`;
- revealing: :func:`reveal` writes the audit row (who saw whose data, when).
"""

import re
from collections.abc import Callable
from typing import Any


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    value = str(value).strip()
    return value[:3] + "****" + value[-4:] if len(value) >= 8 else "*" * len(value)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = str(value).strip()
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    value = str(value).strip()
    if "*" in value[1:]:  # already masked
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


# ---------------------------------------------------------------- secrets (issue 16)

# query parameters that carry a credential in a webhook URL (DingTalk access_token, WeCom key, …)
SECRET_PARAMS = frozenset({"access_token", "token", "key", "secret", "sign", "signature", "password"})
# model fields that hold a credential: never shown, never copied into an audit row
SECRET_FIELDS = frozenset({"secret", "token", "password", "api_key", "push_secret"})
MASK = "***"


def mask_url(url: str | None) -> str:
    """``url`` with the values of credential parameters replaced by ``***`` (the host and path, which
    say where messages go, stay readable): ``https://oapi.dingtalk.com/robot/send?access_token=***``."""
    if not url:
        return ""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, MASK if k.lower() in SECRET_PARAMS and v else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def mask_secrets(data: dict | None) -> dict | None:
    """A record's snapshot with its credentials masked: secret fields as ``***`` and credential
    parameters of URL values masked (audit rows never hold a webhook token)."""
    if not data:
        return data
    out = dict(data)
    for key, value in data.items():
        if key in SECRET_FIELDS and value:
            out[key] = MASK
        elif isinstance(value, str) and value.startswith(("http://", "https://")) and "?" in value:
            out[key] = mask_url(value)
    return out


MASKERS: dict[str, Callable[[Any], str]] = {
    "phone": mask_phone,
    "id_number": mask_id_number,
    "name": mask_name,
}

# keys that hold personal data wherever they appear in a JSON document (payloads, audit snapshots)
PHONE_KEYS = frozenset(
    {"phone", "caller_phone", "contact_phone", "handling_phone", "mobile", "telephone", "tel"}
)
ID_KEYS = frozenset({"id_number", "id_card", "identity_number", "resident_id"})
# keys that are a person's name only inside records about private persons (dispute parties, victims,
# contacts), never a place's or a team's name
PERSON_NAME_KEYS = frozenset({"party_name", "contact_name", "victim_name", "caller_name"})
# model label → its fields that are a private person's name
PERSON_NAME_FIELDS = {
    "disputes.party": {"name"},
    "antifraud.victim": {"name"},
    "antifraud.employee": {"name"},
}


def kind_of_key(key: str, *, model_label: str | None = None) -> str | None:
    """Which masker a JSON key needs ("phone", "id_number", "name"), or None."""
    if key in PHONE_KEYS:
        return "phone"
    if key in ID_KEYS:
        return "id_number"
    if key in PERSON_NAME_KEYS or key in PERSON_NAME_FIELDS.get(model_label or "", ()):
        return "name"
    return None


def mask_personal(data: Any, *, model_label: str | None = None) -> Any:
    """A copy of a JSON-like value with every personal value masked (recursively); lists of party
    dicts (``parties``/``contacts``) have their names masked too. Idempotent."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            kind = kind_of_key(str(key), model_label=model_label)
            if kind and isinstance(value, str | int) and value != "":
                out[key] = MASKERS[kind](str(value))
            elif key in ("parties", "contacts") and isinstance(value, list):
                out[key] = [mask_personal(v, model_label="disputes.party") for v in value]
            else:
                out[key] = mask_personal(value)
        return out
    if isinstance(data, list):
        return [mask_personal(v, model_label=model_label) for v in data]
    return data


def mask(value: Any, kind: str) -> str:
    return MASKERS[kind](value)


# a mainland mobile number or an 18-character resident ID number standing alone in free text (not
# inside a longer run of letters and digits such as a record number or a delivery id)
_TEXT_PERSONAL = re.compile(
    r"(?<![0-9A-Za-z])(?:(?P<cc>\+?86[- ]?)?(?P<phone>1[3-9]\d{9})|(?P<id>\d{17}[\dXx]))(?![0-9A-Za-z])"
)


def mask_text(text: str | None) -> str:
    """Free text with every phone and ID number in it masked (``报警人13912340001`` →
    ``报警人139****0001``). For text that leaves the role rules: notifications, whose title and body
    are copied to group robots, e-mail and SMS (qianwan.notify.services.notification_send)."""
    if not text:
        return text or ""

    def one(match: re.Match) -> str:
        if match.group("phone"):
            return (match.group("cc") or "") + mask_phone(match.group("phone"))
        return mask_id_number(match.group("id"))

    return _TEXT_PERSONAL.sub(one, str(text))


# ---------------------------------------------------------------- API


from drf_spectacular.types import OpenApiTypes  # noqa: E402
from drf_spectacular.utils import extend_schema_field  # noqa: E402
from rest_framework import serializers as _drf  # noqa: E402


@extend_schema_field(OpenApiTypes.STR)
class MaskedField(_drf.Field):
    """A read-only personal value: clear for ``may_see(user)`` (or after an audited reveal, context
    ``reveal=True``), else masked. ``MaskedField(kind="phone", may_see=can_see_phone, source=…)``."""

    def __init__(self, *, kind: str = "phone", may_see: Callable[[Any], bool] | None = None, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.kind = kind
        self.may_see = may_see or (lambda user: False)

    def to_representation(self, value):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if self.context.get("reveal") or (user is not None and self.may_see(user)):
            return value or ""
        return MASKERS[self.kind](value)


# ---------------------------------------------------------------- revealing


# who reveals a masked value with an audited click (ui.md): the roles that see records of every
# station but not their personal data; station staff see it in clear and have nothing to reveal
REVEAL_ROLES = frozenset({"bureau_leader", "admin"})


def may_reveal(user) -> bool:
    return getattr(user, "role", None) in REVEAL_ROLES


def reveal(*, actor, obj, fields: list[str], reason: str = "", action: str = "personal_data.reveal") -> None:
    """Record that ``actor`` saw ``fields`` of ``obj`` in clear: the audit row names who (actor), when
    (its time), which record (object type and id) and which fields. Call inside the service's
    transaction, before answering with the clear values."""
    from qianwan.audit.services import audit_record

    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        after={"fields": list(fields), "reason": reason[:200]},
    )


# ---------------------------------------------------------------- the Django admin


class MaskedAdminMixin:
    """Personal fields of a ModelAdmin shown masked in lists and forms (read-only there; they are
    changed in the app's own pages, where the masking and reveal rules apply). Declare
    ``masked_fields = {"caller_phone": "phone", "payload": "json"}``."""

    masked_fields: dict[str, str] = {}

    def _masked_name(self, field: str) -> str:
        name = f"masked_{field}"
        if not hasattr(self, name):
            kind = self.masked_fields[field]
            label = self.model._meta.get_field(field).verbose_name

            def show(obj, field=field, kind=kind):
                value = getattr(obj, field)
                if kind == "json":
                    import json

                    return json.dumps(
                        mask_personal(value, model_label=obj._meta.label_lower), ensure_ascii=False, indent=1
                    )
                return MASKERS[kind](value)

            show.short_description = label
            setattr(self, name, show)
        return name

    def get_list_display(self, request):
        return [
            self._masked_name(f) if f in self.masked_fields else f for f in super().get_list_display(request)
        ]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), *self.masked_fields]

    def get_readonly_fields(self, request, obj=None):
        fields = [f for f in super().get_readonly_fields(request, obj) if f not in self.masked_fields]
        return [*fields, *(self._masked_name(f) for f in self.masked_fields)]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        out = []
        for name, options in fieldsets:
            fields = [
                self._masked_name(f) if isinstance(f, str) and f in self.masked_fields else f
                for f in options.get("fields", ())
            ]
            out.append((name, {**options, "fields": fields}))
        return out
