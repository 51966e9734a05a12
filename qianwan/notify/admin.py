from django.contrib import admin

from .models import (
    AckLink,
    Channel,
    ContactMethod,
    Delivery,
    DeliveryAttempt,
    EgressAllow,
    Heartbeat,
    Notification,
)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "station", "enabled", "broadcast_only"]
    list_filter = ["kind", "enabled", "station"]


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "ok", "status_code", "response", "error", "duration_ms"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "uid",
        "notification",
        "channel",
        "contact",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "lateness_ms",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["uid"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [DeliveryAttemptInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "level", "title", "station"]
    list_filter = ["kind", "level"]
    search_fields = ["key", "title"]
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "address", "levels", "enabled"]
    list_filter = ["kind", "enabled"]
    search_fields = ["user__username", "address"]


@admin.register(AckLink)
class AckLinkAdmin(admin.ModelAdmin):
    """Read only: links are made when a personal message is sent and used from the message."""

    list_display = ["inbox_item", "created_at", "expires_at", "used_at"]
    readonly_fields = ["inbox_item", "nonce", "created_at", "expires_at", "used_at"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    """When the periodic jobs last ran (the reminders' sweep); written by the worker only."""

    list_display = ["name", "at", "host"]
    readonly_fields = ["name", "at", "host"]

    def has_add_permission(self, request):
        return False


@admin.register(EgressAllow)
class EgressAllowAdmin(admin.ModelAdmin):
    list_display = ["entry", "note", "enabled", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["entry", "note"]
