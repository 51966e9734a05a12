"""The shared number filters of every app's pages (``{% load figures %}``), the same text as the cards.

``pct``: a rate as a percentage with one decimal (0.8294 → "82.9%"), "—" without a base.
``signed_pct``: a change with its arrow and without its sign (-0.083 → "↓ 8.3%"), "—" without a base.
"""

from django import template

from qianwan.dashboard import cards

register = template.Library()


@register.filter
def pct(value) -> str:
    return cards.pct(None if value in (None, "") else float(value))


@register.filter
def signed_pct(value) -> str:
    return cards.signed_pct(None if value in (None, "") else float(value))
