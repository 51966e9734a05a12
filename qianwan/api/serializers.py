"""Serializer helpers shared by the apps' ``api/serializers.py``."""

import copy


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
