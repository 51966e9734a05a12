"""``{% load masking %}{{ value|mask:"phone" }}`` ("phone", "id_number", "name"): the pages' side of
qianwan/masking.py, so that a template never masks by hand."""

from django import template

from qianwan.masking import MASKERS

register = template.Library()


@register.filter(name="mask")
def mask(value, kind: str = "phone"):
    return MASKERS[kind](value)
