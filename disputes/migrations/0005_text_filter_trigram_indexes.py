"""Trigram indexes for the dispute list's keyword filter ``q`` (issue 21): ``number``, ``summary`` and
``address`` each matched with ``icontains`` (``UPPER(col::text) LIKE '%…%'``), so each gets a GIN
``gin_trgm_ops`` index over that expression; the planner ORs the three bitmaps instead of reading the
table. PostgreSQL only (pg_trgm); other databases keep the model's own indexes."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

COLUMNS = ("number", "summary", "address")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS dispute_{column}_trgm_idx "
            f"ON disputes_dispute USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS dispute_{column}_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("disputes", "0004_dispute_close_approval")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
