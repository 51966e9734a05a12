"""The dashboard's reads: every figure comes from the owning app's selectors (never re-computed here).

``figures()`` composes the sections; ``charts()`` the chart data; ``live()`` the parts that refresh
by themselves. A section whose app selector is missing shows its figures as unavailable (never a
made-up number).
"""

import importlib
from datetime import date, datetime, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan import presenter
from qianwan.kpi import local_day_range, local_tz, month_last_day

from . import cards
from .cards import count_card, duration_card, link, proportion_card, rate_card, unavailable
from .periods import Period

CAMPAIGNS_SHOWN = 3
RANKING_ROWS = 5


def _selector(app: str, name: str):
    """``<app>.selectors.<name>`` or None while that app has not shipped it."""
    try:
        module = importlib.import_module(f"{app}.selectors")
    except ImportError:
        return None
    return getattr(module, name, None)


def _code(station) -> str:
    return station.code if station is not None else ""


def _until(day: date, now: datetime | None = None) -> datetime:
    """The end (exclusive) of a period ending on local ``day``: midnight after it, or ``now`` while the
    day is not over — the moment a trend counts to (its month is unfinished before its last day)."""
    return min(now or timezone.now(), local_day_range(day, day)[1])


def until_label(until: str | datetime | None) -> str:
    """ "至 12月5日" for a month counted to (the end of) that local day."""
    if until is None:
        return ""
    moment = datetime.fromisoformat(until) if isinstance(until, str) else until
    local = timezone.localtime(moment, local_tz()) - timedelta(microseconds=1)
    return _("至 %(m)d月%(d)d日") % {"m": local.month, "d": local.day}


def _section(key: str, title: str, cards_: list[dict], **extra) -> dict:
    return {"key": key, "title": title, "cards": cards_, **extra}


# --------------------------------------------------------------------------- incidents


def _dispatch_defs() -> dict:
    return {
        "incidents": _("期间接报的全部警情（含分流至12345的非警务警情）。"),
        "arrival": _(
            "到场时间≤时限（默认8分钟，自接警起算）的警情 ÷ 需要到场的警情；分流警情不计；超过时限仍未到场计为未达标。"
        ),
        "dispatch": _("1分钟内派警的警情 ÷ 需要派警的警情（分流不计）。"),
        "video": _("2分钟内启动可视化督导的警情 ÷ 需要督导的警情（分流不计）。"),
        "leader": _("3分钟内通报值班所领导的警情 ÷ 需要通报的警情（分流不计）。"),
        "p50": _(
            "已记录到场的警情的到场用时中位数（最近秩法 percentile_disc，不取平均）；旁列未记录到场（缺失）的件数。"
        ),
        "p90": _(
            "已记录到场的警情的到场用时第90百分位（最近秩法）；旁列未记录到场（缺失）的件数。缺失不计入分位数，"
            "但在到场率中计为未达标，故两者可能不一致。"
        ),
        "diverted": _("期间分流至12345等热线的非警务警情。"),
        "trend": _(
            "周期内最后一个月的警情数与上月、去年同月比较：精确条件二项检验，以两期实际时长为暴露量，"
            "p<0.05 视为可能真实的变化，否则为正常波动；未结束的月份与上月、去年同月的相同时段比较。"
        ),
        "decline": _("截至最后一个已结束的月份，警情数连续环比下降的月数（未结束的月份不计）。"),
    }


