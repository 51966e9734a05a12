"""The shared number filters of every app's pages (``{% load figures %}``), the same text as the cards.

``pct``: a rate as a percentage with one decimal (0.8294 → "82.9%"), "—" without a base.
``signed_pct``: a change with its arrow and without its sign (-0.083 → "↓ 8.3%"), "—" without a base.
``duration``: seconds as 分秒; ``thousands``: 950000 → "950,000"; ``score_change``: -6.5 → "↓ 6.5 分".
"""

from django import template
from django.utils.translation import gettext as _

from qianwan.dashboard import cards

register = template.Library()


@register.filter
def pct(value) -> str:
    return cards.pct(None if value in (None, "") else float(value))


@register.filter
def signed_pct(value) -> str:
    return cards.signed_pct(None if value in (None, "") else float(value))


@register.filter
def duration(seconds) -> str:
    """Seconds as 分秒 (558 → "9分18秒", 42 → "42秒"), "—" when there is none: the words on every page
    (the API keeps seconds)."""
    if seconds in (None, ""):
        return cards.DASH
    seconds = int(round(float(seconds)))
    if seconds < 0:
        return "−" + cards.seconds_text(-seconds)
    return cards.seconds_text(seconds)


@register.filter
def thousands(value, digits: int = 0) -> str:
    """A number with thousands separators (950000 → "950,000"; ``|thousands:2`` keeps two decimals)."""
    if value in (None, ""):
        return cards.DASH
    return f"{float(value):,.{int(digits)}f}"


@register.filter
def score_change(value) -> str:
    """A change in points with its arrow and without its sign (-6.5 → "↓ 6.5 分"), "—" without a base."""
    if value in (None, ""):
        return cards.DASH
    value = float(value)
    if value == 0:
        return "→ 0"
    text = f"{abs(value):g}"
    return (_("↑ %(v)s 分") if value > 0 else _("↓ %(v)s 分")) % {"v": text}
