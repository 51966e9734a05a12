"""How every figure is shown — one presenter for the pages, the dashboard cards and the Excel
exports (architecture.md, "Measuring like the trade does").

The small-number rule lives here and nowhere else: below ``MIN_EVENTS`` (eligible incidents for a
rate or a fractile, the base for a change) a figure is shown as its counts only — no percentage, no
percentile, no interval, no flag. A zero base gives "—", never infinity. A change carries its test
(``qianwan.kpi.compare_counts``): "likely real" when p < 0.05, otherwise "within normal variation",
with its p-value; never a bare arrow.

Every function returns plain text (or a small dict of texts) so templates
(``{% load figures %}``, ``qianwan.templatetags.figures``) and openpyxl use the very same strings.
"""

from django.utils.translation import gettext as _

from qianwan.kpi import MIN_EVENTS

DASH = "—"
SIGNIFICANT = "significant"
NORMAL = "normal"


def enough(n) -> bool:
    """At least ``MIN_EVENTS`` events: a percentage, percentile, interval or flag may be shown."""
    try:
        return int(n) >= MIN_EVENTS
    except (TypeError, ValueError):
        return False


def percent(value: float | None, digits: int = 1) -> str:
    """0.8294 → "82.9%". Only for figures that already passed ``enough`` (use ``rate`` otherwise)."""
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def arrow_percent(value: float | None) -> str:
    """-0.083 → "↓ 8.3%"; "—" without a base."""
    if value is None:
        return DASH
    arrow = "↑" if value > 0 else ("↓" if value < 0 else "→")
    return f"{arrow} {abs(value) * 100:.1f}%"


def points(value) -> str:
    """A difference of two rates in percentage points (the growth change)."""
    if value is None:
        return DASH
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return _("%(sign)s%(v).1f 个百分点") % {"sign": sign, "v": abs(value) * 100}


def number(value) -> str:
    """A count with thousands separators (950000 → "950,000"); anything else as it is."""
    if isinstance(value, bool) or value is None:
        return DASH if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return str(value)


def counts(num, den) -> str:
    return f"{number(num)} / {number(den)}"


def rate(num, den) -> dict:
    """A rate num ÷ den: ``value`` (the percentage, or counts only below 5, or "—" on a zero base),
    ``counts`` and ``shown`` (whether a percentage is shown)."""
    num, den = int(num or 0), int(den or 0)
    if not den:
        return {"value": DASH, "counts": counts(num, den), "shown": False, "note": ""}
    if not enough(den):
        return {
            "value": counts(num, den),
            "counts": counts(num, den),
            "shown": False,
            "note": _("不足%(n)d件，只列件数") % {"n": MIN_EVENTS},
        }
    return {"value": percent(num / den), "counts": counts(num, den), "shown": True, "note": ""}


def seconds_text(seconds) -> str:
    if seconds is None:
        return DASH
    minutes, sec = divmod(int(seconds), 60)
    return _("%(m)d分%(s)d秒") % {"m": minutes, "s": sec} if minutes else _("%(s)d秒") % {"s": sec}


def duration_text(seconds) -> str:
    """A duration in days/hours/minutes (service response times)."""
    if seconds is None:
        return DASH
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s天%(h)s小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    return _("%(m)s分") % {"m": minutes}


def fractile(seconds, n, missing=None) -> dict:
    """A nearest-rank fractile over the ``n`` incidents that recorded the step, with the number
    ``missing`` (eligible incidents that never recorded it) beside it; "—" below 5."""
    n = int(n or 0)
    shown = seconds is not None and enough(n)
    parts = [_("%(n)s 起有记录") % {"n": number(n)}]
    if missing:
        parts.append(_("缺 %(m)s 起") % {"m": number(int(missing))})
    return {
        "value": seconds_text(seconds) if shown else DASH,
        "counts": " · ".join(parts),
        "shown": shown,
        "note": "" if shown or not n else _("不足%(n)d件，不计分位数") % {"n": MIN_EVENTS},
    }


def interval(low, high, n) -> str:
    """A 95% interval, only from 5 events on ("" below)."""
    if low is None or high is None or not enough(n):
        return ""
    return _("95%%区间 %(lo)s–%(hi)s") % {"lo": percent(low), "hi": percent(high)}


def p_text(p) -> str:
    if p is None:
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def change(c: dict | None) -> dict:
    """A comparison from ``qianwan.kpi.compare_counts``: ``display`` (the change, or the two counts
    when the base is below 5, or "—" without a base), ``flag`` (significant / normal / None — none
    below 5), ``flag_text`` and ``p``."""
    empty = {"display": DASH, "flag": None, "flag_text": "", "p": "", "counts": "", "shown": False}
    if not c or c.get("before") is None:
        return empty
    now, before = c.get("now"), c["before"]
    pair = counts(now, before)
    if not before:
        return {**empty, "counts": pair}
    if not enough(before):
        return {**empty, "display": pair, "counts": pair}
    significant = c.get("significant")
    flag = None if significant is None else (SIGNIFICANT if significant else NORMAL)
    return {
        "display": arrow_percent(c.get("change")),
        "flag": flag,
        "flag_text": {SIGNIFICANT: _("变化可能真实"), NORMAL: _("正常波动范围内"), None: ""}[flag],
        "p": p_text(c.get("p")),
        "counts": pair,
        "shown": True,
    }


def proportion(prop: dict | None) -> dict:
    """A proportion from ``qianwan.kpi.proportion``: its rate and its 95% Wilson interval."""
    if not prop:
        return {"value": DASH, "counts": "", "shown": False, "note": "", "interval": ""}
    shown = rate(prop.get("successes"), prop.get("n"))
    return {**shown, "interval": interval(prop.get("ci_low"), prop.get("ci_high"), prop.get("n"))}
