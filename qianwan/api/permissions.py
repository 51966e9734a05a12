"""Refuse by default: every view declares, per action, which roles may call it.

A view sets ``action_roles = {"list": {...}, "retrieve": {...}, "create": {...}, "close": {...}}``
(``"*"`` as a fallback key). An action missing from the map is refused for everyone. For detail
actions the role is checked after the object was found in the caller's scope, so that an
out-of-scope record answers 404 before any 403 (the contract's order: 401, 404, 403, 400, 409).

Once the role is allowed, the body of a POST/PUT/PATCH is parsed, so that a body that is not a JSON
object answers 400 ``invalid_body`` on every endpoint, also on those that never read their body.
"""

from rest_framework.permissions import BasePermission

from .parsers import BODY_METHODS, refuse_non_object


def _check_body(request) -> None:
    if request.method in BODY_METHODS:
        refuse_non_object(request.data)


def _allowed_roles(view) -> frozenset:
    roles_by_action = getattr(view, "action_roles", None) or {}
    action = getattr(view, "action", None) or (view.request.method.lower() if view.request else None)
    roles = roles_by_action.get(action, roles_by_action.get("*"))
    return frozenset(roles or ())


def _method_unknown(request, view) -> bool:
    """The view has no handler for this method: let DRF answer 405 rather than a role's 403."""
    method = request.method.lower()
    action_map = getattr(view, "action_map", None)
    if action_map is not None:
        return method not in action_map
    return not hasattr(view, method)


class RolePermission(BasePermission):
    message = "您的角色无权执行此操作。"

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False  # DRF answers 401 because an authenticator declares a WWW-Authenticate header
        if _method_unknown(request, view):
            return True
        if getattr(view, "detail", False) and getattr(view, "defer_role_check_to_object", True):
            # Decided in has_object_permission, once get_object() has proved the record is in scope.
            return bool(getattr(view, "action_roles", None))
        if user.role not in _allowed_roles(view):
            return False
        _check_body(request)
        return True

    def has_object_permission(self, request, view, obj):
        if request.user.role not in _allowed_roles(view):
            return False
        _check_body(request)
        return True