def _dispatch_section(*, user, period: Period, station, now: datetime) -> dict:
    DEF = _dispatch_defs()
    dispatch_kpis = _selector("incidents", "dispatch_kpis")
    incident_trend = _selector("incidents", "incident_trend")
    title = _("快速反应（警情调度）")
    if dispatch_kpis is None:
        return _section(
            "dispatch",
            title,
            [
                unavailable(k, label, DEF[k])
                for k, label in [("incidents", _("接报警情")), ("arrival", _("8分钟到场率"))]
            ],
        )
    kpi = dispatch_kpis(
        date_from=period.date_from, date_to=period.date_to, station=station, now=now, breakdowns=False
    )
    base = {
        "station": _code(station),
        "received_after": period.date_from.isoformat(),
        "received_before": period.date_to.isoformat(),
    }
    stages = kpi["stages"]

    def stage_card(key, stage, label):
        s = stages[stage]
        note = _("超时 %(late)d · 未完成 %(missing)d · 待定 %(pending)d") % s
        return rate_card(
            key, label, DEF[key], s["within"], s["eligible"], link("incidents:list", **base), note=note
        )

    items = [
        count_card(
            "incidents", _("接报警情"), DEF["incidents"], kpi["incidents"], link("incidents:list", **base)
        ),
        stage_card("arrival", "arrival", _("8分钟到场率")),
        stage_card("dispatch", "dispatch", _("1分钟派警率")),
        stage_card("video", "video_supervision", _("2分钟视频督导率")),
        stage_card("leader", "leader_notified", _("3分钟通报所领导率")),
        duration_card(
            "p50",
            _("到场用时 P50"),
            DEF["p50"],
            kpi["arrival_p50_seconds"],
            kpi["with_arrival"],
            link("incidents:list", **base),
            missing=stages["arrival"]["missing"],
        ),
        duration_card(
            "p90",
            _("到场用时 P90"),
            DEF["p90"],
            kpi["arrival_p90_seconds"],
            kpi["with_arrival"],
            link("incidents:list", **base),
            missing=stages["arrival"]["missing"],
        ),
        count_card(
            "diverted",
            _("分流12345"),
            DEF["diverted"],
            kpi["diverted"],
            link("incidents:list", status="diverted", **base),
        ),
    ]
    # each stage's 超时明细 lists that stage's misses (the card's 超时 + 未完成), not any breach
    for card, stage in zip(
        items[1:5], ("arrival", "dispatch", "video_supervision", "leader_notified"), strict=True
    ):
        card["miss_url"] = link("incidents:list", missed_stage=stage, **base)
    trend = None
    if incident_trend is not None:
        trend = incident_trend(months=12, station=station, now=_until(period.date_to, now))
        months = trend["months"]
        last = months[-1]
        partial_note = (
            _("%(until)s，与上月、去年同月的相同时段比较") % {"until": until_label(last["until"])}
            if last.get("partial")
            else ""
        )
        y, m = (int(x) for x in last["month"].split("-"))
        month_base = {
            "station": _code(station),
            "received_after": date(y, m, 1).isoformat(),
            "received_before": min(period.date_to, month_last_day(y, m)).isoformat(),
        }
        items.append(
            count_card(
                "trend_mom",
                _("%(m)s 警情（环比）") % {"m": last["month"]},
                DEF["trend"],
                last["incidents"],
                link("incidents:list", **month_base),
                change=last["mom"],
                change_label=_("环比"),
                note=partial_note,
            )
        )
        items.append(
            count_card(
                "trend_yoy",
                _("%(m)s 警情（同比）") % {"m": last["month"]},
                DEF["trend"],
                last["incidents"],
                link("incidents:list", **month_base),
                change=last["yoy"],
                change_label=_("同比"),
                note=partial_note,
            )
        )
        items.append(
            count_card(
                "decline",
                _("连续环比下降"),
                DEF["decline"],
                _declining_months(months),
                link("incidents:list", station=_code(station)),
                note=_("个月"),
            )
        )
    else:
        items.append(unavailable("trend_mom", _("警情环比"), DEF["trend"]))
    return _section("dispatch", title, items, trend=trend)


def _declining_months(months: list[dict]) -> int:
    """How many finished months in a row, ending with the last finished one, had fewer incidents than
    the month before (an unfinished month is never counted as a month of decline)."""
    streak = 0
    for row in reversed([m for m in months if not m.get("partial")]):
        before = row["mom"].get("before")
        if before is not None and row["incidents"] < before:
            streak += 1
        else:
            break
    return streak


# --------------------------------------------------------------------------- grid exchange


