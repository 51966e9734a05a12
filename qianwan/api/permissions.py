"""Refuse by default: every view declares, per action, which roles may call it.

A view sets ``action_roles = {"list": {...}, "retrieve": {...}, "create": {...}, "close": {...}}``
(``"*"`` as a fallback key). An action missing from the map is refused for everyone. For detail
actions the role is checked after the object was found in the caller's scope, so that an
out-of-scope record answers 404 before any 403 (the contract's order: 401, 404, 403, 400, 409).
"""

from rest_framework.permissions import BasePermission


def _allowed_roles(view) -> frozenset:
    roles_by_action = getattr(view, "action_roles", None) or {}
    action = getattr(view, "action", None) or (view.request.method.lower() if view.request else None)
    roles = roles_by_action.get(action, roles_by_action.get("*"))
    return frozenset(roles or ())


class RolePermission(BasePermission):
    message = "您的角色无权执行此操作。"

    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False  # DRF answers 401 because an authenticator declares a WWW-Authenticate header
        if getattr(view, "detail", False) and getattr(view, "defer_role_check_to_object", True):
            # Decided in has_object_permission, once get_object() has proved the record is in scope.
            return bool(getattr(view, "action_roles", None))
        return user.role in _allowed_roles(view)

    def has_object_permission(self, request, view, obj):
        return request.user.role in _allowed_roles(view)
