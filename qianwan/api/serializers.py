"""Serializer helpers shared by the apps' ``api/serializers.py``."""

import copy
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers


class ModelFieldsOnce:
    """A ModelSerializer introspects its model to build its fields on every instantiation (most of
    the time of serialising one small record): build them once per class and give each instance deep
    copies, as DRF does with declared fields. Only for serializers whose fields do not depend on the
    instance or the context."""

    def get_fields(self):
        cls = type(self)
        if "_fields_once" not in cls.__dict__:
            cls._fields_once = super().get_fields()
        return copy.deepcopy(cls._fields_once)


class ContractDateTimeField(serializers.DateTimeField):
    """A time the contract accepts: with an offset, not before 2000, not more than a day ahead
    (api-contract.md "Errors": 400 otherwise)."""

    EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
    AHEAD = timedelta(days=1)

    def to_internal_value(self, value):
        at = super().to_internal_value(value)
        if at < self.EARLIEST:
            raise serializers.ValidationError(_("时间不能早于 2000 年。"))
        if at > timezone.now() + self.AHEAD:
            raise serializers.ValidationError(_("时间不能晚于当前时间一天以上。"))
        return at
