from django.contrib import admin

from .models import Campaign, CampaignOperation, Hazard, HazardEvidence, HotspotRun, RiskPoint, WorkPlan


@admin.register(Hazard)
class HazardAdmin(admin.ModelAdmin):
    """Read-mostly: ledger changes go through the services (audited) on the pages and the API."""

    list_display = ["number", "title", "station", "level", "status", "found_at", "rectify_by"]
    list_filter = ["status", "level", "category", "station"]
    search_fields = ["number", "title", "address"]
    readonly_fields = [f.name for f in Hazard._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(HazardEvidence)
class HazardEvidenceAdmin(admin.ModelAdmin):
    list_display = ["hazard", "original_name", "content_type", "size", "uploaded_at"]
    readonly_fields = [f.name for f in HazardEvidence._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(HotspotRun)
class HotspotRunAdmin(admin.ModelAdmin):
    list_display = [
        "category",
        "period_start",
        "period_end",
        "status",
        "incidents",
        "hot_cells",
        "created_at",
    ]
    list_filter = ["category", "status"]


@admin.register(RiskPoint)
class RiskPointAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "station", "status", "gi_z", "incident_count"]
    list_filter = ["status", "category", "station"]


@admin.register(WorkPlan)
class WorkPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "risk_point", "owner", "status", "starts_on"]


class OperationInline(admin.TabularInline):
    model = CampaignOperation
    extra = 0
    filter_horizontal = ["stations"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    inlines = [OperationInline]
