from django.db import migrations

from ._defaults import create, remove


class Migration(migrations.Migration):
    dependencies = [("exchange", "0002_initial")]
    operations = [migrations.RunPython(create, remove)]
