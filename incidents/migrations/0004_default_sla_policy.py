from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("incidents", "SlaPolicy").objects.get_or_create(category="")


def remove(apps, schema_editor):
    apps.get_model("incidents", "SlaPolicy").objects.filter(category="").delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_timeline_clocks_policy")]
    operations = [migrations.RunPython(create, remove)]
