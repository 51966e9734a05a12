"""The Celery app. Schedules, routes, acks_late and time limits live in settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qianwan.settings.local")

app = Celery("qianwan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
