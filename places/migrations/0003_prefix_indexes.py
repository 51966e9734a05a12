"""Prefix indexes for short type-ahead words (fewer than 3 characters: no trigram to look up) on the
road, community and street names (PostgreSQL: varchar_pattern_ops, which LIKE 'x%' can use whatever
the collation; the code's prefix uses the same kind of index)."""

from django.db import migrations

COLUMNS = ["road", "community", "street", "code"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS stdaddr_{column}_prefix_idx "
            f"ON places_standardaddress ({column} varchar_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS stdaddr_{column}_prefix_idx")


class Migration(migrations.Migration):
    dependencies = [("places", "0002_trigram_index")]

    operations = [migrations.RunPython(forwards, backwards)]
