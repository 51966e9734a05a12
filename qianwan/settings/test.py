"""Test settings: eager Celery (integration tests start real workers), fast hashing, no outside network."""

from qianwan.env import env_bool, env_int

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Eager in the test process; the integration tests' worker processes set QIANWAN_CELERY_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = env_bool("QIANWAN_CELERY_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
NOTIFY_BACKOFF_BASE_SECONDS = 1
# the test receivers are plain-http servers on 127.0.0.1; the SSRF tests turn both off again
QIANWAN_EGRESS_ALLOW_HTTP = True
QIANWAN_EGRESS_ALLOW_LOOPBACK = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The worker/beat watchdog is off in test processes unless a test turns it on for its own worker.
WATCHDOG_STALE_SECONDS = env_int("QIANWAN_WATCHDOG_STALE_SECONDS", 0)