def _exchange_section(*, user, period: Period, station, now: datetime) -> dict:
    from qianwan.exchange.selectors import exchange_kpis

    k = exchange_kpis(user=user, date_from=period.date_from, date_to=period.date_to, station=station)
    dates = {"created_after": period.date_from.isoformat(), "created_before": period.date_to.isoformat()}
    outbound_url = link("exchange:outbound_list", station=_code(station), **dates)
    inbound_base = link("exchange:inbound_list", station=_code(station), **dates)

    def inbound_url(status: str = "") -> str | None:
        # an explicit (blank) status: the page shows every status, not just the pending queue
        return f"{inbound_base}&status={status}" if inbound_base else None

    defs = {
        "out": _(
            "期间公安主动推送的事件：分流至12345的非警务警情、移交属地政府的隐患、推送关注的矛盾纠纷；"
            "不含对来件办理结果的自动反馈。"
        ),
        "in": _("期间网格平台/12345推送给公安的事件（含退回的）。"),
        "rejected": _("期间退回（不属公安办理）的来件，单列，不计入办结率的分母。"),
        "out_rate": _("推送事件中对方回执为“已办结”的件数 ÷ 推送事件。"),
        "in_rate": _(
            "已办结的来件 ÷（来件 − 退回）；已办结 = 转成的警情已办结、纠纷已处置或结案，或经“办结”并填写说明。"
        ),
    }
    from incidents.selectors import diversion_counts

    diversions = diversion_counts(date_from=period.date_from, date_to=period.date_to, station=station)
    diversions["items"] = diversions["items"][:10]
    return _section(
        "exchange",
        _("多跨联动（警网融合）"),
        [
            count_card("outbound", _("推送网格事件"), defs["out"], k["outbound"], outbound_url),
            count_card("inbound", _("接收网格事件"), defs["in"], k["inbound"], inbound_url()),
            count_card(
                "inbound_rejected",
                _("退回来件"),
                defs["rejected"],
                k["inbound_rejected"],
                inbound_url("rejected"),
            ),
            rate_card(
                "outbound_handled",
                _("推送事件办结率"),
                defs["out_rate"],
                k["outbound_handled"],
                k["outbound"],
                link("exchange:outbound_list", station=_code(station), status="handled", **dates),
            ),
            rate_card(
                "inbound_handled",
                _("接收事件办结率"),
                defs["in_rate"],
                k["inbound_handled"],
                k["inbound"] - k["inbound_rejected"],
                inbound_url(),
            ),
        ],
        diversions=diversions,
    )


# --------------------------------------------------------------------------- hazards and campaigns


def _hazard_section(*, user, period: Period, station, now: datetime) -> dict:
    hazard_kpis = _selector("risks", "hazard_kpis")
    defs = {
        "found": _("期间发现登记的风险隐患（队列：按发现月份）。"),
        "closed": _("本期发现的隐患中，目前已复核销号的件数（销号须由登记人以外的民警复核）。"),
        "close_rate": _("本期发现队列的销号率 = 已销号 ÷ 发现。"),
        "overdue": _("本期发现队列中，目前已超过整改期限仍未整改的件数。"),
    }
    title = _("监测预警（风险隐患）")
    if hazard_kpis is None:
        return _section("hazards", title, [unavailable(k, v, defs[k]) for k, v in [("found", _("发现隐患"))]])
    k = hazard_kpis(date_from=period.date_from, date_to=period.date_to, station=station, user=user)
    base = {
        "station": _code(station),
        "found_after": period.date_from.isoformat(),
        "found_before": period.date_to.isoformat(),
    }
    items = [
        count_card("found", _("发现隐患"), defs["found"], k["found"], link("risks:index", **base)),
        count_card(
            "closed", _("已销号"), defs["closed"], k["closed"], link("risks:index", status="closed", **base)
        ),
        rate_card(
            "close_rate",
            _("队列销号率"),
            defs["close_rate"],
            k["closed"],
            k["found"],
            link("risks:index", **base),
        ),
        count_card(
            "overdue",
            _("逾期未整改"),
            defs["overdue"],
            k["overdue"],
            link("risks:index", overdue="true", **base),
        ),
    ]
    campaigns = []
    campaign_list = _selector("risks", "campaign_list")
    campaign_summary = _selector("risks", "campaign_summary")
    if campaign_list and campaign_summary:
        active = campaign_list(user=user).filter(starts_on__lte=period.date_to, ends_on__gte=period.date_from)
        for campaign in active.order_by("-starts_on")[:CAMPAIGNS_SHOWN]:
            summary = campaign_summary(campaign=campaign, station=station)
            campaigns.append(
                {
                    "name": campaign.name,
                    "url": _campaign_url(campaign.pk),
                    "starts_on": campaign.starts_on.isoformat(),
                    "ends_on": campaign.ends_on.isoformat(),
                    **summary,
                    "rectified_display": rate_card(
                        "rectified", "", "", summary["problems_rectified"], summary["problems_found"]
                    )["display"],
                }
            )
    return _section("hazards", title, items, campaigns=campaigns)


def _campaign_url(pk: int) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("risks:campaign_detail", args=[pk])
    except NoReverseMatch:
        return None


# --------------------------------------------------------------------------- enterprises


