"""Number formats of the service pages: durations in days/hours/minutes (figures — rates,
proportions, fractiles — go through the shared presenter, ``{% load figures %}``)."""

from django import template

from qianwan import presenter

register = template.Library()


@register.filter
def duration(seconds) -> str:
    return presenter.duration_text(seconds)
