"""The partners every installation starts with (used by migration 0003 and by the test suite)."""

PARTNERS = [
    ("grid", "基层治理四平台（网格）", False),
    ("12345", "12345 政务服务便民热线", True),
]


def create(apps, schema_editor):
    Partner = apps.get_model("exchange", "Partner")
    for code, name, is_hotline in PARTNERS:
        Partner.objects.get_or_create(code=code, defaults={"name": name, "is_hotline": is_hotline})


def remove(apps, schema_editor):
    apps.get_model("exchange", "Partner").objects.filter(code__in=[p[0] for p in PARTNERS]).delete()