def _enterprise_section(*, user, period: Period, station, now: datetime) -> dict:
    # the figures the cards show, not the whole service_kpis/watch_kpis (types, response times…)
    visits_count = _selector("enterprises", "visits_count")
    lecture_totals = _selector("enterprises", "lecture_totals")
    satisfaction = _selector("enterprises", "satisfaction")
    alliance_response_counts = _selector("enterprises", "alliance_response_counts")
    defs = {
        "visits": _("期间民警走访企业、提供服务的记录数。"),
        "lectures": _("期间举办的讲师团宣讲场次。"),
        "audience": _("期间宣讲覆盖的听众人次。"),
        "satisfaction": _("期间收到的服务评价中“满意”的比例，附95%威尔逊区间。"),
        "responses": _("期间邻里守望联盟先期处置并经民警确认的矛盾纠纷次数。"),
    }
    title = _("警企社服务与邻里守望")
    span = {"station": _code(station), "from": period.date_from.isoformat(), "to": period.date_to.isoformat()}
    kwargs = {"user": user, "date_from": period.date_from, "date_to": period.date_to, "station": station}
    if visits_count is None or lecture_totals is None or satisfaction is None:
        items = [
            unavailable(k, v, defs[k]) for k, v in [("visits", _("走访服务")), ("satisfaction", _("满意率"))]
        ]
    else:
        lectures = lecture_totals(**kwargs)
        k = {
            "visits": visits_count(**kwargs),
            "lectures": lectures["lectures"],
            "audience": lectures["audience"],
            "satisfaction": satisfaction(**kwargs),
        }
        items = [
            count_card(
                "visits", _("走访服务"), defs["visits"], k["visits"], link("enterprises:visit_list", **span)
            ),
            count_card(
                "lectures",
                _("宣讲场次"),
                defs["lectures"],
                k["lectures"],
                link("enterprises:lecture_list", **span),
            ),
            count_card(
                "audience",
                _("宣讲受众"),
                defs["audience"],
                k["audience"],
                link("enterprises:lecture_list", **span),
            ),
            proportion_card(
                "satisfaction",
                _("服务满意率"),
                defs["satisfaction"],
                k["satisfaction"],
                link("enterprises:request_list", **span),
            ),
        ]
    if alliance_response_counts is None:
        items.append(unavailable("responses", _("联盟先期处置"), defs["responses"]))
    else:
        per_alliance = alliance_response_counts(**kwargs)
        items.append(
            count_card(
                "responses",
                _("联盟先期处置"),
                defs["responses"],
                sum(a["confirmed"] for a in per_alliance),
                link("enterprises:response_list", **span),
                note=_("待确认 %(n)d") % {"n": sum(a["awaiting_confirmation"] for a in per_alliance)},
            )
        )
    return _section("enterprises", title, items)


# --------------------------------------------------------------------------- traffic


def _traffic_section(*, user, period: Period, station, now: datetime) -> dict:
    traffic_kpis = _selector("traffic", "traffic_kpis")
    defs = {
        "patrols": _("期间开始的交通巡逻（含飙车、逆行专项巡逻）。"),
        "accidents": _("期间发生的交通事故，与去年同期比较（精确条件二项检验，p<0.05 视为可能真实的变化）。"),
        "deaths": _("期间交通事故死亡人数，与去年同期比较。"),
        "major": _("一次死亡3人及以上的较大事故，目标为零。"),
        "joint": _("期间网格员、企业保安、志愿者参与的联合巡逻轮次。"),
    }
    title = _("交通治理")
    if traffic_kpis is None:
        return _section("traffic", title, [unavailable("accidents", _("交通事故"), defs["accidents"])])
    k = traffic_kpis(date_from=period.date_from, date_to=period.date_to, station=station)
    acc = {
        "station": _code(station),
        "occurred_after": period.date_from.isoformat(),
        "occurred_before": period.date_to.isoformat(),
    }
    patrols = {"started_after": period.date_from.isoformat(), "started_before": period.date_to.isoformat()}
    return _section(
        "traffic",
        title,
        [
            count_card(
                "patrols",
                _("交通巡逻"),
                defs["patrols"],
                k["patrols"]["patrols"],
                link("traffic:patrol_list", **patrols),
                note=_("飙车/逆行 %(n)d") % {"n": k["patrols"]["racing_wrong_way_patrols"]},
            ),
            count_card(
                "joint",
                _("联合巡逻"),
                defs["joint"],
                k["joint_patrols"]["rounds"],
                link(
                    "traffic:joint_list",
                    station=_code(station),
                    date_after=period.date_from.isoformat(),
                    date_before=period.date_to.isoformat(),
                ),
            ),
            count_card(
                "accidents",
                _("交通事故"),
                defs["accidents"],
                k["accidents"],
                link("traffic:accident_list", **acc),
                change=k["yoy"]["accidents"],
                change_label=_("同比"),
            ),
            count_card(
                "deaths",
                _("事故死亡人数"),
                defs["deaths"],
                k["deaths"],
                link("traffic:accident_list", **acc),
                change=k["yoy"]["deaths"],
                change_label=_("同比"),
            ),
            count_card(
                "major",
                _("较大事故"),
                defs["major"],
                k["major_accidents"],
                link("traffic:accident_list", major="true", **acc),
            ),
        ],
    )


