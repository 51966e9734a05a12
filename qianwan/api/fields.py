"""Reference fields: a related record the caller may point at (qianwan/references.py).

The queryset comes from the field's ``scope`` called with the request's user, so an out-of-scope id
fails exactly like an unknown one (400, the field named, :data:`qianwan.references.NOT_FOUND`).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from qianwan.references import REFERENCE_CODE, not_found_message


class ScopedReferenceMixin:
    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        assert request is not None, (
            f"{type(self.parent).__name__}.{self.field_name}: pass the request in the context"
        )
        return self.scope(user=request.user)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            codes = {getattr(d, "code", None) for d in exc.detail}
            if codes & {"does_not_exist", "incorrect_type", "invalid"}:
                raise serializers.ValidationError(not_found_message(data), code=REFERENCE_CODE) from None
            raise


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyRelatedField(ScopedReferenceMixin, serializers.PrimaryKeyRelatedField):
    """A related record by id, limited to ``scope(user=request.user)``."""


@extend_schema_field(OpenApiTypes.STR)
class ScopedSlugRelatedField(ScopedReferenceMixin, serializers.SlugRelatedField):
    """A related record by a slug (a username, a code), limited to ``scope(user=request.user)``."""
