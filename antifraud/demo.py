"""Demo data: classes and rosters of the demo enterprises, Fotile's "员工讲反诈" morning meetings,
a case library, a scoring standard with three months of cross-evaluation (this month still open),
responsibility letters, liaison groups and employee victims for the YoY figures.

Idempotent: nothing is added for an enterprise that already has classes; runs after the org and
enterprises demo data.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from enterprises.models import Enterprise
from qianwan.kpi import add_months
from qianwan.notify.models import Channel
from qianwan.org.models import Station

from . import services
from .choices import FraudType, SessionKind, VictimSource
from .models import (
    AdminStaff,
    Criterion,
    Employee,
    EvaluationRound,
    FraudCase,
    FraudNotice,
    Pairing,
    ResponsibilityLetter,
    RosterImport,
    Score,
    ScoringStandard,
    StudySession,
    Victim,
    WorkClass,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文海燕晓峰"

# a minimal valid one-page PDF standing in for the scanned letter
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

FOTILE_CLASSES = ["总装一班", "总装二班", "注塑班", "钣金班", "品质检验班", "仓储物流班"]
OTHER_CLASSES = ["生产一班", "生产二班", "设备维修班"]

CASES = [
    (
        "刷单返利：兼职点赞返佣被骗3.2万元",
        FraudType.BRUSHING,
        "员工下班后在短视频平台看到“点赞返佣”兼职，先小额返利，后被要求“做任务”连续转账。",
        "凡是刷单都是诈骗；先返小利是诱饵。",
    ),
    (
        "虚假投资理财：荐股群“内幕消息”",
        FraudType.INVESTMENT,
        "被拉入“炒股交流群”，下载不明APP充值投资，提现时被要求交“保证金”。",
        "不信“高收益零风险”，只用正规证券机构。",
    ),
    (
        "冒充电商客服：快递丢失理赔",
        FraudType.IMPERSONATE_SERVICE,
        "自称快递客服来电称包裹丢失要理赔，引导开启屏幕共享后转走银行卡内资金。",
        "官方客服不会让你屏幕共享、不会让你转账。",
    ),
    (
        "冒充公检法：“涉嫌洗钱”要求资金清查",
        FraudType.IMPERSONATE_OFFICIAL,
        "对方出示“通缉令”，要求将资金转入“安全账户”配合调查。",
        "公检法不会电话办案，没有“安全账户”。",
    ),
    (
        "虚假网络贷款：无抵押秒到账",
        FraudType.LOAN,
        "为周转资金申请网贷，被以“解冻费”“流水不足”为由多次要求转账。",
        "放款前先收费的都是诈骗。",
    ),
    (
        "冒充领导：QQ群通知转账",
        FraudType.IMPERSONATE_ACQUAINTANCE,
        "财务人员被拉入“公司群”，“老板”要求立即向供应商转账。",
        "涉及转账一律电话或当面核实。",
    ),
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _standard(actor) -> ScoringStandard:
    standard = ScoringStandard.objects.order_by("version").first()
    if standard:
        return standard
    standard = ScoringStandard.objects.create(
        name="班组反诈互评标准", version=1, effective_from=date(2025, 1, 1)
    )
    for order, (name, weight, max_score, description) in enumerate(
        [
            ("学习开展", 30, 10, "本月班组学习、晨会讲反诈的次数与覆盖面"),
            ("案例掌握", 25, 10, "随机抽问3名员工对典型案例与防范要点的掌握"),
            ("宣传氛围", 20, 10, "班组看板、反诈海报、群内转发"),
            ("国家反诈中心APP", 15, 10, "班组员工安装注册率"),
            ("预警劝阻配合", 10, 5, "接到预警后班长、副班长的响应"),
        ],
        start=1,
    ):
        Criterion.objects.create(
            standard=standard,
            order=order,
            name=name,
            weight=Decimal(weight),
            max_score=Decimal(max_score),
            description=description,
        )
    return standard


def _structure(enterprise, class_names, per_class, rng) -> list[WorkClass]:
    classes = [WorkClass.objects.create(enterprise=enterprise, name=n) for n in class_names]
    employees = []
    serial = 1
    for work_class in classes:
        for _ in range(per_class):
            employees.append(
                Employee(
                    enterprise=enterprise,
                    work_class=work_class,
                    number=f"{enterprise.pk:03d}{serial:04d}",
                    name=_name(rng),
                    phone=f"13{rng.randint(5, 9)}{enterprise.pk % 10}{serial:07d}",
                    joined_on=date(2018, 1, 1) + timedelta(days=rng.randint(0, 2500)),
                )
            )
            serial += 1
    Employee.objects.bulk_create(employees)
    for work_class in classes:
        members = list(Employee.objects.filter(work_class=work_class).order_by("number")[:2])
        if len(members) == 2:
            work_class.leader, work_class.deputy = members
            work_class.save(update_fields=["leader", "deputy"])
    AdminStaff.objects.bulk_create(
        [
            AdminStaff(enterprise=enterprise, name=_name(rng), position="分管副总经理", phone="13906740001"),
            AdminStaff(
                enterprise=enterprise, name=_name(rng), position="人力资源部经理", phone="13906740002"
            ),
        ]
    )
    return classes


def _sessions(enterprise, classes, cases, rng, today, *, morning_meetings: bool) -> int:
    """Weekly class studies for the last 10 weeks; at Fotile also the morning meeting "员工讲反诈"
    on three weekdays a week, one employee speaking."""
    rows, attendance = [], []
    members = {c.pk: list(Employee.objects.filter(work_class=c)) for c in classes}
    start = today - timedelta(days=70)
    for offset in range(71):
        day = start + timedelta(days=offset)
        for work_class in classes:
            people = members[work_class.pk]
            if not people:
                continue
            if day.weekday() == 2:
                kind = SessionKind.CLASS_STUDY
            elif morning_meetings and day.weekday() in (0, 3, 4):
                kind = SessionKind.MORNING_MEETING
            else:
                continue
            present = rng.sample(people, max(1, int(len(people) * rng.uniform(0.7, 1.0))))
            rows.append(
                StudySession(
                    enterprise=enterprise,
                    work_class=work_class,
                    held_on=day,
                    kind=kind,
                    case=rng.choice(cases),
                    speaker=rng.choice(present) if kind == SessionKind.MORNING_MEETING else None,
                    notes="晨会“员工讲反诈”：结合本周案例，提醒同事不点陌生链接。"
                    if kind == SessionKind.MORNING_MEETING
                    else "班组学习典型案例，班长讲解防范要点。",
                )
            )
            attendance.append(present)
    created = StudySession.objects.bulk_create(rows)
    through = StudySession.attendees.through
    through.objects.bulk_create(
        [
            through(studysession_id=s.pk, employee_id=e.pk)
            for s, present in zip(created, attendance, strict=True)
            for e in present
        ]
    )
    return len(created)


@transaction.atomic
def load() -> str:
    rng = random.Random(20260501)  # noqa: S311  (demo data, not security)
    today = services.today_local()
    if WorkClass.objects.exists():
        return "antifraud demo already loaded"
    cases = [
        FraudCase.objects.create(title=t, fraud_type=k, summary=s, lesson=lesson) for t, k, s, lesson in CASES
    ]
    _standard(None)
    enterprises = list(Enterprise.objects.filter(kind="enterprise").order_by("pk")) or list(
        Enterprise.objects.order_by("pk")
    )
    sessions = 0
    for enterprise in enterprises:
        fotile = enterprise.name == "方太集团"
        class_names = FOTILE_CLASSES if fotile else OTHER_CLASSES[: 3 if enterprise.is_above_size else 1]
        classes = _structure(enterprise, class_names, 12 if fotile else 6, rng)
        sessions += _sessions(enterprise, classes, cases, rng, today, morning_meetings=fotile)
        if enterprise.is_above_size and not enterprise.name.startswith("前湾新材料"):
            ResponsibilityLetter.objects.create(
                enterprise=enterprise,
                signatory=enterprise.contact_name or _name(rng),
                signatory_title="总经理",
                signed_on=date(today.year, 1, 15),
                valid_until=date(today.year, 12, 31),
                file=ContentFile(DEMO_PDF, name=f"demo-{enterprise.pk}.pdf"),
            )
    # three closed months and this month's open round (half scored, so the liaison has work to do)
    for back in (3, 2, 1, 0):
        month = date(*add_months(today.year, today.month, -back), 1)
        evaluation_round, _ = services.round_open(month=month)
        if evaluation_round is None:
            continue
        criteria = list(evaluation_round.standard.criteria.all())
        for index, pairing in enumerate(Pairing.objects.filter(round=evaluation_round).order_by("pk")):
            if back == 0 and index % 2 == 0:
                continue
            values = {
                c.pk: Decimal(rng.randint(int(c.max_score * 6 / 10), int(c.max_score))) for c in criteria
            }
            Score.objects.bulk_create(
                [Score(pairing=pairing, criterion_id=k, value=v) for k, v in values.items()]
            )
            pairing.total = services.weighted_total(criteria, values)
            pairing.submitted_at = timezone.now()
            pairing.save(update_fields=["total", "submitted_at"])
        if back:
            EvaluationRound.objects.filter(pk=evaluation_round.pk).update(closed_at=timezone.now())
    # liaison groups (placeholder webhooks: demo environments have no robot to talk to)
    for station in Station.objects.filter(code__in=["ADS", "SJC", "BHS"]):
        Channel.objects.get_or_create(
            name=f"{station.name}警企反诈联络群",
            defaults={
                "kind": "dingtalk",
                "url": "https://oapi.dingtalk.com/robot/send?access_token=DEMO-PLACEHOLDER",
                "station": station,
                "kinds": [services.NOTICE_KIND],
                "broadcast_only": True,
                "enabled": False,
            },
        )
    # victims: last year twice as many at above-size enterprises as this year (the −50% YoY)
    victims = []
    for enterprise in enterprises:
        before, now = (4, 2) if enterprise.is_above_size else (2, 2)
        for year_back, count in ((1, before), (0, now)):
            for _ in range(count):
                day = date(today.year - year_back, 1, 1) + timedelta(
                    days=rng.randint(0, max((today - date(today.year, 1, 1)).days, 1))
                )
                victims.append(
                    Victim(
                        enterprise=enterprise,
                        name=_name(rng),
                        occurred_on=min(day, today - timedelta(days=1)),
                        fraud_type=rng.choice([k for k, _ in CASES_TYPES]),
                        amount_lost=Decimal(rng.randint(2, 80) * 1000),
                        source=VictimSource.ENTERED,
                    )
                )
    Victim.objects.bulk_create(victims)
    return f"{len(enterprises)} enterprises structured, {sessions} sessions, {len(victims)} victims"


CASES_TYPES = [(c[1], c[0]) for c in CASES]


def reset() -> None:
    Score.objects.all().delete()
    Pairing.objects.all().delete()
    EvaluationRound.objects.all().delete()
    Criterion.objects.all().delete()
    ScoringStandard.objects.all().delete()
    Victim.objects.all().delete()
    FraudNotice.objects.all().delete()
    StudySession.objects.all().delete()
    RosterImport.objects.all().delete()
    ResponsibilityLetter.objects.all().delete()
    WorkClass.objects.update(leader=None, deputy=None)
    Employee.objects.all().delete()
    WorkClass.objects.all().delete()
    AdminStaff.objects.all().delete()
    FraudCase.objects.all().delete()
    Channel.objects.filter(kinds__icontains=services.NOTICE_KIND, broadcast_only=True).delete()
