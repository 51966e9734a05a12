"""Change numbers are unique and indexed per partner once every existing event has one (0005)."""

from django.db import migrations, models

import qianwan.exchange.models


class Migration(migrations.Migration):
    dependencies = [("exchange", "0005_change_seq_for_polling")]

    operations = [
        migrations.AlterField(
            model_name="inboundevent",
            name="change_seq",
            field=models.BigIntegerField(
                default=qianwan.exchange.models.next_inbound_change,
                editable=False,
                unique=True,
                verbose_name="变更序号",
            ),
        ),
        migrations.AlterField(
            model_name="outboundevent",
            name="change_seq",
            field=models.BigIntegerField(
                default=qianwan.exchange.models.next_outbound_change,
                editable=False,
                unique=True,
                verbose_name="变更序号",
            ),
        ),
        migrations.AddIndex(
            model_name="inboundevent",
            index=models.Index(fields=["source", "change_seq"], name="inbound_source_change_idx"),
        ),
        migrations.AddIndex(
            model_name="outboundevent",
            index=models.Index(fields=["target", "change_seq"], name="outbound_target_change_idx"),
        ),
    ]