# --------------------------------------------------------------------------- anti-fraud


def _antifraud_section(*, user, period: Period, station, now: datetime) -> dict:
    letters_summary = _selector("antifraud", "letters_summary")
    sessions_summary = _selector("antifraud", "sessions_summary")
    victims_yoy = _selector("antifraud", "victims_yoy")
    enterprise_ranking = _selector("antifraud", "enterprise_ranking")
    defs = {
        "letters": _("统计截止日有效的反诈责任书（规上企业已签 ÷ 规上企业）。"),
        "sessions": _("期间班组学习、晨会宣讲等反诈学习场次。"),
        "victims": _("期间企业员工被骗人数，与去年同期比较（精确条件二项检验，p<0.05 视为可能真实的变化）。"),
        "victims_above": _("规上企业员工被骗人数同比。"),
    }
    title = _("反诈宣防")
    items = []
    if letters_summary:
        s = letters_summary(user=user, day=period.date_to, station=station)
        items.append(
            rate_card(
                "letters",
                _("规上企业责任书签订率"),
                defs["letters"],
                s["above_size_signed"],
                s["above_size"],
                link("antifraud:letters_missing", station=_code(station)),
                note=_("已签企业 %(n)d 家") % {"n": s["signed"]},
            )
        )
    else:
        items.append(unavailable("letters", _("责任书签订"), defs["letters"]))
    if sessions_summary:
        s = sessions_summary(user=user, date_from=period.date_from, date_to=period.date_to, station=station)
        items.append(
            count_card(
                "sessions",
                _("反诈学习场次"),
                defs["sessions"],
                s["sessions"],
                link("antifraud:station"),
                note=_("覆盖员工 %(n)d 人") % {"n": s["employees_reached"]},
            )
        )
    else:
        items.append(unavailable("sessions", _("反诈学习场次"), defs["sessions"]))
    if victims_yoy:
        v = victims_yoy(user=user, date_from=period.date_from, date_to=period.date_to, station=station)
        items.append(
            count_card(
                "victims",
                _("员工被骗人数"),
                defs["victims"],
                v["victims"]["now"],
                link("antifraud:victims"),
                change=v["victims"],
                change_label=_("同比"),
            )
        )
        items.append(
            count_card(
                "victims_above",
                _("规上企业被骗人数"),
                defs["victims_above"],
                v["above_size"]["now"],
                link("antifraud:victims"),
                change=v["above_size"],
                change_label=_("同比"),
            )
        )
    else:
        items.append(unavailable("victims", _("员工被骗人数"), defs["victims"]))
    ranking = []
    if enterprise_ranking:
        y, m = period.last_month
        rows = enterprise_ranking(user=user, month=date(y, m, 1), station=station)
        ranking = [
            {
                "rank": r.get("rank"),
                "name": r["name"],
                "station": r.get("station_name") or r["station"],  # the name, not the code
                "score": r["score"],
                "change": r["change"],
                "classes": r["classes_scored"],
            }
            for r in rows[:RANKING_ROWS]
        ]
    return _section(
        "antifraud",
        title,
        items,
        ranking=ranking,
        ranking_available=bool(enterprise_ranking),
        ranking_url=link(
            "antifraud:ranking",
            station=_code(station),
            month=f"{period.last_month[0]:04d}-{period.last_month[1]:02d}",
        ),
    )


# --------------------------------------------------------------------------- disputes


