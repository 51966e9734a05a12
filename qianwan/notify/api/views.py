from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from qianwan.api.viewsets import ScopedViewSet
from qianwan.notify import services
from qianwan.notify.models import InboxItem
from qianwan.org.choices import Role

from .serializers import InboxItemSerializer

PEOPLE = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN, Role.LIAISON}


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class InboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The caller's own notification inbox."""

    queryset = InboxItem.objects.all()
    serializer_class = InboxItemSerializer
    action_roles = {"list": PEOPLE, "retrieve": PEOPLE, "read": PEOPLE, "ack": PEOPLE, "unread": PEOPLE}

    def scoped_queryset(self, user):
        return services.inbox_for(user=user)

    @extend_schema(request=None, responses=InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        item = self.get_object()
        services.inbox_mark_read(user=request.user, item_ids=[item.pk])
        item.refresh_from_db()
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None, responses=InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def ack(self, request, pk=None):
        item = services.inbox_acknowledge(user=request.user, item=self.get_object())
        return Response(self.get_serializer(item).data)

    @extend_schema(responses=UnreadSerializer)
    @action(detail=False, methods=["get"])
    def unread(self, request):
        return Response({"unread": services.unread_count(user=request.user)})
