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
