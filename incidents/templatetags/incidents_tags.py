"""Template tags other pages embed (the inbound event page's "accept as incident" form)."""

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
def pct(value):
    """0.8294 → "82.9%" (one decimal), None → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def signed_pct(value):
    """A change with sign and arrow: -0.083 → "↓ 8.3%", None → "—"."""
    if value is None:
        return "—"
    arrow = "↑" if value > 0 else ("↓" if value < 0 else "→")
    return f"{arrow} {abs(value) * 100:.1f}%"


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
