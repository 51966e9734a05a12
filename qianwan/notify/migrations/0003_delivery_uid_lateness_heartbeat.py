import uuid

from django.db import migrations, models


def fill_uids(apps, schema_editor):
    Delivery = apps.get_model("notify", "Delivery")
    for pk in Delivery.objects.values_list("pk", flat=True).iterator():
        Delivery.objects.filter(pk=pk).update(uid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="due_at",
            field=models.DateTimeField(
                blank=True,
                help_text="按计划应发出的时间（如时钟的提醒/超时时刻），用于计算迟到",
                null=True,
                verbose_name="计划时间",
            ),
        ),
        migrations.AddField(
            model_name="inboxitem",
            name="lateness_ms",
            field=models.IntegerField(blank=True, null=True, verbose_name="迟到(毫秒)"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="lateness_ms",
            field=models.IntegerField(blank=True, null=True, verbose_name="迟到(毫秒)"),
        ),
        # the delivery id: added nullable, filled one per row, then unique and required
        migrations.AddField(
            model_name="delivery",
            name="uid",
            field=models.UUIDField(editable=False, null=True, verbose_name="投递编号"),
        ),
        migrations.RunPython(fill_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="delivery",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="投递编号"),
        ),
        migrations.CreateModel(
            name="Heartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=60, unique=True, verbose_name="名称")),
                ("at", models.DateTimeField(verbose_name="最近运行")),
                ("host", models.CharField(blank=True, max_length=200, verbose_name="进程")),
            ],
            options={"verbose_name": "心跳", "verbose_name_plural": "心跳"},
        ),
    ]
