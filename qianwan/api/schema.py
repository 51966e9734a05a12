import copy

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import add_trace_message
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import get_manager, get_view_model


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "qianwan.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` — keys come from `manage.py apitoken`.",
        }


class IsolatedDjangoFilterExtension(DjangoFilterExtension):
    """django-filter's schema extension, run on a deep copy of each FilterSet's filters.

    The stock extension reads ``filter.field`` on the class-level ``base_filters``; django-filter
    caches that form field (``_field``, built with ``label=None`` because a class-level filter has no
    model yet) and every later FilterSet deep-copies it, so after the first ``/api/schema/`` the page
    filters lost their Chinese labels for the life of the process ("状态" → None). Working on a copy
    leaves the shared filters untouched."""

    priority = 1  # chosen over the stock extension for the same target

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        model = get_view_model(auto_schema.view)
        if not model:
            return []
        filterset_class = self.target.get_filterset_class(auto_schema.view, get_manager(model).none())
        if not filterset_class:
            return []
        filters = copy.deepcopy(filterset_class.base_filters)
        result = []
        with add_trace_message(filterset_class):
            for field_name, filter_field in filters.items():
                result += self.resolve_filter_field(
                    auto_schema, model, filterset_class, field_name, filter_field
                )
        return result
