"""Number formats of the service pages: proportions, durations in days/hours/minutes (plain rates: the
shared ``pct`` filter of ``{% load figures %}``)."""

from django import template
from django.utils.translation import gettext as _

from qianwan.dashboard.cards import pct

register = template.Library()


@register.filter
def proportion_pct(proportion: dict) -> str:
    """A proportion from qianwan.kpi.proportion: "—" without data, counts only below 5 events."""
    if not proportion or not proportion.get("n"):
        return "—"
    if not proportion.get("shown"):
        return _("样本不足")
    return pct(proportion["rate"])


@register.filter
def duration(seconds) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s天%(h)s小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    return _("%(m)s分") % {"m": minutes}
