from django import template

register = template.Library()


@register.filter
def signed_pct(value):
    """A change as a signed percentage with an arrow: ↑ 12.5% / ↓ 32.0%; "—" when there is none."""
    if value is None:
        return "—"
    arrow = "↑" if value > 0 else ("↓" if value < 0 else "→")
    return f"{arrow} {abs(value) * 100:.1f}%"
