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


ERROR_COMPONENT = "Error"

_STATUS_TEXT = {
    "400": "Bad input (`invalid`, `invalid_body`, `unknown_parameter`, …; `fields` names the fields).",
    "401": "No or unusable credentials (`token_missing`, `token_invalid`, `token_expired`, `token_revoked`).",
    "403": "The caller's role may not do this (`forbidden`, `partner_missing`, …).",
    "404": "No such record, or one outside the caller's scope (`not_found`).",
    "409": "The record's state forbids the change (`conflict`, `ack_conflict`, or a more specific code).",
}


def _error_schema() -> dict:
    from .exceptions import ERROR_CODES

    codes = "\n".join(f"- `{code}` ({status}): {meaning}" for code, (status, meaning) in ERROR_CODES.items())
    return {
        "type": "object",
        "description": "The body of every 4xx answer (api-contract.md, “Errors”).",
        "properties": {
            "code": {
                "type": "string",
                "description": "Stable snake_case error code. Known codes (more may be added):\n" + codes,
            },
            "message": {"type": "string", "description": "Human-readable text (Simplified Chinese)."},
            "fields": {
                "type": "object",
                "description": "On 400: each bad input field with its messages.",
                "additionalProperties": {},
            },
        },
        "required": ["code", "message"],
    }


def _error_statuses(path: str, method: str, operation: dict) -> list[str]:
    has_path_params = "{" in path
    query_params = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
    writes = method in ("post", "put", "patch", "delete")
    statuses = ["401", "403"]
    if writes or query_params:
        statuses.append("400")
    if has_path_params or any(p["name"] == "page" for p in query_params):
        statuses.append("404")
    if writes and has_path_params:
        statuses.append("409")
    return sorted(statuses)


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents its 4xx answers with the
    ``Error`` component (400/401/403 and, where they can happen, 404 and 409)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_COMPONENT] = _error_schema()
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = set(_error_statuses(path, method, operation))
            codes |= {c for c in responses if c.startswith("4") and c in _STATUS_TEXT}
            for code in sorted(codes):
                response = responses.setdefault(code, {"description": _STATUS_TEXT[code]})
                # a view that documents its own 4xx (a description) still answers with the Error body
                response.setdefault("content", {"application/json": {"schema": ref}})
    return result


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


def _area_tag(path: str) -> str:
    """``/api/v1/traffic/accidents/{id}/`` → ``traffic``: the area an operation belongs to."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"] and len(parts) > 2:
        return parts[2]
    return parts[1] if parts[:1] == ["api"] and len(parts) > 1 else "api"


def _drop_naming_titles(node) -> None:
    """Generated clients name an inline enum or object after its ``title`` (openapi-python-client
    made ``v1_incidents_list_状态`` of a filter's label). Such a title moves into the description,
    so the name comes from the operation and parameter or property names: ASCII and stable."""
    if isinstance(node, dict):
        title = node.get("title")
        if isinstance(title, str) and (
            "enum" in node or "properties" in node or node.get("type") == "object"
        ):
            del node["title"]
            if not node.get("description"):
                node["description"] = title
        for value in node.values():
            _drop_naming_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_naming_titles(value)


def client_friendly_names(result, generator, request, public):
    """drf-spectacular postprocessing hook: each operation is tagged with its area (the first path
    segment after ``/api/v1/``: ``exchange``, ``incidents``, ``traffic``…), and no inline enum or
    object is named after a (Chinese) title. Component and enum names themselves are fixed in
    ``SPECTACULAR_SETTINGS`` (``ENUM_NAME_OVERRIDES``) and by serializer ``ref_name``."""
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                operation["tags"] = [_area_tag(path)]
                for parameter in operation.get("parameters", []):
                    _drop_naming_titles(parameter.get("schema"))
                _drop_naming_titles(operation.get("requestBody"))
                _drop_naming_titles(operation.get("responses"))
    _drop_naming_titles(result.get("components", {}).get("schemas", {}))
    return result
