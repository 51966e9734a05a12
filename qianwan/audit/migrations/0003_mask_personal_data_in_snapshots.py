"""Audit snapshots are stored masked from now on (qianwan/masking.py); mask the rows written before."""

from django.db import migrations


def mask_existing(apps, schema_editor):
    from qianwan.masking import mask_personal

    AuditEntry = apps.get_model("audit", "AuditEntry")
    for entry in AuditEntry.objects.exclude(before__isnull=True, after__isnull=True).iterator(chunk_size=2000):
        label = entry.object_type
        before = mask_personal(entry.before, model_label=label) if entry.before is not None else None
        after = mask_personal(entry.after, model_label=label) if entry.after is not None else None
        if before != entry.before or after != entry.after:
            AuditEntry.objects.filter(pk=entry.pk).update(before=before, after=after)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [migrations.RunPython(mask_existing, migrations.RunPython.noop)]
