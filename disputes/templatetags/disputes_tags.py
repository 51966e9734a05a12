"""The disputes pages' sortable headers (figures: ``{% load figures %}``, the shared presenter)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

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
    # aria-sort belongs to the header cell, not to a link (axe: aria-allowed-attr); the order is said
    # in words a screen reader reads instead
    state = _("当前升序") if current == field else _("当前降序") if current == f"-{field}" else _("点击排序")
    return format_html(
        '<a href="?{}">{}<span aria-hidden="true">{}</span><span class="sr-only">（{}）</span></a>',
        params.urlencode(),
        label,
        arrow,
        state,
    )
