from django import template

register = template.Library()


@register.filter
def pct(value):
    """A rate as a percentage with one decimal (82.9%); "—" when there is no base."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"
