from django.contrib import admin

from qianwan.masking import MaskedAdminMixin

from .models import InboundEvent, OutboundEvent, Partner, PartnerAccount


class PartnerAccountInline(admin.TabularInline):
    model = PartnerAccount
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_hotline", "receives_caller_phone", "push_url", "enabled"]
    inlines = [PartnerAccountInline]


@admin.register(InboundEvent)
class InboundEventAdmin(MaskedAdminMixin, admin.ModelAdmin):
    masked_fields = {"payload": "json"}
    list_display = ["external_id", "source", "title", "station", "status", "created_at"]
    list_filter = ["source", "status", "station"]
    search_fields = ["external_id", "title"]
    readonly_fields = [f.name for f in InboundEvent._meta.fields]


@admin.register(OutboundEvent)
class OutboundEventAdmin(MaskedAdminMixin, admin.ModelAdmin):
    masked_fields = {"payload": "json"}
    list_display = ["id", "target", "kind", "title", "station", "status", "push_status", "created_at"]
    list_filter = ["target", "kind", "status", "push_status"]
    readonly_fields = [f.name for f in OutboundEvent._meta.fields]
