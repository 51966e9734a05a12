from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qianwan.masking import MaskedAdminMixin

from . import services
from .models import ApiToken, DutyRoster, DutyRotation, DutyRotationMember, Station, User


class StationAdminForm(forms.ModelForm):
    """The boundary is checked as the API checks it: valid GeoJSON, no overlap with another active
    station's boundary (qianwan.org.services.check_boundary)."""

    class Meta:
        model = Station
        fields = ["code", "name", "address", "lat", "lon", "boundary", "is_active"]

    def clean(self):
        cleaned = super().clean()
        station = Station(
            pk=self.instance.pk,
            boundary=cleaned.get("boundary"),
            is_active=cleaned.get("is_active", True),
        )
        try:
            services.check_boundary(station)
        except ValidationError as exc:
            for message in exc.message_dict.get("boundary", []):
                self.add_error("boundary", message)
        return cleaned


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    form = StationAdminForm
    list_display = ["code", "name", "address", "lat", "lon", "has_boundary", "is_active"]
    search_fields = ["code", "name"]

    @admin.display(boolean=True, description=_("已划辖区"))
    def has_boundary(self, obj):
        return obj.boundary is not None


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
