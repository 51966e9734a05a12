"""The base viewset every domain API builds on."""

from rest_framework import viewsets


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset whose queryset always starts from the caller's scope.

    Subclasses set ``action_roles`` (see :mod:`qianwan.api.permissions`) and implement
    ``scoped_queryset(user)`` — normally a selector of their app.
    """

    action_roles: dict[str, set[str]] = {}

    def scoped_queryset(self, user):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return self.queryset.none() if self.queryset is not None else None
        return self.scoped_queryset(self.request.user)
