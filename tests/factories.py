"""Factories for the shared framework; each app keeps its own in tests/<app>/factories.py."""

import factory

from qianwan.org.choices import Role
from qianwan.org.models import Station, User


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.LazyAttribute(lambda o: f"{o.code}派出所")
    lat = 30.30
    lon = 121.20


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.OFFICER
    password = factory.PostGenerationMethodCall("set_password", "Test-pass-2026")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def enterprise_for(station):
    from enterprises.models import Enterprise
    from qianwan.validators import uscc_check_char

    first17 = f"91330200{station.pk:09d}"[:17]
    enterprise, _ = Enterprise.objects.get_or_create(
        credit_code=first17 + uscc_check_char(first17),
        defaults={"name": f"{station.name}辖区企业", "station": station},
    )
    return enterprise
