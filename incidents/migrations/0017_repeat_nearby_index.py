"""The repeat-call test's "within 100 m" arm on its own index (issue 21): a ~100 m grid cell of the
call's point, then the time (``places.selectors.NEARBY_CELL_SQL``, the same expression the query
uses). Without it every intake read the last 72 hours of calls — 21,000 rows at a city's 10M.
PostgreSQL only; other databases keep the box filter over the time index."""

from django.db import migrations

INDEX = "incident_nearby_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON incidents_incident "
        '((floor("lat" * 1000)::bigint * 1000000 + floor("lon" * 1000)::bigint), received_at) '
        "WHERE lat IS NOT NULL AND lon IS NOT NULL"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0016_merge_standard_address")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
