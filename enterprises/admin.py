"""Back-office for the "17+5" catalogue and the registry's reference data."""

from django.contrib import admin

from .models import Alliance, AllianceMember, Enterprise, ImportJob, LecturerTeam, ServiceType


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "code", "is_active"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    search_fields = ["name", "code"]


@admin.register(LecturerTeam)
class LecturerTeamAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "code", "leader_name", "is_active"]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    search_fields = ["name", "code", "members"]


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    """Read-mostly: registry changes go through the pages/API so that they are validated and audited."""

    list_display = [
        "name",
        "kind",
        "credit_code",
        "station",
        "industry",
        "is_above_size",
        "employee_count",
        "is_active",
    ]
    list_filter = ["station", "kind", "is_above_size", "is_active"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["station"]

    def has_add_permission(self, request):
        return False


class AllianceMemberInline(admin.TabularInline):
    model = AllianceMember
    extra = 0
    raw_id_fields = ["enterprise"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alliance)
class AllianceAdmin(admin.ModelAdmin):
    """View only: the 10–15 rule and its override live in the service."""

    list_display = ["name", "station", "area", "is_active"]
    list_filter = ["station", "is_active"]
    inlines = [AllianceMemberInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "original_name", "created_by", "status", "total_rows", "created_count"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