def _disputes_section(*, user, period: Period, station, now: datetime) -> dict:
    yoy = _selector("disputes", "yoy")
    followups_on_time = _selector("disputes", "followups_on_time")
    pushed_count = _selector("disputes", "pushed_count")
    defs = {
        "yoy": _("期间纠纷类警情与去年同期比较（精确条件二项检验，p<0.05 视为可能真实的变化）。"),
        "growth": _("增速变化 = 今年同比增速 − 去年同比增速（百分点）；显著性以去年增速推算的预期值检验。"),
        "followups": _("上一个完整月内处于回访周期的已化解纠纷中，当月回访≥规定次数（每月2次）的比例。"),
        "pushed": _("期间推送平台关注的纠纷。"),
    }
    title = _("矛盾纠纷")
    items = []
    base = {
        "station": _code(station),
        "received_after": period.date_from.isoformat(),
        "received_before": period.date_to.isoformat(),
    }
    if yoy:
        y = yoy(
            user=user, date_from=period.date_from, date_to=period.date_to, station=station, source="incidents"
        )
        items.append(
            count_card(
                "dispute_incidents",
                _("纠纷类警情"),
                defs["yoy"],
                y["counts"]["this_year"],
                link("incidents:list", category="dispute", **base),
                change=y["change"],
                change_label=_("同比"),
            )
        )
        g = y["growth"]
        growth_card = count_card(
            "growth", _("增速变化"), defs["growth"], None, link("incidents:list", category="dispute", **base)
        )
        growth_card["kind"] = "growth"
        growth_card["available"] = True
        if g["points"] is None:
            growth_card["note"] = _("近两年同期基数不足%(n)d件") % {"n": 5}
        else:
            growth_card["value"] = g["points"]
            growth_card["display"] = f"{g['points'] * 100:+.1f} " + _("个百分点")
            growth_card["counts"] = _("今年 %(a)s · 去年 %(b)s") % {
                "a": cards.pct(g["now"]),
                "b": cards.pct(g["before"]),
            }
            growth_card["change"] = {
                "label": _("相对"),
                "display": cards.pct(g["relative"]) if g["relative"] is not None else cards.DASH,
                "flag": "significant" if g["significant"] else "normal",
                "flag_text": _("变化可能真实") if g["significant"] else _("正常波动范围内"),
                "p": g["p"],
                "p_text": presenter.p_text(g["p"]),
            }
        items.append(growth_card)
    else:
        items.append(unavailable("dispute_incidents", _("纠纷类警情"), defs["yoy"]))
    if followups_on_time:
        y, m = _last_complete_month(period)
        f = followups_on_time(user=user, year=y, month=m, station=station)
        items.append(
            proportion_card(
                "followups",
                _("%(m)s 回访按时率") % {"m": f["month"]},
                defs["followups"],
                f,
                link("disputes:followups_due", station=_code(station)),
            )
        )
    else:
        items.append(unavailable("followups", _("回访按时率"), defs["followups"]))
    if pushed_count:
        n = pushed_count(user=user, date_from=period.date_from, date_to=period.date_to, station=station)
        items.append(
            count_card(
                "pushed",
                _("推送关注"),
                defs["pushed"],
                n,
                link(
                    "disputes:index",
                    station=_code(station),
                    occurred_after=period.date_from.isoformat(),
                    occurred_before=period.date_to.isoformat(),
                ),
            )
        )
    return _section("disputes", title, items)


def _last_complete_month(period: Period) -> tuple[int, int]:
    """The period's last month if it is over, else the month before it (follow-ups are monthly)."""
    today = timezone.localdate()
    y, m = period.last_month
    if (y, m) == (today.year, today.month):
        from qianwan.kpi import add_months

        return add_months(y, m, -1)
    return y, m


# --------------------------------------------------------------------------- composition


SECTION_BUILDERS = [
    ("dispatch", _dispatch_section),
    ("exchange", _exchange_section),
    ("hazards", _hazard_section),
    ("enterprises", _enterprise_section),
    ("traffic", _traffic_section),
    ("antifraud", _antifraud_section),
    ("disputes", _disputes_section),
]


def trend_rows(*, period: Period, station=None) -> list[dict]:
    """Incidents per month for the 12 months to the period's end, with MoM/YoY and their flags."""
    incident_trend = _selector("incidents", "incident_trend")
    if incident_trend is None:
        return []
    return incident_trend(months=12, station=station, now=_until(period.date_to))["months"]


def figures(*, user, period: Period, station=None, now: datetime | None = None) -> dict:
    """Every mechanism's figures for the period and station (None = sub-bureau), as cards."""
    now = now or timezone.now()
    return {
        "period": {
            "kind": period.kind,
            "from": period.date_from.isoformat(),
            "to": period.date_to.isoformat(),
            "label": period.label,
        },
        "station": _code(station) or None,
        "sections": [
            build(user=user, period=period, station=station, now=now) for _key, build in SECTION_BUILDERS
        ],
    }


