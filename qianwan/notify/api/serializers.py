from rest_framework import serializers

from qianwan.notify.models import InboxItem


class InboxItemSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="notification.key", read_only=True)
    kind = serializers.CharField(source="notification.kind", read_only=True)
    level = serializers.CharField(source="notification.level", read_only=True)
    title = serializers.CharField(source="notification.title", read_only=True)
    body = serializers.CharField(source="notification.body", read_only=True)
    link = serializers.CharField(source="notification.link", read_only=True)
    created_at = serializers.DateTimeField(source="notification.created_at", read_only=True)
    can_ack = serializers.SerializerMethodField()

    class Meta:
        model = InboxItem
        fields = [
            "id",
            "key",
            "kind",
            "level",
            "title",
            "body",
            "link",
            "created_at",
            "read_at",
            "acknowledged_at",
            "can_ack",
        ]
        read_only_fields = fields

    def get_can_ack(self, item) -> bool:
        return bool(item.notification.ack_action) and item.acknowledged_at is None
