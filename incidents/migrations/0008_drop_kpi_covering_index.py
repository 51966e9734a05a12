"""The KPIs read the sealed rollup now (0007), and the raw rows only for today and for sealing one day
at a time, which the plain ``received_at`` index serves. The covering index of 0005 only cost every
intake insert and step update an entry with eleven columns (and kept those updates from being HOT)."""

from django.db import migrations



def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS incident_kpi_idx")


def create(apps, schema_editor):
    from importlib import import_module

    import_module("incidents.migrations.0005_kpi_covering_index").create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0007_stats")]
    operations = [migrations.RunPython(drop, create)]