def stage_histograms(*, period: Period, station=None) -> dict:
    """Per stage: how many incidents took each 10-second bucket (diverted excluded), and the limit."""
    stage_distribution = _selector("incidents", "stage_distribution")
    if stage_distribution is None:
        return {}
    return stage_distribution(date_from=period.date_from, date_to=period.date_to, station=station)


def charts(
    *, user, period: Period, station=None, now: datetime | None = None, figures_: dict | None = None
) -> dict:
    """Chart data: the incident trend (12 months to the period's end, or the period's months when
    longer), the station comparison and the stage-time distributions against their limits."""
    now = now or timezone.now()
    dispatch_kpis = _selector("incidents", "dispatch_kpis")
    incident_trend = _selector("incidents", "incident_trend")
    out: dict = {"trend": None, "stations": None, "stages": None}
    dates = {
        "received_after": period.date_from.isoformat(),
        "received_before": period.date_to.isoformat(),
    }
    if incident_trend:
        months = max(
            12,
            min(
                60,
                (period.date_to.year - period.date_from.year) * 12
                + period.date_to.month
                - period.date_from.month
                + 1,
            ),
        )
        trend = incident_trend(months=months, station=station, now=_until(period.date_to, now))
        rows = trend["months"]
        out["trend"] = {
            "months": [r["month"] for r in rows],
            "incidents": [r["incidents"] for r in rows],
            "yoy_base": [r["yoy"]["before"] for r in rows],
            # the flag is shown only on a base of 5 or more (the presenter's rule)
            "significant": [presenter.change(r["mom"])["flag"] == presenter.SIGNIFICANT for r in rows],
            "partial": [bool(r["partial"]) for r in rows],
            "partial_label": until_label(rows[-1]["until"]) if rows and rows[-1]["partial"] else "",
            # a click on a month opens that month's incidents (to the period's end when unfinished)
            "urls": [_month_url(r["month"], station, period.date_to) for r in rows],
        }
    if dispatch_kpis and station is None:
        by_station = dispatch_kpis(
            date_from=period.date_from, date_to=period.date_to, station=None, now=now, breakdowns=True
        )["by_station"]
        out["stations"] = {
            "codes": [r["station"] for r in by_station],
            "names": [r["station_name"] for r in by_station],
            "incidents": [r["incidents"] for r in by_station],
            # no rate below 5 eligible incidents (the presenter's rule): the chart shows counts only
            "arrival_rate": [
                r["stages"]["arrival"]["rate"]
                if presenter.enough(r["stages"]["arrival"]["eligible"])
                else None
                for r in by_station
            ],
            "arrival_counts": [
                f"{r['stages']['arrival']['within']} / {r['stages']['arrival']['eligible']}"
                for r in by_station
            ],
            "arrival_p90": [
                r["arrival_p90_seconds"] if presenter.enough(r["with_arrival"]) else None for r in by_station
            ],
            # a bar opens the station's incidents of the period, a rate point its arrival misses
            "urls": [link("incidents:list", station=r["station"], **dates) for r in by_station],
            "arrival_miss_urls": [
                link("incidents:list", station=r["station"], missed_stage="arrival", **dates)
                for r in by_station
            ],
        }
    out["stages"] = stage_histograms(period=period, station=station)
    base = {"station": _code(station), **dates}
    for stage, histogram in (out["stages"] or {}).items():
        # a bar past every category's limit opens the stage's misses; one within a limit the period's list
        histogram["url"] = link("incidents:list", **base)
        histogram["missed_url"] = link("incidents:list", missed_stage=stage, **base)
    return out


def _month_url(month: str, station, date_to: date) -> str | None:
    y, m = (int(x) for x in month.split("-"))
    return link(
        "incidents:list",
        station=_code(station),
        received_after=date(y, m, 1).isoformat(),
        received_before=min(date_to, month_last_day(y, m)).isoformat(),
    )


