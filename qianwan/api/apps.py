from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qianwan.api"
    label = "qianwan_api"
    verbose_name = "API"

    def ready(self):
        from . import schema  # noqa: F401  (registers the token auth scheme with drf-spectacular)
