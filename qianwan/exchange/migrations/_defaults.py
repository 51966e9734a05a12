"""The partners every installation starts with (used by migrations 0003/0004 and by the test suite).

Only 12345 receives the caller's phone: the hotline calls the citizen back on a diverted call; the
grid platform works a place, not a caller.
"""

import secrets

# code, name, is_hotline, receives_caller_phone
PARTNERS = [
    ("grid", "基层治理四平台（网格）", False, False),
    ("12345", "12345 政务服务便民热线", True, True),
]


def create(apps, schema_editor):
    Partner = apps.get_model("exchange", "Partner")
    fields = {f.name for f in Partner._meta.get_fields()}
    for code, name, is_hotline, receives_phone in PARTNERS:
        defaults = {"name": name, "is_hotline": is_hotline}
        if "receives_caller_phone" in fields:  # migration 0003 runs before the field exists
            defaults.update(receives_caller_phone=receives_phone, secret=secrets.token_urlsafe(32))
        Partner.objects.get_or_create(code=code, defaults=defaults)


def declare_needs(apps, schema_editor):
    """0004: each existing partner gets its own secret; the default partners their phone need."""
    Partner = apps.get_model("exchange", "Partner")
    for partner in Partner.objects.all():
        partner.secret = secrets.token_urlsafe(32)
        partner.receives_caller_phone = any(p[0] == partner.code and p[3] for p in PARTNERS)
        partner.save(update_fields=["secret", "receives_caller_phone"])


def remove(apps, schema_editor):
    apps.get_model("exchange", "Partner").objects.filter(code__in=[p[0] for p in PARTNERS]).delete()
