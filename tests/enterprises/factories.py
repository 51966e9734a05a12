"""Factories for the enterprises app (records are built directly; workflows go through services)."""

from datetime import timedelta

import factory
from django.utils import timezone

from enterprises.choices import MemberKind, Partner, RequestChannel, RequestStatus, VisitKind
from enterprises.models import (
    Alliance,
    AllianceMember,
    Enterprise,
    FirstResponse,
    Lecture,
    LecturerTeam,
    Referral,
    ServiceRequest,
    ServiceType,
    ServiceVisit,
    WatchCall,
)
from qianwan.org.choices import Role
from qianwan.validators import uscc_check_char
from tests.factories import StationFactory, UserFactory


def uscc(n: int) -> str:
    first17 = f"91330282MA2T{n:05d}"
    return first17 + uscc_check_char(first17)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    kind = MemberKind.ENTERPRISE
    name = factory.Sequence(lambda n: f"测试企业{n}")
    credit_code = factory.Sequence(lambda n: uscc(n))
    station = factory.SubFactory(StationFactory)
    address = "前湾新区测试路1号"
    employee_count = 100


class ShopFactory(EnterpriseFactory):
    kind = MemberKind.SHOP
    name = factory.Sequence(lambda n: f"测试商铺{n}")
    credit_code = None


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"svc-{n}")
    name = factory.Sequence(lambda n: f"服务项目{n}")


class LecturerTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LecturerTeam
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"宣讲团{n}")


def officer_of(station):
    return UserFactory(username=f"officer-of-{station.code}", role=Role.OFFICER, station=station)


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRequest

    enterprise = factory.SubFactory(EnterpriseFactory)
    station = factory.LazyAttribute(lambda o: o.enterprise.station)
    service_type = factory.SubFactory(ServiceTypeFactory)
    description = "需求"
    channel = RequestChannel.OFFICER
    status = RequestStatus.REQUESTED
    requested_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    requested_by = factory.LazyAttribute(lambda o: officer_of(o.enterprise.station))


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceVisit
        skip_postgeneration_save = True

    enterprise = factory.SubFactory(EnterpriseFactory)
    station = factory.LazyAttribute(lambda o: o.enterprise.station)
    kind = VisitKind.VISIT
    visited_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    summary = "走访"
    created_by = factory.LazyAttribute(lambda o: officer_of(o.enterprise.station))

    @factory.post_generation
    def officers(obj, create, extracted, **kwargs):
        if create:
            obj.officers.set(extracted or [obj.created_by])


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    enterprise = factory.SubFactory(EnterpriseFactory)
    station = factory.LazyAttribute(lambda o: o.enterprise.station)
    partner = Partner.COURT
    summary = "合同纠纷"
    referred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    created_by = factory.LazyAttribute(lambda o: officer_of(o.enterprise.station))


class LectureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lecture
        skip_postgeneration_save = True

    team = factory.SubFactory(LecturerTeamFactory)
    station = factory.SubFactory(StationFactory)
    held_on = factory.LazyFunction(lambda: timezone.localdate())
    topic = "反诈"
    audience_count = 100
    created_by = factory.LazyAttribute(lambda o: officer_of(o.station))

    @factory.post_generation
    def enterprises(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.enterprises.set(extracted)


class AllianceFactory(factory.django.DjangoModelFactory):
    """An alliance with ``members`` (a list) or ``n_members`` fresh enterprises of its station."""

    class Meta:
        model = Alliance
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"守望联盟{n}")
    station = factory.SubFactory(StationFactory)
    area = "测试路沿线"
    created_by = factory.LazyAttribute(lambda o: officer_of(o.station))

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if not create:
            return
        members = (
            list(extracted)
            if extracted is not None
            else [EnterpriseFactory(station=obj.station) for _ in range(kwargs.get("n", 10))]
        )
        AllianceMember.objects.bulk_create([AllianceMember(alliance=obj, enterprise=m) for m in members])
        obj.leader_member = members[0] if members else None
        obj.save(update_fields=["leader_member"])


class WatchCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WatchCall

    alliance = factory.SubFactory(AllianceFactory)
    place = "路口"
    message = "口角"
    requested_by = factory.LazyAttribute(lambda o: officer_of(o.alliance.station))


class FirstResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FirstResponse

    alliance = factory.SubFactory(AllianceFactory)
    station = factory.LazyAttribute(lambda o: o.alliance.station)
    member = factory.LazyAttribute(lambda o: o.alliance.memberships.first().enterprise)
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))
    place = "路口"
    action_taken = "劝阻"
    outcome = "平息"
    reported_by = factory.LazyAttribute(lambda o: officer_of(o.alliance.station))
