"""Numbers the way ui.md shows them: signed change with an arrow, "—" without a base, the Poisson flag."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from qianwan.dashboard.cards import signed_pct
from qianwan.kpi import MIN_EVENTS

register = template.Library()


@register.simple_tag
def change(value):
    """↓ 8.3% / ↑ 2.0% / — (no base or a base below 5)."""
    return signed_pct(value)


@register.simple_tag
def points(value):
    if value is None:
        return "—"
    return _("%(sign)s%(v).1f 个百分点") % {
        "sign": "+" if value > 0 else "−" if value < 0 else "",
        "v": abs(value) * 100,
    }


@register.simple_tag
def flag(data):
    """The Poisson flag with its Z (text, not colour alone)."""
    if not data or data.get("significant") is None:
        return ""
    if isinstance(data.get("before"), int) and max(data["now"], data["before"]) < MIN_EVENTS:
        return ""  # a handful of events: the counts say it all, a "significant" flag would be noise
    if data["significant"]:
        return format_html('<span class="tag warn">● {} Z={}</span>', _("变化显著"), data["z"])
    return format_html('<span class="tag">○ {} Z={}</span>', _("正常波动"), data["z"])


@register.simple_tag(takes_context=True)
def sort_link(context, field, label):
    """A sortable column header: toggles ?o=field / ?o=-field, keeps the other filters."""
    request = context["request"]
    params = request.GET.copy()
    current = params.get("o", "")
    new = f"-{field}" if current == field else field
    params["o"] = new
    params.pop("page", None)
    params.pop("export", None)
    arrow = " ▲" if current == field else " ▼" if current == f"-{field}" else ""
    aria = "ascending" if current == field else "descending" if current == f"-{field}" else "none"
    return format_html('<a href="?{}" aria-sort="{}">{}{}</a>', params.urlencode(), aria, label, arrow)
