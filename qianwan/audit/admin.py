from django.contrib import admin

from qianwan.masking import MaskedAdminMixin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(MaskedAdminMixin, admin.ModelAdmin):
    # stored masked since issue 16; rows written before are shown masked too
    masked_fields = {"before": "json", "after": "json"}
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_repr", "object_id", "request_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
