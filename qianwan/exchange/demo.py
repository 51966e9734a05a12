"""Demo partner accounts: the `grid` login acts for the grid platform, `hotline` for the 12345 hotline.

Runs after ``qianwan.org.demo`` (INSTALLED_APPS order), which creates the `grid` user.
"""

from qianwan.org.choices import Role
from qianwan.org.demo import DEMO_PASSWORD
from qianwan.org.models import User

from .migrations import _defaults
from .models import Partner, PartnerAccount

# username, full name, partner code
ACCOUNTS = [
    ("grid", "基层治理四平台", "grid"),
    ("hotline", "12345 热线对接", "12345"),
]


def load() -> str:
    from django.apps import apps

    _defaults.create(apps, None)
    for username, full_name, code in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": full_name, "role": Role.GRID_CLIENT}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        PartnerAccount.objects.update_or_create(
            user=user, defaults={"partner": Partner.objects.get(code=code)}
        )
    return f"{len(ACCOUNTS)} partner accounts"


def reset() -> None:
    PartnerAccount.objects.filter(user__username__in=[a[0] for a in ACCOUNTS]).delete()
    User.objects.filter(username="hotline").delete()
