"""A covering index for the dispatch KPIs (an index-only scan over a year of incidents).

PostgreSQL only: SQLite has no INCLUDE columns (and `make run` data is small), so the index is created
here rather than in Meta.indexes, which would warn on every SQLite command.
"""

from django.db import migrations

COLUMNS = (
    "station_id, category, status, dispatch_seconds, video_supervision_seconds, leader_notified_seconds, "
    "arrival_seconds, dispatch_met, video_supervision_met, leader_notified_met, arrival_met"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS incident_kpi_idx ON incidents_incident (received_at) INCLUDE ({COLUMNS})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS incident_kpi_idx")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_default_sla_policy")]
    operations = [migrations.RunPython(create, drop)]
