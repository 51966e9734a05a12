"""A change number on every exchange event, for `?since=` polling (one counter row per stream)."""

from django.db import migrations, models

import qianwan.exchange.models


def number_existing(apps, schema_editor):
    """Existing events get change numbers in the order they were created; the counters start after."""
    Counter = apps.get_model("exchange", "ChangeCounter")
    for stream, name in (("inbound", "InboundEvent"), ("outbound", "OutboundEvent")):
        Model = apps.get_model("exchange", name)
        value = 0
        for pk in Model.objects.order_by("created_at", "id").values_list("pk", flat=True).iterator():
            value += 1
            Model.objects.filter(pk=pk).update(change_seq=value)
        Counter.objects.update_or_create(stream=stream, defaults={"value": value})


class Migration(migrations.Migration):
    dependencies = [("exchange", "0004_partner_accounts_secrets_external_id_per_source")]

    operations = [
        migrations.CreateModel(
            name="ChangeCounter",
            fields=[
                ("stream", models.CharField(max_length=20, primary_key=True, serialize=False)),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "变更计数器", "verbose_name_plural": "变更计数器"},
        ),
        migrations.AddField(
            model_name="inboundevent",
            name="change_seq",
            field=models.BigIntegerField(null=True, editable=False, verbose_name="变更序号"),
        ),
        migrations.AddField(
            model_name="outboundevent",
            name="change_seq",
            field=models.BigIntegerField(null=True, editable=False, verbose_name="变更序号"),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
    ]
