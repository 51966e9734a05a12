"""Indexes that answer the incident list's filters at city scale (issue 21).

- ``incident_number_prefix_idx``: the number filter (exact or prefix, case-insensitive:
  ``UPPER(number::text) LIKE 'ABC%'``) as a b-tree over the expression with ``text_pattern_ops``,
  which serves LIKE prefixes whatever the database's collation.
- ``incident_status_received_idx``: a status filter alone and with the period.

PostgreSQL only (the expression index); other databases keep the model's own indexes.
"""

from django.db import migrations, models

PREFIX = (
    "CREATE INDEX IF NOT EXISTS incident_number_prefix_idx "
    "ON incidents_incident (UPPER(number::text) text_pattern_ops)"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREFIX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS incident_number_prefix_idx")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0013_merge_diversion_catalogue")]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["status", "received_at"], name="incident_status_received_idx"),
        ),
    ]
