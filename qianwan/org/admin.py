from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from qianwan.masking import MaskedAdminMixin

from .models import ApiToken, DutyRoster, DutyRotation, DutyRotationMember, Station, User


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "address", "lat", "lon", "is_active"]
    search_fields = ["code", "name"]


@admin.register(User)
class UserAdmin(MaskedAdminMixin, BaseUserAdmin):
    masked_fields = {"phone": "phone"}
    list_display = ["username", "full_name", "role", "station", "enterprise", "is_active"]
    list_filter = ["role", "station", "is_active"]
    search_fields = ["username", "full_name"]
    autocomplete_fields = ["station"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("角色与范围"), {"fields": ["role", "station", "enterprise", "full_name", "phone"]}),
    ]


@admin.register(DutyRoster)
class DutyRosterAdmin(admin.ModelAdmin):
    list_display = ["station", "post", "leader", "starts_at", "ends_at", "note"]
    list_filter = ["station", "post"]
    date_hierarchy = "starts_at"


class DutyRotationMemberInline(admin.TabularInline):
    model = DutyRotationMember
    extra = 0


@admin.register(DutyRotation)
class DutyRotationAdmin(admin.ModelAdmin):
    """Kept in the rota pages (/duty/); here for the back office."""

    list_display = ["name", "station", "post", "period", "starts_on", "shift_start", "shift_hours", "ends_on"]
    list_filter = ["station", "post", "period"]
    inlines = [DutyRotationMemberInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["prefix", "user", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]

    def has_add_permission(self, request):
        return False  # tokens are issued by `manage.py apitoken`, which shows the key once
