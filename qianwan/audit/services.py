"""Audit rows: every service write calls :func:`audit_record` inside its own transaction."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.forms.models import model_to_dict

from qianwan.masking import mask_personal, mask_secrets

from . import context
from .models import AuditEntry


def snapshot(obj: models.Model | None, fields: list[str] | None = None) -> dict[str, Any] | None:
    """A JSON-safe dict of a model's concrete fields (foreign keys as ids, files as names)."""
    if obj is None:
        return None
    data = model_to_dict(obj, fields=fields)
    for field in obj._meta.concrete_fields:
        if (fields is None or field.name in fields) and field.name not in data:
            data[field.name] = field.value_from_object(obj)
    for key, value in list(data.items()):
        if isinstance(value, models.Model):
            data[key] = value.pk
        elif hasattr(value, "name") and hasattr(value, "storage"):
            data[key] = value.name or None
        elif isinstance(value, list | tuple) and value and isinstance(value[0], models.Model):
            data[key] = [v.pk for v in value]
    # credentials (webhook tokens, 加签 secrets) never reach an audit row
    return mask_secrets(json.loads(json.dumps(data, cls=DjangoJSONEncoder)))


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Write one audit row. Must run inside the transaction of the change (enforced)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the service's transaction")
    ctx = context.current()
    # snapshots are stored masked (phones, ID numbers, private persons' names): the audit log is read
    # by more people than may see them, and a reveal is itself an audited action
    label = obj._meta.label_lower
    before = mask_personal(before, model_label=label) if before is not None else None
    after = mask_personal(after, model_label=label) if after is not None else None
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_label=(getattr(actor, "display_name", "") or str(actor)) if is_user else "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=json.loads(json.dumps(before, cls=DjangoJSONEncoder)) if before is not None else None,
        after=json.loads(json.dumps(after, cls=DjangoJSONEncoder)) if after is not None else None,
        request_id=ctx.request_id,
        ip=ctx.ip,
    )
