from django import template

from .. import registry
from ..selectors import for_record, sees_capture_facts

register = template.Library()


@register.simple_tag(takes_context=True)
def attachments_of(context, record):
    """The files of ``record`` (a model instance the page already shows, so in the caller's scope),
    with whether the caller sees capture facts and may attach."""
    kind = registry.kind_of(record)
    user = context.get("user")
    if kind is None:
        return {"files": [], "ref": "", "facts": False, "may_attach": False}
    return {
        "files": list(for_record(kind=kind, record_id=record.pk)),
        "ref": f"{kind}:{record.pk}",
        "facts": sees_capture_facts(user),
        "may_attach": registry.may_attach(kind, user),
    }
