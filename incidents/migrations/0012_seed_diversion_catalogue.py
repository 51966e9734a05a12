"""Seed the 110 ↔ 12345 diversion catalogue after the national frame (国办发〔2022〕12号): what 110
hands to 12345 (非警务类, non-emergency and non-police) and what 12345 pushes to 110 (警务类). Editable
afterwards (admin, /incidents/diversion/); the seed only adds what is missing."""

from django.db import migrations

from incidents.catalogue_seed import seed


class Migration(migrations.Migration):
    dependencies = [("incidents", "0011_diversion_catalogue")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
