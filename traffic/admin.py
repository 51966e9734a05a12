from django.contrib import admin

from .models import Asset, Member, PatrolZone, Team


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(PatrolZone)
class PatrolZoneAdmin(admin.ModelAdmin):
    """Zones are drawn through the API or the service (validated, non-overlapping); here only read or toggled."""

    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "polygon", "min_lat", "max_lat", "min_lon", "max_lon"]
    filter_horizontal = ["stations"]

    def has_add_permission(self, request):
        return False  # the polygon is read-only here: a new zone is drawn through zone_create


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "station", "home_zone", "is_active"]
    list_filter = ["kind", "station", "is_active"]
    search_fields = ["name"]
    inlines = [MemberInline]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "name", "road", "zone", "status", "maintenance_status", "installed_on"]
    list_filter = ["kind", "status", "maintenance_status", "zone"]
    search_fields = ["code", "name", "road"]
    readonly_fields = ["zone", "lat", "lon"]

    def has_add_permission(self, request):
        return False  # the point (and the zone it falls in) is set by asset_create, not here
