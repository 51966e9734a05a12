"""Masking personal data for roles that do not need it (ui.md): 138****0000, 330282********1234, 张*."""


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip()
    return value[:3] + "****" + value[-4:] if len(value) >= 8 else "*" * len(value)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip()
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip()
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