def live(*, user, station=None, now: datetime | None = None) -> dict:
    """The parts that change minute by minute: open incidents, those with a stage past its limit,
    hazards past their rectification date, disputes due for a follow-up this month."""
    now = now or timezone.now()
    out = {"at": timezone.localtime(now, local_tz()).isoformat(timespec="seconds")}
    incident_list = _selector("incidents", "incident_list")
    breached_q = _selector("incidents", "breached_q")
    if incident_list:
        from incidents.choices import Status

        qs = incident_list(user=user).filter(status=Status.OPEN)
        if station is not None:
            qs = qs.filter(station=station)
        agg = qs.aggregate(
            open=Count("id"), **({"breached": Count("id", filter=breached_q(now))} if breached_q else {})
        )
        out["open_incidents"] = {"n": agg["open"], "url": link("incidents:board")}
        out["breached_incidents"] = {
            "n": agg.get("breached"),
            "url": link("incidents:list", status="open", sla_breached="true", station=_code(station)),
        }
    hazard_status_counts = _selector("risks", "hazard_status_counts")
    if hazard_status_counts:
        h = hazard_status_counts(user=user, station=station)
        out["overdue_hazards"] = {
            "n": h["overdue"],
            "url": link("risks:index", overdue="true", station=_code(station)),
        }
    followups_due = _selector("disputes", "followups_due")
    if followups_due:
        qs = followups_due(user=user, at=now)
        if station is not None:
            qs = qs.filter(station=station)
        out["followups_due"] = {"n": qs.count(), "url": link("disputes:followups_due")}
    return out


def report_list(*, user):
    """Monthly reports the user may open: bureau leaders all; station leaders their station's only."""
    from qianwan.org.choices import Role

    from .models import MonthlyReport
    from .periods import DASHBOARD_ROLES

    qs = MonthlyReport.objects.select_related("station", "requested_by")
    if not getattr(user, "is_authenticated", False) or user.role not in DASHBOARD_ROLES:
        return qs.none()
    if user.role == Role.STATION_LEADER:
        return qs.filter(station_id=user.station_id) if user.station_id else qs.none()
    return qs


# --------------------------------------------------------------------------- map

MAP_RED = "#b42318"


def map_layers() -> list[dict]:
    return [
        {"id": "incidents_breached", "label": _("处置中警情：有环节超时"), "on": True, "cluster": True},
        {"id": "incidents_open", "label": _("处置中警情"), "on": True, "cluster": True},
        {"id": "hazard_overdue", "label": _("逾期未整改隐患"), "on": True, "cluster": True},
        {"id": "hot_blocks", "label": _("纠纷热点片区（近30天）"), "on": True},
    ]


def map_legend() -> list[dict]:
    return [
        {"shape": "circle", "color": "#1971c2", "label": _("处置中警情")},
        {"shape": "circle", "color": MAP_RED, "label": _("处置中警情：有环节超时")},
        {"shape": "square", "color": MAP_RED, "label": _("逾期未整改隐患")},
        {"shape": "area", "color": "#d9480f", "label": _("纠纷热点片区（近30天前10）")},
        {"shape": "cluster", "color": "#0b4a8b", "label": _("聚合点：数字为记录数，点击放大")},
    ]


def map_features(*, user, station=None, now: datetime | None = None) -> dict:
    """The dashboard map (GeoJSON for ``static/risks/map.js``): open incidents, overdue hazards and the
    hottest dispute blocks of the user's scope (or of ``station``), each linking to its record or list."""
    now = now or timezone.now()
    features = []
    incidents = _selector("incidents", "open_incident_features")
    if incidents:
        features += incidents(user=user, station=station, now=now)
    hazards = _selector("risks", "map_features")
    if hazards:
        for feature in hazards(user=user, layers={"hazard_overdue"}, station=station)["features"]:
            # one red for overdue on this map (the level is in the popup), a square beside the incidents
            feature["properties"].update(shape="square", color=MAP_RED)
            features.append(feature)
    blocks = _selector("disputes", "hot_block_features")
    if blocks:
        features += blocks(user=user, station=station)
    return {"type": "FeatureCollection", "layers": map_layers(), "legend": map_legend(), "features": features}


def map_links(*, station=None) -> list[dict]:
    """The filtered lists behind the map's layers (the drill-down beside the map)."""
    code = _code(station)
    rows = [
        (_("处置中警情列表"), link("incidents:list", status="open", station=code)),
        (
            _("有环节超时的处置中警情"),
            link("incidents:list", status="open", sla_breached="true", station=code),
        ),
        (_("逾期未整改隐患列表"), link("risks:index", overdue="true", station=code)),
        (
            _("纠纷热点片区分析"),
            # the disputes period form takes the station's id, and the map's 30 days
            link(
                "disputes:analysis",
                date_from=(timezone.localdate() - timedelta(days=29)).isoformat(),
                date_to=timezone.localdate().isoformat(),
                station=station.pk if station is not None else "",
            ),
        ),
    ]
    return [{"label": label, "url": url} for label, url in rows if url]
