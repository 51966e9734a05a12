"""Back-office view of the standard-address register (changes go through the pages: validated, audited)."""

from django.contrib import admin

from .models import AddressImportJob, StandardAddress


@admin.register(StandardAddress)
class StandardAddressAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "station", "block", "grid", "is_active", "updated_at"]
    list_filter = ["station", "is_active"]
    search_fields = ["code", "text", "grid"]
    readonly_fields = ["text", "station", "block", "created_at", "updated_at"]
    list_select_related = ["station", "block"]


@admin.register(AddressImportJob)
class AddressImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "status",
        "total_rows",
        "created_count",
        "updated_count",
        "created_by",
        "created_at",
    ]
    readonly_fields = [f.name for f in AddressImportJob._meta.fields]
