"""Demo enterprises and their liaison users (the liaison logs in with the common demo password)."""

from qianwan.org.choices import Role
from qianwan.org.demo import _user
from qianwan.org.models import Station
from qianwan.validators import uscc_check_char

from .models import Enterprise


def _uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


ENTERPRISES = [
    # name, first 17 chars of the credit code, station, address, liaison username
    ("方太集团", "91330282144788776", "SJC", "前湾新区滨海二路218号", "liaison"),
    ("吉利汽车杭州湾基地", "91330201MA2AH4B12", "BHS", "前湾新区滨海四路818号", "liaison_geely"),
]


def load() -> str:
    for name, first17, code, address, username in ENTERPRISES:
        enterprise, _ = Enterprise.objects.update_or_create(
            credit_code=_uscc(first17),
            defaults={"name": name, "station": Station.objects.get(code=code), "address": address},
        )
        _user(username, f"{name}联络员", Role.LIAISON, enterprise=enterprise)
    return f"{len(ENTERPRISES)} enterprises"


def reset() -> None:
    from qianwan.org.models import User

    User.objects.filter(username__in=[e[4] for e in ENTERPRISES]).delete()
