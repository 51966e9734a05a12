"""Number formatting of the anti-fraud pages (ui.md: one decimal percentages, signless with an arrow)."""

from django import template

register = template.Library()


@register.filter
def af_pct(value) -> str:
    """0.829 → "82.9%"; a negative change is shown without its sign (the arrow carries it); None → "—"."""
    if value is None or value == "":
        return "—"
    return f"{abs(float(value)) * 100:.1f}%"
