"""The dashboard's period picker and station filter, and who may look at which scope.

A period is a month, a quarter, a year or a custom range of local (Asia/Shanghai) dates, inclusive.
The current month/quarter/year ends today. Scope: a bureau leader (and the admin) sees the sub-bureau
and any station; a station leader sees their own station only; everyone else is refused.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.kpi import add_months, month_last_day
from qianwan.org.choices import Role
from qianwan.org.models import Station

DASHBOARD_ROLES = frozenset({Role.BUREAU_LEADER, Role.STATION_LEADER, Role.ADMIN})
KINDS = ("month", "quarter", "year", "custom")
MAX_DAYS = 366 * 10


class PeriodError(ValueError):
    """Bad period input: ``field`` and a message a person can act on."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    kind: str
    date_from: date
    date_to: date
    label: str

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def query(self) -> dict:
        """The query parameters that name this period (for links and the API)."""
        return {"period": "custom", "from": self.date_from.isoformat(), "to": self.date_to.isoformat()}

    @property
    def last_month(self) -> tuple[int, int]:
        """The last calendar month the period touches (for monthly figures: rankings, follow-ups)."""
        return self.date_to.year, self.date_to.month


def _cap(d: date, today: date) -> date:
    return min(d, today)


# which parameters each kind of period reads; any other period parameter given would be silently
# ignored, so it is refused instead
KIND_PARAMS = {"month": {"month"}, "quarter": {"quarter"}, "year": {"year"}, "custom": {"from", "to"}}
PERIOD_PARAMS = {"period", "month", "quarter", "year", "from", "to"}
QUERY_PARAMS = PERIOD_PARAMS | {"station"}


def check_known(params, known=QUERY_PARAMS) -> None:
    """Refuse a parameter the dashboard does not know (a typo would otherwise filter nothing)."""
    unknown = sorted(k for k in params.keys() if k not in known)
    if unknown:
        raise PeriodError(unknown[0], _("未知的参数：%(names)s") % {"names": "、".join(unknown)})


def parse_period(params, today: date | None = None, *, strict: bool = False) -> Period:
    """Read ``period`` (month|quarter|year|custom) and ``month=YYYY-MM`` / ``quarter=YYYY-Qn`` /
    ``year=YYYY`` / ``from``+``to`` (YYYY-MM-DD). Defaults to the current month. ``strict`` (the
    API): a parameter of another kind of period (``from`` with ``period=month``…) is bad input, never
    ignored (the page's form always sends every kind's field and names the kind it means)."""
    today = today or timezone.localdate()
    kind = (params.get("period") or "month").strip()
    if kind not in KINDS:
        raise PeriodError("period", _("统计周期只能是 月、季度、年 或 自定义。"))
    for other in sorted(PERIOD_PARAMS - {"period"} - KIND_PARAMS[kind]) if strict else ():
        if (params.get(other) or "").strip():
            raise PeriodError(
                other, _("参数 %(name)s 不适用于所选的统计周期，请删除或改选周期。") % {"name": other}
            )
    if kind == "month":
        raw = params.get("month") or f"{today:%Y-%m}"
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", raw.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise PeriodError("month", _("月份格式应为 YYYY-MM，例如 2026-05。"))
        year, month = int(m.group(1)), int(m.group(2))
        start = date(year, month, 1)
        end = month_last_day(year, month)
        label = _("%(y)d年%(m)d月") % {"y": year, "m": month}
    elif kind == "quarter":
        q_today = (today.month - 1) // 3 + 1
        raw = params.get("quarter") or f"{today.year}-Q{q_today}"
        m = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", raw.strip())
        if not m:
            raise PeriodError("quarter", _("季度格式应为 YYYY-Qn，例如 2026-Q2。"))
        year, q = int(m.group(1)), int(m.group(2))
        start = date(year, 3 * q - 2, 1)
        end = month_last_day(year, 3 * q)
        label = _("%(y)d年第%(q)d季度") % {"y": year, "q": q}
    elif kind == "year":
        raw = params.get("year") or str(today.year)
        if not re.fullmatch(r"\d{4}", raw.strip()):
            raise PeriodError("year", _("年份格式应为 YYYY，例如 2026。"))
        year = int(raw)
        start, end = date(year, 1, 1), date(year, 12, 31)
        label = _("%(y)d年") % {"y": year}
    else:
        try:
            start = date.fromisoformat((params.get("from") or "").strip())
        except ValueError:
            raise PeriodError("from", _("请填写开始日期（YYYY-MM-DD）。")) from None
        try:
            end = date.fromisoformat((params.get("to") or "").strip())
        except ValueError:
            raise PeriodError("to", _("请填写结束日期（YYYY-MM-DD）。")) from None
        if end < start:
            raise PeriodError("to", _("结束日期不能早于开始日期。"))
        if (end - start).days > MAX_DAYS:
            raise PeriodError("to", _("统计区间最长十年。"))
        label = f"{start:%Y-%m-%d} ~ {end:%Y-%m-%d}"
    if start > today:
        raise PeriodError(kind if kind != "custom" else "from", _("统计周期不能在未来。"))
    return Period(kind=kind, date_from=start, date_to=_cap(end, today), label=label)


def previous_period(period: Period) -> Period:
    """The period of the same length just before (month-over-month for a month, etc.)."""
    if period.kind == "month":
        y, m = add_months(period.date_from.year, period.date_from.month, -1)
        start = date(y, m, 1)
        end = min(month_last_day(y, m), start + (period.date_to - period.date_from))
    elif period.kind == "quarter":
        y, m = add_months(period.date_from.year, period.date_from.month, -3)
        start = date(y, m, 1)
        end = min(month_last_day(*add_months(y, m, 2)), start + (period.date_to - period.date_from))
    elif period.kind == "year":
        start = date(period.date_from.year - 1, 1, 1)
        end = start + (period.date_to - period.date_from)
    else:
        end = period.date_from - timedelta(days=1)
        start = end - (period.date_to - period.date_from)
    return Period(kind=period.kind, date_from=start, date_to=end, label=f"{start} ~ {end}")


def check_dashboard_role(user) -> None:
    if not getattr(user, "is_authenticated", False) or user.role not in DASHBOARD_ROLES:
        raise PermissionDenied(_("领导驾驶舱仅对所领导和分局领导开放。"))


def resolve_station(user, code: str | None) -> Station | None:
    """The station the dashboard shows (None = the whole sub-bureau).

    Station leaders always see their own station (asking for another is refused); bureau leaders pick
    any station or none. An unknown code is bad input (``PeriodError``)."""
    check_dashboard_role(user)
    code = (code or "").strip()
    if user.role == Role.STATION_LEADER:
        if user.station_id is None:
            raise PermissionDenied(_("账号未关联派出所。"))
        if code and code != user.station.code:
            raise PermissionDenied(_("只能查看本所的统计。"))
        return user.station
    if not code:
        return None
    station = Station.objects.filter(code=code).first()
    if station is None:
        raise PeriodError("station", _("未知的派出所代码：%(code)s") % {"code": code})
    return station


def stations_for(user) -> list[Station]:
    """Stations the station filter offers."""
    if user.role == Role.STATION_LEADER:
        return [user.station] if user.station_id else []
    return list(Station.objects.filter(is_active=True).order_by("code"))
