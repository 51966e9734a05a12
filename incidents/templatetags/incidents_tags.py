"""Template tags other pages embed (the inbound event page's "accept as incident" form). Percentages:
``{% load figures %}``."""

from django import template

from incidents.choices import Category

register = template.Library()


@register.inclusion_tag("incidents/partials/accept_inbound.html", takes_context=True)
def incident_accept_form(context, event):
    return {
        "event": event,
        "incident_categories": Category.choices,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def diversion_items(direction: str):
    """The active catalogue items of one direction, for a <select> (e.g. the 12345 → 110 item on
    accepting a 12345 event)."""
    from incidents.selectors import diversion_catalogue

    return list(diversion_catalogue(direction=direction))
