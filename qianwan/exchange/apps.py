from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "qianwan.exchange"
    label = "exchange"
    verbose_name = _("警网融合数据交换")
