"""The trigram index for address type-ahead and search (PostgreSQL only: pg_trgm's GIN index on
UPPER(text), which serves Django's ``icontains``; SQLite keeps the plain match)."""

from django.db import migrations

INDEX = "stdaddr_text_trgm_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON places_standardaddress USING gin (UPPER("text"::text) gin_trgm_ops)'
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("places", "0001_standard_address")]

    operations = [migrations.RunPython(forwards, backwards)]
