"""The one presenter of figures in templates (``{% load figures %}``): every tag goes through
``qianwan.presenter``, which applies the small-number rule (below 5: counts only — no %, no
percentile, no interval, no flag).

``{% rate num den %}``         82.9%（29 / 35） · 2 / 3 · —
``{% fractile seconds n missing %}``  7分53秒（28 起有记录 · 缺 4 起） · —（2 起有记录）
``{% change c %}``             ↓ 8.3% ⚑ 变化可能真实 p = 0.012 · 3 / 4 · —
``{% interval low high n %}``  95%区间 71.2%–88.0% · (nothing below 5)
``{% proportion prop %}``      rate, counts and its interval
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from qianwan import presenter

register = template.Library()


@register.simple_tag
def rate(num, den, counts=True):
    r = presenter.rate(num, den)
    if r["shown"] and counts:
        return format_html(
            '<span class="fig">{}</span> <span class="counts">（{}）</span>', r["value"], r["counts"]
        )
    return format_html('<span class="fig">{}</span>', r["value"])


@register.simple_tag
def fractile(seconds, n, missing=None):
    f = presenter.fractile(seconds, n, missing)
    return format_html(
        '<span class="fig">{}</span> <span class="counts">（{}）</span>', f["value"], f["counts"]
    )


@register.simple_tag
def interval(low, high, n):
    return presenter.interval(low, high, n)


@register.simple_tag
def proportion(prop):
    p = presenter.proportion(prop)
    if not p["shown"]:
        return format_html('<span class="fig">{}</span>', p["value"])
    return format_html(
        '<span class="fig">{}</span> <span class="counts">（{}）</span> <span class="counts">{}</span>',
        p["value"],
        p["counts"],
        p["interval"],
    )


@register.simple_tag
def change(c, counts=False):
    """A change with its test; the counts (now / before) beside it when ``counts``."""
    ch = presenter.change(c)
    if not ch["shown"]:
        return format_html('<span class="fig">{}</span>', ch["display"])
    tag = ""
    if ch["flag"] == presenter.SIGNIFICANT:
        tag = format_html(' <span class="tag warn flag" title="{}">⚑ {}</span>', ch["p"], ch["flag_text"])
    elif ch["flag"] == presenter.NORMAL:
        tag = format_html(' <span class="muted flag" title="{}">≈ {}</span>', ch["p"], ch["flag_text"])
    extra = format_html(' <span class="counts">{}</span>', ch["counts"]) if counts else ""
    return format_html(
        '<strong class="fig">{}</strong>{}{} <span class="counts">{}</span>',
        ch["display"],
        tag,
        extra,
        ch["p"],
    )


@register.simple_tag
def duration_fractile(seconds, n):
    """A fractile of durations in days/hours/minutes; "—" below 5."""
    return presenter.duration_text(seconds) if seconds is not None and presenter.enough(n) else presenter.DASH


@register.simple_tag
def growth(g):
    """The change of the year-over-year growth (``qianwan.kpi.compare_growth``), with its test."""
    if not g or g.get("points") is None:
        return presenter.DASH
    flag = ""
    if g.get("significant") is not None:
        text = _("变化可能真实") if g["significant"] else _("正常波动范围内")
        flag = format_html(
            ' <span class="{} flag">{} {}</span>',
            "tag warn" if g["significant"] else "muted",
            "⚑" if g["significant"] else "≈",
            text,
        )
    return format_html(
        '{} {}，{} {}；{} {}{} <span class="counts">{}</span>',
        _("今年"),
        presenter.arrow_percent(g["now"]),
        _("去年"),
        presenter.arrow_percent(g["before"]),
        _("相差"),
        presenter.points(g["points"]),
        flag,
        presenter.p_text(g.get("p")),
    )


@register.filter
def duration(seconds) -> str:
    """Seconds as 分秒 (558 → "9分18秒", 42 → "42秒"), "—" when there is none: the words on every page
    (the API keeps seconds)."""
    if seconds in (None, ""):
        return presenter.DASH
    seconds = int(round(float(seconds)))
    if seconds < 0:
        return "−" + presenter.seconds_text(-seconds)
    return presenter.seconds_text(seconds)


@register.filter
def thousands(value, digits: int = 0) -> str:
    """A number with thousands separators (950000 → "950,000"; ``|thousands:2`` keeps two decimals)."""
    if value in (None, ""):
        return presenter.DASH
    return f"{float(value):,.{int(digits)}f}"


@register.filter
def score_change(value) -> str:
    """A change in points with its arrow and without its sign (-6.5 → "↓ 6.5 分"), "—" without a base."""
    if value in (None, ""):
        return presenter.DASH
    value = float(value)
    if value == 0:
        return "→ 0"
    text = f"{abs(value):g}"
    return (_("↑ %(v)s 分") if value > 0 else _("↓ %(v)s 分")) % {"v": text}
