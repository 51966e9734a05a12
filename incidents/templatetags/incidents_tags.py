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
