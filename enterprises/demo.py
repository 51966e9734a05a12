"""Demo data: enterprises and shops with their liaison users, the "17+5" catalogue, service
requests with visits and feedback, lectures, referrals, and a neighbourhood-watch alliance.

Idempotent: the catalogue and registry are upserted; activity is created only once.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from qianwan.org.choices import Role
from qianwan.org.demo import _user
from qianwan.org.models import Station, User
from qianwan.validators import uscc_check_char

from .choices import (
    MemberKind,
    Partner,
    ReferralStatus,
    RequestChannel,
    RequestStatus,
    ResponseStatus,
    VisitKind,
)
from .models import (
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


def _uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


ENTERPRISES = [
    # name, first 17 chars of the credit code, station, address, liaison username
    ("方太集团", "91330282144788776", "SJC", "前湾新区滨海二路218号", "liaison"),
    ("吉利汽车杭州湾基地", "91330201MA2AH4B12", "BHS", "前湾新区滨海四路818号", "liaison_geely"),
]

# The report names three of the 17 services; the others are the usual police–enterprise services.
SERVICE_TYPES = [
    ("talent-screening", "人才入职审查", "新招员工入职前的背景审查与风险提示"),
    ("area-patrol", "片区安保大巡防", "企业片区治安巡防，联合企业保安开展巡逻"),
    ("case-intervention", "案件纠纷介入", "涉企案件、纠纷的早期介入与依法处置"),
    ("fraud-alert", "反诈预警劝阻", "员工涉诈预警的上门劝阻与回访"),
    ("security-inspection", "技防物防检查", "监控、门禁、周界等技防物防设施检查指导"),
    ("internal-security", "内保单位指导", "企业内保机构建设与保卫人员业务指导"),
    ("rapid-response", "涉企警情快速响应", "涉企警情优先出警、专人跟进"),
    ("labour-mediation", "劳资纠纷调处", "劳资矛盾排查与联合调处"),
    ("household-registration", "户政上门服务", "集体户口、居住证等户政业务上门办理"),
    ("exit-entry", "出入境证件办理", "外籍员工签证证件及员工出入境证件服务"),
    ("traffic-safety", "交通安全进企业", "通勤车辆、货运车辆交通安全检查与提示"),
    ("fire-joint-check", "消防安全联合检查", "会同消防部门开展隐患排查"),
    ("ip-protection", "知识产权保护", "商标、商业秘密侵权线索受理与打击"),
    ("economic-crime-prevention", "涉企经济犯罪预防", "职务侵占、合同诈骗等经济犯罪风险提示"),
    ("employee-conflict", "员工矛盾排查化解", "宿舍区、车间员工矛盾排查与化解"),
    ("surroundings", "企业周边环境整治", "企业周边治安乱点、交通秩序整治"),
    ("legal-consultation", "法律咨询服务", "企业经营中的法律问题咨询"),
]

LECTURER_TEAMS = [
    ("legal-aid", "法律援助宣讲团", "劳动法、合同法等普法宣讲及法律援助", "周律师"),
    ("counselling", "心理咨询宣讲团", "员工心理健康、情绪疏导讲座", "沈老师"),
    ("anti-fraud", "反诈宣防宣讲团", "电信网络诈骗典型案例与防范", "王建国"),
    ("traffic", "交通安全宣讲团", "电动自行车、通勤安全宣讲", "李晓峰"),
    ("public-security", "治安防范宣讲团", "防盗、防火、防侵害与内部安全管理", "张海涛"),
]

# ADS enterprises and shops forming the demo alliance (12 members)
ADS_MEMBERS = [
    ("宁波前湾精密模具有限公司", MemberKind.ENTERPRISE, "制造业", True, 420),
    ("慈溪庵东电器有限公司", MemberKind.ENTERPRISE, "家电制造", True, 650),
    ("前湾新材料科技有限公司", MemberKind.ENTERPRISE, "新材料", True, 310),
    ("庵东纺织有限公司", MemberKind.ENTERPRISE, "纺织", False, 180),
    ("兴业物流有限公司", MemberKind.ENTERPRISE, "物流", False, 95),
    ("宁波湾区汽配有限公司", MemberKind.ENTERPRISE, "汽车零部件", True, 530),
    ("庵东建材有限公司", MemberKind.ENTERPRISE, "建材", False, 60),
    ("兴业路好又多超市", MemberKind.SHOP, "零售", False, 12),
    ("阿华面馆", MemberKind.SHOP, "餐饮", False, 6),
    ("庵东大药房", MemberKind.SHOP, "医药零售", False, 8),
    ("老陈五金店", MemberKind.SHOP, "零售", False, 3),
    ("小林理发店", MemberKind.SHOP, "生活服务", False, 4),
    ("前湾宾馆", MemberKind.SHOP, "住宿", False, 20),
]


def _catalogue() -> None:
    for order, (code, name, description) in enumerate(SERVICE_TYPES, start=1):
        ServiceType.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "order": order}
        )
    for order, (code, name, description, leader) in enumerate(LECTURER_TEAMS, start=1):
        LecturerTeam.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "leader_name": leader, "order": order},
        )


def _registry() -> list[Enterprise]:
    for name, first17, code, address, username in ENTERPRISES:
        enterprise, _ = Enterprise.objects.update_or_create(
            credit_code=_uscc(first17),
            defaults={"name": name, "station": Station.objects.get(code=code), "address": address},
        )
        _user(username, f"{name}联络员", Role.LIAISON, enterprise=enterprise)
    ads = Station.objects.get(code="ADS")
    members = []
    for n, (name, kind, industry, above, staff) in enumerate(ADS_MEMBERS, start=1):
        code = _uscc(f"91330282MA2G{n:05d}") if kind == MemberKind.ENTERPRISE else None
        enterprise, _ = Enterprise.objects.update_or_create(
            name=name,
            station=ads,
            defaults={
                "kind": kind,
                "credit_code": code,
                "address": f"前湾新区庵东镇兴业路{10 + n}号",
                "lat": 30.2826 + n * 0.0007,
                "lon": 121.1862 + n * 0.0005,
                "industry": industry,
                "is_above_size": above,
                "employee_count": staff,
                "contact_name": f"联系人{n}",
                "contact_phone": f"1390574{n:04d}",
            },
        )
        members.append(enterprise)
    _user("liaison_ads", "精密模具联络员", Role.LIAISON, enterprise=members[0])
    _user("officer_sjc", "赵立新", Role.OFFICER, station=Station.objects.get(code="SJC"))
    return members


def _activity(members: list[Enterprise]) -> None:
    if ServiceRequest.objects.filter(enterprise__in=members).exists():
        return
    now = timezone.now()
    officer = User.objects.get(username="officer")
    officer2 = User.objects.get(username="officer2")
    types = list(ServiceType.objects.order_by("order"))
    teams = list(LecturerTeam.objects.order_by("order"))
    fotile = Enterprise.objects.get(name="方太集团")
    officer_sjc = User.objects.get(username="officer_sjc")
    liaisons = {e.pk: u for u in User.objects.filter(role=Role.LIAISON) for e in [u.enterprise]}
    # 40 requests over the last 90 days; most visited within a day or two, most rated satisfied
    for i in range(40):
        enterprise = fotile if i % 5 == 0 else members[i % 7]
        actor = officer_sjc if enterprise == fotile else (officer if i % 2 else officer2)
        requested_at = now - timedelta(days=90 - i * 2, hours=i % 7)
        liaison = liaisons.get(enterprise.pk)
        request = ServiceRequest.objects.create(
            enterprise=enterprise,
            station_id=enterprise.station_id,
            service_type=types[i % len(types)],
            description="企业提出的服务需求（演示数据）",
            channel=RequestChannel.PORTAL if liaison else RequestChannel.OFFICER,
            requested_at=requested_at,
            requested_by=liaison or actor,
            assigned_officer=actor,
            assigned_at=requested_at + timedelta(hours=2),
            status=RequestStatus.ASSIGNED,
        )
        if i >= 37:
            continue  # the newest few are still waiting for their visit
        visited_at = requested_at + timedelta(hours=6 + (i % 5) * 9)
        visit = ServiceVisit.objects.create(
            enterprise=enterprise,
            station_id=enterprise.station_id,
            request=request,
            service_type=request.service_type,
            kind=VisitKind.SERVICE,
            visited_at=visited_at,
            summary=f"上门开展“{request.service_type.name}”服务，现场答复企业问题（演示数据）",
            created_by=actor,
        )
        visit.officers.set([actor])
        request.first_visit_at = visited_at
        request.status = RequestStatus.SERVICED
        if liaison or i % 3:
            request.status = RequestStatus.CLOSED
            request.satisfied = i != 17
            request.score = 2 if i == 17 else (5 if i % 4 else 4)
            request.feedback_at = visited_at + timedelta(days=1)
            request.feedback_by = liaison or actor
        request.save()
    # routine visits without a request
    for i in range(20):
        enterprise = members[i % len(members)]
        visit = ServiceVisit.objects.create(
            enterprise=enterprise,
            station_id=enterprise.station_id,
            kind=VisitKind.VISIT,
            visited_at=now - timedelta(days=3 + i * 4),
            summary="走访企业，了解治安需求，宣传防范知识（演示数据）",
            created_by=officer,
        )
        visit.officers.set([officer, officer2] if i % 2 else [officer])
    for i, (partner, status) in enumerate(
        [
            (Partner.MEDIATION_CENTRE, ReferralStatus.RESOLVED),
            (Partner.COURT, ReferralStatus.ACCEPTED),
            (Partner.PROCURATORATE, ReferralStatus.SENT),
        ]
    ):
        Referral.objects.create(
            enterprise=members[i],
            station_id=members[i].station_id,
            partner=partner,
            summary="企业合同纠纷，移送联动窗口（演示数据）",
            status=status,
            referred_at=now - timedelta(days=20 - i * 5),
            status_at=now - timedelta(days=15 - i * 5) if status != ReferralStatus.SENT else None,
            created_by=officer,
        )
    topics = [
        "劳动合同与工伤维权",
        "职场压力与心理调适",
        "识破刷单返利骗局",
        "电动自行车安全出行",
        "厂区防盗与内部安全",
    ]
    for i in range(10):
        lecture = Lecture.objects.create(
            team=teams[i % 5],
            station_id=members[0].station_id,
            held_on=(now - timedelta(days=5 + i * 8)).date(),
            topic=topics[i % 5],
            audience_count=120 + i * 45,
            venue="企业报告厅",
            materials_note="课件与典型案例汇编（演示数据）",
            created_by=officer,
        )
        lecture.enterprises.set(members[i % 6 : i % 6 + 2])
    alliance = Alliance.objects.create(
        name="庵东兴业路邻里守望联盟",
        station_id=members[0].station_id,
        area="兴业路沿线（庵东镇）",
        leader_member=members[0],
        contacts=[
            {"name": "联系人1", "phone": "13905740001", "duty": "盟主单位保卫科"},
            {"name": "庵东社区民警", "phone": "13905749999", "duty": "社区民警"},
        ],
        created_by=officer,
    )
    AllianceMember.objects.bulk_create(
        [AllianceMember(alliance=alliance, enterprise=m) for m in members[:12]]
    )
    call = WatchCall.objects.create(
        alliance=alliance,
        place="兴业路好又多超市门口",
        message="两名顾客发生口角，民警约5分钟到达",
        requested_by=officer,
        recipients=1,
    )
    for i in range(6):
        FirstResponse.objects.create(
            alliance=alliance,
            station_id=alliance.station_id,
            member=members[(i * 3) % 12],
            call=call if i == 0 else None,
            occurred_at=now - timedelta(days=2 + i * 11),
            police_arrived_at=now - timedelta(days=2 + i * 11) + timedelta(minutes=7),
            place=f"兴业路{20 + i}号附近",
            action_taken="成员单位保安上前劝阻，隔离双方，保护现场",
            outcome="双方情绪平复，民警到场后移交处理",
            status=ResponseStatus.CONFIRMED if i < 5 else ResponseStatus.REPORTED,
            reported_by=officer,
            confirmed_by=officer if i < 5 else None,
            confirmed_at=now - timedelta(days=1 + i * 11) if i < 5 else None,
        )


@transaction.atomic
def load() -> str:
    _catalogue()
    members = _registry()
    _activity(members)
    return (
        f"{Enterprise.objects.count()} enterprises/shops, {ServiceType.objects.count()} service types, "
        f"{LecturerTeam.objects.count()} lecturer teams, {ServiceRequest.objects.count()} requests, "
        f"{Alliance.objects.count()} alliances"
    )


def reset() -> None:
    FirstResponse.objects.all().delete()
    WatchCall.objects.all().delete()
    AllianceMember.objects.all().delete()
    Alliance.objects.all().delete()
    Lecture.objects.all().delete()
    Referral.objects.all().delete()
    ServiceVisit.objects.all().delete()
    ServiceRequest.objects.all().delete()
    User.objects.filter(username__in=[e[4] for e in ENTERPRISES] + ["liaison_ads", "officer_sjc"]).delete()
