from django.contrib import admin

from .models import Channel, Delivery, DeliveryAttempt, EgressAllow, Notification


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
    list_display = ["notification", "channel", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "channel"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [DeliveryAttemptInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "level", "title", "station"]
    list_filter = ["kind", "level"]
    search_fields = ["key", "title"]
    readonly_fields = [f.name for f in Notification._meta.fields]


@admin.register(EgressAllow)
class EgressAllowAdmin(admin.ModelAdmin):
    list_display = ["entry", "note", "enabled", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["entry", "note"]
