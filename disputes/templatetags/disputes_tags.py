"""The disputes pages' sortable headers (figures: ``{% load figures %}``, the shared presenter)."""

from django import template
from django.utils.html import format_html

register = template.Library()


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
